"""Reference data read from Etsy for publishing: the seller taxonomy and, per shop, shipping
profiles, return policies and processing profiles. Written by `flow_reference.ReferenceDataSync`."""

import json

from odoo import api, fields, models


class EtsyTaxonomy(models.Model):
    """A node of Etsy's seller taxonomy (the same for every shop)."""

    _name = "etsy.taxonomy"
    _description = "Etsy category (seller taxonomy)"
    _order = "full_path"
    _rec_name = "full_path"

    etsy_taxonomy_id = fields.Integer(string="Etsy taxonomy ID", required=True, index=True)
    name = fields.Char(required=True)
    full_path = fields.Char(index=True, help="e.g. 'Accessories > Bags & Purses > Tote Bags'.")
    parent_id = fields.Many2one("etsy.taxonomy", ondelete="cascade", index=True)
    level = fields.Integer()
    is_leaf = fields.Boolean(help="Etsy lists products in leaf categories.")
    active = fields.Boolean(default=True)
    properties_json = fields.Text(
        readonly=True, help="The node's properties as Etsy gave them (getPropertiesByTaxonomyId), "
                            "read when a product of this category is first published.")

    _sql_constraints = [
        ("etsy_taxonomy_unique", "unique(etsy_taxonomy_id)", "This Etsy category already exists."),
    ]

    def _etsy_properties(self):
        """The cached properties (a list of dicts), or None when never read."""
        self.ensure_one()
        return json.loads(self.properties_json) if self.properties_json else None


class EtsyShopReference(models.AbstractModel):
    """What every per-shop reference record has: its shop (and company), a name, and an active
    flag (a record Etsy no longer lists is archived, never deleted: products may use it)."""

    _name = "etsy.shop.reference"
    _description = "Etsy reference data of a shop"
    _order = "shop_id, name"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    name = fields.Char(required=True)
    active = fields.Boolean(default=True)


class EtsyShippingProfile(models.Model):
    _name = "etsy.shipping.profile"
    _inherit = "etsy.shop.reference"
    _description = "Etsy shipping profile"

    etsy_shipping_profile_id = fields.Char(string="Etsy shipping profile ID", required=True)
    origin_country = fields.Char(string="Ships from")
    destination_count = fields.Integer(
        help="Etsy activates a listing only with a profile that has at least one destination.")
    is_complete = fields.Boolean(compute="_compute_is_complete", store=True)

    _sql_constraints = [
        ("etsy_shipping_profile_unique", "unique(shop_id, etsy_shipping_profile_id)",
         "This shipping profile is already known for this shop."),
    ]

    @api.depends("destination_count")
    def _compute_is_complete(self):
        for profile in self:
            profile.is_complete = profile.destination_count > 0


class EtsyReturnPolicy(models.Model):
    _name = "etsy.return.policy"
    _inherit = "etsy.shop.reference"
    _description = "Etsy return policy"

    etsy_return_policy_id = fields.Char(string="Etsy return policy ID", required=True)
    accepts_returns = fields.Boolean()
    accepts_exchanges = fields.Boolean()
    return_deadline = fields.Integer(string="Return deadline (days)")

    _sql_constraints = [
        ("etsy_return_policy_unique", "unique(shop_id, etsy_return_policy_id)",
         "This return policy is already known for this shop."),
    ]


class EtsyReadinessState(models.Model):
    """A processing profile: how long the shop takes before shipping."""

    _name = "etsy.readiness.state"
    _inherit = "etsy.shop.reference"
    _description = "Etsy processing profile"

    etsy_readiness_state_id = fields.Char(string="Etsy processing profile ID", required=True)
    readiness_state = fields.Selection([("ready_to_ship", "Ready to ship"),
                                        ("made_to_order", "Made to order")])
    min_processing_days = fields.Integer()
    max_processing_days = fields.Integer()

    _sql_constraints = [
        ("etsy_readiness_state_unique", "unique(shop_id, etsy_readiness_state_id)",
         "This processing profile is already known for this shop."),
    ]
