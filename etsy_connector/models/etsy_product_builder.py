"""Odoo products built from Etsy listings ("create missing products").

One product template per listing: attributes and values from the Etsy property names and
values, one variant per Etsy product (combinations Etsy does not offer are archived), Etsy's SKUs
as internal references, Etsy's prices as sales price + variant extras, the listing's first image.
A digital listing (a download) becomes a service: Odoo tracks no stock of it, pushes none, and
its order lines create no delivery.
"""

import base64
from collections import defaultdict
from decimal import Decimal

import requests

from odoo import Command, fields

from ..const import IMAGE_MAX_BYTES, IMAGE_TIMEOUT
from ..etsy.money import money_to_decimal
from .etsy_binding import is_digital_listing, live_offering, live_products, property_pairs


class ImageUnavailable(Exception):
    """The listing's image could not be downloaded (the reason is the message)."""


def _variation(etsy_product):
    """``{property name: value}`` of an Etsy product (several values joined)."""
    return {name: " / ".join(values) for name, values in property_pairs(etsy_product)}


def _price(etsy_product):
    offering = live_offering(etsy_product)
    return money_to_decimal(offering["price"]) if offering else Decimal(0)


def download_image(url):
    """The image at `url` as base64, or None when it is too large; raises ImageUnavailable."""
    try:
        with requests.get(url, timeout=IMAGE_TIMEOUT, stream=True) as response:
            response.raise_for_status()
            content = response.raw.read(IMAGE_MAX_BYTES + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        raise ImageUnavailable(type(exc).__name__) from exc
    if len(content) > IMAGE_MAX_BYTES:
        return None
    return base64.b64encode(content)


class ProductBuilder:
    """Builds the Odoo products of one listing import (`flow`, a ListingImport)."""

    def __init__(self, flow):
        self.flow = flow
        self.env = flow.env
        self.shop = flow.shop

    def note(self, etsy_listing_id, text, level="info"):
        self.flow.log.note(self.env._("listing %s", etsy_listing_id), text, level=level,
                           etsy_id=etsy_listing_id)

    def build_for_listing(self, listing, etsy_listing, bindings):
        """Link the unlinked ``bindings`` (``{Etsy product id: etsy.product}``) of ``listing``
        to new Odoo variants. Returns the variants created (empty when nothing was built).

        A listing that already has a template (built by an earlier import) is matched against
        its variants instead: re-importing never duplicates products. A listing some of whose
        products are linked to other Odoo products is left for a person to finish.
        """
        live = [p for p in live_products(etsy_listing.get("inventory"))
                if p["product_id"] in bindings]
        if listing.product_tmpl_id:
            self._link_to_variants(listing.product_tmpl_id, live, bindings)
            return self.env["product.product"]
        if not live or any(bindings[p["product_id"]].product_id for p in live):
            self.note(listing.etsy_listing_id,
                      self.env._("Some products of this listing are linked to existing Odoo "
                                 "products: link the others under 'To Link'."))
            return self.env["product.product"]
        template = self._create_template(etsy_listing, live)
        listing.product_tmpl_id = template
        self._link_to_variants(template, live, bindings)
        return template.product_variant_ids

    def _link_to_variants(self, template, live, bindings):
        by_variation = {self._variant_key(variant): variant
                        for variant in template.with_context(active_test=False).product_variant_ids}
        for etsy_product in live:
            binding = bindings[etsy_product["product_id"]]
            variant = by_variation.get(frozenset(_variation(etsy_product).items()))
            if variant and not binding.product_id:
                binding.product_id = variant
                if not variant.active:
                    variant.active = True

    def _variant_key(self, variant):
        return frozenset((value.attribute_id.name, value.name)
                         for value in variant.product_template_attribute_value_ids)

    def _create_template(self, etsy_listing, live):
        names, values = self._properties(live)
        prices = {p["product_id"]: self._company_price(p) for p in live}
        base = min(prices.values())
        template_values = {
            "name": etsy_listing.get("title")
            or self.env._("Etsy listing %s", etsy_listing["listing_id"]),
            **self._kind(etsy_listing),
            "sale_ok": True,
            "list_price": float(base),
            "company_id": self.shop.company_id.id,
            "attribute_line_ids": [
                Command.create({"attribute_id": self._attribute(name).id,
                                "value_ids": [Command.set(self._values(name, values[name]).ids)]})
                for name in names
            ],
        }
        skus = [(p.get("sku") or "").strip() for p in live]
        if not names and skus[0]:
            template_values["default_code"] = skus[0]
        image = self._image(etsy_listing)
        if image:
            template_values["image_1920"] = image
        template = self.env["product.template"].create(template_values)
        if names:
            self._shape_variants(template, live, prices, base, skus, etsy_listing)
        return template

    def _kind(self, etsy_listing):
        """A download is a service (no stock, no delivery); anything else a stocked good."""
        if is_digital_listing(etsy_listing):
            return {"type": "service"}
        return {"type": "consu", "is_storable": True}

    def _properties(self, live):
        """Property names in Etsy's order, and each one's values in order of appearance."""
        names, values = [], defaultdict(list)
        for etsy_product in live:
            for name, value in _variation(etsy_product).items():
                if name not in names:
                    names.append(name)
                if value not in values[name]:
                    values[name].append(value)
        return names, values

    def _attribute(self, name):
        Attribute = self.env["product.attribute"]
        return (Attribute.search([("name", "=", name), ("create_variant", "=", "always")], limit=1)
                or Attribute.create({"name": name, "create_variant": "always"}))

    def _values(self, name, value_names):
        attribute = self._attribute(name)
        Value = self.env["product.attribute.value"]
        existing = {value.name: value for value in Value.search([
            ("attribute_id", "=", attribute.id), ("name", "in", value_names)])}
        missing = [name for name in value_names if name not in existing]
        created = Value.create([{"attribute_id": attribute.id, "name": value_name}
                                for value_name in missing])
        existing.update(zip(missing, created, strict=True))
        return Value.union(*(existing[value_name] for value_name in value_names))

    def _shape_variants(self, template, live, prices, base, skus, etsy_listing):
        """SKUs and price extras on the variants; combinations Etsy lacks are archived."""
        by_variation = {self._variant_key(variant): variant
                        for variant in template.product_variant_ids}
        unique_skus = {sku for sku in skus if sku and skus.count(sku) == 1}
        offered = self.env["product.product"]
        for etsy_product, sku in zip(live, skus, strict=True):
            variant = by_variation.get(frozenset(_variation(etsy_product).items()))
            if not variant:
                continue
            offered |= variant
            if sku in unique_skus:
                variant.default_code = sku
        (template.product_variant_ids - offered).write({"active": False})
        if not self._set_price_extras(template, live, prices, base):
            self.note(etsy_listing["listing_id"],
                      self.env._("Etsy's prices of %s do not add up per variation: check the "
                                 "variant prices in Odoo.", template.display_name),
                      level="warning")

    def _set_price_extras(self, template, live, prices, base):
        """Each value's extra = the lowest price among products having it, less the base and
        the extras of the properties before it. True when every Etsy price is reproduced."""
        extras = {}
        names, __ = self._properties(live)
        for name in names:
            for etsy_product in live:
                variation = _variation(etsy_product)
                before = sum((extras.get((other, variation[other]), Decimal(0))
                              for other in names[:names.index(name)] if other in variation),
                             Decimal(0))
                extra = prices[etsy_product["product_id"]] - base - before
                key = (name, variation.get(name))
                extras[key] = min(extras.get(key, extra), extra)
        for value in template.attribute_line_ids.product_template_value_ids:
            value.price_extra = float(extras.get((value.attribute_id.name, value.name), 0))
        return all(
            base + sum((extras.get(item, Decimal(0)) for item in _variation(p).items()),
                       Decimal(0)) == prices[p["product_id"]]
            for p in live)

    def _company_price(self, etsy_product):
        """The Etsy price in the company's currency (Etsy sells in the shop's currency)."""
        price = _price(etsy_product)
        shop = self.shop
        company_currency = shop.company_id.currency_id
        if not shop.currency_id or shop.currency_id == company_currency:
            return price
        converted = shop.currency_id._convert(float(price), company_currency, shop.company_id,
                                              fields.Date.context_today(shop))
        return Decimal(str(converted))

    def _image(self, etsy_listing):
        """The listing's first image as base64, or None (a missing image never blocks)."""
        images = sorted(etsy_listing.get("images") or [], key=lambda i: i.get("rank") or 0)
        url = images and (images[0].get("url_fullxfull") or images[0].get("url_570xN"))
        if not url or not url.startswith(("https://", "http://")):
            return None
        try:
            return download_image(url)
        except ImageUnavailable as exc:
            self.note(etsy_listing["listing_id"],
                      self.env._("The Etsy image could not be downloaded (%s): the product has "
                                 "none.", exc), level="warning")
            return None
