"""Bindings: Etsy listings and their products (variations), linked to Odoo products.

Etsy gives every product of a listing new ids on each inventory write, and may return other
value ids than were sent (API-NOTES §7 rule 7), so a product is recognised by its id first, then
by SKU and property names + values (``property_key``).
"""

import json

from odoo import api, fields, models

from ..etsy.money import epoch_to_datetime
from .order_relink import OrderRelinker

LINK_STATES = [
    ("linked", "Linked"),
    ("not_stocked", "Not stock-tracked"),
    ("to_link", "To link"),
]
LISTING_LINK_STATES = [
    ("linked", "Linked"),
    ("partial", "Partly linked"),
    ("to_link", "To link"),
    ("empty", "No products"),
]


def property_pairs(etsy_product):
    """``[(property name, [values])]`` of an Etsy product (or of a transaction's
    ``product_data``, given as ``{"property_values": ...}``), in Etsy's order."""
    return [(str(value.get("property_name") or value.get("property_id")),
             list(value.get("values") or []))
            for value in etsy_product.get("property_values") or []]


def property_key(etsy_product):
    """What identifies an Etsy product within its listing: its property names and values."""
    return json.dumps(sorted([name, values] for name, values in property_pairs(etsy_product)),
                      ensure_ascii=False)


def property_label(etsy_product):
    """The variation for people, e.g. 'Scent: Fir Needle, Size: 8 oz'."""
    return ", ".join(f"{name}: {' / '.join(values)}"
                     for name, values in property_pairs(etsy_product))


def live_products(inventory):
    """The products of a ListingInventory (read shape) that are not deleted."""
    return [p for p in (inventory or {}).get("products") or [] if not p.get("is_deleted")]


def live_offering(etsy_product):
    """The product's (single) offering that is not deleted, or None."""
    return next((offering for offering in etsy_product.get("offerings") or []
                 if not offering.get("is_deleted")), None)


def offering_quantity(etsy_product):
    """The quantity of the product's live offering, 0 when it has none."""
    offering = live_offering(etsy_product)
    return int(offering.get("quantity") or 0) if offering else 0


def offering_enabled(etsy_product):
    """Whether buyers can choose the product (its live offering is enabled)."""
    offering = live_offering(etsy_product)
    return bool(offering and offering.get("is_enabled", True))


def is_digital_listing(etsy_listing):
    """A download: nothing ships, so Odoo tracks and publishes no stock for it. ("both", a
    physical item with a file, ships and is stocked.)"""
    return etsy_listing.get("listing_type") == "download" or bool(etsy_listing.get("is_digital"))


