"""Deliveries of Etsy orders: tracking code, carrier, Etsy's ship-by date and the push state.

Validating a delivery only records that its tracking is to be sent and wakes the "send tracking"
job: the call to Etsy happens after the validation is committed (flow_tracking.py, which holds
the whole tracking export), so a rolled-back or replayed validation can never have told the
buyer anything.
"""

import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import CLOSED_PICKING_STATES, PUSH_STATES
from .etsy_run import notification
from .flow_tracking import same_tracking

# Between several parcel numbers people type commas (as Odoo's delivery module stores them),
# semicolons or new lines; spaces belong to codes such as "1Z 999 AA1 01".
TRACKING_SEPARATORS = re.compile(r"[,;\n]+")
TRACKING_FIELDS = frozenset({"etsy_tracking_code", "etsy_carrier_id"})


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # The Etsy order of a delivery is its sale order (sale_stock's `sale_id`).
    etsy_shop_id = fields.Many2one(related="sale_id.etsy_shop_id", string="Etsy shop")
    etsy_receipt_id = fields.Char(related="sale_id.etsy_receipt_id", string="Etsy receipt")
    etsy_is_delivery = fields.Boolean(compute="_compute_etsy_is_delivery")

    etsy_ship_by = fields.Datetime(
        string="Etsy ship-by date", readonly=True, index="btree_not_null",
        help="The date Etsy told the buyer the order ships by. A delivery still open after that "
             "day is late on Etsy.",
    )
    etsy_tracking_code = fields.Char(
        string="Tracking code", copy=False, tracking=True,
        help="Sent to Etsy when the delivery is validated; Etsy emails it to the buyer. Etsy "
             "takes one code per shipment: further codes, separated by commas, are not sent.",
    )
    etsy_carrier_id = fields.Many2one(
        "etsy.carrier", string="Carrier", tracking=True,
        help="Empty: the carrier of the delivery method, else the shop's default carrier.",
    )
    etsy_push_state = fields.Selection(
        PUSH_STATES, string="Etsy tracking", copy=False, readonly=True, index="btree_not_null",
        help="To send: waits for the 'send tracking' job (a few seconds after validation).\n"
             "Sent: Etsy marked the order shipped and emailed the buyer.\n"
             "Failed: Etsy refused it; the reason is shown and it is retried.\n"
             "Not needed: nothing to tell Etsy (digital items, cancelled order...).\n"
             "To check on Etsy: Etsy's answer was lost; the order is checked on Etsy before "
             "anything is sent again.",
    )
    etsy_push_message = fields.Text(string="Etsy tracking note", copy=False, readonly=True)
    etsy_push_attempts = fields.Integer(copy=False, readonly=True)
    etsy_next_push_at = fields.Datetime(string="Next attempt", copy=False, readonly=True)
    etsy_pushed_at = fields.Datetime(string="Sent to Etsy on", copy=False, readonly=True)
    etsy_pushed_tracking = fields.Char(string="Tracking code sent", copy=False, readonly=True)
    etsy_pushed_carrier = fields.Char(string="Etsy carrier sent", copy=False, readonly=True)

    @api.depends("etsy_shop_id", "picking_type_code", "location_dest_id.usage")
    def _compute_etsy_is_delivery(self):
        for picking in self:
            picking.etsy_is_delivery = bool(
                picking.etsy_shop_id and picking.picking_type_code == "outgoing"
                and picking.location_dest_id.usage == "customer")

    # === QUEUEING === #

    def _action_done(self):
        result = super()._action_done()
        self.filtered(lambda p: p.state == "done" and p.etsy_is_delivery
                      and p.etsy_shop_id.sudo().push_tracking)._etsy_queue_push()
        return result

    def write(self, vals):
        result = super().write(vals)
        if TRACKING_FIELDS.intersection(vals) and "etsy_push_state" not in vals:
            self.filtered(lambda p: p._etsy_tracking_edit_needs_push())._etsy_queue_push()
        return result

    def _etsy_tracking_edit_needs_push(self):
        """A corrected tracking code or carrier is news for Etsy (a code already sent is not)."""
        self.ensure_one()
        if self.state != "done" or not self.etsy_is_delivery:
            return False
        if self.etsy_push_state in ("failed", "skipped"):
            return True
        first = self._etsy_tracking_codes()[:1]
        return (self.etsy_push_state == "pushed" and bool(first)
                and same_tracking(first[0]) != same_tracking(self.etsy_pushed_tracking))

    def _etsy_queue_push(self):
        """Mark these deliveries' tracking as to send and wake the job that sends it."""
        if not self:
            return
        self.write({"etsy_push_state": "to_push", "etsy_push_message": False,
                    "etsy_push_attempts": 0, "etsy_next_push_at": False})
        self.env.ref("etsy_connector.ir_cron_push_tracking").sudo()._trigger()

    # === WHAT TO SEND === #

    def _etsy_tracking_codes(self):
        reference = self.etsy_tracking_code
        if not reference and "carrier_tracking_ref" in self._fields:
            reference = self.carrier_tracking_ref  # Odoo's delivery module, when installed
        return [code.strip() for code in TRACKING_SEPARATORS.split(reference or "")
                if code.strip()]

    # === ETSY'S SHIP-BY DATE === #

    def _etsy_set_ship_by(self, ship_by):
        """Schedule this open delivery for, and make it due by, Etsy's ship-by date."""
        self.ensure_one()
        if self.etsy_ship_by == ship_by:
            return
        self.move_ids.filtered(lambda m: m.state not in CLOSED_PICKING_STATES).write(
            {"date_deadline": ship_by})
        self.write({"etsy_ship_by": ship_by, "scheduled_date": ship_by})

    # === BUTTON === #

    def action_etsy_push_tracking(self):
        """'Send tracking to Etsy': push now (a push that may have reached Etsy is checked)."""
        deliveries = self.filtered(lambda p: p.etsy_is_delivery and p.state == "done")
        if not deliveries:
            raise UserError(self.env._("Only validated deliveries of Etsy orders can send "
                                       "tracking to Etsy."))
        # Whoever may change these deliveries may send their tracking; the shop (its
        # credentials, its log) is not theirs to read, so the push itself runs as superuser.
        deliveries.check_access("write")
        for shop in deliveries.etsy_shop_id:
            shop.sudo()._etsy_push_tracking(
                deliveries.filtered(lambda p, s=shop: p.etsy_shop_id == s), trigger="manual")
        return notification(
            *deliveries._etsy_push_summary(), {"type": "ir.actions.client", "tag": "soft_reload"})

    def _etsy_push_summary(self):
        """(message, notification type) telling what happened to these deliveries."""
        if len(self) == 1:
            kind = {"pushed": "success", "skipped": "info", "failed": "danger"}.get(
                self.etsy_push_state, "warning")
            labels = dict(self._fields["etsy_push_state"]._description_selection(self.env))
            label = labels.get(self.etsy_push_state, "")
            return (f"{self.name}: {label}. {self.etsy_push_message or ''}".strip(), kind)
        counts = {state: len(self.filtered(lambda p, s=state: p.etsy_push_state == s))
                  for state, _label in PUSH_STATES}
        problems = counts["failed"] + counts["unknown"]
        message = self.env._(
            "Tracking sent: %(pushed)s, not needed: %(skipped)s, failed or to check: "
            "%(problems)s.", pushed=counts["pushed"], skipped=counts["skipped"],
            problems=problems)
        return message, "warning" if problems else "success"
