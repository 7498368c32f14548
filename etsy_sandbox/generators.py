"""Generators for large shops: N listings (a share with variations) and N receipts.

Deterministic for a given world state (seeded by the shop and how much it already holds), and
fast enough for 2,000 listings and 10,000 receipts in a second or two. Generated receipts are
history: they do not lower stock (use `EtsySandbox.buy` for purchases that do).
"""

import random

from .state import DAY_SECONDS

SCENTS = (
    "Vanilla",
    "Lavender",
    "Cedar",
    "Linen",
    "Rose",
    "Citrus",
    "Amber",
    "Pine",
    "Coffee",
    "Jasmine",
    "Sage",
    "Oud",
    "Fig",
    "Mint",
    "Honey",
    "Tobacco",
    "Peony",
    "Rain",
)
JARS = (
    "Soy Candle",
    "Coconut Wax Candle",
    "Travel Tin Candle",
    "Wooden Wick Candle",
    "Concrete Vessel Candle",
    "Pillar Candle",
)
SIZES = (("4 oz", 1200), ("8 oz", 1800), ("16 oz", 2800))
COUNTRIES = ("US",) * 16 + ("GB", "GB", "DE", "CA")
STATUSES = ("paid",) * 14 + ("completed",) * 5 + ("canceled",)


def generate_listings(world, shop_id, n, variation_ratio=1 / 3):
    """Add n listings to the shop; every 1/variation_ratio-th has scent x size variations."""
    with world.lock:
        shop = world.shop(shop_id)
        first = len(shop.listing_ids)
        rng = random.Random(f"listings-{shop_id}-{first}")
        created = world.now() - n * 600
        ids = []
        for index in range(n):
            number = first + index + 1
            scent, jar = SCENTS[number % len(SCENTS)], JARS[(number // len(SCENTS)) % len(JARS)]
            varied = int((index + 1) * variation_ratio) > int(index * variation_ratio)
            products, arrays = (
                _varied_products(rng, number, scent)
                if varied
                else (_single_product(rng, number), {})
            )
            ids.append(
                world.add_listing(
                    shop_id,
                    title=f"{scent} {jar} No. {number}",
                    products=products,
                    created=created + index * 600,
                    image_count=1,
                    **arrays,
                )
            )
        return ids


def _single_product(rng, number):
    _size, price = SIZES[number % len(SIZES)]
    return [
        {
            "sku": f"GEN-{number:05d}",
            "price": price + 100 * rng.randrange(5),
            "quantity": rng.randrange(1, 60),
        }
    ]


def _varied_products(rng, number, scent):
    """Size x (scent, second scent): price by size, quantity and SKU by both properties."""
    scents = (scent, SCENTS[(number + 7) % len(SCENTS)])
    products = [
        {
            "sku": f"GEN-{number:05d}-{s[:3].upper()}-{size.replace(' ', '')}",
            "properties": [(513, "Scent", s), (100, "Size", size)],
            "price": price,
            "quantity": rng.randrange(0, 25),
        }
        for s in scents
        for size, price in SIZES
    ]
    if all(p["quantity"] == 0 for p in products):
        products[0]["quantity"] = 1
    arrays = {
        "price_on_property": [100],
        "quantity_on_property": [513, 100],
        "sku_on_property": [513, 100],
    }
    return products, arrays


def generate_receipts(world, shop_id, n, lines=2, days=60):
    """Add n receipts from new buyers over the last `days` days, `lines` transactions each."""
    with world.lock:
        shop = world.shop(shop_id)
        rng = random.Random(f"receipts-{shop_id}-{len(shop.receipt_ids)}")
        sellable = [
            world.listings[i]
            for i in shop.listing_ids
            if world.listings[i].data["state"] == "active"
        ]
        if len(sellable) < lines:
            raise ValueError(f"Shop {shop_id} has fewer than {lines} active listings to sell.")
        end = world.now() - 60
        step = max(1, (days * DAY_SECONDS) // max(n, 1))
        start = end - step * n
        ids = []
        for index in range(n):
            buyer = world.new_buyer(rng.choice(COUNTRIES))
            chosen = rng.sample(sellable, lines)
            order = [
                {
                    "listing_id": r.data["listing_id"],
                    "product_id": rng.choice(r.inventory.products)["product_id"],
                    "quantity": 1 + (rng.random() < 0.2),
                }
                for r in chosen
            ]
            receipt = world.create_receipt(
                shop_id, buyer, order, created=start + index * step, status=rng.choice(STATUSES)
            )
            ids.append(receipt["receipt_id"])
        return ids
