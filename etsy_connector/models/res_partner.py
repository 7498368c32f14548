from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    etsy_buyer_user_id = fields.Char(
        string="Etsy buyer ID",
        index="btree_not_null",
        copy=False,
        help="The Etsy user id of this buyer: their next orders are matched to this contact.",
    )
