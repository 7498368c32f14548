"""The in-memory Etsy world behind the sandbox: apps, users, shops, listings, inventories, receipts.

Everything is guarded by one re-entrant lock (`World.lock`); the WSGI app holds it while a
handler runs and while the answer is serialised, so a response is always a consistent snapshot.

Behaviour chosen where Etsy's rules are not written down (each choice follows the evidence):

* **Sold out.** A listing becomes `sold_out` only when buyers take its last unit (Etsy staff,
  open-api #560: "The only other way to zero inventory is for the product to actually sell out on
  Etsy.com"). `updateListingInventory` refuses an inventory where no enabled offering has stock
  (`One offering must have quantity greater than 0`, open-api #395/#560/#501), so a connector
  cannot push a listing to 0 - it must deactivate it or keep one unit.
* **Restocking a sold-out listing does not reactivate it.** The inventory PUT succeeds and the
  quantity changes, but the state stays `sold_out` (open-api #247: "We can update inventory for
  such listing but listing still has 'sold out' state"); the seller has to renew it, which costs
  a listing fee. `World.renew_listing` simulates that renewal ("Setting a sold_out listing to
  active will update the quantity to 1 and renew the listing", spec ShopListing.state).
* **Listing quantity.** The spec says the listing quantity "is the sum of available offering
  quantities". With `quantity_on_property` empty the products share one stock (Etsy shows a
  single quantity field), so each group of products that share a quantity counts once, and a
  purchase lowers every product of its group. With quantity varying per product this is exactly
  the sum of the enabled offerings.
* **Ids change on every inventory PUT.** New `product_id`/`offering_id` values are issued each
  time (open-api #432, #523); connectors must match products by SKU or property values.
* **Money.** total_price = sum(price x quantity); subtotal = total_price - discount_amt;
  grandtotal = subtotal + total_shipping_cost + total_tax_cost + total_vat_cost + gift_wrap_price.
  The spec only says "plus tax and shipping"; VAT is kept out of total_tax_cost (real payloads
  show the two separately) and gift wrap is charged to the buyer, so both are added.
* **Timestamps.** A receipt's updated_timestamp moves when it is paid, shipped or edited, but
  not on cancellation or refund (API-NOTES §11.5: min_last_modified misses them).
  A cancellation does not restock the listing.
"""

import itertools
import threading
import time
from dataclasses import dataclass, field

from . import shapes
from .constants import (
    ACCESS_TOKEN_LIFETIME,
    DEFAULT_APPLICATION_ID,
    DEFAULT_PER_DAY,
    DEFAULT_PER_SECOND,
    ERR_TRACKING,
)
from .errors import ApiError, bad_request, not_found
from .ledger import Ledger

DAY_SECONDS = 86400
LISTING_LIFETIME = 120 * DAY_SECONDS
SALES_TAX = {"CA": 0.0725, "NY": 0.04, "TX": 0.0625, "WA": 0.065, "IL": 0.0625, "FL": 0.06}
DEFAULT_SALES_TAX = 0.05
VAT = {
    "GB": 0.20,
    "DE": 0.19,
    "FR": 0.20,
    "IT": 0.22,
    "ES": 0.21,
    "NL": 0.21,
    "GR": 0.24,
    "IE": 0.23,
    "AT": 0.20,
}
RECEIPT_STATUSES = (
    "paid",
    "completed",
    "open",
    "payment processing",
    "canceled",
    "fully refunded",
    "partially refunded",
)
_ID_STARTS = {
    "user": (781234560, 7),
    "shop": (40213578, 11),
    "listing": (1561234501, 17),
    "product": (11230000001, 3),
    "offering": (12340000001, 3),
    "receipt": (3312345601, 13),
    "transaction": (4123456701, 7),
    "shipment": (1301234567001, 19),
    "image": (5512345601, 5),
    "readiness": (1402345601, 1),
    "value": (52000000001, 9),
    "question": (1700000001, 1),
    "shipping_profile": (208189665801, 1),
    "return_policy": (1254367801, 1),
    "listing_file": (1900000001, 3),
    "destination": (300000001, 1),
    "ledger": (91234501, 1),
    "ledger_entry": (7712345001, 3),
    "payment": (2212345601, 11),
    "adjustment": (6612345001, 5),
    "disbursement": (8812345001, 7),
    "address": (1912345601, 3),
}


class Ids:
    """Deterministic id sequences, one per kind, shaped like Etsy's (long, not consecutive)."""

    def __init__(self):
        self._counters = {
            kind: itertools.count(start, step) for kind, (start, step) in _ID_STARTS.items()
        }

    def next(self, kind):
        """The next id of `kind`."""
        return next(self._counters[kind])


@dataclass
class App:
    """A registered Etsy app; `allow_loopback` accepts any http://127.0.0.1|localhost redirect."""

    keystring: str
    shared_secret: str
    name: str
    application_id: int
    redirect_uris: list
    allow_loopback: bool = False

    def __repr__(self):
        return f"App(keystring=<hidden>, name={self.name!r})"


@dataclass
class Inventory:
    """A listing's inventory in GET shape, plus the products a PUT deleted (for show_deleted)."""

    products: list
    price_on_property: list
    quantity_on_property: list
    sku_on_property: list
    readiness_state_on_property: list
    deleted: list = field(default_factory=list)


@dataclass
class ListingRecord:
    """A listing: its ShopListing fields, inventory, image stubs and personalization block."""

    data: dict
    inventory: Inventory
    images: list
    personalization: dict | None
    skus: list = field(default_factory=list)
    files: list = field(default_factory=list)  # ShopListingFile dicts of a digital listing


