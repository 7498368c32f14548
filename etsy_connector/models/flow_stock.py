"""The stock export: the oversell-safe push of Odoo's stock to a shop's Etsy listings.

Odoo is the master of stock: each linked Etsy product shows the free quantity of the shop's
warehouses minus a safety buffer. New Etsy orders are imported first, so that a sale Odoo has
not seen is never undone. The push costs API calls only for what changed: a listing is read and
written only when one of its products' targets differs from what Etsy shows as far as Odoo
knows, and reads go by batches of 100.
"""

from collections import defaultdict

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import float_round, split_every

from ..const import CANCELLED_ETSY_STATUSES
from ..etsy.client import BATCH_SIZE
from ..etsy.errors import EtsyError, EtsyNotFoundError
from ..etsy.inventory import MAX_QUANTITY, build_inventory_update_body, quantities_differ
from .etsy_binding import live_products, offering_quantity, property_key
from .etsy_run import RUN_ERRORS, EtsyFlow, run_flow
from .flow_listings import other_flow_lock
from .flow_orders import OrderImport
from .sync_log_recorder import describe_error


class StockExport(EtsyFlow):
    flow = "inventory"

    def __init__(self, frame, **params):
        super().__init__(frame, **params)
        self.started = fields.Datetime.now()
        self.checked = 0
        self.order_calls = 0
        self.skipped_because = None

    def execute(self):
        with other_flow_lock(self, "listings") as free:
            if not free:
                self.skipped_because = self.env._(
                    "A listing import of this shop is running: no stock was pushed, the next run "
                    "pushes it.")
                return
            if not self.import_new_orders():
                return
            # A new snapshot (REPEATABLE READ): the targets must count the orders the order
            # run has just committed on its own cursor.
            self.commit()
            self.push()
            self.state._advance(self.started)

    def summary(self):
        if self.skipped_because:
            return self.skipped_because
        if not self.checked:
            return self.env._("No Etsy product is linked to a stock-tracked Odoo product yet: "
                              "import the listings and link their products first.")
        counts = self.log.counts
        left = self.client.rate_limit.remaining_today
        if left is None:  # this run made no call itself: the latest figure of the shop's flows
            left = self.env["etsy.sync.state"].search(
                [("shop_id", "=", self.shop.id), ("calls_left_at", "!=", False)],
                order="calls_left_at desc", limit=1).calls_left or None
        return self.env._(
            "%(checked)s listings checked: %(written)s written, %(unchanged)s unchanged, "
            "%(failed)s failed; %(read)s read from Etsy. %(calls)s API calls (%(order_calls)s "
            "for new orders), %(left)s left today.",
            checked=self.checked, written=counts["updated"], unchanged=counts["skipped"],
            failed=counts["failed"], read=counts["fetched"],
            calls=self.client.call_count + self.order_calls, order_calls=self.order_calls,
            left="?" if left is None else left)

    def daily_limit_note(self):
        return self.env._("Etsy's daily API limit is reached: the next run goes on with the "
                          "listings left.")

    def note(self, listing, text, level="info"):
        self.log.note(self.env._("listing %s", listing.etsy_listing_id), text, level=level,
                      etsy_id=listing.etsy_listing_id)

    # --- new orders first --- #

    def import_new_orders(self):
        """Run the shop's order import; True when the new orders are in Odoo.

        Etsy's daily limit met by the order run is met by this run's first read as well (one
        budget per app), so no stock is written after an incomplete order import.
        """
        try:
            order_log, _orders = run_flow(self.shop, OrderImport, self.trigger, window_only=True)
        except RUN_ERRORS:
            raise
        except (EtsyError, UserError) as exc:  # e.g. a manual run finding an order run going on
            error = exc
        else:
            if order_log is None:
                self.skipped_because = self.env._(
                    "An order sync of this shop is running: no stock was pushed before its "
                    "orders are in, the next run pushes it.")
                return False
            self.order_calls = order_log.api_calls
            error = order_log.failed_with
        if error is not None:
            self.log.fail(self.env._(
                "New Etsy orders could not be imported first, so no stock was pushed (it could "
                "undo a sale Odoo has not seen yet): %s", describe_error(error, self.env)))
            return False
        return True

    # --- targets --- #

    def push(self):
        bindings = self.env["etsy.product"].search([
            ("shop_id", "=", self.shop.id), ("link_state", "=", "linked"),
            ("listing_id.active", "=", True),
        ])
        targets = self.stock_targets(bindings)
        listings = bindings.listing_id
        candidates = self.candidates(bindings, targets)
        self.checked = len(listings)
        self.log.count("skipped", len(listings - candidates))
        done = 0
        for ids in split_every(BATCH_SIZE, candidates.ids):
            chunk = self.env["etsy.listing"].browse(ids)
            etsy_listings = self.read_listings(chunk)
            for listing in chunk:
                etsy_listing = etsy_listings.get(int(listing.etsy_listing_id))
                if etsy_listing is not None:
                    self.push_one(listing, etsy_listing, targets)
            self.commit()
            done += len(chunk)
            self.progress(done, len(candidates))

    def stock_targets(self, bindings):
        """``{binding id: quantity Etsy should show}`` for bindings linked to storable products.

        Free quantity of the chosen warehouses, less the demand no delivery reserves yet
        (Etsy orders not confirmed, receipts waiting in Receipts to Fix), less the buffer,
        within 0..999.
        """
        products = bindings.product_id.filtered("is_storable")
        if not products:
            return {}
        shop = self.shop
        warehouses = shop.inventory_warehouse_ids or shop.warehouse_id
        demand = self.unconfirmed_demand(products, warehouses)
        for product_id, qty in self.unimported_demand(bindings).items():
            demand[product_id] += qty
        # Quantities are computed, not stored: never trust values cached earlier in the run.
        products.invalidate_recordset(["free_qty", "qty_available", "outgoing_qty"])
        per_product = {}
        for product in products.with_context(warehouse_id=warehouses.ids):
            free = min(product.free_qty, product.qty_available - product.outgoing_qty)
            free = float_round(free - demand[product.id], precision_digits=0,
                               rounding_method="DOWN")
            per_product[product.id] = min(max(int(free) - shop.stock_buffer, 0), MAX_QUANTITY)
        return {binding.id: per_product[binding.product_id.id]
                for binding in bindings if binding.product_id.id in per_product}

    def unconfirmed_demand(self, products, warehouses):
        """Units of Etsy orders not confirmed yet (no delivery reserves them): already sold."""
        groups = self.env["sale.order.line"]._read_group(
            [("product_id", "in", products.ids), ("state", "in", ("draft", "sent")),
             ("order_id.etsy_shop_id", "!=", False),
             ("order_id.warehouse_id", "in", warehouses.ids)],
            ["product_id"], ["product_uom_qty:sum"])
        demand = defaultdict(float)
        demand.update({product.id: qty for product, qty in groups})
        return demand

    def unimported_demand(self, bindings):
        """``{Odoo product id: units}`` sold in receipts waiting in Receipts to Fix.

        Etsy counted those sales already, Odoo has no order for them yet: without this, the
        next push would put the units back on sale until the receipt is imported.
        """
        issues = self.env["etsy.receipt.issue"].search([
            ("shop_id", "=", self.shop.id), ("state", "=", "pending"),
        ])
        if not issues:
            return {}
        imported = set(self.env["sale.order"].search([
            ("etsy_shop_id", "=", self.shop.id),
            ("etsy_receipt_id", "in", issues.mapped("etsy_receipt_id")),
        ]).mapped("etsy_receipt_id"))
        by_product_id = {binding.etsy_product_id: binding for binding in bindings}
        by_variation = {(binding.listing_id.etsy_listing_id, binding.property_key): binding
                        for binding in bindings}
        demand = defaultdict(float)
        for issue in issues:
            receipt = issue.payload or {}
            if (issue.etsy_receipt_id in imported
                    or (receipt.get("status") or "").lower() in CANCELLED_ETSY_STATUSES):
                continue
            for tx in receipt.get("transactions") or []:
                # Etsy renumbers a listing's products at each inventory write: a sale made
                # before a push may carry an id the binding no longer has.
                binding = by_product_id.get(str(tx.get("product_id"))) or by_variation.get(
                    (str(tx.get("listing_id")),
                     property_key({"property_values": tx.get("product_data")})))
                if binding:
                    demand[binding.product_id.id] += tx.get("quantity") or 1
        return demand

    def candidates(self, bindings, targets):
        """Listings where a product's target differs from what Etsy shows as far as Odoo knows."""
        listings = self.env["etsy.listing"]
        for binding in bindings:
            target = targets.get(binding.id)
            if target is not None and target != binding._etsy_reference_qty():
                listings |= binding.listing_id
        return listings

    # --- reading and writing Etsy --- #

    def read_listings(self, listings):
        """``{listing id: ShopListing with inventory}`` for ≤100 listings, in one call.

        Etsy answers 404 for the whole batch when one listing was deleted: the deleted ones are
        then found with getListingsByListingIds (which leaves them out) and archived.
        """
        ids = [int(listing.etsy_listing_id) for listing in listings]
        try:
            try:
                found = self.client.get_listings_with_inventory(ids)
            except EtsyNotFoundError:
                existing = self.client.get_listings(ids)
                self.listings_gone(listings.filtered(
                    lambda listing: int(listing.etsy_listing_id) not in existing))
                kept = [listing_id for listing_id in ids if listing_id in existing]
                found = self.client.get_listings_with_inventory(kept) if kept else {}
        except RUN_ERRORS:
            raise
        except EtsyError as exc:
            for listing in listings:
                self.log.failure(self.env._("listing %s", listing.etsy_listing_id), exc,
                                 etsy_id=listing.etsy_listing_id)
            return {}
        self.log.count("fetched", len(found))
        return found

    def listings_gone(self, listings):
        for listing in listings:
            listing._etsy_mark_gone()
            self.log.failure(self.env._("listing %s", listing.etsy_listing_id),
                             self.env._("Deleted on Etsy (404): its binding was archived and "
                                        "flagged."),
                             etsy_id=listing.etsy_listing_id)

    def push_one(self, listing, etsy_listing, targets):
        """Push one listing; whatever fails is logged and the run goes on."""
        written = gone = False
        ref = self.env._("listing %s", listing.etsy_listing_id)
        with self.isolated(ref, listing.etsy_listing_id) as outcome:
            try:
                with self.env.cr.savepoint():
                    written = self.push_listing(listing, etsy_listing, targets)
            except EtsyNotFoundError:
                gone = True
                self.listings_gone(listing)
        if not (gone or outcome.failed):
            self.log.count("updated" if written else "skipped")

    def push_listing(self, listing, etsy_listing, targets):
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
        requested = self.requested(listing, inventory, bindings, targets, known)
        if not requested:
            return False
        body, report = build_inventory_update_body(
            inventory, {product_id: qty for product_id, (__, qty) in requested.items()})
        self.note_merged(listing, report, bindings)
        if report.sold_out:
            written = self.deactivate_sold_out(listing, state)
        else:
            written = False
            if quantities_differ(inventory, body):
                result = self.client.update_listing_inventory(listing.etsy_listing_id, body)
                listing._etsy_sync_products(result, now)
                written = True
            written = self.back_in_stock(listing, state) or written
        for binding, qty in requested.values():
            binding.write({"last_pushed_qty": qty, "last_pushed_at": now})
        listing.last_pushed_at = now
        return written

    def requested(self, listing, inventory, bindings, targets, known):
        """``{Etsy product id: (binding, quantity to push)}``.

        Never raise a quantity Etsy lowered without Odoo knowing why: a buyer may have bought
        after the orders were imported. Etsy's drop since Odoo last saw it (``known``) is kept,
        only Odoo's own increase is added; the next run catches up once the order is in Odoo.
        """
        by_id = {p["product_id"]: p for p in live_products(inventory)}
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
                self.note(listing, self.env._(
                    "%(product)s: Etsy shows %(current)s, fewer than the %(last)s Odoo last saw "
                    "(a sale not imported yet?). Pushed %(qty)s instead of %(target)s; the next "
                    "run catches up.", product=binding.display_name, current=current, last=last,
                    qty=qty, target=target))
            requested[product_id] = (binding, qty)
        return requested

    def note_merged(self, listing, report, bindings):
        for merge in report.merged:
            names = sorted({bindings[product_id].product_id.display_name
                            for product_id in merge["requested"] if product_id in bindings})
            self.note(listing, self.env._(
                "Etsy makes %(products)s share one quantity (the listing's quantities do not "
                "vary by these variations): pushed the lowest, %(qty)s.",
                products=", ".join(names), qty=merge["quantity"]))

    def deactivate_sold_out(self, listing, state):
        """Every product would show 0. Etsy refuses such an inventory, so an active listing is
        deactivated instead (its quantities stay as they are, hidden from buyers)."""
        if state != "active":
            return False  # sold out, inactive, draft or expired: buyers cannot order it anyway
        self.client.update_listing(self.shop.etsy_shop_id, listing.etsy_listing_id,
                                   state="inactive")
        listing.write({"state": "inactive", "deactivated_by_odoo": True})
        self.note(listing, self.env._(
            "No stock left for any product: deactivated on Etsy (Etsy refuses quantities that "
            "are all 0). Odoo reactivates it when stock comes back."))
        return True

    def back_in_stock(self, listing, state):
        """Stock is back: put the listing on sale again if Etsy's rules allow it for free, or
        if the shop allows renewals. True when the listing was reactivated or renewed."""
        if state in ("active", "draft"):
            if listing.deactivated_by_odoo:
                listing.deactivated_by_odoo = False  # the seller reactivated it already
            return False
        if state in ("inactive", "expired") and not listing.deactivated_by_odoo:
            return False  # the seller's own choice
        # Etsy renews (and charges for) sold-out and expired listings put back on sale; a
        # deactivated one that has not expired is reactivated for free.
        renewal = state in ("sold_out", "expired")
        if renewal and not self.shop.allow_listing_renewal:
            reason = self.env._(
                "Back in stock, but Etsy keeps this %s listing off sale until it is renewed, "
                "which costs a listing fee: renew it on Etsy, or allow renewals in the shop "
                "settings.", state)
            listing._etsy_flag(reason)
            self.note(listing, reason, level="warning")
            return False
        self.client.update_listing(self.shop.etsy_shop_id, listing.etsy_listing_id,
                                   state="active")
        listing.write({"state": "active", "deactivated_by_odoo": False})
        self.note(listing, self.env._("Back in stock: renewed on Etsy (Etsy charges a listing "
                                      "fee).") if renewal
                  else self.env._("Back in stock: reactivated on Etsy."))
        return True
