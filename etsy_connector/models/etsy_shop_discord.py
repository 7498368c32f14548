"""Discord settings of a shop, its 'Send test message' button, milestones and failure alerts."""

import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..etsy.discord import DiscordError, DiscordWebhook, validate_webhook_url
from .etsy_discord_message import DEFAULT_TEMPLATE, PLACEHOLDERS, is_public_url
from .etsy_shop import MANAGER_GROUP

_logger = logging.getLogger(__name__)

ORDER_MILESTONES = (10, 50, 100, 250, 500, 1000)
TOKEN_WARNING = datetime.timedelta(days=14)
SYNC_OPERATIONS = ("orders", "inventory", "listings", "shipping")
ALERT_SYNC = "sync_failing"
ALERT_DISCONNECTED = "disconnected"
ALERT_TOKEN = "token_expiring"  # noqa: S105 - an alert name, not a secret


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
        string="Message template", default=DEFAULT_TEMPLATE,
        help="Text of the announcement. Placeholders: "
             + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
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
    discord_message_count = fields.Integer(compute="_compute_discord_message_count")

    # === FAILURE ALERTS === #

    alert_failure_threshold = fields.Integer(
        string="Alert after failed runs", default=3,
        help="After this many failed sync runs in a row, the Etsy managers get an activity.")
    alert_keys = fields.Char(
        readonly=True, copy=False,
        help="Alerts raised and not yet cleared (each is raised once, not at every run).")

    def _compute_discord_message_count(self):
        counts = dict(self.env["etsy.discord.message"]._read_group(
            [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]))
        for shop in self:
            shop.discord_message_count = counts.get(shop, 0)

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
                raise ValidationError(_("The Discord avatar must be an http(s) image address."))
            if shop.discord_max_order_age_hours < 0:
                raise ValidationError(_("The announcement window cannot be negative."))

    def write(self, vals):
        for field_name in ("discord_webhook_url", "discord_ops_webhook_url"):
            if vals.get(field_name):
                vals[field_name] = vals[field_name].strip()
        result = super().write(vals)
        # A webhook that was deleted is replaced: what waited for it goes out now.
        channels = [channel for field_name, channel in (("discord_webhook_url", "sales"),
                                                        ("discord_ops_webhook_url", "ops"))
                    if vals.get(field_name)]
        if channels:
            waiting = self.env["etsy.discord.message"].sudo().search([
                ("shop_id", "in", self.ids), ("channel", "in", channels),
                ("state", "=", "failed")])
            waiting.write({"state": "pending", "next_attempt_at": fields.Datetime.now()})
            waiting._send_after_commit()
        return result

    # === DISCORD HELPERS === #

    def _etsy_discord_url(self, channel="sales"):
        """The webhook URL of ``channel`` when that channel is on, else False."""
        self.ensure_one()
        shop = self.sudo()
        if channel == "ops":
            return shop.discord_ops_webhook_url or False
        return shop.discord_enabled and shop.discord_webhook_url or False

    def _etsy_discord_webhook(self, url):
        # Short waits only: a cron or a commit hook must not sleep; the outbox retries later.
        return DiscordWebhook(url, timeout=10, max_retries=1, max_retry_after=5.0)

    def _etsy_discord_identity(self):
        self.ensure_one()
        identity = {"username": self.discord_username, "avatar_url": self.discord_avatar_url}
        return {key: value for key, value in identity.items() if value}

    def _etsy_discord_announces(self, order):
        """Whether a newly imported ``order`` is announced (notifier on, order recent enough)."""
        self.ensure_one()
        if not self._etsy_discord_url("sales"):
            return False
        window = datetime.timedelta(hours=self.discord_max_order_age_hours)
        return bool(order.date_order) and order.date_order >= fields.Datetime.now() - window

    def _etsy_discord_queue_milestones(self, order):
        """Queue the order-count milestone or record-day message ``order`` reaches, if any."""
        self.ensure_one()
        if not self.discord_milestones:
            return
        Message = self.env["etsy.discord.message"]
        name = self.etsy_shop_name or self.name
        count = self.env["sale.order"].search_count([("etsy_shop_id", "=", self.id)])
        if count in ORDER_MILESTONES or (count > ORDER_MILESTONES[-1] and count % 1000 == 0):
            Message._enqueue(self, f"milestone:orders:{count}", _(
                "🏆 %(shop)s just received its order number %(count)s!", shop=name,
                count=count), kind="milestone")
        day, best = self._etsy_orders_by_day(order.date_order)
        if best and day > best:
            Message._enqueue(self, f"milestone:day:{order.date_order.date()}", _(
                "🚀 Record day for %(shop)s: %(count)s orders today!", shop=name, count=day),
                kind="milestone")

    def _etsy_orders_by_day(self, moment):
        """(orders on the day of ``moment``, best count of any earlier day) for this shop."""
        groups = self.env["sale.order"]._read_group(
            [("etsy_shop_id", "=", self.id)], ["date_order:day"], ["__count"])
        today = moment.date()
        counts = {day.date() if hasattr(day, "date") else day: n for day, n in groups if day}
        earlier = [n for day, n in counts.items() if day < today]
        return counts.get(today, 0), max(earlier, default=0)

    # === BUTTONS === #

    def action_discord_test(self):
        """'Send test message': post a sample to the webhook now and say what happened."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only Etsy managers can send Discord test messages."))
        url = self.sudo().discord_webhook_url
        if not url:
            return self._etsy_notification(
                _("Paste the Discord webhook URL and save the shop first."), "warning")
        name = self.etsy_shop_name or self.name
        try:
            self._etsy_discord_webhook(url).send(
                content=_("✅ Test message from Odoo: %s will announce its Etsy sales here.",
                          name), **self._etsy_discord_identity())
        except DiscordError as exc:
            return self._etsy_notification(
                _("Discord did not accept the test message: %s", exc.user_message), "danger")
        return self._etsy_notification(
            _("Test message posted: check the Discord channel."), "success")

    def action_view_discord_messages(self):
        """The Discord messages of this shop."""
        return self._etsy_shop_action("etsy_connector.action_etsy_discord_message")

    # === FAILURE ALERTS === #

    def _etsy_run_isolated(self, function):
        """After each scheduled run of a shop, tell people at once if it keeps failing."""
        try:
            return super()._etsy_run_isolated(function)
        finally:
            try:
                self._etsy_check_alerts()
            except Exception:  # an alert problem must not hide the run's outcome
                _logger.exception("Etsy alert check failed for shop %s", self.id)

    @api.model
    def _cron_check_health(self):
        """Scheduled action: raise or clear the alerts of every shop that was ever connected."""
        self.search([("state", "!=", "draft")])._etsy_check_alerts()

    def _etsy_check_alerts(self):
        """Raise each alert once when its condition starts, clear it when the condition ends."""
        now = fields.Datetime.now()
        for shop in self.sudo():
            active = set(filter(None, (shop.alert_keys or "").split(",")))
            conditions = {
                ALERT_SYNC: shop._etsy_failure_streak() >= max(shop.alert_failure_threshold, 1),
                ALERT_DISCONNECTED: shop.state == "error",
                ALERT_TOKEN: bool(shop.state == "connected" and shop.refresh_token_expires_at
                                  and shop.refresh_token_expires_at < now + TOKEN_WARNING),
            }
            for key, raised in conditions.items():
                if raised and key not in active:
                    shop._etsy_raise_alert(key)
                    active.add(key)
                elif not raised and key in active and not shop._etsy_alert_still_open(key):
                    shop._etsy_clear_alert(key)
                    active.discard(key)
            keys = ",".join(sorted(active)) or False
            if keys != (shop.alert_keys or False):
                shop.alert_keys = keys

    def _etsy_failure_streak(self):
        """How many of the latest finished sync runs failed in a row."""
        self.ensure_one()
        logs = self.env["etsy.sync.log"].sudo().search([
            ("shop_id", "=", self.id), ("operation", "in", SYNC_OPERATIONS),
            ("state", "!=", "running")], limit=max(self.alert_failure_threshold, 1) + 1)
        streak = 0
        for log in logs:
            if log.state != "failed":
                break
            streak += 1
        return streak

    def _etsy_alert_still_open(self, key):
        # The streak alert clears only on a successful run, not merely when too few runs exist.
        if key != ALERT_SYNC:
            return False
        latest = self.env["etsy.sync.log"].sudo().search([
            ("shop_id", "=", self.id), ("operation", "in", SYNC_OPERATIONS),
            ("state", "!=", "running")], limit=1)
        return not latest or latest.state == "failed"

    def _etsy_alert_texts(self, key):
        """(activity summary, what to do) for an alert."""
        if key == ALERT_SYNC:
            last = self.env["etsy.sync.log"].sudo().search([
                ("shop_id", "=", self.id), ("state", "=", "failed")], limit=1)
            return _("Etsy sync keeps failing"), _(
                "The last %(count)s synchronisations of %(shop)s failed. Latest error: "
                "%(error)s Open Etsy > Sync Logs (filter 'Failed') for details, fix the cause, "
                "then click 'Test connection' on the shop.",
                count=self._etsy_failure_streak(), shop=self.name,
                error=self._etsy_redact(last.message or "-"))
        if key == ALERT_DISCONNECTED:
            return _("Reconnect the Etsy shop"), _(
                "Etsy refused the access of %s (password change or app removed). Open the shop "
                "and click 'Reconnect'.", self.name)
        return _("Etsy authorization expires soon"), _(
            "The Etsy authorization of %(shop)s expires on %(date)s. Open the shop and click "
            "'Reconnect' before that date, or synchronisation stops.",
            shop=self.name, date=fields.Date.to_string(self.refresh_token_expires_at.date()))

    def _etsy_raise_alert(self, key):
        summary, note = self._etsy_alert_texts(key)
        # A revoked token already got its chatter message and activity when it was detected.
        if key != ALERT_DISCONNECTED:
            self.message_post(body=note)
            self._etsy_schedule_manager_activity(summary, note)
        if self._etsy_discord_url("ops"):
            self.env["etsy.discord.message"]._enqueue(
                self, f"alert:{key}:{fields.Datetime.now().isoformat()}",
                f"⚠️ {summary}: {note}", kind="alert", channel="ops")

    def _etsy_clear_alert(self, key):
        summary, __ = self._etsy_alert_texts(key)
        self.activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
            feedback=_("Solved: the condition is gone."))
        if key == ALERT_SYNC:
            self.message_post(body=_("Etsy synchronisation of %s works again.", self.name))
