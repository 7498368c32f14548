"""Publishing Odoo products as Etsy listings, and keeping them in step.

- `ReferenceDataSync`: Etsy's categories, the shop's shipping, return and processing profiles.
- `ListingPublish`: per template, a readiness check (every problem, before any write), then
  createDraftListing -> images one at a time, in order -> files (digital) -> inventory (one
  product per variant) -> personalization -> activation. Each step is committed on the binding
  as it completes, so a failure resumes there: never a second draft, never an image twice.
- `ListingUpdate`: what Odoo owns (title, description, tags, price, images, variants) of
  published listings, pushed only where the hash of what would be sent changed.
- `ListingDeactivate` / `ListingDelete`: archiving a product; an explicitly confirmed delete.
"""

import base64
import hashlib
import json
from decimal import Decimal
from functools import partial

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import float_round

from ..const import ETSY_LISTING_URL
from ..etsy.inventory import MAX_QUANTITY
from ..etsy.listing import (
    ListingSpec,
    VariantSpec,
    content_fields,
    draft_listing_fields,
    inventory_body,
    listing_problems,
    payload_hash,
    personalization_questions,
    required_property_problems,
    split_words,
    variation_properties,
)
from .etsy_binding import property_key, property_label
from .etsy_run import EtsyFlow
from .user_messages import user_text

# Etsy asks a return policy for a physical listing of a shop outside the EU (API-NOTES).
EU_COUNTRIES = frozenset((
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
))
ACTIVATION_FEE = 0.20  # USD per listing published or renewed


# --- what a template becomes (reads only) ------------------------------------------------------


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
    variants = variants.with_context(warehouse_id=warehouses.ids) if warehouses else variants
    for variant in variants:
        if not variant.is_storable:
            result[variant.id] = MAX_QUANTITY
            continue
        free = min(variant.free_qty, variant.qty_available - variant.outgoing_qty)
        free = int(float_round(free, precision_digits=0, rounding_method="DOWN"))
        result[variant.id] = min(max(free - buffer, 0), MAX_QUANTITY)
    return result


def image_sources(template):
    """[(name, bytes)]: the main image, then the extra Etsy images, in order."""
    images = []
    if template.image_1920:
        images.append(("main.png", base64.b64decode(template.image_1920)))
    for attachment in template.etsy_image_ids.sorted("id"):
        if attachment.raw:
            images.append((attachment.name or "image.png", attachment.raw))
    return images


def file_sources(template):
    return [(attachment.name or "file", attachment.raw or b"")
            for attachment in template.etsy_file_ids.sorted("id")]


def checksum(content):
    # A change detector, not security.
    return hashlib.sha1(content).hexdigest()


def listing_spec(shop, template, listing=None):
    """The ListingSpec of ``template`` for ``shop``: the Etsy tab's values, else the product's,
    else the shop's defaults."""
    digital = template.etsy_is_digital
    lines = varying_lines(template)
    attributes = lines.attribute_id.mapped("name")
    variants = template.product_variant_ids
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
    if not template.image_1920 and not template.etsy_image_ids:
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


# --- reference data ----------------------------------------------------------------------------


