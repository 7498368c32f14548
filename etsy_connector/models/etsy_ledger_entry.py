"""One entry of a shop's Etsy Payment Account ledger, as Etsy sent it, and what it was booked as."""

from odoo import fields, models

STATES = [
    ("booked", "Booked"),
    ("matched", "Matched with the invoice payment"),
    ("to_check", "To check"),
    ("suspense", "On suspense: unknown type"),
]


class EtsyLedgerEntry(models.Model):
    _name = "etsy.ledger.entry"
    _description = "Etsy Payment Account ledger entry"
    _order = "shop_id, sequence_number desc, id desc"
    _rec_name = "etsy_entry_id"

    shop_id = fields.Many2one("etsy.shop", required=True, index=True, ondelete="cascade",
                              readonly=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    etsy_entry_id = fields.Char(string="Etsy entry", required=True, readonly=True)
    sequence_number = fields.Integer(readonly=True, help="Etsy's order of the entries.")
    ledger_type = fields.Char(required=True, readonly=True, index=True)
    description = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(readonly=True, help="Credited to the Payment Account (negative: "
                                                 "charged).")
    balance = fields.Monetary(readonly=True, help="Etsy's balance once this entry was applied.")
    created_at = fields.Datetime(required=True, readonly=True, index=True)
    reference_type = fields.Char(readonly=True)
    reference_id = fields.Char(readonly=True)
    etsy_payment_id = fields.Char(string="Etsy payment", readonly=True, index=True)
    etsy_receipt_id = fields.Char(string="Etsy receipt", readonly=True, index=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    move_id = fields.Many2one("account.move", string="Booked as", readonly=True,
                              index="btree_not_null")
    move_line_id = fields.Many2one("account.move.line", readonly=True)
    state = fields.Selection(STATES, required=True, default="booked", readonly=True, index=True)
    note = fields.Text(readonly=True, help="What a person should look at.")

    _sql_constraints = [
        ("entry_unique", "unique(shop_id, etsy_entry_id)",
         "An Etsy ledger entry is recorded once per shop."),
    ]
