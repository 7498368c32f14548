from odoo import api, fields, models


class EtsyListing(models.Model):
    """An Etsy listing of a shop, bound to at most one Odoo product template."""

    _name = "etsy.listing"
    _description = "Etsy listing"
    _order = "shop_id, title"
    _check_company_auto = True

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    etsy_listing_id = fields.Char(string="Etsy listing ID", required=True, index=True)
    title = fields.Char()
    state = fields.Char(string="Etsy state", help="active, inactive, sold_out, draft or expired.")
    url = fields.Char(string="Etsy URL")
    product_tmpl_id = fields.Many2one("product.template", check_company=True, index="btree_not_null")
    etsy_product_ids = fields.One2many("etsy.product", "listing_id", string="Etsy products")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("etsy_listing_unique", "unique(shop_id, etsy_listing_id)",
         "This Etsy listing is already known for this shop."),
    ]

    @api.depends("title", "etsy_listing_id")
    def _compute_display_name(self):
        for listing in self:
            listing.display_name = listing.title or f"Etsy listing {listing.etsy_listing_id}"


class EtsyProduct(models.Model):
    """One product (variation combination) of an Etsy listing, bound to an Odoo variant."""

    _name = "etsy.product"
    _description = "Etsy product (listing variation)"
    _order = "listing_id, sku"
    _check_company_auto = True

    listing_id = fields.Many2one("etsy.listing", required=True, ondelete="cascade", index=True)
    shop_id = fields.Many2one(related="listing_id.shop_id", store=True, index=True)
    company_id = fields.Many2one(related="listing_id.company_id", store=True)
    etsy_product_id = fields.Char(string="Etsy product ID", required=True, index=True)
    sku = fields.Char(string="SKU")
    property_values = fields.Char(help="The variation, e.g. 'Size: 8 oz, Scent: Teatime'.")
    product_id = fields.Many2one("product.product", string="Odoo variant", check_company=True,
                                 index="btree_not_null")
    last_pushed_qty = fields.Integer(string="Last pushed quantity")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("etsy_product_unique", "unique(listing_id, etsy_product_id)",
         "This Etsy product is already bound for this listing."),
    ]

    @api.depends("listing_id.display_name", "property_values", "sku")
    def _compute_display_name(self):
        for product in self:
            detail = product.property_values or product.sku or product.etsy_product_id
            product.display_name = f"{product.listing_id.display_name} ({detail})"