@dataclass
class ShopRecord:
    """A shop with its processing profiles, shipping profile and owned ids in creation order."""

    data: dict
    readiness: list
    shipping_profile: dict
    listing_ids: list = field(default_factory=list)
    receipt_ids: list = field(default_factory=list)
    # Publishing: the other shipping profiles (an incomplete one, with no destination) and the
    # return policies.
    other_shipping_profiles: list = field(default_factory=list)
    return_policies: list = field(default_factory=list)

    def shipping_profiles(self):
        """Every shipping profile of the shop, the default one first."""
        return [self.shipping_profile, *self.other_shipping_profiles]


@dataclass
class ReceiptRecord:
    """A receipt in API shape plus what Etsy tracks but does not return."""

    data: dict
    shop_id: int
    delivered: bool = False
    notifications: int = 0
    bcc_notifications: int = 0
    shipment_encodings: list = field(default_factory=list)


class World:
    """All sandbox state; every public method takes the lock itself."""

    def __init__(self, clock=None):
        self.lock = threading.RLock()
        self._clock = clock or time.time
        self.clock_offset = 0.0
        self.ids = Ids()
        self.apps = {}
        self.users = {}
        self.shops = {}
        self.shop_by_user = {}
        self.listings = {}
        self.receipts = {}
        self.transactions = {}
        self.readiness = {}
        self.value_ids = {}
        self.per_second = DEFAULT_PER_SECOND
        self.per_day = DEFAULT_PER_DAY
        self.access_token_lifetime = ACCESS_TOKEN_LIFETIME
        self.auto_approve = False
        self.receipt_status_style = "spec"
        self.logged_in_user_id = None
        self.buyer_names = itertools.count(1)
        self.seed_listings = {}
        self.seed_receipts = {}
        # Called as on_event(shop_id, event_type, receipt_id) for Etsy's webhook events.
        self.on_event = None
        self.ledger = Ledger(self)

    # -- time -------------------------------------------------------------------------------

    def now_float(self):
        """Seconds since the epoch on the sandbox clock (the real clock plus `advance`)."""
        return self._clock() + self.clock_offset

    def now(self):
        """Integer epoch seconds, as every Etsy timestamp."""
        return int(self.now_float())

    def advance(self, seconds):
        """Move the sandbox clock forward (tokens and codes expire, windows move)."""
        with self.lock:
            self.clock_offset += seconds

    # -- apps, users, shops ------------------------------------------------------------------

    def register_app(
        self, keystring, shared_secret, redirect_uris=(), name=None, allow_loopback=False
    ):
        """Register (or replace) an app; returns it."""
        with self.lock:
            app = App(
                keystring,
                shared_secret,
                name or f"App {len(self.apps) + 1}",
                DEFAULT_APPLICATION_ID + len(self.apps),
                list(redirect_uris),
                allow_loopback,
            )
            self.apps[keystring] = app
            return app

    def add_user(self, first_name, last_name, email=None):
        """A new Etsy user (seller or buyer); returns the user_id."""
        with self.lock:
            user_id = self.ids.next("user")
            self.users[user_id] = shapes.user(user_id, first_name, last_name, email)
            return user_id

    def add_shop(
        self,
        shop_name,
        currency_code="USD",
        country_iso="US",
        first_name="Shop",
        last_name="Owner",
        email=None,
        created=None,
    ):
        """A seller with a shop, two processing profiles and a shipping profile."""
        with self.lock:
            created = created or self.now()
            user_id = self.add_user(first_name, last_name, email)
            shop_id = self.ids.next("shop")
            data = shapes.shop(
                shop_id, user_id, shop_name, shop_name.lower(), currency_code, country_iso, created
            )
            readiness = [
                self._add_readiness(shop_id, "ready_to_ship", 1, 2),
                self._add_readiness(shop_id, "made_to_order", 3, 5),
            ]
            profile = shapes.shipping_profile(
                self.ids.next("shipping_profile"),
                user_id,
                country_iso,
                currency_code,
                [
                    (self.ids.next("destination"), country_iso, 599, 199),
                    (self.ids.next("destination"), None, 1499, 499),
                ],
            )
            self.shops[shop_id] = ShopRecord(data, readiness, profile)
            self._add_publish_settings(self.shops[shop_id])
            self.shop_by_user[user_id] = shop_id
            if self.logged_in_user_id is None:
                self.logged_in_user_id = user_id
            return {"user_id": user_id, "shop_id": shop_id}

    def _add_publish_settings(self, shop):
        """An incomplete shipping profile (no destination) and a return policy."""
        data = shop.data
        incomplete = shapes.shipping_profile(
            self.ids.next("shipping_profile"), data["user_id"], data["shop_location_country_iso"],
            data["currency_code"], [])
        incomplete["title"] = "Draft profile (no destination)"
        shop.other_shipping_profiles.append(incomplete)
        shop.return_policies.append({
            "return_policy_id": self.ids.next("return_policy"), "shop_id": data["shop_id"],
            "accepts_returns": True, "accepts_exchanges": True, "return_deadline": 30})

    def _add_readiness(self, shop_id, state, min_days, max_days):
        profile = shapes.processing_profile(
            shop_id, self.ids.next("readiness"), state, min_days, max_days
        )
        self.readiness[profile["readiness_state_id"]] = profile
        return profile

    def shop(self, shop_id):
        """The ShopRecord or a 404."""
        record = self.shops.get(shop_id)
        if record is None:
            raise not_found(f"Shop with shop_id {shop_id} was not found.")
        return record

    def listing(self, listing_id):
        """The ListingRecord or a 404."""
        record = self.listings.get(listing_id)
        if record is None:
            raise not_found(f"Listing with listing_id {listing_id} was not found.")
        return record

    def receipt(self, shop_id, receipt_id):
        """The ReceiptRecord of that shop or a 404."""
        record = self.receipts.get(receipt_id)
        if record is None or record.shop_id != shop_id:
            raise not_found(f"Receipt with receipt_id {receipt_id} was not found.")
        return record

    def value_id(self, property_id, value):
        """A stable value id for a property value (taxonomy or the shop's custom ones)."""
        key = (property_id, value)
        if key not in self.value_ids:
            self.value_ids[key] = self.ids.next("value")
        return self.value_ids[key]

    # -- listings and inventory ----------------------------------------------------------------

    def add_listing(
        self,
        shop_id,
        *,
        title,
        products,
        description="",
        state="active",
        listing_type="physical",
        price_on_property=(),
        quantity_on_property=(),
        sku_on_property=(),
        readiness_state_on_property=(),
        tags=(),
        materials=(),
        personalization_instructions=None,
        created=None,
        image_count=2,
        taxonomy_id=1102,
        file_data="",
    ):
        """Create a listing from product specs (see `_product_from_spec`); returns listing_id."""
        with self.lock:
            shop = self.shop(shop_id)
            created = created or self.now()
            listing_id = self.ids.next("listing")
            digital = listing_type == "download"
            default_readiness = None if digital else shop.readiness[0]["readiness_state_id"]
            inventory = Inventory(
                [self._product_from_spec(spec, shop, default_readiness) for spec in products],
                list(price_on_property),
                list(quantity_on_property),
                list(sku_on_property),
                list(readiness_state_on_property),
            )
            images = [(self.ids.next("image"), rank, created) for rank in range(1, image_count + 1)]
            personalization = None
            if personalization_instructions:
                personalization = shapes.personalization(
                    self.ids.next("question"), personalization_instructions, 40
                )
            data = self._listing_data(
                shop,
                listing_id,
                title,
                description,
                state,
                listing_type,
                tags,
                materials,
                taxonomy_id,
                file_data,
                created,
            )
            data["is_personalizable"] = personalization is not None
            record = ListingRecord(data, inventory, images, personalization)
            self.listings[listing_id] = record
            shop.listing_ids.append(listing_id)
            self._refresh_listing(record, touched=created)
            return listing_id

    def _product_from_spec(self, spec, shop, default_readiness):
        """spec: sku, properties [(property_id, name, value)], price (minor), quantity, enabled."""
        currency = shop.data["currency_code"]
        return {
            "product_id": self.ids.next("product"),
            "sku": spec.get("sku") or "",
            "is_deleted": False,
            "offerings": [
                {
                    "offering_id": self.ids.next("offering"),
                    "quantity": spec["quantity"],
                    "is_enabled": spec.get("enabled", True),
                    "is_deleted": False,
                    "price": shapes.money(spec["price"], currency),
                    "readiness_state_id": spec.get("readiness_state_id", default_readiness),
                }
            ],
            "property_values": [
                {
                    "property_id": pid,
                    "property_name": name,
                    "scale_id": None,
                    "scale_name": None,
                    "value_ids": [self.value_id(pid, value)],
                    "values": [value],
                }
                for pid, name, value in spec.get("properties", ())
            ],
        }

    def _listing_data(
        self,
        shop,
        listing_id,
        title,
        description,
        state,
        listing_type,
        tags,
        materials,
        taxonomy_id,
        file_data,
        created,
    ):
        digital = listing_type == "download"
        slug = "-".join(title.lower().split())[:60]
        return {
            "listing_id": listing_id,
            "user_id": shop.data["user_id"],
            "shop_id": shop.data["shop_id"],
            "title": title,
            "description": description,
            "rich_description": None,
            "state": state,
            "creation_timestamp": created,
            "created_timestamp": created,
            "ending_timestamp": created + LISTING_LIFETIME,
            "original_creation_timestamp": created,
            "last_modified_timestamp": created,
            "updated_timestamp": created,
            "state_timestamp": created,
            "quantity": 0,
            "shop_section_id": None,
            "featured_rank": -1,
            "url": f"https://www.etsy.com/listing/{listing_id}/{slug}",
            "num_favorers": 0,
            "non_taxable": False,
            "is_taxable": True,
            "is_customizable": False,
            "is_personalizable": False,
            "listing_type": listing_type,
            "tags": list(tags),
            "materials": list(materials),
            "shipping_profile_id": None
            if digital
            else shop.shipping_profile["shipping_profile_id"],
            "return_policy_id": None,
            "processing_min": None,
            "processing_max": None,
            "who_made": "i_did",
            "when_made": "made_to_order",
            "is_supply": False,
            "item_weight": None if digital else 12.0,
            "item_weight_unit": None if digital else "oz",
            "item_length": None if digital else 4.0,
            "item_width": None if digital else 4.0,
            "item_height": None if digital else 4.5,
            "item_dimensions_unit": None if digital else "in",
            "is_private": False,
            "style": [],
            "file_data": file_data,
            "has_variations": False,
            "should_auto_renew": True,
            "language": "en-US",
            "price": shapes.money(0, shop.data["currency_code"]),
            "converted_price": None,
            "taxonomy_id": taxonomy_id,
            "readiness_state_id": None,
            "suggested_title": None,
        }

    def _refresh_listing(self, record, touched):
        """Recompute quantity, price, variations, SKUs, processing days; maybe sell out."""
        data, inventory = record.data, record.inventory
        enabled = [p for p in inventory.products if p["offerings"][0]["is_enabled"]]
        data["quantity"] = listing_quantity(inventory)
        prices = [p["offerings"][0]["price"]["amount"] for p in enabled] or [0]
        data["price"] = shapes.money(min(prices), data["price"]["currency_code"])
        data["has_variations"] = any(p["property_values"] for p in inventory.products)
        record.skus = list(dict.fromkeys(p["sku"] for p in inventory.products if p["sku"]))
        readiness_id = inventory.products[0]["offerings"][0]["readiness_state_id"]
        data["readiness_state_id"] = readiness_id
        profile = self.readiness.get(readiness_id)
        data["processing_min"] = profile["min_processing_days"] if profile else None
        data["processing_max"] = profile["max_processing_days"] if profile else None
        if touched is not None:
            data["updated_timestamp"] = data["last_modified_timestamp"] = touched
        if data["quantity"] == 0 and data["state"] == "active":
            data["state"] = "sold_out"
            data["state_timestamp"] = touched or self.now()

    def replace_inventory(self, listing_id, products, arrays):
        """Apply a validated PUT body: a full replace with fresh product and offering ids."""
        with self.lock:
            record = self.listing(listing_id)
            currency = record.data["price"]["currency_code"]
            old = record.inventory
            new_products = [self._product_from_put(p, currency) for p in products]
            deleted = old.deleted + [_as_deleted(p) for p in old.products]
            record.inventory = Inventory(new_products, *arrays, deleted=deleted)
            self._refresh_listing(record, touched=self.now())
            return record

    def _product_from_put(self, product, currency):
        offering = product["offerings"][0]
        return {
            "product_id": self.ids.next("product"),
            "sku": product.get("sku") or "",
            "is_deleted": False,
            "offerings": [
                {
                    "offering_id": self.ids.next("offering"),
                    "quantity": offering["quantity"],
                    "is_enabled": offering["is_enabled"],
                    "is_deleted": False,
                    "price": shapes.money(shapes.to_minor(offering["price"]), currency),
                    "readiness_state_id": offering.get("readiness_state_id"),
                }
            ],
            "property_values": [
                self._property_value_from_put(pv) for pv in product["property_values"]
            ],
        }

    def _property_value_from_put(self, pv):
        values = list(pv["values"])
        value_ids = list(
            pv.get("value_ids") or [self.value_id(pv["property_id"], v) for v in values]
        )
        return {
            "property_id": pv["property_id"],
            "property_name": pv.get("property_name") or _CUSTOM_NAMES.get(pv["property_id"]),
            "scale_id": pv.get("scale_id"),
            "scale_name": None,
            "value_ids": value_ids,
            "values": values,
        }

    def renew_listing(self, listing_id):
        """The seller renews a sold-out/expired/inactive listing on Etsy.com (a new fee)."""
        with self.lock:
            record = self.listing(listing_id)
            self._renew(record, self.now())
            return record.data["state"]

    def _renew(self, record, now):
        if record.data["quantity"] == 0:
            for product in _same_group(record.inventory, record.inventory.products[0]):
                product["offerings"][0]["quantity"] = 1
        record.data.update(
            state="active", state_timestamp=now, ending_timestamp=now + LISTING_LIFETIME
        )
        self._refresh_listing(record, touched=now)

    def update_listing(self, shop_id, listing_id, fields):
        """updateListing: the given fields change; `state` activates, renews or deactivates."""
        with self.lock:
            record = self.listing(listing_id)
            if record.data["shop_id"] != shop_id:
                raise not_found(f"Listing {listing_id} does not belong to shop {shop_id}.")
            changes = {key: value for key, value in fields.items() if value is not None}
            state = changes.pop("state", None)
            if "is_taxable" in changes:
                changes["non_taxable"] = not changes["is_taxable"]
            now = self.now()
            record.data.update(changes)
            if state and state != record.data["state"]:
                self._change_state(record, state, now)
            if changes or state:
                record.data["updated_timestamp"] = record.data["last_modified_timestamp"] = now
            return record

    def _change_state(self, record, state, now):
        """inactive: hidden, stock kept. active: sold-out/expired listings are renewed (a fee;
        quantity 1 if none), drafts are published, inactive ones need stock."""
        current = record.data["state"]
        if state == "inactive":
            record.data.update(state="inactive", state_timestamp=now)
        elif current in ("sold_out", "expired"):
            self._renew(record, now)
        elif current == "draft" and not record.images:
            raise bad_request("A listing needs at least one image before it can be activated.")
        elif record.data["quantity"] == 0:
            raise bad_request("There was a problem with /quantity : cannot be empty")
        else:
            record.data.update(state="active", state_timestamp=now)

    # -- publishing ------------------------------------------------------------------------------

    def create_draft_listing(self, shop_id, fields):
        """createDraftListing: a draft with one product (the quantity and price), no image."""
        with self.lock:
            shop = self.shop(shop_id)
            now = self.now()
            listing_id = self.ids.next("listing")
            digital = fields["type"] == "download"
            spec = {"sku": "", "quantity": fields["quantity"],
                    "price": shapes.to_minor(fields["price"]),
                    "readiness_state_id": None if digital else fields["readiness_state_id"]}
            inventory = Inventory([self._product_from_spec(spec, shop, None)], [], [], [], [])
            data = self._listing_data(shop, listing_id, fields["title"], fields["description"],
                                      "draft", fields["type"], fields["tags"] or (),
                                      fields["materials"] or (), fields["taxonomy_id"], "", now)
            data.update(
                who_made=fields["who_made"], when_made=fields["when_made"],
                is_supply=bool(fields["is_supply"]),
                shipping_profile_id=None if digital else fields["shipping_profile_id"],
                return_policy_id=fields["return_policy_id"])
            if digital:
                data.update(item_weight=None, item_weight_unit=None, item_length=None,
                            item_width=None, item_height=None, item_dimensions_unit=None)
            record = ListingRecord(data, inventory, [], None)
            self.listings[listing_id] = record
            shop.listing_ids.append(listing_id)
            self._refresh_listing(record, touched=now)
            return dict(record.data)

    def place_image(self, record, image_id, rank, overwrite):
        """Put an image at `rank` (replacing the one there with `overwrite`); returns the
        (image_id, rank, created) tuple. Ranks stay 1..n in order."""
        with self.lock:
            images = [image for image in record.images if image[0] != image_id]
            if not overwrite and len(images) >= 20:
                raise bad_request("A listing can have at most 20 images.")
            position = len(images) if not rank else min(rank - 1, len(images))
            if overwrite and rank and position < len(images):
                images.pop(position)
            images.insert(position, (image_id, position + 1, self.now()))
            record.images = [(iid, index, created)
                             for index, (iid, _rank, created) in enumerate(images, start=1)]
            return record.images[position]

    def remove_image(self, record, image_id):
        with self.lock:
            images = [image for image in record.images if image[0] != image_id]
            record.images = [(iid, index, created)
                             for index, (iid, _rank, created) in enumerate(images, start=1)]

    def add_listing_file(self, record, name, size, rank):
        with self.lock:
            now = self.now()
            file = {"listing_file_id": self.ids.next("listing_file"),
                    "listing_id": record.data["listing_id"], "rank": rank or len(record.files) + 1,
                    "filename": name, "filesize": f"{size} B", "size_bytes": size,
                    "filetype": "application/octet-stream", "create_timestamp": now,
                    "created_timestamp": now}
            record.files.append(file)
            record.data["file_data"] = ", ".join(f["filename"] for f in record.files)
            return file

    def set_personalization(self, record, personalization):
        with self.lock:
            questions = personalization["personalization_questions"]
            record.personalization = personalization if questions else None
            record.data["is_personalizable"] = bool(questions)

    def delete_listing(self, listing_id):
        with self.lock:
            record = self.listing(listing_id)
            del self.listings[listing_id]
            self.shops[record.data["shop_id"]].listing_ids.remove(listing_id)

    def set_listing_state(self, listing_id, state):
        """Put a listing into `state` (seed and tests: inactive, draft, expired)."""
        with self.lock:
            record = self.listing(listing_id)
            record.data.update(state=state, state_timestamp=self.now())

    # -- receipts ----------------------------------------------------------------------------

    def _event(self, record, event_type):
        """Tell the webhook sender (if any) that `record` went through `event_type`."""
        if self.on_event is not None:
            self.on_event(record.shop_id, event_type, record.data["receipt_id"])

    def buy(self, listing_id, quantity=1, product_id=None, buyer=None, **options):
        """A buyer checks out: stock goes down (sold out at 0) and a paid receipt appears."""
        with self.lock:
            record = self.listing(listing_id)
            if record.data["state"] != "active":
                raise ApiError(
                    409, f"Listing {listing_id} is {record.data['state']} and cannot be bought."
                )
            product = _pick_product(record, product_id, quantity)
            for same in _same_group(record.inventory, product):
                same["offerings"][0]["quantity"] -= quantity
            now = self.now()
            self._refresh_listing(record, touched=now)
            line = {
                "listing_id": listing_id,
                "product_id": product["product_id"],
                "quantity": quantity,
                "personalization": options.pop("personalization", None),
            }
            data = self.create_receipt(
                record.data["shop_id"], buyer, [line], created=now, **options
            )
            if data["is_paid"]:
                self._event(self.receipts[data["receipt_id"]], "order.paid")
            return data

    def new_buyer(self, country_iso="US"):
        """A fresh buyer with a plausible address in `country_iso`."""
        number = next(self.buyer_names)
        first, last = (
            _BUYER_FIRST[number % len(_BUYER_FIRST)],
            _BUYER_LAST[number % len(_BUYER_LAST)],
        )
        user_id = self.add_user(first, last, None)
        address = _ADDRESSES.get(country_iso, _ADDRESSES["US"])
        return {
            "user_id": user_id,
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{number}@example.com",
            "first_line": f"{100 + number % 900} {address[0]}",
            "second_line": None,
            "city": address[1],
            "state": address[2],
            "zip": address[3],
            "country_iso": country_iso,
        }

    def create_receipt(
        self,
        shop_id,
        buyer,
        lines,
        *,
        created=None,
        status="paid",
        discount=0,
        tax=None,
        vat=None,
        gift_message=None,
        gift_wrap=0,
        shipping=None,
        message_from_buyer="",
        payment_method="cc",
        receipt_type=0,
    ):
        """Build a receipt with consistent Money totals; lines: listing_id, product_id, quantity."""
        with self.lock:
            shop = self.shop(shop_id)
            buyer = self._buyer(buyer)
            created = created or self.now()
            currency = shop.data["currency_code"]
            receipt_id = self.ids.next("receipt")
            domestic = buyer.get("country_iso") == shop.data["shipping_from_country_iso"]
            transactions = self._transactions(
                shop, receipt_id, buyer, lines, created, domestic, shipping
            )
            totals = _totals(transactions, buyer, discount, tax, vat, gift_wrap)
            _spread_coupon(transactions, totals["discount_amt"])
            data = self._receipt_data(
                shop,
                receipt_id,
                buyer,
                created,
                totals,
                currency,
                gift_message,
                message_from_buyer,
                payment_method,
                receipt_type,
            )
            data["transactions"] = transactions
            record = ReceiptRecord(data, shop_id)
            self.receipts[receipt_id] = record
            shop.receipt_ids.append(receipt_id)
            for transaction in transactions:
                self.transactions[transaction["transaction_id"]] = record
            shop.data["transaction_sold_count"] += sum(t["quantity"] for t in transactions)
            if status not in ("open", "payment processing"):
                self.ledger.purchase(record, created)
            self._apply_initial_status(record, status, created)
            return data

    def _buyer(self, buyer):
        """Complete a partial buyer: a new user and address unless the caller gave them."""
        buyer = dict(buyer or {})
        if "user_id" not in buyer:
            base = self.new_buyer(buyer.get("country_iso", "US"))
            base.update(buyer)
            return base
        if buyer["user_id"] not in self.users:
            first, _, last = buyer["name"].partition(" ")
            self.users[buyer["user_id"]] = shapes.user(buyer["user_id"], first, last, None)
        for key in ("email", "first_line", "second_line", "city", "state", "zip", "country_iso"):
            buyer.setdefault(key, None)
        return buyer

    def _transactions(self, shop, receipt_id, buyer, lines, created, domestic, shipping):
        transactions = []
        shipped_first = False
        for index, line in enumerate(lines):
            record = self.listing(line["listing_id"])
            product = _find_product(record, line.get("product_id"))
            digital = record.data["listing_type"] == "download"
            if shipping is not None:
                ship_cost = shipping[index]
            elif digital:
                ship_cost = 0
            else:
                ship_cost = _shipping_cost(shop, domestic, shipped_first)
                shipped_first = True
            transactions.append(
                self._transaction(
                    shop, receipt_id, buyer, record, product, line, ship_cost, created
                )
            )
        return transactions

    def _transaction(self, shop, receipt_id, buyer, record, product, line, ship_cost, created):
        currency = shop.data["currency_code"]
        data = record.data
        offering = product["offerings"][0]
        profile = self.readiness.get(offering["readiness_state_id"])
        variations = [
            {
                "property_id": pv["property_id"],
                "value_id": pv["value_ids"][0] if pv["value_ids"] else None,
                "formatted_name": pv["property_name"],
                "formatted_value": ", ".join(pv["values"]),
                "question_id": None,
            }
            for pv in product["property_values"]
        ]
        if line.get("personalization"):
            question = record.personalization["personalization_questions"][0]
            variations.append(
                {
                    "property_id": shapes.PERSONALIZATION_PROPERTY_ID,
                    "value_id": None,
                    "formatted_name": "Personalization",
                    "formatted_value": line["personalization"],
                    "question_id": question["question_id"],
                }
            )
        max_days = profile["max_processing_days"] if profile else None
        return {
            "transaction_id": self.ids.next("transaction"),
            "title": line.get("title") or data["title"],
            "description": data["description"],
            "seller_user_id": shop.data["user_id"],
            "buyer_user_id": buyer["user_id"],
            "create_timestamp": created,
            "created_timestamp": created,
            "paid_timestamp": None,
            "shipped_timestamp": None,
            "quantity": line.get("quantity", 1),
            "listing_image_id": record.images[0][0] if record.images else None,
            "receipt_id": receipt_id,
            "is_digital": data["listing_type"] == "download",
            "file_data": data["file_data"] or "",
            "listing_id": data["listing_id"],
            "transaction_type": "listing",
            "product_id": product["product_id"],
            "sku": product["sku"],
            "price": shapes.money(line.get("unit_price", offering["price"]["amount"]), currency),
            "shipping_cost": shapes.money(ship_cost, currency),
            "variations": variations,
            "product_data": [dict(pv) for pv in product["property_values"]],
            "shipping_profile_id": data["shipping_profile_id"],
            "min_processing_days": profile["min_processing_days"] if profile else None,
            "max_processing_days": max_days,
            "shipping_method": None,
            "shipping_upgrade": None,
            "expected_ship_date": _midnight(created + 86400 * max_days) if max_days else None,
            "buyer_coupon": 0.0,
            "shop_coupon": 0.0,
        }

    def _receipt_data(
        self,
        shop,
        receipt_id,
        buyer,
        created,
        totals,
        currency,
        gift_message,
        message_from_buyer,
        payment_method,
        receipt_type,
    ):
        address = {
            key: buyer.get(key)
            for key in ("first_line", "second_line", "city", "state", "zip", "country_iso")
        }
        data = {
            "receipt_id": receipt_id,
            "receipt_type": receipt_type,
            "seller_user_id": shop.data["user_id"],
            "seller_email": self.users[shop.data["user_id"]]["primary_email"],
            "buyer_user_id": buyer["user_id"],
            "buyer_email": buyer.get("email"),
            "name": buyer["name"],
            **{key: address[key] for key in ("first_line", "second_line", "city", "state", "zip")},
            "status": "paid",
            "formatted_address": shapes.format_address(
                buyer["name"],
                address["first_line"],
                address["second_line"],
                address["city"],
                address["state"],
                address["zip"],
                address["country_iso"],
            ),
            "country_iso": address["country_iso"],
            "payment_method": payment_method,
            "payment_email": None,
            "message_from_seller": None,
            "message_from_buyer": message_from_buyer,
            "message_from_payment": None,
            "is_paid": True,
            "is_shipped": False,
            "create_timestamp": created,
            "created_timestamp": created,
            "update_timestamp": created,
            "updated_timestamp": created,
            "is_gift": gift_message is not None,
            "gift_message": gift_message or "",
            "gift_sender": buyer["name"].split(" ")[0] if gift_message is not None else "",
        }
        data.update({key: shapes.money(value, currency) for key, value in totals.items()})
        data.update(shipments=[], transactions=[], refunds=[])
        return data

    def _apply_initial_status(self, record, status, created):
        """Seed and generators create receipts already paid, shipped, canceled or refunded."""
        data = record.data
        now = self.now()

        def later(seconds):
            # Events after the order, but never in the sandbox's future.
            return max(created, min(created + seconds, now))

        if status in ("open", "payment processing"):
            data.update(status=status, is_paid=False)
            return
        _mark_paid(data, later(20))
        tracking = f"9400{data['receipt_id']}"
        if status == "completed" and all(t["is_digital"] for t in data["transactions"]):
            _mark_shipped(data, later(20))
            self.ledger.shipped(record, later(20))
        elif status == "completed":
            self._add_shipment(record, "usps", tracking, later(DAY_SECONDS))
        elif status == "canceled":
            self._cancel(record, later(3600))
        elif status in ("fully refunded", "partially refunded"):
            self._add_shipment(record, "usps", tracking, later(DAY_SECONDS))
            share = 1 if status == "fully refunded" else 0.5
            self._refund(record, int(data["grandtotal"]["amount"] * share), later(5 * DAY_SECONDS))

    def _add_shipment(self, record, carrier_name, tracking_code, at):
        data = record.data
        data["shipments"].append(
            {
                "receipt_shipping_id": self.ids.next("shipment"),
                "shipment_notification_timestamp": at,
                "carrier_name": carrier_name or "",
                "tracking_code": tracking_code or "",
            }
        )
        _mark_shipped(data, at)
        self.ledger.shipped(record, at)

    def _cancel(self, record, at):
        data = record.data
        data["status"] = "canceled"
        if data["is_paid"]:
            refunded = sum(r["amount"]["amount"] for r in data["refunds"])
            left = data["grandtotal"]["amount"] - refunded
            self.ledger.refunded(record, left, at)
            data["refunds"].append(
                shapes.refund(
                    data["grandtotal"]["amount"],
                    data["grandtotal"]["currency_code"],
                    at,
                    "Order canceled",
                )
            )

    def _refund(self, record, amount, at):
        data = record.data
        grand = data["grandtotal"]
        refunded = sum(r["amount"]["amount"] for r in data["refunds"]) + amount
        if amount <= 0 or refunded > grand["amount"]:
            raise bad_request(f"Refund amount must be between 1 and {grand['amount']} minor units.")
        data["refunds"].append(shapes.refund(amount, grand["currency_code"], at, "Refund"))
        self.ledger.refunded(record, amount, at)
        data["status"] = "fully refunded" if refunded == grand["amount"] else "partially refunded"

    def cancel_receipt(self, receipt_id):
        """The seller cancels: status canceled, refund recorded, updated_timestamp untouched."""
        with self.lock:
            record = self.receipt_any(receipt_id)
            self._cancel(record, self.now())
            self._event(record, "order.canceled")
            return record.data

    def refund_receipt(self, receipt_id, amount=None):
        """Refund `amount` minor units (default: what is left); updated_timestamp untouched."""
        with self.lock:
            record = self.receipt_any(receipt_id)
            data = record.data
            left = data["grandtotal"]["amount"] - sum(
                r["amount"]["amount"] for r in data["refunds"]
            )
            self._refund(record, left if amount is None else amount, self.now())
            return data

    def ship_receipt(self, receipt_id, tracking_code=None, carrier_name=None, delivered=False):
        """The seller marks the order shipped on Etsy.com (no API rules apply)."""
        with self.lock:
            record = self.receipt_any(receipt_id)
            now = self.now()
            self._add_shipment(record, carrier_name, tracking_code, now)
            record.data["updated_timestamp"] = record.data["update_timestamp"] = now
            record.delivered = record.delivered or delivered
            self._event(record, "order.shipped")
            if delivered:
                self._event(record, "order.delivered")
            return record.data

    def receipt_any(self, receipt_id):
        """The ReceiptRecord of any shop, or a 404."""
        record = self.receipts.get(receipt_id)
        if record is None:
            raise not_found(f"Receipt with receipt_id {receipt_id} was not found.")
        return record

    def create_shipment(self, shop_id, receipt_id, fields, encoding):
        """createReceiptShipment: tracking rules, a new shipment, a buyer email, completed."""
        with self.lock:
            record = self.receipt(shop_id, receipt_id)
            data = record.data
            if data["status"] in ("canceled", "fully refunded"):
                raise ApiError(
                    409, f"Receipt {receipt_id} is {data['status']}; it cannot be shipped."
                )
            tracking, carrier = fields.get("tracking_code") or "", fields.get("carrier_name") or ""
            if tracking and not carrier:
                raise bad_request("A carrier_name is required when a tracking_code is given.")
            if (carrier and not tracking) or (not tracking and self._tracking_required(data)):
                raise bad_request(ERR_TRACKING)
            now = self.now()
            self._add_shipment(record, carrier, tracking, now)
            data["updated_timestamp"] = data["update_timestamp"] = now
            record.notifications += 1
            record.bcc_notifications += 1 if fields.get("send_bcc") else 0
            record.shipment_encodings.append(encoding)
            self._event(record, "order.shipped")
            return data

    def _tracking_required(self, data):
        """US-domestic orders over $10 and orders to India need a tracking code (spec)."""
        shop = self.shops[self.receipts[data["receipt_id"]].shop_id]
        grand = data["grandtotal"]
        domestic_us = shop.data["shipping_from_country_iso"] == "US" and data["country_iso"] == "US"
        return (domestic_us and grand["amount"] > 10 * grand["divisor"]) or data[
            "country_iso"
        ] == "IN"

    def update_receipt(self, shop_id, receipt_id, was_paid=None, was_shipped=None):
        """updateShopReceipt: flip the paid/shipped flags; the timestamp moves on a change."""
        with self.lock:
            record = self.receipt(shop_id, receipt_id)
            data = record.data
            now = self.now()
            changed = False
            if was_paid is not None and was_paid != data["is_paid"]:
                if was_paid:
                    _mark_paid(data, now)
                else:
                    data.update(is_paid=False, status="open")
                changed = True
            if was_shipped is not None and was_shipped != data["is_shipped"]:
                if was_shipped:
                    _mark_shipped(data, now)
                    self.ledger.shipped(record, now)
                else:
                    data.update(is_shipped=False, status="paid" if data["is_paid"] else "open")
                changed = True
            if changed:
                data["updated_timestamp"] = data["update_timestamp"] = now
            return data