class EtsyListing(models.Model):
    """An Etsy listing of a shop, bound to at most one Odoo product template."""

    _name = "etsy.listing"
    _description = "Etsy listing"
    _order = "shop_id, title"
    _check_company_auto = True

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    etsy_listing_id = fields.Char(string="Etsy listing ID", required=True, index=True)
    title = fields.Char()
    state = fields.Char(string="Etsy state", help="active, inactive, sold_out, draft or expired.")
    url = fields.Char(string="Etsy URL")
    is_digital = fields.Boolean(
        string="Digital", readonly=True,
        help="A download: Odoo tracks no stock of its products and never publishes their "
             "quantity.")
    product_tmpl_id = fields.Many2one("product.template", string="Odoo product",
                                      check_company=True, index="btree_not_null")
    etsy_product_ids = fields.One2many("etsy.product", "listing_id", string="Etsy products")
    active = fields.Boolean(default=True)

    image_url = fields.Char(string="Image URL", help="The listing's first image on Etsy.")
    ending_at = fields.Datetime(
        string="Etsy expiry", help="When the listing expires on Etsy unless it is renewed.")
    last_seen_at = fields.Datetime(
        string="Last read", readonly=True, help="When Odoo last read this listing from Etsy.")
    last_pushed_at = fields.Datetime(
        string="Last stock sync", readonly=True,
        help="When Odoo last wrote or checked this listing's quantities on Etsy.")
    deactivated_by_odoo = fields.Boolean(
        string="Deactivated by Odoo", readonly=True,
        help="Odoo deactivated this listing on Etsy because no variant had stock left (Etsy "
             "refuses a listing whose quantities are all 0). Odoo reactivates it when stock "
             "comes back.")
    needs_attention = fields.Boolean(readonly=True, index=True)
    attention_reason = fields.Text(readonly=True)
    link_state = fields.Selection(
        LISTING_LINK_STATES, compute="_compute_link_state", store=True, index=True,
        help="Linked: every Etsy product of the listing has an Odoo variant.")
    product_count = fields.Integer(compute="_compute_link_state", store=True,
                                   string="Etsy products count")
    linked_count = fields.Integer(compute="_compute_link_state", store=True,
                                  string="Linked products")

    _sql_constraints = [
        ("etsy_listing_unique", "unique(shop_id, etsy_listing_id)",
         "This Etsy listing is already known for this shop."),
    ]

    @api.depends("title", "etsy_listing_id")
    def _compute_display_name(self):
        for listing in self:
            listing.display_name = listing.title or f"Etsy listing {listing.etsy_listing_id}"

    @api.depends("etsy_product_ids.product_id", "etsy_product_ids.active")
    def _compute_link_state(self):
        for listing in self:
            products = listing.etsy_product_ids.filtered("active")
            linked = products.filtered("product_id")
            listing.product_count = len(products)
            listing.linked_count = len(linked)
            if not products:
                listing.link_state = "empty"
            elif len(linked) == len(products):
                listing.link_state = "linked"
            else:
                listing.link_state = "partial" if linked else "to_link"

    @api.model
    def _etsy_action_for_products(self, products):
        """The listings action, showing the listings that sell one of ``products``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "etsy_connector.action_etsy_listing")
        action["domain"] = [("etsy_product_ids.product_id", "in", products.ids)]
        action["context"] = {}
        return action

    def action_mark_resolved(self):
        """Clear the attention flag once a person has dealt with it."""
        self.write({"needs_attention": False, "attention_reason": False})
        return True

    def _etsy_flag(self, reason):
        """Ask for a person's attention, keeping earlier reasons (each once)."""
        for listing in self:
            reasons = (listing.attention_reason or "").splitlines()
            if reason not in reasons:
                reasons.append(reason)
            listing.write({"needs_attention": True, "attention_reason": "\n".join(reasons)})

    def _etsy_mark_gone(self):
        """The listing no longer exists on Etsy: archive it with its products, flagged."""
        self.etsy_product_ids.write({"active": False})
        self._etsy_flag(
            self.env._("The listing no longer exists on Etsy: its binding was archived."))
        self.write({"active": False})

    def _etsy_listing_values(self, etsy_listing):
        """Binding values from a ShopListing (the ``inventory`` key is read separately)."""
        images = sorted(etsy_listing.get("images") or [], key=lambda image: image.get("rank") or 0)
        values = {
            "title": etsy_listing.get("title") or False,
            "state": etsy_listing.get("state") or False,
            "url": etsy_listing.get("url") or False,
            "is_digital": is_digital_listing(etsy_listing),
            "ending_at": _epoch(etsy_listing.get("ending_timestamp")),
        }
        if images:
            values["image_url"] = images[0].get("url_fullxfull") or images[0].get("url_570xN")
        return values

    def _etsy_sync_products(self, inventory, seen_at, find_product=None):
        """Bring this listing's product bindings in step with ``inventory`` (read shape).

        Returns ``{etsy product_id: etsy.product}`` for every live Etsy product. Bindings are
        matched active ones first, then archived ones (a product that came back keeps its
        link); bindings whose product is gone are archived, new products get a new binding.
        ``find_product(sku)`` (an Odoo variant id or None) links the unlinked ones as they are
        written, instead of one more write each.
        """
        self.ensure_one()
        live = live_products(inventory)
        if not live:
            return {}  # no inventory in the answer: nothing to learn, keep the bindings
        every = self.with_context(active_test=False).etsy_product_ids
        active = every.filtered("active")
        matches = _match_products(live, active)
        rest = [p for p in live if id(p) not in matches]
        matches.update(_match_products(rest, every - active))
        result, to_create = {}, []
        for etsy_product in live:
            values = _product_values(etsy_product)
            binding = matches.get(id(etsy_product))
            if find_product and values["sku"] and not (binding and binding.product_id):
                values["product_id"] = find_product(values["sku"]) or False
                if not values["product_id"]:
                    del values["product_id"]
            if binding:
                changed = {key: value for key, value in values.items() if binding[key] != value}
                if not binding.active:
                    changed["active"] = True
                if changed:
                    binding.write(changed)
                result[etsy_product["product_id"]] = binding
            else:
                to_create.append((etsy_product, {**values, "listing_id": self.id}))
        created = self.env["etsy.product"].create([values for __, values in to_create])
        for (etsy_product, __), binding in zip(to_create, created, strict=True):
            result[etsy_product["product_id"]] = binding
        seen = self.env["etsy.product"].union(*result.values())
        seen.write({"etsy_qty_seen_at": seen_at})
        (active - seen).write({"active": False})
        return result


def _epoch(timestamp):
    return epoch_to_datetime(timestamp) if timestamp else False


def _product_values(etsy_product):
    return {
        "etsy_product_id": str(etsy_product["product_id"]),
        "sku": (etsy_product.get("sku") or "").strip() or False,
        "property_values": property_label(etsy_product) or False,
        "property_key": property_key(etsy_product),
        "etsy_qty": offering_quantity(etsy_product),
        "is_enabled": offering_enabled(etsy_product),
    }


