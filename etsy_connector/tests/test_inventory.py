"""Listing import, linking and the stock push, against the sandbox over real HTTP."""

import copy
import datetime
import json
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..etsy.inventory import ON_PROPERTY_KEYS
from ..models.flow_stock import StockExport
from .sandbox_common import SandboxCase

WRITES = ("updateListingInventory", "updateListing")
READS = ("getListingInventory", "getListingsInventoryByListingIds", "getListingsByListingIds",
         "getListingsByShop", "getListing")


def _without_quantities(inventory):
    """The inventory as Etsy stores it, less ids (renewed on each write) and quantities."""
    products = []
    for product in copy.deepcopy(inventory["products"]):
        product.pop("product_id")
        for offering in product["offerings"]:
            offering.pop("offering_id")
            offering.pop("quantity")
        products.append(product)
    arrays = {key: inventory[key] for key in ON_PROPERTY_KEYS}
    return json.dumps({"products": products, **arrays}, sort_keys=True)


def _quantities(inventory):
    return {product["sku"]: product["offerings"][0]["quantity"]
            for product in inventory["products"]}


@tagged("post_install", "-at_install")
class TestInventory(SandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]

        def storable(code, name=None):
            return Product.create({"name": name or code, "default_code": code, "type": "consu",
                                   "is_storable": True})

        cls.tea = {size: storable(f"WBW-TEA-{size}") for size in ("4OZ", "8OZ", "16OZ")}
        cls.lavender = {size: storable(f"WBW-LAV-{size}") for size in ("8OZ", "16OZ")}
        cls.sampler = {
            (scent, size): storable(f"WBW-SMP-{scent}-{size}")
            for scent in ("PUM", "FIR", "CRA") for size in ("8OZ", "16OZ")
        }
        cls.vanilla = storable("WBW-VAN-8OZ")
        cls.cedar = storable("wbw-ced-8oz", "Cedar (reference in lower case)")
        cls.holiday = storable("WBW-HOL-8OZ")
        cls.trimmer = Product.create({"name": "Wick trimmer", "default_code": "WBW-ACC-TRIM",
                                      "type": "consu", "is_storable": False})
        cls.stock_location = cls.etsy_shop.warehouse_id.lot_stock_id

    def setUp(self):
        super().setUp()
        self.listing_ids = self.sandbox.world.seed_listings
        # Only orders placed from now on are "new" for the push (the seed's are history).
        self.etsy_shop.last_order_sync = fields.Datetime.now()

    # --- helpers --- #

    def import_listings(self, shop=None):
        return (shop or self.etsy_shop)._etsy_import_listings(trigger="manual")

    def push(self, shop=None):
        return (shop or self.etsy_shop)._sync_etsy_inventory(trigger="manual")

    def listing(self, name, shop=None):
        return self.env["etsy.listing"].with_context(active_test=False).search([
            ("shop_id", "=", (shop or self.etsy_shop).id),
            ("etsy_listing_id", "=", str(self.listing_ids[name])),
        ])

    def binding(self, sku):
        return self.env["etsy.product"].search([("shop_id", "=", self.etsy_shop.id),
                                                ("sku", "=", sku)])

    def set_stock(self, product, quantity):
        Quant = self.env["stock.quant"]
        current = Quant._get_available_quantity(product, self.stock_location)
        if quantity != current:
            Quant._update_available_quantity(product, self.stock_location, quantity - current)

    def stock_as_on_etsy(self):
        """Odoo stock equal to Etsy's quantities, so a push has nothing to change."""
        for binding in self.env["etsy.product"].search([("shop_id", "=", self.etsy_shop.id),
                                                        ("link_state", "=", "linked")]):
            self.set_stock(binding.product_id, binding.etsy_qty)

    def calls(self, *operations):
        return [call for call in self.sandbox.journal if call["operation"] in operations]

    def log_lines(self, log):
        return self.env["etsy.sync.log"].browse(log.id).line_ids


    def ready(self):
        """Listings imported, Odoo stock as on Etsy, the journal cleared."""
        self.import_listings()
        self.stock_as_on_etsy()
        self.sandbox.clear_journal()

    # --- import and linking --- #

    def test_import_reads_every_state_in_batches_and_links_by_sku(self):
        log = self.import_listings()
        self.assertEqual(log.counts["created"], len(self.listing_ids))
        self.assertEqual(log.counts["failed"], 0)
        calls = self.calls(*READS)
        self.assertEqual(sorted(call["query"]["state"] for call in calls),
                         sorted(("active", "inactive", "sold_out", "draft", "expired")))
        for call in calls:
            self.assertEqual(call["operation"], "getListingsByShop")
            self.assertEqual(call["query"]["limit"], "100")
            self.assertIn("Inventory", call["query"]["includes"])
        self.assertEqual(self.listing("melts").state, "inactive")
        self.assertEqual(self.listing("spring").state, "draft")
        self.assertEqual(self.listing("citrus").state, "expired")
        self.assertEqual(self.listing("holiday").state, "sold_out")

        tea = self.listing("tea")
        self.assertEqual(len(tea.etsy_product_ids), 3)
        self.assertEqual(tea.etsy_product_ids.product_id, self.env["product.product"].union(
            *self.tea.values()))
        self.assertEqual(tea.link_state, "linked")
        self.assertEqual(self.binding("WBW-TEA-8OZ").property_values, "Size: 8 oz")
        self.assertEqual(self.binding("WBW-TEA-8OZ").etsy_qty, 9)
        self.assertEqual(self.binding("WBW-CED-8OZ").product_id, self.cedar,
                         "linked ignoring case")
        self.assertEqual(self.binding("WBW-ACC-TRIM").link_state, "not_stocked")
        mystery = self.listing("mystery")
        self.assertEqual(mystery.link_state, "to_link", "no SKU: a person links it")
        self.assertIn(mystery.etsy_product_ids, self.etsy_shop.listing_ids.etsy_product_ids)
        to_link = self.env["etsy.product"].search(
            self.etsy_shop.with_context(etsy_view="to_link").action_view_related()["domain"])
        self.assertIn(mystery.etsy_product_ids, to_link)
        self.assertNotIn(tea.etsy_product_ids[0], to_link)
        self.assertEqual(self.etsy_shop.to_link_count, len(to_link))

        # Again: the same records, nothing created.
        bindings = self.env["etsy.product"].search([("shop_id", "=", self.etsy_shop.id)])
        products = self.env["product.product"].search_count([])
        log = self.import_listings()
        self.assertEqual((log.counts["created"], log.counts["updated"]),
                         (0, len(self.listing_ids)))
        self.assertEqual(self.env["etsy.product"].search([("shop_id", "=", self.etsy_shop.id)]),
                         bindings)
        self.assertEqual(self.env["product.product"].search_count([]), products)
        self.assertEqual(self.etsy_shop.listing_count, len(self.listing_ids))

    def test_a_person_links_the_rest_and_sees_listings_on_the_product(self):
        self.import_listings()
        mystery = self.listing("mystery").etsy_product_ids
        candle = self.env["product.product"].create({"name": "Mystery candle", "type": "consu",
                                                     "is_storable": True})
        mystery.with_user(self.manager).product_id = candle
        self.assertEqual(mystery.link_state, "linked")
        self.assertEqual(self.listing("mystery").link_state, "linked")
        self.assertEqual(candle.with_user(self.user).etsy_listing_count, 1)
        action = candle.product_tmpl_id.with_user(self.user).action_view_etsy_listings()
        self.assertEqual(self.env["etsy.listing"].search(action["domain"]),
                         self.listing("mystery"))
        self.import_listings()
        self.assertEqual(mystery.product_id, candle, "a re-import keeps a manual link")

    def test_listings_gone_from_etsy_are_archived(self):
        self.import_listings()
        with self.sandbox.world.lock:
            world = self.sandbox.world
            world.listings.pop(self.listing_ids["linen"])
            world.shops[self.sandbox.seller["shop_id"]].listing_ids.remove(
                self.listing_ids["linen"])
        log = self.import_listings()
        linen = self.listing("linen")
        self.assertFalse(linen.active)
        self.assertFalse(linen.etsy_product_ids.filtered("active"))
        self.assertTrue(linen.needs_attention)
        self.assertTrue(self.listing("tea").active)
        self.assertIn("No longer on Etsy", self.log_lines(log).mapped("message")[0])

    def test_create_missing_products_builds_the_variants(self):
        self.etsy_shop.create_missing_products = True
        for product in self.sampler.values():
            product.default_code = False  # the sampler now matches nothing in Odoo
        log = self.import_listings()
        self.assertEqual(log.counts["failed"], 0, self.log_lines(log).mapped("message"))
        sampler = self.listing("sampler")
        template = sampler.product_tmpl_id
        self.assertTrue(template)
        self.assertEqual(template.name, "Seasonal Scent Candle - Pumpkin, Fir or Cranberry")
        self.assertTrue(template.is_storable)
        self.assertTrue(template.image_1920, "the Etsy image")
        self.assertEqual(
            {line.attribute_id.name: line.value_ids.mapped("name")
             for line in template.attribute_line_ids},
            {"Scent": ["Pumpkin Spice", "Fir Needle", "Cranberry"], "Size": ["8 oz", "16 oz"]})
        self.assertEqual(len(template.product_variant_ids), 6)
        inventory = self.sandbox.inventory(self.listing_ids["sampler"])
        for etsy_product in inventory["products"]:
            with self.subTest(sku=etsy_product["sku"]):
                binding = self.binding(etsy_product["sku"])
                variant = binding.product_id
                self.assertEqual(variant.product_tmpl_id, template)
                self.assertEqual(variant.default_code, etsy_product["sku"])
                self.assertEqual(
                    sorted(variant.product_template_attribute_value_ids.mapped("name")),
                    sorted(value["values"][0] for value in etsy_product["property_values"]))
                price = etsy_product["offerings"][0]["price"]
                self.assertAlmostEqual(variant.lst_price, price["amount"] / price["divisor"])
        mystery = self.listing("mystery").product_tmpl_id
        self.assertEqual(mystery.name, "Mystery Scent Candle")
        self.assertFalse(mystery.default_code, "Etsy has no SKU for it")
        self.assertFalse(self.listing("tea").product_tmpl_id, "linked by SKU, nothing built")

        templates = self.env["product.template"].search_count([])
        self.import_listings()
        self.assertEqual(self.env["product.template"].search_count([]), templates,
                         "re-importing never duplicates products")
        self.assertEqual(self.listing("sampler").product_tmpl_id, template)

    # --- the push --- #

    def test_push_after_a_stock_change_writes_only_that_listing(self):
        self.ready()
        log = self.push()
        self.assertFalse(self.calls(*WRITES), "Odoo and Etsy agree: nothing to write")
        before = self.sandbox.inventory(self.listing_ids["tea"])
        untouched = {name: self.sandbox.inventory(self.listing_ids[name])
                     for name in ("lavender", "sampler", "trimmer", "mystery")}

        self.set_stock(self.tea["8OZ"], 4)
        log = self.push()
        puts = self.calls("updateListingInventory")
        self.assertEqual([call["path"] for call in puts],
                         [f"/v3/application/listings/{self.listing_ids['tea']}/inventory"])
        self.assertEqual(len(self.calls("getListingsInventoryByListingIds")), 1)
        after = self.sandbox.inventory(self.listing_ids["tea"])
        self.assertEqual(_without_quantities(after), _without_quantities(before),
                         "variations, prices, SKUs and processing profiles as they were")
        self.assertEqual(_quantities(after),
                         {"WBW-TEA-4OZ": 14, "WBW-TEA-8OZ": 4, "WBW-TEA-16OZ": 5})
        for name, inventory in untouched.items():
            self.assertEqual(self.sandbox.inventory(self.listing_ids[name]), inventory, name)
        binding = self.binding("WBW-TEA-8OZ")
        self.assertEqual((binding.last_pushed_qty, binding.etsy_qty), (4, 4))
        self.assertEqual(binding.etsy_product_id, str(
            next(p["product_id"] for p in after["products"] if p["sku"] == "WBW-TEA-8OZ")),
            "bound again after Etsy renumbered the products")
        self.assertEqual((log.counts["updated"], log.counts["failed"]), (1, 0))
        message = self.env["etsy.sync.log"].browse(log.id).message
        self.assertIn("written", message)
        self.assertIn("left today", message)

    def test_no_change_run_makes_zero_writes_and_no_listing_read(self):
        self.ready()
        self.set_stock(self.vanilla, 3)
        self.push()
        self.sandbox.clear_journal()
        log = self.push()
        self.assertFalse(self.calls(*WRITES))
        self.assertFalse(self.calls(*READS), "nothing changed: no listing is even read")
        # Only the order import that comes first (its window and re-check pages).
        self.assertEqual({call["operation"] for call in self.sandbox.journal},
                         {"getShopReceipts"}, "only the check for new orders")
        self.assertEqual(log.counts["updated"], 0)
        self.assertEqual(log.counts["skipped"], log.counts["done"])
        self.assertGreater(log.counts["skipped"], 5)

    def test_quantity_groups_with_and_without_quantity_on_property(self):
        self.ready()
        # The sampler's quantity varies by scent and size: each variant its own quantity.
        self.set_stock(self.sampler["FIR", "16OZ"], 2)
        self.set_stock(self.sampler["CRA", "8OZ"], 11)
        # The lavender quantity is shared by both sizes (quantity_on_property empty).
        self.set_stock(self.lavender["8OZ"], 7)
        self.set_stock(self.lavender["16OZ"], 12)
        sampler_before = self.sandbox.inventory(self.listing_ids["sampler"])
        lavender_before = self.sandbox.inventory(self.listing_ids["lavender"])
        log = self.push()
        self.assertEqual((log.counts["updated"], log.counts["failed"]), (2, 0))

        sampler = self.sandbox.inventory(self.listing_ids["sampler"])
        self.assertEqual(sampler["quantity_on_property"], [513, 100])
        self.assertEqual(_without_quantities(sampler), _without_quantities(sampler_before))
        self.assertEqual(_quantities(sampler), {**_quantities(sampler_before),
                                                "WBW-SMP-FIR-16OZ": 2, "WBW-SMP-CRA-8OZ": 11})
        lavender = self.sandbox.inventory(self.listing_ids["lavender"])
        self.assertEqual(lavender["quantity_on_property"], [])
        self.assertEqual(_without_quantities(lavender), _without_quantities(lavender_before))
        self.assertEqual(_quantities(lavender), {"WBW-LAV-8OZ": 7, "WBW-LAV-16OZ": 7},
                         "one shared quantity: the lowest")
        notes = self.log_lines(log).filtered(lambda line: "share one quantity" in line.message)
        self.assertEqual(notes.etsy_id, str(self.listing_ids["lavender"]))
        self.sandbox.clear_journal()
        self.push()
        self.assertFalse(self.calls(*WRITES), "the shared minimum is not pushed again")

    def test_zero_stock_deactivates_the_listing_and_stock_back_reactivates_it(self):
        self.ready()
        self.set_stock(self.tea["4OZ"], 0)
        self.push()
        self.assertEqual(_quantities(self.sandbox.inventory(self.listing_ids["tea"]))
                         ["WBW-TEA-4OZ"], 0, "one variant at 0 is pushed as 0")
        self.assertEqual(self.sandbox.listing(self.listing_ids["tea"])["state"], "active")

        self.set_stock(self.vanilla, 0)
        self.sandbox.clear_journal()
        log = self.push()
        self.assertFalse(self.calls("updateListingInventory"),
                         "Etsy refuses an inventory whose quantities are all 0")
        patch_call, = self.calls("updateListing")
        self.assertEqual(patch_call["method"], "PATCH")
        self.assertEqual(patch_call["body"], {"state": "inactive"})
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["state"], "inactive")
        vanilla = self.listing("vanilla")
        self.assertEqual((vanilla.state, vanilla.deactivated_by_odoo), ("inactive", True))
        self.assertIn("deactivated on Etsy", " ".join(self.log_lines(log).mapped("message")))

        self.sandbox.clear_journal()
        self.push()
        self.assertFalse(self.calls(*WRITES), "deactivated once, not at every run")

        self.set_stock(self.vanilla, 6)
        log = self.push()
        self.assertEqual(_quantities(self.sandbox.inventory(self.listing_ids["vanilla"])),
                         {"WBW-VAN-8OZ": 6})
        self.assertEqual(self.calls("updateListing")[-1]["body"], {"state": "active"})
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["state"], "active")
        self.assertFalse(vanilla.deactivated_by_odoo)
        self.assertIn("reactivated", " ".join(self.log_lines(log).mapped("message")))

    def test_sold_out_listing_is_renewed_only_when_the_shop_allows_it(self):
        self.ready()
        holiday_id = self.listing_ids["holiday"]
        self.assertEqual(self.sandbox.listing(holiday_id)["state"], "sold_out")
        self.push()
        self.assertFalse(self.calls(*WRITES), "sold out on Etsy and in Odoo: nothing to do")

        self.set_stock(self.holiday, 4)
        log = self.push()
        self.assertEqual(_quantities(self.sandbox.inventory(holiday_id)), {"WBW-HOL-8OZ": 4})
        self.assertEqual(self.sandbox.listing(holiday_id)["state"], "sold_out",
                         "restocking does not put a sold-out listing back on sale")
        self.assertFalse(self.calls("updateListing"), "no renewal fee without permission")
        holiday = self.listing("holiday")
        self.assertTrue(holiday.needs_attention)
        self.assertIn("renew", holiday.attention_reason)
        self.assertEqual(self.log_lines(log).filtered(lambda l: l.level == "warning").etsy_id,
                         str(holiday_id))

        self.etsy_shop.allow_listing_renewal = True
        self.set_stock(self.holiday, 5)
        log = self.push()
        self.assertEqual(self.calls("updateListing")[-1]["body"], {"state": "active"})
        self.assertEqual(self.sandbox.listing(holiday_id)["state"], "active")
        self.assertEqual(self.sandbox.listing(holiday_id)["quantity"], 5)
        self.assertIn("renewed", " ".join(self.log_lines(log).mapped("message")))

    def test_a_sale_on_etsy_is_never_undone_by_a_push(self):
        self.ready()
        self.push()
        vanilla_id = self.listing_ids["vanilla"]
        receipt = self.sandbox.buy(vanilla_id, quantity=2)
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 23)
        self.push()
        self.assertTrue(self.order_of(receipt["receipt_id"]), "new orders are imported first")
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 23)
        self.assertFalse(self.calls("updateListingInventory"))

        # An order Odoo has not confirmed reserves nothing, yet the units are sold.
        self.etsy_shop.auto_confirm = False
        receipt = self.sandbox.buy(vanilla_id, quantity=3)
        self.push()
        self.assertEqual(self.order_of(receipt["receipt_id"]).state, "draft")
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 20)
        self.assertFalse(self.calls("updateListingInventory"))

    def test_a_sale_during_the_push_is_not_undone_either(self):
        self.ready()
        vanilla_id = self.listing_ids["vanilla"]
        import_orders = StockExport.import_new_orders

        def buyer_checks_out_meanwhile(flow):
            imported = import_orders(flow)
            self.sandbox.buy(vanilla_id, quantity=2)
            return imported

        self.set_stock(self.vanilla, 30)  # a restock of 5 ...
        with patch.object(StockExport, "import_new_orders", buyer_checks_out_meanwhile):
            log = self.push()
        # ... is added to what Etsy shows (23 after the sale), not written over it.
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 28)
        self.assertIn("not imported yet", " ".join(self.log_lines(log).mapped("message")))
        self.push()  # the order is imported now, Odoo reserves 2: 28 is right
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 28)

    def test_429_and_5xx_in_the_middle_of_a_run(self):
        self.ready()
        for product in (self.vanilla, self.cedar, self.holiday):
            self.set_stock(product, 2)
        self.sandbox.inject_fault("updateListingInventory", status=429)
        log = self.push()
        self.assertEqual((log.counts["updated"], log.counts["failed"]), (3, 0),
                         "Etsy's retry-after is honoured")
        self.assertEqual([c["status"] for c in self.calls("updateListingInventory")],
                         [429, 200, 200, 200])

        for product in (self.vanilla, self.cedar, self.holiday):
            self.set_stock(product, 1)
        self.sandbox.clear_journal()
        # The first write fails on every attempt; the others go on.
        self.sandbox.inject_fault("updateListingInventory", status=500, count=5)
        log = self.push()
        self.assertEqual((log.counts["updated"], log.counts["failed"]), (2, 1))
        failed = self.log_lines(log).filtered(lambda line: line.level == "error")
        self.assertEqual(len(failed), 1)
        self.assertEqual(self.sandbox.listing(int(failed.etsy_id))["quantity"], 2,
                         "the failed listing kept its quantity")
        log = self.push()
        self.assertEqual((log.counts["updated"], log.counts["failed"]), (1, 0),
                         "the next run writes it")
        self.assertEqual(self.sandbox.listing(int(failed.etsy_id))["quantity"], 1)

    def test_a_listing_deleted_on_etsy(self):
        self.ready()
        self.set_stock(self.vanilla, 3)
        self.set_stock(self.cedar, 4)
        with self.sandbox.world.lock:
            self.sandbox.world.listings.pop(self.listing_ids["vanilla"])
        log = self.push()
        vanilla = self.listing("vanilla")
        self.assertFalse(vanilla.active, "its binding is archived")
        self.assertTrue(vanilla.needs_attention)
        self.assertEqual(self.sandbox.listing(self.listing_ids["cedar"])["quantity"], 4,
                         "the other listings go on")
        self.assertEqual((log.counts["updated"], log.counts["failed"]), (1, 1))
        line = self.log_lines(log).filtered(lambda l: l.level == "error")
        self.assertEqual(line.etsy_id, str(self.listing_ids["vanilla"]))
        self.assertIn("404", line.message)
        self.sandbox.clear_journal()
        self.push()
        self.assertFalse(self.calls(*READS), "an archived listing is not read again")

    def test_buffer_warehouses_and_products_left_alone(self):
        self.ready()
        self.etsy_shop.stock_buffer = 2
        self.set_stock(self.vanilla, 30)
        self.set_stock(self.cedar, 1)
        other = self.env["stock.warehouse"].create({"name": "Annex", "code": "ANX",
                                                    "company_id": self.company_a.id})
        self.env["stock.quant"]._update_available_quantity(self.vanilla, other.lot_stock_id, 5)
        trimmer_before = self.sandbox.inventory(self.listing_ids["trimmer"])
        self.push()
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["quantity"], 28)
        self.assertEqual(self.sandbox.listing(self.listing_ids["cedar"])["state"], "inactive",
                         "1 unit less a buffer of 2: nothing to sell")
        self.assertEqual(self.sandbox.inventory(self.listing_ids["trimmer"]), trimmer_before,
                         "a product whose stock Odoo does not track is left alone")

        self.etsy_shop.inventory_warehouse_ids = self.etsy_shop.warehouse_id | other
        self.push()
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["quantity"], 33)

        self.set_stock(self.vanilla, 2000)
        self.push()
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["quantity"], 999,
                         "Etsy's maximum")

    def test_orders_that_cannot_be_imported_stop_the_push(self):
        self.ready()
        self.set_stock(self.vanilla, 3)
        self.sandbox.inject_fault("getShopReceipts", status=500, count=5)
        log = self.push()
        self.assertIn("could not be imported first", str(log.failed_with))
        self.assertEqual(self.env["etsy.sync.log"].browse(log.id).state, "failed")
        self.assertFalse(self.calls(*WRITES))
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["quantity"], 25)

    def test_push_never_waits_for_a_running_order_sync(self):
        self.ready()
        self.set_stock(self.vanilla, 3)
        with self.flow_running("orders"):
            log = self.push()
            self.assertEqual(self.env["etsy.sync.log"].browse(log.id).state, "failed")
            self.assertIn("already running", str(log.failed_with))
            log = self.etsy_shop._sync_etsy_inventory(trigger="cron")
            self.assertIn("An order sync of this shop is running", log.message)
        self.assertFalse(self.calls(*WRITES), "no stock pushed before the new orders are in")
        with self.flow_running("inventory"):
            with self.assertRaisesKeepingWrites(UserError):
                self.push()
            self.assertIsNone(self.etsy_shop._sync_etsy_inventory(trigger="cron"))
            log = self.import_listings()
            self.assertIn("A stock push of this shop is running", log.message)
            self.assertEqual(log.counts["fetched"], 0)
        with self.flow_running("listings"):
            with self.assertRaisesKeepingWrites(UserError):
                self.import_listings()
            log = self.push()
            self.assertIn("A listing import of this shop is running", log.message)
        self.assertFalse(self.calls(*WRITES))
        log = self.push()
        self.assertEqual(log.counts["updated"], 1)
        self.assertEqual(self.sandbox.listing(self.listing_ids["vanilla"])["quantity"], 3)

    # --- defects of issue 11 --- #

    def test_receipts_to_fix_stay_subtracted_until_imported(self):
        """11.6: a sale whose receipt waits in Receipts to Fix is never put back on sale."""
        self.ready()
        vanilla_id = self.listing_ids["vanilla"]
        self.set_stock(self.vanilla, 30)  # a restock of 5 ...
        sale = self.sandbox.buy(vanilla_id, quantity=2)  # ... while a buyer takes 2 on Etsy
        bad = self.sandbox.receipt(sale["receipt_id"])
        bad["transactions"][0]["price"] = {"amount": "12,50", "divisor": 100,
                                           "currency_code": "USD"}
        # Etsy keeps sending the receipt in a shape Odoo cannot read.
        self.sandbox.inject_fault("getShopReceipts", status=200, count=100,
                                  body={"count": 1, "results": [bad]})
        for _run in range(3):
            self.push()
            issue = self.env["etsy.receipt.issue"].search(
                [("etsy_receipt_id", "=", str(sale["receipt_id"]))])
            self.assertEqual(issue.state, "pending")
            self.assertLessEqual(self.sandbox.listing(vanilla_id)["quantity"], 28,
                                 "the 2 units sold on Etsy are never published again")
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 28)

        self.sandbox.clear_faults()
        self.push()  # the receipt imports now: its order reserves the 2 units
        self.assertEqual(issue.state, "resolved")
        self.assertEqual(self.sandbox.listing(vanilla_id)["quantity"], 28)

    def test_digital_listing_is_not_stocked(self):
        """11.8: a download becomes a service, never pushed, whose orders ship nothing."""
        self.etsy_shop.create_missing_products = True
        guide_id = self.listing_ids["guide"]
        self.import_listings()
        guide = self.listing("guide")
        self.assertTrue(guide.is_digital)
        product = guide.etsy_product_ids.product_id
        self.assertEqual(product.name, "Candle Making Guide (PDF)")
        self.assertEqual(product.type, "service")
        self.assertFalse(product.is_storable)
        self.assertEqual(product.qty_available, 0)
        self.assertEqual(guide.etsy_product_ids.link_state, "not_stocked")
        self.assertFalse(self.listing("tea").is_digital)

        self.stock_as_on_etsy()
        self.set_stock(self.vanilla, 3)
        self.sandbox.clear_journal()
        log = self.push()
        self.assertEqual(log.counts["updated"], 1)
        self.assertNotIn(str(guide_id), json.dumps([c["query"] for c in self.calls(*READS)]))
        self.assertEqual(self.sandbox.inventory(guide_id)["products"][0]["offerings"][0]
                         ["quantity"], 999, "Etsy's quantity of a download is left alone")

        receipt = self.sandbox.buy(guide_id)
        self.etsy_shop._sync_etsy_orders(trigger="manual")
        order = self.order_of(receipt["receipt_id"])
        self.assertEqual(order.order_line.filtered("etsy_transaction_id").product_id, product)
        self.assertFalse(order.picking_ids, "a download ships nothing")

    def test_a_download_linked_to_a_stocked_product_is_never_pushed(self):
        """11.8: linked by SKU to a storable product, a download's quantity is still not ours."""
        stocked = self.env["product.product"].create({
            "name": "Guide", "default_code": "WBW-DL-GUIDE", "type": "consu",
            "is_storable": True})
        self.ready()
        binding = self.listing("guide").etsy_product_ids
        self.assertEqual(binding.product_id, stocked)
        self.assertEqual(binding.link_state, "not_stocked")
        self.set_stock(stocked, 4)
        self.push()
        self.assertFalse(self.calls(*WRITES))

    def test_the_catalog_flows_write_no_shop_row(self):
        """11.4: progress and calls left live on each flow's own sync state row."""
        self.env.flush_all()

        def shop_row_version():
            self.env.cr.execute("SELECT ctid FROM etsy_shop WHERE id = %s", [self.etsy_shop.id])
            return self.env.cr.fetchone()[0]

        before = shop_row_version()
        self.import_listings()
        self.stock_as_on_etsy()
        self.set_stock(self.vanilla, 3)
        # The order import that precedes the push is the order flow's (tested there).
        with patch.object(StockExport, "import_new_orders", return_value=True):
            log = self.push()
        self.assertEqual(log.counts["updated"], 1)
        self.assertEqual(shop_row_version(), before, "the shop row was not written")
        State = self.env["etsy.sync.state"]
        for flow in ("listings", "inventory"):
            with self.subTest(flow=flow):
                state = State.search([("shop_id", "=", self.etsy_shop.id), ("flow", "=", flow)])
                self.assertTrue(state.watermark)
                self.assertTrue(state.calls_left)
        self.etsy_shop.invalidate_recordset()
        self.assertEqual(self.etsy_shop.last_listing_import, State._value(
            self.etsy_shop, "listings", "watermark")[self.etsy_shop.id])
        self.assertTrue(self.etsy_shop.last_inventory_sync)

    def test_import_listings_runs_in_the_background_and_says_so(self):
        answer = self.etsy_shop.action_import_listings()
        self.assertIn("Listing sync of Etsy Sandbox Shop started in the background",
                      answer["params"]["message"])
        self.assertFalse(self.etsy_shop.listing_ids, "nothing was read while the browser waited")
        cron = self.env.ref("etsy_connector.ir_cron_run_requests")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        # What the cron worker woken by the trigger does.
        cron.method_direct_trigger()
        self.etsy_shop.invalidate_recordset()
        log = self.env["etsy.sync.log"].search([("shop_id", "=", self.etsy_shop.id),
                                                ("operation", "=", "listings")])
        self.assertEqual((log.trigger, log.state), ("manual", "done"))
        self.assertTrue(self.etsy_shop.listing_ids)
        self.assertEqual(log.records_fetched, len(self.etsy_shop.listing_ids))

    def test_push_stock_answers_with_the_run_summary(self):
        self.import_listings()
        answer = self.etsy_shop.action_sync_inventory()
        self.assertIn("listings checked", answer["params"]["message"])
        self.sandbox.revoke_tokens()
        answer = self.etsy_shop.action_sync_inventory()
        self.assertEqual(answer["params"]["type"], "danger")
        self.assertEqual(self.etsy_shop.state, "error")

    # --- fast path --- #

    def test_a_done_stock_move_of_a_linked_product_schedules_a_push(self):
        self.import_listings()
        cron = self.env.ref("etsy_connector.ir_cron_sync_inventory")
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        unlinked = self.env["product.product"].create({"name": "Not on Etsy", "type": "consu",
                                                       "is_storable": True})

        def adjust(product, quantity):
            self.env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": product.id, "location_id": self.stock_location.id,
                "inventory_quantity": quantity,
            }).action_apply_inventory()

        adjust(unlinked, 5)
        self.assertFalse(Trigger.search([("cron_id", "=", cron.id)]))
        before = fields.Datetime.now()
        adjust(self.vanilla, 5)
        trigger = Trigger.search([("cron_id", "=", cron.id)])
        self.assertEqual(len(trigger), 1)
        self.assertGreaterEqual(trigger.call_at, before + datetime.timedelta(seconds=59))
        self.assertLessEqual(trigger.call_at, before + datetime.timedelta(seconds=120))
        adjust(self.cedar, 5)
        adjust(self.vanilla, 7)
        self.assertEqual(Trigger.search([("cron_id", "=", cron.id)]), trigger, "debounced")

    def test_crons_call_the_flows(self):
        calls = []
        shop_class = type(self.etsy_shop)
        with (patch.object(shop_class, "_etsy_import_listings",
                           lambda shop: calls.append(("import", shop.id))),
              patch.object(shop_class, "_sync_etsy_inventory",
                           lambda shop: calls.append(("push", shop.id)))):
            self.env.ref("etsy_connector.ir_cron_import_listings").method_direct_trigger()
            self.env["etsy.shop"]._cron_sync_inventory()
        self.assertIn(("import", self.etsy_shop.id), calls)
        self.assertIn(("push", self.etsy_shop.id), calls)