class ReferenceDataSync(EtsyFlow):
    """Etsy's seller taxonomy and the shop's shipping, return and processing profiles."""

    flow = "publish"

    def execute(self):
        self._sync_taxonomy(self.client.get_seller_taxonomy_nodes())
        shop_id = int(self.shop.etsy_shop_id)
        self._sync_shop_records(
            "etsy.shipping.profile", "etsy_shipping_profile_id",
            self.client.get_shop_shipping_profiles(shop_id),
            lambda p: (p["shipping_profile_id"], {
                "name": p.get("title") or str(p["shipping_profile_id"]),
                "origin_country": p.get("origin_country_iso"),
                "destination_count": len(p.get("shipping_profile_destinations") or []),
                "active": not p.get("is_deleted")}))
        self._sync_shop_records(
            "etsy.return.policy", "etsy_return_policy_id",
            self.client.get_shop_return_policies(shop_id),
            lambda p: (p["return_policy_id"], {
                "name": _policy_name(p), "accepts_returns": p.get("accepts_returns"),
                "accepts_exchanges": p.get("accepts_exchanges"),
                "return_deadline": p.get("return_deadline") or 0}))
        self._sync_shop_records(
            "etsy.readiness.state", "etsy_readiness_state_id",
            self.client.get_shop_readiness_state_definitions(shop_id),
            lambda p: (p["readiness_state_id"], {
                "name": p.get("processing_days_display_label") or p.get("readiness_state"),
                "readiness_state": p.get("readiness_state"),
                "min_processing_days": p.get("min_processing_days") or 0,
                "max_processing_days": p.get("max_processing_days") or 0}))

    def _sync_taxonomy(self, roots):
        Taxonomy = self.env["etsy.taxonomy"].sudo().with_context(active_test=False)
        existing = {node.etsy_taxonomy_id: node for node in Taxonomy.search([])}
        seen = set()

        def walk(node, parent, path):
            full_path = [*path, node["name"]]
            values = {"name": node["name"], "full_path": " > ".join(full_path),
                      "parent_id": parent.id if parent else False, "level": node.get("level", 0),
                      "is_leaf": not node.get("children"), "active": True}
            record = existing.get(node["id"])
            if record:
                changed = {k: v for k, v in values.items()
                           if (record[k].id if k == "parent_id" else record[k]) != v}
                if changed:
                    record.write(changed)
            else:
                record = Taxonomy.create({"etsy_taxonomy_id": node["id"], **values})
                self.log.count("created")
            seen.add(node["id"])
            for child in node.get("children") or []:
                walk(child, record, full_path)

        for root in roots:
            walk(root, None, [])
        gone = Taxonomy.browse([node.id for key, node in existing.items() if key not in seen])
        gone.filtered("active").write({"active": False})
        self.commit()

    def _sync_shop_records(self, model, id_field, items, convert):
        Model = self.env[model].with_context(active_test=False)
        existing = {record[id_field]: record
                    for record in Model.search([("shop_id", "=", self.shop.id)])}
        seen = set()
        for item in items:
            etsy_id, values = convert(item)
            key = str(etsy_id)
            seen.add(key)
            if key in existing:
                existing[key].write(values)
            else:
                Model.create({"shop_id": self.shop.id, id_field: key, **values})
                self.log.count("created")
        for key, record in existing.items():
            if key not in seen and record.active:
                record.active = False
        self.commit()

    def summary(self):
        return self.env._("Etsy categories and shop profiles read.")


def _policy_name(policy):
    if not policy.get("accepts_returns"):
        return "No returns" + (", exchanges" if policy.get("accepts_exchanges") else "")
    return f"Returns within {policy.get('return_deadline') or '?'} days"


# --- publishing ------------------------------------------------------------------------------


