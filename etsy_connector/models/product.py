"""Products: their Etsy listings on the product form, and the fast path of the stock push."""

from odoo import api, fields, models

ETSY_USER_GROUP = "etsy_connector.group_etsy_user"


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
        self.env["etsy.shop"]._etsy_stock_schedule_push(moves.product_id)
        return moves
