"""Sending tracking to Etsy: shop settings and the `_etsy_push_tracking` flow.

createReceiptShipment is a POST that emails the buyer each time and cannot be undone, so a
delivery is sent at most once per tracking code (API-NOTES §11 pitfall 9):

- the push runs in the "send tracking" job (or the button), never inside the validation;
- each push first reads the receipt on Etsy: a code already there, a cancelled order or digital
  items are settled without a POST;
- before the POST the delivery is committed as "to check"; if Etsy's answer is lost it stays so,
  and the next attempt finds the shipment on the receipt instead of sending it twice.
"""

import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..etsy.errors import (
    EtsyDailyLimitError,
    EtsyError,
    EtsyReauthorizationRequired,
    EtsyTransientError,
    EtsyUnknownOutcomeError,
)

_logger = logging.getLogger(__name__)

PUSHES_PER_RUN = 50
# Etsy's answer when a shipment needs a tracking code (API-NOTES §3 and §8).
TRACKING_REQUIRED_MARKER = "tracking number is required"
TRACKING_ISSUE_STATES = ("failed", "unknown")


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    push_tracking = fields.Boolean(
        string="Send tracking automatically", default=True,
        help="When a delivery of an Etsy order is validated, send its tracking code to Etsy, "
             "which marks the order shipped and emails the buyer. Off: use the 'Send tracking "
             "to Etsy' button of the delivery.",
    )
    tracking_send_bcc = fields.Boolean(
        string="Copy shipping emails to me",
        help="Etsy also emails you the shipping notice it sends the buyer.",
    )
    default_carrier_id = fields.Many2one(
        "etsy.carrier", string="Default carrier",
        help="Carrier of the deliveries that name none (neither on the delivery nor through "
             "its delivery method).",
    )
    tracking_issue_count = fields.Integer(
        compute="_compute_shipping_counts", compute_sudo=True, string="Tracking not sent",
        help="Validated deliveries whose tracking Etsy refused or has to be checked on Etsy.",
    )
    late_delivery_count = fields.Integer(
        compute="_compute_shipping_counts", compute_sudo=True, string="Late deliveries",
        help="Open deliveries whose Etsy ship-by date has passed.",
    )

    def _compute_shipping_counts(self):
        Picking = self.env["stock.picking"]
        for shop in self:
            shop.tracking_issue_count = Picking.search_count(shop._etsy_tracking_issue_domain())
            shop.late_delivery_count = Picking.search_count(shop._etsy_late_delivery_domain())

    def _etsy_tracking_issue_domain(self):
        return [("etsy_shop_id", "=", self.id), ("state", "=", "done"),
                ("etsy_push_state", "in", TRACKING_ISSUE_STATES)]

    def _etsy_late_delivery_domain(self):
        # Late from the day after the ship-by date, as Etsy counts it.
        today = datetime.datetime.combine(fields.Date.context_today(self), datetime.time.min)
        return [("etsy_shop_id", "=", self.id), ("picking_type_code", "=", "outgoing"),
                ("state", "not in", ("done", "cancel")), ("etsy_ship_by", "<", today)]

    def action_view_tracking_issues(self):
        self.ensure_one()
        return self._etsy_picking_action(_("Tracking not sent to Etsy"),
                                         self._etsy_tracking_issue_domain())

    def action_view_late_deliveries(self):
        self.ensure_one()
        return self._etsy_picking_action(_("Late against Etsy ship-by date"),
                                         self._etsy_late_delivery_domain())

    def _etsy_picking_action(self, name, domain):
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action.update(name=name, domain=domain, context={"create": False})
        return action

    # === THE TRACKING PUSH === #

    @api.model
    def _cron_push_tracking(self):
        """Send the tracking of validated deliveries of every connected shop, retry failures."""
        self._run_for_connected_shops("_etsy_push_tracking")

    def _etsy_push_tracking(self, pickings=None, trigger="cron"):
        """Send the tracking of ``pickings`` (default: this shop's due deliveries) to Etsy.

        Returns the run's log recorder, or None when there was nothing to do or another push of
        this shop is running (a manual push then raises).
        """
        self.ensure_one()
        shop = self.sudo().with_company(self.company_id)
        pickings = shop._etsy_pickings_due() if pickings is None else pickings.with_env(shop.env)
        if not pickings:
            return None
        with shop._etsy_lock("shipping") as acquired:
            if acquired:
                return shop._etsy_run_tracking_push(pickings, trigger)
        if trigger == "manual":
            raise UserError(_("Tracking of %s is being sent to Etsy right now: try again in a "
                              "moment.", shop.name))
        _logger.info("Etsy tracking push of shop %s skipped: another one is running", shop.id)
        return None

    def _etsy_pickings_due(self):
        return self.env["stock.picking"].search([
            ("etsy_shop_id", "=", self.id), ("state", "=", "done"),
            ("etsy_push_state", "in", ("to_push", "unknown", "failed")),
            "|", ("etsy_next_push_at", "=", False),
            ("etsy_next_push_at", "<=", fields.Datetime.now()),
        ], order="etsy_next_push_at asc nulls first, id", limit=PUSHES_PER_RUN)

    def _etsy_run_tracking_push(self, pickings, trigger):
        limit_note = _("Etsy's daily API limit is reached: the remaining deliveries are sent "
                       "later.")
        with self._etsy_sync_frame("shipping", trigger, limit_note,
                                   self._etsy_tracking_summary) as (log, client):
            for picking in pickings:
                log.count("fetched")
                self._etsy_push_isolated(client, picking, log)
        return log

    def _etsy_tracking_summary(self, log, _client):
        counts = log.counts
        return _("%(done)s of %(total)s deliveries settled with Etsy (%(sent)s sent, "
                 "%(skipped)s not needed), %(failed)s failed or to check.",
                 done=counts["done"], total=counts["fetched"], sent=counts["created"],
                 skipped=counts["skipped"], failed=counts["failed"])

    def _etsy_push_isolated(self, client, picking, log):
        """Push one delivery; an unexpected error is recorded and the next delivery goes on.

        What must stop the run goes through: a revoked token, the daily limit, and the
        UserError of a lost lock (going on without it could send a shipment twice).
        """
        try:
            self._etsy_push_one(client, picking, log)
        except (EtsyReauthorizationRequired, EtsyDailyLimitError, UserError):
            raise
        except Exception as exc:  # noqa: BLE001 - one delivery never stops the others
            _logger.info("Etsy tracking of picking %s not sent: %s", picking.id,
                         type(exc).__name__)
            log.failure(picking.name, exc, etsy_id=picking.etsy_receipt_id)

    def _etsy_push_one(self, client, picking, log):
        """Settle one delivery: read its receipt, then send its tracking unless Etsy has it."""
        request, notes = picking._etsy_shipment_request()
        try:
            receipt = client.get_shop_receipt(self.etsy_shop_id, picking.etsy_receipt_id)
        except EtsyError as exc:
            # Nothing was sent: a push to check stays to check until the receipt can be read.
            state = "unknown" if picking.etsy_push_state == "unknown" else "failed"
            self._etsy_push_failed(picking, exc, state, log)
            return
        verdict = picking._etsy_receipt_verdict(receipt, request)
        if verdict:
            state, reason = verdict
            with self.env.cr.savepoint():
                picking._etsy_push_settled(state, reason, request)
            log.count("skipped" if state == "skipped" else "updated")
            log.note(picking.name, reason, etsy_id=picking.etsy_receipt_id)
            return
        self._etsy_send_shipment(client, picking, request, notes, log)

    def _etsy_send_shipment(self, client, picking, request, notes, log):
        # The same refusal on every retry is said once in the chatter, not once per attempt.
        previous_reason = picking.etsy_push_message
        with self.env.cr.savepoint():
            picking._etsy_mark_sending()
        self._etsy_commit()
        try:
            receipt = client.create_receipt_shipment(
                self.etsy_shop_id, picking.etsy_receipt_id,
                send_bcc=self.tracking_send_bcc, **request)
        except (EtsyUnknownOutcomeError, EtsyTransientError) as exc:
            # The POST may have been applied: only a later look at the receipt can tell.
            self._etsy_push_failed(picking, exc, "unknown", log, previous_reason)
        except EtsyError as exc:
            self._etsy_push_failed(picking, exc, "failed", log, previous_reason)
        else:
            with self.env.cr.savepoint():
                picking._etsy_push_settled("pushed", "\n".join(notes), request)
                if receipt:
                    picking.sale_id._etsy_note_shipped(receipt)
            log.count("created")
        self._etsy_commit()

    def _etsy_push_failed(self, picking, exc, state, log, previous_reason=None):
        """Record why a delivery's tracking did not reach Etsy; a revoked token or the daily
        limit stops the whole run (raised again after recording)."""
        message = self._etsy_redact(self._etsy_push_error_text(exc, state))
        retry_at = None
        if isinstance(exc, EtsyDailyLimitError) and exc.retry_after:
            retry_at = fields.Datetime.now() + datetime.timedelta(seconds=exc.retry_after)
        with self.env.cr.savepoint():
            picking._etsy_push_problem(state, message, retry_at=retry_at,
                                       previous_reason=previous_reason)
        log.failure(picking.name, message, etsy_id=picking.etsy_receipt_id)
        if isinstance(exc, (EtsyReauthorizationRequired, EtsyDailyLimitError)):
            raise exc

    def _etsy_push_error_text(self, exc, state):
        if state == "unknown" and not isinstance(exc, EtsyUnknownOutcomeError):
            return _("Etsy did not confirm the shipment (%s). It may have been applied: the "
                     "order is checked on Etsy before anything is sent again.", exc)
        if TRACKING_REQUIRED_MARKER in (exc.error or "").lower():
            return _("Etsy requires a tracking code for this order (for example US orders over "
                     "$10 and orders to India). Enter it on the delivery: it is then sent "
                     "automatically.")
        return exc.user_message
