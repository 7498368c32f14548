"""Validated deliveries -> Etsy shipments (createReceiptShipment), against the sandbox over HTTP."""

import datetime
import time
from unittest.mock import patch

from lxml import etree

from odoo import fields
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from ..etsy.client import EtsyClient
from ..etsy.money import epoch_to_datetime
from .sandbox_common import SandboxCase

SHIPMENT = "createReceiptShipment"
HOSTILE = "<img src=x onerror=alert(1)>"


class ShippingCase(SandboxCase):
    """Helpers: buy on Etsy and import, validate deliveries, run the send-tracking job."""

    def setUp(self):
        super().setUp()
        self.listings = self.sandbox.world.seed_listings

    def etsy_order(self, listing="trimmer", quantity=1, **receipt):
        """A buyer purchases on Etsy; the receipt is imported and confirmed."""
        receipt = self.sandbox.buy(self.listings[listing], quantity=quantity, **receipt)
        order, _log = self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.assertEqual(order.state, "sale")
        return order, receipt["receipt_id"]

    def delivery(self, order):
        return order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel"))

    def validate(self, picking, tracking=None, carrier=None, quantity=None):
        """Validate as a warehouse user would, with a backorder for a partial quantity."""
        picking.write({"etsy_tracking_code": tracking or False,
                       "etsy_carrier_id": carrier.id if carrier else False})
        if quantity is not None:
            picking.move_ids.write({"quantity": quantity, "picked": True})
        result = picking.button_validate()
        if isinstance(result, dict):
            Form.from_action(self.env, result).save().process()
        self.assertEqual(picking.state, "done")
        return picking

    def push(self):
        self.env.ref("etsy_connector.ir_cron_push_tracking").method_direct_trigger()

    def shipments(self, receipt_id):
        return self.sandbox.receipt(receipt_id)["shipments"]

    def posts(self):
        return self.sandbox.calls(SHIPMENT)

    def shop_count(self, field_name):
        self.etsy_shop.invalidate_recordset([field_name])
        return self.etsy_shop[field_name]

    def make_due(self, picking):
        # What the passing of time does between two runs of the job.
        picking.etsy_next_push_at = fields.Datetime.now() - datetime.timedelta(seconds=1)


