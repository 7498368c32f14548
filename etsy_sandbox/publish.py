"""Publishing listings: createDraftListing, images, files, personalization, the seller taxonomy,
shipping profiles and return policies, with Etsy's rules and error strings.

Rules (Etsy's OpenAPI document, createDraftListing, and API-NOTES "Listing export"):

* required form fields quantity, title, description, price, who_made, when_made, taxonomy_id;
  who_made, when_made and is_supply go together (all or none, open-api #511);
* form arrays keep only the last value of a repeated key, so tags are one comma-joined value
  (open-api #291);
* title: 1-140 characters of letters, numbers, punctuation, math symbols, spaces, ™ © ®, with
  % : & + once each; tags: at most 13 of at most 20 letters, numbers, spaces, - ';
* price at least 0.20, quantity 1..999; a physical listing needs a shipping profile and a
  processing profile (`A readiness_state_id is required for physical listings.`);
* uploadListingImage takes an `image` file or a `listing_image_id`, not both; at most 20
  images; `rank` + `overwrite=true` replaces the image at that rank;
* activating (updateListing state=active) needs an image, a complete shipping profile (one with
  a destination) and, for a physical listing of a shop outside the EU, a return policy.
"""

import json
import unicodedata

from . import handlers, shapes
from .constants import ERR_READINESS, MAX_OFFERING_QUANTITY, MAX_PRICE, MIN_PRICE
from .errors import bad_request, forbidden, not_found
from .params import Param, parse_params

MAX_IMAGES = 20
MAX_TAGS = 13
MAX_TAG_LENGTH = 20
MAX_TITLE = 140
EU_COUNTRIES = frozenset((
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
))
DRAFT_FORM = (
    Param("quantity", "int", required=True),
    Param("title", "str", required=True),
    Param("description", "str", required=True),
    Param("price", "float", required=True),
    Param("who_made", "enum", choices=("i_did", "someone_else", "collective"), required=True),
    Param("when_made", "enum", choices=handlers.WHEN_MADE, required=True),
    Param("taxonomy_id", "int", minimum=1, required=True),
    Param("is_supply", "bool"),
    Param("shipping_profile_id", "int", minimum=1),
    Param("return_policy_id", "int", minimum=1),
    Param("readiness_state_id", "int", minimum=1),
    Param("materials", "str_list"),
    Param("tags", "str_list"),
    Param("type", "enum", default="physical", choices=("physical", "download", "both")),
    Param("should_auto_renew", "bool"),
    Param("is_taxable", "bool"),
)
IMAGE_FORM = (
    Param("listing_image_id", "int", minimum=1),
    Param("rank", "int", minimum=1),
    Param("overwrite", "bool", default=False),
    Param("alt_text", "str"),
)
FILE_FORM = (Param("listing_file_id", "int", minimum=1), Param("name", "str"),
             Param("rank", "int", minimum=1))

# The seller taxonomy: (id, parent id, name); properties per node below.
TAXONOMY = (
    (1, None, "Accessories"),
    (2078, 1, "Bags & Purses"),
    (2079, 2078, "Tote Bags"),
    (68887, None, "Clothing"),
    (449, 68887, "T-shirts"),
    (891, None, "Home & Living"),
    (1102, 891, "Candles"),
    (1250, 1, "Jewelry"),
    (1251, 1250, "Rings"),
    (6947, None, "Art & Collectibles"),
    (6948, 6947, "Digital Prints"),
)
COLORS = ("Black", "White", "Red", "Blue", "Green", "Yellow", "Beige", "Gray")
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
COLOR = {"property_id": 200, "name": "Primary color", "display_name": "Color",
         "supports_variations": True, "is_required": False, "values": COLORS, "scales": ()}
SIZE = {"property_id": 100, "name": "Size", "display_name": "Size",
        "supports_variations": True, "is_required": False, "values": SIZES,
        "scales": ((301, "Letter", "Letter sizes"),)}
RING_SIZE = {"property_id": 711, "name": "Ring size", "display_name": "Ring size",
             "supports_variations": True, "is_required": True,
             "values": ("5", "6", "7", "8", "9"), "scales": ((330, "US/Canada", ""),)}
HOLIDAY = {"property_id": 46803063641, "name": "Holiday", "display_name": "Holiday",
           "supports_variations": False, "is_required": False,
           "values": ("Christmas", "Easter"), "scales": ()}
