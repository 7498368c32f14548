"""The listing import: every listing of a shop, in every state, read from Etsy and bound.

Creates or updates ``etsy.listing`` / ``etsy.product``, links Etsy products to Odoo variants
(binding first, then SKU), creates the missing products when the shop asks for it and archives
the listings that are gone from Etsy. Idempotent: a second import changes nothing.
"""

import contextlib
from collections import defaultdict

from odoo import fields

from ..const import LISTING_INCLUDES, LISTING_STATES, LISTINGS_PER_COMMIT
from .etsy_product_builder import ProductBuilder
from .etsy_run import EtsyFlow, flow_lock_key
from .order_relink import relink_and_note


def normalize_sku(sku):
    """The SKU as compared loosely: case and whitespace ignored, punctuation kept."""
    return "".join((sku or "").split()).casefold()


@contextlib.contextmanager
def other_flow_lock(flow, other):
    """Also hold the lock of the shop's flow `other` for the run; yields whether it was free.

    The listing import and the stock export write the same bindings: run together, one of them
    would fail on a serialization error. Neither waits for the other: the one that finds the
    other running stops and the next run does the work.
    """
    cr = flow.env.cr
    key = flow_lock_key(flow.shop.id, other)
    cr.execute("SELECT pg_try_advisory_lock(%s)", [key])
    acquired = cr.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            _unlock(cr, key)


def _unlock(cr, key):
    # A session lock outlives the transaction: an aborted one must be rolled back (the frame
    # does it) before the lock can be released, else the pooled connection would keep it.
    if cr._cnx.info.transaction_status == 3:  # psycopg2 TRANSACTION_STATUS_INERROR
        cr.postrollback.add(lambda: cr.execute("SELECT pg_advisory_unlock(%s)", [key]))
    else:
        cr.execute("SELECT pg_advisory_unlock(%s)", [key])


def etsy_count(lists):
    """How many records Etsy counts in these paged lists (as their latest pages said)."""
    return sum(records.total or 0 for records in lists)


class SkuIndex:
    """Odoo variant ids by internal reference, exactly and loosely (case and spaces ignored):
    the shop company's products and shared ones."""

    def __init__(self, env, company):
        self.exact, self.loose = defaultdict(set), defaultdict(set)
        rows = env["product.product"].search_read(
            [("default_code", "!=", False), ("company_id", "in", [False, company.id])],
            ["default_code"])
        for row in rows:
            self.put(row["default_code"], row["id"])

    def put(self, code, product_id):
        self.exact[code.strip()].add(product_id)
        self.loose[normalize_sku(code)].add(product_id)

    def add(self, products):
        for product in products:
            if product.default_code:
                self.put(product.default_code, product.id)

    def candidates(self, sku):
        return self.exact.get(sku) or self.loose.get(normalize_sku(sku)) or set()


