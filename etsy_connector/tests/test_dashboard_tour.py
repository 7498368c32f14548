"""The dashboard in a real headless Chromium: create and connect a shop, Sync now, see the order;
follow a long run on the card and in the sync logs."""

import threading
from unittest.mock import patch

from odoo.sql_db import db_connect
from odoo.tests import HttpCase, common, new_test_user, tagged

from ..models import etsy_shop_dashboard
from ..models.etsy_run import flow_lock_key
from ..models.sync_log_recorder import SyncLogRecorder
from .common import MANAGER_GROUP
from .sandbox_common import EtsySandbox, require_sandbox

SHOP = "Etsy Tour Shop"


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        require_sandbox()
        super().setUpClass()
        cls.sandbox = EtsySandbox.seeded()
        # The consent page approves at once: the browser goes to the sandbox and straight back.
        cls.sandbox.auto_approve = True
        cls.server = cls.sandbox.serve_in_thread()
        cls.addClassCleanup(cls.server.stop)
        new_test_user(cls.env, login="etsy_tour_manager",
                      groups=f"{MANAGER_GROUP},sales_team.group_sale_manager,stock.group_stock_user")
        # New shops talk to the sandbox instead of etsy.com (the form's Advanced defaults).
        for field_name in ("api_base_url", "oauth_base_url"):
            cls.env["ir.default"].set("etsy.shop", field_name, cls.server.url)

    def test_connect_sync_and_see_the_order(self):
        # Odoo skips a tour silently without it: a browser test that never runs must show red.
        self.assertIsNotNone(common.websocket, "pip install websocket-client (Odoo drives "
                                               "Chromium through it)")
        self.start_tour("/odoo/action-etsy_connector.action_etsy_dashboard",
                        "etsy_dashboard_connect", login="etsy_tour_manager")
        shop = self.env["etsy.shop"].search([("name", "=", SHOP)])
        self.assertEqual(shop.state, "connected")
        self.assertEqual(shop.etsy_shop_id, str(self.sandbox.seller["shop_id"]))
        cron = self.env.ref("etsy_connector.ir_cron_run_requests")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]),
                        "'Sync now' scheduled the order import instead of running it inline")
        self.assertFalse(shop.order_ids, "nothing was imported while the browser waited")

        receipt = self.sandbox.buy(self.sandbox.world.seed_listings["tea"], quantity=2)
        # What the cron worker woken by the trigger does.
        cron.method_direct_trigger()
        order = shop.order_ids.filtered(lambda o: o.etsy_receipt_id == str(receipt["receipt_id"]))
        self.assertEqual(order.state, "sale")

        self.start_tour("/odoo/action-etsy_connector.action_etsy_dashboard",
                        "etsy_dashboard_orders", login="etsy_tour_manager")

    def test_the_card_follows_a_long_run(self):
        self.assertIsNotNone(common.websocket, "pip install websocket-client")
        shop = self.env["etsy.shop"].create({"name": "Etsy Progress Shop",
                                             "keystring": "wbw0sandbox0keystring001"})
        shop.state = "connected"
        # A listing import going on in another worker: its lock is held, its log is running.
        worker = db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(worker.close)
        worker.execute("SELECT pg_advisory_lock(%s)", [flow_lock_key(shop.id, "listings")])
        recorder = SyncLogRecorder(shop, "listings", "cron")
        recorder.progress(1200, 5000)
        # Once the card has shown it, the run goes on: the card must follow by itself.
        shown = threading.Event()
        current_runs = etsy_shop_dashboard.current_runs

        def runs_shown(shops):
            runs = current_runs(shops)
            if shop.id in runs and not shown.is_set():
                shown.set()
                timer = threading.Timer(1, recorder.progress, [2400, 5000])
                timer.start()
                self.addCleanup(timer.join)
            return runs

        with patch.object(etsy_shop_dashboard, "current_runs", runs_shown):
            self.start_tour("/odoo/action-etsy_connector.action_etsy_dashboard",
                            "etsy_dashboard_progress", login="etsy_tour_manager")
        self.assertTrue(shown.is_set())