def listing_quantity(inventory):
    """Units a buyer can still get: each group of products sharing a quantity counts once."""
    groups = {}
    for product in inventory.products:
        offering = product["offerings"][0]
        if offering["is_enabled"]:
            groups.setdefault(
                shapes.group_key(product, inventory.quantity_on_property), offering["quantity"]
            )
    return sum(groups.values())


def _same_group(inventory, product):
    key = shapes.group_key(product, inventory.quantity_on_property)
    return [
        p for p in inventory.products if shapes.group_key(p, inventory.quantity_on_property) == key
    ]


def _pick_product(record, product_id, quantity):
    if product_id is None:
        candidates = [
            p
            for p in record.inventory.products
            if p["offerings"][0]["is_enabled"] and p["offerings"][0]["quantity"] >= quantity
        ]
        if not candidates:
            raise ApiError(
                409, f"Listing {record.data['listing_id']} has no product with {quantity} in stock."
            )
        return candidates[0]
    product = _find_product(record, product_id)
    offering = product["offerings"][0]
    if not offering["is_enabled"] or offering["quantity"] < quantity:
        raise ApiError(
            409, f"Product {product_id} has {offering['quantity']} in stock, not {quantity}."
        )
    return product


def _find_product(record, product_id):
    products = record.inventory.products
    if product_id is None:
        return products[0]
    for product in products:
        if product["product_id"] == product_id:
            return product
    raise not_found(f"Product {product_id} is not part of listing {record.data['listing_id']}.")


