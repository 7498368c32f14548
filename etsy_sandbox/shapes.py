"""Builders for Etsy's JSON objects (Money, Shop, ShopListing, ListingInventory, ...).

Every builder emits exactly the fields of the matching schema of Etsy's OpenAPI document
(2026-08-17); the contract tests check that no field is missing or invented.
"""

import hashlib

DIVISOR = 100
PERSONALIZATION_PROPERTY_ID = 54
COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "IT": "Italy",
    "ES": "Spain",
    "NL": "The Netherlands",
    "GR": "Greece",
    "JP": "Japan",
    "CA": "Canada",
    "AU": "Australia",
    "IN": "India",
    "IE": "Ireland",
    "AT": "Austria",
}
# Address layouts: postcode before the city in most of Europe, after it in the Anglosphere.
_POSTCODE_FIRST = frozenset(["DE", "FR", "IT", "ES", "NL", "GR", "AT"])


def money(amount, currency_code):
    """Etsy's Money object: the value is amount / divisor."""
    return {"amount": int(amount), "divisor": DIVISOR, "currency_code": currency_code}


def to_minor(price):
    """A price in major units (the PUT's float) to integer minor units, rounding half up."""
    return round(price * DIVISOR + 1e-9)


def group_key(product, property_ids):
    """The values a product has for `property_ids`: products with equal keys share an attribute."""
    by_id = {pv["property_id"]: tuple(pv["values"]) for pv in product["property_values"]}
    return tuple(by_id.get(pid) for pid in property_ids)


def format_address(name, first_line, second_line, city, state, zip_code, country_iso):
    """Etsy's multi-line `formatted_address`, or None when the address is withheld."""
    if not (first_line or city or country_iso):
        return None
    lines = [name, first_line]
    if second_line:
        lines.append(second_line)
    if country_iso in _POSTCODE_FIRST:
        lines.append(" ".join(part for part in (zip_code, (city or "").upper()) if part))
    else:
        locality = ", ".join(
            part for part in (city, " ".join(p for p in (state, zip_code) if p)) if part
        )
        lines.append(locality)
    lines.append(COUNTRY_NAMES.get(country_iso, country_iso or ""))
    return "\n".join(line for line in lines if line)


def image(listing_id, image_id, rank, created, base_url):
    """A ListingImage whose URLs point at the sandbox's own image route (never an outside host).

    Built when serialising because the sandbox's base URL is only known per request.
    """
    digest = hashlib.sha1(str(image_id).encode()).hexdigest()
    url = f"{base_url}/_sandbox/images/{image_id}"
    rgb = (int(digest[0:2], 16), int(digest[2:4], 16), int(digest[4:6], 16))
    return {
        "listing_id": listing_id,
        "listing_image_id": image_id,
        "hex_code": digest[:6].upper(),
        "red": rgb[0],
        "green": rgb[1],
        "blue": rgb[2],
        "hue": int(digest[6:8], 16) % 360,
        "saturation": int(digest[8:10], 16) % 101,
        "brightness": int(digest[10:12], 16) % 101,
        "is_black_and_white": False,
        "creation_tsz": created,
        "created_timestamp": created,
        "rank": rank,
        "url_75x75": f"{url}/75x75.png",
        "url_170x135": f"{url}/170x135.png",
        "url_570xN": f"{url}/570xN.png",
        "url_fullxfull": f"{url}/fullxfull.png",
        "full_height": 1500,
        "full_width": 2000,
        "alt_text": None,
    }


def personalization(question_id, instructions, max_chars):
    """A listing's personalization block with one required text question."""
    return {
        "personalization_questions": [
            {
                "question_id": question_id,
                "question_text": "Personalization",
                "instructions": instructions,
                "question_type": "text_input",
                "required": True,
                "max_allowed_characters": max_chars,
                "max_allowed_files": None,
                "add_on_price": None,
                "options": None,
            }
        ]
    }


