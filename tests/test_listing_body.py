"""etsy.listing: Etsy's limits before any call, the draft form and the inventory body."""

from decimal import Decimal

import pytest
from contract.openapi import load_spec
from etsy import encode_params
from etsy.listing import (
    ListingSpec,
    VariantSpec,
    content_fields,
    draft_listing_fields,
    inventory_body,
    listing_problems,
    payload_hash,
    personalization_questions,
    required_property_problems,
    tag_problems,
    title_problems,
    variant_combinations,
    variation_properties,
)

COLOR_PROPERTY = {
    "property_id": 200, "name": "Primary color", "display_name": "Color",
    "supports_variations": True, "is_required": False, "scales": [],
    "possible_values": [{"value_id": 1, "name": "Red", "scale_id": None},
                        {"value_id": 2, "name": "Blue", "scale_id": None},
                        {"value_id": 3, "name": "Green", "scale_id": None}],
}


def _spec(attributes=("Color", "Size"), colors=("Red", "Blue", "Green"), sizes=("S", "L"),
          price_by_size=True, **overrides):
    combos = variant_combinations({"Color": list(colors), "Size": list(sizes)})
    variants = []
    for index, values in enumerate(combos):
        price = Decimal("10.00") + (Decimal("2.50") if price_by_size and values["Size"] == "L"
                                    else 0)
        variants.append(VariantSpec(index, f"TS-{values['Color']}-{values['Size']}", price,
                                    index + 1, {k: values.get(k, "Cotton") for k in attributes}))
    values = {"title": "Linen tote bag", "description": "A tote.", "taxonomy_id": 1102,
              "who_made": "i_did", "when_made": "made_to_order", "tags": ["tote", "linen"],
              "materials": ["linen"], "shipping_profile_id": 55, "readiness_state_id": 77,
              "attributes": list(attributes), "variants": variants}
    values.update(overrides)
    return ListingSpec(**values)


def test_a_complete_spec_has_no_problem():
    assert listing_problems(_spec()) == []


@pytest.mark.parametrize("title, fragment", [
    ("", "empty"), ("x" * 141, "at most 140"), ("Bag ☺ smile", "characters Etsy refuses"),
    ("50% off 100% linen", "more than once"),
])
def test_title_rules(title, fragment):
    assert any(fragment in problem for problem in title_problems(title))


def test_title_with_allowed_symbols_passes():
    assert title_problems("Tote™ – 100% linen, 12\" + strap") == []


def test_tags_at_most_13_of_at_most_20_characters():
    assert tag_problems([f"tag{i}" for i in range(13)]) == []
    assert any("at most 13" in p for p in tag_problems([f"tag{i}" for i in range(14)]))
    assert any("longer than 20" in p for p in tag_problems(["a" * 21]))
    assert any("refuses" in p for p in tag_problems(["tote/bag"]))


def test_price_quantity_sku_and_variation_limits():
    spec = _spec()
    spec.variants[0].price = Decimal("0.19")
    spec.variants[1].quantity = 1000
    spec.variants[2].sku = ""
    spec.variants[3].sku = spec.variants[4].sku
    problems = "\n".join(listing_problems(spec))
    assert "minimum of 0.20" in problems
    assert "between 0 and 999" in problems
    assert "no internal reference" in problems
    assert "Duplicated internal reference" in problems
    spec = _spec(attributes=("Color", "Size", "Material"))
    assert any("at most 2" in p for p in listing_problems(spec))


def test_physical_needs_profiles_digital_does_not():
    spec = _spec(shipping_profile_id=None, readiness_state_id=None)
    problems = "\n".join(listing_problems(spec))
    assert "shipping profile" in problems and "processing profile" in problems
    assert listing_problems(_spec(shipping_profile_id=None, readiness_state_id=None,
                                  listing_type="download")) == []


def test_required_taxonomy_property_missing():
    prop = dict(COLOR_PROPERTY, is_required=True)
    assert required_property_problems([prop], ["Size"])
    assert required_property_problems([prop], ["Color"]) == []


