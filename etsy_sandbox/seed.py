"""The deterministic seed: the candle shop "WicksByWerby" (USD, ships from the US).

Ids come from the world's sequences, so a fresh sandbox always has the same ids; timestamps are
offsets from "now" (so recent-order windows find the receipts).

Listings (25): size variations with price, quantity and SKU varying by size; size variations
whose quantity is shared (`quantity_on_property` empty); a scent x size listing with two
properties; colour variations with one colour disabled; a personalised candle; a digital
download (readiness_state_id null); simple candles; a listing without SKU; one with a title of
exactly 140 characters and one with emoji; one sold out, one inactive, one draft, one expired.

Receipts (25): US with state sales tax, UK with VAT, Germany without state, a gift with gift wrap
and message, a coupon, three lines, canceled, fully refunded, partially refunded, digital,
buyer without email, address withheld (restricted region), emoji, Japanese and Greek names,
the 140-character title, quantity 999, shipped, delivered, payment processing, a US order under
$10 (no tracking required), India (tracking required), Canada, personalisation, shared-stock
variation.
"""

DAY = 86400
SIZE = (100, "Size")
SCENT = (513, "Scent")
COLOR = (200, "Primary color")
# Etsy's maximum title length; a test checks it is exactly 140 characters.
TITLE_140 = (
    "Hand-Poured Amber & Sandalwood Soy Candle, 12 oz Amber Glass Jar, Cotton Wick, "
    "Cozy Home Gift for Her, Housewarming, Anniversary Gift Ideas!"
)


def seed_shop(world):
    """The seller Wendy Werby and her shop WicksByWerby (no listings yet)."""
    created = world.now() - 3 * 365 * DAY
    return world.add_shop(
        "WicksByWerby",
        "USD",
        "US",
        first_name="Wendy",
        last_name="Werby",
        email="wendy@wicksbywerby.example",
        created=created,
    )


def _sized(code, sizes, prices, quantities):
    return [
        {
            "sku": f"WBW-{code}-{size.replace(' ', '').upper()}",
            "properties": [(*SIZE, size)],
            "price": price,
            "quantity": quantity,
        }
        for size, price, quantity in zip(sizes, prices, quantities, strict=True)
    ]


def _simple(sku, price, quantity):
    return [{"sku": sku, "price": price, "quantity": quantity}]


