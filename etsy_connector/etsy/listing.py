"""Build what publishing a product sends to Etsy, from plain values (no Odoo, no network).

- :func:`listing_problems`: what Etsy would refuse, found before any call (title and tag rules,
  prices, quantities, SKUs, more than two varying attributes...), each with what to do.
- :func:`variation_properties`: the template's varying attributes as Etsy properties: the
  taxonomy's own property when it supports variations and every value matches one of its values
  by name, else the custom properties 513 and 514.
- :func:`draft_listing_fields`: the createDraftListing form body.
- :func:`inventory_body`: the updateListingInventory body, one product per variant, with the
  ``*_on_property`` arrays naming exactly the properties each field varies with.
- :func:`personalization_questions`: the updateListingPersonalization questions.
- :func:`payload_hash`: a stable digest of what is sent, so an unchanged listing costs no call.

Rules quoted from Etsy's OpenAPI document (createDraftListing) and API-NOTES "Listing export".
"""

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product as cartesian

from .inventory import MAX_QUANTITY
from .money import decimal_to_float_price

TITLE_MAX = 140
TAGS_MAX = 13
TAG_LENGTH_MAX = 20
MATERIALS_MAX = 13
MIN_PRICE = Decimal("0.20")
MAX_PRICE = Decimal(50000)
MAX_VARIATIONS = 2
MAX_IMAGES = 20
# Etsy's custom variation properties, for attributes the taxonomy has no property for.
CUSTOM_PROPERTY_IDS = (513, 514)
WHO_MADE = ("i_did", "someone_else", "collective")
WHEN_MADE = (
    "made_to_order", "2020_2026", "2010_2019", "2007_2009", "before_2007", "2000_2006", "1990s",
    "1980s", "1970s", "1960s", "1950s", "1940s", "1930s", "1920s", "1910s", "1900s", "1800s",
    "1700s", "before_1700",
)
LISTING_TYPES = ("physical", "download")
# The title may hold each of these once (createDraftListing.title).
TITLE_ONCE = "%:&+"
PERSONALIZATION_QUESTION = "Personalization"
PERSONALIZATION_MAX_CHARS = 1024


@dataclass
class VariantSpec:
    """One Odoo variant: its key (the Odoo id), SKU, price, quantity and attribute values."""

    key: object
    sku: str
    price: Decimal
    quantity: int
    values: dict = field(default_factory=dict)  # attribute name -> value name


@dataclass
class ListingSpec:
    """What a listing should be on Etsy, as plain values."""

    title: str
    description: str
    taxonomy_id: int
    who_made: str
    when_made: str
    is_supply: bool = False
    tags: list = field(default_factory=list)
    materials: list = field(default_factory=list)
    listing_type: str = "physical"
    shipping_profile_id: int = None
    return_policy_id: int = None
    readiness_state_id: int = None
    attributes: list = field(default_factory=list)  # varying attribute names, in order
    variants: list = field(default_factory=list)
    personalization: dict = None  # {instructions, required, max_chars} or None


@dataclass
class VariationProperty:
    """An attribute sent as an Etsy property: its id, name, scale and value ids by value."""

    attribute: str
    property_id: int
    property_name: str
    scale_id: int = None
    value_ids: dict = field(default_factory=dict)  # value name -> Etsy value id (or absent)

    @property
    def is_custom(self):
        return self.property_id in CUSTOM_PROPERTY_IDS


# --- what Etsy refuses -------------------------------------------------------------------------


def _allowed(text, categories, extra):
    return all(char in extra or unicodedata.category(char) in categories
               or unicodedata.category(char)[0] in categories for char in text)


