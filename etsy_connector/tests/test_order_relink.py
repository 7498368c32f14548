"""Orders imported before their Etsy items were linked get the products once they are linked."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from ..models.order_relink import OrderRelinker
from .sandbox_common import SandboxCase


@tagged("post_install", "-at_install")
class TestOrderRelink(SandboxCase):
    def setUp(self):
        super().setUp()
        self.seed = self.sandbox.world.seed_receipts
        self.placeholder = self.etsy_shop.placeholder_product_id
        self.stock_location = self.etsy_shop.warehouse_id.lot_stock_id

    # --- helpers --- #

    def sync_orders(self):
        return self.etsy_shop._sync_etsy_orders(trigger="manual")

    def import_listings(self):
        return self.etsy_shop._etsy_import_listings(trigger="manual")

    def storable(self, code, stock=0):
        product = self.env["product.product"].create(
            {"name": code, "default_code": code, "type": "consu", "is_storable": True})
        if stock:
            self.env["stock.quant"]._update_available_quantity(
                product, self.stock_location, stock)
        return product

    def item_line(self, name):
        order = self.order_of(self.seed[name])
        return order.order_line.filtered("etsy_transaction_id")

    def open_moves(self, order):
        return order.picking_ids.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))

    def snapshot(self):
        """What a second pass must leave alone: chatter, moves, lines, flags."""
        orders = self.orders()
        return (len(orders.message_ids), sorted(orders.picking_ids.move_ids.ids),
                sorted((line.id, line.product_id.id) for line in orders.order_line),
                orders.mapped("etsy_attention_reason"))


    # --- the listing import links by SKU --- #

    def test_listing_import_gives_open_orders_their_products_and_reserves_stock(self):
        self.sync_orders()
        gift = self.order_of(self.seed["gift"])
        line = self.item_line("gift")
        note = line.etsy_unmatched_note
        self.assertEqual(line.product_id, self.placeholder)
        self.assertEqual(gift.state, "sale")
        self.assertEqual(self.open_moves(gift).product_id, self.placeholder)
        self.assertIn(note, gift.etsy_attention_reason)
        delivery = gift.picking_ids
        rose = self.storable("WBW-ROSE-8OZ", stock=5)
        coffee = self.storable("WBW-COF-8OZ")

        self.import_listings()

        self.assertEqual(line.product_id, rose)
        self.assertFalse(line.etsy_unmatched)
        self.assertEqual((line.name, line.price_unit, line.product_uom_qty),
                         (line.name, 19.0, 1.0), "Etsy's text, price and quantity are kept")
        moves = self.open_moves(gift)
        self.assertEqual(moves.product_id, rose, "the placeholder's move is gone")
        self.assertEqual(moves.picking_id, delivery, "the same delivery ships the product")
        self.assertEqual(moves.state, "assigned")
        self.assertEqual(moves.quantity, 1.0, "the product's stock is reserved")
        self.assertEqual(rose.with_context(location=self.stock_location.id).free_qty, 3.0,
                         "gift and canada (one rose candle each) reserve theirs")
        self.assertNotIn(note, gift.etsy_attention_reason or "")
        self.assertEqual(gift.etsy_needs_attention, bool(gift.etsy_attention_reason))
        self.assertIn("instead of the placeholder", gift.message_ids[0].body)
        self.assertIn(rose.display_name, gift.message_ids[0].body)
        # An order not yet confirmed (payment processing) just gets the product.
        processing = self.item_line("processing")
        self.assertEqual(processing.order_id.state, "draft")
        self.assertEqual(processing.product_id, coffee)
        self.assertFalse(processing.order_id.picking_ids)

        # Idempotent: a second import and an order sync change nothing more.
        before = self.snapshot()
        self.import_listings()
        self.sync_orders()
        self.assertEqual(self.snapshot(), before)

    def test_an_order_delivered_with_the_placeholder_is_left_alone_with_its_reason(self):
        self.sync_orders()
        germany = self.order_of(self.seed["germany"])
        self.assertTrue(self.sandbox.receipt(self.seed["germany"])["is_shipped"])
        moves = germany.picking_ids.move_ids
        self.storable("WBW-VAN-8OZ", stock=5)

        self.import_listings()

        line = self.item_line("germany")
        self.assertEqual(line.product_id, self.placeholder)
        self.assertTrue(line.etsy_relink_blocked)
        self.assertEqual(germany.picking_ids.move_ids, moves)
        self.assertTrue(germany.etsy_needs_attention)
        self.assertIn("already delivered", germany.etsy_attention_reason)
        self.assertNotIn("No Odoo product", germany.etsy_attention_reason)
        # The reason is given once, and stays given after a person cleared it.
        before = self.snapshot()
        self.import_listings()
        self.sync_orders()
        self.assertEqual(self.snapshot(), before)
        germany.action_etsy_mark_resolved()
        self.sync_orders()
        self.assertFalse(germany.etsy_needs_attention)

    def test_an_invoiced_order_is_left_alone_with_its_reason(self):
        self.etsy_shop.invoice_policy = "order"
        self.sync_orders()
        gift = self.order_of(self.seed["gift"])
        self.assertEqual(gift.invoice_ids.mapped("state"), ["posted"])
        self.storable("WBW-ROSE-8OZ", stock=5)

        self.import_listings()

        line = self.item_line("gift")
        self.assertEqual(line.product_id, self.placeholder)
        self.assertEqual(self.open_moves(gift).product_id, self.placeholder)
        self.assertIn("already invoiced", gift.etsy_attention_reason)

    # --- a person links in To Link --- #

    def test_linking_by_hand_gives_open_orders_the_product(self):
        self.sync_orders()
        self.import_listings()
        emoji = self.order_of(self.seed["emoji"])
        binding = self.env["etsy.product"].search([("shop_id", "=", self.etsy_shop.id),
                                                   ("sku", "=", "WBW-CABIN-8OZ")])
        self.assertEqual(binding.link_state, "to_link")
        self.assertEqual(self.item_line("emoji").product_id, self.placeholder)
        cabin = self.env["product.product"].create(
            {"name": "Cozy cabin candle", "type": "consu", "is_storable": True})

        binding.with_user(self.manager).product_id = cabin

        self.assertEqual(self.item_line("emoji").product_id, cabin)
        moves = self.open_moves(emoji)
        self.assertEqual(moves.product_id, cabin)
        self.assertEqual(moves.state, "confirmed", "no stock: waiting for it, not reserved")
        self.assertEqual(emoji.message_ids[0].author_id, self.manager.partner_id)
        self.assertNotIn("No Odoo product", emoji.etsy_attention_reason or "")

    def test_a_line_recorded_without_its_variation_takes_the_listings_only_product(self):
        self.sync_orders()
        self.import_listings()
        # As imported before lines kept the variation, and after Etsy renumbered the product.
        line = self.item_line("emoji")
        line.write({"etsy_variation_key": False, "etsy_product_id": "1"})
        binding = self.env["etsy.product"].search([("shop_id", "=", self.etsy_shop.id),
                                                   ("sku", "=", "WBW-CABIN-8OZ")])
        cabin = self.env["product.product"].create(
            {"name": "Cozy cabin candle", "type": "consu", "is_storable": True})

        binding.product_id = cabin

        self.assertEqual(line.product_id, cabin)

    # --- the demo: a first sync that creates the products --- #

    def test_products_created_by_the_listing_import_fix_every_open_order(self):
        self.sync_orders()
        self.etsy_shop.create_missing_products = True
        self.import_listings()
        lines = self.orders().order_line.filtered(
            lambda line: line.etsy_transaction_id and line.order_id.state != "cancel")
        stuck = lines.filtered("etsy_unmatched")
        self.assertTrue(stuck, "the seed has receipts Etsy shows as shipped")
        self.assertTrue(all(stuck.mapped("etsy_relink_blocked")))
        self.assertTrue(all(line.qty_delivered for line in stuck))
        for order in (lines - stuck).order_id:
            with self.subTest(order=order.etsy_receipt_id):
                self.assertNotIn(self.placeholder, order.order_line.product_id)
                self.assertNotIn("No Odoo product", order.etsy_attention_reason or "")
                self.assertNotIn(self.placeholder, order.picking_ids.move_ids.product_id)

    # --- races between the flows --- #

    def test_an_order_run_relinks_what_was_linked_while_it_imported(self):
        self.sync_orders()
        self.storable("WBW-ROSE-8OZ", stock=5)
        # The link is made while the order import writes its orders: not visible yet to the
        # listing import's relink.
        nothing = {"relinked": self.env["sale.order"], "blocked": self.env["sale.order"]}
        with patch.object(OrderRelinker, "relink", return_value=nothing):
            self.import_listings()
        self.assertEqual(self.item_line("gift").product_id, self.placeholder)

        log = self.sync_orders()

        self.assertEqual(self.item_line("gift").product_id.default_code, "WBW-ROSE-8OZ")
        notes = self.env["etsy.sync.log"].browse(log.id).line_ids.mapped("message")
        self.assertTrue(any("now use the linked Odoo products" in note for note in notes))

    def test_a_first_order_import_waits_for_the_first_listing_import(self):
        self.storable("WBW-ROSE-8OZ", stock=5)
        with self.flow_running("listings"):
            log = self.sync_orders()
        self.assertFalse(self.orders())
        self.assertIn("first listing import is running", log.message)
        self.import_listings()
        self.sync_orders()
        self.assertEqual(self.item_line("gift").product_id.default_code, "WBW-ROSE-8OZ")
        self.assertFalse(self.item_line("gift").order_id.message_ids.filtered(
            lambda m: "instead of the placeholder" in (m.body or "")))
        # Once the listings were imported, a running import no longer holds the orders back.
        receipt = self.sandbox.buy(self.sandbox.world.seed_listings["rose"])
        with self.flow_running("listings"):
            self.sync_orders()
        self.assertTrue(self.order_of(receipt["receipt_id"]))

    def test_a_shop_connected_minutes_ago_imports_its_orders_after_its_listings(self):
        """A fresh database has every cron due at once: the scheduled order import may start
        before the listing import the connection queued has even begun."""
        self.storable("WBW-ROSE-8OZ", stock=5)
        self.etsy_shop.connected_at = fields.Datetime.now() - timedelta(minutes=2)
        log = self.etsy_shop._sync_etsy_orders(trigger="cron")
        self.assertFalse(self.orders())
        self.assertIn("first listing import is running (or starts in a moment)", log.message)
        orders_cron = self.env.ref("etsy_connector.ir_cron_sync_orders")
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([("cron_id", "=", orders_cron.id)]).unlink()
        self.import_listings()
        self.assertTrue(Trigger.search([("cron_id", "=", orders_cron.id)]),
                        "the first listing import wakes the order import")
        self.etsy_shop._sync_etsy_orders(trigger="cron")
        self.assertEqual(self.item_line("gift").product_id.default_code, "WBW-ROSE-8OZ")

    def test_a_person_asking_for_the_orders_of_a_new_shop_is_not_kept_waiting(self):
        self.etsy_shop.connected_at = fields.Datetime.now() - timedelta(minutes=2)
        self.sync_orders()
        self.assertTrue(self.orders())

    def test_an_hour_after_connecting_the_scheduled_import_no_longer_waits(self):
        self.etsy_shop.connected_at = fields.Datetime.now() - timedelta(hours=1)
        self.etsy_shop._sync_etsy_orders(trigger="cron")
        self.assertTrue(self.orders(), "a listing import that never succeeds holds nothing back")
