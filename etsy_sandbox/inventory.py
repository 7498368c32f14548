"""Strict validation of an updateListingInventory body (API-NOTES §7), before anything changes.

Checks run in Etsy's order as far as it can be inferred from real error reports: unknown keys
first, level by level (echoing a GET body answers `Array contains invalid keys:
product_id,is_deleted`, not a price error), then required fields and types, then the rules
that span products (`*_on_property` consistency, at least one offering in stock).

Messages quoted from real Etsy answers: "Array contains invalid keys: ...", "Missing input
parameter: [products]", "Property values can't be empty", "Expected float value for 'price'
(got NULL)." (open-api #385; the PHP type name is used for other types, so a Money object is
"(got array)"), "quantity must be consistent across all products", "A readiness_state_id is
required for physical listings.", "One offering must have quantity greater than 0". The rest
(duplicate products, differing property sets, more than one offering, parentheses, price and
quantity ranges) use the sandbox's own wording.

Spec versus observed behaviour: the spec marks only `offerings` as required on a product, yet
Etsy answers "Property values can't be empty" when `property_values` is left out (open-api
#134); the sandbox follows the observed behaviour, which is stricter than the schema.
"""

from .constants import (
    ERR_PROPERTY_VALUES,
    ERR_READINESS,
    ERR_ZERO_QUANTITY,
    MAX_OFFERING_QUANTITY,
    MAX_PRICE,
    MIN_PRICE,
)
from .errors import bad_request
from .shapes import group_key

TOP_KEYS = (
    "products",
    "price_on_property",
    "quantity_on_property",
    "sku_on_property",
    "readiness_state_on_property",
)
PRODUCT_KEYS = ("sku", "property_values", "offerings")
OFFERING_KEYS = ("price", "quantity", "is_enabled", "readiness_state_id")
PROPERTY_KEYS = ("property_id", "value_ids", "scale_id", "property_name", "values")
ARRAY_NAMES = TOP_KEYS[1:]
CONSISTENT = (
    ("price", "price_on_property"),
    ("quantity", "quantity_on_property"),
    ("sku", "sku_on_property"),
    ("readiness_state_id", "readiness_state_on_property"),
)


