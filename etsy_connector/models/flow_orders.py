"""The order flow: Etsy receipts -> sale orders. The one place to read it.

A run (`run_flow(shop, OrderImport, trigger)`) does, in order:

1. the window: receipts Etsy modified since the watermark (minus an overlap), oldest first, in
   time slices when Etsy's offset cap would cut the window; committed every ORDERS_PER_COMMIT
   receipts, the watermark moving only past committed receipts;
2. the retries: receipts waiting in *Receipts to Fix* whose backoff elapsed, each fetched again
   on its own (an error of one never stops the others; a receipt Etsy no longer has is closed);
3. the recheck: a few pages of recent receipts, read again because Etsy does not move a
   receipt's modified time when it cancels or refunds it (the offset carries over runs).

`OrderImport(..., receipt_ids=[...])` imports just those receipts (the 'Import receipt' wizard,
the Retry button); `window_only=True` does step 1 only (the stock push, before it computes what
Etsy may sell). Receipts are read by `etsy.receipt.Receipt` (pure) and written by `OrderWriter`.
"""

import collections
import datetime
import itertools

from odoo import fields
from odoo.exceptions import UserError

from ..const import (
    DEFAULT_IMPORT_DAYS,
    FIRST_LISTINGS_GRACE,
    MAX_WINDOW_SLICE,
    MIN_WINDOW_SLICE,
    ORDER_WINDOW_OVERLAP,
    ORDERS_PER_COMMIT,
    PAGE_SIZE,
    RECEIPT_RETRIES_PER_RUN,
    RECHECK_DAYS,
    RECHECK_PAGES,
)
from ..etsy.errors import EtsyOffsetLimitError
from ..etsy.money import datetime_to_epoch
from ..etsy.receipt import Receipt
from .etsy_run import EtsyFlow, flow_lock_key, held_locks
from .order_relink import relink_and_note
from .order_writer import OrderWriter

# Where the receipts a run read came from, in the order the summary tells them.
SOURCES = ("window", "retry", "recheck", "requested")


