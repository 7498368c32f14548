"""Listing import and the oversell-safe stock push of an Etsy shop.

Odoo is the master of stock: each linked Etsy product shows the free quantity of the shop's
warehouses minus a safety buffer. The push costs API calls only for what changed: a listing is
read and written only when one of its products' targets differs from what Etsy shows as far as
Odoo knows, and reads go by batches of 100.
"""

import datetime
import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

from ..etsy.client import BATCH_SIZE
from ..etsy.errors import (
    EtsyDailyLimitError,
    EtsyError,
    EtsyNotFoundError,
    EtsyReauthorizationRequired,
)
from ..etsy.inventory import MAX_QUANTITY, build_inventory_update_body, quantities_differ
from .etsy_binding import offering_quantity
from .etsy_order_importer import RunCache
from .etsy_sync_log import describe_error

_logger = logging.getLogger(__name__)

LISTING_STATES = ("active", "inactive", "sold_out", "draft", "expired")
LISTING_INCLUDES = ["Inventory", "Images"]
LISTINGS_PER_COMMIT = 100
# A done stock move of a linked product asks for a push this much later (moves come in bursts).
PUSH_DELAY = datetime.timedelta(seconds=60)


def normalize_sku(sku):
    """The SKU as compared loosely: case and whitespace ignored, punctuation kept."""
    return "".join((sku or "").split()).casefold()


