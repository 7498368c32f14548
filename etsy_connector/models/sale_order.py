"""Etsy fields of sale orders and their lines, and what the order import does to an order."""

from markupsafe import Markup

from odoo import fields, models
from odoo.tools.sql import create_index


class SaleOrder(models.Model):
    _inherit = "sale.order"

    etsy_shop_id = fields.Many2one("etsy.shop", string="Etsy shop", index="btree_not_null",
                                   copy=False, readonly=True)
    etsy_receipt_id = fields.Char(string="Etsy receipt", copy=False, readonly=True, index=True)
    etsy_status = fields.Char(string="Etsy status", copy=False, readonly=True,
                              help="The receipt status on Etsy (paid, completed, canceled, ...).")
    etsy_is_shipped = fields.Boolean(string="Shipped on Etsy", copy=False, readonly=True)
    etsy_updated_at = fields.Datetime(string="Etsy last update", copy=False, readonly=True)
    etsy_grand_total = fields.Monetary(string="Etsy grand total", copy=False, readonly=True)
    etsy_sales_tax = fields.Monetary(
        string="Sales tax collected by Etsy", copy=False, readonly=True,
        help="Sales tax Etsy collected and remitted as marketplace facilitator: not your revenue.",
    )
    etsy_refund_total = fields.Monetary(string="Refunded on Etsy", copy=False, readonly=True)
    etsy_refund_count = fields.Integer(copy=False, readonly=True)
    etsy_buyer_message = fields.Text(string="Message from buyer", copy=False, readonly=True)
    etsy_gift_message = fields.Text(string="Gift message", copy=False, readonly=True)
    etsy_is_gift = fields.Boolean(string="Gift", copy=False, readonly=True)
    etsy_needs_attention = fields.Boolean(copy=False, index=True,
                                          help="Something on this Etsy order needs a person.")
    etsy_attention_reason = fields.Text(copy=False)

    _sql_constraints = [
        ("etsy_receipt_unique", "unique(etsy_shop_id, etsy_receipt_id)",
         "This Etsy receipt was already imported for this shop."),
    ]

    def _etsy_flag(self, reason):
        """Mark the order as needing attention, keeping earlier reasons (each once)."""
        for order in self:
            reasons = (order.etsy_attention_reason or "").splitlines()
            if reason not in reasons:
                reasons.append(reason)
            order.write({"etsy_needs_attention": True, "etsy_attention_reason": "\n".join(reasons)})

    def _etsy_unflag(self, reasons):
        """Withdraw ``reasons`` (dealt with by the connector); the flag goes when none is left."""
        for order in self:
            kept = [line for line in (order.etsy_attention_reason or "").splitlines()
                    if line not in reasons]
            if kept == (order.etsy_attention_reason or "").splitlines():
                continue
            order.write({"etsy_needs_attention": bool(kept),
                         "etsy_attention_reason": "\n".join(kept) or False})

    def action_etsy_mark_resolved(self):
        self.write({"etsy_needs_attention": False, "etsy_attention_reason": False})
        return True

    def _etsy_has_delivered_goods(self):
        self.ensure_one()
        return any(picking.state == "done" and picking.picking_type_code == "outgoing"
                   for picking in self.picking_ids)

    def _etsy_cancel_from_etsy(self, reason):
        """Etsy cancelled (or refunded) the receipt: cancel the order unless goods already left.

        `reason` is said on the order's chatter.
        """
        self.ensure_one()
        if self.state == "cancel":
            return False
        if self._etsy_has_delivered_goods():
            self._etsy_flag(self.env._("Cancelled on Etsy after goods were delivered: handle "
                                       "the return."))
            return True
        if self.invoice_ids.filtered(lambda move: move.state == "posted"):
            # An invoiced order stays in the books: its refund becomes a credit note (the
            # shop's invoicing); only the goods that have not left are held back.
            self.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")).action_cancel()
            self.message_post(body=reason)
            return True
        self._action_cancel()
        self.message_post(body=reason)
        return True

    def _etsy_note_refunds(self, refunds, total):
        """Post one chatter note per refund not seen before, and flag the order.

        `refunds`: the receipt's refunds in Etsy's order (`etsy.receipt.Refund`), `total` their sum.
        """
        self.ensure_one()
        new = refunds[self.etsy_refund_count:]
        if not new:
            return False
        for refund in new:
            self.message_post(body=Markup("%s<br/>%s") % (
                self.env._("Refund on Etsy: %(amount)s %(currency)s", amount=refund.amount,
                           currency=self.currency_id.name),
                refund.reason,
            ))
        self.write({"etsy_refund_count": len(refunds), "etsy_refund_total": total})
        self._etsy_flag(self.env._("Refunded on Etsy: issue a credit note if the order was "
                                   "invoiced."))
        return True

    def _etsy_note_shipped_before_import(self, policy):
        """Say on the order what became of its delivery, Etsy having shipped it already."""
        if policy == "none":
            body = self.env._("Etsy showed this order as shipped when it was imported: no "
                              "delivery was created (shop setting 'Receipts already shipped').")
        else:
            body = self.env._("Etsy showed this order as shipped when it was imported: its "
                              "delivery was validated as shipped (shop setting 'Receipts already "
                              "shipped').")
        for order in self:
            order.message_post(body=body)

    def _prepare_confirmation_values(self):
        # An Etsy order was placed when the buyer bought on Etsy, not when Odoo confirms it.
        values = super()._prepare_confirmation_values()
        if self and all(self.mapped("etsy_shop_id")):
            values.pop("date_order", None)
        return values


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    etsy_shop_id = fields.Many2one("etsy.shop", copy=False, index="btree_not_null", readonly=True)
    etsy_transaction_id = fields.Char(string="Etsy transaction", copy=False, readonly=True)
    etsy_listing_id = fields.Char(string="Etsy listing", copy=False, readonly=True)
    etsy_product_id = fields.Char(string="Etsy product", copy=False, readonly=True)
    etsy_unmatched = fields.Boolean(
        string="Unmatched Etsy item", copy=False,
        help="No Odoo product matched this Etsy item; it uses the placeholder product.",
    )
    etsy_is_digital = fields.Boolean(
        string="Etsy download", copy=False, readonly=True,
        help="A digital item: Etsy delivers the download, Odoo creates no delivery for it.",
    )
    # What the import knew of an unmatched item, so linking it later can find its order lines
    # (see `order_relink`): Etsy's SKU, the variation (`etsy_binding.property_key`), the note
    # the order was flagged with, and whether the line could not take the product safely.
    etsy_sku = fields.Char(string="Etsy SKU", copy=False, readonly=True)
    etsy_variation_key = fields.Char(copy=False, readonly=True)
    etsy_unmatched_note = fields.Char(copy=False, readonly=True)
    etsy_relink_blocked = fields.Boolean(copy=False, readonly=True)

    _sql_constraints = [
        ("etsy_transaction_unique", "unique(etsy_shop_id, etsy_transaction_id)",
         "This Etsy transaction was already imported for this shop."),
    ]

    def init(self):
        # Linking an Etsy product looks for the shop's unmatched lines: few among many.
        create_index(self.env.cr, "sale_order_line_etsy_unmatched_idx", self._table,
                     ["etsy_shop_id"], where="etsy_unmatched")

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        # Whatever product a download is matched to, nothing leaves the warehouse for it.
        physical = self.filtered(lambda line: not line.etsy_is_digital)
        return super(SaleOrderLine, physical)._action_launch_stock_rule(previous_product_uom_qty)