def title_problems(title):
    """Problems of a title under Etsy's rules (1-140 characters, letters, numbers, punctuation,
    math symbols, spaces, ™ © ®; % : & + at most once each)."""
    title = title or ""
    problems = []
    if not title.strip():
        problems.append("The Etsy title is empty: set a title (or a product name).")
    elif len(title) > TITLE_MAX:
        problems.append(f"The Etsy title has {len(title)} characters: Etsy allows at most "
                        f"{TITLE_MAX}; shorten it.")
    if not _allowed(title, ("L", "Nd", "P", "Sm", "Zs"), "™©®"):
        problems.append("The Etsy title has characters Etsy refuses (only letters, numbers, "
                        "punctuation, math symbols, spaces, ™ © ®): remove them.")
    repeated = [char for char in TITLE_ONCE if title.count(char) > 1]
    if repeated:
        problems.append(f"The Etsy title uses {' '.join(repeated)} more than once: Etsy allows "
                        "each of % : & + once.")
    return problems


def tag_problems(tags):
    """Problems of a tag list (at most 13 tags of at most 20 letters, numbers, spaces, - ')."""
    problems = []
    if len(tags) > TAGS_MAX:
        problems.append(f"{len(tags)} Etsy tags: Etsy allows at most {TAGS_MAX}; remove some.")
    for tag in tags:
        if len(tag) > TAG_LENGTH_MAX:
            problems.append(f"The Etsy tag '{tag}' is longer than {TAG_LENGTH_MAX} characters: "
                            "shorten it.")
        if not _allowed(tag, ("L", "Nd", "Zs"), "-'™©®"):
            problems.append(f"The Etsy tag '{tag}' has characters Etsy refuses (only letters, "
                            "numbers, spaces, - and '): remove them.")
    return problems


def material_problems(materials):
    problems = []
    if len(materials) > MATERIALS_MAX:
        problems.append(f"{len(materials)} Etsy materials: Etsy allows at most {MATERIALS_MAX}.")
    for material in materials:
        if not _allowed(material, ("L", "Nd", "Zs"), ""):
            problems.append(f"The Etsy material '{material}' may hold only letters, numbers and "
                            "spaces: remove the other characters.")
    return problems


def listing_problems(spec):
    """Every problem Etsy would refuse ``spec`` for, each saying what to do (empty: fine)."""
    problems = title_problems(spec.title) + tag_problems(spec.tags)
    problems += material_problems(spec.materials)
    if not (spec.description or "").strip():
        problems.append("The Etsy description is empty: write one (Etsy requires it).")
    if not spec.taxonomy_id:
        problems.append("No Etsy category: choose one on the product's Etsy tab or as the "
                        "shop's default.")
    if spec.who_made not in WHO_MADE or spec.when_made not in WHEN_MADE:
        problems.append("'Who made it' and 'When was it made' are required: set them on the "
                        "product's Etsy tab or as the shop's defaults.")
    if spec.listing_type == "physical":
        if not spec.shipping_profile_id:
            problems.append("No shipping profile: choose one on the product's Etsy tab or as "
                            "the shop's default (read them with 'Refresh Etsy data').")
        if not spec.readiness_state_id:
            problems.append("No processing profile: choose one on the product's Etsy tab or as "
                            "the shop's default.")
    if len(spec.attributes) > MAX_VARIATIONS:
        problems.append(f"The product varies by {len(spec.attributes)} attributes "
                        f"({', '.join(spec.attributes)}): Etsy allows at most {MAX_VARIATIONS}. "
                        "Split it into several products.")
    problems += _variant_problems(spec)
    return problems