def batched(iterable, size):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class OrderImport(EtsyFlow):
    flow = "orders"

    def __init__(self, frame, receipt_ids=None, window_only=False):
        super().__init__(frame)
        self.receipt_ids = None if receipt_ids is None else [str(rid) for rid in receipt_ids]
        self.window_only = window_only
        self.writer = OrderWriter(self)
        # Run-long facts, kept apart from `self.cache` (which a rolled-back receipt empties).
        self.window_read = set()
        self.window_total = 0  # Etsy's count of the receipts in the window
        self.sources = collections.Counter()
        self.orders = {}  # receipt id -> sale.order id, for the caller of a `receipt_ids` run
        self.waiting_for_listings = False

    def execute(self):
        # A fresh snapshot now that the lock is held (a run that just ended elsewhere may have
        # moved the state), and the state row of a first run made durable before Etsy is asked.
        self.commit()
        if self.receipt_ids is not None:
            for receipt_id in self.receipt_ids:
                self._fetch_and_import(receipt_id, "requested")
        elif self._waits_for_the_first_listing_import():
            self.waiting_for_listings = True
            return self.orders
        else:
            self._import_window(fields.Datetime.now())
            if not self.window_only:
                self._retry_pending()
                self._recheck_recent()
        self._relink_unmatched_lines()
        return self.orders

    def summary(self):
        if self.waiting_for_listings:
            return self.env._(
                "The shop's first listing import is running (or starts in a moment): orders "
                "are imported right after it, so that their lines get the linked Odoo products "
                "instead of the placeholder.")
        counts = self.log.counts
        if not (counts["fetched"] or counts["failed"]):
            return self.env._("No receipt changed on Etsy since the last sync: nothing to import.")
        labels = {
            "window": self.env._("%s changed on Etsy since the last sync"),
            "retry": self.env._("%s retried from Receipts to Fix"),
            "recheck": self.env._("%s re-checked for late cancellations and refunds"),
            "requested": self.env._("%s asked for by id"),
        }
        sources = ", ".join(labels[source] % self.sources[source]
                            for source in SOURCES if self.sources[source])
        return self.env._("%(fetched)s receipts read from Etsy (%(sources)s): %(created)s orders "
                          "created, %(updated)s updated, %(skipped)s already up to date, "
                          "%(failed)s failed.",
                          fetched=counts["fetched"], sources=sources or self.env._("none"),
                          created=counts["created"], updated=counts["updated"],
                          skipped=counts["skipped"], failed=counts["failed"])

    # === THE FIRST LISTING IMPORT, AND WHAT IT LINKS === #

    def _waits_for_the_first_listing_import(self):
        """Whether the shop's listings were never imported and their first import is running,
        or, for a scheduled run of a shop connected minutes ago, about to run (connecting
        queued it, and a fresh database has every cron due at once).

        Orders imported meanwhile would find no Odoo product for most items, and those Etsy
        already shipped would be delivered on the placeholder for good: the order import of a
        newly connected shop waits for its first listing import, which wakes it when done (the
        stock push holds that lock itself, so its window-only import never waits). Later
        imports never wait: what they link is relinked afterwards (`_relink_unmatched_lines`).
        """
        listings_state = self.env["etsy.sync.state"].sudo().search(
            [("shop_id", "=", self.shop.id), ("flow", "=", "listings")], limit=1)
        if listings_state.watermark:
            return False
        if flow_lock_key(self.shop.id, "listings") in held_locks(self.env.cr):
            return True
        connected_at = self.shop.connected_at
        return bool(self.trigger == "cron" and connected_at
                    and fields.Datetime.now() - connected_at < FIRST_LISTINGS_GRACE)

    def _relink_unmatched_lines(self):
        """Lines imported on the placeholder whose Etsy item was linked meanwhile (possibly
        while this run imported them) get their product, each order in its savepoint."""
        relink_and_note(self)
        self.commit()

    # === THE WINDOW === #

    def _window_start(self):
        if self.state.watermark:
            return self.state.watermark - ORDER_WINDOW_OVERLAP
        return (self.shop.import_orders_since
                or fields.Datetime.now() - datetime.timedelta(days=DEFAULT_IMPORT_DAYS))

    def _import_window(self, started):
        """Receipts modified since the watermark, oldest first, committed in small batches."""
        for batch in batched(self._changed_receipts(self._window_start()), ORDERS_PER_COMMIT):
            self.window_read.update(str(raw.get("receipt_id")) for raw in batch)
            receipts = self._import_batch(batch, "window")
            self.state._advance(max(filter(None, (r.updated_at for r in receipts)), default=None))
            self.commit()
            self.progress(len(self.window_read), self.window_total)
        # The whole window is done: the next run starts from when this one started.
        self.state._advance(started)
        self.commit()
        self.progress(len(self.window_read), len(self.window_read))

    def _changed_receipts(self, since):
        """Receipts modified since `since`, oldest first, each once.

        Etsy lists at most 12,000 records per query: a larger window (a long backfill) is read
        in time slices, halved until each fits.
        """
        seen, start, span = set(), since, None  # span None: the whole window at once
        now = fields.Datetime.now()
        while start < now:
            end = min(start + span, now) if span else None
            filters = {"min_last_modified": datetime_to_epoch(start),
                       "sort_on": "updated", "sort_order": "asc"}
            if end:
                filters["max_last_modified"] = datetime_to_epoch(end)
            receipts = self.client.iter_shop_receipts(self.shop.etsy_shop_id, **filters)
            try:
                if not span:
                    # The total the progress shows: Etsy's count for the whole window, which
                    # its first page gives even when the window is then read in slices (too
                    # long for Etsy's offset cap). Exact, not an estimate, and it costs no
                    # call; receipts changed during the run add to it as they come.
                    self.window_total = receipts.read_total() or 0
                for raw in receipts:
                    if raw.get("receipt_id") not in seen:
                        seen.add(raw.get("receipt_id"))
                        yield raw
            except EtsyOffsetLimitError:
                if not span:  # the whole window's count, as above
                    self.window_total = receipts.total or 0
                span = (end - start) / 2 if span else MAX_WINDOW_SLICE
                if span < MIN_WINDOW_SLICE:
                    raise
                continue
            if not end:
                return
            start = end

    # === RETRIES === #

    def _retry_pending(self):
        """Receipts in *Receipts to Fix* whose backoff elapsed, fetched again one by one."""
        issues = self.env["etsy.receipt.issue"]._due(self.shop, RECEIPT_RETRIES_PER_RUN)
        for issue in issues:
            self._fetch_and_import(issue.etsy_receipt_id, "retry")

    def _fetch_and_import(self, receipt_id, source):
        """Fetch one receipt and import it; a fetch that fails leaves the run going on."""
        with self.isolated(self._ref(receipt_id), receipt_id) as outcome:
            raw = self.client.get_shop_receipt(self.shop.etsy_shop_id, receipt_id)
        if outcome.failed:
            self.env["etsy.receipt.issue"]._fetch_failed(self.shop, receipt_id, outcome.error)
        else:
            self._import_batch([raw], source)
        self.commit()

    # === THE RECHECK === #

    def _recheck_recent(self):
        """Re-read the last RECHECK_DAYS days of receipts, RECHECK_PAGES pages per run.

        Etsy does not move a receipt's modified time when it is cancelled or refunded, so the
        window misses those; this walks the recent receipts page by page, run after run (the
        offset is kept in the flow's state), and brings known orders in step. Unknown receipts
        are left to the window, which respects 'Import orders since'.
        """
        offset = self.state.offset
        filters = {"min_created": datetime_to_epoch(
            fields.Datetime.now() - datetime.timedelta(days=RECHECK_DAYS)),
            "sort_on": "created", "sort_order": "asc", "limit": PAGE_SIZE}
        for _page in range(RECHECK_PAGES):
            page = self.client.request("getShopReceipts", "GET",
                                       f"/shops/{int(self.shop.etsy_shop_id)}/receipts",
                                       params={**filters, "offset": offset}) or {}
            results = page.get("results") or []
            known = set(self.env["sale.order"].search([
                ("etsy_shop_id", "=", self.shop.id),
                ("etsy_receipt_id", "in", [str(raw.get("receipt_id")) for raw in results]),
            ]).mapped("etsy_receipt_id"))
            # Receipts this run's window just imported need no second look.
            known -= self.window_read
            for batch in batched((raw for raw in results if str(raw.get("receipt_id")) in known),
                                 ORDERS_PER_COMMIT):
                self._import_batch(batch, "recheck")
                self.commit()
            offset += len(results)
            if len(results) < PAGE_SIZE:
                offset = 0
                break
        self.state.offset = offset
        self.commit()

    # === A BATCH OF RECEIPTS === #

    def _import_batch(self, raws, source):
        """Import Etsy's receipt dicts `raws`, each in its own savepoint; returns the receipts
        that could be read. A receipt that fails waits in *Receipts to Fix*."""
        receipts = []
        for raw in raws:
            self.log.count("fetched")
            self.sources[source] += 1
            with self.isolated(self._ref(raw.get("receipt_id")), raw.get("receipt_id")) as read:
                receipts.append(self._read(raw))
            if read.failed:
                self.env["etsy.receipt.issue"]._record(self.shop, raw, read.error)
        imported = {}
        for receipt in receipts:
            # Read for the whole batch at once; again after a rollback emptied the cache.
            lookups = self.writer.lookups(receipts)
            with self.isolated(self._ref(receipt.receipt_id), receipt.receipt_id) as written:
                outcome, order = self.writer.write_receipt(receipt, lookups)
            if written.failed:
                self.env["etsy.receipt.issue"]._record(self.shop, receipt.raw, written.error)
                continue
            self.log.count("skipped" if outcome == "unchanged" else outcome)
            imported[receipt.receipt_id] = order
            self.orders[receipt.receipt_id] = order.id
        self.env["etsy.receipt.issue"]._resolve(self.shop, imported)
        return receipts

    def _read(self, raw):
        try:
            return Receipt.from_etsy(raw)
        except (KeyError, TypeError, ValueError) as exc:
            # Bad data, not a bug: the person fixing it needs the reason, not a traceback.
            raise UserError(self.env._(
                "Etsy sent a receipt Odoo cannot read (%(reason)s): it is retried later; if it "
                "keeps failing, check it on Etsy.", reason=exc)) from exc

    def _ref(self, receipt_id):
        return self.env._("receipt %s", receipt_id)