class ListingImport(EtsyFlow):
    """getListingsByShop with inventory for each listing state, 100 listings per call."""

    flow = "listings"

    def __init__(self, frame, **params):
        super().__init__(frame, **params)
        self.seen_at = fields.Datetime.now()
        self.index = None
        self.builder = ProductBuilder(self)
        self.skipped_for_push = False

    def execute(self):
        with other_flow_lock(self, "inventory") as free:
            if not free:
                self.skipped_for_push = True
                return
            # An Etsy error while reading fails the run: listings not read cannot be told apart
            # from deleted ones, so nothing is archived then.
            first = not self.state.watermark
            seen = self.import_all_states()
            self.archive_gone(seen)
            self.state._advance(self.seen_at)
        if first:
            # The order import of a new shop waited for this one: its orders come now.
            self.env.ref("etsy_connector.ir_cron_sync_orders").sudo()._trigger()

    def summary(self):
        if self.skipped_for_push:
            return self.env._("A stock push of this shop is running: the listings are read at "
                              "the next run.")
        counts = self.log.counts
        return self.env._(
            "%(fetched)s listings read from Etsy in %(calls)s API calls: %(created)s new, "
            "%(updated)s updated, %(failed)s failed; %(to_link)s Etsy products to link.",
            fetched=counts["fetched"], calls=self.client.call_count, created=counts["created"],
            updated=counts["updated"], failed=counts["failed"], to_link=self.shop.to_link_count)

    def daily_limit_note(self):
        return self.env._("Etsy's daily API limit is reached: the listings are read again later.")

    # --- reading --- #

    def import_all_states(self):
        seen, batch = set(), []
        self.index = SkuIndex(self.env, self.shop.company_id)
        lists = [self.client.iter_shop_listings(self.shop.etsy_shop_id, state=state,
                                                includes=LISTING_INCLUDES)
                 for state in LISTING_STATES]
        # The first page of every state is read before any listing is imported: Etsy's counts
        # of the states add up to the total the progress shows, at no extra call (each first
        # page is read once anyway).
        for listings in lists:
            listings.read_total()
        self.progress(0, etsy_count(lists))
        for listings in lists:
            for etsy_listing in listings:
                seen.add(str(etsy_listing["listing_id"]))
                batch.append(etsy_listing)
                if len(batch) >= LISTINGS_PER_COMMIT:
                    self.import_batch(batch)
                    self.progress(self.log.counts["fetched"], etsy_count(lists))
                    batch = []
        self.import_batch(batch)
        # Every listing there was is read (a count that changed meanwhile is behind us).
        self.progress(self.log.counts["fetched"], self.log.counts["fetched"])
        return seen

    def import_batch(self, etsy_listings):
        if not etsy_listings:
            return
        # The bindings linked here fix their orders once per batch (`relink_and_note`).
        Listing = self.env["etsy.listing"].with_context(active_test=False,
                                                        etsy_relink_later=True)
        existing = {listing.etsy_listing_id: listing for listing in Listing.search([
            ("shop_id", "=", self.shop.id),
            ("etsy_listing_id", "in", [str(e["listing_id"]) for e in etsy_listings]),
        ])}
        for etsy_listing in etsy_listings:
            listing_id = str(etsy_listing["listing_id"])
            self.log.count("fetched")
            with self.isolated(self.env._("listing %s", listing_id), listing_id) as outcome:
                counter = self.import_listing(etsy_listing, existing.get(listing_id) or Listing)
            if not outcome.failed:
                self.log.count(counter)
        self.commit()
        relink_and_note(self)
        self.commit()

    def import_listing(self, etsy_listing, listing):
        """Create or update one listing binding with its products (`listing`: the binding, or
        the empty model to create it in); returns the log counter."""
        values = {**listing._etsy_listing_values(etsy_listing), "last_seen_at": self.seen_at}
        if listing:
            if not listing.active:
                values["active"] = True  # it came back (or was archived by mistake)
            listing.write(values)
            counter = "updated"
        else:
            listing = listing.create({
                **values, "shop_id": self.shop.id,
                "etsy_listing_id": str(etsy_listing["listing_id"]),
            })
            counter = "created"
        bindings = listing._etsy_sync_products(
            etsy_listing.get("inventory"), self.seen_at,
            find_product=lambda sku: self.product_for_sku(sku, listing))
        if self.shop.create_missing_products and not all(b.product_id for b in bindings.values()):
            self.index.add(self.builder.build_for_listing(listing, etsy_listing, bindings))
        return counter

    def product_for_sku(self, sku, listing):
        """The Odoo variant id whose internal reference is ``sku``: exact first, then ignoring
        case and spaces. Several candidates: None, and a note asking a person to pick."""
        candidates = self.index.candidates(sku)
        if len(candidates) == 1:
            return next(iter(candidates))
        if candidates:
            self.log.note(self.env._("listing %s", listing.etsy_listing_id),
                          self.env._("SKU %s matches several Odoo products: pick the right one "
                                     "under 'To Link'.", sku),
                          level="warning", etsy_id=listing.etsy_listing_id)
        return None

    def archive_gone(self, seen):
        """Archive bindings of listings Etsy no longer lists in any state.

        A listing that changed state while the states were read one after the other may have
        been missed: those still found by id are kept.
        """
        missing = self.env["etsy.listing"].search([
            ("shop_id", "=", self.shop.id), ("etsy_listing_id", "not in", list(seen)),
        ])
        if not missing:
            return
        found = self.client.get_listings([int(listing.etsy_listing_id) for listing in missing])
        for listing in missing:
            if int(listing.etsy_listing_id) in found:
                continue
            listing._etsy_mark_gone()
            self.log.note(self.env._("listing %s", listing.etsy_listing_id),
                          self.env._("No longer on Etsy: the listing and its products were "
                                     "archived."),
                          level="warning", etsy_id=listing.etsy_listing_id)
