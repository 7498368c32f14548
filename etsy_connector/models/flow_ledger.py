"""The ledger flow: the shop's Etsy Payment Account entries booked in its Etsy journal.

One run reads the entries created since the last run (a margin before it; windows of at most
31 days, pages of 100), asks getPayments which receipt each sale or refund belongs to, and books
each day of new entries as one journal entry (`EtsyBooks.book_day`): an entry is recorded once
(`etsy.ledger.entry`, unique per shop), so a re-run books nothing. Etsy's posted sales are then
matched with the invoice payments already made, and the Etsy journal's balance is compared with
Etsy's latest balance; any difference is written to the run's log.
"""

import datetime
from collections import defaultdict

from odoo import fields

from ..const import (
    DEFAULT_LEDGER_DAYS,
    LEDGER_DAYS_PER_COMMIT,
    LEDGER_MAX_BACKFILL_DAYS,
    LEDGER_OVERLAP,
    LEDGER_REMATCH_LIMIT,
)
from ..etsy.ledger import entry_time, get_payments, iter_ledger_entries, payment_reference
from .etsy_money import EtsyBooks
from .etsy_run import EtsyFlow


class LedgerSync(EtsyFlow):
    flow = "ledger"

    def execute(self):
        self.books = EtsyBooks(self.env, self.shop)
        self.books.ensure_journal()
        self.matched = self.to_check = 0
        start, end = self._window()
        fresh = self._new_entries(start, end)
        self.log.count("fetched", len(fresh))
        receipts = self._receipts(fresh)
        orders = self.books.orders_of(set(receipts.values()))
        rules = self.env["etsy.ledger.account.map"]._rules(self.shop.company_id)
        first_failed = self._book(fresh, receipts, rules, orders)
        self.commit()
        self._rematch(set(receipts.values()))
        self.state._advance(first_failed or end)
        self.figures = self.books.figures()
        self._report()

    def _window(self):
        end = fields.Datetime.now()
        if self.state.watermark:
            return self.state.watermark - LEDGER_OVERLAP, end
        # A first run reads from the order import's start, at most a year back (a longer
        # backfill costs a call per 31 days).
        oldest = end - datetime.timedelta(days=LEDGER_MAX_BACKFILL_DAYS)
        since = getattr(self.shop, "import_orders_since", None)
        return max(since or end - datetime.timedelta(days=DEFAULT_LEDGER_DAYS), oldest), end

    def _new_entries(self, start, end):
        """Etsy's entries of [start, end] not recorded yet, oldest first."""
        self.env.cr.execute(
            "SELECT etsy_entry_id FROM etsy_ledger_entry WHERE shop_id = %s AND created_at >= %s",
            [self.shop.id, start - LEDGER_OVERLAP])
        known = {row[0] for row in self.env.cr.fetchall()}
        fresh = [entry for entry in iter_ledger_entries(self.client, self.shop.etsy_shop_id,
                                                        start, end)
                 if str(entry.get("entry_id")) not in known]
        fresh.sort(key=lambda e: (e.get("sequence_number") or 0, e.get("entry_id")))
        return fresh

    def _receipts(self, entries):
        """{payment id: receipt id} of the payments `entries` refer to (getPayments)."""
        payment_ids = {pid for pid in map(payment_reference, entries) if pid}
        if not payment_ids:
            return {}
        self.env.cr.execute(
            "SELECT etsy_payment_id, etsy_receipt_id FROM etsy_ledger_entry WHERE shop_id = %s "
            "AND etsy_payment_id = ANY(%s) AND etsy_receipt_id IS NOT NULL",
            [self.shop.id, [str(pid) for pid in payment_ids]])
        known = {int(payment): int(receipt) for payment, receipt in self.env.cr.fetchall()}
        missing = payment_ids - set(known)
        if missing:
            payments = get_payments(self.client, self.shop.etsy_shop_id, missing)
            known.update({pid: p["receipt_id"] for pid, p in payments.items()
                          if p.get("receipt_id")})
        return known

    def _book(self, entries, receipts, rules, orders):
        """Book the entries day by day; returns the start of the first day that failed."""
        days = defaultdict(list)
        for entry in entries:
            days[entry_time(entry).date()].append(entry)
        first_failed = None
        for index, day in enumerate(sorted(days)):
            batch = days[day]
            with self.isolated(self.env._("Etsy ledger of %s", day)) as outcome:
                records = self.books.book_day(day, batch, receipts, rules, orders)
                self._note_suspense(records)
            if outcome.failed:
                self.log.count("failed", len(batch))
                first_failed = first_failed or datetime.datetime.combine(day, datetime.time())
                continue
            self.log.count("created", len(batch))
            if (index + 1) % LEDGER_DAYS_PER_COMMIT == 0:
                self.commit()
        return first_failed

    def _note_suspense(self, records):
        for record in records.filtered(lambda r: r.state == "suspense"):
            self.log.note(record.ledger_type, record.note, "warning", etsy_id=record.etsy_entry_id)

    def _rematch(self, receipt_ids):
        """Match the sales of this run and those still awaiting their invoice payment."""
        self.env.cr.execute(
            "SELECT DISTINCT etsy_receipt_id FROM etsy_ledger_entry WHERE shop_id = %s "
            "AND state IN ('booked', 'to_check') AND etsy_receipt_id IS NOT NULL LIMIT %s",
            [self.shop.id, LEDGER_REMATCH_LIMIT])
        waiting = {row[0] for row in self.env.cr.fetchall()}
        todo = sorted({str(r) for r in receipt_ids} | waiting)
        with self.isolated(self.env._("Matching Etsy sales with invoice payments")):
            self.matched, self.to_check = self.books.match_receipts(todo)
        self.commit()

    def _report(self):
        figures = self.figures
        if not self.books.currency.is_zero(figures["difference"]):
            self.log.note(self.shop.name, self.env._(
                "The Etsy journal holds %(journal)s, Etsy's ledger %(etsy)s: a difference of "
                "%(difference)s. Check the entries to check and the journal's manual entries.",
                **figures), "warning")

    def summary(self):
        counts = self.log.counts
        figures = getattr(self, "figures", None)
        text = self.env._("%(done)s new ledger entries booked, %(matched)s sales matched with "
                          "their invoice payment, %(check)s to check.",
                          done=counts["done"], matched=self.matched, check=self.to_check)
        if figures:
            text += " " + self.env._(
                "Etsy balance %(etsy)s, Etsy journal %(journal)s (difference %(difference)s); "
                "%(pending_count)s sales paid and not posted by Etsy yet (%(pending)s).",
                **figures)
        return text
