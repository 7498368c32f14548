"""Etsy webhook deliveries Odoo accepted: one row per event and shop, never twice.

The row is the delivery's proof of novelty (`webhook-id` unique per shop: a replay, or Etsy
retrying an event whose answer got lost, finds it) and what the dashboard reads to tell when the
last webhook came. Its work (importing the receipt) is queued as an `etsy.sync.request`; the row
says how that went.
"""

import datetime
import logging

from odoo import api, fields, models

from ..const import (
    DEFAULT_POLL_MINUTES,
    WEBHOOK_EVENT_RETENTION,
    WEBHOOK_MISSED_GRACE,
    WEBHOOK_SILENCE_WARNING,
)

_logger = logging.getLogger(__name__)




def webhooks_healthy(shop):
    """Whether webhooks bring this shop's orders: one came in the last day, and the newest
    order did not arrive by polling long after the last webhook without one of its own."""
    shop.ensure_one()
    if not shop.webhook_configured or not shop.last_webhook_at or shop.webhook_warning:
        return False
    if shop.last_webhook_at < fields.Datetime.now() - WEBHOOK_SILENCE_WARNING:
        return False
    newest = shop.env["sale.order"].sudo().search(
        [("etsy_shop_id", "=", shop.id)], order="id desc", limit=1)
    if not newest or newest.create_date <= shop.last_webhook_at + WEBHOOK_MISSED_GRACE:
        return True
    return bool(shop.env["etsy.webhook.event"].sudo().search_count(
        [("shop_id", "=", shop.id), ("receipt_id", "=", newest.etsy_receipt_id)], limit=1))


def due_for_order_poll(shops):
    """The `shops` the orders cron polls now: all, except those whose webhooks are healthy and
    whose last poll (the order flow's watermark) is younger than the longer interval they
    chose."""
    polled = shops.env["etsy.sync.state"]._value(shops, "orders", "watermark")
    now = fields.Datetime.now()

    def due(shop):
        minutes = int(shop.webhook_poll_interval or DEFAULT_POLL_MINUTES)
        last = polled.get(shop.id)
        if minutes <= DEFAULT_POLL_MINUTES or not last:
            return True
        # A margin so a cron that runs a little early does not skip a whole period.
        if now - last >= datetime.timedelta(minutes=minutes - 1):
            return True
        return not webhooks_healthy(shop)

    return shops.filtered(due)


class EtsyWebhookEvent(models.Model):
    _name = "etsy.webhook.event"
    _description = "Etsy Webhook Event"
    _order = "received_at desc, id desc"
    _rec_name = "webhook_id"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True,
                              readonly=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    webhook_id = fields.Char(string="Webhook ID", required=True, readonly=True,
                             help="Etsy's webhook-id: the same on every retry of one event.")
    event_type = fields.Char(readonly=True, help="e.g. order.paid, order.canceled")
    resource_url = fields.Char(readonly=True)
    receipt_id = fields.Char(string="Etsy receipt", readonly=True, index=True)
    received_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now,
                                  index=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done"), ("failed", "Failed")],
        required=True, default="pending", readonly=True,
        help="Pending: the receipt import is queued. Done: the receipt was imported. "
             "Failed: it was not (the order sync's log says why; the next poll retries).")

    _sql_constraints = [
        ("webhook_shop_unique", "unique(shop_id, webhook_id)",
         "An Etsy webhook event is recorded once per shop."),
    ]

    @api.model
    def _record(self, shop, webhook_id, event):
        """Record a verified delivery for `shop`; returns the new event, or an empty recordset
        when this webhook-id was already recorded (a replay). Safe against two deliveries of one
        id at the same moment: the unique index decides, without an error in the log."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            "INSERT INTO etsy_webhook_event (shop_id, company_id, webhook_id, event_type, "
            " resource_url, receipt_id, received_at, state, create_uid, create_date, write_uid, "
            " write_date) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s, %s) "
            "ON CONFLICT (shop_id, webhook_id) DO NOTHING RETURNING id",
            [shop.id, shop.company_id.id, webhook_id[:200], event["event_type"],
             event["resource_url"], event["receipt_id"], now, self.env.uid, now, self.env.uid,
             now])
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else self.browse()

    @api.model
    def _mark(self, shop, receipt_id, state):
        """Set the pending events of `receipt_id` of `shop` to `state` (done or failed)."""
        self.sudo().search([("shop_id", "=", shop.id), ("receipt_id", "=", str(receipt_id)),
                            ("state", "=", "pending")]).write({"state": state})

    @api.model
    def _last_received(self, shops):
        """{shop id: when its last webhook arrived} for `shops`."""
        groups = self.sudo()._read_group([("shop_id", "in", shops.ids)], ["shop_id"],
                                         ["received_at:max"])
        return {shop.id: received for shop, received in groups}

    @api.autovacuum
    def _gc_old_events(self):
        """Forget events older than WEBHOOK_EVENT_RETENTION."""
        limit = fields.Datetime.now() - WEBHOOK_EVENT_RETENTION
        old = self.sudo().search([("received_at", "<", limit)])
        old.unlink()
        _logger.info("Etsy webhook events: %s older than %s days removed", len(old),
                     WEBHOOK_EVENT_RETENTION.days)