def _as_deleted(product):
    offerings = [dict(o, is_deleted=True) for o in product["offerings"]]
    return dict(product, is_deleted=True, offerings=offerings)


def _shipping_cost(shop, domestic, additional):
    destinations = shop.shipping_profile["shipping_profile_destinations"]
    destination = destinations[0] if domestic else destinations[1]
    cost = destination["secondary_cost"] if additional else destination["primary_cost"]
    return cost["amount"]


def _totals(transactions, buyer, discount, tax, vat, gift_wrap):
    total_price = sum(t["price"]["amount"] * t["quantity"] for t in transactions)
    shipping = sum(t["shipping_cost"]["amount"] for t in transactions)
    subtotal = total_price - discount
    country = buyer.get("country_iso")
    if tax is None:
        rate = (
            SALES_TAX.get(buyer.get("state"), DEFAULT_SALES_TAX)
            if country == "US" and buyer.get("state")
            else 0
        )
        tax = round((subtotal + shipping) * rate)
    if vat is None:
        vat = round((subtotal + shipping) * VAT.get(country, 0))
    return {
        "grandtotal": subtotal + shipping + tax + vat + gift_wrap,
        "subtotal": subtotal,
        "total_price": total_price,
        "total_shipping_cost": shipping,
        "total_tax_cost": tax,
        "total_vat_cost": vat,
        "discount_amt": discount,
        "gift_wrap_price": gift_wrap,
    }