def _variant_problems(spec):
    problems = []
    variants = spec.variants
    if not variants:
        return ["The product has no variant to sell."]
    skus = [variant.sku for variant in variants]
    if any(not sku for sku in skus):
        problems.append("A variant has no internal reference: Etsy's SKU is the internal "
                        "reference, set one on every variant.")
    duplicated = sorted({sku for sku in skus if sku and skus.count(sku) > 1})
    if duplicated:
        problems.append(f"Duplicated internal reference(s) {', '.join(duplicated)}: each "
                        "variant needs its own.")
    for variant in variants:
        if variant.price is None or variant.price < MIN_PRICE:
            problems.append(f"The price of {variant.sku or 'a variant'} is below Etsy's minimum "
                            f"of {MIN_PRICE}: set a sales price.")
        elif variant.price > MAX_PRICE:
            problems.append(f"The price of {variant.sku} is above Etsy's maximum of {MAX_PRICE}.")
        if not 0 <= variant.quantity <= MAX_QUANTITY:
            problems.append(f"The quantity of {variant.sku} must be between 0 and {MAX_QUANTITY}.")
        for name, value in variant.values.items():
            if "(" in value or ")" in value:
                problems.append(f"The value '{value}' of {name} has parentheses, which Etsy "
                                "refuses in variations: rename it.")
    if spec.listing_type == "physical" and not any(v.quantity > 0 for v in variants):
        problems.append("No variant has stock in the shop's warehouse: Etsy refuses a listing "
                        "with nothing to sell.")
    return problems


def required_property_problems(taxonomy_properties, attributes):
    """Required taxonomy properties the product does not give (as a varying attribute)."""
    names = {name.casefold() for name in attributes}
    return [
        f"The Etsy category requires '{prop.get('display_name') or prop.get('name')}': add it "
        "as an attribute of the product or choose another category."
        for prop in taxonomy_properties or []
        if prop.get("is_required")
        and (prop.get("display_name") or prop.get("name") or "").casefold() not in names
        and (prop.get("name") or "").casefold() not in names
    ]


# --- variations ---------------------------------------------------------------------------------


def variation_properties(attributes, variants, taxonomy_properties):
    """``[VariationProperty]`` for the varying ``attributes`` (at most two).

    A taxonomy property is used when its name matches the attribute's, it supports variations
    and every value of the attribute is one of its possible values (by name, ignoring case);
    otherwise the attribute becomes a custom property (513, then 514) named after it.
    """
    by_name = {}
    for prop in taxonomy_properties or []:
        if prop.get("supports_variations"):
            for name in (prop.get("display_name"), prop.get("name")):
                if name:
                    by_name.setdefault(name.casefold(), prop)
    result, custom, used = [], list(CUSTOM_PROPERTY_IDS), set()
    for attribute in attributes[:MAX_VARIATIONS]:
        values = list(dict.fromkeys(v.values.get(attribute) for v in variants
                                    if v.values.get(attribute)))
        prop = by_name.get(attribute.casefold())
        matched = _match_values(prop, values) if prop and prop["property_id"] not in used else None
        if matched is not None:
            used.add(prop["property_id"])
            result.append(VariationProperty(attribute, prop["property_id"],
                                            prop.get("display_name") or prop.get("name"),
                                            matched[1], matched[0]))
        else:
            result.append(VariationProperty(attribute, custom.pop(0), attribute))
    return result


def _match_values(prop, values):
    """``(value ids by value, scale id)`` when every value is a possible value, else None."""
    possible = {(item.get("name") or "").casefold(): item
                for item in prop.get("possible_values") or []}
    ids, scale = {}, None
    for value in values:
        item = possible.get(value.casefold())
        if item is None:
            return None
        if item.get("value_id"):
            ids[value] = item["value_id"]
        scale = scale or item.get("scale_id")
    return ids, scale


def _varies_with(variants, properties, read):
    """The smallest list of properties (in order) that determines ``read(variant)``."""
    candidates = [[]] + [[prop] for prop in properties] + ([list(properties)]
                                                          if len(properties) > 1 else [])
    for subset in candidates:
        seen, consistent = {}, True
        for variant in variants:
            key = tuple(variant.values.get(prop.attribute) for prop in subset)
            if seen.setdefault(key, read(variant)) != read(variant):
                consistent = False
                break
        if consistent:
            return [prop.property_id for prop in subset]
    return [prop.property_id for prop in properties]


# --- bodies ----------------------------------------------------------------------------------