def processing_profile(shop_id, readiness_state_id, readiness_state, min_days, max_days):
    """A ShopProcessingProfile (readiness state definition)."""
    return {
        "shop_id": shop_id,
        "readiness_state_id": readiness_state_id,
        "readiness_state": readiness_state,
        "min_processing_days": min_days,
        "max_processing_days": max_days,
        "processing_days_display_label": f"{min_days}-{max_days} business days",
    }


def shipping_profile(profile_id, user_id, country_iso, currency, destinations):
    """A ShopShippingProfile; destinations are (destination id, iso or None, primary, secondary)."""
    return {
        "shipping_profile_id": profile_id,
        "title": "Standard shipping",
        "user_id": user_id,
        "origin_country_iso": country_iso,
        "is_deleted": False,
        "shipping_profile_destinations": [
            {
                "shipping_profile_destination_id": dest_id,
                "shipping_profile_id": profile_id,
                "origin_country_iso": country_iso,
                "destination_country_iso": dest_iso or "",
                "destination_region": "none",
                "primary_cost": money(primary, currency),
                "secondary_cost": money(secondary, currency),
                "shipping_carrier_id": None,
                "mail_class": None,
                "min_delivery_days": 2 if dest_iso else 7,
                "max_delivery_days": 5 if dest_iso else 21,
            }
            for dest_id, dest_iso, primary, secondary in destinations
        ],
        "shipping_profile_upgrades": [],
        "origin_postal_code": None,
        "profile_type": "manual",
        "domestic_handling_fee": 0.0,
        "international_handling_fee": 0.0,
    }


def user(user_id, first_name, last_name, primary_email):
    """A User as getUser answers it (primary_email only with Etsy's case-by-case approval)."""
    return {
        "user_id": user_id,
        "primary_email": primary_email,
        "first_name": first_name,
        "last_name": last_name,
        "image_url_75x75": None,
    }


def shop(shop_id, user_id, shop_name, login_name, currency_code, country_iso, created):
    """A Shop with the counters left at zero; the world fills them when serialising."""
    return {
        "shop_id": shop_id,
        "user_id": user_id,
        "shop_name": shop_name,
        "create_date": created,
        "created_timestamp": created,
        "title": f"{shop_name} - hand-poured goods",
        "announcement": None,
        "currency_code": currency_code,
        "is_vacation": False,
        "vacation_message": None,
        "sale_message": "Thank you for your order!",
        "digital_sale_message": None,
        "update_date": created,
        "updated_timestamp": created,
        "listing_active_count": 0,
        "digital_listing_count": 0,
        "login_name": login_name,
        "accepts_custom_requests": True,
        "policy_welcome": None,
        "policy_payment": None,
        "policy_shipping": None,
        "policy_refunds": None,
        "policy_additional": None,
        "policy_seller_info": None,
        "policy_update_date": created,
        "policy_has_private_receipt_info": False,
        "has_unstructured_policies": False,
        "policy_privacy": None,
        "vacation_autoreply": None,
        "url": f"https://www.etsy.com/shop/{shop_name}",
        "image_url_760x100": None,
        "num_favorers": 0,
        "languages": ["en-US"],
        "icon_url_fullxfull": None,
        "is_using_structured_policies": True,
        "has_onboarded_structured_policies": True,
        "include_dispute_form_link": False,
        "is_direct_checkout_onboarded": True,
        "is_etsy_payments_onboarded": True,
        "is_calculated_eligible": country_iso == "US",
        "is_opted_in_to_buyer_promise": True,
        "is_shop_us_based": country_iso == "US",
        "transaction_sold_count": 0,
        "shipping_from_country_iso": country_iso,
        "shop_location_country_iso": country_iso,
        "review_count": 0,
        "review_average": None,
    }


def refund(amount, currency, created, reason):
    """A ShopRefund as Etsy reports a successful refund."""
    return {
        "amount": money(amount, currency),
        "created_timestamp": created,
        "reason": reason,
        "note_from_issuer": "",
        "status": "SUCCESS",
    }
