"""Notify: what a shop tells people, on Discord and in Odoo.

- `ShopDiscord`: a shop's Discord channels (sales, ops), the identity it posts under, which new
  orders are announced and the milestones they reach. The messages themselves go through the
  outbox (`etsy.discord.message`), which posts each exactly once.
- `FailureAlerts`: after each scheduled run of a shop (and every hour for all shops, to catch an
  authorization about to expire), raise each alert once when its condition starts - a chatter
  note, an activity for an Etsy manager, a message on the ops channel - and clear it when the
  condition ends.
"""

import datetime

from markupsafe import escape

from odoo import fields

from ..const import (
    ALERT_DISCONNECTED,
    ALERT_SYNC,
    ALERT_TOKEN,
    DISCORD_HTTP_TIMEOUT,
    ORDER_MILESTONES,
    SYNC_OPERATIONS,
    TOKEN_WARNING,
)
from ..etsy.discord import DiscordWebhook


def schedule_manager_activity(shop, summary, note):
    """A to-do for an Etsy manager of the shop's company (else the current user)."""
    group = shop.env.ref("etsy_connector.group_etsy_manager")
    users = group.users.filtered(lambda user: shop.company_id in user.company_ids)[:1]
    shop.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=note,
                           user_id=(users or shop.env.user).id)

class ShopDiscord:
    """The Discord side of one shop."""

    def __init__(self, shop):
        shop.ensure_one()
        # The webhook URLs are manager-only secrets; the outbox posts for every user.
        self.shop = shop.sudo()
        self.env = shop.env

    def webhook_url(self, channel="sales"):
        """The webhook URL of `channel` when that channel is on, else False."""
        if channel == "ops":
            return self.shop.discord_ops_webhook_url or False
        return self.shop.discord_enabled and self.shop.discord_webhook_url or False

    @staticmethod
    def webhook(url):
        # Short waits only: a cron or a commit hook must not sleep; the outbox retries later.
        return DiscordWebhook(url, timeout=DISCORD_HTTP_TIMEOUT, max_retries=1,
                              max_retry_after=5.0)

    def identity(self):
        identity = {"username": self.shop.discord_username,
                    "avatar_url": self.shop.discord_avatar_url}
        return {key: value for key, value in identity.items() if value}

    def announces(self, order):
        """Whether a newly imported `order` is announced (notifier on, order recent enough)."""
        if not self.webhook_url("sales"):
            return False
        window = datetime.timedelta(hours=self.shop.discord_max_order_age_hours)
        return bool(order.date_order) and order.date_order >= fields.Datetime.now() - window

    def queue_milestones(self, order):
        """Queue the order-count milestone or record-day message `order` reaches, if any."""
        shop = self.shop
        if not shop.discord_milestones:
            return
        Message = self.env["etsy.discord.message"]
        name = shop.etsy_shop_name or shop.name
        count = self.env["sale.order"].search_count([("etsy_shop_id", "=", shop.id)])
        if count in ORDER_MILESTONES or (count > ORDER_MILESTONES[-1] and count % 1000 == 0):
            Message._enqueue(shop, f"milestone:orders:{count}", self.env._(
                "🏆 %(shop)s just received its order number %(count)s!", shop=name,
                count=count), kind="milestone")
        day, best = self.orders_by_day(order.date_order)
        if best and day > best:
            Message._enqueue(shop, f"milestone:day:{order.date_order.date()}", self.env._(
                "🚀 Record day for %(shop)s: %(count)s orders today!", shop=name, count=day),
                kind="milestone")

    def orders_by_day(self, moment):
        """(orders on the day of `moment`, best count of any earlier day) for this shop."""
        groups = self.env["sale.order"]._read_group(
            [("etsy_shop_id", "=", self.shop.id)], ["date_order:day"], ["__count"])
        today = moment.date()
        counts = {day.date() if hasattr(day, "date") else day: n for day, n in groups if day}
        earlier = [n for day, n in counts.items() if day < today]
        return counts.get(today, 0), max(earlier, default=0)


