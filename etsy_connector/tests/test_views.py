from odoo.tests import new_test_user, tagged

from .common import EtsyCase

MODELS = ("etsy.shop", "etsy.sync.log", "etsy.sync.log.line")


@tagged("post_install", "-at_install")
class TestViews(EtsyCase):
    def test_every_view_of_the_module_renders(self):
        views = self.env["ir.ui.view"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", "etsy_connector"), ("model", "=", "ir.ui.view")])
            .mapped("res_id")
        )
        self.assertGreaterEqual(len(views), 7)
        for user in (self.env.user, self.manager, self.user):
            for view in views:
                if not self.env[view.model].with_user(user).has_access("read"):
                    continue  # e.g. sale orders for an Etsy user without Sales rights
                with self.subTest(user=user.login, view=view.name):
                    result = self.env[view.model].with_user(user).get_view(view.id, view.type)
                    self.assertTrue(result["arch"])

    def test_default_views_load_for_each_model(self):
        for model in MODELS:
            for user in (self.manager, self.user):
                with self.subTest(model=model, user=user.login):
                    result = (
                        self.env[model]
                        .with_user(user)
                        .get_views([(False, "form"), (False, "list"), (False, "search")])
                    )
                    self.assertEqual(set(result["views"]), {"form", "list", "search"})

    def test_actions_and_menus(self):
        for xmlid, path in (
            ("etsy_connector.action_etsy_shop", "etsy-shops"),
            ("etsy_connector.action_etsy_sync_log", "etsy-sync-logs"),
        ):
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
            self.assertEqual(action["path"], path)
            self.assertEqual(action["view_mode"], "list,form")

        def menu_names(user):
            menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
            return {menu["name"] for key, menu in menus.items() if key != "root"}

        # Etsy is an app of the home menu, with its icon, opening on the shop dashboard.
        root = self.env.ref("etsy_connector.menu_etsy_root")
        self.assertFalse(root.parent_id)
        self.assertEqual(root.web_icon, "etsy_connector,static/description/icon.png")
        self.assertEqual(root.action, self.env.ref("etsy_connector.action_etsy_dashboard"))
        user_menus = menu_names(self.user)
        self.assertTrue({"Etsy", "Logs", "Receipts to Fix", "Listings", "To Link"} <= user_menus)
        config = self.env.ref("etsy_connector.menu_etsy_config")
        visible = self.env["ir.ui.menu"].with_user(self.user)._visible_menu_ids()
        self.assertNotIn(config.id, visible, "managers configure shops")
        self.assertIn(config.id, self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids())
        self.assertTrue({"Shops", "Carriers"} <= menu_names(self.manager))
        plain_user = new_test_user(self.env, login="no_etsy", groups="base.group_user")
        self.assertNotIn("Etsy", menu_names(plain_user))
