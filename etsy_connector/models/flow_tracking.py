"""Tracking export: validated deliveries of Etsy orders become Etsy shipments, exactly once.

createReceiptShipment is a POST that emails the buyer each time and cannot be undone, so a
delivery is sent at most once per tracking code (API-NOTES §11 pitfall 9):

- validating a delivery only marks its tracking "to send" and wakes the "send tracking" job
  (stock_picking.py): the call to Etsy happens here, after the validation is committed, so a
  rolled-back or replayed validation can never have told the buyer anything;
- each push first reads the receipt on Etsy: a code already there, a cancelled order or digital
  items are settled without a POST;
- before the POST the delivery is committed as "to check on Etsy" (`TrackingExport.send`); if
  Etsy's answer is lost it stays so, and the next attempt finds the shipment on the receipt
  instead of sending it twice;
- a refusal is kept on the delivery with its reason and retried with a growing delay; the same
  refusal is said once in the chatter, not at every attempt.
"""

import datetime
import re

from markupsafe import Markup

from odoo import fields

from ..const import (
    CANCELLED_ETSY_STATUSES,
    DUE_PUSH_STATES,
    OTHER_CARRIER_CODE,
    PUSHES_PER_RUN,
    TRACKING_REQUIRED_MARKER,
    UNKNOWN_RECHECK_DELAY,
    retry_delay,
)
from ..etsy.errors import (
    EtsyDailyLimitError,
    EtsyError,
    EtsyTransientError,
    EtsyUnknownOutcomeError,
)
from ..etsy.receipt import receipt_status
from .etsy_run import RUN_ERRORS, EtsyFlow
from .user_messages import user_text


def same_tracking(code):
    """A tracking code as compared with Etsy's copy: no spaces, upper case."""
    return re.sub(r"\s+", "", code or "").upper()


