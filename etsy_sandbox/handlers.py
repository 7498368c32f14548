"""Handlers of the Etsy operations the sandbox implements, one function per operationId.

Each takes a `Call` (the authenticated request) and the path parameters, runs under the world
lock and returns the JSON body (status 200) or raises `ApiError`.
"""

import json
import re
from dataclasses import dataclass

from . import views
from .constants import ERR_OFFSET, MAX_BATCH_IDS, MAX_OFFSET
from .errors import bad_request, forbidden, not_found
from .inventory import expected, validate_inventory
from .params import ASCENDING, LEGACY, LIMIT, OFFSET, SORT_ORDERS, Param, parse_params

TIMESTAMP_MIN = 946684800
RECEIPT_PARAMS = (
    Param("min_created", "int", minimum=TIMESTAMP_MIN),
    Param("max_created", "int", minimum=TIMESTAMP_MIN),
    Param("min_last_modified", "int", minimum=TIMESTAMP_MIN),
    Param("max_last_modified", "int", minimum=TIMESTAMP_MIN),
    LIMIT,
    OFFSET,
    Param("sort_on", "enum", default="created", choices=("created", "updated", "receipt_id")),
    Param("sort_order", "enum", default="desc", choices=SORT_ORDERS),
    Param("was_paid", "bool"),
    Param("was_shipped", "bool"),
    Param("was_delivered", "bool"),
    Param("was_canceled", "bool"),
    LEGACY,
)
LISTING_STATES = ("active", "inactive", "sold_out", "draft", "expired")
SHOP_LISTING_PARAMS = (
    Param("state", "enum", default="active", choices=LISTING_STATES),
    LIMIT,
    OFFSET,
    Param("sort_on", "enum", default="created", choices=("created", "price", "updated", "score")),
    Param("sort_order", "enum", default="desc", choices=SORT_ORDERS),
    Param("includes", "enum_list", default=(), choices=views.LISTING_INCLUDES),
)
WHEN_MADE = (
    "made_to_order",
    "2020_2026",
    "2010_2019",
    "2007_2009",
    "before_2007",
    "2000_2006",
    "1990s",
    "1980s",
    "1970s",
    "1960s",
    "1950s",
    "1940s",
    "1930s",
    "1920s",
    "1910s",
    "1900s",
    "1800s",
    "1700s",
    "before_1700",
)
UPDATE_LISTING_FORM = (
    Param("title", "str"),
    Param("description", "str"),
    Param("tags", "str_list"),
    Param("materials", "str_list"),
    Param("should_auto_renew", "bool"),
    Param("is_taxable", "bool"),
    Param("is_supply", "bool"),
    Param("who_made", "enum", choices=("i_did", "someone_else", "collective")),
    Param("when_made", "enum", choices=WHEN_MADE),
    Param("taxonomy_id", "int", minimum=1),
    Param("shop_section_id", "int", minimum=1),
    Param("featured_rank", "int"),
    Param("item_weight", "float", minimum=0),
    Param("item_length", "float", minimum=0),
    Param("item_width", "float", minimum=0),
    Param("item_height", "float", minimum=0),
    Param("item_weight_unit", "enum", choices=("oz", "lb", "g", "kg")),
    Param("item_dimensions_unit", "enum", choices=("in", "ft", "mm", "cm", "m", "yd", "inches")),
    Param("state", "enum", choices=("active", "inactive")),
)
SINGLE_INCLUDES = Param("includes", "enum_list", default=(), choices=views.SINGLE_LISTING_INCLUDES)
LISTING_IDS = Param("listing_ids", "int_list", required=True)
CREATE_SHIPMENT_FORM = (
    Param("tracking_code", "str"),
    Param("carrier_name", "str"),
    Param("send_bcc", "bool"),
    Param("note_to_buyer", "str"),
)
SHIPMENT_STRING_FIELDS = ("tracking_code", "carrier_name", "note_to_buyer")
COUNTRY_RE = re.compile(r"[A-Z]{2}\Z")
RECEIPT_SORT = {
    "created": "created_timestamp",
    "updated": "updated_timestamp",
    "receipt_id": "receipt_id",
}
LISTING_SORT = {
    "created": "created_timestamp",
    "updated": "updated_timestamp",
    "score": "created_timestamp",
}


