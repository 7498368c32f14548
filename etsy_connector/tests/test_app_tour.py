"""The Etsy app in a real headless Chromium, opened from Odoo's home menu in English, German and
French: its menus, actions, a sync-log message and an error in the user's language."""

from odoo.tests import HttpCase, common, new_test_user, tagged

from ..models.etsy_run import flow_lock_key
from .common import ACCESS_TOKEN, KEYSTRING, MANAGER_GROUP, REFRESH_TOKEN, SHARED_SECRET, HeldLock

LANGS = {"en": "en_US", "de": "de_DE", "fr": "fr_FR"}
GROUPS = f"{MANAGER_GROUP},sales_team.group_sale_manager,stock.group_stock_user"


@tagged("post_install", "-at_install")
class TestAppTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS.values():
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(["etsy_connector"], list(LANGS.values()))
        cls.users = {
            code: new_test_user(cls.env, login=f"etsy_app_{code}", lang=lang, groups=GROUPS)
            for code, lang in LANGS.items()
        }
        cls.shop = cls.env["etsy.shop"].create(
            {"name": "Etsy App Shop", "keystring": KEYSTRING, "shared_secret": SHARED_SECRET})
        cls.shop.write({"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
                        "etsy_shop_id": "5550001", "state": "connected"})
        cls.env["etsy.shop"].create({"name": "Etsy New Shop"})

    def write_a_log_as(self, user):
        """A stock push started by `user` while a listing import runs elsewhere: its log says so,
        without any call to Etsy, in the words of that user's language."""
        with HeldLock(self.env.cr.dbname, flow_lock_key(self.shop.id, "listings")):
            self.shop.with_user(user).with_context(lang=user.lang)._sync_etsy_inventory(
                trigger="manual")

    def test_the_app_opens_from_the_home_menu_in_the_users_language(self):
        # Odoo skips a tour silently without it: a browser test that never runs must show red.
        self.assertIsNotNone(common.websocket, "pip install websocket-client (Odoo drives "
                                               "Chromium through it)")
        for code, user in self.users.items():
            with self.subTest(lang=code):
                self.write_a_log_as(user)
                self.start_tour("/odoo", f"etsy_app_from_home_menu_{code}", login=user.login)
