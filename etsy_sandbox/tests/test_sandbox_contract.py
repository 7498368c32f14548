"""Every sandbox answer against Etsy's OpenAPI document (2026-08-17), over seed and generated data.

Responses are validated *closed* (no field the spec does not define) and the main objects are
checked for completeness (every field the spec defines is present), so the sandbox neither
invents nor forgets fields.
"""

import re

import pytest

from conftest import API_KEY, Api, put_body
from etsy_sandbox.app import OPERATIONS

ALL_INCLUDES = "Shipping,Images,Shop,User,Translations,Inventory,Videos,Personalization,BuyerPrice"
SINGLE_INCLUDES = "Images,Shop,User,Translations,Videos,Personalization,BuyerPrice"
STATES = ("active", "inactive", "sold_out", "draft", "expired")
TOKEN_SCHEMA = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "refresh_token"],
    "additionalProperties": False,
    "properties": {
        "access_token": {"type": "string", "pattern": r"^\d+\.[A-Za-z0-9_-]+$"},
        "token_type": {"enum": ["Bearer"]},
        "expires_in": {"type": "integer", "minimum": 1},
        "refresh_token": {"type": "string", "pattern": r"^\d+\.[A-Za-z0-9_-]+$"},
    },
}


def ok(spec, operation, response, closed=True):
    """Assert a 200 that validates against the operation's schema; return the body."""
    assert response.status_code == 200, response.text
    body = response.json()
    errors = spec.validate_response(operation, 200, body, closed=closed)
    assert not errors, errors[:5]
    return body


def all_pages(api, path, params=None):
    results, offset = [], 0
    while True:
        body = api.get(path, params=dict(params or {}, limit=100, offset=offset)).json()
        results += body["results"]
        offset += 100
        if offset >= body["count"]:
            return results, body["count"]


def test_implemented_operations_exist_in_the_spec_with_the_same_route_and_scopes(spec):
    for op in OPERATIONS:
        method, route, _operation, _shared = spec.operation(op.operation_id)
        assert method == op.method, op.operation_id
        assert route == "/v3/application" + re.sub(r"<int:(\w+)>", r"{\1}", op.path), (
            op.operation_id
        )
        assert op.scopes == spec.scopes(op.operation_id), op.operation_id


def test_every_seed_receipt_and_transaction_validates(spec, api, shop_id, sb):
    receipts, count = all_pages(api, f"/shops/{shop_id}/receipts")
    assert count == len(receipts) == 25
    for receipt in receipts:
        rid = receipt["receipt_id"]
        body = ok(spec, "getShopReceipt", api.get(f"/shops/{shop_id}/receipts/{rid}"))
        assert body == receipt
        ok(
            spec,
            "getShopReceiptTransactionsByReceipt",
            api.get(f"/shops/{shop_id}/receipts/{rid}/transactions"),
        )
        for transaction in body["transactions"]:
            tid = transaction["transaction_id"]
            assert (
                ok(
                    spec,
                    "getShopReceiptTransaction",
                    api.get(f"/shops/{shop_id}/transactions/{tid}"),
                )
                == transaction
            )
    ok(spec, "getShopReceipts", api.get(f"/shops/{shop_id}/receipts", params={"limit": 100}))
    ok(
        spec,
        "getShopReceiptTransactionsByShop",
        api.get(f"/shops/{shop_id}/transactions", params={"limit": 100}),
    )


