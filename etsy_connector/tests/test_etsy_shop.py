import datetime

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import REFRESH_TOKEN, EtsyCase


@tagged("post_install", "-at_install")
class TestEtsyShop(EtsyCase):
    def test_manager_creates_shop_with_defaults(self):
        shop = self.env["etsy.shop"].with_user(self.manager).create({"name": "New shop"})
        self.assertEqual(shop.state, "draft")
        self.assertTrue(shop.active)
        self.assertEqual(shop.company_id, self.company_a)
        self.assertEqual(shop.api_base_url, "https://openapi.etsy.com")
        self.assertEqual(shop.oauth_base_url, "https://www.etsy.com")
        first_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_a.id)], limit=1
        )
        self.assertTrue(first_warehouse)
        self.assertEqual(shop.warehouse_id, first_warehouse)
        self.assertFalse(shop.has_credentials)
        self.assertFalse(shop.is_token_valid)
        self.assertTrue(shop.redirect_uri.endswith("/etsy_connector/oauth/callback"))
        self.assertTrue(shop.redirect_uri.startswith("http"))

    def test_form_fills_warehouse_of_chosen_company(self):
        manager = self.manager
        manager.company_ids |= self.company_b
        with Form(self.env["etsy.shop"].with_user(manager)) as form:
            form.name = "Shop in B"
            form.company_id = self.company_b
        shop = form.record
        self.assertEqual(shop.warehouse_id.company_id, self.company_b)
        self.assertEqual(shop.state, "draft")

    def test_warehouse_of_another_company_is_refused(self):
        warehouse_b = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_b.id)], limit=1
        )
        with self.assertRaises(UserError):
            self.shop.warehouse_id = warehouse_b

    def test_base_urls_are_normalised_and_checked(self):
        self.shop.write(
            {"api_base_url": " http://127.0.0.1:8999/ ", "oauth_base_url": "http://localhost:8999/"}
        )
        self.assertEqual(self.shop.api_base_url, "http://127.0.0.1:8999")
        self.assertEqual(self.shop.oauth_base_url, "http://localhost:8999")
        for bad in ("openapi.etsy.com", "ftp://openapi.etsy.com", "https://openapi.etsy.com?x=1"):
            with self.subTest(url=bad), self.assertRaises(ValidationError):
                self.shop.api_base_url = bad

    def test_etsy_shop_id_unique_per_company(self):
        # The same Etsy shop may be set up in another company...
        self.shop_b.etsy_shop_id = self.shop.etsy_shop_id
        self.shop_b.flush_recordset()
        # ...but not twice in one company.
        twin = self.env["etsy.shop"].create({"name": "Twin", "company_id": self.company_a.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            twin.etsy_shop_id = self.shop.etsy_shop_id
            twin.flush_recordset()

    def test_copy_keeps_no_secret_nor_connection(self):
        copy = self.shop.copy()
        self.assertEqual(copy.state, "draft")
        for field_name in (
            "keystring",
            "shared_secret",
            "access_token",
            "refresh_token",
            "discord_webhook_url",
            "etsy_shop_id",
        ):
            self.assertFalse(copy[field_name], field_name)
        self.assertEqual(copy.warehouse_id, self.shop.warehouse_id)

    def test_connect_asks_for_missing_credentials(self):
        shop = self.env["etsy.shop"].with_user(self.manager).create({"name": "Unconfigured"})
        with self.assertRaisesRegex(UserError, "Fill in Keystring and Shared Secret before"):
            shop.action_connect()
        shop.keystring = "only-the-key"
        with self.assertRaisesRegex(UserError, "Fill in Shared Secret before"):
            shop.action_connect()

    def test_a_new_shop_shows_its_callback_url_before_it_is_saved(self):
        with Form(self.env["etsy.shop"].with_user(self.manager)) as form:
            form.name = "Fresh"
            self.assertTrue(form.redirect_uri.endswith("/etsy_connector/oauth/callback"))

    def test_public_flags_follow_secrets(self):
        as_user = self.shop.with_user(self.user)
        self.assertTrue(as_user.has_credentials)
        self.assertTrue(as_user.is_token_valid)
        self.shop.refresh_token_expires_at = "2001-01-01 00:00:00"
        self.shop.invalidate_recordset()
        self.assertFalse(as_user.is_token_valid)
        self.shop.write({"refresh_token_expires_at": "2999-01-01 00:00:00", "shared_secret": False})
        self.shop.invalidate_recordset()
        self.assertTrue(as_user.is_token_valid)
        self.assertFalse(as_user.has_credentials)

    def test_sync_log_smart_button(self):
        logs = self.env["etsy.sync.log"]
        with logs._open(self.shop, "orders"):
            pass
        with self.assertRaisesKeepingWrites(RuntimeError), logs._open(self.shop, "inventory"):
            raise RuntimeError("stock push refused")
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.sync_log_count, 2)
        self.assertEqual(self.shop.sync_log_failed_count, 1)
        action = self.shop.with_context(etsy_view="sync_logs").action_view_related()
        self.assertEqual(action["res_model"], "etsy.sync.log")
        self.assertEqual(logs.search(action["domain"]), self.shop.sync_log_ids)

    def test_refresh_uses_the_pair_another_worker_just_rotated(self):
        """Etsy rotates refresh tokens: a worker holding the old one takes the new pair as is."""
        fresh_until = fields.Datetime.now() + datetime.timedelta(minutes=50)
        self.env["etsy.shop.token"]._store(self.shop, {
            "access_token": "12345678.rotatedaccessrotatedaccess",
            "refresh_token": "12345678.rotatedrefreshrotatedrefresh",
            "expires_at": fresh_until,
        })
        # No HTTP call may happen here: the test guard refuses any host but the loopback.
        tokens = self.env["etsy.shop.token"]._refresh(self.shop, REFRESH_TOKEN)
        self.assertEqual(tokens.refresh_token, "12345678.rotatedrefreshrotatedrefresh")
        self.assertEqual(tokens.expires_at, fresh_until)
        self.assertGreater(tokens.expires_in, 2900)