def _spread_coupon(transactions, discount):
    """Split a shop coupon over the lines (shop currency, major units) in proportion to value."""
    if not discount:
        return
    values = [t["price"]["amount"] * t["quantity"] for t in transactions]
    total = sum(values) or 1
    shares = [discount * v // total for v in values]
    shares[-1] += discount - sum(shares)
    for transaction, share in zip(transactions, shares, strict=True):
        transaction["shop_coupon"] = transaction["buyer_coupon"] = share / shapes.DIVISOR


def _mark_paid(data, at):
    data.update(is_paid=True, status="paid" if not data["is_shipped"] else "completed")
    data["updated_timestamp"] = data["update_timestamp"] = at
    for transaction in data["transactions"]:
        transaction["paid_timestamp"] = at


def _mark_shipped(data, at):
    data["is_shipped"] = True
    if data["status"] in ("paid", "open", "payment processing"):
        data["status"] = "completed"
    data["updated_timestamp"] = data["update_timestamp"] = at
    for transaction in data["transactions"]:
        transaction["shipped_timestamp"] = at


def _midnight(timestamp):
    return timestamp - timestamp % 86400


_CUSTOM_NAMES = {513: "Custom Property", 514: "Custom Property"}
_BUYER_FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Ethan",
    "Isla",
    "Leo",
    "Chloe",
    "Aarav",
    "Hannah",
    "Yusuf",
    "Grace",
]
_BUYER_LAST = [
    "Johnson",
    "Garcia",
    "Nguyen",
    "Smith",
    "Patel",
    "Kowalski",
    "Brown",
    "Rossi",
    "Miller",
    "Okafor",
    "Lee",
    "Schmidt",
    "Davis",
    "Martin",
    "Clark",
]
_ADDRESSES = {
    "US": ("Maple Street", "Portland", "OR", "97205"),
    "GB": ("High Street", "Bristol", None, "BS1 4DJ"),
    "DE": ("Hauptstraße", "Berlin", None, "10115"),
    "CA": ("King Street W", "Toronto", "ON", "M5H 1A1"),
    "IN": ("MG Road", "Bengaluru", "KA", "560001"),
    "FR": ("Rue de Rivoli", "Paris", None, "75001"),
}