class ListingSteps(EtsyFlow):
    """The publish steps of one listing, shared by the publish and update flows."""

    flow = "publish"

    def __init__(self, frame, **params):
        super().__init__(frame, **params)
        self.published = 0
        self.unchanged = 0
        self.refused = 0

    @property
    def etsy_shop_id(self):
        return int(self.shop.etsy_shop_id)

    def taxonomy_properties(self, taxonomy_id):
        """The category's properties, read from Etsy once and kept on the category."""
        if not taxonomy_id:
            return []
        taxonomy = self.env["etsy.taxonomy"].sudo().search(
            [("etsy_taxonomy_id", "=", taxonomy_id)], limit=1)
        cached = taxonomy._etsy_properties() if taxonomy else None
        if cached is None:
            cached = self.client.get_taxonomy_properties(taxonomy_id)
            if taxonomy:
                taxonomy.properties_json = json.dumps(cached)
        return cached

    def run_listing(self, template, listing, activate, spec=None):
        """Run every step not done (or whose content changed), each in a savepoint committed
        as soon as it succeeds; stop at the first failure. Returns the binding (None when the
        draft could not be created)."""
        spec = spec or listing_spec(self.shop, template)
        properties = self.taxonomy_properties(spec.taxonomy_id)
        calls_before = self.client.call_count
        for step in self.steps(template, spec, activate or (
                listing is not None and listing.publish_state == "active")):
            if listing is None and step != self.step_draft:
                return None
            with self.isolated(template.display_name,
                               listing.etsy_listing_id if listing else None) as outcome:
                listing = step(template, listing, spec, properties) or listing
            if outcome.failed:
                self.record_error(listing, outcome.error)
                return listing
            self.commit()
        if listing.publish_state == "error":
            listing.write({"publish_error": False, "publish_state": "active"
                           if "active" in listing._etsy_steps() else "draft"})
            self.commit()
        if self.client.call_count == calls_before:
            self.unchanged += 1
            self.log.count("skipped")
        else:
            self.published += 1
            self.log.count("updated")
        return listing

    def steps(self, template, spec, activate):
        """The steps in order; images and files one step each (one call, one commit)."""
        yield self.step_draft
        yield self.step_content
        media = [("image", image_sources(template))]
        if spec.listing_type == "download":
            media.append(("file", file_sources(template)))
        for kind, sources in media:
            for rank, (name, content) in enumerate(sources, start=1):
                yield partial(self.step_media, kind, rank, name, content)
            yield partial(self.step_media_done, kind, len(sources))
        yield self.step_inventory
        yield self.step_personalization
        if activate:
            yield self.step_activate

    def record_error(self, listing, error):
        if listing:
            listing.write({"publish_state": "error",
                           "publish_error": user_text(self.env, error)})
        self.commit()

    # --- the steps: each returns the binding (new or the same) --- #

    def step_draft(self, template, listing, spec, properties):
        if listing and "draft" in listing._etsy_steps():
            return listing
        if listing is None and not self.params.get("create", True):
            return None
        draft = self.client.create_draft_listing(self.etsy_shop_id, draft_listing_fields(spec))
        values = {
            "etsy_listing_id": str(draft["listing_id"]),
            "title": draft.get("title") or spec.title,
            "state": draft.get("state") or "draft",
            "url": draft.get("url") or ETSY_LISTING_URL.format(listing=draft["listing_id"]),
            "is_digital": spec.listing_type == "download",
            "publish_state": "draft",
            "publish_steps": "draft",
            "publish_error": False,
            "content_hash": payload_hash(content_fields(spec)),
            "product_tmpl_id": template.id,
        }
        if listing:
            listing.write(values)
            return listing
        return self.env["etsy.listing"].create({"shop_id": self.shop.id, **values})

    def step_content(self, template, listing, spec, properties):
        """What Odoo owns of the listing's text, pushed only when it changed."""
        digest = payload_hash(content_fields(spec))
        if listing.content_hash == digest or self.shop.content_owner != "odoo":
            return listing
        answer = self.client.update_listing(self.etsy_shop_id, int(listing.etsy_listing_id),
                                            **content_fields(spec))
        listing.write({"content_hash": digest, "title": answer.get("title") or spec.title})
        return listing

    def step_media(self, kind, rank, name, content, template, listing, spec, properties):
        """Upload one image (or file) unless its rank already holds the same bytes."""
        digest = checksum(content)
        record = listing.image_ids.filtered(lambda r: r.kind == kind and r.rank == rank)
        if record and record.checksum == digest:
            return listing
        upload = self._upload_image if kind == "image" else self._upload_file
        etsy_id = upload(listing, name, content, rank)
        values = {"checksum": digest, "etsy_image_id": str(etsy_id), "name": name}
        if record:
            record.write(values)
        else:
            self.env["etsy.listing.image"].create(
                {"listing_id": listing.id, "kind": kind, "rank": rank, **values})
        return listing

    def step_media_done(self, kind, count, template, listing, spec, properties):
        """Images beyond the template's are removed from Etsy; the step is recorded."""
        for record in listing.image_ids.filtered(lambda r: r.kind == kind and r.rank > count):
            if kind == "image":
                self.client.delete_listing_image(self.etsy_shop_id, int(listing.etsy_listing_id),
                                                 int(record.etsy_image_id))
            record.unlink()
        listing._etsy_step_done(kind + "s")
        return listing

    def _upload_image(self, listing, name, content, rank):
        image = self.client.upload_listing_image(
            self.etsy_shop_id, int(listing.etsy_listing_id), image=content, filename=name,
            rank=rank, overwrite=True)
        return image["listing_image_id"]

    def _upload_file(self, listing, name, content, rank):
        file = self.client.upload_listing_file(self.etsy_shop_id, int(listing.etsy_listing_id),
                                               content, name, rank=rank)
        return file["listing_file_id"]

    def step_inventory(self, template, listing, spec, properties):
        """One Etsy product per variant. The hash leaves quantities out: they belong to the
        stock push, which keeps them in step on its own."""
        props = variation_properties(spec.attributes, spec.variants, properties)
        body = inventory_body(spec, props)
        digest = payload_hash(_without_quantities(body))
        if listing.inventory_hash == digest and "inventory" in listing._etsy_steps():
            return listing
        answer = self.client.update_listing_inventory(int(listing.etsy_listing_id), body)
        self._bind_products(listing, spec, answer)
        listing.inventory_hash = digest
        listing._etsy_step_done("inventory")
        return listing

    def _bind_products(self, listing, spec, inventory):
        """One etsy.product per variant, linked to it by SKU, so the stock push and the order
        import use it as they use imported listings."""
        now = fields.Datetime.now()
        by_sku = {variant.sku: variant for variant in spec.variants}
        Product = self.env["etsy.product"].with_context(active_test=False)
        bindings = {b.sku: b for b in Product.search([("listing_id", "=", listing.id)])}
        seen = Product
        for etsy_product in inventory.get("products") or []:
            variant = by_sku.get(etsy_product.get("sku"))
            offering = (etsy_product.get("offerings") or [{}])[0]
            values = {
                "etsy_product_id": str(etsy_product["product_id"]),
                "sku": etsy_product.get("sku") or False,
                "property_values": property_label(etsy_product) or False,
                "property_key": property_key(etsy_product),
                "product_id": variant.key if variant else False,
                "etsy_qty": offering.get("quantity") or 0,
                "etsy_qty_seen_at": now,
                "last_pushed_qty": offering.get("quantity") or 0,
                "last_pushed_at": now,
                "active": True,
            }
            binding = bindings.get(etsy_product.get("sku"))
            if binding:
                binding.write(values)
            else:
                binding = Product.create({"listing_id": listing.id, **values})
            seen |= binding
        (Product.browse([b.id for b in bindings.values()]) - seen).write({"active": False})

    def step_personalization(self, template, listing, spec, properties):
        questions = personalization_questions(spec.personalization)
        digest = payload_hash(questions)
        if listing.personalization_hash == digest or (not questions
                                                      and not listing.personalization_hash):
            return listing
        self.client.update_listing_personalization(self.etsy_shop_id,
                                                   int(listing.etsy_listing_id), questions)
        listing.personalization_hash = digest
        listing._etsy_step_done("personalization")
        return listing

    def step_activate(self, template, listing, spec, properties):
        if listing.publish_state == "active" and listing.state == "active":
            return listing
        answer = self.client.update_listing(self.etsy_shop_id, int(listing.etsy_listing_id),
                                            state="active")
        listing.write({"state": answer.get("state") or "active", "publish_state": "active",
                       "publish_activate": True, "published_at": fields.Datetime.now(),
                       "url": answer.get("url") or listing.url})
        listing._etsy_step_done("active")
        return listing


