"""Invoices of Etsy orders per the shop's policy, paid through the Etsy journal; refunds."""

from odoo.tests import tagged

from ..models.etsy_invoicing import EtsyInvoicing
from ..models.etsy_money import EtsyBooks
from .test_ledger import MoneyCase


@tagged("post_install", "-at_install")
class TestInvoicing(MoneyCase):

    def buy_and_import(self, **options):
        receipt = self.sandbox.buy(self.sandbox.world.seed_listings["sampler"], **options)
        self.etsy_shop._sync_etsy_orders(trigger="manual")
        return receipt, self.order_of(receipt["receipt_id"])

    def sync(self, order):
        EtsyInvoicing(self.env, self.etsy_shop).sync_order(order)

    def test_no_invoice_without_the_policy(self):
        self.etsy_shop.invoice_policy = "none"
        _receipt, order = self.buy_and_import()
        self.sync(order)
        self.assertFalse(order.invoice_ids)
        self.assertFalse(self.etsy_shop.payment_journal_id)

    def test_one_invoice_per_order_paid_through_the_etsy_journal_never_twice(self):
        _receipt, order = self.buy_and_import()
        self.sync(order)
        self.sync(order)
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.currency_id, order.currency_id)
        payment = invoice.matched_payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.journal_id, self.etsy_shop.payment_journal_id)
        self.assertEqual(payment.journal_id.name, f"Etsy Payments — {self.etsy_shop.name}")
        self.assertEqual(payment.outstanding_account_id, self.etsy_shop.etsy_pending_account_id)

    def test_delivery_policy_waits_for_the_shipment(self):
        self.etsy_shop.invoice_policy = "delivery"
        receipt, order = self.buy_and_import()
        self.sync(order)
        self.assertFalse(order.invoice_ids)
        self.sandbox.ship_receipt(receipt["receipt_id"], "9400111", "usps")
        self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.sync(order)
        self.assertEqual(order.invoice_ids.payment_state, "paid")

    def test_a_partial_then_full_refund_become_credit_notes_refunded_through_the_journal(self):
        receipt, order = self.buy_and_import()
        self.sync(order)
        invoice = order.invoice_ids
        self.sandbox.refund_receipt(receipt["receipt_id"], 500)
        self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.sync(order)
        self.sync(order)
        credit = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertEqual(len(credit), 1)
        # 5.00 refunded less the share of the taxes Etsy keeps (the invoice leaves them out).
        grand = order.etsy_grand_total
        kept = grand - invoice.amount_total
        self.assertAlmostEqual(credit.amount_total, round(5.0 - kept * 5.0 / grand, 2), places=2)
        self.assertEqual(credit.payment_state, "paid")
        self.assertEqual(credit.matched_payment_ids.journal_id, self.etsy_shop.payment_journal_id)
        self.sandbox.refund_receipt(receipt["receipt_id"])
        self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.sync(order)
        credits = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertEqual(len(credits), 2)
        self.assertAlmostEqual(sum(credits.mapped("amount_total")), invoice.amount_total,
                               places=2)

    def test_a_partial_refund_gives_back_its_share_of_the_vat_the_seller_charged(self):
        self.etsy_shop.vat_policy = "seller_charges"
        vat = self.env["account.tax"].create({
            "name": "UK VAT 20%", "amount": 20.0, "amount_type": "percent",
            "type_tax_use": "sale", "company_id": self.company_a.id})
        receipt, order = self.buy_and_import(buyer={"country_iso": "GB"})
        self.sync(order)
        invoice = order.invoice_ids
        self.assertEqual(invoice.invoice_line_ids.tax_ids, vat)
        self.assertGreater(invoice.amount_tax, 0)
        self.sandbox.refund_receipt(receipt["receipt_id"], 700)
        self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.sync(order)
        self.sync(order)
        credit = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertEqual(len(credit), 1, "the refund is credited once, whatever the rounding")
        # Etsy keeps nothing here (the invoice holds the VAT): the credit is what Etsy refunded,
        # VAT included, and gives back the VAT in the invoice's proportion.
        self.assertAlmostEqual(credit.amount_total, 7.0, places=2)
        self.assertAlmostEqual(credit.amount_tax,
                               7.0 * invoice.amount_tax / invoice.amount_total, delta=0.011)
        self.assertIn(vat, credit.invoice_line_ids.tax_ids)
        self.assertEqual(credit.payment_state, "paid")
        self.sandbox.refund_receipt(receipt["receipt_id"])
        self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.sync(order)
        credits = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertAlmostEqual(sum(credits.mapped("amount_total")), invoice.amount_total,
                               places=2)
        self.assertAlmostEqual(sum(credits.mapped("amount_tax")), invoice.amount_tax,
                               delta=0.011)

    def test_a_cancellation_before_invoicing_is_never_invoiced(self):
        receipt = self.sandbox.buy(self.sandbox.world.seed_listings["sampler"])
        self.sandbox.cancel_receipt(receipt["receipt_id"])
        self.etsy_shop._sync_etsy_orders(trigger="manual")
        order = self.order_of(receipt["receipt_id"])
        self.sync(order)
        self.assertFalse(order.invoice_ids.filtered(lambda m: m.state == "posted"))

    def test_the_journal_is_created_once_per_shop(self):
        journal = EtsyBooks(self.env, self.etsy_shop).ensure_journal()
        self.assertEqual(EtsyBooks(self.env, self.etsy_shop).ensure_journal(), journal)
        self.assertEqual(journal.type, "bank")
        self.assertEqual(journal.default_account_id.account_type, "asset_cash")
        self.assertTrue(self.etsy_shop.etsy_pending_account_id.reconcile)
