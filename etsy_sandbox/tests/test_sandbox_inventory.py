"""updateListingInventory's strict rules, full replace, listing quantity/state, and purchases."""

import copy

import pytest

from conftest import Api, put_body

READ_ONLY_PRODUCT = ("product_id", "is_deleted")
READ_ONLY_OFFERING = ("offering_id", "is_deleted")
@pytest.fixture
def ids(sb):
    return sb.world.seed_listings


def inventory_of(api, listing_id):
    return api.get(f"/listings/{listing_id}/inventory").json()


def put(api, listing_id, body, **kwargs):
    return api.put(f"/listings/{listing_id}/inventory", json=body, **kwargs)


def error_of(response, status=400):
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_echoing_the_get_body_is_refused_key_by_key(api, ids):
    current = inventory_of(api, ids["tea"])
    assert (
        error_of(put(api, ids["tea"], current))
        == "Array contains invalid keys: product_id,is_deleted"
    )
    echoed = copy.deepcopy(current)
    for product in echoed["products"]:
        for key in READ_ONLY_PRODUCT:
            del product[key]
    assert (
        error_of(put(api, ids["tea"], echoed))
        == "Array contains invalid keys: offering_id,is_deleted"
    )
    for product in echoed["products"]:
        for offering in product["offerings"]:
            for key in READ_ONLY_OFFERING:
                del offering[key]
    assert error_of(put(api, ids["tea"], echoed)) == "Array contains invalid keys: scale_name"
    for product in echoed["products"]:
        for value in product["property_values"]:
            del value["scale_name"]
    assert error_of(put(api, ids["tea"], echoed)) == "Expected float value for 'price' (got array)."
    with_listing = dict(put_body(current), listing=None)
    assert error_of(put(api, ids["tea"], with_listing)) == "Array contains invalid keys: listing"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.pop("products"), "Missing input parameter: [products]"),
        (lambda b: b.update(products=[]), "Missing input parameter: [products]"),
        (lambda b: b["products"][0].pop("property_values"), "Property values can't be empty"),
        (lambda b: b["products"][0].update(property_values=[]), "Property values can't be empty"),
        (lambda b: b["products"][0].pop("offerings"), "Missing input parameter: [offerings]"),
        (
            lambda b: b["products"][0]["offerings"][0].pop("price"),
            "Expected float value for 'price' (got NULL).",
        ),
        (
            lambda b: b["products"][0]["offerings"][0].update(price="18.00"),
            "Expected float value for 'price' (got string).",
        ),
        (
            lambda b: b["products"][0]["offerings"][0].update(quantity=2.0),
            "Expected int value for 'quantity' (got double).",
        ),
        (
            lambda b: b["products"][0]["offerings"][0].pop("is_enabled"),
            "Expected bool value for 'is_enabled' (got NULL).",
        ),
        (
            lambda b: b["products"][0]["offerings"][0].pop("readiness_state_id"),
            "A readiness_state_id is required for physical listings.",
        ),
        (
            lambda b: b["products"][0]["offerings"][0].update(readiness_state_id=None),
            "A readiness_state_id is required for physical listings.",
        ),
        (
            lambda b: b["products"][1]["offerings"][0].update(price=99.0),
            "price must be consistent across all products",
        ),
        (
            lambda b: b["products"][1]["offerings"][0].update(quantity=1),
            "quantity must be consistent across all products",
        ),
        (
            lambda b: b["products"][1].update(sku="WBW-OTHER"),
            "sku must be consistent across all products",
        ),
        (
            lambda b: [p["offerings"][0].update(quantity=0) for p in b["products"]],
            "One offering must have quantity greater than 0",
        ),
        (
            lambda b: b["products"].append(copy.deepcopy(b["products"][0])),
            "Duplicate products: each product needs its own combination of property values.",
        ),
    ],
)
def test_strict_validation_messages(api, ids, mutate, message):
    # Lavender: price and SKU vary by size, quantity is shared (quantity_on_property empty).
    listing_id = ids["lavender"]
    before = inventory_of(api, listing_id)
    body = put_body(before)
    assert body["quantity_on_property"] == [] and body["price_on_property"] == [100]
    body["sku_on_property"] = []
    body["products"][1]["sku"] = body["products"][0]["sku"]
    body["price_on_property"] = []
    body["products"][1]["offerings"][0]["price"] = body["products"][0]["offerings"][0]["price"]
    mutate(body)
    assert error_of(put(api, listing_id, body)) == message
    assert inventory_of(api, listing_id) == before


def test_put_must_be_json(api, ids):
    body = put_body(inventory_of(api, ids["tea"]))
    response = api.put(f"/listings/{ids['tea']}/inventory", data={"products": "x"})
    assert error_of(response) == "Missing input parameter: [products]"
    response = api.put(
        f"/listings/{ids['tea']}/inventory", data=str(body), headers={"Content-Type": "text/plain"}
    )
    assert error_of(response) == "Missing input parameter: [products]"