def _without_quantities(body):
    return {**body, "quantity_on_property": None,
            "products": [{**product, "offerings": [{k: v for k, v in offering.items()
                                                    if k != "quantity"}
                                                   for offering in product["offerings"]]}
                         for product in body["products"]]}


class ListingPublish(ListingSteps):
    """Publish templates (``template_ids``) as listings; ``activate`` makes them active."""

    def execute(self):
        templates = self.env["product.template"].browse(self.params.get("template_ids") or [])
        activate = bool(self.params.get("activate"))
        Listing = self.env["etsy.listing"].with_context(active_test=False)
        for template in templates.exists():
            self.log.count("fetched")
            listing = Listing.search([("shop_id", "=", self.shop.id),
                                      ("product_tmpl_id", "=", template.id),
                                      ("publish_steps", "!=", False)], limit=1) or None
            spec = listing_spec(self.shop, template)
            properties = self.taxonomy_properties(spec.taxonomy_id)
            problems = readiness_problems(self.shop, template, activate, properties, spec)
            if problems:
                # Refused before any write: reported, not half-created.
                self.refused += 1
                self.log.failure(template.display_name, "\n".join(problems))
                continue
            if listing and activate:
                listing.publish_activate = True
            self.run_listing(template, listing, activate, spec)

    def summary(self):
        return self.env._("%(published)s listing(s) published or resumed, %(unchanged)s "
                          "unchanged, %(refused)s refused by the readiness check.",
                          published=self.published, unchanged=self.unchanged,
                          refused=self.refused)