def _price(value):
    return decimal_to_float_price(Decimal(value))


def draft_listing_fields(spec):
    """The createDraftListing form fields (encode with the client: tags comma-joined once,
    booleans as true/false). who_made, when_made and is_supply always go together."""
    prices = [variant.price for variant in spec.variants] or [MIN_PRICE]
    quantity = sum(max(variant.quantity, 0) for variant in spec.variants)
    fields = {
        "quantity": min(max(quantity, 1), MAX_QUANTITY),
        "title": spec.title.strip(),
        "description": spec.description,
        "price": _price(min(prices)),
        "who_made": spec.who_made,
        "when_made": spec.when_made,
        "is_supply": bool(spec.is_supply),
        "taxonomy_id": int(spec.taxonomy_id),
        "tags": list(spec.tags) or None,
        "materials": list(spec.materials) or None,
        "type": spec.listing_type,
    }
    if spec.listing_type == "physical":
        fields.update(shipping_profile_id=spec.shipping_profile_id,
                      return_policy_id=spec.return_policy_id,
                      readiness_state_id=spec.readiness_state_id)
    return {key: value for key, value in fields.items() if value is not None}


def content_fields(spec):
    """The updateListing form fields for what Odoo owns on an existing listing."""
    return {
        "title": spec.title.strip(),
        "description": spec.description,
        "tags": list(spec.tags),
        "materials": list(spec.materials),
        "taxonomy_id": int(spec.taxonomy_id),
        "who_made": spec.who_made,
        "when_made": spec.when_made,
        "is_supply": bool(spec.is_supply),
    }


def inventory_body(spec, properties):
    """The updateListingInventory body: one product per variant.

    ``properties`` from :func:`variation_properties`. The ``*_on_property`` arrays name the
    properties each field varies with (none when it is the same for every variant).
    """
    digital = spec.listing_type == "download"
    products = []
    for variant in spec.variants:
        offering = {"price": _price(variant.price), "quantity": int(variant.quantity),
                    "is_enabled": True}
        if not digital:
            offering["readiness_state_id"] = int(spec.readiness_state_id)
        products.append({
            "sku": variant.sku,
            "property_values": [_property_value(prop, variant.values.get(prop.attribute))
                                for prop in properties],
            "offerings": [offering],
        })
    body = {
        "products": products,
        "price_on_property": _varies_with(spec.variants, properties, lambda v: v.price),
        "quantity_on_property": _varies_with(spec.variants, properties, lambda v: v.quantity),
        "sku_on_property": _varies_with(spec.variants, properties, lambda v: v.sku),
        "readiness_state_on_property": [],
    }
    return body


def _property_value(prop, value):
    value_id = prop.value_ids.get(value)
    out = {"property_id": prop.property_id, "property_name": prop.property_name,
           "values": [value], "value_ids": [value_id] if value_id else []}
    if prop.scale_id:
        out["scale_id"] = prop.scale_id
    return out


def personalization_questions(personalization):
    """updateListingPersonalization's questions: one text question, or none to turn it off."""
    if not personalization:
        return []
    question = {
        "question_text": PERSONALIZATION_QUESTION,
        "question_type": "text_input",
        "required": bool(personalization.get("required")),
        "max_allowed_characters": int(personalization.get("max_chars")
                                      or PERSONALIZATION_MAX_CHARS),
    }
    if personalization.get("instructions"):
        question["instructions"] = personalization["instructions"]
    return [question]


def variant_combinations(attribute_values):
    """Every combination of ``{attribute: [values]}`` as dicts (for tests and benchmarks)."""
    names = list(attribute_values)
    return [dict(zip(names, combo, strict=True))
            for combo in cartesian(*(attribute_values[name] for name in names))]


def payload_hash(*parts):
    """A stable digest of JSON-able ``parts`` (key order and float formatting fixed)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def split_words(text):
    """Tags or materials typed as one comma-separated text, cleaned (empty ones dropped)."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]
