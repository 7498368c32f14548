"""Products: their Etsy listings on the product form, and the fast path of the stock push."""

from odoo import api, fields, models

from ..const import PUSH_DELAY
from ..const import USER_GROUP as ETSY_USER_GROUP


class ProductProduct(models.Model):
    _inherit = "product.product"

    etsy_product_ids = fields.One2many("etsy.product", "product_id", string="Etsy products",
                                       groups=ETSY_USER_GROUP)
    etsy_listing_count = fields.Integer(compute="_compute_etsy_listing_count",
                                        groups=ETSY_USER_GROUP, string="Etsy listings")

    @api.depends("etsy_product_ids.listing_id")
    def _compute_etsy_listing_count(self):
        for product in self:
            product.etsy_listing_count = len(product.etsy_product_ids.listing_id)

    def action_view_etsy_listings(self):
        """The Etsy listings that sell this variant."""
        return self.env["etsy.listing"]._etsy_action_for_products(self)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    etsy_listing_count = fields.Integer(compute="_compute_etsy_listing_count",
                                        groups=ETSY_USER_GROUP, string="Etsy listings")

    @api.depends("product_variant_ids.etsy_product_ids.listing_id")
    def _compute_etsy_listing_count(self):
        for template in self:
            template.etsy_listing_count = len(
                template.product_variant_ids.etsy_product_ids.listing_id)

    def action_view_etsy_listings(self):
        """The Etsy listings that sell a variant of this product."""
        return self.env["etsy.listing"]._etsy_action_for_products(self.product_variant_ids)


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._etsy_schedule_stock_push()
        return moves

    def _etsy_schedule_stock_push(self):
        """Done moves of a product linked to an Etsy listing ask for a stock push in about a
        minute (one pending trigger at a time, as moves come in bursts; the cron is the
        backstop)."""
        products = self.product_id.filtered("is_storable")
        if not products:
            return
        # sudo: whoever moves stock may know nothing of Etsy, the push must still happen.
        linked = self.env["etsy.product"].sudo().search_count([
            ("product_id", "in", products.ids), ("link_state", "=", "linked"),
            ("shop_id.state", "=", "connected"),
        ], limit=1)
        cron = self.env.ref("etsy_connector.ir_cron_sync_inventory", raise_if_not_found=False)
        if not (linked and cron and cron.sudo().active):
            return
        pending = self.env["ir.cron.trigger"].sudo().search_count([
            ("cron_id", "=", cron.id), ("call_at", ">=", fields.Datetime.now()),
        ], limit=1)
        if not pending:
            cron.sudo()._trigger(at=fields.Datetime.now() + PUSH_DELAY)
