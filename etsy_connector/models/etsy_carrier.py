"""Carriers as Etsy names them: what a delivery's carrier becomes in createReceiptShipment."""

from odoo import api, fields, models

from ..const import OTHER_CARRIER_CODE


class EtsyCarrier(models.Model):
    """One carrier a seller ships with, mapped to the carrier name (slug) Etsy knows it by.

    Etsy only links tracking codes of carriers on its list (API-NOTES §8); a carrier missing
    from that list is sent as ``other`` with its name in the note to the buyer.
    """

    _name = "etsy.carrier"
    _description = "Etsy Shipping Carrier"
    _order = "sequence, name, id"

    name = fields.Char(
        required=True,
        help="The carrier as your team knows it, e.g. 'USPS' or 'Local courier'.",
    )
    code = fields.Char(
        string="Etsy carrier name", required=True, default=OTHER_CARRIER_CODE,
        help="The carrier name Etsy expects, from its list of supported carriers (e.g. usps, "
             "royal-mail, dhl-germany). 'other' sends the tracking code without a tracking "
             "link and names this carrier in the note to the buyer.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("name_unique", "unique(name)", "A carrier with this name already exists."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_code(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_code(vals)
        return super().write(vals)

    @api.model
    def _normalize_code(self, vals):
        # Etsy's slugs are lower case; "Royal Mail " typed by hand would silently lose the link.
        if vals.get("code"):
            vals["code"] = vals["code"].strip().lower()

    @api.model
    def _match(self, carrier_name):
        """The carrier whose name or Etsy code is ``carrier_name`` (any case), if any."""
        name = (carrier_name or "").strip()
        if not name:
            return self.browse()
        return (self.search([("name", "=ilike", name)], limit=1)
                or self.search([("code", "=ilike", name)], limit=1))

    def _is_other(self):
        self.ensure_one()
        return self.code == OTHER_CARRIER_CODE
