"""Etsy money in the books: the shop's Etsy journal and ledger bookings (`EtsyBooks`).

The journal and accounts of a shop, a day of ledger entries booked as one journal entry, the
matching of Etsy's posted sales with the invoice payments, the balance check. The journal's
account holds exactly what Etsy's ledger holds; invoice payments wait on the shop's "sales
awaiting Etsy's posting" account until Etsy posts the sale (PAYMENT_GROSS less the taxes Etsy
keeps), where the two meet and are reconciled. A plain service, used by the flows (never by a
lookup); the invoices paid through the journal are made by `etsy_invoicing.EtsyInvoicing`.
"""

from collections import defaultdict
from decimal import Decimal

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

from ..etsy.ledger import entry_time, payment_reference

SALE_ROLES = ("sale", "tax")


def minor_to_amount(minor, currency):
    """Etsy's integer minor units to a float of `currency` (exact through Decimal)."""
    return float(Decimal(int(minor or 0)).scaleb(-currency.decimal_places))


class EtsyBooks:
    """The books of one shop's Etsy Payment Account."""

    # Etsy's ledger entries are recorded and matched only by the sync (people read them): it
    # works on them as superuser, and as the connector's user on everything else.

    def __init__(self, env, shop):
        self.env = env
        self.shop = shop
        self.company = shop.company_id

    # --- journal and accounts --- #

    @property
    def currency(self):
        return self.shop.currency_id or self.company.currency_id

    def ensure_journal(self):
        """The shop's Etsy journal, with its accounts and the default ledger map."""
        shop = self.shop
        if shop.payment_journal_id:
            return shop.payment_journal_id
        env = self.env(su=True)
        env["etsy.ledger.account.map"]._ensure_defaults(self.company)
        foreign = self.currency if self.currency != self.company.currency_id else None
        name = shop.etsy_shop_name or shop.name
        etsy_account = self._account(
            f"ETSYPA{shop.id}", env._("Etsy Payment Account — %s", name), "asset_cash", foreign)
        pending = self._account(
            f"ETSYPD{shop.id}", env._("Etsy sales awaiting posting — %s", name),
            "asset_current", foreign, reconcile=True)
        suspense = self._account(
            f"ETSYSU{shop.id}", env._("Etsy ledger suspense — %s", name), "asset_current", None)
        journal = env["account.journal"].with_company(self.company).create({
            "name": env._("Etsy Payments — %s", name),
            "type": "bank",
            "code": self._free_journal_code(),
            "company_id": self.company.id,
            "default_account_id": etsy_account.id,
            "currency_id": foreign.id if foreign else False,
        })
        (journal.inbound_payment_method_line_ids
         | journal.outbound_payment_method_line_ids).payment_account_id = pending
        shop.sudo().write({
            "payment_journal_id": journal.id,
            "etsy_pending_account_id": pending.id,
            "ledger_suspense_account_id": suspense.id,
        })
        return journal

    def _account(self, code, name, account_type, currency, reconcile=False):
        Account = self.env["account.account"].sudo().with_company(self.company)
        account = Account.search([*Account._check_company_domain(self.company),
                                  ("code", "=", code)], limit=1)
        return account or Account.create({
            "code": code, "name": name, "account_type": account_type,
            "currency_id": currency.id if currency else False, "reconcile": reconcile,
            "company_ids": [Command.set(self.company.ids)]})

    def _free_journal_code(self):
        Journal = self.env["account.journal"].sudo()
        taken = set(Journal.search([("company_id", "=", self.company.id)]).mapped("code"))
        for number in range(1, 100000):
            code = f"ET{number}"[:5]
            if code not in taken:
                return code
        raise UserError(self.env._("No free journal code for the Etsy journal."))

    @property
    def etsy_account(self):
        return self.shop.payment_journal_id.default_account_id

    @property
    def pending_account(self):
        return self.shop.etsy_pending_account_id

    # --- booking a day of ledger entries --- #

    def book_day(self, day, entries, receipts, rules, orders):
        """Book `entries` (Etsy dicts, all of `day`) as one journal entry; returns the records.

        `receipts` maps payment ids to receipt ids, `orders` receipt ids to sale orders,
        `rules` ledger types to map rows. Fees are summed per account (Etsy does not tie them
        to a receipt); sales, taxes, payouts and unknown types get a line each.
        """
        shop, currency = self.shop, self.currency
        Map = self.env["etsy.ledger.account.map"]
        transfer = self.company.transfer_account_id or shop.ledger_suspense_account_id
        per_entry, fee_totals, records = [], defaultdict(float), []
        for entry in entries:
            amount = minor_to_amount(entry.get("amount"), currency)
            rule = Map._rule(self.company, entry.get("ledger_type") or "", rules)
            payment_id = payment_reference(entry)
            receipt_id = receipts.get(payment_id)
            order = orders.get(str(receipt_id)) if receipt_id else None
            values = self._entry_values(entry, amount, payment_id, receipt_id, order)
            if not rule:
                values.update(state="suspense", note=self.env._(
                    "Ledger type %(type)s is not in the account map: booked on the suspense "
                    "account. Add it to the map, then rebook the suspense entries.",
                    type=entry.get("ledger_type")))
                per_entry.append((values, shop.ledger_suspense_account_id, amount, None))
            elif rule.role in SALE_ROLES:
                partner = order.partner_id.commercial_partner_id if order else None
                per_entry.append((values, self.pending_account, amount, partner))
            elif rule.role == "payout":
                per_entry.append((values, rule.account_id or transfer, amount, None))
            else:
                if not rule.account_id:
                    values.update(state="suspense", note=self.env._(
                        "Ledger type %(type)s has no account in the map: booked on the "
                        "suspense account.", type=entry.get("ledger_type")))
                    per_entry.append((values, shop.ledger_suspense_account_id, amount, None))
                    continue
                fee_totals[rule.account_id] += amount
                records.append(values)
        label = self.env._("Etsy ledger %(day)s", day=day)
        line_vals = [self._line(label + " " + values["ledger_type"] + " " + values["etsy_entry_id"],
                                account, -amount, day, partner)
                     for values, account, amount, partner in per_entry]
        line_vals += [self._line(label + " " + account.name, account, -total, day, None)
                      for account, total in fee_totals.items()
                      if not float_is_zero(total, precision_digits=currency.decimal_places)]
        total = sum(amount for _v, _a, amount, _p in per_entry) + sum(fee_totals.values())
        etsy_line = self._line(label, self.etsy_account, total, day, None)
        etsy_line["balance"] = -sum(v["balance"] for v in line_vals)
        move = self.env["account.move"].create({
            "move_type": "entry",
            "journal_id": shop.payment_journal_id.id,
            "date": day,
            "ref": label,
            "line_ids": [Command.create(v) for v in [etsy_line, *line_vals]],
        })
        move.action_post()
        lines = move.line_ids.sorted("id")[1:1 + len(per_entry)]
        for (values, _account, _amount, _partner), line in zip(per_entry, lines, strict=True):
            values["move_line_id"] = line.id
        records += [values for values, *_rest in per_entry]
        for values in records:
            values["move_id"] = move.id
        return self.env["etsy.ledger.entry"].sudo().create(records)

    def _entry_values(self, entry, amount, payment_id, receipt_id, order):
        return {
            "shop_id": self.shop.id,
            "etsy_entry_id": str(entry["entry_id"]),
            "sequence_number": entry.get("sequence_number") or 0,
            "ledger_type": entry.get("ledger_type") or "",
            "description": entry.get("description"),
            "currency_id": self.currency.id,
            "amount": amount,
            "balance": minor_to_amount(entry.get("balance"), self.currency),
            "created_at": entry_time(entry),
            "reference_type": entry.get("reference_type"),
            "reference_id": entry.get("reference_id"),
            "etsy_payment_id": str(payment_id) if payment_id else False,
            "etsy_receipt_id": str(receipt_id) if receipt_id else False,
            "sale_order_id": order.id if order else False,
            "state": "booked",
        }

    def _line(self, name, account, amount, day, partner):
        """Move line values: `amount` in the shop's currency, debit when positive."""
        currency, company_currency = self.currency, self.company.currency_id
        balance = amount if currency == company_currency else currency._convert(
            amount, company_currency, self.company, day)
        return {
            "name": name,
            "account_id": account.id,
            "partner_id": partner.id if partner else False,
            "currency_id": currency.id,
            "amount_currency": amount,
            "balance": company_currency.round(balance),
        }

    def rebook_suspense(self):
        """Move suspense entries whose type the map now knows to their account; returns count."""
        Map = self.env["etsy.ledger.account.map"]
        rules = Map._rules(self.company)
        entries = self.env["etsy.ledger.entry"].sudo().search([("shop_id", "=", self.shop.id),
                                                        ("state", "=", "suspense")])
        moved = self.env["etsy.ledger.entry"].sudo()
        line_vals = []
        today = fields.Date.context_today(self.shop)
        for entry in entries:
            rule = Map._rule(self.company, entry.ledger_type, rules)
            account = (self.pending_account if rule.role in SALE_ROLES else rule.account_id
                       or (rule.role == "payout" and self.company.transfer_account_id))
            if not rule or not account:
                continue
            label = self.env._("Etsy ledger entry %(id)s (%(type)s) rebooked",
                               id=entry.etsy_entry_id, type=entry.ledger_type)
            line_vals += [self._line(label, account, -entry.amount, today, None),
                          self._line(label, self.shop.ledger_suspense_account_id, entry.amount,
                                     today, None)]
            moved |= entry
        if not moved:
            return 0
        move = self.env["account.move"].create({
            "move_type": "entry", "journal_id": self.shop.payment_journal_id.id, "date": today,
            "ref": self.env._("Etsy suspense entries rebooked"),
            "line_ids": [Command.create(v) for v in line_vals]})
        move.action_post()
        moved.write({"state": "booked", "note": False})
        return len(moved)

    # --- matching Etsy's posted sales with the invoice payments --- #

    def match_receipts(self, receipt_ids):
        """Reconcile, per receipt, Etsy's posted sale lines with the invoice payment lines when
        they cancel out exactly; otherwise say why on the entries. Returns (matched, to_check)."""
        Entry = self.env["etsy.ledger.entry"].sudo()
        matched = to_check = 0
        orders = self.orders_of(receipt_ids)
        for receipt_id in receipt_ids:
            entries = Entry.search([("shop_id", "=", self.shop.id),
                                    ("etsy_receipt_id", "=", str(receipt_id)),
                                    ("state", "in", ("booked", "to_check")),
                                    ("move_line_id", "!=", False)])
            etsy_lines = entries.move_line_id.filtered(lambda line: not line.reconciled)
            if not etsy_lines:
                continue
            order = orders.get(str(receipt_id))
            payment_lines = self._payment_lines(order) if order else self.env["account.move.line"]
            if order and not entries.sale_order_id:
                entries.sale_order_id = order
            if not payment_lines:
                continue  # not invoiced (yet): stays booked, awaiting the invoice payment
            lines = etsy_lines | payment_lines
            residual = sum(lines.mapped("amount_residual_currency"))
            if self.currency.is_zero(residual):
                lines.reconcile()
                entries.write({"state": "matched", "note": False})
                matched += 1
            else:
                entries.write({"state": "to_check", "note": self.env._(
                    "Etsy posted %(etsy)s for receipt %(receipt)s; the open invoice payments "
                    "and refunds of %(order)s are %(odoo)s. Check the refunds, then reconcile "
                    "the account %(account)s by hand.",
                    etsy=self.currency.round(sum(etsy_lines.mapped("amount_residual_currency"))),
                    receipt=receipt_id, order=order.name,
                    odoo=-self.currency.round(sum(payment_lines.mapped(
                        "amount_residual_currency"))),
                    account=self.pending_account.display_name)})
                to_check += 1
        return matched, to_check

    def orders_of(self, receipt_ids):
        """{receipt id (str): sale order} of this shop."""
        receipt_ids = [str(r) for r in receipt_ids if r]
        if not receipt_ids:
            return {}
        orders = self.env["sale.order"].search([("etsy_shop_id", "=", self.shop.id),
                                                ("etsy_receipt_id", "in", receipt_ids)])
        return {order.etsy_receipt_id: order for order in orders}

    def _payment_lines(self, order):
        moves = order.invoice_ids | self.env["account.move"].search(
            [("reversed_entry_id", "in", order.invoice_ids.ids)])
        payments = moves.matched_payment_ids.filtered(lambda p: p.state != "canceled")
        return payments.move_id.line_ids.filtered(
            lambda line: line.account_id == self.pending_account and not line.reconciled
            and line.parent_state == "posted")

    # --- the balance check --- #

    def figures(self):
        """Etsy journal balance, pending payments (amount, count), Etsy balance, difference."""
        shop = self.shop
        AML = self.env["account.move.line"].sudo()
        field = "amount_currency" if self.etsy_account.currency_id else "balance"
        journal_balance = sum(AML.search([("account_id", "=", self.etsy_account.id),
                                          ("parent_state", "=", "posted")]).mapped(field))
        pending_lines = AML.search([("account_id", "=", self.pending_account.id),
                                    ("parent_state", "=", "posted"), ("reconciled", "=", False),
                                    ("move_id.origin_payment_id", "!=", False)])
        pending = sum(pending_lines.mapped("amount_residual_currency"))
        latest = self.env["etsy.ledger.entry"].sudo().search(
            [("shop_id", "=", shop.id)], order="sequence_number desc, id desc", limit=1)
        etsy_balance = latest.balance if latest else 0.0
        return {
            "journal": self.currency.round(journal_balance),
            "pending": self.currency.round(pending),
            "pending_count": len(pending_lines.move_id),
            "etsy": etsy_balance,
            "difference": self.currency.round(journal_balance - etsy_balance),
        }