PROPERTIES = {449: (COLOR, SIZE, HOLIDAY), 2079: (COLOR, HOLIDAY), 1102: (COLOR,),
              1251: (RING_SIZE, COLOR)}


# --- taxonomy ---------------------------------------------------------------------------------


def taxonomy_nodes():
    """The SellerTaxonomyNode tree (roots with their children, recursively)."""
    nodes = {node_id: {"id": node_id, "parent_id": parent, "name": name, "children": []}
             for node_id, parent, name in TAXONOMY}
    roots = []
    for node_id, parent, _name in TAXONOMY:
        node = nodes[node_id]
        path, cursor = [], node
        while cursor:
            path.insert(0, cursor["id"])
            cursor = nodes.get(cursor["parent_id"])
        node["level"] = len(path) - 1
        node["full_path_taxonomy_ids"] = path
        (nodes[parent]["children"] if parent else roots).append(node)
    return roots


def _property_json(world, prop):
    scale_id = prop["scales"][0][0] if prop["scales"] else None
    return {
        "property_id": prop["property_id"],
        "name": prop["name"],
        "display_name": prop["display_name"],
        "scales": [{"scale_id": sid, "display_name": name, "description": text}
                   for sid, name, text in prop["scales"]],
        "is_required": prop["is_required"],
        "supports_attributes": True,
        "supports_variations": prop["supports_variations"],
        "is_multivalued": False,
        "max_values_allowed": None,
        "possible_values": [
            {"value_id": world.value_id(prop["property_id"], value), "name": value,
             "scale_id": scale_id, "equal_to": []}
            for value in prop["values"]
        ],
        "selected_values": [],
    }


def get_seller_taxonomy_nodes(call):
    """GET /seller-taxonomy/nodes."""
    roots = taxonomy_nodes()
    return {"count": len(roots), "results": roots}


def get_properties_by_taxonomy_id(call, taxonomy_id):
    """GET /seller-taxonomy/nodes/{taxonomy_id}/properties."""
    if taxonomy_id not in {node_id for node_id, _parent, _name in TAXONOMY}:
        raise not_found(f"Taxonomy node {taxonomy_id} was not found.")
    results = [_property_json(call.world, prop) for prop in PROPERTIES.get(taxonomy_id, ())]
    return {"count": len(results), "results": results}


# --- shop settings --------------------------------------------------------------------------


def get_shop_shipping_profiles(call, shop_id):
    """GET /shops/{shop_id}/shipping-profiles."""
    profiles = call.owned_shop(shop_id).shipping_profiles()
    return {"count": len(profiles), "results": profiles}


def get_shop_return_policies(call, shop_id):
    """GET /shops/{shop_id}/policies/return (key only)."""
    policies = call.world.shop(shop_id).return_policies
    return {"count": len(policies), "results": policies}


# --- text rules -----------------------------------------------------------------------------


def _allowed(text, categories, extra):
    return all(c in extra or unicodedata.category(c)[0] in categories
               or unicodedata.category(c) in categories for c in text)


def check_title(title):
    """Etsy's title rule, as a 400."""
    if not 0 < len(title.strip()) <= MAX_TITLE:
        raise bad_request("There was a problem with /title : must be between 1 and 140 characters")
    if not _allowed(title, ("L", "Nd", "P", "Sm", "Zs"), "™©®"):
        raise bad_request("Title contains invalid characters.")
    for char in "%:&+":
        if title.count(char) > 1:
            raise bad_request(f"Title may contain the character {char} only once.")


def check_tags(tags):
    """At most 13 tags of at most 20 allowed characters."""
    if len(tags) > MAX_TAGS:
        raise bad_request(f"There was a problem with /tags : at most {MAX_TAGS} tags allowed")
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH or not _allowed(tag, ("L", "Nd", "Zs"), "-'™©®"):
            raise bad_request(f"Tag '{tag}' is invalid: at most {MAX_TAG_LENGTH} letters, "
                              "numbers, spaces, - or '.")


def _check_maker_fields(form):
    present = [name for name in ("who_made", "when_made", "is_supply") if name in form]
    if present and len(present) < 3:
        raise bad_request("who_made, when_made and is_supply must be provided together.")


# --- listings -------------------------------------------------------------------------------


