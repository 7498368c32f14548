"""Who may read, write and run what: every model, secret field and button of the addon.

The matrix is generic: it walks the addon's models and the buttons of its views, so a model or a
button added later without an entry here fails this test until someone decides who may use it.
"""

from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..const import MANAGER_GROUP, SECRET_FIELDS, USER_GROUP
from .common import EtsyCase

OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
PERSONAS = ("public", "portal", "internal", "etsy_user", "etsy_manager")

# Model -> {persona: the operations it may do}; personas not named may do nothing.
READ, MANAGE = {"etsy_user": "r", "etsy_manager": "rwcu"}, None
EXPECTED = {
    "etsy.shop": READ,
    "etsy.shop.token": {},  # tokens: through the shop's manager-only fields, never directly
    "etsy.oauth.session": {},
    "etsy.sync.request": {},
    "etsy.sync.log": {"etsy_user": "r", "etsy_manager": "ru"},
    "etsy.sync.log.line": {"etsy_user": "r", "etsy_manager": "ru"},
    "etsy.sync.state": {"etsy_user": "r", "etsy_manager": "r"},
    "etsy.receipt.issue": {"etsy_user": "r", "etsy_manager": "rwu"},
    "etsy.receipt.import.wizard": {"etsy_manager": "rwcu"},
    "etsy.listing": READ,
    "etsy.listing.image": READ,
    "etsy.product": READ,
    "etsy.carrier": {"internal": "r", "etsy_user": "r", "etsy_manager": "rwcu"},
    "etsy.discord.message": {"etsy_user": "r", "etsy_manager": "rwu"},
    "etsy.taxonomy": READ,
    "etsy.shipping.profile": READ,
    "etsy.return.policy": READ,
    "etsy.readiness.state": READ,
    "etsy.publish.wizard": {"etsy_manager": "rwcu"},
    "etsy.listing.delete.wizard": {"etsy_manager": "rwcu"},
    "etsy.webhook.event": {"etsy_manager": "r"},
    "etsy.ledger.entry": {"etsy_user": "r", "etsy_manager": "r"},
    "etsy.ledger.account.map": READ,
}

# Buttons that only open or show something: anyone who sees the record may press them.
NAVIGATION_BUTTONS = {"action_view_related", "action_open_order", "action_view_etsy_listings",
                      "action_etsy_publish"}
# Models whose buttons people of other apps may press, with that app's own rights.
OTHER_APPS = {"sale.order", "stock.picking", "product.template"}


def persona_groups():
    return {
        "public": "base.group_public",
        "portal": "base.group_portal",
        "internal": "base.group_user",
        "etsy_user": USER_GROUP,
        "etsy_manager": MANAGER_GROUP,
    }


@tagged("post_install", "-at_install")
class TestAccessMatrix(EtsyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.personas = {
            name: new_test_user(cls.env, login=f"matrix_{name}", groups=groups,
                                company_id=cls.company_a.id,
                                company_ids=[cls.company_a.id, cls.company_b.id])
            for name, groups in persona_groups().items()
        }

    def addon_models(self):
        data = self.env["ir.model.data"].search([("module", "=", "etsy_connector"),
                                                 ("model", "=", "ir.model")])
        models = self.env["ir.model"].browse(data.mapped("res_id"))
        # Models the addon defines (ir.model also names the ones it only extends).
        return sorted(model.model for model in models
                      if not self.env[model.model]._abstract
                      and self.env[model.model]._original_module == "etsy_connector")

    def test_every_model_has_a_decided_access(self):
        for model in self.addon_models():
            with self.subTest(model=model):
                self.assertIn(model, EXPECTED, f"decide who may use {model} in EXPECTED")
                for persona, user in self.personas.items():
                    allowed = EXPECTED[model].get(persona, "")
                    Model = self.env[model].with_user(user)
                    for letter, operation in OPERATIONS.items():
                        self.assertEqual(
                            Model.has_access(operation), letter in allowed,
                            f"{persona} {operation} on {model}")

    def test_shops_of_another_company_stay_hidden(self):
        for persona in ("etsy_user", "etsy_manager"):
            user = self.personas[persona].with_context(allowed_company_ids=[self.company_a.id])
            shops = self.env["etsy.shop"].with_user(user).with_context(
                allowed_company_ids=[self.company_a.id]).search([])
            self.assertIn(self.shop, shops)
            self.assertNotIn(self.shop_b, shops, persona)

    def test_only_managers_read_secrets(self):
        for persona, user in self.personas.items():
            for field_name in SECRET_FIELDS:
                with self.subTest(persona=persona, field=field_name):
                    self.shop.invalidate_recordset()
                    shop = self.shop.with_user(user)
                    if persona == "etsy_manager":
                        shop.read([field_name])
                    else:
                        with self.assertRaises(AccessError):
                            shop.read([field_name])

    def object_buttons(self):
        """{(model, method)} of every type=object button in the addon's views."""
        data = self.env["ir.model.data"].search([("module", "=", "etsy_connector"),
                                                 ("model", "=", "ir.ui.view")])
        buttons = set()
        for view in self.env["ir.ui.view"].browse(data.mapped("res_id")):
            arch = etree.fromstring(view.arch_db.encode() if isinstance(view.arch_db, str)
                                    else view.arch_db)
            for node in arch.iter("button"):
                if node.get("type") == "object" and node.get("name"):
                    buttons.add((view.model, node.get("name")))
        return buttons

    def records(self):
        """One record of each model whose form has buttons (wizards are created by managers)."""
        listing = self.env["etsy.listing"].create({"shop_id": self.shop.id,
                                                   "etsy_listing_id": "9001", "title": "Mug"})
        return {
            "etsy.shop": self.shop,
            "etsy.receipt.issue": self.env["etsy.receipt.issue"].create({
                "shop_id": self.shop.id, "etsy_receipt_id": "777", "reason": "test"}),
            "etsy.listing": listing,
            "etsy.discord.message": self.env["etsy.discord.message"].create({
                "shop_id": self.shop.id, "dedup_key": "matrix", "payload": {"content": "hi"},
                "state": "failed"}),
        }

    def test_buttons_that_change_data_are_for_managers(self):
        records = self.records()
        for model, method in sorted(self.object_buttons()):
            if method in NAVIGATION_BUTTONS or model in OTHER_APPS or model.endswith("wizard"):
                continue
            self.assertIn(model, records, f"add a {model} record to test its button {method}")
            for persona in ("internal", "etsy_user"):
                with self.subTest(model=model, button=method, persona=persona):
                    record = records[model].with_user(self.personas[persona])
                    with self.assertRaises(AccessError):
                        getattr(record, method)()
