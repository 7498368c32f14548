"""Deleting listings on Etsy, confirmed by the seller first."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.etsy_run import run_flow
from ..models.flow_publish import ListingDelete


class EtsyListingDeleteWizard(models.TransientModel):
    """Deleting a listing on Etsy cannot be undone: the seller confirms it explicitly."""

    _name = "etsy.listing.delete.wizard"
    _description = "Delete Etsy listings (confirmation)"

    listing_ids = fields.Many2many("etsy.listing", required=True)
    confirm = fields.Boolean(string="I understand the listings are deleted on Etsy for good")

    @api.model
    def _check_rights(self):
        if not self.env.user.has_group("etsy_connector.group_etsy_manager"):
            raise UserError(self.env._("Only an Etsy manager may delete listings on Etsy."))

    def action_delete(self):
        self._check_rights()
        if not self.confirm:
            raise UserError(self.env._("Tick the confirmation: deleting a listing on Etsy "
                                       "cannot be undone."))
        for shop in self.listing_ids.shop_id:
            run_flow(shop, ListingDelete, "manual",
                     listing_ids=self.listing_ids._of_shop(shop).ids)
        return {"type": "ir.actions.act_window_close"}
