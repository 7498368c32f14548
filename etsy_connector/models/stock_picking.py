"""Deliveries of Etsy orders: tracking code, carrier, Etsy's ship-by date and the push state.

Validating a delivery only records that its tracking is to be sent and wakes the "send tracking"
job: the call to Etsy happens after the validation is committed (etsy_shop_shipping.py), so a
rolled-back or replayed validation can never have told the buyer anything.
"""

import datetime
import re

from markupsafe import Markup

from odoo import _, fields, models
from odoo.exceptions import UserError

from .etsy_carrier import OTHER_CODE

PUSH_STATES = [
    ("to_push", "To send"),
    ("pushed", "Sent"),
    ("failed", "Failed"),
    ("skipped", "Not needed"),
    ("unknown", "To check on Etsy"),
]
# Between several parcel numbers people type commas (as Odoo's delivery module stores them),
# semicolons or new lines; spaces belong to codes such as "1Z 999 AA1 01".
TRACKING_SEPARATORS = re.compile(r"[,;\n]+")
TRACKING_FIELDS = frozenset({"etsy_tracking_code", "etsy_carrier_id"})
RETRY_BASE = datetime.timedelta(minutes=10)
RETRY_MAX = datetime.timedelta(days=1)
# After a lost answer Etsy may still be applying the shipment: look again a little later.
UNKNOWN_RECHECK_DELAY = datetime.timedelta(minutes=5)
CANCELLED_ETSY_STATUSES = ("canceled", "fully refunded")


