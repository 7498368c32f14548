"""The client's publishing calls: encodings (form / multipart / JSON) valid for Etsy's spec."""

from decimal import Decimal

import pytest
from etsy.errors import EtsyBadRequestError
from etsy.listing import (
    ListingSpec,
    VariantSpec,
    draft_listing_fields,
    inventory_body,
    personalization_questions,
    variant_combinations,
    variation_properties,
)

PUBLISH_OPERATIONS = {
    "getSellerTaxonomyNodes", "getPropertiesByTaxonomyId", "getShopShippingProfiles",
    "getShopReturnPolicies", "getShopReadinessStateDefinitions", "createDraftListing",
    "uploadListingImage", "updateListingInventory", "updateListingPersonalization",
    "updateListing", "deleteListingImage", "uploadListingFile", "deleteListing",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _spec(shop_id, client):
    profiles = client.get_shop_shipping_profiles(shop_id)
    readiness = client.get_shop_readiness_state_definitions(shop_id)
    policies = client.get_shop_return_policies(shop_id)
    variants = [VariantSpec(i, f"TS-{v['Color']}-{v['Size']}", Decimal(15) + i, 3, v)
                for i, v in enumerate(variant_combinations({"Color": ["Red", "Blue", "Mauve"],
                                                             "Size": ["S", "M"]}))]
    return ListingSpec(
        title="Organic cotton tee", description="Soft.", taxonomy_id=449, who_made="i_did",
        when_made="made_to_order", tags=["tee", "organic cotton"], materials=["cotton"],
        shipping_profile_id=profiles[0]["shipping_profile_id"],
        readiness_state_id=readiness[0]["readiness_state_id"],
        return_policy_id=policies[0]["return_policy_id"], attributes=["Color", "Size"],
        variants=variants, personalization={"instructions": "Name", "required": False,
                                            "max_chars": 20})


def test_publish_calls_are_valid_for_the_spec(spec, client, sandbox):
    shop_id = sandbox.seller["shop_id"]
    nodes = client.get_seller_taxonomy_nodes()
    assert nodes and nodes[0]["children"]
    properties = client.get_taxonomy_properties(449)
    listing_spec = _spec(shop_id, client)
    draft = client.create_draft_listing(shop_id, draft_listing_fields(listing_spec))
    listing_id = draft["listing_id"]
    first = client.upload_listing_image(shop_id, listing_id, image=PNG, filename="a.png", rank=1,
                                        overwrite=True)
    client.upload_listing_image(shop_id, listing_id, image=PNG, filename="b.png", rank=2,
                                overwrite=True)
    props = variation_properties(listing_spec.attributes, listing_spec.variants, properties)
    # Mauve is no taxonomy colour: Color becomes custom 513, Size is the taxonomy's Size.
    assert [p.property_id for p in props] == [513, 100]
    inventory = client.update_listing_inventory(listing_id, inventory_body(listing_spec, props))
    assert sorted(p["sku"] for p in inventory["products"]) == sorted(
        v.sku for v in listing_spec.variants)
    client.update_listing_personalization(
        shop_id, listing_id, personalization_questions(listing_spec.personalization))
    client.update_listing(shop_id, listing_id, state="active")
    client.delete_listing_image(shop_id, listing_id, first["listing_image_id"])
    digital = client.create_draft_listing(shop_id, draft_listing_fields(
        ListingSpec(**{**listing_spec.__dict__, "listing_type": "download",
                       "shipping_profile_id": None, "readiness_state_id": None})))
    client.upload_listing_file(shop_id, digital["listing_id"], b"%PDF-1.4", "pattern.pdf")
    client.delete_listing(digital["listing_id"])
    journal = [e for e in sandbox.journal if e["operation"] in PUBLISH_OPERATIONS]
    assert {e["operation"] for e in journal} == PUBLISH_OPERATIONS
    for entry in journal:
        assert entry["status"] < 400, entry
        problems = spec.validate_request(entry["operation"], query=entry["query"],
                                         body=entry["body"], content_type=entry["content_type"])
        assert problems == [], (entry["operation"], problems)
    assert next(e for e in journal if e["operation"] == "uploadListingImage")[
        "content_type"] == "multipart/form-data"


def test_image_or_id_never_both(client):
    with pytest.raises(ValueError):
        client.upload_listing_image(1, 2, image=PNG, listing_image_id=3)
    with pytest.raises(ValueError):
        client.upload_listing_image(1, 2)


def test_a_refused_draft_raises_with_etsys_reason(client, sandbox):
    shop_id = sandbox.seller["shop_id"]
    fields = draft_listing_fields(_spec(shop_id, client))
    fields["price"] = 0.1
    with pytest.raises(EtsyBadRequestError, match="/price"):
        client.create_draft_listing(shop_id, fields)
