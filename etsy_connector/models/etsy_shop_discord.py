"""Discord and alert settings of a shop, its 'Send test message' button, the health check.

What the shop says and when (announcements, milestones, failure alerts) is flow_notify.py; the
outbox that posts each message exactly once is etsy_discord_message.py.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..const import DISCORD_DEFAULT_TEMPLATE, DISCORD_PLACEHOLDERS, MANAGER_GROUP
from ..etsy.discord import DiscordError, validate_webhook_url
from .etsy_discord_message import is_public_url
from .etsy_run import notification
from .flow_notify import FailureAlerts, ShopDiscord
from .user_messages import user_text


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    # === DISCORD SETTINGS === #

    discord_enabled = fields.Boolean(
        string="Announce new orders", default=True,
        help="Post each new Etsy order to the Discord webhook (nothing is posted while the "
             "webhook URL is empty).")
    discord_username = fields.Char(
        string="Discord display name", default="Etsy sales",
        help="Name the messages are posted under.")
    discord_avatar_url = fields.Char(
        string="Discord avatar URL", help="Public image (http/https) shown as the poster's avatar.")
    discord_template = fields.Char(
        string="Message template", default=DISCORD_DEFAULT_TEMPLATE,
        help="Text of the announcement. Placeholders: "
             + ", ".join(f"{{{name}}}" for name in DISCORD_PLACEHOLDERS)
             + ". No buyer name, address or email is ever sent to Discord.")
    discord_hide_amounts = fields.Boolean(
        string="Hide amounts", help="Leave the order total out of Discord messages.")
    discord_max_order_age_hours = fields.Integer(
        string="Announce orders younger than (hours)", default=24,
        help="Orders placed longer ago are imported silently: a first sync or a backfill of "
             "old receipts does not flood the channel.")
    discord_milestones = fields.Boolean(
        string="Milestone messages",
        help="Also celebrate the 10th, 50th, 100th, 250th, 500th, 1000th order (then every "
             "1000) and each new record day.")
    discord_ops_webhook_url = fields.Char(
        string="Ops Discord Webhook URL", groups=MANAGER_GROUP, copy=False, exportable=False,
        help="Optional second webhook (a private channel) told when the shop's sync keeps "
             "failing, its access is revoked or its authorization is about to expire.")
    discord_message_ids = fields.One2many("etsy.discord.message", "shop_id",
                                          string="Discord messages")

    # === FAILURE ALERTS === #

    alert_failure_threshold = fields.Integer(
        string="Alert after failed runs", default=3,
        help="After this many failed sync runs in a row, the Etsy managers get an activity.")
    alert_keys = fields.Char(
        readonly=True, copy=False,
        help="Alerts raised and not yet cleared (each is raised once, not at every run).")

    @api.constrains("discord_webhook_url", "discord_ops_webhook_url", "discord_avatar_url",
                    "discord_max_order_age_hours")
    def _check_discord_settings(self):
        for shop in self.sudo():
            for field_name in ("discord_webhook_url", "discord_ops_webhook_url"):
                if shop[field_name]:
                    try:
                        validate_webhook_url(shop[field_name])
                    except ValueError as exc:
                        # The validator's text never holds the URL's token.
                        raise ValidationError(str(exc)) from None
            if shop.discord_avatar_url and not is_public_url(shop.discord_avatar_url):
                raise ValidationError(
                    self.env._("The Discord avatar must be an http(s) image address."))
            if shop.discord_max_order_age_hours < 0:
                raise ValidationError(self.env._("The announcement window cannot be negative."))

    # === BUTTONS === #

    def action_discord_test(self):
        """'Send test message': post a sample to the webhook now and say what happened."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only Etsy managers can send Discord test messages."))
        url = self.sudo().discord_webhook_url
        if not url:
            return notification(
                self.env._("Paste the Discord webhook URL and save the shop first."), "warning")
        name = self.etsy_shop_name or self.name
        discord = ShopDiscord(self)
        try:
            discord.webhook(url).send(
                content=self.env._(
                    "✅ Test message from Odoo: %s will announce its Etsy sales here.", name),
                **discord.identity())
        except DiscordError as exc:
            reason = user_text(self.env, exc)
            return notification(
                self.env._("Discord did not accept the test message: %s", reason), "danger")
        return notification(
            self.env._("Test message posted: check the Discord channel."), "success")

    @api.model
    def _cron_check_health(self):
        """Scheduled action: raise or clear the alerts of every shop that was ever connected."""
        for shop in self.search([("state", "!=", "draft")]):
            FailureAlerts(shop).check()
