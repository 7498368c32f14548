"""Etsy receipts -> sale orders, against the sandbox over real HTTP."""

import datetime
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..etsy.money import epoch_to_datetime
from ..models.etsy_binding import property_key
from ..models.etsy_run import flow_lock_key
from ..models.order_writer import OrderWriter
from .sandbox_common import SandboxCase

RUN_LOGGER = "odoo.addons.etsy_connector.models.etsy_run"


class OrdersCase(SandboxCase):
    """The seeded shop, two storable products its receipts match by SKU, and VAT taxes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.tea_8oz = Product.create(
            {
                "name": "Teatime candle 8 oz",
                "default_code": "WBW-TEA-8OZ",
                "type": "consu",
                "is_storable": True,
            }
        )
        cls.lavender_16 = Product.create(
            {
                "name": "Lavender 16 oz",
                "default_code": "WBW-LAV-16OZ",
                "type": "consu",
                "is_storable": True,
            }
        )
        Tax = cls.env["account.tax"]
        cls.vat = {
            rate: Tax.create(
                {
                    "name": f"VAT {rate}%",
                    "amount": rate,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "company_id": cls.company_a.id,
                }
            )
            for rate in (19.0, 20.0, 24.0)
        }

    def setUp(self):
        super().setUp()
        self.seed = self.sandbox.world.seed_receipts

    def sync(self, shop=None):
        return (shop or self.etsy_shop)._sync_etsy_orders(trigger="manual")

    def receipt(self, name):
        return self.sandbox.receipt(self.seed[name])


@tagged("post_install", "-at_install")
class TestOrderImport(OrdersCase):
    # --- the seeded shop, receipt by receipt --- #

    def test_every_seed_receipt_becomes_one_order(self):
        log = self.sync()
        self.assertEqual(log.counts["created"], len(self.seed))
        self.assertEqual(log.counts["failed"], 0)
        self.assertEqual(len(self.orders()), len(self.seed))
        for name, receipt_id in self.seed.items():
            with self.subTest(receipt=name):
                order = self.order_of(receipt_id)
                receipt = self.sandbox.receipt(receipt_id)
                self.assertEqual(order.client_order_ref, str(receipt_id))
                self.assertIn(str(receipt_id), order.origin)
                self.assertEqual(order.company_id, self.company_a)
                self.assertEqual(order.date_order, epoch_to_datetime(receipt["created_timestamp"]))
                self.assertEqual(order.currency_id.name, "USD")
                self.assertEqual(
                    len(order.order_line.filtered("etsy_transaction_id")),
                    len(receipt["transactions"]),
                )

    def test_paid_orders_are_confirmed_with_etsy_date(self):
        self.sync()
        order = self.order_of(self.seed["us_tax"])
        self.assertEqual(order.state, "sale")
        receipt = self.receipt("us_tax")
        self.assertEqual(order.date_order, epoch_to_datetime(receipt["created_timestamp"]))
        self.assertTrue(order.picking_ids, "confirming creates the delivery")
        self.assertEqual(
            self.order_of(self.seed["processing"]).state,
            "draft",
            "a receipt whose payment is still processing is not confirmed",
        )

    def test_us_sales_tax_collected_by_etsy_is_not_revenue(self):
        self.sync()
        order = self.order_of(self.seed["us_tax"])
        receipt = self.receipt("us_tax")
        self.assertEqual(order.amount_tax, 0.0)
        self.assertAlmostEqual(order.etsy_sales_tax, receipt["total_tax_cost"]["amount"] / 100)
        grand = receipt["grandtotal"]["amount"] / 100
        self.assertAlmostEqual(order.amount_total, grand - order.etsy_sales_tax, places=2)
        self.assertFalse(order.etsy_needs_attention, order.etsy_attention_reason)
        line = order.order_line.filtered("etsy_transaction_id")
        self.assertEqual(line.product_id, self.tea_8oz, "matched by SKU")
        shipping = order.order_line.filtered(
            lambda l: l.product_id == self.etsy_shop.shipping_product_id
        )
        self.assertAlmostEqual(shipping.price_unit, receipt["total_shipping_cost"]["amount"] / 100)

    def test_sales_tax_as_a_line_when_the_shop_says_so(self):
        self.etsy_shop.sales_tax_policy = "line"
        self.sync()
        order = self.order_of(self.seed["us_tax"])
        receipt = self.receipt("us_tax")
        self.assertAlmostEqual(order.amount_total, receipt["grandtotal"]["amount"] / 100, places=2)
        self.assertIn(self.etsy_shop.sales_tax_product_id, order.order_line.product_id)

    def test_vat_etsy_collects_stays_out_of_the_order(self):
        """The default VAT policy: Etsy collects and remits it, like the US sales tax."""
        self.assertEqual(self.etsy_shop.vat_policy, "etsy_collects")
        self.sync()
        receipt = self.receipt("uk_vat")
        order = self.order_of(self.seed["uk_vat"])
        vat = receipt["total_vat_cost"]["amount"] / 100
        self.assertFalse(order.order_line.tax_id)
        self.assertAlmostEqual(order.etsy_vat_amount, vat, places=2)
        self.assertAlmostEqual(order.amount_total, receipt["grandtotal"]["amount"] / 100 - vat,
                               places=2)
        self.assertFalse(order.etsy_needs_attention, order.etsy_attention_reason)
        italy = self.order_of(self.seed["refunded"])  # 22 %: no such Odoo tax, and none needed
        self.assertNotIn("tax of 22", italy.etsy_attention_reason or "")

    def test_vat_charged_by_seller_maps_to_odoo_tax_by_rate(self):
        self.etsy_shop.vat_policy = "seller_charges"
        self.sync()
        order = self.order_of(self.seed["uk_vat"])
        receipt = self.receipt("uk_vat")
        self.assertEqual(order.order_line.tax_id, self.vat[20.0])
        self.assertAlmostEqual(
            order.amount_tax, receipt["total_vat_cost"]["amount"] / 100, places=2
        )
        self.assertAlmostEqual(order.amount_total, receipt["grandtotal"]["amount"] / 100, places=2)
        self.assertFalse(order.etsy_needs_attention, order.etsy_attention_reason)
        self.assertEqual(self.order_of(self.seed["germany"]).order_line.tax_id, self.vat[19.0])

    def test_missing_vat_rate_is_flagged_with_the_difference(self):
        self.etsy_shop.vat_policy = "seller_charges"
        self.sync()
        order = self.order_of(self.seed["refunded"])  # Italy: 22 % VAT, no such Odoo tax here
        self.assertTrue(order.etsy_needs_attention)
        self.assertRegex(order.etsy_attention_reason, r"tax of 22(\.0\d?)? %")
        self.assertIn("Totals differ", order.etsy_attention_reason)

    def test_partners_and_addresses(self):
        self.sync()
        us = self.order_of(self.seed["us_tax"])
        self.assertEqual(us.partner_shipping_id.state_id.code, "CA")
        self.assertEqual(us.partner_shipping_id.country_id.code, "US")
        self.assertEqual(us.partner_shipping_id.parent_id, us.partner_id)
        self.assertEqual(
            us.partner_id.etsy_buyer_user_id, str(self.receipt("us_tax")["buyer_user_id"])
        )
        germany = self.order_of(self.seed["germany"]).partner_shipping_id
        self.assertEqual(germany.country_id.code, "DE")
        self.assertFalse(germany.state_id)
        self.assertEqual(self.order_of(self.seed["japanese"]).partner_id.name, "山田 花子")
        self.assertEqual(self.order_of(self.seed["greek"]).partner_id.name, "Γιώργος Παπαδόπουλος")
        self.assertFalse(self.order_of(self.seed["no_email"]).partner_id.email)
        withheld = self.order_of(self.seed["withheld"])
        self.assertTrue(withheld.etsy_needs_attention)
        self.assertIn("address is incomplete", withheld.etsy_attention_reason)

    def test_returning_buyer_reuses_partner_and_address(self):
        self.sync()
        first = self.order_of(self.seed["us_tax"])
        previous = self.receipt("us_tax")
        buyer = {
            key: previous[key]
            for key in ("name", "first_line", "second_line", "city", "state", "zip", "country_iso")
        }
        buyer.update(user_id=previous["buyer_user_id"], email=previous["buyer_email"])
        receipt = self.sandbox.buy(previous["transactions"][0]["listing_id"], buyer=buyer)
        self.sync()
        second = self.order_of(receipt["receipt_id"])
        self.assertEqual(second.partner_id, first.partner_id)
        self.assertEqual(second.partner_shipping_id, first.partner_shipping_id)

    def test_gift_coupon_multi_item_and_bulk_lines(self):
        self.sync()
        gift = self.order_of(self.seed["gift"])
        self.assertTrue(gift.etsy_is_gift)
        self.assertIn("Happy birthday", gift.etsy_gift_message)
        self.assertIn(self.etsy_shop.gift_wrap_product_id, gift.order_line.product_id)
        coupon = self.order_of(self.seed["coupon"])
        discount = coupon.order_line.filtered(
            lambda l: l.product_id == self.etsy_shop.discount_product_id
        )
        self.assertAlmostEqual(
            discount.price_unit, -self.receipt("coupon")["discount_amt"]["amount"] / 100
        )
        for name in ("gift", "coupon", "multi", "bulk", "japanese"):
            with self.subTest(receipt=name):
                order = self.order_of(self.seed[name])
                grand = self.receipt(name)["grandtotal"]["amount"] / 100
                self.assertAlmostEqual(order.amount_total + order.etsy_sales_tax, grand, places=2)
        self.assertEqual(
            len(self.order_of(self.seed["multi"]).order_line.filtered("etsy_transaction_id")), 3
        )
        bulk = self.order_of(self.seed["bulk"]).order_line.filtered("etsy_transaction_id")
        self.assertEqual(bulk.product_uom_qty, 999)

    def test_line_text_keeps_title_variations_and_personalization(self):
        self.sync()
        long_title = self.receipt("long_title")["transactions"][0]["title"]
        self.assertEqual(len(long_title), 140)
        line = self.order_of(self.seed["long_title"]).order_line.filtered("etsy_transaction_id")
        self.assertIn(long_title, line.name)
        personalized = self.order_of(self.seed["personalized"]).order_line.filtered(
            "etsy_transaction_id"
        )
        self.assertIn("Emma & Liam 2026", personalized.name)

    def test_binding_matches_by_listing_and_variation_after_etsy_renumbered(self):
        # Etsy gave the listing's products new ids at a stock push; the sale still carries the
        # old one. The binding is found by listing + variation, before the SKU fallback.
        tx = self.receipt("us_tax")["transactions"][0]
        bound = self.env["product.product"].create({"name": "Teatime 8 oz (bound)",
                                                    "type": "consu", "is_storable": True})
        listing = self.env["etsy.listing"].create({
            "shop_id": self.etsy_shop.id, "etsy_listing_id": str(tx["listing_id"]),
            "title": tx["title"]})
        self.env["etsy.product"].create({
            "listing_id": listing.id, "etsy_product_id": "1", "product_id": bound.id,
            "property_key": property_key({"property_values": tx["product_data"]})})
        self.sync()
        line = self.order_of(self.seed["us_tax"]).order_line.filtered("etsy_transaction_id")
        self.assertEqual(line.product_id, bound)

    def test_unmatched_items_use_placeholder_and_are_flagged(self):
        self.sync()
        order = self.order_of(self.seed["vanilla" if "vanilla" in self.seed else "germany"])
        line = order.order_line.filtered("etsy_transaction_id")
        self.assertEqual(line.product_id, self.etsy_shop.placeholder_product_id)
        self.assertTrue(line.etsy_unmatched)
        self.assertTrue(order.etsy_needs_attention)
        self.assertIn("No Odoo product", order.etsy_attention_reason)

    def test_buyer_text_is_kept_as_text(self):
        receipt = self.sandbox.buy(
            self.receipt("us_tax")["transactions"][0]["listing_id"],
            message_from_buyer="<b>bold</b> <script>alert(1)</script>",
        )
        self.sync()
        order = self.order_of(receipt["receipt_id"])
        self.assertEqual(order.etsy_buyer_message, "<b>bold</b> <script>alert(1)</script>")

    def test_cancelled_refunded_receipts(self):
        self.sync()
        self.assertEqual(self.order_of(self.seed["canceled"]).state, "cancel")
        refunded = self.order_of(self.seed["partial"])
        self.assertTrue(refunded.etsy_needs_attention)
        self.assertIn("Refunded on Etsy", refunded.etsy_attention_reason)
        self.assertTrue(refunded.etsy_refund_total)

    def test_statuses_in_title_case_are_understood(self):
        self.sandbox.receipt_status_style = "title"  # "Canceled", "Fully Refunded" as seen live
        self.sync()
        self.assertEqual(self.order_of(self.seed["canceled"]).state, "cancel")
        self.assertEqual(self.order_of(self.seed["refunded"]).etsy_status, "fully refunded")

    # --- idempotency, updates, late changes --- #

    def test_rerun_is_idempotent(self):
        self.sync()
        count = len(self.orders())
        lines = len(self.orders().order_line)
        self.etsy_shop.last_order_sync = False  # re-read the whole history
        log = self.sync()
        self.assertEqual(log.counts["created"], 0)
        self.assertEqual(len(self.orders()), count)
        self.assertEqual(len(self.orders().order_line), lines)

    def test_window_uses_watermark_with_overlap_ascending(self):
        self.sync()
        self.sandbox.clear_journal()
        self.sync()
        call = self.sandbox.calls("getShopReceipts")[0]
        self.assertEqual(call["query"]["sort_on"], "updated")
        self.assertEqual(call["query"]["sort_order"], "asc")
        since = epoch_to_datetime(int(call["query"]["min_last_modified"]))
        self.assertLess(since, self.etsy_shop.last_order_sync)

    def test_recent_receipts_are_rechecked_a_few_pages_per_run(self):
        self.sandbox.generate_receipts(330, shop_id=self.sandbox.seller["shop_id"])
        self.sync()
        self.assertEqual(len(self.orders()), len(self.seed) + 330)

        def recheck_calls():
            return [c for c in self.sandbox.calls("getShopReceipts") if "min_created" in c["query"]]

        offsets = []
        for _run in range(3):
            self.sandbox.clear_journal()
            self.sync()
            calls = recheck_calls()
            self.assertLessEqual(len(calls), 2, "a fixed budget of pages per run")
            offsets += [int(c["query"]["offset"]) for c in calls]
        # 355 recent receipts, two pages a run: the import's own run read 0 and 100, the next
        # ones go on at 200 and 300 (a short page), then start over.
        self.assertEqual(offsets, [200, 300, 0, 100, 200, 300])

    def test_window_beyond_etsys_offset_cap_is_read_in_slices(self):
        # Etsy lists at most 12,000 receipts per query: told there are 20,000, the sync reads
        # the window in time slices instead of failing.
        self.sandbox.inject_fault("getShopReceipts", status=200,
                                  body={"count": 20000, "results": []})
        log = self.sync()
        self.assertEqual(log.counts["created"], len(self.seed))
        sliced = [c for c in self.sandbox.calls("getShopReceipts")
                  if "max_last_modified" in c["query"]]
        self.assertTrue(sliced)

    def test_late_cancellation_and_refund_are_picked_up(self):
        self.sync()
        cancelled = self.seed["us_tax"]
        refunded = self.seed["gift"]
        self.order_of(cancelled).picking_ids.action_cancel()
        self.sandbox.cancel_receipt(cancelled)
        self.sandbox.refund_receipt(refunded, amount=500)
        self.sync()
        self.assertEqual(self.order_of(cancelled).state, "cancel")
        gift = self.order_of(refunded)
        self.assertTrue(gift.etsy_needs_attention)
        self.assertAlmostEqual(gift.etsy_refund_total, 5.0)
        self.assertIn("Refund on Etsy", "\n".join(gift.message_ids.mapped("body")))

    def test_cancellation_after_delivery_is_flagged_not_cancelled(self):
        self.sync()
        order = self.order_of(self.seed["us_tax"])
        self.env["stock.quant"]._update_available_quantity(
            self.tea_8oz, self.etsy_shop.warehouse_id.lot_stock_id, 5
        )
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.button_validate()
        self.sandbox.cancel_receipt(self.seed["us_tax"])
        self.sync()
        self.assertEqual(order.state, "sale")
        self.assertIn("after goods were delivered", order.etsy_attention_reason)

    # --- failures --- #

    def test_malformed_receipt_is_quarantined_then_imported(self):
        # Etsy answers the first page with one receipt Odoo cannot read (a price that is no
        # number); the rest of the page imports, the bad one waits in "Receipts to Fix".
        receipts = sorted((self.sandbox.receipt(rid) for rid in self.seed.values()),
                          key=lambda r: (r["updated_timestamp"], r["receipt_id"]))
        bad = receipts[3]
        bad["transactions"][0]["price"] = {"amount": "12,50", "divisor": 100,
                                           "currency_code": "USD"}
        self.sandbox.inject_fault("getShopReceipts", status=200,
                                  body={"count": len(receipts), "results": receipts})
        log = self.sync()
        self.assertEqual(log.counts["failed"], 1)
        self.assertEqual(len(self.orders()), len(self.seed) - 1, "the rest of the page imported")
        self.assertFalse(self.order_of(bad["receipt_id"]))
        issue = self.env["etsy.receipt.issue"].search(
            [("etsy_receipt_id", "=", str(bad["receipt_id"]))])
        self.assertEqual(issue.state, "pending")
        self.assertIn("Money amount", issue.reason)
        self.assertNotIn("first_line", issue.payload, "no personal data kept")
        self.assertGreater(issue.next_retry_at, fields.Datetime.now())
        log_line = self.env["etsy.sync.log.line"].search(
            [("etsy_id", "=", str(bad["receipt_id"]))])
        self.assertEqual(log_line.level, "error")
        self.assertIn("Money amount", log_line.message)
        # The fault is gone: the Retry button fetches the receipt again and imports it.
        issue.action_retry()
        self.assertEqual(issue.state, "resolved")
        self.assertEqual(issue.sale_order_id, self.order_of(bad["receipt_id"]))
        # A later run finds nothing left to do.
        self.assertEqual(self.sync().counts["created"], 0)

    def test_quarantined_receipt_is_retried_by_later_runs_after_backoff(self):
        listing_id = self.receipt("us_tax")["transactions"][0]["listing_id"]
        bad = self.sandbox.buy(listing_id)
        original = OrderWriter.write

        def fail_for_bad(writer, receipt, lookups):
            if receipt.receipt_id == str(bad["receipt_id"]):
                raise ValueError("Etsy sent a receipt Odoo cannot read")
            return original(writer, receipt, lookups)

        with patch.object(OrderWriter, "write", fail_for_bad), \
                self.assertLogs(RUN_LOGGER, "ERROR") as logs:
            self.sync()
        self.assertIn("Traceback", logs.output[0], "a bug keeps its traceback")
        issue = self.env["etsy.receipt.issue"].search(
            [("etsy_receipt_id", "=", str(bad["receipt_id"]))])
        self.assertEqual(issue.attempts, 1)
        # Out of the next windows, so only the retry queue can bring it back.
        self.etsy_shop.last_order_sync = fields.Datetime.now() + datetime.timedelta(days=1)
        self.sync()  # backoff not elapsed: not retried yet
        self.assertEqual(issue.state, "pending")
        self.assertFalse(self.order_of(bad["receipt_id"]))
        issue.next_retry_at = fields.Datetime.now() - datetime.timedelta(seconds=1)
        self.sync()
        self.assertEqual(issue.state, "resolved")
        self.assertTrue(self.order_of(bad["receipt_id"]))

    def test_timeout_mid_pagination_loses_nothing(self):
        self.sandbox.generate_receipts(150, shop_id=self.sandbox.seller["shop_id"])
        self.env["ir.config_parameter"].set_param("etsy_connector.http_timeout", "1")
        original = OrderWriter.write
        seen = []

        def hang_midway(writer, receipt, lookups):
            seen.append(receipt.receipt_id)
            if len(seen) == 100:
                self.sandbox.inject_fault("getShopReceipts", hang=1.5)
            return original(writer, receipt, lookups)

        with patch.object(OrderWriter, "write", hang_midway):
            log = self.sync()
        self.assertEqual(log.counts["failed"], 0)
        self.assertEqual(len(self.orders()), len(self.seed) + 150)

    def test_server_errors_and_rate_limits_mid_pagination_lose_nothing(self):
        self.sandbox.generate_receipts(230, shop_id=self.sandbox.seller["shop_id"])
        original = OrderWriter.write
        seen = []

        def fault_midway(writer, receipt, lookups):
            seen.append(receipt.receipt_id)
            if len(seen) == 120:
                self.sandbox.inject_fault("getShopReceipts", status=503, count=2)
                self.sandbox.inject_fault("getShopReceipts", status=429, count=1)
            return original(writer, receipt, lookups)

        with patch.object(OrderWriter, "write", fault_midway):
            log = self.sync()
        self.assertEqual(log.counts["failed"], 0)
        self.assertEqual(len(self.orders()), len(self.seed) + 230)
        statuses = [c["status"] for c in self.sandbox.calls("getShopReceipts")]
        self.assertIn(503, statuses)
        self.assertIn(429, statuses)

    def test_expired_token_is_refreshed_and_rotation_persisted(self):
        old_refresh = self.etsy_shop.refresh_token
        self.sandbox.expire_access_tokens()
        self.sync()
        self.assertEqual(len(self.orders()), len(self.seed))
        self.assertNotEqual(self.etsy_shop.refresh_token, old_refresh)
        self.assertGreater(self.etsy_shop.token_expires_at, fields.Datetime.now())
        self.assertEqual(self.etsy_shop.state, "connected")
        # The persisted pair works on its own (a fresh client, as the next cron run builds).
        self.assertTrue(self.etsy_shop._etsy_client().get_me())

    def test_revoked_token_puts_shop_in_error_without_crash(self):
        shop = self.etsy_shop
        self.sandbox.revoke_tokens()
        self.sandbox.expire_access_tokens()
        self.env["etsy.shop"]._cron_sync_orders()
        self.assertEqual(shop.state, "error")
        self.assertIn("Reconnect", shop.last_error)
        self.assertTrue(shop.activity_ids)
        log = shop.sync_log_ids.filtered(lambda l: l.operation == "orders")
        self.assertEqual(log.state, "failed")
        self.assertNoSecret(log.message)

    def test_shop_of_company_b_writes_orders_in_company_b(self):
        seller = self.new_seller(currency_code="EUR")
        receipt = self.sandbox.buy(seller["listing_id"])
        shop_b = self.make_connected_shop("Shop in B", self.company_b, seller=seller)
        self.env["etsy.shop"]._cron_sync_orders()
        order = self.order_of(receipt["receipt_id"], shop=shop_b)
        self.assertEqual(order.company_id, self.company_b)
        self.assertEqual(order.currency_id.name, "EUR")
        self.assertEqual(order.pricelist_id.name, "Etsy EUR")
        self.assertEqual(order.warehouse_id.company_id, self.company_b)
        self.assertFalse(self.order_of(receipt["receipt_id"]))

    def test_crash_between_commits_loses_nothing(self):
        """A worker killed mid-run: only committed receipts move the watermark.

        The run commits for real (in tests, the run's test cursor commits to a savepoint) and
        its cursor rolls back what a dead worker had not committed.
        """
        original = OrderWriter.write
        done = []

        def die_at_12(writer, receipt, lookups):
            if len(done) == 12:
                raise SystemExit("worker killed")
            done.append(receipt.receipt_id)
            return original(writer, receipt, lookups)

        with (
            patch("odoo.addons.etsy_connector.models.flow_orders.ORDERS_PER_COMMIT", 5),
            patch.object(OrderWriter, "write", die_at_12),
            self.assertRaisesKeepingWrites(SystemExit),
        ):
            self.sync()
        self.env.invalidate_all()
        self.assertEqual(len(self.orders()), 10, "two batches of five were committed")
        committed = self.orders().mapped("etsy_updated_at")
        self.assertEqual(self.etsy_shop.last_order_sync, max(committed),
                         "the watermark stops at the last committed receipt")
        self.sync()
        self.assertEqual(len(self.orders()), len(self.seed))
        receipt_ids = self.orders().mapped("etsy_receipt_id")
        self.assertEqual(len(receipt_ids), len(set(receipt_ids)))

    def test_two_runs_of_one_shop_never_overlap(self):
        # In test mode Odoo's cursors share one connection: a second connection is a real
        # second worker, holding the run's advisory lock.
        with db_connect(self.env.cr.dbname).cursor() as worker_cr:
            worker_cr.execute("SELECT pg_advisory_lock(%s)",
                              [flow_lock_key(self.etsy_shop.id, "orders")])
            try:
                with self.assertRaisesKeepingWrites(UserError):
                    self.sync()
                self.assertIsNone(self.etsy_shop._sync_etsy_orders(trigger="cron"))
                with self.assertRaisesKeepingWrites(UserError):
                    self.etsy_shop.import_receipt_by_id(self.seed["us_tax"])
                self.assertFalse(self.orders())
                other_shop = self.make_connected_shop(
                    "Another shop", self.company_a, seller=self.new_seller()
                )
                self.assertTrue(other_shop._sync_etsy_orders(trigger="cron"),
                                "another shop is not blocked")
            finally:
                worker_cr.execute("SELECT pg_advisory_unlock(%s)",
                                  [flow_lock_key(self.etsy_shop.id, "orders")])
        self.assertEqual(self.sync().counts["created"], len(self.seed))


@tagged("post_install", "-at_install")
class TestOrderFlowDefects(OrdersCase):
    """Issue 11's defects on the order side, each failing on the code before the order flow."""

    def pending_issue(self, receipt_id):
        return self.env["etsy.receipt.issue"].create({
            "shop_id": self.etsy_shop.id, "etsy_receipt_id": str(receipt_id), "attempts": 1,
            "reason": "earlier failure",
            "next_retry_at": fields.Datetime.now() - datetime.timedelta(minutes=1)})

    def recheck_calls(self):
        return [c for c in self.sandbox.calls("getShopReceipts") if "min_created" in c["query"]]

    # --- 11.1: one bad receipt never stops the order sync --- #

    def test_receipt_gone_from_etsy_is_closed_and_the_run_goes_on(self):
        gone = self.pending_issue(987654321)
        log = self.sync()
        self.assertFalse(log.failed_with)
        self.assertEqual(self.env["etsy.sync.log"].browse(log.id).state, "partial")
        self.assertEqual(log.counts["created"], len(self.seed), "the window still imported")
        self.assertTrue(self.recheck_calls(), "the recheck sweep still ran")
        self.assertEqual(gone.state, "gone")
        self.assertIn("no longer has this receipt", gone.reason)
        self.assertEqual(log.counts["failed"], 1)

    def test_failing_retry_backs_off_and_others_are_retried(self):
        self.sync()
        listing_id = self.receipt("us_tax")["transactions"][0]["listing_id"]
        later, unlucky = self.sandbox.buy(listing_id), self.sandbox.buy(listing_id)
        # Out of the next windows: only the retry queue can bring these back.
        self.etsy_shop.last_order_sync = fields.Datetime.now() + datetime.timedelta(days=1)
        failing = self.pending_issue(unlucky["receipt_id"])
        failing.next_retry_at -= datetime.timedelta(minutes=1)  # retried first
        waiting = self.pending_issue(later["receipt_id"])
        # Etsy answers 503 to the first fetch, and to each of the client's retries.
        self.sandbox.inject_fault("getShopReceipt", status=503, count=5)
        before = fields.Datetime.now()
        log = self.sync()
        self.assertEqual(failing.state, "pending")
        self.assertEqual(failing.attempts, 2)
        self.assertGreater(failing.next_retry_at, before, "backed off")
        self.assertEqual(waiting.state, "resolved", "the next receipt was retried all the same")
        self.assertTrue(self.order_of(later["receipt_id"]))
        self.assertTrue(self.recheck_calls())
        self.assertEqual(log.counts["failed"], 1)

    def test_a_rolled_back_receipt_keeps_the_window_read(self):
        # The recheck skips what the window read; a receipt that rolled back must not make it
        # forget (it would read every receipt of the window a second time).
        original = OrderWriter.write
        bad = str(self.seed["gift"])

        def fail_one(writer, receipt, lookups):
            if receipt.receipt_id == bad:
                raise UserError("cannot import this one")
            return original(writer, receipt, lookups)

        with patch.object(OrderWriter, "write", fail_one):
            log = self.sync()
        self.assertEqual(log.counts["fetched"], len(self.seed))
        self.assertEqual(log.counts["failed"], 1)
        self.assertEqual(len(self.orders()), len(self.seed) - 1)

    # --- 11.9: what Etsy shipped leaves no open delivery --- #

    def open_deliveries(self, order):
        return order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))

    def test_receipts_already_shipped_get_their_delivery_validated(self):
        self.sync()
        for name in ("shipped", "delivered", "germany", "refunded"):
            with self.subTest(receipt=name):
                order = self.order_of(self.seed[name])
                self.assertTrue(self.receipt(name)["is_shipped"])
                self.assertEqual(order.state, "sale")
                self.assertTrue(order.picking_ids)
                self.assertFalse(self.open_deliveries(order))
                self.assertEqual(set(order.picking_ids.mapped("etsy_push_state")), {"skipped"},
                                 "nothing to tell Etsy, which shipped it")
                self.assertIn("validated as shipped", "\n".join(order.message_ids.mapped("body")))
        self.assertTrue(self.open_deliveries(self.order_of(self.seed["us_tax"])),
                        "an order not yet shipped keeps its delivery open")

    def test_receipts_already_shipped_get_no_delivery_when_the_shop_says_so(self):
        self.etsy_shop.shipped_receipt_policy = "none"
        self.sync()
        order = self.order_of(self.seed["shipped"])
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.picking_ids)
        self.assertIn("no delivery was created", "\n".join(order.message_ids.mapped("body")))

    def test_fully_refunded_before_shipping_is_cancelled_not_confirmed(self):
        listing_id = self.receipt("us_tax")["transactions"][0]["listing_id"]
        receipt = self.sandbox.buy(listing_id)
        self.sandbox.refund_receipt(receipt["receipt_id"])
        self.assertEqual(self.sandbox.receipt(receipt["receipt_id"])["status"].lower(),
                         "fully refunded")
        self.sync()
        order = self.order_of(receipt["receipt_id"])
        self.assertEqual(order.state, "cancel")
        self.assertFalse(self.open_deliveries(order))
        self.assertIn("refunded the receipt in full", "\n".join(order.message_ids.mapped("body")))

    # --- 11.8 (order side): downloads are not shipped --- #

    def test_digital_items_create_no_delivery(self):
        self.sync()
        order = self.order_of(self.seed["digital"])
        line = order.order_line.filtered("etsy_transaction_id")
        self.assertTrue(line.etsy_is_digital)
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.picking_ids, "Etsy delivers downloads itself")

    # --- 11.10: the summary says what this run did, and from where --- #

    def test_summary_says_what_the_run_did_and_where_receipts_came_from(self):
        log = self.sync()
        self.assertIn(f"{len(self.seed)} receipts read from Etsy", log.message)
        self.assertIn(f"{len(self.seed)} changed on Etsy since the last sync", log.message)
        self.assertIn(f"{len(self.seed)} orders created", log.message)
        self.sandbox.cancel_receipt(self.seed["us_tax"])
        log = self.sync()
        self.assertIn("re-checked for late cancellations and refunds", log.message)
        self.assertIn("1 updated", log.message)

    # --- 11.3: the shop's sync button syncs that shop --- #

    def test_sync_button_syncs_this_shop_only(self):
        seller = self.new_seller()
        other_receipt = self.sandbox.buy(seller["listing_id"])
        other = self.make_connected_shop("Other shop", self.company_a, seller=seller)
        action = self.etsy_shop.action_sync_orders()
        self.assertIn("started in the background", action["params"]["message"])
        self.assertFalse(self.orders(), "nothing imported while the browser waits")
        self.env["etsy.sync.request"]._cron_run_requests()  # what the woken cron worker does
        self.assertEqual(len(self.orders()), len(self.seed))
        self.assertFalse(self.order_of(other_receipt["receipt_id"], shop=other))
        self.assertFalse(other.sync_log_ids)

    # --- the order flow's state and dates --- #

    def test_the_order_flow_writes_no_shop_row(self):
        """11.4: an order run keeps its progress on its own sync state row, so it never
        conflicts with another flow of the shop (or a person editing it) over the shop row."""
        self.env.flush_all()

        def shop_row_version():
            self.env.cr.execute("SELECT ctid FROM etsy_shop WHERE id = %s", [self.etsy_shop.id])
            return self.env.cr.fetchone()[0]

        before = shop_row_version()
        log = self.sync()
        self.assertEqual(log.counts["created"], len(self.seed))
        self.sync()  # a second run: watermark, recheck offset and calls left move again
        self.assertEqual(shop_row_version(), before, "the shop row was not written")

    def test_progress_lives_in_the_orders_sync_state(self):
        self.sync()
        state = self.env["etsy.sync.state"].search(
            [("shop_id", "=", self.etsy_shop.id), ("flow", "=", "orders")])
        self.assertTrue(state.watermark)
        self.assertEqual(self.etsy_shop.last_order_sync, state.watermark)
        self.etsy_shop.last_order_sync = False
        self.assertFalse(state.watermark, "set by hand, it moves the flow's watermark")

    def test_confirming_by_hand_keeps_etsys_date(self):
        self.sync()
        order = self.order_of(self.seed["processing"])
        self.assertEqual(order.state, "draft")
        order.action_confirm()
        created = epoch_to_datetime(self.receipt("processing")["created_timestamp"])
        self.assertEqual(order.date_order, created)