def php_type(value):
    """The type name Etsy's PHP back end prints in "Expected ... (got <type>)."."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "array"


def expected(kind, name, value):
    """A 400 in the form "Expected <kind> value for '<name>' (got <type>)."."""
    return bad_request(f"Expected {kind} value for '{name}' (got {php_type(value)}).")


def validate_inventory(body, *, digital, readiness_ids, max_properties=2):
    """Return (products, arrays) ready for `World.replace_inventory`, or raise a 400."""
    if not isinstance(body, dict):
        raise bad_request("Missing input parameter: [products]")
    _check_keys(body, TOP_KEYS)
    products = body.get("products")
    if not products:
        raise bad_request("Missing input parameter: [products]")
    if not isinstance(products, list):
        raise expected("array", "products", products)
    _check_all_keys(products)
    arrays = [_int_array(body, name) for name in ARRAY_NAMES]
    normalized = [_check_product(p, len(products), digital, readiness_ids) for p in products]
    _check_properties(normalized, max_properties)
    for attribute, array in zip(
        ("price", "quantity", "sku", "readiness_state_id"), arrays, strict=True
    ):
        _check_consistent(normalized, attribute, array)
    if not any(
        p["offerings"][0]["is_enabled"] and p["offerings"][0]["quantity"] > 0 for p in normalized
    ):
        raise bad_request(ERR_ZERO_QUANTITY)
    return normalized, arrays


def _check_keys(mapping, allowed):
    invalid = [key for key in mapping if key not in allowed]
    if invalid:
        raise bad_request(f"Array contains invalid keys: {','.join(invalid)}")


def _check_all_keys(products):
    """Level by level, so the first complaint is about the products themselves."""
    for product in products:
        if not isinstance(product, dict):
            raise expected("array", "products", product)
        _check_keys(product, PRODUCT_KEYS)
    for product in products:
        for offering in _list_or_empty(product.get("offerings")):
            if isinstance(offering, dict):
                _check_keys(offering, OFFERING_KEYS)
    for product in products:
        for value in _list_or_empty(product.get("property_values")):
            if isinstance(value, dict):
                _check_keys(value, PROPERTY_KEYS)


def _list_or_empty(value):
    return value if isinstance(value, list) else []


def _int_array(body, name):
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise expected("array", name, value)
    return list(dict.fromkeys(value))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_product(product, count, digital, readiness_ids):
    sku = product.get("sku")
    if sku is not None and not isinstance(sku, str):
        raise expected("string", "sku", sku)
    values = product.get("property_values")
    if values is None or (values == [] and count > 1):
        raise bad_request(ERR_PROPERTY_VALUES)
    if not isinstance(values, list):
        raise expected("array", "property_values", values)
    offerings = product.get("offerings")
    if offerings is None:
        raise bad_request("Missing input parameter: [offerings]")
    if not isinstance(offerings, list):
        raise expected("array", "offerings", offerings)
    if len(offerings) != 1:
        raise bad_request("Each product must have exactly one offering.")
    return {
        "sku": sku or "",
        "property_values": [_check_property_value(v) for v in values],
        "offerings": [_check_offering(offerings[0], digital, readiness_ids)],
    }


def _check_property_value(value):
    if not isinstance(value, dict):
        raise expected("array", "property_values", value)
    property_id = value.get("property_id")
    if not _is_int(property_id) or property_id < 1:
        raise expected("int", "property_id", property_id)
    value_ids = value.get("value_ids")
    if not isinstance(value_ids, list) or not all(_is_int(v) and v > 0 for v in value_ids):
        raise expected("array", "value_ids", value_ids)
    values = value.get("values")
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v for v in values)
    ):
        raise expected("array", "values", values)
    if any("(" in v or ")" in v for v in values):
        raise bad_request("Property values cannot contain parentheses.")
    scale_id = value.get("scale_id")
    if scale_id is not None and not _is_int(scale_id):
        raise expected("int", "scale_id", scale_id)
    name = value.get("property_name")
    if name is not None and not isinstance(name, str):
        raise expected("string", "property_name", name)
    return {
        "property_id": property_id,
        "value_ids": value_ids,
        "scale_id": scale_id,
        "property_name": name,
        "values": values,
    }


def _check_offering(offering, digital, readiness_ids):
    if not isinstance(offering, dict):
        raise expected("array", "offerings", offering)
    price = offering.get("price")
    if not _is_number(price):
        raise expected("float", "price", price)
    if not MIN_PRICE <= price <= MAX_PRICE:
        raise bad_request(
            f"There was a problem with /price : must be between {MIN_PRICE:.2f} and {MAX_PRICE:.2f}"
        )
    quantity = offering.get("quantity")
    if not _is_int(quantity):
        raise expected("int", "quantity", quantity)
    if not 0 <= quantity <= MAX_OFFERING_QUANTITY:
        raise bad_request(
            f"There was a problem with /quantity : must be between 0 and {MAX_OFFERING_QUANTITY}"
        )
    enabled = offering.get("is_enabled")
    if not isinstance(enabled, bool):
        raise expected("bool", "is_enabled", enabled)
    return {
        "price": price,
        "quantity": quantity,
        "is_enabled": enabled,
        "readiness_state_id": _readiness(offering, digital, readiness_ids),
    }


def _readiness(offering, digital, readiness_ids):
    readiness_id = offering.get("readiness_state_id")
    if digital:
        return None
    if readiness_id is None:
        raise bad_request(ERR_READINESS)
    if not _is_int(readiness_id):
        raise expected("int", "readiness_state_id", readiness_id)
    if readiness_id not in readiness_ids:
        raise bad_request(
            f"readiness_state_id {readiness_id} is not a processing profile of this shop."
        )
    return readiness_id


def _check_properties(products, max_properties):
    property_sets = {
        tuple(sorted(v["property_id"] for v in p["property_values"])) for p in products
    }
    if len(property_sets) > 1:
        raise bad_request("All products must have values for the same properties.")
    if len(next(iter(property_sets))) > max_properties:
        raise bad_request(f"A listing can vary by at most {max_properties} properties.")
    combinations = [
        tuple(sorted((v["property_id"], tuple(v["values"])) for v in p["property_values"]))
        for p in products
    ]
    if len(set(combinations)) != len(combinations):
        raise bad_request(
            "Duplicate products: each product needs its own combination of property values."
        )


def _check_consistent(products, attribute, property_ids):
    seen = {}
    for product in products:
        value = product["sku"] if attribute == "sku" else product["offerings"][0][attribute]
        key = group_key(product, property_ids)
        if seen.setdefault(key, value) != value:
            raise bad_request(f"{attribute} must be consistent across all products")