def _chunks(records, size):
    return [records[start:start + size] for start in range(0, len(records), size)]


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    inventory_warehouse_ids = fields.Many2many(
        "stock.warehouse", "etsy_shop_inventory_warehouse_rel", "shop_id", "warehouse_id",
        string="Publish stock of", check_company=True,
        help="Warehouses whose free quantity is published on Etsy. Empty: the shop's warehouse.",
    )
    stock_buffer = fields.Integer(
        string="Safety buffer", default=0,
        help="Units kept back from Etsy for each product: Etsy shows the free quantity minus "
             "this number (never less than 0).",
    )
    allow_listing_renewal = fields.Boolean(
        string="Renew sold-out listings",
        help="When stock comes back for a listing Etsy marked sold out (or that expired while "
             "Odoo had deactivated it), renew it on Etsy. Etsy charges a listing fee for each "
             "renewal. Off: Odoo publishes the quantities and asks you to renew it yourself.",
    )
    last_listing_import = fields.Datetime(
        string="Last Listing Import", readonly=True, copy=False,
        help="When the shop's listings were last read from Etsy.",
    )
    listing_ids = fields.One2many("etsy.listing", "shop_id", string="Etsy listings")
    listing_count = fields.Integer(compute="_compute_listing_counts", compute_sudo=True)
    to_link_count = fields.Integer(compute="_compute_listing_counts", compute_sudo=True,
                                   string="Etsy products to link")

    @api.constrains("stock_buffer")
    def _check_stock_buffer(self):
        for shop in self:
            if shop.stock_buffer < 0:
                raise ValidationError(_("The safety buffer cannot be negative."))

    def _compute_listing_counts(self):
        listings = dict(self.env["etsy.listing"]._read_group(
            [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]))
        to_link = dict(self.env["etsy.product"]._read_group(
            [("shop_id", "in", self.ids), ("product_id", "=", False),
             ("listing_id.active", "=", True)], ["shop_id"], ["__count"]))
        for shop in self:
            shop.listing_count = listings.get(shop, 0)
            shop.to_link_count = to_link.get(shop, 0)

    # === BUTTONS === #

    def action_view_listings(self):
        return self._etsy_shop_action("etsy_connector.action_etsy_listing")

    def action_view_to_link(self):
        return self._etsy_shop_action(
            "etsy_connector.action_etsy_product_to_link",
            domain=[("product_id", "=", False), ("listing_id.active", "=", True)])

    def action_import_listings(self):
        """'Import listings' button: every listing of the shop, with its inventory, now."""
        self.ensure_one()
        return self._etsy_notify_run(self._etsy_import_listings(trigger="manual"))

    def action_sync_inventory(self):
        """'Push stock' button: the same code as the 15-minute schedule, for this shop, now."""
        self.ensure_one()
        return self._etsy_notify_run(self._sync_etsy_inventory(trigger="manual"))

    def _etsy_notify_run(self, log):
        if log.failed_with is not None:
            return self._etsy_notification(describe_error(log.failed_with), "danger")
        return self._etsy_notify_log(log)

    # === SCHEDULED ACTIONS === #

    @api.model
    def _cron_import_listings(self):
        """Refresh the listings of every connected shop (new ones, gone ones, Etsy quantities)."""
        self._run_for_connected_shops("_etsy_import_listings")

    def _etsy_finish_oauth(self, session, code):
        """A newly connected shop gets its listings imported at once, by the listings cron."""
        shop = super()._etsy_finish_oauth(session, code)
        cron = self.env.ref("etsy_connector.ir_cron_import_listings", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return shop

    # === LISTING IMPORT === #

    def _etsy_import_listings(self, trigger="cron"):
        """Read every listing of the shop in every state, with inventory, and bind them.

        Creates or updates ``etsy.listing`` / ``etsy.product``, links Etsy products to Odoo
        variants (binding, then SKU), creates missing products when the shop asks for it and
        archives listings that are gone from Etsy. Idempotent.
        """
        self.ensure_one()
        shop = self.sudo().with_company(self.company_id)
        with shop._etsy_lock("inventory") as acquired:
            if acquired:
                return shop._etsy_run_listing_import(trigger)
        return shop._etsy_run_busy(trigger, _("A listing import or stock push"))

    def _etsy_run_busy(self, trigger, what):
        if trigger == "manual":
            raise UserError(_("%(what)s of %(shop)s is already running: wait for it to finish, "
                              "its log shows the progress.", what=what, shop=self.name))
        _logger.info("Etsy shop %s: %s is running, this run is skipped", self.id, what)

    def _etsy_run_listing_import(self, trigger):
        seen_at = fields.Datetime.now()
        limit_note = _("Etsy's daily API limit is reached: the listings are read again later.")
        with self._etsy_sync_frame("listings", trigger, limit_note,
                                   self._etsy_listing_summary) as (log, client):
            try:
                seen = self._etsy_import_all_states(client, log, seen_at)
                self._etsy_archive_gone_listings(client, seen, log)
            except EtsyError as exc:
                if isinstance(exc, EtsyReauthorizationRequired | EtsyDailyLimitError):
                    raise
                # Listings not read cannot be told apart from deleted ones: archive nothing.
                log.fail(exc)
                return log
            self.last_listing_import = seen_at
        return log

    def _etsy_listing_summary(self, log, client):
        counts = log.counts
        return _(
            "%(fetched)s listings read from Etsy in %(calls)s API calls: %(created)s new, "
            "%(updated)s updated, %(failed)s failed; %(to_link)s Etsy products to link.",
            fetched=counts["fetched"], calls=client.call_count, created=counts["created"],
            updated=counts["updated"], failed=counts["failed"], to_link=self.to_link_count)

    def _etsy_import_all_states(self, client, log, seen_at):
        """getListingsByShop with inventory for each state, 100 listings per call."""
        seen, batch = set(), []
        index = self._etsy_sku_index()
        for state in LISTING_STATES:
            for etsy_listing in client.iter_shop_listings(self.etsy_shop_id, state=state,
                                                          includes=LISTING_INCLUDES):
                seen.add(str(etsy_listing["listing_id"]))
                batch.append(etsy_listing)
                if len(batch) >= LISTINGS_PER_COMMIT:
                    self._etsy_import_batch(batch, log, seen_at, index)
                    batch = []
        self._etsy_import_batch(batch, log, seen_at, index)
        return seen

    def _etsy_import_batch(self, etsy_listings, log, seen_at, index):
        if not etsy_listings:
            return
        Listing = self.env["etsy.listing"].with_context(active_test=False)
        existing = {listing.etsy_listing_id: listing for listing in Listing.search([
            ("shop_id", "=", self.id),
            ("etsy_listing_id", "in", [str(e["listing_id"]) for e in etsy_listings]),
        ])}
        for etsy_listing in etsy_listings:
            listing_id = str(etsy_listing["listing_id"])
            log.count("fetched")
            try:
                with self.env.cr.savepoint():
                    outcome = self._etsy_import_listing(
                        etsy_listing, existing.get(listing_id), seen_at, index, log)
                log.count(outcome)
            except Exception as exc:  # noqa: BLE001 - one bad listing never stops the import
                _logger.info("Etsy listing %s of shop %s not imported: %s", listing_id, self.id,
                             type(exc).__name__)
                log.failure(_("listing %s", listing_id), exc, etsy_id=listing_id)
        self._etsy_commit()

    def _etsy_import_listing(self, etsy_listing, listing, seen_at, index, log):
        """Create or update one listing binding with its products; returns the log counter."""
        values = {**self.env["etsy.listing"]._etsy_listing_values(etsy_listing),
                  "last_seen_at": seen_at}
        if listing:
            if not listing.active:
                values["active"] = True  # it came back (or was archived by mistake)
            listing.write(values)
            outcome = "updated"
        else:
            listing = self.env["etsy.listing"].create({
                **values, "shop_id": self.id, "etsy_listing_id": str(etsy_listing["listing_id"]),
            })
            outcome = "created"
        bindings = listing._etsy_sync_products(
            etsy_listing.get("inventory"), seen_at,
            find_product=lambda sku: self._etsy_product_for_sku(sku, index, listing, log))
        if self.create_missing_products and not all(b.product_id for b in bindings.values()):
            created = self.env["etsy.product.builder"]._build_for_listing(
                self, listing, etsy_listing, bindings, log)
            self._etsy_index_add(index, created)
        return outcome

    def _etsy_archive_gone_listings(self, client, seen, log):
        """Archive bindings of listings Etsy no longer lists in any state.

        A listing that changed state while the states were read one after the other may have
        been missed: those still found by id are kept.
        """
        missing = self.env["etsy.listing"].search([
            ("shop_id", "=", self.id), ("etsy_listing_id", "not in", list(seen)),
        ])
        if not missing:
            return
        found = client.get_listings([int(listing.etsy_listing_id) for listing in missing])
        for listing in missing:
            if int(listing.etsy_listing_id) in found:
                continue
            listing._etsy_mark_gone()
            log.note(_("listing %s", listing.etsy_listing_id),
                     _("No longer on Etsy: the listing and its products were archived."),
                     level="warning", etsy_id=listing.etsy_listing_id)

    # === LINKING === #

    def _etsy_sku_index(self):
        """``(exact, loose)``: Odoo variant ids by internal reference, and by reference without
        case and spaces; the shop company's products and shared ones."""
        rows = self.env["product.product"].search_read(
            [("default_code", "!=", False), ("company_id", "in", [False, self.company_id.id])],
            ["default_code"])
        index = (defaultdict(set), defaultdict(set))
        for row in rows:
            self._etsy_index_put(index, row["default_code"], row["id"])
        return index

    def _etsy_index_add(self, index, products):
        for product in products or ():
            if product.default_code:
                self._etsy_index_put(index, product.default_code, product.id)

    @staticmethod
    def _etsy_index_put(index, code, product_id):
        exact, loose = index
        exact[code.strip()].add(product_id)
        loose[normalize_sku(code)].add(product_id)

    def _etsy_product_for_sku(self, sku, index, listing, log):
        """The Odoo variant id whose internal reference is ``sku``: exact first, then ignoring
        case and spaces. Several candidates: None, and a note asking a person to pick."""
        exact, loose = index
        candidates = exact.get(sku) or loose.get(normalize_sku(sku)) or set()
        if len(candidates) == 1:
            return next(iter(candidates))
        if candidates:
            log.note(_("listing %s", listing.etsy_listing_id),
                     _("SKU %s matches several Odoo products: pick the right one under "
                       "'To Link'.", sku),
                     level="warning", etsy_id=listing.etsy_listing_id)
        return None

    # === STOCK PUSH === #

    def _sync_etsy_inventory(self, trigger="cron"):
        """Import new orders, then publish the stock of linked products whose target changed.

        Takes the shop's order lock, then its inventory lock (the order sync takes only the
        first, the listing import only the second; both are try-locks, so nothing ever waits).
        """
        self.ensure_one()
        shop = self.sudo().with_company(self.company_id)
        with shop._etsy_lock("orders") as orders_locked:
            if not orders_locked:
                return shop._etsy_run_busy(trigger, _("An order sync"))
            with shop._etsy_lock("inventory") as inventory_locked:
                if inventory_locked:
                    return shop._etsy_run_inventory_sync(trigger)
        return shop._etsy_run_busy(trigger, _("A listing import or stock push"))

    def _etsy_run_inventory_sync(self, trigger):
        started = fields.Datetime.now()
        stats = {"checked": 0, "order_calls": 0}
        limit_note = _("Etsy's daily API limit is reached: the next run goes on with the "
                       "listings left.")
        with self._etsy_sync_frame(
                "inventory", trigger, limit_note,
                lambda log, client: self._etsy_inventory_summary(log, client, stats),
        ) as (log, client):
            try:
                stats["order_calls"] = self._etsy_import_new_orders(client, trigger)
            except _OrdersNotImported as exc:
                log.fail(_("New Etsy orders could not be imported first, so no stock was pushed "
                           "(it could undo a sale Odoo has not seen yet): %s",
                           describe_error(exc.__cause__)))
                return log
            self._etsy_stock_push(client, log, stats)
            self.last_inventory_sync = started
        return log

    def _etsy_inventory_summary(self, log, client, stats):
        counts = log.counts
        left = client.rate_limit.remaining_today
        if not stats["checked"]:
            return _("No Etsy product is linked to a stock-tracked Odoo product yet: import the "
                     "listings and link their products first.")
        return _(
            "%(checked)s listings checked: %(written)s written, %(unchanged)s unchanged, "
            "%(failed)s failed; %(read)s read from Etsy. %(calls)s API calls (%(order_calls)s "
            "for new orders), %(left)s left today.",
            checked=stats["checked"], written=counts["updated"], unchanged=counts["skipped"],
            failed=counts["failed"], read=counts["fetched"], calls=client.call_count,
            order_calls=stats["order_calls"], left="?" if left is None else left)

    def _etsy_import_new_orders(self, client, trigger):
        """Import receipts changed since the last order sync (no re-checks: they cost calls).

        Returns the number of API calls it made. Raises _OrdersNotImported when Etsy failed.
        """
        calls = client.call_count
        try:
            with self.env["etsy.sync.log"]._open(self, "orders", trigger=trigger) as log:
                try:
                    self._etsy_import_window(client, log, fields.Datetime.now(), RunCache())
                finally:
                    log.api_calls = client.call_count - calls
                log.message = self._etsy_order_summary(log)
        except EtsyReauthorizationRequired:
            raise
        except EtsyError as exc:
            raise _OrdersNotImported() from exc
        return client.call_count - calls

    def _etsy_stock_push(self, client, log, stats):
        bindings = self.env["etsy.product"].search([
            ("shop_id", "=", self.id), ("link_state", "=", "linked"),
            ("listing_id.active", "=", True),
        ])
        targets = self._etsy_stock_targets(bindings)
        listings = bindings.listing_id
        candidates = self._etsy_stock_candidates(bindings, targets)
        stats["checked"] = len(listings)
        log.count("skipped", len(listings - candidates))
        for chunk in _chunks(candidates, BATCH_SIZE):
            etsy_listings = self._etsy_stock_read(client, chunk, log)
            for listing in chunk:
                etsy_listing = etsy_listings.get(int(listing.etsy_listing_id))
                if etsy_listing is not None:
                    self._etsy_stock_push_one(client, listing, etsy_listing, targets, log)
            self._etsy_commit()

    def _etsy_stock_targets(self, bindings):
        """``{binding id: quantity Etsy should show}`` for bindings linked to storable products.

        Free quantity of the chosen warehouses, less any demand not reserved yet (confirmed
        deliveries not reserved, Etsy orders not confirmed), less the buffer, within 0..999.
        """
        products = bindings.product_id.filtered("is_storable")
        if not products:
            return {}
        warehouses = self.inventory_warehouse_ids or self.warehouse_id
        demand = self._etsy_unconfirmed_demand(products, warehouses)
        # Quantities are computed, not stored: never trust values cached earlier in the run.
        products.invalidate_recordset(["free_qty", "qty_available", "outgoing_qty"])
        per_product = {}
        for product in products.with_context(warehouse_id=warehouses.ids):
            free = min(product.free_qty, product.qty_available - product.outgoing_qty)
            free = float_round(free - demand.get(product.id, 0.0), precision_digits=0,
                               rounding_method="DOWN")
            per_product[product.id] = min(max(int(free) - self.stock_buffer, 0), MAX_QUANTITY)
        return {binding.id: per_product[binding.product_id.id]
                for binding in bindings if binding.product_id.id in per_product}

    def _etsy_unconfirmed_demand(self, products, warehouses):
        """Units of Etsy orders not confirmed yet (no delivery reserves them): already sold."""
        groups = self.env["sale.order.line"]._read_group(
            [("product_id", "in", products.ids), ("state", "in", ("draft", "sent")),
             ("order_id.etsy_shop_id", "!=", False),
             ("order_id.warehouse_id", "in", warehouses.ids)],
            ["product_id"], ["product_uom_qty:sum"])
        return {product.id: qty for product, qty in groups}

    def _etsy_stock_candidates(self, bindings, targets):
        """Listings where a product's target differs from what Etsy shows as far as Odoo knows."""
        listings = self.env["etsy.listing"]
        for binding in bindings:
            target = targets.get(binding.id)
            if target is not None and target != binding._etsy_reference_qty():
                listings |= binding.listing_id
        return listings

    def _etsy_stock_read(self, client, listings, log):
        """``{listing id: ShopListing with inventory}`` for ≤100 listings, in one call.

        Etsy answers 404 for the whole batch when one listing was deleted: the deleted ones are
        then found with getListingsByListingIds (which leaves them out) and archived.
        """
        ids = [int(listing.etsy_listing_id) for listing in listings]
        try:
            try:
                found = client.get_listings_with_inventory(ids)
            except EtsyNotFoundError:
                existing = client.get_listings(ids)
                self._etsy_listings_gone(listings.filtered(
                    lambda listing: int(listing.etsy_listing_id) not in existing), log)
                kept = [listing_id for listing_id in ids if listing_id in existing]
                found = client.get_listings_with_inventory(kept) if kept else {}
        except (EtsyReauthorizationRequired, EtsyDailyLimitError):
            raise
        except EtsyError as exc:
            for listing in listings:
                log.failure(_("listing %s", listing.etsy_listing_id), exc,
                            etsy_id=listing.etsy_listing_id)
            return {}
        log.count("fetched", len(found))
        return found

    def _etsy_listings_gone(self, listings, log):
        for listing in listings:
            listing._etsy_mark_gone()
            log.failure(_("listing %s", listing.etsy_listing_id),
                        _("Deleted on Etsy (404): its binding was archived and flagged."),
                        etsy_id=listing.etsy_listing_id)

    def _etsy_stock_push_one(self, client, listing, etsy_listing, targets, log):
        """Push one listing; whatever fails is logged and the run goes on."""
        try:
            with self.env.cr.savepoint():
                written = self._etsy_stock_push_listing(client, listing, etsy_listing, targets, log)
            log.count("updated" if written else "skipped")
        except (EtsyReauthorizationRequired, EtsyDailyLimitError):
            raise
        except EtsyNotFoundError:
            self._etsy_listings_gone(listing, log)
        except Exception as exc:  # noqa: BLE001 - one listing never stops the others
            _logger.info("Etsy stock push of listing %s (shop %s) failed: %s",
                         listing.etsy_listing_id, self.id, type(exc).__name__)
            log.failure(_("listing %s", listing.etsy_listing_id), exc,
                        etsy_id=listing.etsy_listing_id)

    def _etsy_stock_push_listing(self, client, listing, etsy_listing, targets, log):
        """Patch the quantities of one listing on Etsy; True when something was written.

        Reads happened just before: the body is built from Etsy's current inventory by
        ``build_inventory_update_body``, so variations, prices, SKUs, processing profiles and
        enabled flags go back exactly as read.
        """
        now = fields.Datetime.now()
        inventory = etsy_listing.get("inventory") or {}
        state = etsy_listing.get("state")
        known = {binding.id: binding.etsy_qty if binding.etsy_qty_seen_at else None
                 for binding in listing.etsy_product_ids}
        listing.write({**listing._etsy_listing_values(etsy_listing), "last_seen_at": now})
        bindings = listing._etsy_sync_products(inventory, now)
        requested = self._etsy_stock_requested(listing, inventory, bindings, targets,
                                                    known, log)
        if not requested:
            return False
        body, report = build_inventory_update_body(
            inventory, {product_id: qty for product_id, (__, qty) in requested.items()})
        self._etsy_stock_note_merged(listing, report, bindings, log)
        if report.sold_out:
            written = self._etsy_deactivate_sold_out(client, listing, state, log)
        else:
            written = False
            if quantities_differ(inventory, body):
                result = client.update_listing_inventory(listing.etsy_listing_id, body)
                listing._etsy_sync_products(result, now)
                written = True
            written = self._etsy_back_in_stock(client, listing, state, log) or written
        for binding, qty in requested.values():
            binding.write({"last_pushed_qty": qty, "last_pushed_at": now})
        listing.last_pushed_at = now
        return written

    def _etsy_stock_requested(self, listing, inventory, bindings, targets, known, log):
        """``{Etsy product id: (binding, quantity to push)}``.

        Never raise a quantity Etsy lowered without Odoo knowing why: a buyer may have bought
        after the orders were imported. Etsy's drop since Odoo last saw it (``known``) is kept,
        only Odoo's own increase is added; the next run catches up once the order is in Odoo.
        """
        by_id = {p["product_id"]: p for p in inventory.get("products") or []
                 if not p.get("is_deleted")}
        requested = {}
        for product_id, binding in bindings.items():
            target = targets.get(binding.id)
            if target is None:
                continue
            qty = target
            last = known.get(binding.id)
            if last is not None:
                current = offering_quantity(by_id[product_id])
                qty = min(target, current + max(0, target - last))
            if qty < target:
                log.note(_("listing %s", listing.etsy_listing_id),
                         _("%(product)s: Etsy shows %(current)s, fewer than the %(last)s Odoo "
                           "last saw (a sale not imported yet?). Pushed %(qty)s instead of "
                           "%(target)s; the next run catches up.",
                           product=binding.display_name, current=current, last=last, qty=qty,
                           target=target), etsy_id=listing.etsy_listing_id)
            requested[product_id] = (binding, qty)
        return requested

    def _etsy_stock_note_merged(self, listing, report, bindings, log):
        for merge in report.merged:
            names = sorted({bindings[product_id].product_id.display_name
                            for product_id in merge["requested"] if product_id in bindings})
            log.note(_("listing %s", listing.etsy_listing_id),
                     _("Etsy makes %(products)s share one quantity (the listing's quantities "
                       "do not vary by these variations): pushed the lowest, %(qty)s.",
                       products=", ".join(names), qty=merge["quantity"]),
                     etsy_id=listing.etsy_listing_id)

    def _etsy_deactivate_sold_out(self, client, listing, state, log):
        """Every product would show 0. Etsy refuses such an inventory, so an active listing is
        deactivated instead (its quantities stay as they are, hidden from buyers)."""
        if state != "active":
            return False  # sold out, inactive, draft or expired: buyers cannot order it anyway
        client.update_listing(self.etsy_shop_id, listing.etsy_listing_id, state="inactive")
        listing.write({"state": "inactive", "deactivated_by_odoo": True})
        log.note(_("listing %s", listing.etsy_listing_id),
                 _("No stock left for any product: deactivated on Etsy (Etsy refuses "
                   "quantities that are all 0). Odoo reactivates it when stock comes back."),
                 etsy_id=listing.etsy_listing_id)
        return True

    def _etsy_back_in_stock(self, client, listing, state, log):
        """Stock is back: put the listing on sale again if Etsy's rules allow it for free, or
        if the shop allows renewals. True when the listing was reactivated or renewed."""
        if state in ("active", "draft"):
            if listing.deactivated_by_odoo:
                listing.deactivated_by_odoo = False  # the seller reactivated it already
            return False
        ours = listing.deactivated_by_odoo
        if state in ("inactive", "expired") and not ours:
            return False  # the seller's own choice
        # Etsy renews (and charges for) sold-out and expired listings put back on sale; a
        # deactivated one that has not expired is reactivated for free.
        renewal = state in ("sold_out", "expired")
        ref = _("listing %s", listing.etsy_listing_id)
        if renewal and not self.allow_listing_renewal:
            reason = _("Back in stock, but Etsy keeps this %s listing off sale until it is "
                       "renewed, which costs a listing fee: renew it on Etsy, or allow renewals "
                       "in the shop settings.", state)
            listing._etsy_flag(reason)
            log.note(ref, reason, level="warning", etsy_id=listing.etsy_listing_id)
            return False
        client.update_listing(self.etsy_shop_id, listing.etsy_listing_id, state="active")
        listing.write({"state": "active", "deactivated_by_odoo": False})
        log.note(ref, _("Back in stock: renewed on Etsy (Etsy charges a listing fee).")
                 if renewal else _("Back in stock: reactivated on Etsy."),
                 etsy_id=listing.etsy_listing_id)
        return True

    # === FAST PATH === #

    @api.model
    def _etsy_stock_schedule_push(self, products):
        """A done stock move touched ``products``: push stock in about a minute if one of them
        is linked to an Etsy listing (one pending trigger at a time; the cron is the backstop)."""
        products = products.filtered("is_storable")
        if not products:
            return
        linked = self.env["etsy.product"].sudo().search_count([
            ("product_id", "in", products.ids), ("shop_id.state", "=", "connected"),
        ], limit=1)
        cron = self.env.ref("etsy_connector.ir_cron_sync_inventory", raise_if_not_found=False)
        if not (linked and cron and cron.sudo().active):
            return
        pending = self.env["ir.cron.trigger"].sudo().search_count([
            ("cron_id", "=", cron.id), ("call_at", ">=", fields.Datetime.now()),
        ], limit=1)
        if not pending:
            cron.sudo()._trigger(at=fields.Datetime.now() + PUSH_DELAY)


class _OrdersNotImported(Exception):
    """The order import that must precede a stock push failed (the cause is chained)."""
