"""build_inventory_update_body: read shape -> a valid, complete updateListingInventory body."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from etsy.inventory import MAX_QUANTITY, build_inventory_update_body, quantities_differ

SPEC = Path("/work/shared/etsy/etsy-openapi-v3_amitray007-etsy-python-sdk_2026-08-17.json")
READ_ONLY_KEYS = {"product_id", "offering_id", "is_deleted", "scale_name", "value_pairs"}
SCENT, SIZE = 513, 514  # Etsy's two custom-variation property ids


def _money(amount):
    return {"amount": amount, "divisor": 100, "currency_code": "USD"}


def _product(product_id, scent, scent_id, size, size_id, price, qty, sku, deleted=False):
    return {
        "product_id": product_id,
        "sku": sku,
        "is_deleted": deleted,
        "offerings": [{
            "offering_id": product_id * 10, "quantity": qty, "is_enabled": True,
            "is_deleted": False, "price": _money(price), "readiness_state_id": 7001,
        }],
        "property_values": [
            {"property_id": SCENT, "property_name": "Scent", "scale_id": None,
             "scale_name": None, "value_ids": [scent_id], "values": [scent]},
            {"property_id": SIZE, "property_name": "Size", "scale_id": None, "scale_name": None,
             "value_ids": [size_id], "values": [size], "value_pairs": [{"value_id": size_id}]},
        ],
    }


def candle_inventory():
    """Quantity and SKU vary by scent, price by size (the shape of the docs' tutorial)."""
    products = []
    product_id = 1001
    for scent, scent_id in (("Lavender", 11), ("Cedar", 12), ("Vanilla", 13)):
        for size, size_id, price in (("8 oz", 21, 1250), ("16 oz", 22, 1999)):
            products.append(_product(product_id, scent, scent_id, size, size_id, price, 4,
                                     f"CANDLE-{scent[:3].upper()}"))
            product_id += 1
    return {
        "products": products,
        "price_on_property": [SIZE],
        "quantity_on_property": [SCENT],
        "sku_on_property": [SCENT],
        "readiness_state_on_property": [],
    }


def single_inventory():
    return {
        "products": [{
            "product_id": 5001, "sku": "MUG-1", "is_deleted": False, "property_values": [],
            "offerings": [{"offering_id": 6001, "quantity": 2, "is_enabled": True,
                           "is_deleted": False, "price": _money(800),
                           "readiness_state_id": None}],
        }],
        "price_on_property": [], "quantity_on_property": [], "sku_on_property": [],
        "readiness_state_on_property": [],
    }


def _closed(schema):
    """The spec's OpenAPI 3.0 schema as JSON Schema (``nullable`` -> null type), with
    additionalProperties=false everywhere because the API rejects unknown keys."""
    if isinstance(schema, dict):
        schema = {key: _closed(value) for key, value in schema.items()}
        if schema.pop("nullable", False) and "type" in schema:
            schema["type"] = [schema["type"], "null"]
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_closed(item) for item in schema]
    return schema


@pytest.fixture(scope="module")
def put_schema():
    spec = json.loads(SPEC.read_text())
    operation = spec["paths"]["/v3/application/listings/{listing_id}/inventory"]["put"]
    return _closed(operation["requestBody"]["content"]["application/json"]["schema"])


def _keys(value):
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in _keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()


def _quantities(body):
    return [offering["quantity"] for product in body["products"]
            for offering in product["offerings"]]


def test_body_is_valid_against_the_spec_and_strips_read_only_keys(put_schema):
    with pytest.raises(jsonschema.ValidationError):  # the read shape itself is not writable
        jsonschema.validate(candle_inventory(), put_schema)
    body, report = build_inventory_update_body(candle_inventory())
    jsonschema.validate(body, put_schema)
    assert not _keys(body) & READ_ONLY_KEYS
    assert not report.adjusted


def test_prices_become_exact_major_unit_floats():
    body, _ = build_inventory_update_body(candle_inventory())
    prices = [product["offerings"][0]["price"] for product in body["products"]]
    assert prices == [12.5, 19.99] * 3
    assert all(isinstance(price, float) for price in prices)
    assert '"price": 19.99' in json.dumps(body)


def test_variations_skus_arrays_and_readiness_survive_untouched():
    inventory = candle_inventory()
    original = copy.deepcopy(inventory)
    body, _ = build_inventory_update_body(inventory, {1001: 9})
    assert inventory == original  # the input is not modified
    assert len(body["products"]) == 6
    for sent, read in zip(body["products"], inventory["products"], strict=True):
        expected = [{k: v for k, v in value.items() if k not in READ_ONLY_KEYS}
                    for value in read["property_values"]]
        assert json.dumps(sent["property_values"]) == json.dumps(expected)
        assert sent["sku"] == read["sku"]
        assert sent["offerings"][0]["readiness_state_id"] == 7001
        assert sent["offerings"][0]["is_enabled"] is True
    for key in ("price_on_property", "quantity_on_property", "sku_on_property",
                "readiness_state_on_property"):
        assert body[key] == inventory[key]