@dataclass
class Call:
    """One authenticated Etsy request: the sandbox, the werkzeug request, app and token grant."""

    sandbox: object
    request: object
    app: object
    grant: object
    base_url: str
    repeat_receipt: bool = False

    @property
    def world(self):
        """The sandbox's world."""
        return self.sandbox.world

    @property
    def user_id(self):
        """The token's user, or None without a bearer token."""
        return self.grant.user_id if self.grant else None

    def query(self, params):
        """The typed query parameters."""
        return parse_params(self.request.args, params)

    def owned_shop(self, shop_id):
        """The shop, if the token's user owns it; 404 if unknown, 403 if someone else's."""
        shop = self.world.shop(shop_id)
        if shop.data["user_id"] != self.user_id:
            raise forbidden(f"The authenticated user does not own shop {shop_id}.")
        return shop

    def owns_listing(self, record):
        """True when the token's user owns the listing."""
        return self.user_id is not None and record.data["user_id"] == self.user_id


def paged(items, limit, offset):
    """Etsy's `{count, results}` slice; an offset beyond 12,000 is refused."""
    if offset > MAX_OFFSET:
        raise bad_request(ERR_OFFSET)
    return items[offset : offset + limit]


def ping(call):
    """GET /openapi-ping."""
    return {"application_id": call.app.application_id}


def token_scopes(call):
    """POST /scopes (form field `token`): the token's scopes. The spec's `Scopes` schema is an
    empty object, so the shape `{"scopes": [...]}` is the sandbox's guess."""
    fields = (
        call.request.form if call.request.mimetype == "application/x-www-form-urlencoded" else {}
    )
    token = parse_params(fields, (Param("token", "str", required=True),))["token"]
    grant = call.sandbox.tokens.check_access(token, call.app.keystring)
    return {"scopes": sorted(grant.scopes)}


def get_me(call):
    """GET /users/me: the token's user and their shop."""
    body = {"user_id": call.user_id}
    shop_id = call.world.shop_by_user.get(call.user_id)
    if shop_id is not None:
        body["shop_id"] = shop_id
    return body


def get_user(call, user_id):
    """GET /users/{user_id}: only yourself or a buyer of your shop; buyers' emails stay null."""
    world = call.world
    profile = world.users.get(user_id)
    if profile is None or not _linked(world, call.user_id, user_id):
        raise not_found(f"User with user_id {user_id} was not found.")
    if user_id != call.user_id:
        return dict(profile, primary_email=None)
    return profile


def _linked(world, viewer_id, user_id):
    if viewer_id == user_id:
        return True
    shop_id = world.shop_by_user.get(viewer_id)
    if shop_id is None:
        return False
    return any(
        world.receipts[r].data["buyer_user_id"] == user_id for r in world.shops[shop_id].receipt_ids
    )


def get_shop(call, shop_id):
    """GET /shops/{shop_id}."""
    return views.shop_json(call.world, shop_id)


def get_shop_by_owner(call, user_id):
    """GET /users/{user_id}/shops: a single Shop, 404 when the user has none."""
    shop_id = call.world.shop_by_user.get(user_id)
    if shop_id is None:
        raise not_found(f"User {user_id} does not have a shop.")
    return views.shop_json(call.world, shop_id)


def get_shop_receipts(call, shop_id):
    """GET /shops/{shop_id}/receipts with every filter, sort and page of the spec."""
    shop = call.owned_shop(shop_id)
    query = call.query(RECEIPT_PARAMS)
    world = call.world
    records = [world.receipts[r] for r in shop.receipt_ids]
    checks = _receipt_checks(query)
    if checks:
        records = [r for r in records if all(check(r) for check in checks)]
    key = RECEIPT_SORT[query["sort_on"]]
    records.sort(
        key=lambda r: (r.data[key], r.data["receipt_id"]),
        reverse=query["sort_order"] not in ASCENDING,
    )
    page = paged(records, query["limit"], query["offset"])
    if call.repeat_receipt:
        page = _repeat_receipt(records, page, query["offset"])
    return {"count": len(records), "results": [views.receipt_json(world, r) for r in page]}


def _receipt_checks(query):
    """One predicate per filter that is set (an unset filter does not filter)."""
    checks = []
    bounds = (
        ("min_created", "created_timestamp", False),
        ("max_created", "created_timestamp", True),
        ("min_last_modified", "updated_timestamp", False),
        ("max_last_modified", "updated_timestamp", True),
    )
    for name, field, is_max in bounds:
        limit = query[name]
        if limit is not None:
            checks.append(
                lambda r, f=field, v=limit, upper=is_max: (
                    (r.data[f] <= v) if upper else (r.data[f] >= v)
                )
            )
    flags = (
        ("was_paid", lambda r: r.data["is_paid"]),
        ("was_shipped", lambda r: r.data["is_shipped"]),
        ("was_delivered", lambda r: r.delivered),
        ("was_canceled", lambda r: r.data["status"] == "canceled"),
    )
    for name, flag in flags:
        if query[name] is not None:
            checks.append(lambda r, f=flag, wanted=query[name]: f(r) == wanted)
    return checks


