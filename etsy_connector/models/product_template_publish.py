"""product.template: what its Etsy listing gets (the product form's Etsy tab). Empty fields fall
back to the product's own values or the shop's defaults (`publish_spec.listing_spec`)."""

from odoo import fields, models

from .etsy_shop_publish import WHEN_MADE_SELECTION, WHO_MADE_SELECTION

ETSY_USER_GROUP = "etsy_connector.group_etsy_user"


class ProductTemplate(models.Model):
    _inherit = "product.template"

    etsy_title = fields.Char(string="Etsy title", help="Default: the product name. At most 140 "
                                                       "characters; % : & + once each.")
    etsy_description = fields.Text(string="Etsy description",
                                   help="Plain text. Default: the sales description.")
    etsy_tags = fields.Char(string="Etsy tags",
                            help="Comma separated: at most 13 tags of at most 20 characters.")
    etsy_materials = fields.Char(string="Etsy materials", help="Comma separated.")
    etsy_taxonomy_id = fields.Many2one("etsy.taxonomy", string="Etsy category")
    etsy_who_made = fields.Selection(WHO_MADE_SELECTION, string="Who made it")
    etsy_when_made = fields.Selection(WHEN_MADE_SELECTION, string="When was it made")
    etsy_is_supply = fields.Selection([("no", "A finished product"), ("yes", "A supply or tool")],
                                      string="What is it")
    etsy_readiness_state_id = fields.Many2one("etsy.readiness.state",
                                              string="Etsy processing profile")
    etsy_shipping_profile_id = fields.Many2one("etsy.shipping.profile",
                                               string="Etsy shipping profile")
    etsy_personalization = fields.Boolean(string="Personalizable on Etsy")
    etsy_personalization_instructions = fields.Char(string="Personalization instructions")
    etsy_personalization_required = fields.Boolean(string="Personalization required")
    etsy_personalization_max_chars = fields.Integer(string="Personalization max characters",
                                                    default=256)
    etsy_is_digital = fields.Boolean(
        string="Digital download on Etsy",
        help="Published as a digital listing with the files below: no shipping, no processing "
             "profile, never part of the stock push.")
    etsy_image_ids = fields.Many2many(
        "ir.attachment", "product_template_etsy_image_rel", "product_tmpl_id", "attachment_id",
        string="Extra Etsy images", help="Sent after the product image, in this order.")
    etsy_file_ids = fields.Many2many(
        "ir.attachment", "product_template_etsy_file_rel", "product_tmpl_id", "attachment_id",
        string="Etsy files", help="The files buyers download (digital listings).")
    etsy_listing_ids = fields.One2many("etsy.listing", "product_tmpl_id",
                                       string="Published Etsy listings", groups=ETSY_USER_GROUP)

    def write(self, vals):
        result = super().write(vals)
        if vals.get("active") is False:
            # Archiving the product takes its listings off Etsy (deactivated, not deleted).
            listings = self.sudo().with_context(active_test=False).etsy_listing_ids.filtered(
                lambda listing: listing.publish_state == "active")
            listings._etsy_deactivate()
        return result

    def action_etsy_publish(self):
        """The publish wizard for these products."""
        return self.env["etsy.publish.wizard"]._action_for(self)
