"""Publishing Odoo products as Etsy listings, against the sandbox over real HTTP."""

import base64

from odoo import Command
from odoo.exceptions import UserError

from ..etsy.listing import draft_listing_fields
from ..models.publish_spec import listing_spec
from .sandbox_common import SandboxCase, sandbox_module, tagged

WRITE_OPERATIONS = ("createDraftListing", "uploadListingImage", "updateListingInventory",
                    "updateListingPersonalization", "updateListing", "deleteListingImage",
                    "uploadListingFile")


def png(rgb):
    return sandbox_module.app.tiny_png(rgb) if sandbox_module else b""


@tagged("post_install", "-at_install")
class TestPublish(SandboxCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a.country_id = cls.env.ref("base.us")
        cls.color = cls.env["product.attribute"].create({"name": "Color", "value_ids": [
            Command.create({"name": name}) for name in ("Red", "Blue", "Green")]})
        cls.size = cls.env["product.attribute"].create({"name": "Size", "value_ids": [
            Command.create({"name": name}) for name in ("S", "M")]})

    def setUp(self):
        super().setUp()
        self.etsy_shop.action_sync_etsy_reference_data()
        self.etsy_shop.default_taxonomy_id = self.env["etsy.taxonomy"].search(
            [("etsy_taxonomy_id", "=", 449)])
        self.sandbox.clear_journal()

    # --- helpers --- #

    def make_template(self, name="Organic tee", attributes=None, stock=5, **values):
        attributes = attributes if attributes is not None else (self.color, self.size)
        extra = self.env["ir.attachment"].create({"name": "back.png", "raw": png((10, 20, 30))})
        template = self.env["product.template"].create({
            "name": name, "list_price": 20.0, "is_storable": True,
            "description_sale": "Soft organic cotton.",
            "image_1920": base64.b64encode(png((200, 10, 10))),
            "etsy_image_ids": [Command.set(extra.ids)],
            "etsy_tags": "tee, organic cotton",
            "attribute_line_ids": [Command.create({
                "attribute_id": attribute.id, "value_ids": [Command.set(attribute.value_ids.ids)]})
                for attribute in attributes],
            **values,
        })
        for ptav in template.attribute_line_ids.product_template_value_ids:
            if ptav.name == "M":
                ptav.price_extra = 2.5
        location = self.etsy_shop.warehouse_id.lot_stock_id
        for index, variant in enumerate(template.product_variant_ids):
            variant.default_code = f"{name[:3].upper()}-{index}"
            if stock:
                self.env["stock.quant"]._update_available_quantity(variant, location,
                                                                   stock + index)
        return template

    def wizard(self, templates, activate=True):
        return self.env["etsy.publish.wizard"].create({
            "shop_id": self.etsy_shop.id, "product_tmpl_ids": [Command.set(templates.ids)],
            "activate": activate})

    def publish(self, templates, activate=True):
        wizard = self.wizard(templates, activate)
        wizard.action_publish()
        return wizard

    def listing_of(self, template):
        return self.env["etsy.listing"].search([("shop_id", "=", self.etsy_shop.id),
                                                ("product_tmpl_id", "=", template.id)])

    def writes(self):
        return [e for e in self.sandbox.journal if e["operation"] in WRITE_OPERATIONS]

    def etsy_drafts(self, title):
        return [r for r in self.sandbox.world.listings.values() if r.data["title"] == title]

    # --- tests --- #

    def test_reference_data_and_shop_defaults(self):
        self.assertTrue(self.env["etsy.taxonomy"].search_count([("level", "=", 2)]))
        tees = self.env["etsy.taxonomy"].search([("etsy_taxonomy_id", "=", 449)])
        self.assertEqual(tees.full_path, "Clothing > T-shirts")
        shop = self.etsy_shop
        self.assertEqual(len(shop.shipping_profile_ids), 2)
        self.assertEqual(len(shop.shipping_profile_ids.filtered("is_complete")), 1)
        self.assertEqual(len(shop.return_policy_ids), 1)
        self.assertEqual(len(shop.readiness_state_ids), 2)
        # Reading Etsy's data never writes the shop row (other flows write it).
        self.assertFalse(shop.default_shipping_profile_id)

    def test_publish_six_variants_two_images(self):
        template = self.make_template()
        self.publish(template)
        listing = self.listing_of(template)
        self.assertEqual(listing.publish_state, "active", listing.publish_error)
        self.assertFalse(listing.is_digital)
        record = self.sandbox.world.listing(int(listing.etsy_listing_id))
        self.assertEqual(record.data["state"], "active")
        self.assertEqual(len(record.images), 2)
        etsy = {p["sku"]: p for p in record.inventory.products}
        self.assertEqual(len(etsy), 6)
        self.assertEqual(len(listing.etsy_product_ids), 6)
        for variant in template.product_variant_ids:
            product = etsy[variant.default_code]
            offering = product["offerings"][0]
            self.assertEqual(offering["price"]["amount"], round(variant.lst_price * 100))
            self.assertEqual(offering["quantity"], int(variant.qty_available))
            binding = listing.etsy_product_ids.filtered(lambda b, v=variant: b.product_id == v)
            self.assertEqual(binding.sku, variant.default_code)
            self.assertEqual(binding.last_pushed_qty, int(variant.qty_available))
        # Color values are the taxonomy's (property 200), Size too (property 100).
        self.assertEqual({pv["property_id"] for pv in record.inventory.products[0][
            "property_values"]}, {200, 100})
        self.assertEqual(record.inventory.price_on_property, [100])
        self.assertEqual(len(listing.image_ids), 2)
        # The listing says when its stock was written, as its products do.
        self.assertTrue(listing.last_pushed_at)
        self.assertEqual(listing.last_pushed_at, listing.etsy_product_ids[:1].last_pushed_at)

    def test_failure_at_each_step_resumes_without_duplicate(self):
        for index, operation in enumerate(("createDraftListing", "uploadListingImage",
                                           "updateListingInventory",
                                           "updateListingPersonalization", "updateListing")):
            with self.subTest(operation=operation):
                title = f"Tee {index}"
                template = self.make_template(title, etsy_personalization=True,
                                              etsy_personalization_instructions="Your name")
                self.sandbox.clear_journal()
                self.sandbox.inject_fault(operation, status=400,
                                          body={"error": "Injected failure"})
                self.publish(template)
                listing = self.listing_of(template)
                if operation != "createDraftListing":
                    self.assertEqual(listing.publish_state, "error")
                    self.assertIn("Injected failure", listing.publish_error)
                self.publish(template)
                listing = self.listing_of(template)
                self.assertEqual(listing.publish_state, "active", listing.publish_error)
                self.assertEqual(len(self.etsy_drafts(title)), 1)
                created = [e for e in self.sandbox.calls("createDraftListing")
                           if e["status"] == 201]
                self.assertEqual(len(created), 1)
                uploads = [e for e in self.sandbox.calls("uploadListingImage")
                           if e["status"] == 201]
                self.assertEqual(len(uploads), 2)
                record = self.sandbox.world.listing(int(listing.etsy_listing_id))
                self.assertEqual(len(record.images), 2)
                self.assertTrue(record.personalization)

    def test_a_lost_draft_answer_adopts_the_draft_etsy_made(self):
        template = self.make_template("Tee lost answer")
        # Etsy makes the draft, then its answer is lost (a 500 after the work was done).
        self.sandbox.inject_fault("createDraftListing", status=500, process=True)
        self.publish(template)
        listing = self.listing_of(template)
        self.assertEqual(listing.publish_state, "active", listing.publish_error)
        drafts = self.etsy_drafts("Tee lost answer")
        self.assertEqual(len(drafts), 1, "never a second draft")
        self.assertEqual(int(listing.etsy_listing_id), drafts[0].data["listing_id"])
        self.assertEqual(len(drafts[0].images), 2)

    def test_a_draft_left_by_a_killed_run_is_adopted_by_the_next_publish(self):
        template = self.make_template("Tee killed run")
        # What a worker killed between Etsy's answer and its commit leaves behind: a draft on
        # Etsy, nothing in Odoo.
        client = self.etsy_shop._etsy_client()
        client.create_draft_listing(int(self.etsy_shop.etsy_shop_id), draft_listing_fields(
            listing_spec(self.etsy_shop, template)))
        self.sandbox.clear_journal()
        self.publish(template)
        listing = self.listing_of(template)
        self.assertEqual(listing.publish_state, "active", listing.publish_error)
        self.assertEqual(len(self.etsy_drafts("Tee killed run")), 1)
        self.assertFalse(self.sandbox.calls("createDraftListing"))
        # Its text is pushed again: the draft was made from what the product was then.
        self.assertEqual(len(self.sandbox.calls("updateListing")), 2)  # content, activation

    def test_second_publish_creates_nothing(self):
        template = self.make_template()
        self.publish(template)
        listings = len(self.sandbox.world.listings)
        self.sandbox.clear_journal()
        self.publish(template)
        self.assertEqual(self.writes(), [])
        self.assertEqual(len(self.sandbox.world.listings), listings)
        self.assertEqual(len(self.listing_of(template)), 1)

    def test_price_change_is_pushed_and_no_change_calls_nothing(self):
        template = self.make_template()
        self.publish(template)
        listing = self.listing_of(template)
        template.list_price = 24.0
        self.sandbox.clear_journal()
        listing.action_update_on_etsy()
        self.assertEqual([e["operation"] for e in self.writes()], ["updateListingInventory"])
        record = self.sandbox.world.listing(int(listing.etsy_listing_id))
        prices = {p["sku"]: p["offerings"][0]["price"]["amount"]
                  for p in record.inventory.products}
        for variant in template.product_variant_ids:
            self.assertEqual(prices[variant.default_code], round(variant.lst_price * 100))
        self.sandbox.clear_journal()
        self.env.ref("etsy_connector.ir_cron_update_listings").method_direct_trigger()
        self.assertEqual(self.sandbox.journal, [])
        template.etsy_title = "Organic tee, now in green"
        self.env.ref("etsy_connector.ir_cron_update_listings").method_direct_trigger()
        self.assertEqual([e["operation"] for e in self.writes()], ["updateListing"])
        self.assertEqual(record.data["title"], "Organic tee, now in green")

    def test_readiness_check_refuses_before_any_call(self):
        material = self.env["product.attribute"].create({"name": "Material", "value_ids": [
            Command.create({"name": name}) for name in ("Linen", "Cotton")]})
        three = self.make_template("Three ways", attributes=(self.color, self.size, material))
        no_sku = self.make_template("No sku", etsy_tags="a tag far longer than twenty")
        no_sku.product_variant_ids[0].default_code = False
        no_price = self.make_template("Cheap", stock=0)
        no_price.list_price = 0.1
        templates = three | no_sku | no_price
        wizard = self.wizard(templates)
        report = wizard.readiness_report
        self.assertEqual(wizard.ready_count, 0)
        self.assertIn("at most 2", report)
        self.assertIn("no internal reference", report)
        self.assertIn("longer than 20", report)
        self.assertIn("minimum of 0.20", report)
        self.assertIn("No variant has stock", report)
        with self.assertRaises(UserError):
            wizard.action_publish()
        self.assertEqual(self.writes(), [])
        self.assertFalse(self.env["etsy.listing"].search([("product_tmpl_id", "in",
                                                           templates.ids)]))

    def test_activation_fee_is_shown(self):
        templates = self.make_template("One") | self.make_template("Two")
        wizard = self.wizard(templates)
        self.assertIn("2 listing(s) costs 0.40 USD", wizard.fee_note)
        wizard.activate = False
        self.assertFalse(wizard.fee_note)

    def test_return_policy_required_outside_the_eu(self):
        template = self.make_template()
        self.etsy_shop.return_policy_ids.active = False
        wizard = self.wizard(template)
        self.assertIn("No return policy", wizard.readiness_report)
        wizard.activate = False
        self.assertFalse(wizard.readiness_report)

    def test_digital_download_with_files(self):
        pattern = self.env["ir.attachment"].create({"name": "pattern.pdf", "raw": b"%PDF-1.4"})
        template = self.make_template("Knitting pattern", attributes=(), stock=0,
                                      etsy_is_digital=True,
                                      etsy_file_ids=[Command.set(pattern.ids)])
        self.publish(template)
        listing = self.listing_of(template)
        self.assertEqual(listing.publish_state, "active", listing.publish_error)
        self.assertTrue(listing.is_digital)
        record = self.sandbox.world.listing(int(listing.etsy_listing_id))
        self.assertEqual(record.data["listing_type"], "download")
        self.assertEqual([f["filename"] for f in record.files], ["pattern.pdf"])

    def test_archiving_deactivates_and_delete_needs_confirmation(self):
        template = self.make_template()
        self.publish(template)
        listing = self.listing_of(template)
        record = self.sandbox.world.listing(int(listing.etsy_listing_id))
        template.active = False
        self.assertEqual(record.data["state"], "inactive")
        self.assertEqual(listing.publish_state, "inactive")
        action = listing.action_delete_on_etsy()
        wizard = self.env["etsy.listing.delete.wizard"].browse(action["res_id"])
        with self.assertRaises(UserError):
            wizard.action_delete()
        self.assertIn(int(listing.etsy_listing_id), self.sandbox.world.listings)
        wizard.confirm = True
        wizard.action_delete()
        self.assertNotIn(int(listing.etsy_listing_id), self.sandbox.world.listings)
        self.assertFalse(listing.active)
