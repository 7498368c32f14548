from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.etsy_connector.const import SECRET_FIELDS

from .common import ACCESS_TOKEN, SHARED_SECRET, EtsyCase


@tagged("post_install", "-at_install")
class TestEtsySecurity(EtsyCase):
    def test_user_reads_shop_but_not_its_secrets(self):
        self.shop.invalidate_recordset()
        as_user = self.shop.with_user(self.user)
        values = as_user.read(["name", "state", "has_credentials", "warehouse_id"])[0]
        self.assertEqual(values["state"], "connected")
        self.assertTrue(values["has_credentials"])
        for field_name in SECRET_FIELDS:
            with self.subTest(field=field_name):
                with self.assertRaises(AccessError):
                    as_user.read([field_name])
                self.shop.invalidate_recordset()
                with self.assertRaises(AccessError):
                    getattr(as_user, field_name)

    def test_user_cannot_write_or_create(self):
        as_user = self.shop.with_user(self.user)
        with self.assertRaises(AccessError):
            as_user.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            as_user.write({"access_token": "1.stolen"})
        with self.assertRaises(AccessError):
            self.env["etsy.shop"].with_user(self.user).create({"name": "Mine"})

    def test_manager_reads_and_writes_secrets(self):
        self.shop.invalidate_recordset()
        as_manager = self.shop.with_user(self.manager)
        self.assertEqual(as_manager.access_token, ACCESS_TOKEN)
        self.assertEqual(as_manager.shared_secret, SHARED_SECRET)
        as_manager.shared_secret = "rotated-secret"
        self.assertEqual(self.shop.shared_secret, "rotated-secret")

    def test_secret_fields_only_in_the_manager_form(self):
        def form_arch(user):
            views = self.env["etsy.shop"].with_user(user).get_views([(False, "form")])
            return etree.fromstring(views["views"]["form"]["arch"])

        user_arch = form_arch(self.user)
        manager_arch = form_arch(self.manager)
        for field_name in SECRET_FIELDS:
            with self.subTest(field=field_name):
                self.assertFalse(user_arch.xpath(f"//field[@name='{field_name}']"))
                nodes = manager_arch.xpath(f"//field[@name='{field_name}']")
                self.assertTrue(nodes)
                self.assertEqual(nodes[0].get("password"), "True")
        self.assertFalse(user_arch.xpath("//button[@name='action_connect']"))
        self.assertTrue(manager_arch.xpath("//button[@name='action_connect']"))

    def test_administrators_are_etsy_managers(self):
        self.assertTrue(
            self.env.ref("base.user_admin").has_group("etsy_connector.group_etsy_manager")
        )
        self.assertTrue(self.manager.has_group("etsy_connector.group_etsy_user"))
        self.assertFalse(self.user.has_group("etsy_connector.group_etsy_manager"))

    def test_other_company_shop_and_logs_are_invisible(self):
        logs = self.env["etsy.sync.log"]
        with logs._open(self.shop, "orders") as log_a:
            log_a.failure("receipt 1", "bad")
        with logs._open(self.shop_b, "orders") as log_b:
            log_b.failure("receipt 2", "bad")
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                shops = self.env["etsy.shop"].with_user(user)
                self.assertEqual(shops.search([]), self.shop)
                with self.assertRaises(AccessError):
                    shops.browse(self.shop_b.id).read(["name"])
                user_logs = logs.with_user(user)
                self.assertEqual(user_logs.search([]), logs.browse(log_a.id))
                with self.assertRaises(AccessError):
                    user_logs.browse(log_b.id).read(["message"])
                lines = self.env["etsy.sync.log.line"].with_user(user).search([])
                self.assertEqual(lines.log_id, logs.browse(log_a.id))

    def test_logs_are_read_only_for_people(self):
        logs = self.env["etsy.sync.log"]
        with logs._open(self.shop, "orders") as recorder:
            recorder.count("created")
        log = logs.browse(recorder.id)
        self.assertEqual(log.with_user(self.user).records_created, 1)
        with self.assertRaises(AccessError):
            log.with_user(self.user).unlink()
        with self.assertRaises(AccessError):
            log.with_user(self.manager).write({"state": "done"})
        with self.assertRaises(AccessError):
            logs.with_user(self.manager).create({"shop_id": self.shop.id, "operation": "orders"})
        log.with_user(self.manager).unlink()
        self.assertFalse(log.exists())
