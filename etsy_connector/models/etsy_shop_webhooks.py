"""Etsy's webhooks on the shop: the signing secret, the URL to register, their health.

Webhooks only wake the order import (see controllers/webhook.py): polling stays the safety net,
and a shop may poll less often while its webhooks are healthy.
"""

import datetime

from odoo import api, fields, models

from ..const import MANAGER_GROUP
from .etsy_shop_dashboard import age_text
from .etsy_webhook_event import WEBHOOK_PATH

# The orders cron's own interval: a shop never polls more often than this.
DEFAULT_POLL_MINUTES = 10
# No webhook for this long while orders came: webhooks are broken (warned on the dashboard).
WEBHOOK_SILENCE_WARNING = datetime.timedelta(days=1)
# An order imported by polling this long after the last webhook, without a webhook of its own:
# the webhooks stopped (a lost subscription, a changed secret).
WEBHOOK_MISSED_GRACE = datetime.timedelta(minutes=15)


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    etsy_webhook_secret = fields.Char(
        string="Webhook Signing Secret",
        groups=MANAGER_GROUP,
        copy=False,
        exportable=False,
        help="The signing secret Etsy shows for your webhook subscription (it starts with "
        "whsec_). Odoo refuses every delivery not signed with it.",
    )
    webhook_configured = fields.Boolean(
        compute="_compute_webhook_configured", compute_sudo=True,
        help="Whether a webhook signing secret is filled in.")
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        help="Give this exact address to Etsy when you subscribe the app to the order events "
        "in Etsy's developer portal.",
    )
    last_webhook_at = fields.Datetime(
        string="Last Webhook", compute="_compute_webhook_health",
        help="When Etsy's last accepted webhook delivery for this shop arrived.")
    dashboard_webhook_age = fields.Char(string="Last webhook",
                                        compute="_compute_webhook_health")
    webhook_warning = fields.Boolean(
        compute="_compute_webhook_health",
        help="Orders came in the last day but no webhook did: check the subscription and the "
        "signing secret in Etsy's developer portal.")
    webhook_poll_interval = fields.Selection(
        [("10", "Every 10 minutes"), ("30", "Every 30 minutes"), ("60", "Every hour"),
         ("240", "Every 4 hours")],
        string="Poll orders while webhooks are healthy",
        required=True,
        default="10",
        help="Webhooks bring orders within seconds; polling catches whatever they miss. While "
        "this shop's webhooks are healthy (one arrived in the last day, none missed), orders "
        "may be polled less often. Without healthy webhooks, orders are polled every 10 "
        "minutes whatever this says.",
    )

    @api.depends("etsy_webhook_secret")
    def _compute_webhook_configured(self):
        for shop in self:
            shop.webhook_configured = bool(shop.etsy_webhook_secret)

    def _compute_webhook_url(self):
        for shop in self:
            shop_id = shop._origin.id
            shop.webhook_url = f"{shop.get_base_url()}{WEBHOOK_PATH}/{shop_id}" if shop_id else ""

    def _compute_webhook_health(self):
        last = self.env["etsy.webhook.event"]._last_received(self)
        now = fields.Datetime.now()
        since = now - WEBHOOK_SILENCE_WARNING
        with_orders = {shop.id for shop, in self.env["sale.order"].sudo()._read_group(
            [("etsy_shop_id", "in", self.ids), ("create_date", ">=", since)], ["etsy_shop_id"])}
        for shop in self:
            shop.last_webhook_at = last.get(shop.id)
            shop.dashboard_webhook_age = age_text(self.env, shop.last_webhook_at, now)
            silent = not shop.last_webhook_at or shop.last_webhook_at < since
            shop.webhook_warning = shop.webhook_configured and silent and shop.id in with_orders

    def _etsy_webhooks_healthy(self):
        """Whether webhooks bring this shop's orders: one came in the last day, and the newest
        order did not arrive by polling long after the last webhook without one of its own."""
        self.ensure_one()
        if not self.webhook_configured or not self.last_webhook_at or self.webhook_warning:
            return False
        if self.last_webhook_at < fields.Datetime.now() - WEBHOOK_SILENCE_WARNING:
            return False
        newest = self.env["sale.order"].sudo().search(
            [("etsy_shop_id", "=", self.id)], order="id desc", limit=1)
        if not newest or newest.create_date <= self.last_webhook_at + WEBHOOK_MISSED_GRACE:
            return True
        return bool(self.env["etsy.webhook.event"].sudo().search_count(
            [("shop_id", "=", self.id), ("receipt_id", "=", newest.etsy_receipt_id)], limit=1))

    def _etsy_due_for_order_poll(self):
        """The shops of `self` the orders cron polls now: all, except those whose webhooks are
        healthy and whose last poll is younger than the longer interval they chose."""
        polled = self._etsy_last_order_poll()
        now = fields.Datetime.now()

        def due(shop):
            minutes = int(shop.webhook_poll_interval or DEFAULT_POLL_MINUTES)
            last = polled.get(shop.id)
            if minutes <= DEFAULT_POLL_MINUTES or not last:
                return True
            # A margin so a cron that runs a little early does not skip a whole period.
            if now - last >= datetime.timedelta(minutes=minutes - 1):
                return True
            return not shop._etsy_webhooks_healthy()

        return self.filtered(due)

    def _etsy_last_order_poll(self):
        """{shop id: up to when the order poll read Etsy} (the orders flow's watermark)."""
        watermarks = self.env["etsy.sync.state"]._value(self, "orders", "watermark")
        if "last_order_sync" in self._fields:  # the watermark's former home, until migrated
            for shop in self:
                candidates = [watermarks.get(shop.id), shop.last_order_sync]
                watermarks[shop.id] = max(filter(None, candidates), default=None)
        return watermarks
