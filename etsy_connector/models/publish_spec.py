"""What a product template becomes on Etsy, read only: its `ListingSpec` (the Etsy tab's values,
else the product's, else the shop's defaults), its images and files, the quantities Etsy should
show, and the readiness check (every reason Etsy would refuse it, before any write).

Used by the publish flows (`flow_publish`) and the publish wizard.
"""

import hashlib
from decimal import Decimal
from typing import NamedTuple

from odoo import fields
from odoo.tools import float_round

from ..const import EU_COUNTRIES
from ..etsy.inventory import MAX_QUANTITY
from ..etsy.listing import (
    ListingSpec,
    VariantSpec,
    listing_problems,
    required_property_problems,
    split_words,
)


def varying_lines(template):
    """The attribute lines that make variants (more than one value)."""
    return template.attribute_line_ids.filtered(lambda line: len(line.value_ids) > 1)


def variant_values(variant, attributes):
    return {ptav.attribute_id.name: ptav.name
            for ptav in variant.product_template_attribute_value_ids
            if ptav.attribute_id.name in attributes}


def shop_price(shop, variant):
    """Sales price + attribute extras, in the shop's currency."""
    price = variant.lst_price
    company = shop.company_id
    currency = shop.currency_id or company.currency_id
    if currency != company.currency_id:
        price = company.currency_id._convert(price, currency, company, fields.Date.today())
    return currency.round(price)


def quantity_targets(shop, variants):
    """{variant id: the quantity Etsy should show}: free stock of the shop's warehouses less the
    safety buffer, within 0..999 (the stock push's rule)."""
    warehouses = shop.inventory_warehouse_ids if "inventory_warehouse_ids" in shop else False
    warehouses = warehouses or shop.warehouse_id
    buffer = shop.stock_buffer if "stock_buffer" in shop else 0
    result = {}
    # Quantities are computed, not stored: computing them for the variants of every template
    # read so far (the prefetch set) would cost a run of N templates N times N computations.
    variants = variants.with_prefetch()
    variants = variants.with_context(warehouse_id=warehouses.ids) if warehouses else variants
    for variant in variants:
        if not variant.is_storable:
            result[variant.id] = MAX_QUANTITY
            continue
        free = min(variant.free_qty, variant.qty_available - variant.outgoing_qty)
        free = int(float_round(free, precision_digits=0, rounding_method="DOWN"))
        result[variant.id] = min(max(free - buffer, 0), MAX_QUANTITY)
    return result


class MediaSource(NamedTuple):
    """An image or file to send: ``checksum`` says whether it changed without reading it."""

    name: str
    attachment: object  # ir.attachment

    @property
    def checksum(self):
        # ir.attachment keeps the SHA-1 of its bytes (a URL attachment has none, nor bytes).
        return self.attachment.checksum or checksum(b"")

    def content(self):
        return self.attachment.raw or b""


def image_sources(template):
    """[MediaSource]: the main image, then the extra Etsy images, in order."""
    images = []
    main = main_image(template)
    if main:
        images.append(MediaSource("main.png", main))
    # The product's own media, whoever uploaded them (attachments are private to their uploader
    # unless linked to a record): the connector reads them to send them to Etsy, nothing more.
    for attachment in template.sudo().etsy_image_ids.sorted("id"):
        if attachment.file_size:
            images.append(MediaSource(attachment.name or "image.png", attachment))
    return images


def main_image(template):
    """The attachment holding the product's image (empty when it has none)."""
    return template.env["ir.attachment"].sudo().search([
        ("res_model", "=", "product.template"), ("res_field", "=", "image_1920"),
        ("res_id", "=", template.id), ("file_size", ">", 0)], limit=1)


def file_sources(template):
    return [MediaSource(attachment.name or "file", attachment)
            for attachment in template.sudo().etsy_file_ids.sorted("id")]  # as the images


def checksum(content):
    # A change detector, not security.
    return hashlib.sha1(content).hexdigest()


def listing_spec(shop, template, listing=None):
    """The ListingSpec of ``template`` for ``shop``: the Etsy tab's values, else the product's,
    else the shop's defaults."""
    digital = template.etsy_is_digital
    lines = varying_lines(template)
    attributes = lines.attribute_id.mapped("name")
    # Only this template's variants: see quantity_targets.
    variants = template.product_variant_ids.with_prefetch()
    quantities = quantity_targets(shop, variants)
    is_supply = template.etsy_is_supply == "yes" if template.etsy_is_supply else (
        shop.default_is_supply)
    personalization = None
    if template.etsy_personalization:
        personalization = {"instructions": template.etsy_personalization_instructions,
                           "required": template.etsy_personalization_required,
                           "max_chars": template.etsy_personalization_max_chars}
    return ListingSpec(
        title=(template.etsy_title or template.name or "").strip(),
        description=template.etsy_description or template.description_sale or "",
        taxonomy_id=(template.etsy_taxonomy_id or shop.default_taxonomy_id).etsy_taxonomy_id,
        who_made=template.etsy_who_made or shop.default_who_made,
        when_made=template.etsy_when_made or shop.default_when_made,
        is_supply=is_supply,
        tags=split_words(template.etsy_tags),
        materials=split_words(template.etsy_materials),
        listing_type="download" if digital else "physical",
        shipping_profile_id=_etsy_id(template.etsy_shipping_profile_id
                                     or shop_default(shop, "default_shipping_profile_id"),
                                     "etsy_shipping_profile_id"),
        return_policy_id=_etsy_id(shop_default(shop, "default_return_policy_id"),
                                  "etsy_return_policy_id"),
        readiness_state_id=_etsy_id(template.etsy_readiness_state_id
                                    or shop_default(shop, "default_readiness_state_id"),
                                    "etsy_readiness_state_id"),
        attributes=attributes,
        variants=[VariantSpec(variant.id, (variant.default_code or "").strip(),
                              Decimal(str(shop_price(shop, variant))),
                              quantities.get(variant.id, 0) if not digital else MAX_QUANTITY,
                              variant_values(variant, attributes))
                  for variant in variants],
        personalization=personalization,
    )


def shop_default(shop, field_name):
    """The shop's default for ``field_name``, else its first matching profile (reading the
    reference data must not write the shop row: other flows write it)."""
    if shop[field_name]:
        return shop[field_name]
    model = shop._fields[field_name].comodel_name
    domain = [("shop_id", "=", shop.id)]
    if model == "etsy.shipping.profile":
        domain.append(("is_complete", "=", True))
    return shop.env[model].search(domain, limit=1)


def _etsy_id(record, field_name):
    return int(record[field_name]) if record and record[field_name] else None


def readiness_problems(shop, template, activate, taxonomy_properties=None, spec=None):
    """Every reason Etsy would refuse to publish ``template``, each with what to do."""
    spec = spec or listing_spec(shop, template)
    problems = []
    if not main_image(template) and not template.etsy_image_ids:
        problems.append(shop.env._("No image: add a product image (Etsy needs one to activate)."))
    if spec.listing_type == "download" and not template.etsy_file_ids:
        problems.append(shop.env._("A digital download needs its files: add them under "
                                   "'Etsy files'."))
    problems += listing_problems(spec)
    if taxonomy_properties is not None:
        problems += required_property_problems(taxonomy_properties, spec.attributes)
    country = shop.company_id.country_id.code
    if (activate and spec.listing_type == "physical" and not spec.return_policy_id
            and country not in EU_COUNTRIES):
        problems.append(shop.env._("No return policy: Etsy requires one to activate a physical "
                                   "listing of a shop outside the EU. Choose the shop's default "
                                   "return policy."))
    return problems