@tagged("post_install", "-at_install")
class TestTrackingPush(ShippingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("etsy_connector.ir_cron_push_tracking")
        cls.usps = cls.env.ref("etsy_connector.etsy_carrier_usps")

    # --- the push --- #

    def test_validation_queues_and_the_job_sends_once(self):
        self.etsy_shop.tracking_send_bcc = True
        order, receipt_id = self.etsy_order()
        picking = self.delivery(order)
        self.assertTrue(picking.etsy_is_delivery)
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

        self.validate(picking, tracking="9400 1118 9922 3817 6345 67", carrier=self.usps)

        self.assertEqual(picking.etsy_push_state, "to_push")
        self.assertFalse(self.posts(), "validating never calls Etsy itself")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers_before + 1, "validation wakes the send-tracking job")
        self.assertEqual((self.cron.code, self.cron.active, self.cron.interval_number,
                          self.cron.interval_type),
                         ("model._run_for_connected_shops('_etsy_push_tracking')", True, 10,
                          "minutes"))

        self.push()
        self.assertEqual(picking.etsy_push_state, "pushed", picking.etsy_push_message)
        self.assertEqual(picking.etsy_pushed_tracking, "9400 1118 9922 3817 6345 67")
        self.assertEqual(picking.etsy_pushed_carrier, "usps")
        shipment, = self.shipments(receipt_id)
        self.assertEqual((shipment["carrier_name"], shipment["tracking_code"]),
                         ("usps", "9400 1118 9922 3817 6345 67"))
        meta = self.sandbox.receipt_meta(receipt_id)
        self.assertEqual((meta["notifications"], meta["bcc_notifications"]), (1, 1))
        self.assertEqual(meta["shipment_encodings"], ["json"])
        self.assertTrue(order.etsy_is_shipped)
        self.assertEqual(order.etsy_status, "completed")
        self.assertIn("Tracking on Etsy: usps 9400", picking.message_ids[:1].body)

        self.push()
        self.etsy_shop._sync_etsy_orders(trigger="manual")
        self.push()
        self.assertEqual(len(self.posts()), 1, "exactly once")
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 1)
        logs = self.env["etsy.sync.log"].search([("shop_id", "=", self.etsy_shop.id),
                                                 ("operation", "=", "shipping")])
        self.assertEqual(len(logs), 1, "a run with nothing to send leaves no log")
        self.assertEqual((logs.state, logs.records_created, logs.api_calls), ("done", 1, 2))

        picking.etsy_tracking_code = "9400111899223817634567"
        self.assertEqual(picking.etsy_push_state, "pushed", "the same code, spaced differently")
        picking.etsy_tracking_code = "9400111899223817639999"
        self.assertEqual(picking.etsy_push_state, "to_push", "a corrected code is news for Etsy")
        self.push()
        self.assertEqual([s["tracking_code"] for s in self.shipments(receipt_id)],
                         ["9400 1118 9922 3817 6345 67", "9400111899223817639999"])

    def test_carriers_are_mapped_to_etsy_names(self):
        bobs = self.env["etsy.carrier"].create({"name": "Bob's Courier", "code": " Other "})
        self.assertEqual(bobs.code, "other")
        fedex = self.env.ref("etsy_connector.etsy_carrier_fedex")
        cases = [("FX-1", fedex), ("BOB-1", bobs), ("UPS-1", None), ("NONE-1", None)]
        pickings = []
        for code, carrier in cases:
            order, _receipt_id = self.etsy_order()
            if code == "NONE-1":
                self.etsy_shop.default_carrier_id = False
            elif code == "UPS-1":
                self.etsy_shop.default_carrier_id = self.env.ref("etsy_connector.etsy_carrier_ups")
            pickings.append(self.validate(self.delivery(order), tracking=code, carrier=carrier))
            self.push()

        bodies = {call["body"]["tracking_code"]: call["body"] for call in self.posts()}
        self.assertEqual(bodies["FX-1"]["carrier_name"], "fedex")
        self.assertNotIn("note_to_buyer", bodies["FX-1"])
        self.assertEqual(bodies["BOB-1"]["carrier_name"], "other")
        self.assertEqual(bodies["BOB-1"]["note_to_buyer"], "Shipped with Bob's Courier.")
        self.assertEqual(bodies["UPS-1"]["carrier_name"], "ups", "the shop's default carrier")
        self.assertEqual(bodies["NONE-1"]["carrier_name"], "other")
        self.assertNotIn("note_to_buyer", bodies["NONE-1"])
        for picking in pickings:
            self.assertEqual(picking.etsy_push_state, "pushed", picking.etsy_push_message)
        self.assertIn("Bob's Courier is not on Etsy's list", pickings[1].etsy_push_message)
        self.assertIn("without a tracking link", pickings[3].etsy_push_message)
        self.assertFalse(pickings[0].etsy_push_message)

    def test_nothing_is_sent_for_digital_or_cancelled_orders(self):
        digital, digital_receipt = self.etsy_order("guide")
        physical, cancelled_receipt = self.etsy_order()
        # A download ships nothing: its order has no delivery at all (defect 11.8).
        self.assertFalse(digital.picking_ids)
        self.validate(self.delivery(physical), tracking="LATE-CANCEL", carrier=self.usps)
        self.sandbox.cancel_receipt(cancelled_receipt)

        self.push()
        cancelled_picking = physical.picking_ids
        self.assertEqual(cancelled_picking.etsy_push_state, "skipped")
        self.assertIn("canceled on Etsy", cancelled_picking.etsy_push_message)
        self.assertFalse(self.posts())
        for receipt_id in (digital_receipt, cancelled_receipt):
            self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 0)

    # --- never twice --- #

    def test_timeout_then_the_retry_finds_the_shipment_instead_of_posting(self):
        order, receipt_id = self.etsy_order()
        picking = self.validate(self.delivery(order), tracking="TIMEOUT-1", carrier=self.usps)
        # Etsy applies the shipment, but only after the client gave up waiting.
        self.sandbox.inject_fault(SHIPMENT, hang=1.5, process=True)
        self.env["ir.config_parameter"].set_param("etsy_connector.http_timeout", "0.5")
        answer = picking.action_etsy_push_tracking()
        self.assertEqual(picking.etsy_push_state, "unknown")
        self.assertEqual(answer["params"]["type"], "warning")
        self.assertIn("may or may not have been applied", picking.etsy_push_message)
        self.assertEqual(self.shop_count("tracking_issue_count"), 1)

        deadline = time.monotonic() + 10
        while not self.shipments(receipt_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        answer = picking.action_etsy_push_tracking()

        self.assertEqual(answer["params"]["type"], "success")
        self.assertEqual(picking.etsy_push_state, "pushed")
        self.assertIn("answer was lost", picking.etsy_push_message)
        self.assertEqual(len(self.posts()), 1, "the retry read the receipt instead of posting")
        self.assertEqual(len(self.shipments(receipt_id)), 1)
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 1)
        self.assertEqual(self.shop_count("tracking_issue_count"), 0)

    def test_server_error_after_applying_is_checked_by_the_job(self):
        order, receipt_id = self.etsy_order()
        picking = self.validate(self.delivery(order), tracking="ERR500-1", carrier=self.usps)
        self.sandbox.inject_fault(SHIPMENT, status=500, process=True)
        self.push()
        self.assertEqual(picking.etsy_push_state, "unknown")
        self.assertIn("checked on Etsy before anything is sent again", picking.etsy_push_message)
        self.assertGreater(picking.etsy_next_push_at, fields.Datetime.now())

        self.sandbox.clear_journal()
        self.push()
        self.assertFalse(self.sandbox.journal, "not due yet: Etsy may still be applying it")

        self.make_due(picking)
        self.push()
        self.assertEqual(picking.etsy_push_state, "pushed")
        self.assertFalse(self.posts())
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 1)

    def test_crash_after_the_post_leaves_it_to_check_and_never_posts_twice(self):
        order, receipt_id = self.etsy_order()
        picking = self.validate(self.delivery(order), tracking="CRASH-1", carrier=self.usps)
        post = EtsyClient.create_receipt_shipment

        def post_then_die(client, *args, **kwargs):
            post(client, *args, **kwargs)
            raise RuntimeError("the worker died before Etsy's answer was recorded")

        with patch.object(EtsyClient, "create_receipt_shipment", post_then_die), \
                self.assertLogs("odoo.addons.etsy_connector.models.etsy_run", "ERROR"):
            self.push()
        # The run frame rolled back what followed the POST, not the commit made before it.
        self.assertEqual(picking.etsy_push_state, "unknown")
        log = self.env["etsy.sync.log"].search([("operation", "=", "shipping")], limit=1)
        self.assertEqual(log.state, "failed")
        self.assertIn("RuntimeError", log.message)
        self.assertEqual(len(self.posts()), 1)

        self.make_due(picking)
        self.push()
        self.assertEqual(picking.etsy_push_state, "pushed")
        self.assertIn("answer was lost", picking.etsy_push_message)
        self.assertEqual(len(self.posts()), 1, "the retry read the receipt instead of posting")
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 1)

    def test_buyer_text_quoted_by_etsy_stays_text_in_the_chatter(self):
        order, _receipt_id = self.etsy_order(
            buyer={"name": f"{HOSTILE} @everyone"}, gift_message=f"@everyone {HOSTILE}")
        picking = self.validate(self.delivery(order), tracking="HOSTILE-1", carrier=self.usps)
        self.sandbox.inject_fault(SHIPMENT, status=400,
                                  body={"error": f"Cannot ship to {HOSTILE}"})
        self.push()
        self.assertEqual(picking.etsy_push_state, "failed")
        said, = [body for body in picking.message_ids.mapped("body")
                 if "Tracking not sent to Etsy" in body]
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", said)
        for body in picking.message_ids.mapped("body"):
            self.assertNotIn("<img", body)

    def test_partial_deliveries_push_their_own_tracking(self):
        order, receipt_id = self.etsy_order(quantity=3)
        first = self.delivery(order)
        self.validate(first, tracking="PART-1", carrier=self.usps, quantity=1)
        second = self.delivery(order)
        self.assertEqual(second.backorder_id, first)
        self.assertEqual(second.etsy_ship_by, first.etsy_ship_by)
        self.push()
        self.assertEqual(first.etsy_push_state, "pushed")

        self.validate(second, quantity=1)
        self.push()
        self.assertEqual(second.etsy_push_state, "skipped")
        self.assertIn("nothing new", second.etsy_push_message)

        third = self.delivery(order)
        self.validate(third, tracking="PART-2, PART-3", carrier=self.usps)
        self.push()
        self.assertEqual(third.etsy_push_state, "pushed")
        self.assertIn("PART-3 was not sent", third.etsy_push_message)

        self.assertEqual([s["tracking_code"] for s in self.shipments(receipt_id)],
                         ["PART-1", "PART-2"])
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 2)
        self.assertEqual(len(self.posts()), 2)

    # --- failures: visible, retried --- #

    def test_missing_tracking_code_fails_then_goes_once_entered(self):
        order, receipt_id = self.etsy_order()  # US buyer, over $10: Etsy wants a tracking code
        picking = self.validate(self.delivery(order))
        self.push()

        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.etsy_push_state, "failed")
        self.assertIn("requires a tracking code", picking.etsy_push_message)
        self.assertEqual(picking.etsy_push_attempts, 1)
        self.assertEqual(self.shop_count("tracking_issue_count"), 1)
        log = self.env["etsy.sync.log"].search([("operation", "=", "shipping")], limit=1)
        self.assertEqual(log.state, "partial")
        self.assertIn("requires a tracking code", log.line_ids.message)

        self.sandbox.clear_journal()
        self.push()
        self.assertFalse(self.sandbox.journal, "a failure waits before its retry")

        first_wait = picking.etsy_next_push_at - fields.Datetime.now()
        self.make_due(picking)
        self.push()
        self.assertEqual((picking.etsy_push_state, picking.etsy_push_attempts), ("failed", 2))
        self.assertGreater(picking.etsy_next_push_at - fields.Datetime.now(), first_wait,
                           "each retry waits longer")
        said = picking.message_ids.filtered(lambda m: "requires a tracking code" in m.body)
        self.assertEqual(len(said), 1, "the same refusal is said once in the chatter")

        picking.etsy_tracking_code = "ENTERED-1"
        self.assertEqual(picking.etsy_push_state, "to_push")
        self.push()
        self.assertEqual(picking.etsy_push_state, "pushed")
        self.assertEqual(self.shipments(receipt_id)[0]["tracking_code"], "ENTERED-1")
        self.assertEqual(self.shop_count("tracking_issue_count"), 0)

    def test_revoked_token_flags_the_delivery_and_the_job_retries_after_reconnect(self):
        order, receipt_id = self.etsy_order()
        picking = self.validate(self.delivery(order), tracking="REVOKED-1", carrier=self.usps)
        self.sandbox.revoke_tokens()
        self.push()

        self.assertEqual(self.etsy_shop.state, "error")
        self.assertEqual(picking.etsy_push_state, "failed")
        self.assertIn("Reconnect", picking.etsy_push_message)
        log = self.env["etsy.sync.log"].search([("operation", "=", "shipping")], limit=1)
        self.assertEqual(log.state, "failed")

        self.connect_with_fresh_tokens(self.etsy_shop)
        self.make_due(picking)
        self.push()
        self.assertEqual(picking.etsy_push_state, "pushed")
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 1)

    def test_refused_push_is_retried_by_the_button_and_manual_mode(self):
        self.etsy_shop.push_tracking = False
        order, receipt_id = self.etsy_order(buyer={"country_iso": "GB"})
        picking = self.validate(self.delivery(order))
        self.assertFalse(picking.etsy_push_state, "automatic sending is off for this shop")
        self.push()
        self.assertFalse(self.posts())

        self.sandbox.inject_fault(SHIPMENT, status=403)
        answer = picking.action_etsy_push_tracking()
        self.assertEqual(answer["params"]["type"], "danger")
        self.assertEqual(picking.etsy_push_state, "failed")
        self.assertIn("Etsy refused this operation", picking.etsy_push_message)

        answer = picking.action_etsy_push_tracking()
        self.assertEqual(answer["params"]["type"], "success")
        self.assertEqual(picking.etsy_push_state, "pushed")
        self.assertTrue(self.sandbox.receipt(receipt_id)["is_shipped"], "shipped without tracking")
        self.assertEqual(self.sandbox.receipt_meta(receipt_id)["notifications"], 1)