def test_unknown_readiness_state_and_more_than_two_properties(api, ids):
    body = put_body(inventory_of(api, ids["tea"]))
    body["products"][0]["offerings"][0]["readiness_state_id"] = 99
    assert "readiness_state_id 99" in error_of(put(api, ids["tea"], body))
    body = put_body(inventory_of(api, ids["sampler"]))
    for index, product in enumerate(body["products"]):
        product["property_values"].append(
            {"property_id": 514, "value_ids": [], "values": [f"W{index}"]}
        )
    assert error_of(put(api, ids["sampler"], body)) == "A listing can vary by at most 2 properties."
    response = api.put(
        f"/listings/{ids['sampler']}/inventory", json=body, params={"max_variations_supported": "3"}
    )
    assert response.status_code == 200


def test_a_valid_put_replaces_everything_and_recomputes_the_listing(api, sb, ids):
    listing_id = ids["tea"]
    before_listing = api.get(f"/listings/{listing_id}").json()
    before = inventory_of(api, listing_id)
    sb.advance_clock(60)
    body = put_body(before)
    body["products"] = body["products"][1:]  # drop 4 oz
    body["products"][0]["offerings"][0].update(quantity=4, price=19.5)
    response = put(api, listing_id, body)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after == inventory_of(api, listing_id)
    assert [p["sku"] for p in after["products"]] == ["WBW-TEA-8OZ", "WBW-TEA-16OZ"]
    assert after["products"][0]["offerings"][0]["price"] == {
        "amount": 1950,
        "divisor": 100,
        "currency_code": "USD",
    }
    old_ids = {p["product_id"] for p in before["products"]}
    assert not old_ids & {p["product_id"] for p in after["products"]}  # Etsy issues new ids
    listing = api.get(f"/listings/{listing_id}").json()
    assert listing["quantity"] == 4 + 5
    assert listing["price"]["amount"] == 1950
    assert listing["updated_timestamp"] > before_listing["updated_timestamp"]
    assert abs(listing["updated_timestamp"] - sb.world.now()) <= 2
    deleted = api.get(f"/listings/{listing_id}/inventory", params={"show_deleted": "true"}).json()
    gone = [p for p in deleted["products"] if p["is_deleted"]]
    assert {p["product_id"] for p in gone} == old_ids
    assert all(o["is_deleted"] for p in gone for o in p["offerings"])


def test_shared_quantity_counts_once_and_purchases_lower_every_product(api, sb, ids):
    listing_id = ids["lavender"]
    assert api.get(f"/listings/{listing_id}").json()["quantity"] == 20
    products = inventory_of(api, listing_id)["products"]
    sb.buy(listing_id, quantity=3, product_id=products[1]["product_id"])
    after = inventory_of(api, listing_id)
    assert [p["offerings"][0]["quantity"] for p in after["products"]] == [17, 17]
    assert api.get(f"/listings/{listing_id}").json()["quantity"] == 17


def test_purchase_lowers_only_its_variation_when_quantity_varies(api, sb, ids):
    listing_id = ids["tea"]
    products = inventory_of(api, listing_id)["products"]
    receipt = sb.buy(listing_id, quantity=2, product_id=products[0]["product_id"])
    after = inventory_of(api, listing_id)
    assert [p["offerings"][0]["quantity"] for p in after["products"]] == [12, 9, 5]
    assert api.get(f"/listings/{listing_id}").json()["quantity"] == 26
    line = receipt["transactions"][0]
    assert (line["sku"], line["quantity"], line["price"]["amount"]) == ("WBW-TEA-4OZ", 2, 1200)
    assert line["variations"][0]["formatted_value"] == "4 oz"


def test_selling_the_last_unit_sells_out_and_restocking_does_not_reactivate(api, sb, ids, shop_id):
    listing_id = ids["bergamot"]
    sb.advance_clock(10)
    sb.buy(listing_id, quantity=4)
    listing = api.get(f"/listings/{listing_id}").json()
    assert (listing["state"], listing["quantity"]) == ("sold_out", 0)
    assert listing["state_timestamp"] == listing["updated_timestamp"]
    sold_out = api.get(f"/shops/{shop_id}/listings", params={"state": "sold_out"}).json()
    assert listing_id in [item["listing_id"] for item in sold_out["results"]]
    active = api.get(f"/shops/{shop_id}/listings", params={"limit": 100}).json()
    assert listing_id not in [item["listing_id"] for item in active["results"]]
    assert api.post("/_sandbox/buy", json={"listing_id": listing_id}).status_code == 409
    body = put_body(inventory_of(api, listing_id))
    assert error_of(put(api, listing_id, body)) == "One offering must have quantity greater than 0"
    body["products"][0]["offerings"][0]["quantity"] = 6
    assert put(api, listing_id, body).status_code == 200
    listing = api.get(f"/listings/{listing_id}").json()
    assert (listing["state"], listing["quantity"]) == ("sold_out", 6)
    assert sb.renew_listing(listing_id) == "active"
    assert api.get(f"/listings/{listing_id}").json()["state"] == "active"


def test_renewing_an_empty_sold_out_listing_sets_quantity_one(api, sb, ids):
    assert api.get(f"/listings/{ids['holiday']}").json()["state"] == "sold_out"
    sb.renew_listing(ids["holiday"])
    listing = api.get(f"/listings/{ids['holiday']}").json()
    assert (listing["state"], listing["quantity"]) == ("active", 1)