def create_draft_listing(call, shop_id):
    """POST /shops/{shop_id}/listings (form): a draft listing with one product, no image."""
    shop = call.owned_shop(shop_id)
    form = call.request.form if call.request.mimetype == "application/x-www-form-urlencoded" else {}
    _check_maker_fields(form)
    fields = parse_params(form, DRAFT_FORM)
    check_title(fields["title"])
    check_tags(fields["tags"] or [])
    if not MIN_PRICE <= fields["price"] <= MAX_PRICE:
        raise bad_request(f"There was a problem with /price : must be between {MIN_PRICE:.2f} "
                          f"and {MAX_PRICE:.2f}")
    if not 1 <= fields["quantity"] <= MAX_OFFERING_QUANTITY:
        raise bad_request("There was a problem with /quantity : must be between 1 and "
                          f"{MAX_OFFERING_QUANTITY}")
    if fields["taxonomy_id"] not in {node_id for node_id, _parent, _name in TAXONOMY}:
        raise bad_request(f"taxonomy_id {fields['taxonomy_id']} is not a seller taxonomy node.")
    digital = fields["type"] == "download"
    if not digital:
        _check_physical(shop, fields)
    return call.world.create_draft_listing(shop_id, fields)


def _check_physical(shop, fields):
    if not fields["shipping_profile_id"]:
        raise bad_request("A shipping_profile_id is required for physical listings.")
    if fields["shipping_profile_id"] not in {
            p["shipping_profile_id"] for p in shop.shipping_profiles()}:
        raise bad_request(f"shipping_profile_id {fields['shipping_profile_id']} is not a "
                          "shipping profile of this shop.")
    if not fields["readiness_state_id"]:
        raise bad_request(ERR_READINESS)
    if fields["readiness_state_id"] not in {p["readiness_state_id"] for p in shop.readiness}:
        raise bad_request(f"readiness_state_id {fields['readiness_state_id']} is not a "
                          "processing profile of this shop.")
    policy = fields["return_policy_id"]
    if policy and policy not in {p["return_policy_id"] for p in shop.return_policies}:
        raise bad_request(f"return_policy_id {policy} is not a return policy of this shop.")


def _owned_listing(call, shop_id, listing_id):
    call.owned_shop(shop_id)
    record = call.world.listing(listing_id)
    if record.data["shop_id"] != shop_id:
        raise not_found(f"Listing {listing_id} does not belong to shop {shop_id}.")
    return record


def upload_listing_image(call, shop_id, listing_id):
    """POST .../images (multipart): an `image` file or a `listing_image_id`, not both."""
    record = _owned_listing(call, shop_id, listing_id)
    request = call.request
    if request.mimetype != "multipart/form-data":
        raise bad_request("Expected a multipart/form-data body.")
    fields = parse_params(request.form, IMAGE_FORM)
    upload = request.files.get("image")
    if upload is not None and fields["listing_image_id"]:
        raise bad_request("Provide either an image file or a listing_image_id, not both.")
    if upload is None and not fields["listing_image_id"]:
        raise bad_request("Missing input parameter: [image]")
    if upload is not None and not upload.read():
        raise bad_request("The image file is empty.")
    image_id = fields["listing_image_id"] or call.world.ids.next("image")
    if fields["listing_image_id"] and not any(i[0] == image_id for i in record.images):
        raise not_found(f"Listing image {image_id} was not found.")
    image = call.world.place_image(record, image_id, fields["rank"], fields["overwrite"])
    return shapes.image(listing_id, *image, call.base_url)


def delete_listing_image(call, shop_id, listing_id, listing_image_id):
    """DELETE .../images/{listing_image_id}."""
    record = _owned_listing(call, shop_id, listing_id)
    if not any(image[0] == listing_image_id for image in record.images):
        raise not_found(f"Listing image {listing_image_id} was not found.")
    call.world.remove_image(record, listing_image_id)


def upload_listing_file(call, shop_id, listing_id):
    """POST .../files (multipart): a file of a digital listing."""
    record = _owned_listing(call, shop_id, listing_id)
    if call.request.mimetype != "multipart/form-data":
        raise bad_request("Expected a multipart/form-data body.")
    if record.data["listing_type"] == "physical":
        raise bad_request("Files can only be added to a digital listing.")
    fields = parse_params(call.request.form, FILE_FORM)
    upload = call.request.files.get("file")
    if upload is None and not fields["listing_file_id"]:
        raise bad_request("Missing input parameter: [file]")
    content = upload.read() if upload is not None else b""
    name = fields["name"] or (upload.filename if upload is not None else "file")
    return call.world.add_listing_file(record, name, len(content), fields["rank"])