def test_every_listing_inventory_and_batch_validates(spec, api, shop_id):
    listing_ids = []
    for state in STATES:
        body = ok(
            spec,
            "getListingsByShop",
            api.get(
                f"/shops/{shop_id}/listings",
                params={"state": state, "limit": 100, "includes": ALL_INCLUDES},
            ),
        )
        assert body["count"] >= 1, state
        listing_ids += [listing["listing_id"] for listing in body["results"]]
    assert len(listing_ids) == 25
    for listing_id in listing_ids:
        ok(
            spec,
            "getListing",
            api.get(f"/listings/{listing_id}", params={"includes": SINGLE_INCLUDES}),
        )
        ok(spec, "getListing", api.get(f"/listings/{listing_id}"))
        ok(
            spec,
            "getListingInventory",
            api.get(
                f"/listings/{listing_id}/inventory",
                params={"includes": "Listing", "show_deleted": "true"},
            ),
        )
    ids = ",".join(map(str, listing_ids))
    ok(
        spec,
        "getListingsByListingIds",
        api.get("/listings/batch", params={"listing_ids": ids, "includes": SINGLE_INCLUDES}),
    )
    ok(
        spec,
        "getListingsInventoryByListingIds",
        api.get("/listings/batch/inventory", params={"listing_ids": ids}),
    )


def test_generated_shop_validates(spec, api, shop_id, sb):
    sb.generate_listings(150)
    sb.generate_receipts(300)
    receipts, count = all_pages(api, f"/shops/{shop_id}/receipts")
    assert count == 325 and len({r["receipt_id"] for r in receipts}) == 325
    for offset in range(0, 325, 100):
        ok(
            spec,
            "getShopReceipts",
            api.get(f"/shops/{shop_id}/receipts", params={"limit": 100, "offset": offset}),
        )
    for offset in range(0, 171, 100):
        body = ok(
            spec,
            "getListingsByShop",
            api.get(
                f"/shops/{shop_id}/listings",
                params={"limit": 100, "offset": offset, "includes": "Inventory,Images"},
            ),
        )
        for listing in body["results"]:
            assert listing["inventory"]["products"]


def test_shop_user_me_readiness_carriers_ping_and_scopes_validate(spec, api, shop_id, sb):
    seller = sb.seller
    me = ok(spec, "getMe", api.get("/users/me"))
    assert me == seller
    ok(spec, "getShop", api.get(f"/shops/{shop_id}"))
    ok(spec, "getShopByOwnerUserId", api.get(f"/users/{seller['user_id']}/shops"))
    ok(spec, "getUser", api.get(f"/users/{seller['user_id']}"))
    buyer = api.get(f"/shops/{shop_id}/receipts").json()["results"][0]["buyer_user_id"]
    assert ok(spec, "getUser", api.get(f"/users/{buyer}"))["primary_email"] is None
    ok(
        spec,
        "getShopReadinessStateDefinitions",
        api.get(f"/shops/{shop_id}/readiness-state-definitions"),
    )
    ok(
        spec,
        "getShippingCarriers",
        api.get("/shipping-carriers", params={"origin_country_iso": "US"}),
    )
    ok(spec, "ping", api.get("/openapi-ping"))
    # The spec's Scopes schema is an empty object, so the sandbox's {"scopes": [...]} is an
    # (open) extension of it.
    token = api.session.headers["Authorization"][7:]
    assert (
        "listings_w"
        in ok(spec, "tokenScopes", api.post("/scopes", data={"token": token}), closed=False)[
            "scopes"
        ]
    )


def test_receipt_money_is_consistent(api, shop_id, sb):
    sb.generate_receipts(50)
    receipts, _count = all_pages(api, f"/shops/{shop_id}/receipts")
    for receipt in receipts:
        amount = {key: receipt[key]["amount"] for key in receipt if isinstance(receipt[key], dict)}
        lines = receipt["transactions"]
        assert amount["total_price"] == sum(t["price"]["amount"] * t["quantity"] for t in lines)
        assert amount["subtotal"] == amount["total_price"] - amount["discount_amt"]
        assert amount["total_shipping_cost"] == sum(t["shipping_cost"]["amount"] for t in lines)
        assert amount["grandtotal"] == (
            amount["subtotal"]
            + amount["total_shipping_cost"]
            + amount["total_tax_cost"]
            + amount["total_vat_cost"]
            + amount["gift_wrap_price"]
        )
        assert round(sum(t["shop_coupon"] for t in lines) * 100) == amount["discount_amt"]
        assert {receipt[key]["currency_code"] for key in amount} == {"USD"}


