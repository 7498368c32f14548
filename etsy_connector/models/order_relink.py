"""Order lines imported on the placeholder get their product once the Etsy item is linked.

An order imported before its Etsy product was linked to an Odoo product (a first sync whose
listing import is still running, an item a person links later under *To Link*) has lines on the
shop's placeholder product. `OrderRelinker` gives those lines the linked product, when it is
still safe: the order is not cancelled nor locked, and nothing of the line was delivered or
invoiced. On a confirmed order the placeholder's open stock moves are cancelled and the stock
rule is run again for the real product, so the delivery holds its move and reserves its stock.
Each changed order says so in its chatter and loses the 'no Odoo product' reason it was flagged
with; a line that cannot change keeps the placeholder and its order is flagged with the reason.

It is called when a binding gets its Odoo product (`etsy.product` create/write, e.g. a link
made by hand), after each batch of the listing import (which links many at once: its bindings
defer to it with the `etsy_relink_later` context), and at the end of every order run, which
catches links made while the run was importing. Idempotent: a line
relinked is no longer unmatched, a line that could not be is remembered as blocked.
"""

import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import Command

from ..const import CLOSED_PICKING_STATES

_logger = logging.getLogger(__name__)

OPEN_ORDER_STATES = ("draft", "sent", "sale")


