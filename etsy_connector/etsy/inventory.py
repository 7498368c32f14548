"""Turn a getListingInventory answer (read shape) into a valid updateListingInventory body.

The PUT is a full replace with a different shape from the GET: every live product must be sent
back with its property values and offerings, read-only keys stripped, Money prices turned into
floats in major units, the four ``*_on_property`` arrays echoed unchanged, and quantities kept
consistent with ``quantity_on_property``. Anything less deletes variations or answers 400.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .money import decimal_to_float_price

MAX_QUANTITY = 999  # Etsy's maximum quantity per offering
ON_PROPERTY_KEYS = ("price_on_property", "quantity_on_property", "sku_on_property",
                    "readiness_state_on_property")
# The write schema's ListingPropertyValue keys; scale_name and value_pairs are read-only.
_PROPERTY_VALUE_KEYS = ("property_id", "property_name", "scale_id", "value_ids", "values")


@dataclass
class InventoryUpdateReport:
    """What :func:`build_inventory_update_body` changed beyond the requested quantities.

    ``merged``: quantity groups (products Etsy forces to share one quantity) that received
    different requests, resolved to the minimum: ``{"product_ids", "requested", "quantity"}``.
    ``clamped``: requests outside 0..999: ``{"product_id", "sku", "requested", "quantity"}``.
    ``unmatched``: requested product ids / SKUs that match no live product.
    ``sold_out``: no enabled offering keeps a quantity above 0. Etsy refuses such a PUT ("One
    offering must have quantity greater than 0"): deactivate the listing instead of writing.
    """

    merged: list = field(default_factory=list)
    clamped: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)
    sold_out: bool = False

    @property
    def adjusted(self):
        """True when some requested quantity could not be applied as asked."""
        return bool(self.merged or self.clamped or self.unmatched)


def _live_products(inventory):
    if not isinstance(inventory, dict) or not isinstance(inventory.get("products"), list):
        raise TypeError("expected a ListingInventory dict with a products list")
    return [product for product in inventory["products"] if not product.get("is_deleted")]


def _quantity(value):
    """A requested quantity as int; integral floats/Decimals (Odoo quantities) are accepted."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"a quantity must be a whole number, got {value!r:.40}")
    if isinstance(value, int):
        return value
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"a quantity must be a whole number, got {value}")
    return int(value)


def _requested(products, quantities, quantities_by_sku, report):
    """``{product index: quantity}`` from the product-id and SKU mappings."""
    index_by_id = {product.get("product_id"): index for index, product in enumerate(products)}
    indexes_by_sku = defaultdict(list)
    for index, product in enumerate(products):
        if product.get("sku"):
            indexes_by_sku[product["sku"]].append(index)
    requested = {}

    def request(indexes, key, qty):
        qty = _quantity(qty)
        if not indexes:
            report.unmatched.append(key)
        for index in indexes:
            if requested.setdefault(index, qty) != qty:
                raise ValueError(f"product {products[index].get('product_id')} was given two "
                                 f"different quantities (by id and by SKU)")

    for product_id, qty in (quantities or {}).items():
        request([index_by_id[product_id]] if product_id in index_by_id else [], product_id, qty)
    for sku, qty in (quantities_by_sku or {}).items():
        request(indexes_by_sku.get(sku, []), sku, qty)
    return requested


def _clamp(products, requested, max_quantity, report):
    clamped = {}
    for index, qty in requested.items():
        clamped[index] = min(max(qty, 0), max_quantity)
        if clamped[index] != qty:
            product = products[index]
            report.clamped.append({"product_id": product.get("product_id"),
                                   "sku": product.get("sku"), "requested": qty,
                                   "quantity": clamped[index]})
    return clamped


def _property_key(product, property_ids):
    """What identifies ``product`` among the listed properties (all of them when None)."""
    return tuple(sorted(
        (value.get("property_id"), tuple(value.get("value_ids") or ()),
         tuple(value.get("values") or ()))
        for value in product.get("property_values") or []
        if property_ids is None or value.get("property_id") in property_ids
    ))


def _group_quantities(products, quantity_on_property, requested, report):
    """Spread each request over its quantity group; several requests in one group -> minimum.

    Products that agree on every property in ``quantity_on_property`` must share one quantity
    (all products when the array is empty), else Etsy answers 400.
    """
    groups = defaultdict(list)
    for index, product in enumerate(products):
        groups[_property_key(product, set(quantity_on_property))].append(index)
    targets = {}
    for members in groups.values():
        asked = {index: requested[index] for index in members if index in requested}
        if not asked:
            continue
        quantity = min(asked.values())
        if len(set(asked.values())) > 1:
            report.merged.append({
                "product_ids": [products[index].get("product_id") for index in members],
                "requested": {products[index].get("product_id"): qty
                              for index, qty in asked.items()},
                "quantity": quantity,
            })
        targets.update(dict.fromkeys(members, quantity))
    return targets


def _property_value_body(value):
    body = {key: value[key] for key in _PROPERTY_VALUE_KEYS if key in value}
    if body.get("property_name") is None:
        body.pop("property_name", None)  # the write schema has it as a non-null string
    return body


def _offering_body(offering, quantity):
    return {
        "price": decimal_to_float_price(offering["price"]),
        "quantity": offering.get("quantity", 0) if quantity is None else quantity,
        "is_enabled": offering.get("is_enabled", True),
        "readiness_state_id": offering.get("readiness_state_id"),
    }


def _product_body(product, quantity):
    body = {"sku": product["sku"]} if "sku" in product else {}
    body["property_values"] = [_property_value_body(value)
                               for value in product.get("property_values") or []]
    body["offerings"] = [_offering_body(offering, quantity)
                         for offering in product.get("offerings") or []
                         if not offering.get("is_deleted")]
    return body


def build_inventory_update_body(inventory, quantities=None, quantities_by_sku=None, *,
                                max_quantity=MAX_QUANTITY):
    """Return ``(body, report)``: a full updateListingInventory body from ``inventory``.

    ``inventory`` is a getListingInventory answer; ``quantities`` maps product_id -> new
    quantity, ``quantities_by_sku`` maps SKU -> new quantity (every product with that SKU).
    Products not mentioned keep their quantity unless their quantity group forces otherwise.
    Deleted products/offerings are dropped; everything else is kept as read.
    """
    products = _live_products(inventory)
    report = InventoryUpdateReport()
    requested = _requested(products, quantities, quantities_by_sku, report)
    requested = _clamp(products, requested, max_quantity, report)
    targets = _group_quantities(products, inventory.get("quantity_on_property") or [],
                                requested, report)
    body = {"products": [_product_body(product, targets.get(index))
                         for index, product in enumerate(products)]}
    for key in ON_PROPERTY_KEYS:
        if key in inventory:
            value = inventory[key]
            body[key] = list(value) if value is not None else None
    report.sold_out = not any(offering["is_enabled"] and offering["quantity"] > 0
                              for product in body["products"] for offering in product["offerings"])
    return body, report


def _quantity_map(products):
    quantities = defaultdict(list)
    for product in products:
        if product.get("is_deleted"):
            continue
        key = (product.get("sku") or "", _property_key(product, None))
        quantities[key].extend(sorted(
            offering.get("quantity") for offering in product.get("offerings") or []
            if not offering.get("is_deleted")))
    return dict(quantities)


def quantities_differ(inventory, body):
    """True when writing ``body`` would change a quantity (or the product set) of ``inventory``.

    Callers skip the PUT when this is False: a no-op write still costs a call and re-saves the
    listing on Etsy.
    """
    return _quantity_map(inventory.get("products") or []) != _quantity_map(
        body.get("products") or [])
