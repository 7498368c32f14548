"""The Etsy Payment Account ledger booked in the shop's Etsy journal, against the sandbox.

A month of sales with refunds, fees and payouts, in a USD shop and in a EUR shop of a USD
company: every entry booked once (a re-run books nothing), every invoice paid, the Etsy journal
balance equal to Etsy's ledger balance to the cent, an unknown ledger type flagged, never lost.
"""

from odoo.tests import tagged

from ..models.etsy_invoicing import EtsyInvoicing
from .sandbox_common import SandboxCase

DAY = 86400


class MoneyCase(SandboxCase):
    """A sandbox shop with a chart of accounts, invoicing each order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_a
        if not company.chart_template:
            cls.env["account.chart.template"].try_loading("generic_coa", company,
                                                          install_demo=False)
        cls.etsy_shop.invoice_policy = "order"

    def invoice_orders(self, shop=None):
        """What the order flow does after each import (idempotent)."""
        shop = shop or self.etsy_shop
        for order in self.orders(shop):
            EtsyInvoicing(self.env, shop).sync_order(order)

    def import_and_invoice(self, shop=None):
        shop = shop or self.etsy_shop
        shop._sync_etsy_orders(trigger="manual")
        self.invoice_orders(shop)

    def month_of_sales(self, listing_id, shop_id=None, buyers=("US", "GB", "DE", "US")):
        """A month: purchases, shipments, a partial and a full refund, a cancellation, payouts."""
        sandbox = self.sandbox
        # The month ends now: Etsy's clock is ours, and the ledger run reads up to now.
        sandbox.advance_clock(-31 * DAY)
        sandbox.configure_payment_account(shop_id=shop_id, payout_interval_days=7)
        receipts = []
        for day in range(30):
            buyer = {"country_iso": buyers[day % len(buyers)]}
            receipt = sandbox.buy(listing_id, buyer=buyer, gift_wrap=250 if day % 9 == 0 else 0)
            receipts.append(receipt["receipt_id"])
            if day % 5 != 4:
                sandbox.ship_receipt(receipt["receipt_id"], f"9400{day:06d}", "usps")
            sandbox.advance_clock(DAY)
        sandbox.advance_clock(DAY - 120)
        sandbox.refund_receipt(receipts[1], 700)
        sandbox.refund_receipt(receipts[2])
        sandbox.cancel_receipt(receipts[4])
        return receipts

    def ledger_balance(self, shop_id=None):
        return self.sandbox.ledger_balance(shop_id) / 100

    def sync_ledger(self, shop=None):
        log = (shop or self.etsy_shop)._sync_etsy_ledger(trigger="manual")
        self.assertFalse(log.failed_with, log.message)
        return log

    def assertBooksMatchEtsy(self, shop, etsy_shop_id=None):
        entries = self.sandbox.ledger_entries(etsy_shop_id)
        recorded = self.env["etsy.ledger.entry"].search([("shop_id", "=", shop.id)])
        self.assertEqual(sorted(recorded.mapped("etsy_entry_id")),
                         sorted(str(e["entry_id"]) for e in entries))
        shop.invalidate_recordset()
        self.assertAlmostEqual(shop.ledger_etsy_balance, self.ledger_balance(etsy_shop_id),
                               places=2)
        self.assertAlmostEqual(shop.ledger_journal_balance, self.ledger_balance(etsy_shop_id),
                               places=2)
        self.assertAlmostEqual(shop.ledger_difference, 0.0, places=2)


@tagged("post_install", "-at_install")
class TestLedger(MoneyCase):

    def test_a_month_in_a_usd_shop_is_booked_once_and_matches_etsy_to_the_cent(self):
        shop = self.etsy_shop
        self.sandbox.clear_journal()
        self.month_of_sales(self.sandbox.world.seed_listings["sampler"])
        self.import_and_invoice()
        log = self.sync_ledger()
        self.assertGreater(log.counts["done"], 100)
        self.assertBooksMatchEtsy(shop)
        # Every invoice is paid, every refund credited and refunded through the Etsy journal.
        invoices = self.orders().invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertTrue(invoices)
        self.assertEqual(set(invoices.mapped("payment_state")), {"paid"} | (
            {"reversed"} & set(invoices.mapped("payment_state"))))
        refunds = self.env["account.move"].search([("reversed_entry_id", "in", invoices.ids)])
        self.assertTrue(refunds)
        self.assertTrue(all(r.payment_state in ("paid", "reversed") for r in refunds))
        journal = shop.payment_journal_id
        self.assertEqual(journal.type, "bank")
        self.assertFalse(journal.currency_id)  # the company's currency
        # Posted sales are matched with their invoice payment; fees went to the mapped accounts.
        entries = self.env["etsy.ledger.entry"].search([("shop_id", "=", shop.id)])
        gross = entries.filtered(lambda e: e.ledger_type == "PAYMENT_GROSS")
        self.assertTrue(gross)
        self.assertTrue(all(e.move_id for e in entries))
        matched = gross.filtered(lambda e: e.state == "matched")
        self.assertTrue(matched)
        self.assertTrue(all(e.sale_order_id for e in matched))
        payouts = entries.filtered(lambda e: e.ledger_type == "DISBURSE2")
        self.assertTrue(payouts)
        self.assertEqual(payouts.move_line_id.account_id, self.company_a.transfer_account_id)
        fee_account = self.env["etsy.ledger.account.map"]._rule(self.company_a,
                                                                "transaction").account_id
        self.assertTrue(fee_account.code.startswith("ETSY"))
        # A re-run books nothing and calls Etsy for the new window only.
        moves = self.env["account.move"].search_count([("journal_id", "=", journal.id)])
        again = self.sync_ledger()
        self.assertEqual(again.counts["done"], 0)
        self.assertEqual(
            self.env["account.move"].search_count([("journal_id", "=", journal.id)]), moves)
        self.assertEqual(self.env["etsy.ledger.entry"].search_count([("shop_id", "=", shop.id)]),
                         len(entries))
        self.assertAlmostEqual(shop.ledger_difference, 0.0, places=2)

    def test_sales_posted_later_are_shown_as_pending_then_matched(self):
        shop = self.etsy_shop
        self.sync_ledger()
        receipt = self.sandbox.buy(self.sandbox.world.seed_listings["sampler"])
        self.import_and_invoice()
        self.sync_ledger()
        shop.invalidate_recordset()
        order = self.order_of(receipt["receipt_id"])
        invoice = order.invoice_ids
        self.assertEqual(invoice.payment_state, "paid")
        self.assertGreaterEqual(shop.ledger_pending_count, 1)
        self.assertAlmostEqual(shop.ledger_difference, 0.0, places=2)
        self.sandbox.ship_receipt(receipt["receipt_id"], "9400123", "usps")
        self.sync_ledger()
        gross = self.env["etsy.ledger.entry"].search([
            ("shop_id", "=", shop.id), ("etsy_receipt_id", "=", str(receipt["receipt_id"])),
            ("ledger_type", "=", "PAYMENT_GROSS")])
        self.assertEqual(gross.state, "matched")
        self.assertEqual(gross.sale_order_id, order)
        self.assertBooksMatchEtsy(shop)

    def test_an_unknown_ledger_type_is_flagged_and_kept(self):
        shop = self.etsy_shop
        entry = self.sandbox.add_ledger_entry("mystery_levy", -1234)
        log = self.sync_ledger()
        record = self.env["etsy.ledger.entry"].search([("etsy_entry_id", "=",
                                                        str(entry["entry_id"]))])
        self.assertEqual(record.state, "suspense")
        self.assertEqual(record.move_line_id.account_id, shop.ledger_suspense_account_id)
        shop.invalidate_recordset()
        self.assertTrue(shop.ledger_needs_attention)
        self.assertIn("mystery_levy", shop.ledger_attention_reason)
        lines = self.env["etsy.sync.log"].browse(log.id).line_ids
        self.assertIn("mystery_levy", lines.mapped("record_ref"))
        self.assertBooksMatchEtsy(shop)
        # Once mapped, the entries move to their account and the flag goes.
        expense = self.env["etsy.ledger.account.map"]._rule(self.company_a,
                                                            "transaction").account_id
        self.env["etsy.ledger.account.map"].create({"company_id": self.company_a.id,
                                                    "ledger_type": "mystery_levy",
                                                    "role": "fee", "account_id": expense.id})
        shop.action_rebook_suspense()
        shop.invalidate_recordset()
        self.assertEqual(record.state, "booked")
        self.assertFalse(shop.ledger_needs_attention)
        self.assertBooksMatchEtsy(shop)

    def test_a_eur_shop_of_a_usd_company_gets_a_eur_journal_and_matches_etsy(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "rate": 0.9,
                                              "company_id": self.company_a.id})
        seller = self.new_seller("EuroWicks", currency_code="EUR")
        self.sandbox.generate_listings(1, shop_id=seller["shop_id"])
        shop = self.make_connected_shop("Euro Wicks", self.company_a, seller=seller)
        shop.write({"currency_id": eur.id, "invoice_policy": "order"})
        listing = self.sandbox.world.shops[seller["shop_id"]].listing_ids[0]
        self.sandbox.world.listings[listing].inventory.products[0]["offerings"][0][
            "quantity"] = 500
        self.month_of_sales(listing, shop_id=seller["shop_id"], buyers=("DE", "FR", "US"))
        self.import_and_invoice(shop)
        self.sync_ledger(shop)
        self.assertEqual(shop.payment_journal_id.currency_id, eur)
        invoices = self.orders(shop).invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertTrue(invoices)
        self.assertEqual(set(invoices.currency_id.mapped("name")), {"EUR"})
        self.assertTrue(all(i.payment_state in ("paid", "reversed") for i in invoices))
        self.assertBooksMatchEtsy(shop, seller["shop_id"])
        again = self.sync_ledger(shop)
        self.assertEqual(again.counts["done"], 0)

    def test_a_window_longer_than_31_days_is_read_in_slices(self):
        self.etsy_shop.import_orders_since = "2000-01-01"
        self.sandbox.clear_journal()
        self.sync_ledger()
        calls = self.sandbox.calls("getShopPaymentAccountLedgerEntries")
        self.assertGreater(len(calls), 1)
        for call in calls:
            self.assertLessEqual(int(call["query"]["max_created"]) - int(
                call["query"]["min_created"]), 2678400)
            self.assertEqual(call["status"], 200)
