"""Publishing Odoo products as Etsy listings, and keeping them in step.

- `ListingPublish`: per template, a readiness check (every problem, before any write), then
  createDraftListing -> images one at a time, in order -> files (digital) -> inventory (one
  product per variant) -> personalization -> activation. Each step that sent something to Etsy
  is committed on the binding as it completes, so a failure resumes there: never a second draft,
  never an image twice. A step with nothing to send costs no call and no commit.
- `ListingUpdate`: what Odoo owns (title, description, tags, price, images, variants) of
  published listings, pushed only where the hash of what would be sent changed.
- `ListingDeactivate` / `ListingDelete`: archiving a product; an explicitly confirmed delete.

What a template becomes (its spec, images, readiness) is read in `publish_spec`; Etsy's
categories and the shop's profiles are read by `flow_reference.ReferenceDataSync`.
"""

import json
from collections import defaultdict
from functools import partial

from odoo import fields
from odoo.exceptions import UserError

from ..const import ETSY_LISTING_URL
from ..etsy.errors import EtsyTransientError, EtsyUnknownOutcomeError
from ..etsy.listing import (
    content_fields,
    draft_listing_fields,
    inventory_body,
    payload_hash,
    personalization_questions,
    variation_properties,
)
from .etsy_binding import property_key, property_label
from .etsy_run import EtsyFlow
from .publish_spec import file_sources, image_sources, listing_spec, readiness_problems
from .user_messages import user_text


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
        return self.cache.fetch(("taxonomy_properties", taxonomy_id),
                                partial(self._taxonomy_properties, taxonomy_id))

    def _taxonomy_properties(self, taxonomy_id):
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
        as soon as it succeeds when it sent something to Etsy; stop at the first failure.
        Returns the binding (None when the draft could not be created)."""
        spec = spec or listing_spec(self.shop, template)
        properties = self.taxonomy_properties(spec.taxonomy_id)
        calls_before = self.client.call_count
        for step in self.steps(template, spec, activate or (
                listing is not None and listing.publish_state == "active")):
            if listing is None and step != self.step_draft:
                return None
            calls = self.client.call_count
            with self.isolated(template.display_name,
                               listing.etsy_listing_id if listing else None) as outcome:
                listing = step(template, listing, spec, properties) or listing
            if outcome.failed:
                self.record_error(listing, outcome.error)
                return listing
            if self.client.call_count != calls:
                # Etsy has it now: the binding must remember it, whatever fails next. A step
                # that sent nothing waits for the next commit (each commit empties the ORM
                # cache: committing idle steps made an unchanged listing cost seconds).
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
            for rank, source in enumerate(sources, start=1):
                yield partial(self.step_media, kind, rank, source)
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
        draft = self._unbound_draft(spec.title)
        adopted = draft is not None
        draft = draft or self._create_draft(spec)
        values = {
            "etsy_listing_id": str(draft["listing_id"]),
            "title": draft.get("title") or spec.title,
            "state": draft.get("state") or "draft",
            "url": draft.get("url") or ETSY_LISTING_URL.format(listing=draft["listing_id"]),
            "is_digital": spec.listing_type == "download",
            "publish_state": "draft",
            "publish_steps": "draft",
            "publish_error": False,
            # An adopted draft was made from what the product was then: push its text again.
            "content_hash": False if adopted else payload_hash(content_fields(spec)),
            "product_tmpl_id": template.id,
        }
        if listing:
            listing.write(values)
            return listing
        return self.env["etsy.listing"].create({"shop_id": self.shop.id, **values})

    def _create_draft(self, spec):
        try:
            return self.client.create_draft_listing(self.etsy_shop_id, draft_listing_fields(spec))
        except (EtsyUnknownOutcomeError, EtsyTransientError):
            # A lost answer, or a 5xx: Etsy may have made the draft all the same. Look for it
            # before anyone tries again.
            self.cache.clear()
            draft = self._unbound_draft(spec.title)
            if draft is None:
                raise
            return draft

    def _unbound_draft(self, title):
        """A draft on Etsy with this title that no Odoo listing holds: one we made whose answer
        was lost (or whose run was killed before it committed). Adopting it means never a
        second draft of a product. The shop's drafts are read once per run."""
        drafts = self.cache.fetch("unbound_drafts", self._read_unbound_drafts)
        found = drafts.get(draft_key(title))
        return found.pop(0) if found else None

    def _read_unbound_drafts(self):
        known = set(self.env["etsy.listing"].with_context(active_test=False).search(
            [("shop_id", "=", self.shop.id)]).mapped("etsy_listing_id"))
        drafts = defaultdict(list)
        for draft in self.client.iter_shop_listings(self.etsy_shop_id, state="draft"):
            if str(draft["listing_id"]) not in known:
                drafts[draft_key(draft.get("title"))].append(draft)
        return drafts

    def step_content(self, template, listing, spec, properties):
        """What Odoo owns of the listing's text, pushed only when it changed."""
        digest = payload_hash(content_fields(spec))
        if listing.content_hash == digest or self.shop.content_owner != "odoo":
            return listing
        answer = self.client.update_listing(self.etsy_shop_id, int(listing.etsy_listing_id),
                                            **content_fields(spec))
        listing.write({"content_hash": digest, "title": answer.get("title") or spec.title})
        return listing

    def step_media(self, kind, rank, source, template, listing, spec, properties):
        """Upload one image (or file) unless its rank already holds the same bytes (their
        checksum tells, without reading them)."""
        digest = source.checksum
        record = listing.image_ids.filtered(lambda r: r.kind == kind and r.rank == rank)
        if record and record.checksum == digest:
            return listing
        upload = self._upload_image if kind == "image" else self._upload_file
        etsy_id = upload(listing, source.name, source.content(), rank)
        values = {"checksum": digest, "etsy_image_id": str(etsy_id), "name": source.name}
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
        # Etsy's answer is the listing's inventory as it now stands: written and read.
        listing.write({"last_pushed_at": now, "last_seen_at": now})

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


def draft_key(title):
    """Titles compared as Etsy might return them: spacing and case aside."""
    return " ".join((title or "").split()).casefold()


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
            # One template at a time: each commit empties the cache, and a prefetch set of every
            # template would then read (and compute) them all again for each one.
            template = template.with_prefetch()
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
            if listing and activate and not listing.publish_activate:
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
            listing = listing.with_prefetch()  # one at a time, as in publish
            self.log.count("fetched")
            self.run_listing(listing.product_tmpl_id.with_prefetch(), listing,
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
