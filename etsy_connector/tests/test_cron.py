import logging
from unittest.mock import patch

from odoo.tests import tagged

from .common import ACCESS_TOKEN, EtsyCase

SHOP_LOGGER = "odoo.addons.etsy_connector.models.etsy_shop"


@tagged("post_install", "-at_install")
class TestCronLoop(EtsyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        shops = cls.env["etsy.shop"]
        cls.shop.state = "connected"
        cls.shop_broken = shops.create({"name": "Broken", "company_id": cls.company_a.id})
        cls.shop_broken.write({"state": "connected", "access_token": ACCESS_TOKEN})
        cls.shop_b.state = "connected"
        cls.shop_draft = shops.create({"name": "Draft", "company_id": cls.company_a.id})
        cls.shop_archived = shops.create({"name": "Archived", "company_id": cls.company_a.id})
        cls.shop_archived.write({"state": "connected", "active": False})

    def _fake_sync(self, calls):
        """A stand-in for a sync method: records the call, and fails for one shop.

        (What a failing run leaves behind is the run frame's business: see test_run_frame.)
        """
        broken = self.shop_broken

        def sync(shop):
            calls.append((shop.id, shop.env.company.id))
            if shop == broken:
                raise RuntimeError(f"Etsy answered 500 for token {ACCESS_TOKEN}")

        return sync

    def test_failing_shop_never_stops_the_others(self):
        calls = []
        shop_class = type(self.shop)
        with (
            patch.object(shop_class, "_sync_etsy_orders", self._fake_sync(calls), create=True),
            self.assertLogs(SHOP_LOGGER, logging.ERROR) as logs,
        ):
            self.env["etsy.shop"]._cron_sync_orders()

        called = [shop_id for shop_id, __ in calls]
        self.assertCountEqual(called, (self.shop | self.shop_broken | self.shop_b).ids)
        self.assertEqual(dict(calls)[self.shop_b.id], self.company_b.id, "in the shop's company")

        self.assertEqual(len(logs.records), 1)
        self.assertIn("Broken", logs.output[0])
        self.assertIn("Etsy answered 500", logs.output[0])
        self.assertNotIn(ACCESS_TOKEN, logs.output[0])

    def test_inventory_cron_calls_inventory_sync(self):
        calls = []
        sync = self._fake_sync(calls)
        with (
            patch.object(type(self.shop), "_sync_etsy_inventory", sync, create=True),
            self.assertLogs(SHOP_LOGGER, logging.ERROR),
        ):
            self.env["etsy.shop"]._cron_sync_inventory()
        self.assertEqual(len(calls), 3)

    def test_crons_are_installed(self):
        for xmlid, code, interval in (
            ("etsy_connector.ir_cron_sync_orders", "model._cron_sync_orders()", (10, "minutes")),
            ("etsy_connector.ir_cron_sync_inventory", "model._cron_sync_inventory()",
             (15, "minutes")),
            ("etsy_connector.ir_cron_import_listings",
             "model._run_for_connected_shops('_etsy_import_listings')",
             (1, "days")),
        ):
            with self.subTest(cron=xmlid):
                cron = self.env.ref(xmlid)
                self.assertTrue(cron.active)
                self.assertEqual(cron.model_id.model, "etsy.shop")
                self.assertEqual(cron.code, code)
                self.assertEqual((cron.interval_number, cron.interval_type), interval)
