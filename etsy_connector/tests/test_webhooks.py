"""Etsy's webhooks end to end: the sandbox signs and posts, Odoo's endpoint verifies, records and
queues the receipt, the request runner imports it through the order import and its lock.

Deliveries go over real HTTP to the test server (the registry is in test mode, so the endpoint
writes inside this test's transaction). While the sandbox's threads post, the test thread only
waits on the sandbox (never on the database, whose connection the request is using).
"""

import contextlib
import datetime
import json
import logging
import time

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.modules import neutralize
from odoo.sql_db import db_connect
from odoo.tests import HttpCase, tagged

from ..const import MAX_WEBHOOK_BODY, WEBHOOK_EVENT_RETENTION
from ..models.etsy_run import flow_lock_key
from ..models.etsy_sync_request import MAX_BUSY_RETRIES
from ..models.etsy_webhook_event import due_for_order_poll, webhooks_healthy
from .sandbox_common import SandboxCase, sandbox_module

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CONTROLLER_LOGGER = "odoo.addons.etsy_connector.controllers.webhook"


@tagged("post_install", "-at_install")
class TestWebhooks(SandboxCase, HttpCase):
    # EtsyCase already puts the registry in test mode (HttpCase would do it a second time).
    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.listing_ids = list(cls.sandbox.world.seed_listings.values())

    def setUp(self):
        super().setUp()
        self.etsy_shop.write({
            "etsy_webhook_secret": SECRET,
            "discord_webhook_url": self.sandbox.discord.webhook_url(base=self.server.url),
        })
        self.hooks = self.sandbox.webhooks
        self.sandbox.configure_webhook(self.sandbox.seller["shop_id"],
                                       self.etsy_shop.webhook_url, SECRET)

    # --- helpers --- #

    def buy(self):
        """A purchase on Etsy (of the first seeded listing still in stock): its receipt id."""
        for listing_id in self.listing_ids:
            try:
                return self.sandbox.buy(listing_id)["receipt_id"]
            except sandbox_module.errors.ApiError:
                continue  # sold out
        self.fail("Every seeded listing is sold out")

    def deliver(self):
        """Let the sandbox post what is due, without touching the database meanwhile."""
        self.env.flush_all()
        self.hooks.flush()
        self.env.invalidate_all()

    def run_requests(self, limit=500):
        Request = self.env["etsy.sync.request"]
        for _ in range(limit):
            if not Request.search_count([("run_after", "=", False)]):
                return
            Request._cron_run_requests()
        self.fail("Requests never ran out")

    def events(self):
        return self.env["etsy.webhook.event"].search([("shop_id", "=", self.etsy_shop.id)])

    def requests(self):
        return self.env["etsy.sync.request"].search([("shop_id", "=", self.etsy_shop.id)])

    def announcements(self, order):
        return self.env["etsy.discord.message"].search_count(
            [("order_id", "=", order.id), ("kind", "=", "order")])

    def post(self, path, body, headers=None):
        self.env.flush_all()
        response = self.opener.post(self.base_url() + path, data=body, headers=headers or {},
                                    timeout=10)
        self.env.invalidate_all()
        return response

    # --- the happy path --- #

    def test_signed_purchase_webhook_imports_that_receipt_once(self):
        receipt_id = self.buy()
        self.deliver()
        self.assertEqual([a["status"] for a in self.hooks.attempts()], [200])

        event = self.events()
        self.assertRecordValues(event, [{"event_type": "order.paid",
                                         "receipt_id": str(receipt_id), "state": "pending"}])
        self.assertEqual(self.requests().mapped("receipt_id"), [str(receipt_id)])
        self.assertFalse(self.order_of(receipt_id), "the endpoint never calls Etsy itself")

        self.run_requests()
        order = self.order_of(receipt_id)
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.announcements(order), 1)
        self.assertEqual(event.state, "done")
        self.assertFalse(self.requests())
        calls = self.sandbox.calls("getShopReceipt")
        self.assertEqual([c["path"].rsplit("/", 1)[1] for c in calls], [str(receipt_id)])
        self.assertFalse(self.sandbox.calls("getShopReceipts"), "one receipt, not a poll")

        # The poller reads it again: still one order, announced once.
        self.etsy_shop._sync_etsy_orders(trigger="cron")
        self.assertEqual(len(self.order_of(receipt_id)), 1)
        self.assertEqual(self.announcements(order), 1)
        self.assertTrue(self.etsy_shop.last_webhook_at)

    def test_cancel_webhook_brings_the_cancellation(self):
        receipt_id = self.buy()
        self.deliver()
        self.run_requests()
        self.sandbox.cancel_receipt(receipt_id)
        self.deliver()
        self.assertEqual(self.events().mapped("event_type"), ["order.canceled", "order.paid"])
        self.run_requests()
        self.assertEqual(self.order_of(receipt_id).state, "cancel")

    def test_url_without_shop_id_finds_the_shop_by_etsy_shop_id(self):
        self.sandbox.configure_webhook(self.sandbox.seller["shop_id"],
                                       self.base_url() + "/etsy_connector/webhook", SECRET)
        receipt_id = self.buy()
        self.deliver()
        self.assertEqual([a["status"] for a in self.hooks.attempts()], [200])
        self.assertEqual(self.events().receipt_id, str(receipt_id))

    def test_a_failed_delivery_is_retried_and_recorded_once(self):
        self.hooks.settings(retry_scale=0.0001)
        self.etsy_shop.etsy_webhook_secret = "whsec_" + "QUJD" * 8  # Etsy's changed: refused
        receipt_id = self.buy()
        self.env.flush_all()
        deadline = time.monotonic() + 10
        while len(self.hooks.attempts()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        # The seller pastes the right secret: the next retry is accepted.
        self.hooks.wait_idle()
        self.etsy_shop.etsy_webhook_secret = SECRET
        self.env.flush_all()
        deadline = time.monotonic() + 20
        while self.hooks.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.hooks.wait_idle()
        self.env.invalidate_all()
        statuses = [a["status"] for a in self.hooks.attempts()]
        self.assertEqual(statuses[-1], 200)
        self.assertTrue(set(statuses[:-1]) == {401})
        self.assertEqual(self.events().receipt_id, str(receipt_id))

    # --- what is refused writes nothing --- #

    @contextlib.contextmanager
    def captured_logs(self, name):
        """The messages logged on `name` (by any thread) inside the block."""
        messages = []
        handler = logging.Handler(logging.INFO)
        handler.emit = lambda record: messages.append(record.getMessage())
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        try:
            yield messages
        finally:
            logger.removeHandler(handler)

    def assertNothingWritten(self, before):
        self.env.invalidate_all()
        self.assertEqual((len(self.events()), len(self.requests())), before)

    def test_forged_stale_replayed_and_unknown_shop_deliveries_write_nothing(self):
        self.hooks.settings(autosend=False)
        receipt_id = self.buy()
        self.deliver()
        before = (len(self.events()), len(self.requests()))
        self.assertEqual(before, (1, 1))
        with self.captured_logs(CONTROLLER_LOGGER) as logs:
            self.env.flush_all()
            shop_id = self.sandbox.seller["shop_id"]
            self.assertEqual(self.hooks.send_forged(shop_id, receipt_id), 401)
            self.assertEqual(self.hooks.send_stale(shop_id, receipt_id), 401)
            self.assertEqual(self.hooks.send_stale(shop_id, receipt_id, age=-600), 401)
            self.assertEqual(self.hooks.replay(), 409)
            # Another Etsy shop (not connected to this Odoo) posting to the generic URL.
            other = self.sandbox.add_shop("Stranger")
            self.sandbox.configure_webhook(other["shop_id"],
                                           self.base_url() + "/etsy_connector/webhook", SECRET)
            self.assertEqual(self.hooks.send_now(other["shop_id"], 1)[0], 404)
            # A URL naming another Odoo shop (not connected).
            self.sandbox.configure_webhook(
                shop_id, f"{self.base_url()}/etsy_connector/webhook/{self.shop_b.id}", SECRET)
            self.assertEqual(self.hooks.send_now(shop_id, receipt_id)[0], 404)
        self.assertNothingWritten(before)
        text = "\n".join(logs)
        self.assertNotIn("MfKQ9r8", text)
        self.assertNotIn("v1,", text)
        for reason in ("bad_signature", "stale", "replayed", "unknown_shop"):
            self.assertIn(reason, text)

    def test_a_disconnected_shop_gets_no_webhook(self):
        self.etsy_shop.state = "error"
        status, _webhook_id = self.hooks.send_now(self.sandbox.seller["shop_id"], 1)
        self.assertEqual(status, 404)
        self.assertNothingWritten((0, 0))

    def test_oversized_malformed_and_get_requests_are_refused(self):
        url = f"/etsy_connector/webhook/{self.etsy_shop.id}"
        big = json.dumps({"shop_id": 1, "event_type": "order.paid",
                          "resource_url": "x" * MAX_WEBHOOK_BODY}).encode()
        self.assertEqual(self.post(url, big, {"Content-Type": "application/json"}).status_code,
                         413)
        self.assertEqual(self.post(url, b"{not json", {"Content-Type": "application/json"})
                         .status_code, 400)
        self.assertEqual(self.opener.get(self.base_url() + url, timeout=10).status_code, 405)
        self.assertNothingWritten((0, 0))

    # --- the order import's lock: a webhook and the poller never import together --- #

    def test_a_receipt_request_waits_while_an_order_run_holds_the_lock(self):
        receipt_id = self.buy()
        self.deliver()
        Request = self.env["etsy.sync.request"]
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s)",
                          [flow_lock_key(self.etsy_shop.id, "orders")])
            try:
                Request._cron_run_requests()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s)",
                              [flow_lock_key(self.etsy_shop.id, "orders")])
        self.assertFalse(self.order_of(receipt_id))
        waiting = self.requests()
        self.assertRecordValues(waiting, [{"receipt_id": str(receipt_id), "attempts": 1}])
        self.assertGreater(waiting.run_after, fields.Datetime.now())
        self.assertEqual(self.events().state, "pending")
        # Not due yet: the runner leaves it alone.
        Request._cron_run_requests()
        self.assertTrue(self.requests())
        waiting.run_after = fields.Datetime.now() - datetime.timedelta(seconds=1)
        Request._cron_run_requests()
        self.assertEqual(len(self.order_of(receipt_id)), 1)
        self.assertEqual(self.events().state, "done")
        self.assertFalse(self.requests())

    def test_a_receipt_request_gives_up_to_the_poller_after_many_tries(self):
        self.env["etsy.sync.request"].create({
            "shop_id": self.etsy_shop.id, "flow": "orders", "trigger": "cron",
            "receipt_id": "123", "attempts": MAX_BUSY_RETRIES})
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s)",
                          [flow_lock_key(self.etsy_shop.id, "orders")])
            try:
                self.env["etsy.sync.request"]._cron_run_requests()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s)",
                              [flow_lock_key(self.etsy_shop.id, "orders")])
        self.assertFalse(self.requests())

    def test_a_receipt_etsy_cannot_give_marks_the_event_failed(self):
        receipt_id = self.buy()
        self.deliver()
        self.sandbox.inject_fault("getShopReceipt", status=500)
        self.sandbox.inject_fault("getShopReceipt", count=5, status=500)
        self.run_requests()
        self.assertFalse(self.order_of(receipt_id))
        self.assertEqual(self.events().state, "failed")
        self.assertFalse(self.requests())

    def test_burst_of_100_purchases_with_the_poller_running(self):
        self.hooks.settings(autosend=False)
        receipt_ids = []
        for batch in range(10):
            receipt_ids += [self.buy() for _ in range(10)]
            self.deliver()
            # The poller and the request runner take turns, in both orders.
            if batch % 2:
                self.env["etsy.shop"]._cron_sync_orders()
                self.run_requests()
            else:
                self.run_requests()
                self.env["etsy.shop"]._cron_sync_orders()
        self.deliver()
        self.run_requests()
        self.env["etsy.shop"]._cron_sync_orders()

        self.assertEqual(len(set(receipt_ids)), 100)
        orders = self.env["sale.order"].search([
            ("etsy_shop_id", "=", self.etsy_shop.id),
            ("etsy_receipt_id", "in", [str(r) for r in receipt_ids])])
        self.assertEqual(len(orders), 100)
        self.assertEqual(sorted(orders.mapped("etsy_receipt_id")),
                         sorted(str(r) for r in receipt_ids))
        messages = self.env["etsy.discord.message"].search(
            [("order_id", "in", orders.ids), ("kind", "=", "order")])
        self.assertEqual(sorted(messages.order_id.ids), sorted(orders.ids))
        self.assertEqual(len(messages), 100)
        self.assertEqual(len(self.events()), 100)
        self.assertEqual(set(self.events().mapped("state")), {"done"})