def same_tracking(code):
    """A tracking code as compared with Etsy's copy: no spaces, upper case."""
    return re.sub(r"\s+", "", code or "").upper()


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # The order link comes from sale_stock at run time; these are not stored so the addon's
    # models never depend on it at install.
    etsy_shop_id = fields.Many2one(
        "etsy.shop", string="Etsy shop", compute="_compute_etsy_order", compute_sudo=True,
        search="_search_etsy_shop_id",
    )
    etsy_receipt_id = fields.Char(string="Etsy receipt", compute="_compute_etsy_order",
                                  compute_sudo=True)
    etsy_is_delivery = fields.Boolean(compute="_compute_etsy_order", compute_sudo=True)

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

    def _compute_etsy_order(self):
        for picking in self:
            order = picking.sale_id
            picking.etsy_shop_id = order.etsy_shop_id
            picking.etsy_receipt_id = order.etsy_receipt_id
            picking.etsy_is_delivery = bool(
                order.etsy_shop_id and picking.picking_type_code == "outgoing"
                and picking.location_dest_id.usage == "customer")

    def _search_etsy_shop_id(self, operator, value):
        return [("sale_id.etsy_shop_id", operator, value)]

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

    def _etsy_carrier(self):
        """(Etsy carrier name to send, carrier name to tell the buyer when Etsy has no link)."""
        carrier, name = self.etsy_carrier_id, self.etsy_carrier_id.name
        if not carrier and "carrier_id" in self._fields and self.carrier_id:
            name = self.carrier_id.name
            carrier = self.env["etsy.carrier"]._match(name)
        if not name:
            carrier = self.etsy_shop_id.sudo().default_carrier_id
            name = carrier.name
        if carrier and not carrier._is_other():
            return carrier.code, False
        return OTHER_CODE, (name if name and name.strip().lower() != OTHER_CODE else False)

    def _etsy_shipment_request(self):
        """createReceiptShipment fields for this delivery, and notes on what Etsy cannot take."""
        self.ensure_one()
        codes = self._etsy_tracking_codes()
        carrier_code, carrier_name = self._etsy_carrier()
        request, notes = {}, []
        if codes:
            # Etsy wants a carrier with every tracking code; unknown carriers go as "other".
            request.update(tracking_code=codes[0], carrier_name=carrier_code)
            if carrier_code == OTHER_CODE and carrier_name:
                notes.append(_("%s is not on Etsy's list of carriers: the buyer gets the "
                               "tracking code without a tracking link.", carrier_name))
            elif carrier_code == OTHER_CODE:
                notes.append(_("No carrier was chosen: the buyer gets the tracking code "
                               "without a tracking link."))
        if carrier_name:
            request["note_to_buyer"] = _("Shipped with %s.", carrier_name)
        if codes[1:]:
            notes.append(_("Etsy takes one tracking code per shipment: %s was not sent. Give it "
                           "to the buyer in an Etsy message if needed.", ", ".join(codes[1:])))
        return request, notes

    def _etsy_receipt_verdict(self, receipt, request):
        """What the receipt on Etsy says: None to send ``request``, else (state, reason)."""
        self.ensure_one()
        status = self.env["etsy.order.importer"]._receipt_status(receipt)
        if status in CANCELLED_ETSY_STATUSES:
            return "skipped", _("The order is %s on Etsy: no shipping notice was sent.", status)
        if self._etsy_only_digital(receipt):
            return "skipped", _("Only digital items: Etsy delivers downloads itself and sends "
                                "no shipping notice for them.")
        was_sent = self.etsy_push_state == "unknown"
        code = same_tracking(request.get("tracking_code"))
        if code:
            shipped = {same_tracking(shipment.get("tracking_code"))
                       for shipment in receipt.get("shipments") or []}
            if code not in shipped:
                return None
            if was_sent:
                return "pushed", _("Etsy had received this tracking code although its answer "
                                   "was lost: it was not sent again.")
            return "pushed", _("This tracking code is already on the Etsy order: it was not "
                               "sent again.")
        if not receipt.get("is_shipped"):
            return None
        if was_sent:
            return "pushed", _("Etsy had marked the order shipped although its answer was lost: "
                               "it was not sent again.")
        return "skipped", _("Etsy already shows the order as shipped and this delivery has no "
                            "tracking code: there is nothing new to tell the buyer.")

    def _etsy_only_digital(self, receipt):
        mine = set(self.move_ids.sale_line_id.mapped("etsy_transaction_id")) - {False}
        digital = {str(tx["transaction_id"]) for tx in receipt.get("transactions") or []
                   if tx.get("is_digital")}
        return bool(mine) and mine <= digital

    # === PUSH STATE === #

    def _etsy_mark_sending(self):
        """Written and committed before the POST: a crash after it leaves a push to check."""
        self.write({"etsy_push_state": "unknown",
                    "etsy_push_message": _("Sent to Etsy; waiting for its answer."),
                    "etsy_next_push_at": fields.Datetime.now() + UNKNOWN_RECHECK_DELAY})

    def _etsy_push_settled(self, state, message, request):
        """The tracking reached Etsy (``pushed``) or needs not (``skipped``)."""
        self.ensure_one()
        values = {"etsy_push_state": state, "etsy_push_message": message or False,
                  "etsy_push_attempts": 0, "etsy_next_push_at": False}
        if state == "pushed":
            values.update(etsy_pushed_at=fields.Datetime.now(),
                          etsy_pushed_tracking=request.get("tracking_code") or False,
                          etsy_pushed_carrier=request.get("carrier_name") or False)
        self.write(values)
        self.message_post(body=self._etsy_settled_text(state, message, request))

    def _etsy_settled_text(self, state, message, request):
        if state == "skipped":
            headline = _("Tracking not sent to Etsy.")
        elif request.get("tracking_code"):
            headline = _("Tracking on Etsy: %(carrier)s %(code)s.",
                         carrier=request["carrier_name"], code=request["tracking_code"])
        else:
            headline = _("Etsy order marked as shipped (no tracking code).")
        return Markup("%s<br/>%s") % (headline, message) if message else headline

    def _etsy_push_problem(self, state, message, retry_at=None, previous_reason=None):
        """The push ``failed`` or its outcome is ``unknown``: say why and plan the next try.

        ``previous_reason``: the reason shown before this attempt, when the attempt replaced it.
        """
        self.ensure_one()
        attempts = self.etsy_push_attempts + 1
        delay = (UNKNOWN_RECHECK_DELAY if state == "unknown"
                 else min(RETRY_BASE * 2 ** min(attempts - 1, 10), RETRY_MAX))
        news = message != (previous_reason or self.etsy_push_message)
        self.write({"etsy_push_state": state, "etsy_push_message": message,
                    "etsy_push_attempts": attempts,
                    "etsy_next_push_at": retry_at or fields.Datetime.now() + delay})
        if news:
            self.message_post(body=_("Tracking not sent to Etsy: %s", message))

    def _etsy_set_ship_by(self, ship_by):
        """Schedule this open delivery for, and make it due by, Etsy's ship-by date."""
        self.ensure_one()
        if self.etsy_ship_by == ship_by:
            return
        self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")).write(
            {"date_deadline": ship_by})
        self.write({"etsy_ship_by": ship_by, "scheduled_date": ship_by})

    # === BUTTON === #

    def action_etsy_push_tracking(self):
        """'Send tracking to Etsy': push now (a push that may have reached Etsy is checked)."""
        deliveries = self.filtered(lambda p: p.etsy_is_delivery and p.state == "done")
        if not deliveries:
            raise UserError(_("Only validated deliveries of Etsy orders can send tracking to "
                              "Etsy."))
        for shop in deliveries.etsy_shop_id:
            shop._etsy_push_tracking(deliveries.filtered(lambda p, s=shop: p.etsy_shop_id == s),
                                     trigger="manual")
        return self.env["etsy.shop"]._etsy_notification(
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
        return (_("Tracking sent: %(pushed)s, not needed: %(skipped)s, failed or to check: "
                  "%(problems)s.", pushed=counts["pushed"], skipped=counts["skipped"],
                  problems=problems), "warning" if problems else "success")