class OrderRelinker:
    """Relinks the open unmatched order lines of one shop to the products now linked."""

    def __init__(self, env, shop):
        # The person linking by hand may not have stock rights: the change is the connector's,
        # made for them (the chatter note is still signed by them).
        self.env = env(su=True)
        self.shop = shop.with_env(self.env).with_company(shop.company_id)

    def pending_lines(self):
        """The shop's open order lines still on the placeholder and not known to be stuck."""
        return self.env["sale.order.line"].search([
            ("etsy_shop_id", "=", self.shop.id),
            ("etsy_unmatched", "=", True),
            ("etsy_relink_blocked", "=", False),
            ("order_id.state", "in", OPEN_ORDER_STATES),
        ])

    def relink(self):
        """Relink what can be; returns ``{"relinked": orders, "blocked": orders}``."""
        result = {"relinked": self.env["sale.order"], "blocked": self.env["sale.order"]}
        lines = self.pending_lines()
        if not lines:
            return result
        targets = self._products_for(lines)
        by_order = defaultdict(list)
        for line in lines:
            if targets.get(line.id):
                by_order[line.order_id].append((line, targets[line.id]))
        for order, pairs in by_order.items():
            outcome = self._relink_order(order, pairs)
            if outcome:
                result[outcome] |= order
        return result

    # === WHICH PRODUCT === #

    def _products_for(self, lines):
        """``{line id: product.product}`` as the order import would match them today: the
        binding by Etsy product id, else by listing + variation (for a line imported without
        its variation: the listing's only product), else the product whose internal reference
        is the SKU."""
        Binding = self.env["etsy.product"]
        bindings = Binding.search([
            ("shop_id", "=", self.shop.id), ("product_id", "!=", False),
            "|", ("etsy_product_id", "in", [pid for pid in lines.mapped("etsy_product_id") if pid]),
            ("listing_id.etsy_listing_id", "in",
             [lid for lid in lines.mapped("etsy_listing_id") if lid]),
        ])
        by_product = {b.etsy_product_id: b.product_id for b in bindings}
        by_variation = {(b.listing_id.etsy_listing_id, b.property_key): b.product_id
                        for b in bindings}
        # Lines imported before the variation was recorded: a listing of one product only.
        by_listing = {listing.etsy_listing_id: listing.etsy_product_ids.product_id
                      for listing in bindings.listing_id if len(listing.etsy_product_ids) == 1}
        skus = [sku for sku in lines.mapped("etsy_sku") if sku]
        by_sku = {}
        if skus:
            for product in self.env["product.product"].search([
                    ("default_code", "in", skus),
                    ("company_id", "in", [False, self.shop.company_id.id])]):
                by_sku.setdefault(product.default_code, product)
        placeholder = self.shop.placeholder_product_id
        targets = {}
        for line in lines:
            product = (by_product.get(line.etsy_product_id)
                       or by_variation.get((line.etsy_listing_id, line.etsy_variation_key))
                       or (not line.etsy_variation_key and by_listing.get(line.etsy_listing_id))
                       or by_sku.get(line.etsy_sku))
            if product and product != placeholder:
                targets[line.id] = product
        return targets

    # === ONE ORDER === #

    def _relink_order(self, order, pairs):
        """Relink `order`'s lines (``[(line, product)]``); returns 'relinked', 'blocked' or
        None. A line whose change fails is rolled back and reported, never raised: linking an
        Etsy product must not fail because of one order."""
        changed, blocked = [], []
        for line, product in pairs:
            reason = self._blocking_reason(line, product)
            if reason:
                blocked.append((line, reason))
                continue
            before = line.name
            try:
                with self.env.cr.savepoint():
                    self._swap(line, product)
            except Exception as exc:  # noqa: BLE001 - the order is flagged with the reason
                _logger.warning("Etsy order %s: line %s kept the placeholder: %s",
                                order.name, line.id, exc)
                blocked.append((line, self.env._(
                    "Etsy item %(item)s is now linked to %(product)s, but Odoo could not put it "
                    "on this order (%(error)s): change the order line by hand.",
                    item=_title(before), product=product.display_name, error=exc)))
                continue
            changed.append((line, product))
        if changed:
            self._say_relinked(order, changed)
        for line, reason in blocked:
            if line.etsy_unmatched_note:
                order._etsy_unflag([line.etsy_unmatched_note])
            line.write({"etsy_relink_blocked": True, "etsy_unmatched_note": reason})
            order._etsy_flag(reason)
        return "blocked" if blocked else ("relinked" if changed else None)

    def _blocking_reason(self, line, product):
        """Why `line` must keep the placeholder, or None when changing it is safe."""
        item, name = _title(line.name), product.display_name
        if line.order_id.locked:
            return self.env._(
                "Etsy item %(item)s is now linked to %(product)s, but this order is locked: "
                "unlock it and change the order line by hand.", item=item, product=name)
        if line.qty_delivered or any(move.state == "done" for move in line.move_ids):
            return self.env._(
                "Etsy item %(item)s is now linked to %(product)s, but this order line was "
                "already delivered with the placeholder: it stays as it is; correct the stock "
                "by hand if needed.", item=item, product=name)
        if line.qty_invoiced or line.invoice_lines.filtered(
                lambda aml: aml.move_id.state != "cancel"):
            return self.env._(
                "Etsy item %(item)s is now linked to %(product)s, but this order line was "
                "already invoiced with the placeholder: it stays as it is, like its invoice.",
                item=item, product=name)
        return None

    def _swap(self, line, product):
        """Put `product` on `line`, keeping Etsy's text, price and taxes; on a confirmed
        order, replace the placeholder's open moves by the product's.

        The new moves are made first, so they join the open delivery (an empty one would be
        cancelled and a new one made); then the placeholder's moves are cancelled and removed.
        """
        old_moves = line.move_ids.filtered(lambda m: m.state not in CLOSED_PICKING_STATES)
        line.write({
            "product_id": product.id,
            "product_uom": product.uom_id.id,
            "name": line.name,
            "price_unit": line.price_unit,
            "technical_price_unit": line.price_unit,
            "discount": line.discount,
            "tax_id": [Command.set(line.tax_id.ids)],
            "etsy_unmatched": False,
        })
        if line.state == "sale":
            line._action_launch_stock_rule()
        if old_moves:
            pickings = old_moves.picking_id
            old_moves._action_cancel()
            old_moves.unlink()
            # A delivery that only held the placeholder (the product ships no goods) is gone.
            pickings.filtered(lambda p: not p.move_ids and p.state == "draft").unlink()

    def _say_relinked(self, order, changed):
        items = Markup().join(
            Markup("<li>%s</li>") % self.env._("%(item)s: %(product)s",
                                              item=_title(line.name), product=product.display_name)
            for line, product in changed)
        body = Markup("%s<ul>%s</ul>") % (self.env._(
            "Etsy items linked to Odoo products since this order was imported: its lines now "
            "use them instead of the placeholder."), items)
        order.message_post(body=body)
        order._etsy_unflag([line.etsy_unmatched_note for line, __ in changed
                            if line.etsy_unmatched_note])
        for line, __ in changed:
            line.etsy_unmatched_note = False


def relink_and_note(flow):
    """Relink the pending lines of `flow`'s shop, and say on the run's log which orders changed
    and which could not."""
    env, log = flow.env, flow.log
    result = OrderRelinker(env, flow.shop).relink()
    for order in result["relinked"]:
        log.note(env._("receipt %s", order.etsy_receipt_id), env._(
            "Order %s: its Etsy items were linked since it was imported; its lines now use "
            "the linked Odoo products.", order.name), etsy_id=order.etsy_receipt_id)
    for order in result["blocked"]:
        log.note(env._("receipt %s", order.etsy_receipt_id), env._(
            "Order %s: an Etsy item was linked since it was imported, but its line could "
            "not be changed safely: see the order's attention reason.", order.name),
            level="warning", etsy_id=order.etsy_receipt_id)


def _title(description):
    """The Etsy title: the first line of the order line's text."""
    return (description or "").splitlines()[0] if description else ""