def _repeat_receipt(records, page, offset):
    """The page starts with the last receipt of the previous page, as when a new order shifts
    the offsets between two calls (at offset 0 the first receipt is repeated at the end)."""
    if not page:
        return page
    if offset > 0:
        return [records[offset - 1]] + page[:-1]
    return page[:-1] + [page[0]] if len(page) > 1 else page + page


def get_shop_receipt(call, shop_id, receipt_id):
    """GET /shops/{shop_id}/receipts/{receipt_id}."""
    call.owned_shop(shop_id)
    call.query((LEGACY,))
    return views.receipt_json(call.world, call.world.receipt(shop_id, receipt_id))


def update_shop_receipt(call, shop_id, receipt_id):
    """PUT /shops/{shop_id}/receipts/{receipt_id}: form fields was_shipped / was_paid.

    A body in another encoding is silently ignored, as Etsy does (API-NOTES §11.6)."""
    call.owned_shop(shop_id)
    call.world.receipt(shop_id, receipt_id)
    fields = {"was_paid": None, "was_shipped": None}
    if call.request.mimetype == "application/x-www-form-urlencoded":
        fields = parse_params(
            call.request.form, (Param("was_paid", "bool"), Param("was_shipped", "bool"))
        )
    data = call.world.update_receipt(shop_id, receipt_id, **fields)
    return views.receipt_json(call.world, call.world.receipts[data["receipt_id"]])


def get_receipt_transactions(call, shop_id, receipt_id):
    """GET /shops/{shop_id}/receipts/{receipt_id}/transactions."""
    call.owned_shop(shop_id)
    transactions = call.world.receipt(shop_id, receipt_id).data["transactions"]
    return {"count": len(transactions), "results": transactions}


def get_shop_transactions(call, shop_id):
    """GET /shops/{shop_id}/transactions: limit/offset only, ordered by transaction_id."""
    shop = call.owned_shop(shop_id)
    query = call.query((LIMIT, OFFSET, LEGACY))
    world = call.world
    transactions = [t for r in shop.receipt_ids for t in world.receipts[r].data["transactions"]]
    transactions.sort(key=lambda t: t["transaction_id"])
    return {
        "count": len(transactions),
        "results": paged(transactions, query["limit"], query["offset"]),
    }


def get_shop_transaction(call, shop_id, transaction_id):
    """GET /shops/{shop_id}/transactions/{transaction_id}."""
    call.owned_shop(shop_id)
    record = call.world.transactions.get(transaction_id)
    if record is None or record.shop_id != shop_id:
        raise not_found(f"Transaction with transaction_id {transaction_id} was not found.")
    return next(t for t in record.data["transactions"] if t["transaction_id"] == transaction_id)


def create_receipt_shipment(call, shop_id, receipt_id):
    """POST /shops/{shop_id}/receipts/{receipt_id}/tracking, JSON (current spec) or form."""
    call.owned_shop(shop_id)
    call.world.receipt(shop_id, receipt_id)
    fields, encoding = _shipment_fields(call.request)
    data = call.world.create_shipment(shop_id, receipt_id, fields, encoding)
    return views.receipt_json(call.world, call.world.receipts[data["receipt_id"]])


