"""Etsy's webhooks on the shop: the signing secret, the URL to register, their health.

Webhooks only wake the order import (see controllers/webhook.py): polling stays the safety net,
and a shop may poll less often while its webhooks are healthy.
"""


from odoo import api, fields, models

from ..const import MANAGER_GROUP, WEBHOOK_SILENCE_WARNING
from .etsy_shop_dashboard import age_text


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
        compute="_compute_webhook_health", compute_sudo=True,
        help="Whether a webhook signing secret is filled in.")
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_urls",
        help="Give this exact address to Etsy when you subscribe the app to the order events "
        "in Etsy's developer portal.",
    )
    last_webhook_at = fields.Datetime(
        string="Last Webhook", compute="_compute_webhook_health", compute_sudo=True,
        help="When Etsy's last accepted webhook delivery for this shop arrived.")
    dashboard_webhook_age = fields.Char(string="Last webhook",
                                        compute="_compute_webhook_health", compute_sudo=True)
    webhook_warning = fields.Boolean(
        compute="_compute_webhook_health", compute_sudo=True,
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
    def _compute_webhook_health(self):
        last = self.env["etsy.webhook.event"]._last_received(self)
        now = fields.Datetime.now()
        since = now - WEBHOOK_SILENCE_WARNING
        with_orders = {shop.id for shop, in self.env["sale.order"].sudo()._read_group(
            [("etsy_shop_id", "in", self.ids), ("create_date", ">=", since)], ["etsy_shop_id"])}
        for shop in self:
            shop.webhook_configured = bool(shop.etsy_webhook_secret)
            shop.last_webhook_at = last.get(shop.id)
            shop.dashboard_webhook_age = age_text(self.env, shop.last_webhook_at, now)
            silent = not shop.last_webhook_at or shop.last_webhook_at < since
            shop.webhook_warning = shop.webhook_configured and silent and shop.id in with_orders