@tagged("post_install", "-at_install")
class TestEtsyShipBy(ShippingCase):
    def late(self):
        return self.env["stock.picking"].search(
            self.etsy_shop.with_context(etsy_view="late_deliveries").action_view_related()["domain"])

    def late_filter_domain(self):
        """The domain of the transfers' "Late against Etsy ship-by date" filter, as the web
        client evaluates it today."""
        views = self.env["stock.picking"].get_views([(False, "search")])
        node, = etree.fromstring(views["views"]["search"]["arch"]).xpath(
            "//filter[@name='etsy_late']")
        return safe_eval(node.get("domain"), {"current_date": fields.Date.today().isoformat()})

    def test_ship_by_date_schedules_the_delivery_and_shows_it_late(self):
        receipt_id = self.sandbox.world.seed_receipts["us_tax"]
        receipt = self.sandbox.receipt(receipt_id)
        ship_by = epoch_to_datetime(receipt["transactions"][0]["expected_ship_date"])
        order, _log = self.etsy_shop.import_receipt_by_id(receipt_id)
        picking = order.picking_ids

        self.assertEqual(picking.etsy_ship_by, ship_by)
        self.assertEqual(picking.scheduled_date, ship_by)
        self.assertEqual(picking.date_deadline, ship_by)
        self.assertFalse(picking.has_deadline_issue)
        self.assertLess(ship_by, fields.Datetime.now(), "the seeded order is 45 days old")
        self.assertEqual(self.late(), picking)
        self.assertEqual(self.shop_count("late_delivery_count"), 1)
        self.assertEqual(self.env["stock.picking"].search(self.late_filter_domain()), picking)

        fresh_order, _receipt_id = self.etsy_order()
        self.assertGreater(fresh_order.picking_ids.etsy_ship_by, fields.Datetime.now())
        self.assertEqual(self.late(), picking, "a delivery not yet due is not late")

        self.validate(picking)
        self.assertFalse(self.late())
        self.assertEqual(self.shop_count("late_delivery_count"), 0)

    def test_changed_ship_by_date_moves_the_open_delivery(self):
        receipt_id = self.sandbox.world.seed_receipts["us_tax"]
        order, _log = self.etsy_shop.import_receipt_by_id(receipt_id)
        later = fields.Datetime.now().replace(microsecond=0) + datetime.timedelta(days=3)
        with self.sandbox.world.lock:  # the seller edits the ship-by date on Etsy
            transaction = self.sandbox.world.receipts[receipt_id].data["transactions"][0]
            transaction["expected_ship_date"] = int(
                later.replace(tzinfo=datetime.timezone.utc).timestamp())

        _order, log = self.etsy_shop.import_receipt_by_id(receipt_id)

        self.assertEqual(log.counts["updated"], 1)
        self.assertEqual(order.order_line.filtered("etsy_transaction_id").etsy_ship_by, later)
        self.assertEqual(order.picking_ids.scheduled_date, later)
        self.assertFalse(self.late())

    def test_manual_confirmation_schedules_the_delivery_too(self):
        self.etsy_shop.auto_confirm = False
        receipt = self.sandbox.buy(self.listings["trimmer"])
        order, _log = self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.assertEqual(order.state, "draft")
        order.action_confirm()
        ship_by = epoch_to_datetime(receipt["transactions"][0]["expected_ship_date"])
        self.assertEqual(order.picking_ids.scheduled_date, ship_by)
        self.assertEqual(order.picking_ids.etsy_ship_by, ship_by)