COMPLETE = {
    "ShopReceipt": lambda r: [r],
    "ShopReceiptTransaction": lambda r: r["transactions"],
    "ShopReceiptShipment": lambda r: r["shipments"],
    "ShopRefund": lambda r: r["refunds"],
    "TransactionVariations": lambda r: [v for t in r["transactions"] for v in t["variations"]],
}


def test_objects_carry_every_field_the_spec_defines(spec, api, shop_id):
    receipts, _count = all_pages(api, f"/shops/{shop_id}/receipts")
    for schema, pick in COMPLETE.items():
        objects = [obj for receipt in receipts for obj in pick(receipt)]
        assert objects, schema
        for obj in objects:
            assert list(obj) == spec.schema_properties(schema), schema
    listing = api.get(f"/shops/{shop_id}/listings", params={"includes": ALL_INCLUDES}).json()[
        "results"
    ][0]
    assert list(listing)[:50] == spec.schema_properties("ShopListing")
    assert set(listing) == set(spec.schema_properties("ShopListingWithAssociations"))
    product = listing["inventory"]["products"][0]
    assert set(product) == set(spec.schema_properties("ListingInventoryProduct"))
    assert set(product["offerings"][0]) == set(
        spec.schema_properties("ListingInventoryProductOffering")
    )
    assert set(listing["images"][0]) == set(spec.schema_properties("ListingImage"))
    assert set(listing["inventory"]) == set(spec.schema_properties("ListingInventory"))
    shop = api.get(f"/shops/{shop_id}").json()
    assert list(shop) == spec.schema_properties("Shop")
    variation = api.get(
        f"/shops/{shop_id}/listings", params={"includes": "Inventory", "limit": 100}
    ).json()
    values = [
        pv
        for item in variation["results"]
        for p in item["inventory"]["products"]
        for pv in p["property_values"]
    ]
    assert values and all(
        set(pv) == set(spec.schema_properties("ListingPropertyValue")) for pv in values
    )


def test_error_bodies_validate(spec, sb, server, api, shop_id):
    bare = Api(server.url, api_key=API_KEY.split(":")[0])
    cases = [
        ("getShopReceipt", api.get(f"/shops/{shop_id}/receipts/1")),
        ("getShopReceipts", api.get(f"/shops/{shop_id}/receipts", params={"limit": 101})),
        ("getShopReceipts", api.get(f"/shops/{shop_id}/receipts", params={"was_paid": "True"})),
        ("getShopByOwnerUserId", bare.get(f"/users/{sb.seller['user_id']}/shops")),
        (
            "updateListingInventory",
            api.put(f"/listings/{sb.world.seed_listings['tea']}/inventory", json={}),
        ),
        (
            "createReceiptShipment",
            api.post(
                f"/shops/{shop_id}/receipts/{sb.world.seed_receipts['canceled']}/tracking", json={}
            ),
        ),
    ]
    sb.expire_access_tokens()
    cases.append(("getMe", api.get("/users/me")))
    for operation, response in cases:
        assert response.status_code >= 400
        errors = spec.validate_response(operation, response.status_code, response.json())
        assert not errors, (operation, response.status_code, errors)
    sb.set_rate_limits(per_second=1)
    fresh = Api(server.url)
    fresh.get("/openapi-ping")
    limited = fresh.get("/openapi-ping")
    assert limited.status_code == 429
    assert not spec.component_errors("ErrorSchema", limited.json(), closed=True)