def test_digital_listing_accepts_a_null_readiness_state(api, ids):
    body = put_body(inventory_of(api, ids["guide"]))
    assert body["products"][0]["offerings"][0]["readiness_state_id"] is None
    body["products"][0]["offerings"][0]["quantity"] = 500
    assert put(api, ids["guide"], body).status_code == 200
    listing = api.get(f"/listings/{ids['guide']}").json()
    assert (listing["listing_type"], listing["readiness_state_id"], listing["quantity"]) == (
        "download",
        None,
        500,
    )


def test_custom_property_values_get_value_ids(api, ids):
    body = put_body(inventory_of(api, ids["vanilla"]))
    body["products"] = [
        {
            "sku": f"WBW-VAN-{name.upper()}",
            "property_values": [
                {"property_id": 513, "property_name": "Wick", "value_ids": [], "values": [name]}
            ],
            "offerings": [dict(body["products"][0]["offerings"][0], quantity=3)],
        }
        for name in ("Cotton", "Wood")
    ]
    body.update(quantity_on_property=[513], sku_on_property=[513])
    after = put(api, ids["vanilla"], body).json()
    assert [p["property_values"][0]["values"] for p in after["products"]] == [["Cotton"], ["Wood"]]
    assert all(p["property_values"][0]["value_ids"] for p in after["products"])
    listing = api.get(f"/listings/{ids['vanilla']}").json()
    assert listing["has_variations"] and listing["quantity"] == 6


def test_batch_inventory_is_all_or_nothing(api, ids):
    known = f"{ids['tea']},{ids['lavender']}"
    body = api.get("/listings/batch/inventory", params={"listing_ids": known}).json()
    assert [r["listing_id"] for r in body["results"]] == [ids["tea"], ids["lavender"]]
    assert body["results"][0]["inventory"]["products"][0]["sku"] == "WBW-TEA-4OZ"
    missing = api.get("/listings/batch/inventory", params={"listing_ids": known + ",1"})
    assert missing.status_code == 404
    too_many = ",".join(str(i) for i in range(1, 102))
    assert api.get("/listings/batch/inventory", params={"listing_ids": too_many}).status_code == 400
    batch = api.get("/listings/batch", params={"listing_ids": known + ",1"}).json()
    assert batch["count"] == 2  # getListingsByListingIds leaves unknown ids out


def test_includes_inventory_and_skus_only_for_the_owner(sb, server, api, ids, shop_id):
    listing = api.get(f"/shops/{shop_id}/listings", params={"includes": "Inventory"}).json()[
        "results"
    ][0]
    assert listing["inventory"]["products"] and listing["skus"] is not None
    public = Api(server.url).get(f"/listings/{ids['tea']}").json()
    assert public["skus"] == [] and public["readiness_state_id"] is not None
    owner = api.get(f"/listings/{ids['tea']}").json()
    assert owner["skus"] == ["WBW-TEA-4OZ", "WBW-TEA-8OZ", "WBW-TEA-16OZ"]
    batch = api.get("/listings/batch", params={"listing_ids": ids["tea"]}).json()["results"][0]
    assert batch["readiness_state_id"] is None  # shown only on shop-scoped/single reads
    assert Api(server.url).get(f"/listings/{ids['spring']}").status_code == 404
    assert api.get(f"/listings/{ids['spring']}").json()["state"] == "draft"
    bad = api.get(f"/listings/{ids['tea']}", params={"includes": "Inventory"})
    assert bad.status_code == 400


def test_update_listing_deactivates_reactivates_and_renews(api, sb, ids, shop_id):
    path = f"/shops/{shop_id}/listings/{ids['bergamot']}"
    inactive = api.request(
        "PATCH", path, data={"state": "inactive", "title": "Bergamot & Oud, 8 oz"}
    )
    assert inactive.status_code == 200, inactive.text
    assert (inactive.json()["state"], inactive.json()["title"]) == (
        "inactive",
        "Bergamot & Oud, 8 oz",
    )
    listed = api.get(f"/shops/{shop_id}/listings", params={"state": "inactive"}).json()["results"]
    assert ids["bergamot"] in [item["listing_id"] for item in listed]
    ignored = api.request("PATCH", path, json={"state": "active"})
    assert ignored.json()["state"] == "inactive"  # a JSON body is not read
    assert api.request("PATCH", path, data={"state": "active"}).json()["state"] == "active"
    sb.buy(ids["bergamot"], quantity=4)
    renewed = api.request("PATCH", path, data={"state": "active"}).json()
    assert (renewed["state"], renewed["quantity"]) == ("active", 1)  # spec: renewal sets 1
    too_long = api.request("PATCH", path, data={"title": "x" * 141})
    assert too_long.status_code == 400
    assert api.request("PATCH", path, data={"state": "sold_out"}).status_code == 400
    other = sb.add_shop("Elsewhere")
    assert (
        api.request(
            "PATCH", f"/shops/{other['shop_id']}/listings/{ids['tea']}", data={"state": "inactive"}
        ).status_code
        == 403
    )