def seed_catalog(world, shop_id):
    """The 25 listings; returns {name: listing_id} for the receipt seed."""
    shop = world.shops[shop_id]
    made_to_order = shop.readiness[1]["readiness_state_id"]
    start = world.now() - 400 * DAY
    ids = {}

    def add(name, title, products, **options):
        options.setdefault("created", start + len(ids) * 7 * DAY)
        options.setdefault(
            "description", f"{title}. Hand-poured in small batches in Portland, Oregon."
        )
        options.setdefault("tags", ["soy candle", "handmade", "gift"])
        options.setdefault("materials", ["soy wax", "cotton wick"])
        ids[name] = world.add_listing(shop_id, title=title, products=products, **options)

    add(
        "tea",
        "Earl Grey Tea Soy Candle",
        _sized("TEA", ["4 oz", "8 oz", "16 oz"], [1200, 1800, 2800], [14, 9, 5]),
        price_on_property=[100],
        quantity_on_property=[100],
        sku_on_property=[100],
    )
    add(
        "lavender",
        "Lavender Fields Soy Candle",
        _sized("LAV", ["8 oz", "16 oz"], [1800, 2800], [20, 20]),
        price_on_property=[100],
        sku_on_property=[100],
    )
    add(
        "sampler",
        "Seasonal Scent Candle - Pumpkin, Fir or Cranberry",
        [
            {
                "sku": f"WBW-SMP-{scent[:3].upper()}-{size.replace(' ', '').upper()}",
                "properties": [(*SCENT, scent), (*SIZE, size)],
                "price": price,
                "quantity": 3 + i,
            }
            for i, (scent, (size, price)) in enumerate(
                (s, z)
                for s in ("Pumpkin Spice", "Fir Needle", "Cranberry")
                for z in (("8 oz", 1900), ("16 oz", 2900))
            )
        ],
        price_on_property=[100],
        quantity_on_property=[513, 100],
        sku_on_property=[513, 100],
    )
    add(
        "taper",
        "Beeswax Taper Candles, Pair",
        [
            {
                "sku": f"WBW-TAPER-{color.upper()}",
                "properties": [(*COLOR, color)],
                "price": 1400,
                "quantity": quantity,
                "enabled": color != "Sage",
            }
            for color, quantity in (("Ivory", 12), ("Honey", 8), ("Sage", 0))
        ],
        quantity_on_property=[200],
        sku_on_property=[200],
        materials=["beeswax", "cotton wick"],
    )
    add(
        "personalized",
        "Personalized Name Candle",
        [
            {
                "sku": "WBW-PERS-8OZ",
                "price": 2400,
                "quantity": 30,
                "readiness_state_id": made_to_order,
            }
        ],
        personalization_instructions="Enter up to 40 characters: names, a date or a short message.",
    )
    add(
        "guide",
        "Candle Making Guide (PDF)",
        _simple("WBW-DL-GUIDE", 600, 999),
        listing_type="download",
        file_data="1 PDF file",
        image_count=1,
        materials=[],
    )
    simple = (
        ("vanilla", "Vanilla Bean Soy Candle 8 oz", "WBW-VAN-8OZ", 1800, 25),
        ("cedar", "Cedarwood & Sage Soy Candle", "WBW-CED-8OZ", 1900, 17),
        ("linen", "Fresh Linen Soy Candle", "WBW-LIN-8OZ", 1800, 11),
        ("seasalt", "Sea Salt & Orchid Soy Candle", "WBW-SEA-8OZ", 1900, 6),
        ("coffee", "Coffee House Soy Candle", "WBW-COF-8OZ", 1800, 14),
        ("birthday", "Birthday Cake Soy Candle", "WBW-BDAY-8OZ", 1700, 21),
        ("eucalyptus", "Eucalyptus Mint Soy Candle", "WBW-EUC-8OZ", 1800, 9),
        ("bergamot", "Bergamot & Oud Soy Candle", "WBW-BERG-8OZ", 2200, 4),
        ("rose", "Rose Garden Soy Candle", "WBW-ROSE-8OZ", 1900, 13),
        (
            "cabin",
            "Cozy Cabin Candle \U0001f332\U0001f56f\ufe0f Pine & Smoke",
            "WBW-CABIN-8OZ",
            2000,
            10,
        ),
        ("trimmer", "Candle Wick Trimmer, Brass", "WBW-ACC-TRIM", 800, 40),
        ("matches", "Matchstick Jar with Striker", "WBW-ACC-MATCH", 600, 35),
        ("amber", TITLE_140, "WBW-AMB-12OZ", 3200, 7),
        ("tealight", "Unscented Tealight Candles, Bulk Pack of 100", "WBW-TEALIGHT-100", 2500, 500),
    )
    for name, title, sku, price, quantity in simple:
        add(name, title, _simple(sku, price, quantity))
    add("mystery", "Mystery Scent Candle", _simple(None, 1500, 8))
    add("holiday", "Limited Edition Holiday Candle", _simple("WBW-HOL-8OZ", 2400, 0))
    add("melts", "Wax Melts Sampler, 6 Pack", _simple("WBW-MELT-6PK", 1200, 15))
    world.set_listing_state(ids["melts"], "inactive")
    add("spring", "Spring Blossom Candle (coming soon)", _simple("WBW-SPR-8OZ", 1900, 10))
    world.set_listing_state(ids["spring"], "draft")
    add("citrus", "Summer Citrus Candle", _simple("WBW-CIT-8OZ", 1800, 6))
    world.set_listing_state(ids["citrus"], "expired")
    world.seed_listings.update(ids)
    return ids


def _product(world, listing_id, sku):
    for product in world.listings[listing_id].inventory.products:
        if product["sku"] == sku:
            return product["product_id"]
    raise KeyError(sku)


def _buyer(
    world, name, first_line, city, state, zip_code, country, email="default", second_line=None
):
    user_id = world.add_user(*name.split(" ", 1), None)
    if email == "default":
        email = f"buyer{user_id}@example.com"
    return {
        "user_id": user_id,
        "name": name,
        "email": email,
        "first_line": first_line,
        "second_line": second_line,
        "city": city,
        "state": state,
        "zip": zip_code,
        "country_iso": country,
    }