def test_one_request_spreads_over_its_quantity_group():
    body, report = build_inventory_update_body(candle_inventory(), {1001: 9})
    # Lavender 8 oz and Lavender 16 oz agree on the scent, so both get 9; others keep 4.
    assert _quantities(body) == [9, 9, 4, 4, 4, 4]
    assert not report.merged


def test_conflicting_requests_in_a_group_use_the_minimum_and_are_reported():
    body, report = build_inventory_update_body(candle_inventory(), {1001: 9, 1002: 3, 1003: 7})
    assert _quantities(body) == [3, 3, 7, 7, 4, 4]
    assert report.merged == [{"product_ids": [1001, 1002], "requested": {1001: 9, 1002: 3},
                              "quantity": 3}]


def test_empty_quantity_on_property_means_one_shared_quantity():
    inventory = candle_inventory()
    inventory["quantity_on_property"] = []
    body, report = build_inventory_update_body(inventory, {1004: 6, 1006: 2})
    assert _quantities(body) == [2] * 6
    assert report.merged[0]["quantity"] == 2
    assert report.merged[0]["product_ids"] == [1001, 1002, 1003, 1004, 1005, 1006]


def test_quantity_on_both_properties_keeps_each_product_apart():
    inventory = candle_inventory()
    inventory["quantity_on_property"] = [SCENT, SIZE]
    body, report = build_inventory_update_body(inventory, {1001: 1, 1002: 2, 1006: 0})
    assert _quantities(body) == [1, 2, 4, 4, 4, 0]
    assert not report.merged


def test_quantities_by_sku():
    body, report = build_inventory_update_body(candle_inventory(),
                                               quantities_by_sku={"CANDLE-CED": 11})
    assert _quantities(body) == [4, 4, 11, 11, 4, 4]
    assert not report.unmatched


def test_same_product_with_two_different_quantities_is_an_error():
    with pytest.raises(ValueError, match="two different quantities"):
        build_inventory_update_body(candle_inventory(), {1003: 1},
                                    quantities_by_sku={"CANDLE-CED": 2})


def test_out_of_range_quantities_are_clamped_and_reported():
    body, report = build_inventory_update_body(candle_inventory(), {1001: 5000, 1003: -3})
    assert _quantities(body) == [MAX_QUANTITY, MAX_QUANTITY, 0, 0, 4, 4]
    assert report.clamped == [
        {"product_id": 1001, "sku": "CANDLE-LAV", "requested": 5000, "quantity": 999},
        {"product_id": 1003, "sku": "CANDLE-CED", "requested": -3, "quantity": 0},
    ]


def test_sold_out_is_flagged_because_etsy_refuses_all_zero_inventories():
    _, report = build_inventory_update_body(candle_inventory(), {1001: 0, 1003: 0, 1005: 2})
    assert not report.sold_out
    _, report = build_inventory_update_body(candle_inventory(), {1001: 0, 1003: 0, 1005: 0})
    assert report.sold_out


def test_unknown_keys_are_reported_not_applied():
    body, report = build_inventory_update_body(candle_inventory(), {999: 1},
                                               quantities_by_sku={"NOPE": 2})
    assert report.unmatched == [999, "NOPE"]
    assert _quantities(body) == [4] * 6


@pytest.mark.parametrize("bad", [True, "3", 2.5, None, float("nan")])
def test_non_whole_quantities_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        build_inventory_update_body(candle_inventory(), {1001: bad})


def test_odoo_float_quantities_are_accepted():
    body, _ = build_inventory_update_body(candle_inventory(), {1001: 5.0})
    assert _quantities(body)[0] == 5 and isinstance(_quantities(body)[0], int)


def test_deleted_products_and_offerings_are_dropped(put_schema):
    inventory = candle_inventory()
    inventory["products"][5]["is_deleted"] = True
    inventory["products"][0]["offerings"].append({
        "offering_id": 1, "quantity": 1, "is_enabled": True, "is_deleted": True,
        "price": _money(100), "readiness_state_id": 7001})
    body, _ = build_inventory_update_body(inventory)
    jsonschema.validate(body, put_schema)
    assert len(body["products"]) == 5
    assert len(body["products"][0]["offerings"]) == 1


def test_single_product_listing_keeps_empty_property_values(put_schema):
    body, _ = build_inventory_update_body(single_inventory(), {5001: 7})
    jsonschema.validate(body, put_schema)
    assert body["products"] == [{"sku": "MUG-1", "property_values": [], "offerings": [
        {"price": 8.0, "quantity": 7, "is_enabled": True, "readiness_state_id": None}]}]


def test_quantities_differ_detects_no_op_writes():
    inventory = candle_inventory()
    unchanged, _ = build_inventory_update_body(inventory, {1001: 4})
    assert not quantities_differ(inventory, unchanged)
    changed, _ = build_inventory_update_body(inventory, {1001: 5})
    assert quantities_differ(inventory, changed)
    fewer = copy.deepcopy(unchanged)
    fewer["products"].pop()
    assert quantities_differ(inventory, fewer)


def test_garbage_inventory_is_refused():
    with pytest.raises(TypeError):
        build_inventory_update_body({"results": []})
    bad_price = single_inventory()
    bad_price["products"][0]["offerings"][0]["price"] = {"amount": "x", "divisor": 100}
    with pytest.raises(ValueError):
        build_inventory_update_body(bad_price)