@tagged("post_install", "-at_install")
class TestWebhookSettings(SandboxCase):
    """The secret's protection, the shop's webhook health and the polling it allows."""

    def event(self, shop, receipt_id="1", received_at=None):
        event = self.env["etsy.webhook.event"]._record(
            shop, f"msg_{receipt_id}_{time.monotonic_ns()}",
            {"event_type": "order.paid", "resource_url": "", "receipt_id": receipt_id})
        if received_at:
            event.received_at = received_at
        self.env.invalidate_all()
        return event

    def test_the_secret_is_manager_only_masked_and_neutralized(self):
        self.shop.etsy_webhook_secret = SECRET
        field = self.env["etsy.shop"]._fields["etsy_webhook_secret"]
        self.assertEqual(field.groups, "etsy_connector.group_etsy_manager")
        self.assertFalse(field.copy)
        self.assertFalse(field.exportable)
        with self.assertRaises(AccessError):
            self.shop.with_user(self.user).read(["etsy_webhook_secret"])
        self.assertEqual(self.shop.with_user(self.manager).etsy_webhook_secret, SECRET)

        def form(user):
            arch = self.env["etsy.shop"].with_user(user).get_views([(False, "form")])
            return etree.fromstring(arch["views"]["form"]["arch"])

        self.assertFalse(form(self.user).xpath("//field[@name='etsy_webhook_secret']"))
        node = form(self.manager).xpath("//field[@name='etsy_webhook_secret']")[0]
        self.assertEqual(node.get("password"), "True")
        self.assertTrue(form(self.user).xpath("//field[@name='webhook_url']"))

        self.env.flush_all()
        for query in neutralize.get_neutralization_queries(["etsy_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertFalse(self.shop.etsy_webhook_secret)

    def test_events_are_manager_read_only(self):
        event = self.event(self.etsy_shop)
        self.assertTrue(event.with_user(self.manager).read(["receipt_id"]))
        with self.assertRaises(AccessError):
            event.with_user(self.user).read(["receipt_id"])
        with self.assertRaises(AccessError):
            event.with_user(self.manager).write({"state": "done"})

    def test_webhook_url_is_the_callback_urls_sibling(self):
        base = self.etsy_shop.get_base_url()
        self.assertEqual(self.etsy_shop.webhook_url,
                         f"{base}/etsy_connector/webhook/{self.etsy_shop.id}")

    def test_dashboard_warns_when_orders_came_but_no_webhook_did(self):
        shop = self.etsy_shop
        self.assertFalse(shop.webhook_warning, "no secret: webhooks are not in use")
        shop.etsy_webhook_secret = SECRET
        self.assertEqual(shop.dashboard_webhook_age, "never")
        self.assertFalse(shop.webhook_warning, "no order either")
        shop._sync_etsy_orders(trigger="manual")  # seed receipts become orders now
        shop.invalidate_recordset()
        self.assertTrue(shop.webhook_warning)
        self.event(shop, received_at=fields.Datetime.now() - datetime.timedelta(days=2))
        shop.invalidate_recordset()
        self.assertTrue(shop.webhook_warning)
        self.event(shop)
        shop.invalidate_recordset()
        self.assertFalse(shop.webhook_warning)
        self.assertEqual(shop.dashboard_webhook_age, "just now")

    def test_replays_are_recorded_once(self):
        Event = self.env["etsy.webhook.event"]
        body = {"event_type": "order.paid", "resource_url": "", "receipt_id": "7"}
        self.assertTrue(Event._record(self.etsy_shop, "msg_same", body))
        self.assertFalse(Event._record(self.etsy_shop, "msg_same", body))
        # The same id for another shop is another event.
        other = self.make_connected_shop("Other", self.company_b)
        self.assertTrue(Event._record(other, "msg_same", body))

    def test_old_events_are_vacuumed(self):
        old = self.event(self.etsy_shop, "1", fields.Datetime.now() - WEBHOOK_EVENT_RETENTION
                         - datetime.timedelta(days=1))
        recent = self.event(self.etsy_shop, "2")
        self.env["etsy.webhook.event"]._gc_old_events()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_a_longer_poll_interval_only_while_webhooks_are_healthy(self):
        shop = self.etsy_shop
        shop.write({"etsy_webhook_secret": SECRET, "webhook_poll_interval": "60"})
        shop._sync_etsy_orders(trigger="cron")  # polled just now
        shop.invalidate_recordset()
        self.assertEqual(due_for_order_poll(shop), shop, "no webhook yet")
        newest = self.orders().sorted("id")[-1]
        self.event(shop, newest.etsy_receipt_id)
        shop.invalidate_recordset()
        self.assertFalse(due_for_order_poll(shop), "healthy and polled recently")
        shop.webhook_poll_interval = "10"
        self.assertEqual(due_for_order_poll(shop), shop, "the shop chose 10 minutes")
        shop.webhook_poll_interval = "60"
        # Polled more than an hour ago: due.
        self.env["etsy.sync.state"]._for(shop, "orders").watermark = (
            fields.Datetime.now() - datetime.timedelta(hours=2))
        shop.invalidate_recordset()
        self.assertEqual(due_for_order_poll(shop), shop)

    def test_an_order_the_webhooks_missed_makes_them_unhealthy(self):
        shop = self.etsy_shop
        shop.write({"etsy_webhook_secret": SECRET, "webhook_poll_interval": "240"})
        self.event(shop, "1", fields.Datetime.now() - datetime.timedelta(hours=1))
        shop._sync_etsy_orders(trigger="cron")  # orders created now, with no webhook of theirs
        shop.invalidate_recordset()
        self.assertFalse(webhooks_healthy(shop))
        self.assertEqual(due_for_order_poll(shop), shop)
