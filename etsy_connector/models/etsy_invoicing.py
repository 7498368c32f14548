"""Etsy orders' invoices (`EtsyInvoicing`): one invoice per order (per the shop's invoice policy)
in the order's currency, posted and paid at once through the shop's Etsy journal; Etsy refunds
become credit notes refunded through the same journal. A plain service called by the order flow
after each import or update (never by a lookup); the journal comes from `etsy_money.EtsyBooks`.
"""

import logging
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..const import CANCELLED_ETSY_STATUSES
from .etsy_money import EtsyBooks

_logger = logging.getLogger(__name__)


class EtsyInvoicing:
    """Invoices per the shop's policy, paid through its Etsy journal; refunds as credit notes."""

    def __init__(self, env, shop):
        self.env = env
        self.shop = shop

    def sync_order(self, order, receipt=None):
        """Invoice, pay and refund `order` as far as its Etsy state allows (idempotent)."""
        shop = self.shop
        if shop.invoice_policy == "none" or order.state != "sale":
            return
        journal = shop.payment_journal_id or EtsyBooks(self.env, shop).ensure_journal()
        invoices = self._invoices(order)
        if not invoices and self._invoice_due(order):
            invoices = self._invoice(order)
        for invoice in invoices.filtered(lambda m: m.state == "draft"):
            invoice.action_post()
        for invoice in invoices.filtered(self._unpaid):
            self._pay(invoice, journal)
        if invoices:
            self._refund(order, invoices.filtered(lambda m: m.state == "posted")[:1], journal)

    def _invoices(self, order):
        return order.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state != "cancel")

    def _unpaid(self, move):
        return move.state == "posted" and move.payment_state in ("not_paid", "partial")

    def _invoice_due(self, order):
        cancelled = (order.etsy_status or "").lower() in CANCELLED_ETSY_STATUSES
        if cancelled and not order.etsy_is_shipped:
            return False  # never invoiced, never will be: nothing was sold
        if self.shop.invoice_policy == "delivery":
            pickings = order.picking_ids.filtered(lambda p: p.state != "cancel")
            delivered = pickings and all(p.state == "done" for p in pickings)
            return bool(order.etsy_is_shipped or delivered)
        return True

    def _invoice(self, order):
        try:
            with self.env.cr.savepoint():
                return order._create_invoices(final=True)
        except UserError:
            _logger.info("Etsy order %s: nothing to invoice yet", order.name)
            return self.env["account.move"]

    def _pay(self, move, journal):
        """Register the payment of `move` (invoice or credit note) through the Etsy journal."""
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids).create({
                "journal_id": journal.id,
                "payment_date": move.invoice_date or fields.Date.context_today(move),
            })
        wizard._create_payments()

    def _refund(self, order, invoice, journal):
        """Credit what Etsy refunded (less the share of the taxes Etsy keeps), once."""
        if not invoice:
            return
        refunds = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id),
                                                   ("move_type", "=", "out_refund"),
                                                   ("state", "!=", "cancel")])
        target = self._credit_target(order, invoice)
        credited = sum(refunds.mapped("amount_total"))
        digits = invoice.currency_id.decimal_places
        missing = invoice.currency_id.round(target - credited)
        if float_compare(missing, 0.0, precision_digits=digits) > 0:
            refunds |= self._credit_note(invoice, missing, full=not refunds and float_compare(
                missing, invoice.amount_total, precision_digits=digits) >= 0)
        for refund in refunds.filtered(lambda m: m.state == "draft"):
            refund.action_post()
        for refund in refunds.filtered(self._unpaid):
            self._pay(refund, journal)

    def _credit_target(self, order, invoice):
        """Etsy's refunds, less the share of the taxes Etsy keeps (what the invoice left out)."""
        refunded = Decimal(str(order.etsy_refund_total or 0))
        grand = Decimal(str(order.etsy_grand_total or 0))
        total = Decimal(str(invoice.amount_total))
        cancelled = (order.etsy_status or "").lower() in CANCELLED_ETSY_STATUSES
        if cancelled or (grand and refunded >= grand):
            return float(total)
        if not refunded or not grand:
            return 0.0
        step = Decimal(1).scaleb(-invoice.currency_id.decimal_places)
        kept = max(grand - total, Decimal(0))
        share = (kept * refunded / grand).quantize(step, rounding=ROUND_HALF_UP)
        return float(min(refunded - share, total))

    def _credit_note(self, invoice, amount, full):
        today = fields.Date.context_today(invoice)
        if full:
            return invoice._reverse_moves([{"invoice_date": today, "ref": self.env._(
                "Etsy refund of %s", invoice.name)}])
        refund = self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "currency_id": invoice.currency_id.id,
            "journal_id": invoice.journal_id.id,
            "invoice_date": today,
            "reversed_entry_id": invoice.id,
            "invoice_origin": invoice.invoice_origin,
            "ref": self.env._("Etsy partial refund of %s", invoice.name),
            "invoice_line_ids": [Command.create(values)
                                 for values in self._partial_credit_lines(invoice, amount)],
        })
        self._settle_rounding(refund, amount, invoice)
        return refund

    def _partial_credit_lines(self, invoice, amount):
        """`amount` (taxes included) shared among the invoice's tax sets as the invoice shares
        its total, each part with its taxes: a partial refund gives back its share of the VAT."""
        currency = invoice.currency_id
        gross_by_taxes, account_by_taxes = defaultdict(float), {}
        for line in invoice.invoice_line_ids.filtered(lambda l: l.display_type == "product"):
            gross_by_taxes[line.tax_ids] += line.price_total
            account_by_taxes.setdefault(line.tax_ids, line.account_id)
        total = sum(gross_by_taxes.values())
        lines, left = [], amount
        for index, (taxes, gross) in enumerate(gross_by_taxes.items()):
            is_last = index == len(gross_by_taxes) - 1
            share = currency.round(left if is_last or not total else amount * gross / total)
            left -= share
            lines.append({
                "name": self.env._("Partial refund on Etsy"),
                "quantity": 1,
                "price_unit": net_price(taxes, share, currency),
                "account_id": account_by_taxes[taxes].id,
                "tax_ids": [Command.set(taxes.ids)],
            })
        return lines

    def _settle_rounding(self, refund, amount, invoice):
        """Taxes computed on the net may land a cent away from what Etsy refunded: a line
        without tax makes the credit note exactly `amount` (the refund check compares totals)."""
        difference = refund.currency_id.round(amount - refund.amount_total)
        if refund.currency_id.is_zero(difference):
            return
        account = refund.invoice_line_ids.filtered(lambda l: l.display_type == "product")[:1]
        refund.write({"invoice_line_ids": [Command.create({
            "name": self.env._("Rounding of the partial refund of %s", invoice.name),
            "quantity": 1,
            "price_unit": difference,
            "account_id": account.account_id.id,
            "tax_ids": [Command.clear()],
        })]})


def net_price(taxes, gross, currency):
    """The unit price that, with `taxes`, comes to `gross`."""
    if not taxes or all(tax.price_include for tax in taxes):
        return gross
    return taxes.with_context(force_price_include=True).compute_all(
        gross, currency=currency)["total_excluded"]
