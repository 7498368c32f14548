"""Serialisers: the world's records as the JSON bodies Etsy returns (callers hold the lock)."""

from . import shapes

LISTING_INCLUDES = (
    "Shipping",
    "Images",
    "Shop",
    "User",
    "Translations",
    "Inventory",
    "Videos",
    "Personalization",
    "BuyerPrice",
)
SINGLE_LISTING_INCLUDES = (
    "Images",
    "Shop",
    "User",
    "Translations",
    "Videos",
    "Personalization",
    "BuyerPrice",
)


def shop_json(world, shop_id):
    """Shop with its live counters."""
    record = world.shop(shop_id)
    out = dict(record.data)
    listings = [world.listings[i].data for i in record.listing_ids]
    active = [data for data in listings if data["state"] == "active"]
    out["listing_active_count"] = len(active)
    out["digital_listing_count"] = sum(1 for data in active if data["listing_type"] == "download")
    return out


def listing_base(record, *, scoped):
    """ShopListing fields. readiness_state_id is only shown for an active physical listing read
    through a shop-scoped or single-listing endpoint (spec ShopListing.readiness_state_id)."""
    out = dict(record.data)
    visible = scoped and out["state"] == "active" and out["listing_type"] == "physical"
    if not visible:
        out["readiness_state_id"] = None
    return out


def listing_json(world, record, *, includes=(), owner=False, scoped=True, base_url=""):
    """ShopListingWithAssociations; associations are null (absent for arrays) unless included."""
    out = listing_base(record, scoped=scoped)
    data = record.data
    shop = world.shops[data["shop_id"]]
    physical = data["listing_type"] != "download"
    out["shipping_profile"] = shop.shipping_profile if "Shipping" in includes and physical else None
    out["user"] = world.users[data["user_id"]] if "User" in includes else None
    out["shop"] = shop_json(world, data["shop_id"]) if "Shop" in includes else None
    if "Images" in includes:
        out["images"] = [
            shapes.image(data["listing_id"], image_id, rank, created, base_url)
            for image_id, rank, created in record.images
        ]
    if "Videos" in includes:
        out["videos"] = []
    out["inventory"] = inventory_json(record, owner=owner) if "Inventory" in includes else None
    out["production_partners"] = []
    out["skus"] = list(record.skus) if owner else []
    out["translations"] = _translations(data) if "Translations" in includes else None
    out["views"] = 0
    out["personalization"] = record.personalization if "Personalization" in includes else None
    out["buyer_price"] = _buyer_price(data) if "BuyerPrice" in includes else None
    return out


def _translations(data):
    return {
        "en-US": {
            "listing_id": data["listing_id"],
            "language": "en-US",
            "title": data["title"],
            "tags": list(data["tags"]),
        }
    }


def _buyer_price(data):
    return {
        "base_price": data["price"],
        "shipping_cost": None,
        "is_free_shipping": False,
        "original_price": data["price"],
        "discounted_price": None,
        "discount_amount": None,
        "discount_percentage": None,
        "has_discount": False,
        "discount_start_epoch": None,
        "discount_end_epoch": None,
    }


def inventory_json(record, *, owner, show_deleted=False, with_listing=False):
    """ListingInventory; SKUs are blanked ("") for a caller who does not own the listing."""
    inventory = record.inventory
    products = inventory.products + (inventory.deleted if show_deleted else [])
    if not owner:
        products = [dict(p, sku="") for p in products]
    out = {
        "products": products,
        "price_on_property": inventory.price_on_property,
        "quantity_on_property": inventory.quantity_on_property,
        "sku_on_property": inventory.sku_on_property,
        "readiness_state_on_property": inventory.readiness_state_on_property,
    }
    if with_listing:
        out["listing"] = listing_base(record, scoped=True)
    return out


def receipt_json(world, record):
    """ShopReceipt; with receipt_status_style "title" the status is capitalised the way real
    2023 payloads show it ("Completed", "Fully Refunded") instead of the spec's lowercase enum."""
    if world.receipt_status_style == "title":
        return dict(record.data, status=record.data["status"].title())
    return record.data