def seed_receipts(world, shop_id):
    """The 25 receipts, oldest first; returns {name: receipt_id}."""
    ids = world.seed_listings
    start = world.now() - 45 * DAY
    made = {}

    def receipt(name, buyer, lines, **options):
        options.setdefault("created", start + len(made) * DAY + 3600 * (len(made) % 7))
        resolved = [
            {
                "listing_id": ids[listing],
                "quantity": quantity,
                "product_id": _product(world, ids[listing], sku) if sku else None,
                **extra,
            }
            for listing, sku, quantity, extra in lines
        ]
        made[name] = world.create_receipt(shop_id, buyer, resolved, **options)["receipt_id"]

    us = ("742 Evergreen Terrace", "Sacramento", "CA", "95814", "US")
    receipt("us_tax", _buyer(world, "Emma Johnson", *us), [("tea", "WBW-TEA-8OZ", 1, {})])
    receipt(
        "uk_vat",
        _buyer(world, "Oliver Smith", "221B Baker Street", "London", None, "NW1 6XE", "GB"),
        [("lavender", "WBW-LAV-16OZ", 1, {})],
    )
    receipt(
        "germany",
        _buyer(world, "Jürgen Müller", "Hauptstraße 5", "Berlin", None, "10115", "DE"),
        [("vanilla", None, 1, {})],
        status="completed",
    )
    receipt(
        "gift",
        _buyer(world, "Grace Lee", "55 Water Street", "Brooklyn", "NY", "11201", "US"),
        [("rose", None, 1, {})],
        gift_message="Happy birthday, Oma! \U0001f382 Love, Grace",
        gift_wrap=500,
    )
    receipt(
        "coupon",
        _buyer(world, "Noah Garcia", "1200 Congress Ave", "Austin", "TX", "78701", "US"),
        [("cedar", None, 2, {})],
        discount=570,
    )
    receipt(
        "multi",
        _buyer(world, "Ava Patel", "88 Pike Street", "Seattle", "WA", "98101", "US"),
        [
            ("sampler", "WBW-SMP-PUM-16OZ", 1, {}),
            ("taper", "WBW-TAPER-HONEY", 2, {}),
            ("trimmer", None, 1, {}),
        ],
    )
    receipt(
        "canceled",
        _buyer(world, "Liam Brown", "400 N State St", "Chicago", "IL", "60654", "US"),
        [("coffee", None, 1, {})],
        status="canceled",
    )
    receipt(
        "refunded",
        _buyer(world, "Mia Rossi", "Via Roma 12", "Milano", "MI", "20121", "IT"),
        [("seasalt", None, 1, {})],
        status="fully refunded",
    )
    receipt(
        "partial",
        _buyer(world, "Ethan Miller", "9 Elm Street", "Orlando", "FL", "32801", "US"),
        [("birthday", None, 2, {})],
        status="partially refunded",
    )
    receipt(
        "digital",
        _buyer(world, "Isla Clark", "17 Harbor Road", "Boston", "MA", "02110", "US"),
        [("guide", None, 1, {})],
        status="completed",
    )
    receipt(
        "no_email",
        _buyer(world, "Lucas Martin", "31 Oak Lane", "Denver", "CO", "80202", "US", email=None),
        [("linen", None, 1, {})],
    )
    receipt(
        "withheld",
        _buyer(world, "Hannah Schmidt", None, None, None, None, None),
        [("eucalyptus", None, 1, {})],
        tax=0,
        vat=0,
    )
    receipt(
        "emoji",
        _buyer(
            world, "Chloé ✨ Sparkles \U0001f338", "12 Rue de Rivoli", "Paris", None, "75001", "FR"
        ),
        [("cabin", None, 1, {})],
    )
    receipt(
        "japanese",
        _buyer(world, "山田 花子", "神南1-2-3", "渋谷区", "東京都", "150-0041", "JP"),
        [("tea", "WBW-TEA-4OZ", 2, {})],
        tax=0,
        vat=0,
    )
    receipt(
        "greek",
        _buyer(world, "Γιώργος Παπαδόπουλος", "Οδός Ερμού 10", "Αθήνα", None, "105 63", "GR"),
        [("bergamot", None, 1, {})],
    )
    receipt(
        "long_title",
        _buyer(world, "Yusuf Okafor", "300 Peachtree St", "Atlanta", "GA", "30308", "US"),
        [("amber", None, 1, {})],
    )
    receipt(
        "bulk",
        _buyer(world, "Leo Kowalski", "1 Market Street", "San Francisco", "CA", "94105", "US"),
        [("tealight", None, 999, {})],
    )
    receipt(
        "shipped",
        _buyer(world, "Sofia Nguyen", "2100 Main St", "Dallas", "TX", "75201", "US"),
        [("vanilla", None, 1, {})],
        status="completed",
    )
    receipt(
        "delivered",
        _buyer(world, "Mateo Davis", "500 Broadway", "Nashville", "TN", "37203", "US"),
        [("linen", None, 1, {})],
        status="completed",
    )
    world.receipts[made["delivered"]].delivered = True
    receipt(
        "processing",
        _buyer(world, "Aarav Smith", "77 Lake Shore Dr", "Chicago", "IL", "60611", "US"),
        [("coffee", None, 1, {})],
        status="payment processing",
    )
    receipt(
        "small_us",
        _buyer(world, "Olivia Brown", "15 Alder St", "Portland", "OR", "97205", "US"),
        [("matches", None, 1, {})],
        shipping=[0],
        tax=0,
    )
    receipt(
        "india",
        _buyer(world, "Priya Sharma", "12 MG Road", "Bengaluru", "KA", "560001", "IN"),
        [("cedar", None, 1, {})],
        tax=0,
    )
    receipt(
        "canada",
        _buyer(world, "Ethan Tremblay", "100 King Street W", "Toronto", "ON", "M5H 1A1", "CA"),
        [("rose", None, 1, {})],
        tax=0,
    )
    receipt(
        "personalized",
        _buyer(world, "Emma Nguyen", "9 Pine Street", "Burlington", "VT", "05401", "US"),
        [("personalized", None, 1, {"personalization": "Emma & Liam 2026"})],
    )
    receipt(
        "shared_stock",
        _buyer(world, "Liam Johnson", "4 Cedar Court", "Phoenix", "AZ", "85004", "US"),
        [("lavender", "WBW-LAV-8OZ", 1, {})],
    )
    world.seed_receipts.update(made)
    return made