def _match_products(live, bindings):
    """``{id(etsy product): binding}``: by product id, else SKU + properties, else properties
    alone, else SKU alone (the last two only when unambiguous). Each binding is used once."""
    free = list(bindings)
    matches = {}

    def keys(etsy_product):
        sku = (etsy_product.get("sku") or "").strip() or False
        return str(etsy_product["product_id"]), sku, property_key(etsy_product)

    rules = (
        lambda binding, product_id, sku, key: binding.etsy_product_id == product_id,
        lambda binding, product_id, sku, key: binding.sku == sku and binding.property_key == key,
        lambda binding, product_id, sku, key: binding.property_key == key,
        lambda binding, product_id, sku, key: bool(sku) and binding.sku == sku,
    )
    for rule in rules:
        for etsy_product in live:
            if id(etsy_product) in matches:
                continue
            product_keys = keys(etsy_product)
            candidates = [binding for binding in free if rule(binding, *product_keys)]
            # Ids are unique; a looser rule that fits several bindings decides nothing.
            if len(candidates) == 1:
                matches[id(etsy_product)] = candidates[0]
                free.remove(candidates[0])
    return matches


class EtsyProduct(models.Model):
    """One product (variation combination) of an Etsy listing, bound to an Odoo variant."""

    _name = "etsy.product"
    _description = "Etsy product (listing variation)"
    _order = "listing_id, sku"
    _check_company_auto = True

    listing_id = fields.Many2one("etsy.listing", required=True, ondelete="cascade", index=True)
    shop_id = fields.Many2one(related="listing_id.shop_id", store=True, index=True)
    company_id = fields.Many2one(related="listing_id.company_id", store=True)
    etsy_product_id = fields.Char(string="Etsy product ID", required=True, index=True)
    sku = fields.Char(string="SKU")
    property_values = fields.Char(help="The variation, e.g. 'Size: 8 oz, Scent: Teatime'.")
    product_id = fields.Many2one("product.product", string="Odoo variant", check_company=True,
                                 index="btree_not_null")
    last_pushed_qty = fields.Integer(
        string="Last pushed quantity", readonly=True,
        help="The quantity Odoo last asked Etsy to show for this product.")
    active = fields.Boolean(default=True)

    property_key = fields.Char(readonly=True, help="Property names and values, to recognise "
                                                   "the product after Etsy renumbers it.")
    etsy_qty = fields.Integer(string="Etsy quantity", readonly=True,
                              help="The quantity Etsy showed when Odoo last read or wrote it.")
    etsy_qty_seen_at = fields.Datetime(string="Etsy quantity read at", readonly=True)
    last_pushed_at = fields.Datetime(
        string="Last stock sync", readonly=True,
        help="When Odoo last wrote or confirmed this product's quantity on Etsy.")
    is_enabled = fields.Boolean(string="Enabled on Etsy", default=True, readonly=True)
    listing_state = fields.Char(related="listing_id.state", string="Listing state")
    link_state = fields.Selection(
        LINK_STATES, compute="_compute_link_state", store=True, index=True,
        help="Linked: Odoo publishes the variant's stock. Not stock-tracked: linked to a product "
             "whose stock Odoo does not track, or sold as a download, so its Etsy quantity is "
             "left alone. To link: pick the Odoo variant.")

    _sql_constraints = [
        ("etsy_product_unique", "unique(listing_id, etsy_product_id)",
         "This Etsy product is already bound for this listing."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        bindings = super().create(vals_list)
        bindings.filtered("product_id")._etsy_relink_order_lines()
        return bindings

    def write(self, vals):
        # Only a new link can fix an order (the listing import rewrites every binding).
        linking = (self.filtered(lambda b: b.product_id.id != vals["product_id"])
                   if vals.get("product_id") else self.browse())
        result = super().write(vals)
        linking._etsy_relink_order_lines()
        return result

    def _etsy_relink_order_lines(self):
        """Orders imported while these Etsy products were not linked get their products (a flow
        linking many at once relinks once per batch instead: `etsy_relink_later`)."""
        if self.env.context.get("etsy_relink_later"):
            return
        for shop in self.shop_id:
            OrderRelinker(self.env, shop).relink()

    @api.depends("listing_id.display_name", "property_values", "sku")
    def _compute_display_name(self):
        for product in self:
            detail = product.property_values or product.sku or product.etsy_product_id
            product.display_name = f"{product.listing_id.display_name} ({detail})"

    @api.depends("product_id", "product_id.is_storable", "listing_id.is_digital")
    def _compute_link_state(self):
        for product in self:
            if not product.product_id:
                product.link_state = "to_link"
            elif product.product_id.is_storable and not product.listing_id.is_digital:
                product.link_state = "linked"
            else:
                product.link_state = "not_stocked"

    def _etsy_reference_qty(self):
        """What Etsy shows for this product as far as Odoo knows: the last pushed quantity,
        unless a later read (an import) saw Etsy's own quantity. None when never known."""
        self.ensure_one()
        if self.last_pushed_at and (not self.etsy_qty_seen_at
                                    or self.last_pushed_at >= self.etsy_qty_seen_at):
            return self.last_pushed_qty
        return self.etsy_qty if self.etsy_qty_seen_at else None