def _shipment_fields(request):
    """Fields by Content-Type: a JSON string sent as a form loses its fields (open-api #201)."""
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError as exc:
            raise bad_request("The request body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise expected("array", "body", body)
        for name in SHIPMENT_STRING_FIELDS:
            if body.get(name) is not None and not isinstance(body[name], str):
                raise expected("string", name, body[name])
        if body.get("send_bcc") is not None and not isinstance(body["send_bcc"], bool):
            raise expected("bool", "send_bcc", body["send_bcc"])
        return body, "json"
    if request.mimetype == "application/x-www-form-urlencoded":
        return parse_params(request.form, CREATE_SHIPMENT_FORM), "form"
    return {}, "none"


def get_listings_by_shop(call, shop_id):
    """GET /shops/{shop_id}/listings: state filter, sort, page, includes."""
    shop = call.owned_shop(shop_id)
    query = call.query(SHOP_LISTING_PARAMS)
    world = call.world
    records = [world.listings[i] for i in shop.listing_ids]
    records = [r for r in records if r.data["state"] == query["state"]]
    if query["sort_on"] == "price":
        records.sort(key=lambda r: (r.data["price"]["amount"], r.data["listing_id"]))
    else:
        field = LISTING_SORT[query["sort_on"]]
        records.sort(key=lambda r: (r.data[field], r.data["listing_id"]))
    if query["sort_order"] not in ASCENDING:
        records.reverse()
    page = paged(records, query["limit"], query["offset"])
    return {
        "count": len(records),
        "results": [
            views.listing_json(
                world, r, includes=query["includes"], owner=True, base_url=call.base_url
            )
            for r in page
        ],
    }


def update_listing(call, shop_id, listing_id):
    """PATCH /shops/{shop_id}/listings/{listing_id}: form fields only (a JSON body is ignored,
    as Etsy ignores a body that does not match its encoding). Returns the ShopListing."""
    call.owned_shop(shop_id)
    fields = {}
    if call.request.mimetype == "application/x-www-form-urlencoded":
        fields = parse_params(call.request.form, UPDATE_LISTING_FORM)
    if fields.get("title") is not None and not 0 < len(fields["title"]) <= 140:
        raise bad_request("There was a problem with /title : must be between 1 and 140 characters")
    record = call.world.update_listing(shop_id, listing_id, fields)
    return views.listing_base(record, scoped=True)


def get_listing(call, listing_id):
    """GET /listings/{listing_id}; inactive, draft and expired listings are the owner's only."""
    query = call.query(
        (SINGLE_INCLUDES, Param("language", "str"), Param("allow_suggested_title", "bool"))
    )
    record = call.world.listing(listing_id)
    owner = call.owns_listing(record)
    if not owner and record.data["state"] not in ("active", "sold_out"):
        raise not_found(f"Listing with listing_id {listing_id} was not found.")
    return views.listing_json(
        call.world, record, includes=query["includes"], owner=owner, base_url=call.base_url
    )


def get_listings_by_ids(call):
    """GET /listings/batch: up to 100 ids; unknown ids are left out."""
    query = call.query(
        (
            LISTING_IDS,
            SINGLE_INCLUDES,
            LEGACY,
            Param("currency", "str"),
            Param("buyer_country", "str"),
        )
    )
    ids = _batch_ids(query["listing_ids"])
    world = call.world
    records = [world.listings[i] for i in ids if i in world.listings]
    return {
        "count": len(records),
        "results": [
            views.listing_json(
                world,
                r,
                includes=query["includes"],
                owner=call.owns_listing(r),
                scoped=False,
                base_url=call.base_url,
            )
            for r in records
        ],
    }


def _batch_ids(ids):
    if len(ids) > MAX_BATCH_IDS:
        raise bad_request(f"The value for 'listing_ids' must contain at most {MAX_BATCH_IDS} ids.")
    return list(dict.fromkeys(ids))


def get_listing_inventory(call, listing_id):
    """GET /listings/{listing_id}/inventory; SKUs only for the owner."""
    query = call.query(
        (
            Param("show_deleted", "bool", default=False),
            Param("includes", "enum", choices=("Listing",)),
        )
    )
    record = call.world.listing(listing_id)
    return views.inventory_json(
        record,
        owner=call.owns_listing(record),
        show_deleted=query["show_deleted"],
        with_listing=query["includes"] == "Listing",
    )


def get_inventories_by_ids(call):
    """GET /listings/batch/inventory: all ids must exist, else 404 for the whole call."""
    ids = _batch_ids(call.query((LISTING_IDS,))["listing_ids"])
    world = call.world
    missing = [i for i in ids if i not in world.listings]
    if missing:
        raise not_found(f"Listings not found: {','.join(str(i) for i in missing)}")
    records = [world.listings[i] for i in ids]
    return {
        "count": len(records),
        "results": [
            views.listing_json(
                world,
                r,
                includes=("Inventory",),
                owner=call.owns_listing(r),
                scoped=False,
                base_url=call.base_url,
            )
            for r in records
        ],
    }


def update_listing_inventory(call, listing_id):
    """PUT /listings/{listing_id}/inventory: JSON only, strict, a full replace."""
    query = call.query((Param("max_variations_supported", "enum", choices=("2", "3")),))
    world = call.world
    record = world.listing(listing_id)
    if not call.owns_listing(record):
        raise forbidden(f"The authenticated user does not own listing {listing_id}.")
    body = None
    if call.request.mimetype == "application/json":
        try:
            body = json.loads(call.request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
    shop = world.shops[record.data["shop_id"]]
    products, arrays = validate_inventory(
        body,
        digital=record.data["listing_type"] == "download",
        readiness_ids={p["readiness_state_id"] for p in shop.readiness},
        max_properties=int(query["max_variations_supported"] or 2),
    )
    record = world.replace_inventory(listing_id, products, arrays)
    return views.inventory_json(record, owner=True)


def get_readiness_definitions(call, shop_id):
    """GET /shops/{shop_id}/readiness-state-definitions."""
    shop = call.owned_shop(shop_id)
    query = call.query((LIMIT, OFFSET))
    return {
        "count": len(shop.readiness),
        "results": paged(shop.readiness, query["limit"], query["offset"]),
    }


def get_shipping_carriers(call):
    """GET /shipping-carriers?origin_country_iso=XX."""
    country = call.query((Param("origin_country_iso", "str", required=True),))["origin_country_iso"]
    if not COUNTRY_RE.match(country):
        raise bad_request(f"Invalid value '{country}' for 'origin_country_iso'.")
    carriers = CARRIERS.get(country, CARRIERS["default"])
    results = [
        {
            "shipping_carrier_id": carrier_id,
            "name": name,
            "domestic_classes": [{"mail_class_key": key, "name": label} for key, label in domestic],
            "international_classes": [
                {"mail_class_key": key, "name": label} for key, label in international
            ],
        }
        for carrier_id, name, domestic, international in carriers
    ]
    return {"count": len(results), "results": results}


CARRIERS = {
    "US": [
        (
            1,
            "USPS",
            [("usps_ground_advantage", "Ground Advantage"), ("usps_priority", "Priority Mail")],
            [("usps_first_class_international", "First-Class Package International")],
        ),
        (2, "UPS", [("ups_ground", "Ground")], [("ups_worldwide_saver", "Worldwide Saver")]),
        (
            3,
            "FedEx",
            [("fedex_home_delivery", "Home Delivery")],
            [("fedex_international_economy", "International Economy")],
        ),
    ],
    "GB": [
        (
            10,
            "Royal Mail",
            [("royal_mail_tracked_48", "Tracked 48")],
            [("royal_mail_international_tracked", "International Tracked")],
        )
    ],
    "DE": [
        (20, "DHL", [("dhl_paket", "Paket")], [("dhl_paket_international", "Paket International")]),
        (21, "Deutsche Post", [("deutsche_post_brief", "Brief")], []),
    ],
    "default": [(99, "Other", [("other", "Other")], [("other", "Other")])],
}


LEDGER_PARAMS = (
    Param("min_created", "int", minimum=TIMESTAMP_MIN, required=True),
    Param("max_created", "int", minimum=TIMESTAMP_MIN, required=True),
    LIMIT,
    OFFSET,
)


def get_ledger_entries(call, shop_id):
    """GET /shops/{shop_id}/payment-account/ledger-entries: a window of at most 31 days."""
    call.owned_shop(shop_id)
    query = call.query(LEDGER_PARAMS)
    entries = call.world.ledger.list_entries(shop_id, query["min_created"], query["max_created"])
    page = paged(entries, query["limit"], query["offset"])
    return {"count": len(entries), "results": page}


def get_payments(call, shop_id):
    """GET /shops/{shop_id}/payments?payment_ids=...: the shop's payments among the ids."""
    return _payments_by_ids(call, shop_id, "payment_ids", call.world.ledger.payments_of)


def get_ledger_entry_payments(call, shop_id):
    """GET /shops/{shop_id}/payment-account/ledger-entries/payments?ledger_entry_ids=..."""
    return _payments_by_ids(call, shop_id, "ledger_entry_ids",
                            call.world.ledger.payments_of_entries)


def _payments_by_ids(call, shop_id, name, payments_of):
    """The shop's payments found by `payments_of` for the ids of query parameter `name` (at
    most MAX_BATCH_IDS of them)."""
    call.owned_shop(shop_id)
    ids = call.query((Param(name, "int_list", required=True),))[name]
    if len(ids) > MAX_BATCH_IDS:
        raise bad_request(f"The value for '{name}' must contain at most {MAX_BATCH_IDS} ids.")
    payments = payments_of(shop_id, ids)
    return {"count": len(payments), "results": payments}