class TrackingExport(EtsyFlow):
    """Send the tracking of validated deliveries (`picking_ids`, default: the due ones)."""

    flow = "shipping"

    def __init__(self, frame, picking_ids=None):
        super().__init__(frame, picking_ids=picking_ids)
        self.picking_ids = picking_ids

    @classmethod
    def due_pickings(cls, shop):
        """This shop's validated deliveries whose tracking is to send, or to try again now."""
        return shop.env["stock.picking"].search([
            ("etsy_shop_id", "=", shop.id), ("state", "=", "done"),
            ("etsy_push_state", "in", DUE_PUSH_STATES),
            "|", ("etsy_next_push_at", "=", False),
            ("etsy_next_push_at", "<=", fields.Datetime.now()),
        ], order="etsy_next_push_at asc nulls first, id", limit=PUSHES_PER_RUN)

    @classmethod
    def busy_message(cls, shop):
        return shop.env._("Tracking of %s is being sent to Etsy right now: try again in a "
                          "moment.", shop.name)

    def daily_limit_note(self):
        return self.env._("Etsy's daily API limit is reached: the remaining deliveries are "
                          "sent later.")

    def summary(self):
        counts = self.log.counts
        return self.env._(
            "%(done)s of %(total)s deliveries settled with Etsy (%(sent)s sent, %(skipped)s "
            "not needed), %(failed)s failed or to check.",
            done=counts["done"], total=counts["fetched"], sent=counts["created"],
            skipped=counts["skipped"], failed=counts["failed"])

    def execute(self):
        if self.picking_ids is None:
            pickings = self.due_pickings(self.shop)
        else:
            pickings = self.env["stock.picking"].browse(self.picking_ids)
        for picking in pickings:
            self.log.count("fetched")
            self.push(picking)

    # === ONE DELIVERY === #

    def push(self, picking):
        """Settle one delivery: read its receipt, then send its tracking unless Etsy has it.

        Etsy's errors are the delivery's outcome (`problem`); anything else is a bug, isolated
        to this delivery. The steps that commit (`send`) run outside any savepoint.
        """
        try:
            receipt = self.client.get_shop_receipt(self.shop.etsy_shop_id,
                                                   picking.etsy_receipt_id)
        except EtsyError as exc:
            # Nothing was sent: a push to check stays to check until the receipt can be read.
            self.problem(picking, exc, "unknown" if picking.etsy_push_state == "unknown"
                         else "failed")
            return
        with self.isolated(picking.name, picking.etsy_receipt_id) as outcome:
            request, notes = self.shipment_request(picking)
            verdict = self.receipt_verdict(picking, receipt, request)
            if verdict:
                state, reason = verdict
                self.settle(picking, state, reason, request)
                self.log.count("skipped" if state == "skipped" else "updated")
                self.log.note(picking.name, reason, etsy_id=picking.etsy_receipt_id)
        if not outcome.failed and not verdict:
            self.send(picking, request, notes)

    def send(self, picking, request, notes):
        """The POST, between two commits: a lost answer leaves the delivery 'to check'."""
        # The same refusal on every retry is said once in the chatter, not once per attempt.
        previous_reason = picking.etsy_push_message
        with self.isolated(picking.name, picking.etsy_receipt_id) as outcome:
            picking.write({
                "etsy_push_state": "unknown",
                "etsy_push_message": self.env._("Sent to Etsy; waiting for its answer."),
                "etsy_next_push_at": fields.Datetime.now() + UNKNOWN_RECHECK_DELAY})
        if outcome.failed:
            return
        # Durable before Etsy hears of it: whatever happens next, the delivery is checked on
        # Etsy before anything is sent again.
        self.commit()
        try:
            receipt = self.client.create_receipt_shipment(
                self.shop.etsy_shop_id, picking.etsy_receipt_id,
                send_bcc=self.shop.tracking_send_bcc, **request)
        except (EtsyUnknownOutcomeError, EtsyTransientError) as exc:
            # The POST may have been applied: only a later look at the receipt can tell.
            self.problem(picking, exc, "unknown", previous_reason)
        except EtsyError as exc:
            self.problem(picking, exc, "failed", previous_reason)
        else:
            # A bug here leaves the delivery 'to check': the next run finds the shipment.
            with self.isolated(picking.name, picking.etsy_receipt_id):
                self.settle(picking, "pushed", "\n".join(notes), request)
                if receipt:
                    picking.sale_id._etsy_note_shipped(receipt)
                self.log.count("created")
        self.commit()

    def problem(self, picking, exc, state, previous_reason=None):
        """Keep on the delivery why its tracking did not reach Etsy and when to try again.

        A revoked token or the daily limit ends the run: the delivery's reason is committed
        first, since the frame rolls back what is not.
        """
        message = self.shop._etsy_redact(self.error_text(exc, state))
        retry_at = None
        if isinstance(exc, EtsyDailyLimitError) and exc.retry_after:
            retry_at = fields.Datetime.now() + datetime.timedelta(seconds=exc.retry_after)
        with self.isolated(picking.name, picking.etsy_receipt_id):
            self.note_problem(picking, state, message, retry_at, previous_reason)
        self.log.failure(picking.name, message, etsy_id=picking.etsy_receipt_id)
        if isinstance(exc, RUN_ERRORS):
            self.commit()
            raise exc

    def error_text(self, exc, state):
        if state == "unknown" and not isinstance(exc, EtsyUnknownOutcomeError):
            return self.env._("Etsy did not confirm the shipment (%s). It may have been applied: "
                              "the order is checked on Etsy before anything is sent again.", exc)
        if TRACKING_REQUIRED_MARKER in (exc.error or "").lower():
            return self.env._("Etsy requires a tracking code for this order (for example US orders "
                              "over $10 and orders to India). Enter it on the delivery: it is then "
                              "sent automatically.")
        return user_text(self.env, exc)

    # === WHAT TO SEND (reads only) === #

    def shipment_request(self, picking):
        """createReceiptShipment fields for this delivery, and notes on what Etsy cannot take."""
        codes = picking._etsy_tracking_codes()
        carrier_code, carrier_name = self.carrier(picking)
        request, notes = {}, []
        if codes:
            # Etsy wants a carrier with every tracking code; unknown carriers go as "other".
            request.update(tracking_code=codes[0], carrier_name=carrier_code)
            if carrier_code == OTHER_CARRIER_CODE and carrier_name:
                notes.append(self.env._("%s is not on Etsy's list of carriers: the buyer gets the "
                                        "tracking code without a tracking link.", carrier_name))
            elif carrier_code == OTHER_CARRIER_CODE:
                notes.append(self.env._("No carrier was chosen: the buyer gets the tracking code "
                                        "without a tracking link."))
        if carrier_name:
            request["note_to_buyer"] = self.env._("Shipped with %s.", carrier_name)
        if codes[1:]:
            notes.append(self.env._("Etsy takes one tracking code per shipment: %s was not sent. "
                                    "Give it to the buyer in an Etsy message if needed.",
                                    ", ".join(codes[1:])))
        return request, notes

    def carrier(self, picking):
        """(Etsy carrier name to send, carrier name to tell the buyer when Etsy has no link)."""
        carrier, name = picking.etsy_carrier_id, picking.etsy_carrier_id.name
        if not carrier and "carrier_id" in picking._fields and picking.carrier_id:
            name = picking.carrier_id.name  # Odoo's delivery module, when installed
            carrier = self.env["etsy.carrier"]._match(name)
        if not name:
            carrier = self.shop.default_carrier_id
            name = carrier.name
        if carrier and not carrier._is_other():
            return carrier.code, False
        return OTHER_CARRIER_CODE, (
            name if name and name.strip().lower() != OTHER_CARRIER_CODE else False)

    def receipt_verdict(self, picking, receipt, request):
        """What the receipt on Etsy says: None to send `request`, else (state, reason)."""
        status = receipt_status(receipt)
        if status in CANCELLED_ETSY_STATUSES:
            return "skipped", self.env._(
                "The order is %s on Etsy: no shipping notice was sent.", status)
        if self.only_digital(picking, receipt):
            return "skipped", self.env._("Only digital items: Etsy delivers downloads itself and "
                                         "sends no shipping notice for them.")
        was_sent = picking.etsy_push_state == "unknown"
        code = same_tracking(request.get("tracking_code"))
        if code:
            shipped = {same_tracking(shipment.get("tracking_code"))
                       for shipment in receipt.get("shipments") or []}
            if code not in shipped:
                return None
            if was_sent:
                return "pushed", self.env._("Etsy had received this tracking code although its "
                                            "answer was lost: it was not sent again.")
            return "pushed", self.env._("This tracking code is already on the Etsy order: it was "
                                        "not sent again.")
        if not receipt.get("is_shipped"):
            return None
        if was_sent:
            return "pushed", self.env._("Etsy had marked the order shipped although its answer was "
                                        "lost: it was not sent again.")
        return "skipped", self.env._("Etsy already shows the order as shipped and this delivery "
                                     "has no tracking code: there is nothing new to tell the "
                                     "buyer.")

    @staticmethod
    def only_digital(picking, receipt):
        mine = set(picking.move_ids.sale_line_id.mapped("etsy_transaction_id")) - {False}
        digital = {str(tx["transaction_id"]) for tx in receipt.get("transactions") or []
                   if tx.get("is_digital")}
        return bool(mine) and mine <= digital

    # === THE DELIVERY'S PUSH STATE === #

    def settle(self, picking, state, message, request):
        """The tracking reached Etsy (`pushed`) or needs not (`skipped`)."""
        values = {"etsy_push_state": state, "etsy_push_message": message or False,
                  "etsy_push_attempts": 0, "etsy_next_push_at": False}
        if state == "pushed":
            values.update(etsy_pushed_at=fields.Datetime.now(),
                          etsy_pushed_tracking=request.get("tracking_code") or False,
                          etsy_pushed_carrier=request.get("carrier_name") or False)
        picking.write(values)
        picking.message_post(body=self.settled_text(state, message, request))

    def settled_text(self, state, message, request):
        """The chatter note of a settled delivery (plain texts are escaped by Markup's %)."""
        if state == "skipped":
            headline = self.env._("Tracking not sent to Etsy.")
        elif request.get("tracking_code"):
            headline = self.env._("Tracking on Etsy: %(carrier)s %(code)s.",
                                  carrier=request["carrier_name"], code=request["tracking_code"])
        else:
            headline = self.env._("Etsy order marked as shipped (no tracking code).")
        return Markup("%s<br/>%s") % (headline, message) if message else headline

    def note_problem(self, picking, state, message, retry_at=None, previous_reason=None):
        """The push `failed` or its outcome is `unknown`: say why and plan the next try.

        `previous_reason`: the reason shown before this attempt, when the attempt replaced it.
        """
        attempts = picking.etsy_push_attempts + 1
        delay = UNKNOWN_RECHECK_DELAY if state == "unknown" else retry_delay(attempts)
        news = message != (previous_reason or picking.etsy_push_message)
        picking.write({"etsy_push_state": state, "etsy_push_message": message,
                       "etsy_push_attempts": attempts,
                       "etsy_next_push_at": retry_at or fields.Datetime.now() + delay})
        if news:
            # A plain text body: message_post escapes it (Etsy's texts may quote the buyer).
            picking.message_post(body=self.env._("Tracking not sent to Etsy: %s", message))