def test_taxonomy_property_when_values_match_else_custom():
    spec = _spec()
    props = variation_properties(spec.attributes, spec.variants, [COLOR_PROPERTY])
    assert [(p.property_id, p.property_name) for p in props] == [(200, "Color"), (513, "Size")]
    assert props[0].value_ids == {"Red": 1, "Blue": 2, "Green": 3}
    # One value the taxonomy does not know: the attribute becomes custom.
    spec = _spec(colors=("Red", "Mauve"))
    props = variation_properties(spec.attributes, spec.variants, [COLOR_PROPERTY])
    assert [p.property_id for p in props] == [513, 514]


def test_inventory_body_one_product_per_variant_with_on_property_arrays():
    spec = _spec()
    props = variation_properties(spec.attributes, spec.variants, [COLOR_PROPERTY])
    body = inventory_body(spec, props)
    assert len(body["products"]) == 6
    assert [p["sku"] for p in body["products"]] == [v.sku for v in spec.variants]
    assert body["price_on_property"] == [513]  # price varies by size only
    assert body["quantity_on_property"] == [200, 513]
    assert body["sku_on_property"] == [200, 513]
    assert body["readiness_state_on_property"] == []
    first = body["products"][0]
    assert first["property_values"][0] == {"property_id": 200, "property_name": "Color",
                                           "values": ["Red"], "value_ids": [1]}
    assert first["offerings"] == [{"price": 10.0, "quantity": 1, "is_enabled": True,
                                   "readiness_state_id": 77}]
    same_price = inventory_body(_spec(price_by_size=False), props)
    assert same_price["price_on_property"] == []


def test_inventory_body_validates_against_the_spec():
    spec_doc = load_spec()
    if spec_doc is None:
        pytest.skip("Etsy's OpenAPI document is not available")
    spec = _spec()
    body = inventory_body(spec, variation_properties(spec.attributes, spec.variants, []))
    assert spec_doc.validate_request("updateListingInventory", body=body,
                                     content_type="application/json") == []
    form = encode_params(draft_listing_fields(spec))
    assert spec_doc.validate_request("createDraftListing", body=form,
                                     content_type="application/x-www-form-urlencoded") == []
    assert spec_doc.validate_request(
        "updateListingPersonalization", content_type="application/json",
        body={"personalization_questions": personalization_questions(
            {"instructions": "Name", "required": True, "max_chars": 30})}) == []


def test_draft_fields_tags_joined_once_and_all_three_maker_fields():
    form = encode_params(draft_listing_fields(_spec()))
    assert form["tags"] == "tote,linen"
    assert {"who_made", "when_made", "is_supply"} <= set(form)
    assert form["is_supply"] == "false"
    assert form["price"] == "10.0" and form["quantity"] == "21"
    digital = draft_listing_fields(_spec(listing_type="download"))
    assert "shipping_profile_id" not in digital and digital["type"] == "download"
    assert set(content_fields(_spec())) >= {"title", "description", "tags"}


def test_digital_inventory_has_no_readiness_state():
    spec = _spec(listing_type="download")
    body = inventory_body(spec, variation_properties(spec.attributes, spec.variants, []))
    assert "readiness_state_id" not in body["products"][0]["offerings"][0]


def test_payload_hash_is_stable_and_sensitive():
    spec = _spec()
    body = inventory_body(spec, variation_properties(spec.attributes, spec.variants, []))
    assert payload_hash(body) == payload_hash(dict(reversed(list(body.items()))))
    spec.variants[0].price = Decimal(11)
    changed = inventory_body(spec, variation_properties(spec.attributes, spec.variants, []))
    assert payload_hash(body) != payload_hash(changed)


def test_personalization_off_is_an_empty_list():
    assert personalization_questions(None) == []
    question = personalization_questions({"required": False, "max_chars": 0})[0]
    assert question["question_type"] == "text_input" and question["max_allowed_characters"]
