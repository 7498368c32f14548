"""Publishing in the sandbox: Etsy's rules and errors, and every answer against the spec."""

import pytest

from conftest import Api, put_body  # noqa: F401 - Api documents the fixture's type

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def created(spec, operation, response, status=201):
    assert response.status_code == status, response.text
    body = response.json()
    assert spec.validate_response(operation, status, body, closed=True) == []
    return body


def draft_form(sb, shop_id, **overrides):
    shop = sb.world.shops[shop_id]
    form = {
        "quantity": "5", "title": "Linen tote bag", "description": "A tote.", "price": "12.5",
        "who_made": "i_did", "when_made": "made_to_order", "is_supply": "false",
        "taxonomy_id": "2079", "tags": "tote,linen bag",
        "shipping_profile_id": str(shop.shipping_profile["shipping_profile_id"]),
        "readiness_state_id": str(shop.readiness[0]["readiness_state_id"]),
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def new_draft(api, sb, shop_id, **overrides):
    response = api.post(f"/shops/{shop_id}/listings", data=draft_form(sb, shop_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def test_reference_data_validates(spec, api, shop_id):
    nodes = api.get("/seller-taxonomy/nodes")
    assert nodes.status_code == 200
    assert spec.validate_response("getSellerTaxonomyNodes", 200, nodes.json(), closed=True) == []
    tote = nodes.json()["results"][0]["children"][0]["children"][0]
    assert tote["full_path_taxonomy_ids"] == [1, 2078, 2079] and tote["level"] == 2
    props = api.get("/seller-taxonomy/nodes/449/properties").json()
    assert spec.validate_response("getPropertiesByTaxonomyId", 200, props, closed=True) == []
    assert {p["display_name"] for p in props["results"] if p["supports_variations"]} == {
        "Color", "Size"}
    assert api.get("/seller-taxonomy/nodes/999999/properties").status_code == 404
    for operation, path in (("getShopShippingProfiles", "shipping-profiles"),
                            ("getShopReturnPolicies", "policies/return")):
        body = api.get(f"/shops/{shop_id}/{path}").json()
        assert spec.validate_response(operation, 200, body, closed=True) == [], operation
        assert body["count"] >= 1


def test_create_draft_listing_validates_and_is_a_draft(spec, api, sb, shop_id):
    body = created(spec, "createDraftListing",
                   api.post(f"/shops/{shop_id}/listings", data=draft_form(sb, shop_id)))
    assert body["state"] == "draft" and body["tags"] == ["tote", "linen bag"]
    entry = sb.calls("createDraftListing")[-1]
    assert spec.validate_request("createDraftListing", body=entry["body"],
                                 content_type=entry["content_type"]) == []


@pytest.mark.parametrize("overrides, message", [
    ({"title": None}, "Missing input parameter: [title]"),
    ({"is_supply": None}, "must be provided together"),
    ({"price": "0.19"}, "/price"),
    ({"quantity": "1000"}, "/quantity"),
    ({"title": "x" * 141}, "/title"),
    ({"title": "100% linen 50% off"}, "only once"),
    ({"tags": ",".join(f"t{i}" for i in range(14))}, "at most 13"),
    ({"tags": "a" * 21}, "is invalid"),
    ({"readiness_state_id": None}, "readiness_state_id is required"),
    ({"shipping_profile_id": None}, "shipping_profile_id is required"),
    ({"taxonomy_id": "424242"}, "not a seller taxonomy node"),
])
def test_create_draft_listing_refuses_what_etsy_refuses(api, sb, shop_id, overrides, message):
    response = api.post(f"/shops/{shop_id}/listings", data=draft_form(sb, shop_id, **overrides))
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_repeated_tag_keys_keep_the_last_one(api, sb, shop_id):
    form = list(draft_form(sb, shop_id, tags=None).items()) + [("tags", "one"), ("tags", "two")]
    response = api.post(f"/shops/{shop_id}/listings", data=form)
    assert response.json()["tags"] == ["two"]


def test_images_file_or_id_not_both_ranked_and_overwritten(spec, api, sb, shop_id):
    listing = new_draft(api, sb, shop_id)
    path = f"/shops/{shop_id}/listings/{listing['listing_id']}/images"
    first = created(spec, "uploadListingImage",
                    api.post(path, files={"image": ("a.png", PNG)}, data={"rank": "1"}))
    second = created(spec, "uploadListingImage",
                     api.post(path, files={"image": ("b.png", PNG)}, data={"rank": "2"}))
    assert (first["rank"], second["rank"]) == (1, 2)
    both = api.post(path, files={"image": ("c.png", PNG)},
                    data={"listing_image_id": str(first["listing_image_id"])})
    assert both.status_code == 400 and "not both" in both.json()["error"]
    assert api.post(path, data={"rank": "1"}).status_code == 400
    again = api.post(path, files={"image": ("a2.png", PNG)},
                     data={"rank": "1", "overwrite": "true"})
    assert again.status_code == 201
    assert len(sb.world.listing(listing["listing_id"]).images) == 2
    for entry in sb.calls("uploadListingImage"):
        if entry["status"] < 400:
            assert spec.validate_request("uploadListingImage", body=entry["body"],
                                         content_type=entry["content_type"]) == []
    gone = api.request("DELETE", f"{path}/{second['listing_image_id']}")
    assert gone.status_code == 204
    assert len(sb.world.listing(listing["listing_id"]).images) == 1


def test_activation_needs_image_complete_profile_and_return_policy(api, sb, shop_id):
    shop = sb.world.shops[shop_id]
    incomplete = shop.other_shipping_profiles[0]["shipping_profile_id"]
    listing = new_draft(api, sb, shop_id, shipping_profile_id=str(incomplete))
    path = f"/shops/{shop_id}/listings/{listing['listing_id']}"
    refused = api.request("PATCH", path, data={"state": "active"})
    assert "at least one image" in refused.json()["error"]
    api.post(f"{path}/images", files={"image": ("a.png", PNG)})
    refused = api.request("PATCH", path, data={"state": "active"})
    assert "shipping profile is incomplete" in refused.json()["error"]
    complete = shop.shipping_profile["shipping_profile_id"]
    refused = api.request("PATCH", path, data={"state": "active",
                                               "shipping_profile_id": str(complete)})
    assert "return_policy_id is required" in refused.json()["error"]
    policy = shop.return_policies[0]["return_policy_id"]
    done = api.request("PATCH", path, data={"state": "active", "shipping_profile_id": str(complete),
                                            "return_policy_id": str(policy)})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "active"


def test_eu_shop_activates_without_return_policy(sb, server):
    seller = sb.add_shop("Atelier", currency_code="EUR", country_iso="FR")
    api = Api(server.url, sb.issue_tokens(user_id=seller["user_id"])["access_token"])
    shop_id = seller["shop_id"]
    listing = new_draft(api, sb, shop_id)
    path = f"/shops/{shop_id}/listings/{listing['listing_id']}"
    api.post(f"{path}/images", files={"image": ("a.png", PNG)})
    assert api.request("PATCH", path, data={"state": "active"}).json()["state"] == "active"


def test_digital_listing_files_personalization_and_delete(spec, api, sb, shop_id):
    listing = new_draft(api, sb, shop_id, type="download", shipping_profile_id=None,
                        readiness_state_id=None)
    path = f"/shops/{shop_id}/listings/{listing['listing_id']}"
    file = created(spec, "uploadListingFile",
                   api.post(f"{path}/files", files={"file": ("pattern.pdf", b"%PDF-1.4")},
                            data={"name": "pattern.pdf"}))
    assert file["filename"] == "pattern.pdf" and file["size_bytes"] == 8
    question = {"question_text": "Personalization", "question_type": "text_input",
                "instructions": "Your name", "required": True, "max_allowed_characters": 20}
    body = created(spec, "updateListingPersonalization",
                   api.post(f"{path}/personalization", json={"personalization_questions":
                                                              [question]}))
    assert body["personalization_questions"][0]["instructions"] == "Your name"
    assert sb.world.listing(listing["listing_id"]).data["is_personalizable"]
    physical = new_draft(api, sb, shop_id)
    refused = api.post(f"/shops/{shop_id}/listings/{physical['listing_id']}/files",
                       files={"file": ("x.pdf", b"x")})
    assert refused.status_code == 400
    assert api.request("DELETE", f"/listings/{listing['listing_id']}").status_code == 204
    assert listing["listing_id"] not in sb.world.listings


def test_published_inventory_put_and_fault_injection(api, sb, shop_id):
    listing = new_draft(api, sb, shop_id)
    sb.inject_fault("uploadListingImage", status=500)
    path = f"/shops/{shop_id}/listings/{listing['listing_id']}/images"
    assert api.post(path, files={"image": ("a.png", PNG)}).status_code == 500
    assert sb.world.listing(listing["listing_id"]).images == []
