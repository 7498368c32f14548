"""Per product: celebration images/GIFs, one picked at random for its Discord sale message."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .etsy_discord_message import is_public_url


class ProductTemplate(models.Model):
    _inherit = "product.template"

    etsy_discord_gif_urls = fields.Text(
        string="Discord celebration GIFs",
        help="Public image or GIF addresses (http/https), one per line. Each Discord message "
             "announcing a sale of this product shows one of them, picked at random.")

    def _etsy_discord_gif_list(self):
        """The celebration image URLs of this product, in order (empty lines skipped)."""
        self.ensure_one()
        return [line.strip() for line in (self.etsy_discord_gif_urls or "").splitlines()
                if line.strip()]

    @api.constrains("etsy_discord_gif_urls")
    def _check_etsy_discord_gif_urls(self):
        for template in self:
            wrong = [url for url in template._etsy_discord_gif_list() if not is_public_url(url)]
            if wrong:
                raise ValidationError(self.env._(
                    "Discord celebration GIFs must be http(s) addresses, one per line: %s",
                    ", ".join(wrong[:3])))