class ListingUpdate(ListingSteps):
    """Push what Odoo owns of published listings (all of the shop's, or ``listing_ids``)."""

    def execute(self):
        if self.shop.content_owner != "odoo":
            return
        domain = [("shop_id", "=", self.shop.id), ("publish_steps", "!=", False),
                  ("product_tmpl_id", "!=", False), ("product_tmpl_id.active", "=", True)]
        if self.params.get("listing_ids"):
            domain.append(("id", "in", self.params["listing_ids"]))
        self.params["create"] = False
        for listing in self.env["etsy.listing"].search(domain):
            self.log.count("fetched")
            self.run_listing(listing.product_tmpl_id, listing,
                             activate=listing.publish_state == "active")

    def summary(self):
        return self.env._("%(updated)s listing(s) updated on Etsy, %(unchanged)s unchanged.",
                          updated=self.published, unchanged=self.unchanged)


class ListingDeactivate(EtsyFlow):
    """Deactivate listings (``listing_ids``) on Etsy: their product was archived."""

    flow = "publish"

    def execute(self):
        for listing in self.env["etsy.listing"].browse(self.params["listing_ids"]).exists():
            with self.isolated(listing.display_name, listing.etsy_listing_id):
                answer = self.client.update_listing(int(self.shop.etsy_shop_id),
                                                    int(listing.etsy_listing_id),
                                                    state="inactive")
                listing.write({"state": answer.get("state") or "inactive",
                               "publish_state": "inactive"})
                self.log.count("updated")
            self.commit()


class ListingDelete(EtsyFlow):
    """Delete listings (``listing_ids``) on Etsy, after the seller's explicit confirmation."""

    flow = "publish"

    def execute(self):
        for listing in self.env["etsy.listing"].browse(self.params["listing_ids"]).exists():
            if not listing.etsy_listing_id:
                raise UserError(self.env._("The listing is not on Etsy."))
            with self.isolated(listing.display_name, listing.etsy_listing_id):
                self.client.delete_listing(int(listing.etsy_listing_id))
                listing.etsy_product_ids.write({"active": False})
                listing.write({"active": False, "state": False, "publish_state": False,
                               "publish_steps": False})
                self.log.count("done")
            self.commit()
