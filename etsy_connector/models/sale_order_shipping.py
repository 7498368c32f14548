"""Etsy's ship-by date on Etsy orders and their deliveries.

Each receipt transaction carries Etsy's ``expected_ship_date``. It is kept on the order line, and
becomes the scheduled date and deadline of the open deliveries when the order is confirmed (by
the import or by hand) and whenever a re-read receipt brings another date (the order writer,
`order_writer.py`, gives the dates: none for downloads, which are not shipped).
"""

from odoo import fields, models

from ..const import CLOSED_PICKING_STATES
from ..etsy.receipt import receipt_status


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    etsy_ship_by = fields.Datetime(
        string="Etsy ship-by date", copy=False, readonly=True,
        help="The date Etsy told the buyer this item ships by (Etsy's expected ship date).",
    )


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_confirm(self):
        result = super()._action_confirm()
        self.filtered("etsy_shop_id")._etsy_schedule_deliveries()
        return result

    def _etsy_note_shipped(self, receipt):
        """Etsy's answer to a shipment is the receipt: keep its shipped flag and status."""
        self.write({"etsy_is_shipped": bool(receipt.get("is_shipped")),
                    "etsy_status": receipt_status(receipt)})

    def _etsy_update_ship_by(self, dates):
        """Take Etsy's ship-by dates ``{transaction id: datetime}``; True if one changed."""
        self.ensure_one()
        changed = self.order_line.filtered(
            lambda line: line.etsy_transaction_id in dates
            and line.etsy_ship_by != (dates[line.etsy_transaction_id] or False))
        for line in changed:
            line.etsy_ship_by = dates[line.etsy_transaction_id]
        if changed:
            self._etsy_schedule_deliveries()
        return bool(changed)

    def _etsy_schedule_deliveries(self):
        """Open deliveries are scheduled for, and due by, the ship-by date of their items."""
        for order in self:
            dated = order.order_line.filtered("etsy_ship_by")
            if not dated:
                continue
            deliveries = order.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing"
                and p.state not in CLOSED_PICKING_STATES)
            for picking in deliveries:
                lines = picking.move_ids.sale_line_id.filtered("etsy_ship_by") or dated
                picking._etsy_set_ship_by(min(lines.mapped("etsy_ship_by")))