def update_listing_personalization(call, shop_id, listing_id):
    """POST .../personalization (JSON, full replace): one text_input question at most."""
    record = _owned_listing(call, shop_id, listing_id)
    try:
        body = json.loads(call.request.get_data(as_text=True) or "null")
    except ValueError:
        body = None
    if call.request.mimetype != "application/json" or not isinstance(body, dict):
        raise bad_request("Missing input parameter: [personalization_questions]")
    questions = body.get("personalization_questions")
    if not isinstance(questions, list):
        raise bad_request("Missing input parameter: [personalization_questions]")
    if len(questions) > 1:
        raise bad_request("Only a single personalization question is supported.")
    stored = []
    for question in questions:
        if question.get("question_type") != "text_input":
            raise bad_request("Only a text_input personalization question is supported.")
        if not 0 < len(question.get("question_text") or "") <= 45:
            raise bad_request("question_text must be between 1 and 45 characters.")
        block = shapes.personalization(call.world.ids.next("question"),
                                       question.get("instructions"),
                                       question.get("max_allowed_characters"))
        block["personalization_questions"][0].update(
            question_text=question["question_text"], required=bool(question.get("required")))
        stored = block["personalization_questions"]
    call.world.set_personalization(record, {"personalization_questions": stored})
    return {"personalization_questions": stored}


def delete_listing(call, listing_id):
    """DELETE /listings/{listing_id}."""
    record = call.world.listing(listing_id)
    if not call.owns_listing(record):
        raise forbidden(f"The authenticated user does not own listing {listing_id}.")
    call.world.delete_listing(listing_id)


def check_activation(world, record):
    """What Etsy checks before a draft or inactive listing goes active."""
    data = record.data
    if not record.images:
        raise bad_request("A listing needs at least one image before it can be activated.")
    if data["listing_type"] == "download":
        if not record.files:
            raise bad_request("A digital listing needs at least one file before it can be "
                              "activated.")
        return
    shop = world.shops[data["shop_id"]]
    profiles = {p["shipping_profile_id"]: p for p in shop.shipping_profiles()}
    profile = profiles.get(data["shipping_profile_id"])
    if not profile or not profile["shipping_profile_destinations"]:
        raise bad_request("The listing's shipping profile is incomplete: it needs at least one "
                          "destination before the listing can be activated.")
    if not data["return_policy_id"] and shop.data["shop_location_country_iso"] not in EU_COUNTRIES:
        raise bad_request("A return_policy_id is required to activate a physical listing.")



UPDATE_EXTRA_FORM = (
    Param("shipping_profile_id", "int", minimum=1),
    Param("return_policy_id", "int", minimum=1),
)


def update_listing(call, shop_id, listing_id):
    """PATCH /shops/{shop_id}/listings/{listing_id}: Etsy's text rules, the profiles, and the
    activation rules for a draft, then the plain update (`handlers.update_listing`)."""
    record = _owned_listing(call, shop_id, listing_id)
    form = call.request.form if call.request.mimetype == "application/x-www-form-urlencoded" else {}
    _check_maker_fields(form)
    extra = parse_params(form, UPDATE_EXTRA_FORM)
    if form.get("title") is not None:
        check_title(form["title"])
    if form.get("tags") is not None:
        check_tags(parse_params(form, (Param("tags", "str_list"),))["tags"])
    shop = call.world.shop(shop_id)
    if extra["shipping_profile_id"] and extra["shipping_profile_id"] not in {
            p["shipping_profile_id"] for p in shop.shipping_profiles()}:
        raise bad_request(f"shipping_profile_id {extra['shipping_profile_id']} is not a "
                          "shipping profile of this shop.")
    if extra["return_policy_id"] and extra["return_policy_id"] not in {
            p["return_policy_id"] for p in shop.return_policies}:
        raise bad_request(f"return_policy_id {extra['return_policy_id']} is not a return policy "
                          "of this shop.")
    changes = {key: value for key, value in extra.items() if value}
    if form.get("state") == "active" and record.data["state"] == "draft":
        pending = dict(record.data, **changes)
        check_activation(call.world, _Pending(pending, record))
    record.data.update(changes)
    return handlers.update_listing(call, shop_id, listing_id)


class _Pending:
    """A listing record as it will be once the update's other fields apply."""

    def __init__(self, data, record):
        self.data = data
        self.images = record.images
        self.files = record.files
