"""Publishing state on the bindings: what Odoo published, which steps are done, what was sent.

A listing Odoo publishes records each completed step (`publish_steps`), a hash of what each
later push would send (`content_hash`, `inventory_hash`, `personalization_hash`) and one
`etsy.listing.image` per uploaded image or file with its checksum, so a failed publish resumes
where it stopped and an unchanged listing costs no call.
"""

from odoo import fields, models

from .etsy_run import run_flow
from .flow_publish import ListingDeactivate, ListingPublish, ListingUpdate

PUBLISH_STATES = [
    ("draft", "Draft on Etsy"),
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("error", "Error"),
]
# The steps of a publish, in order.
PUBLISH_STEPS = ("draft", "images", "files", "inventory", "personalization", "active")


class EtsyListing(models.Model):
    _inherit = "etsy.listing"

    publish_state = fields.Selection(
        PUBLISH_STATES, readonly=True, index=True, copy=False,
        help="Set on listings Odoo published: where the publish stands.")
    publish_error = fields.Text(readonly=True, copy=False)
    publish_steps = fields.Char(readonly=True, copy=False,
                                help="The publish steps done, comma separated.")
    publish_activate = fields.Boolean(
        readonly=True, help="The seller asked to activate the listing (a listing fee on Etsy).")
    published_at = fields.Datetime(readonly=True, copy=False)
    content_hash = fields.Char(readonly=True, copy=False)
    inventory_hash = fields.Char(readonly=True, copy=False)
    personalization_hash = fields.Char(readonly=True, copy=False)
    image_ids = fields.One2many("etsy.listing.image", "listing_id", string="Images sent")

    def _etsy_steps(self):
        self.ensure_one()
        return [step for step in (self.publish_steps or "").split(",") if step]

    def _of_shop(self, shop):
        return self.filtered(lambda listing: listing.shop_id == shop)

    def _etsy_step_done(self, step):
        self.ensure_one()
        steps = self._etsy_steps()
        if step not in steps:
            self.publish_steps = ",".join([*steps, step])

    def action_update_on_etsy(self):
        """Push what Odoo owns of these listings to Etsy (only what changed)."""
        for shop in self.shop_id:
            run_flow(shop, ListingUpdate, "manual", listing_ids=self._of_shop(shop).ids)
        return True

    def action_publish_again(self):
        """Resume a failed publish from its last completed step."""
        for shop in self.shop_id:
            listings = self._of_shop(shop)
            run_flow(shop, ListingPublish, "manual",
                     template_ids=listings.product_tmpl_id.ids,
                     activate=any(listings.mapped("publish_activate")))
        return True

    def action_delete_on_etsy(self):
        """Ask for confirmation before deleting the listings on Etsy."""
        wizard = self.env["etsy.listing.delete.wizard"].create({"listing_ids": self.ids})
        return {
            "type": "ir.actions.act_window",
            "res_model": "etsy.listing.delete.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Delete on Etsy"),
        }

    def _etsy_deactivate(self):
        """Take these listings off Etsy (state inactive): archiving a product does it."""
        for shop in self.shop_id:
            run_flow(shop, ListingDeactivate, "manual", listing_ids=self._of_shop(shop).ids)


class EtsyListingImage(models.Model):
    """An image (or a digital file) Odoo uploaded to a listing, with the checksum of its bytes."""

    _name = "etsy.listing.image"
    _description = "Etsy listing image or file sent"
    _order = "listing_id, kind, rank"

    listing_id = fields.Many2one("etsy.listing", required=True, ondelete="cascade", index=True)
    kind = fields.Selection([("image", "Image"), ("file", "File")], required=True,
                            default="image")
    rank = fields.Integer(required=True)
    checksum = fields.Char(required=True, help="SHA-1 of the bytes sent.")
    etsy_image_id = fields.Char(string="Etsy image or file ID", required=True)
    name = fields.Char()

    _sql_constraints = [
        ("etsy_listing_image_rank_unique", "unique(listing_id, kind, rank)",
         "One image per rank."),
    ]

