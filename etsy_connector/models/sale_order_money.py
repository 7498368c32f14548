"""sale.order: the VAT Etsy keeps, and the invoices of Etsy orders (see etsy_invoicing.py)."""

from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    etsy_vat_amount = fields.Monetary(
        string="VAT collected by Etsy", copy=False, readonly=True,
        help="VAT Etsy collected and remits itself as marketplace facilitator (shop VAT policy "
             "'Etsy collects'): kept out of the order total, not your revenue nor your tax.")
