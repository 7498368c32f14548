"""etsy.shop: the publishing defaults and the thin entry points of the publish flows."""

from odoo import fields, models

from ..etsy.listing import WHEN_MADE
from .etsy_run import notify_log, run_flow
from .flow_publish import ListingUpdate
from .flow_reference import ReferenceDataSync

WHO_MADE_SELECTION = [("i_did", "I did"), ("someone_else", "Someone else"),
                      ("collective", "A member of my shop")]
WHEN_MADE_SELECTION = [(value, value.replace("_", " ").capitalize()) for value in WHEN_MADE]
CONTENT_OWNERS = [("odoo", "Odoo (title, description, tags, price, images, variants)"),
                  ("etsy", "Etsy (Odoo pushes stock only)")]


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    default_who_made = fields.Selection(WHO_MADE_SELECTION, default="i_did")
    default_when_made = fields.Selection(WHEN_MADE_SELECTION, default="made_to_order")
    default_is_supply = fields.Boolean()
    default_taxonomy_id = fields.Many2one("etsy.taxonomy", string="Default Etsy category")
    default_shipping_profile_id = fields.Many2one(
        "etsy.shipping.profile", domain="[('shop_id', '=', id)]")
    default_return_policy_id = fields.Many2one(
        "etsy.return.policy", domain="[('shop_id', '=', id)]",
        help="Etsy requires one to activate a physical listing of a shop outside the EU. "
             "Empty: the shop's first return policy.")
    default_readiness_state_id = fields.Many2one(
        "etsy.readiness.state", string="Default processing profile",
        domain="[('shop_id', '=', id)]")
    content_owner = fields.Selection(
        CONTENT_OWNERS, default="odoo", required=True, string="Listing content owned by",
        help="Odoo: changes made in Odoo to published products are pushed to Etsy. Etsy: "
             "listings are edited on Etsy; Odoo only pushes their stock.")
    shipping_profile_ids = fields.One2many("etsy.shipping.profile", "shop_id")
    return_policy_ids = fields.One2many("etsy.return.policy", "shop_id")
    readiness_state_ids = fields.One2many("etsy.readiness.state", "shop_id")

    def action_sync_etsy_reference_data(self):
        """'Refresh Etsy data': categories, shipping and return policies, processing profiles."""
        self.ensure_one()
        return notify_log(self._etsy_sync_reference_data(trigger="manual"))

    def _etsy_sync_reference_data(self, trigger="cron"):
        """Read Etsy's reference data for this shop (see `ReferenceDataSync`); the run's log."""
        return run_flow(self, ReferenceDataSync, trigger)[0]

    def _etsy_update_listings(self, trigger="cron"):
        """Push what Odoo owns of the published listings, only where it changed (see
        `ListingUpdate`); nothing for a shop whose content Etsy owns."""
        if self.content_owner != "odoo":
            return None
        return run_flow(self, ListingUpdate, trigger)[0]