class FailureAlerts:
    """Raise each alert of one shop once when its condition starts, clear it when it ends.

    Called after each scheduled run of the shop and by the hourly health check.
    """

    def __init__(self, shop):
        shop.ensure_one()
        # Alerts are the addon's own bookkeeping (the shop's alert keys, its chatter), raised
        # from whichever run found the condition, whoever started it.
        self.shop = shop.sudo()
        self.env = self.shop.env
        self.Log = self.env["etsy.sync.log"]

    def check(self):
        shop = self.shop
        active = set(filter(None, (shop.alert_keys or "").split(",")))
        for key, raised in self.conditions().items():
            if raised and key not in active:
                self.raise_alert(key)
                active.add(key)
            elif not raised and key in active and not self.still_open(key):
                self.clear_alert(key)
                active.discard(key)
        keys = ",".join(sorted(active)) or False
        if keys != (shop.alert_keys or False):
            shop.alert_keys = keys

    def conditions(self):
        shop = self.shop
        expires = shop.refresh_token_expires_at
        return {
            ALERT_SYNC: self.failure_streak() >= self.threshold(),
            ALERT_DISCONNECTED: shop.state == "error",
            ALERT_TOKEN: bool(shop.state == "connected" and expires
                              and expires < fields.Datetime.now() + TOKEN_WARNING),
        }

    def threshold(self):
        return max(self.shop.alert_failure_threshold, 1)

    def finished_runs(self, limit):
        return self.Log.search([
            ("shop_id", "=", self.shop.id), ("operation", "in", SYNC_OPERATIONS),
            ("state", "!=", "running")], limit=limit)

    def failure_streak(self):
        """How many of the latest finished sync runs failed in a row."""
        streak = 0
        for log in self.finished_runs(self.threshold() + 1):
            if log.state != "failed":
                break
            streak += 1
        return streak

    def still_open(self, key):
        # The streak alert clears only on a successful run, not merely when too few runs exist.
        if key != ALERT_SYNC:
            return False
        latest = self.finished_runs(1)
        return not latest or latest.state == "failed"

    def texts(self, key):
        """(activity summary, what to do) for an alert."""
        shop = self.shop
        if key == ALERT_SYNC:
            last = self.Log.search([("shop_id", "=", shop.id), ("state", "=", "failed")],
                                   limit=1)
            return self.env._("Etsy sync keeps failing"), self.env._(
                "The last %(count)s synchronisations of %(shop)s failed. Latest error: "
                "%(error)s Open Etsy > Sync Logs (filter 'Failed') for details, fix the cause, "
                "then click 'Test connection' on the shop.",
                count=self.failure_streak(), shop=shop.name,
                error=shop._etsy_redact(last.message or "-"))
        if key == ALERT_DISCONNECTED:
            return self.env._("Reconnect the Etsy shop"), self.env._(
                "Etsy refused the access of %s (password change or app removed). Open the shop "
                "and click 'Reconnect'.", shop.name)
        return self.env._("Etsy authorization expires soon"), self.env._(
            "The Etsy authorization of %(shop)s expires on %(date)s. Open the shop and click "
            "'Reconnect' before that date, or synchronisation stops.",
            shop=shop.name, date=fields.Date.to_string(shop.refresh_token_expires_at.date()))

    def raise_alert(self, key):
        shop = self.shop
        summary, note = self.texts(key)
        # A revoked token already got its chatter message and activity when it was detected.
        if key != ALERT_DISCONNECTED:
            # Plain text: the error quoted may come from Etsy or a receipt; escape() keeps it
            # text in the HTML of the chatter and of the activity note.
            shop.message_post(body=note)
            schedule_manager_activity(shop, summary, escape(note))
        if ShopDiscord(shop).webhook_url("ops"):
            self.env["etsy.discord.message"]._enqueue(
                shop, f"alert:{key}:{fields.Datetime.now().isoformat()}",
                f"⚠️ {summary}: {note}", kind="alert", channel="ops")

    def clear_alert(self, key):
        shop = self.shop
        summary, __ = self.texts(key)
        shop.activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
            feedback=self.env._("Solved: the condition is gone."))
        if key == ALERT_SYNC:
            shop.message_post(body=self.env._("Etsy synchronisation of %s works again.",
                                              shop.name))