def test_token_responses_have_the_documented_shape(spec, sb, server):
    import jsonschema

    tokens = sb.issue_tokens()

    def refresh():
        return Api(server.url, api_key=None).post(
            "/v3/public/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": API_KEY.split(":")[0],
                "refresh_token": tokens["refresh_token"],
            },
        )

    response = refresh()
    assert response.status_code == 200
    jsonschema.validate(response.json(), TOKEN_SCHEMA)
    failed = refresh()  # the refresh token rotated: the old one is refused
    assert failed.status_code == 400
    assert not spec.component_errors("ErrorSchema", failed.json())
    assert set(failed.json()) == {"error", "error_description"}


def test_request_validator_accepts_a_proper_inventory_body_and_rejects_an_echo(spec, api, sb):
    listing_id = sb.world.seed_listings["sampler"]
    current = api.get(f"/listings/{listing_id}/inventory").json()
    assert spec.validate_request(
        "updateListingInventory", body=current, content_type="application/json"
    )
    body = put_body(current)
    assert (
        spec.validate_request(
            "updateListingInventory",
            body=body,
            content_type="application/json",
            path_params={"listing_id": str(listing_id)},
        )
        == []
    )
    assert spec.validate_request(
        "updateListingInventory", body=body, content_type="application/x-www-form-urlencoded"
    )
    assert api.put(f"/listings/{listing_id}/inventory", json=body).status_code == 200


@pytest.mark.parametrize(
    ("query", "valid"),
    [
        ({"was_paid": "true", "limit": "100", "sort_order": "up"}, True),
        ({"was_paid": "True"}, False),
        ({"limit": "101"}, False),
        ({"sort_on": "price"}, False),
        ({"colour": "red"}, False),
    ],
)
def test_request_validator_checks_query_parameters(spec, query, valid):
    errors = spec.validate_request("getShopReceipts", query=query, path_params={"shop_id": "1"})
    assert (errors == []) is valid, errors


def test_write_operations_validate_both_ways(spec, api, shop_id, sb):
    """The bodies sent validate against the requestBody, the answers against the response."""
    receipt = sb.world.seed_receipts["processing"]
    form = {"was_paid": "true"}
    assert (
        spec.validate_request(
            "updateShopReceipt", body=form, content_type="application/x-www-form-urlencoded"
        )
        == []
    )
    ok(spec, "updateShopReceipt", api.put(f"/shops/{shop_id}/receipts/{receipt}", data=form))
    tracking = {"tracking_code": "9400100000000000000009", "carrier_name": "usps", "send_bcc": True}
    assert (
        spec.validate_request(
            "createReceiptShipment", body=tracking, content_type="application/json"
        )
        == []
    )
    ok(
        spec,
        "createReceiptShipment",
        api.post(f"/shops/{shop_id}/receipts/{receipt}/tracking", json=tracking),
    )
    listing_id = sb.world.seed_listings["taper"]
    current = api.get(f"/listings/{listing_id}/inventory").json()
    body = {
        "products": [
            {
                "sku": p["sku"],
                "property_values": [
                    {k: v[k] for k in ("property_id", "value_ids", "values")}
                    for v in p["property_values"]
                ],
                "offerings": [
                    {
                        "price": 15.0,
                        "quantity": o["quantity"],
                        "is_enabled": o["is_enabled"],
                        "readiness_state_id": o["readiness_state_id"],
                    }
                    for o in p["offerings"]
                ],
            }
            for p in current["products"]
        ],
        "quantity_on_property": [200],
        "sku_on_property": [200],
    }
    assert (
        spec.validate_request("updateListingInventory", body=body, content_type="application/json")
        == []
    )
    updated = ok(
        spec, "updateListingInventory", api.put(f"/listings/{listing_id}/inventory", json=body)
    )
    assert {p["offerings"][0]["price"]["amount"] for p in updated["products"]} == {1500}
    patch = {"state": "inactive", "should_auto_renew": "false"}
    assert (
        spec.validate_request(
            "updateListing", body=patch, content_type="application/x-www-form-urlencoded"
        )
        == []
    )
    ok(
        spec,
        "updateListing",
        api.request("PATCH", f"/shops/{shop_id}/listings/{listing_id}", data=patch),
    )
