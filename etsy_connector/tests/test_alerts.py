"""Failure alerts reach a person once per problem; the dashboard, 'Sync now' and log retention."""

import datetime

from odoo import fields
from odoo.tests import tagged

from ..models.flow_notify import FailureAlerts
from .common import EtsyCase
from .sandbox_common import SandboxCase

STREAK_SUMMARY = "Etsy sync keeps failing"


@tagged("post_install", "-at_install")
class TestSyncFailureAlert(EtsyCase):
    def run_logged(self, state, message="Etsy answered 500"):
        """A finished order sync of the shop, then the check made after each scheduled run."""
        self.env["etsy.sync.log"].create({
            "shop_id": self.shop.id, "operation": "orders", "trigger": "cron", "state": state,
            "message": message if state == "failed" else "ok",
            "finished_at": fields.Datetime.now(),
        })
        FailureAlerts(self.shop).check()

    def alerts(self):
        return self.shop.activity_ids.filtered(lambda a: a.summary == STREAK_SUMMARY)

    def bodies(self, text):
        """Chatter messages with ``text`` (not the 'activity done' notes that quote it)."""
        posts = self.shop.message_ids.filtered(lambda m: not m.mail_activity_type_id)
        return [body for body in posts.mapped("body") if text in body]

    def test_raised_once_per_streak_and_cleared_on_success(self):
        self.run_logged("failed")
        self.run_logged("failed")
        self.assertFalse(self.alerts(), "two failures are below the threshold of three")
        self.run_logged("failed")
        self.assertEqual(len(self.alerts()), 1)
        self.assertIn("Sync Logs", self.alerts().note)
        self.assertEqual(len(self.bodies("synchronisations of Shop A failed")), 1)
        self.assertIn(self.alerts().user_id, self.env.ref(
            "etsy_connector.group_etsy_manager").users)
        self.run_logged("failed")
        self.run_logged("failed")
        self.assertEqual(len(self.alerts()), 1, "not repeated at every run")
        self.assertEqual(len(self.bodies("synchronisations of Shop A failed")), 1)

        self.run_logged("done")
        self.assertFalse(self.alerts(), "the activity is marked done")
        self.assertEqual(len(self.bodies("works again")), 1)
        self.assertFalse(self.shop.alert_keys)

        for __ in range(3):
            self.run_logged("failed")
        self.assertEqual(len(self.alerts()), 1, "a new streak is a new alert")
        self.assertEqual(len(self.bodies("synchronisations of Shop A failed")), 2)

    def test_an_error_quoting_a_buyer_stays_text(self):
        hostile = "<img src=x onerror=alert(1)>"
        for __ in range(3):
            self.run_logged("failed", f"receipt 42: buyer {hostile} @everyone")
        body, = self.bodies("synchronisations of Shop A failed")
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", body)
        self.assertNotIn("<img", body)
        self.assertIn("&lt;img", self.alerts().note)
        self.assertNotIn("<img", self.alerts().note)

    def test_expiring_authorization_is_announced_once(self):
        summary = "Etsy authorization expires soon"
        self.shop.refresh_token_expires_at = fields.Datetime.now() + datetime.timedelta(days=5)
        self.env["etsy.shop"]._cron_check_health()
        self.env["etsy.shop"]._cron_check_health()
        activity = self.shop.activity_ids.filtered(lambda a: a.summary == summary)
        self.assertEqual(len(activity), 1)
        self.assertIn("Reconnect", activity.note)
        self.shop.refresh_token_expires_at = fields.Datetime.now() + datetime.timedelta(days=80)
        self.env["etsy.shop"]._cron_check_health()
        self.assertFalse(self.shop.activity_ids.filtered(lambda a: a.summary == summary))


@tagged("post_install", "-at_install")
class TestRevokedShopAlert(SandboxCase):
    def test_revoked_token_reaches_a_person_and_the_ops_channel_within_one_run(self):
        sink = self.sandbox.discord
        self.etsy_shop.discord_ops_webhook_url = sink.webhook_url("77", "ops", base=self.server.url)
        self.sandbox.revoke_tokens()
        self.sandbox.expire_access_tokens()
        self.env["etsy.shop"]._cron_sync_orders()
        self.assertEqual(self.etsy_shop.state, "error")
        reconnect = self.etsy_shop.activity_ids.filtered(
            lambda a: a.summary == "Reconnect the Etsy shop")
        self.assertEqual(len(reconnect), 1)
        self.env.flush_all()
        self.env.cr.postcommit.run()
        self.assertEqual(len(sink.posts), 1)
        self.assertEqual(sink.posts[0]["webhook_id"], "77")
        self.assertIn("Reconnect", sink.posts[0]["payload"]["content"])

        self.env["etsy.shop"]._cron_sync_orders()  # the shop is in error: not synced again
        self.env["etsy.shop"]._cron_check_health()
        self.env.cr.postcommit.run()
        self.assertEqual(len(sink.posts), 1, "not repeated")
        self.assertEqual(len(self.etsy_shop.activity_ids.filtered(
            lambda a: a.summary == "Reconnect the Etsy shop")), 1)


@tagged("post_install", "-at_install")
class TestDashboard(SandboxCase):
    def test_sync_now_starts_the_cron_and_returns_at_once(self):
        cron = self.env.ref("etsy_connector.ir_cron_run_requests")
        answer = self.etsy_shop.action_sync_orders()
        self.assertIn("Order sync of Etsy Sandbox Shop started in the background",
                      answer["params"]["message"])
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertFalse(self.orders(), "nothing imported inside the request")
        cron.active = False
        self.assertEqual(self.etsy_shop.action_sync_orders()["params"]["type"], "warning")

    def test_dashboard_figures(self):
        shop = self.etsy_shop
        self.assertEqual((shop.dashboard_orders_today, shop.dashboard_orders_sync_age),
                         (0, "never"))
        self.sandbox.buy(self.sandbox.world.seed_listings["tea"], quantity=1)
        shop._sync_etsy_orders(trigger="manual")
        self.assertEqual(shop.dashboard_orders_today, 1)
        self.assertGreaterEqual(shop.dashboard_orders_week, 1)
        self.assertEqual(shop.dashboard_orders_sync_age, "just now")
        self.assertEqual(shop.dashboard_inventory_sync_age, "never")
        self.assertGreater(shop.api_calls_left_today, 0)
        self.assertTrue(shop.api_calls_seen_at)
        self.assertGreaterEqual(shop.dashboard_token_days_left, 0)


@tagged("post_install", "-at_install")
class TestLogRetention(EtsyCase):
    def test_old_logs_are_deleted(self):
        Log = self.env["etsy.sync.log"]
        old = Log.create({"shop_id": self.shop.id, "operation": "orders", "state": "done",
                          "started_at": fields.Datetime.now() - datetime.timedelta(days=91)})
        recent = Log.create({"shop_id": self.shop.id, "operation": "orders", "state": "done",
                             "started_at": fields.Datetime.now() - datetime.timedelta(days=89)})
        self.assertEqual(Log._cron_purge_old_logs(), 1)
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.env["ir.config_parameter"].set_param("etsy_connector.sync_log_retention_days", "0")
        self.assertEqual(Log._cron_purge_old_logs(), 0, "0 keeps logs forever")
