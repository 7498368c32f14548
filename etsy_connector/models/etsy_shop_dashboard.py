"""The shop dashboard: state of every shop at a glance, 'Sync now', API budget and log retention."""

import datetime
import logging

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models

from ..etsy.client import RateLimit

_logger = logging.getLogger(__name__)

SYNC_LOG_RETENTION_PARAM = "etsy_connector.sync_log_retention_days"
DEFAULT_RETENTION_DAYS = 90
PURGE_BATCH = 5000


class _NotedRateLimit(RateLimit):
    """The client's rate-limit record that also reports each 'calls left today' it reads."""

    def __init__(self, note):
        object.__setattr__(self, "_note", note)
        super().__init__()

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name == "remaining_today" and value is not None:
            self._note(value)


def age_text(env, moment, now=None):
    """'never', 'just now', '12 min ago', '3 h ago' or '5 days ago', in the user's language."""
    if not moment:
        return env._("never")
    seconds = max(0, int(((now or fields.Datetime.now()) - moment).total_seconds()))
    if seconds < 60:
        return env._("just now")
    if seconds < 3600:
        return env._("%s min ago", seconds // 60)
    if seconds < 2 * 86400:
        return env._("%s h ago", seconds // 3600)
    return env._("%s days ago", seconds // 86400)


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    dashboard_orders_today = fields.Integer(string="Orders today",
                                            compute="_compute_dashboard_orders")
    dashboard_orders_week = fields.Integer(string="Orders last 7 days",
                                           compute="_compute_dashboard_orders")
    dashboard_orders_sync_age = fields.Char(string="Orders synced",
                                            compute="_compute_dashboard_sync_ages")
    dashboard_inventory_sync_age = fields.Char(string="Stock pushed",
                                               compute="_compute_dashboard_sync_ages")
    dashboard_shipping_sync_age = fields.Char(string="Tracking sent",
                                              compute="_compute_dashboard_sync_ages")
    dashboard_token_days_left = fields.Integer(
        string="Authorization days left", compute="_compute_dashboard_token_days_left",
        help="Days until the seller must connect the shop again (renewed at every sync).")
    api_calls_left_today = fields.Integer(
        string="API calls left today", readonly=True, copy=False,
        help="Etsy's x-remaining-today for the app at the last call (shared by the app's shops).")
    api_calls_seen_at = fields.Datetime(string="API budget read at", readonly=True, copy=False)

    def _compute_dashboard_orders(self):
        SaleOrder = self.env["sale.order"].sudo()
        now = fields.Datetime.now()
        start_today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        counts = {}
        for key, since in (("today", start_today), ("week", now - datetime.timedelta(days=7))):
            counts[key] = dict(SaleOrder._read_group(
                [("etsy_shop_id", "in", self.ids), ("date_order", ">=", since)],
                ["etsy_shop_id"], ["__count"]))
        for shop in self:
            shop.dashboard_orders_today = counts["today"].get(shop, 0)
            shop.dashboard_orders_week = counts["week"].get(shop, 0)

    def _compute_dashboard_sync_ages(self):
        groups = self.env["etsy.sync.log"].sudo()._read_group(
            [("shop_id", "in", self.ids), ("state", "in", ("done", "partial"))],
            ["shop_id", "operation"], ["finished_at:max"])
        last_ok = {(shop.id, operation): finished for shop, operation, finished in groups}
        now = fields.Datetime.now()
        for shop in self:
            ages = {operation: age_text(self.env, last_ok.get((shop.id, operation)), now)
                    for operation in ("orders", "inventory", "shipping")}
            shop.dashboard_orders_sync_age = ages["orders"]
            shop.dashboard_inventory_sync_age = ages["inventory"]
            shop.dashboard_shipping_sync_age = ages["shipping"]

    @api.depends("refresh_token_expires_at")
    def _compute_dashboard_token_days_left(self):
        now = fields.Datetime.now()
        for shop in self:
            expiry = shop.refresh_token_expires_at
            shop.dashboard_token_days_left = max(0, (expiry - now).days) if expiry else 0

    # === 'SYNC NOW' === #

    def action_sync_now(self):
        """Start the order sync in the background (the scheduled action) and say so at once.

        A sync of a big shop takes minutes: run in a cron worker it never blocks the browser,
        and its log shows the progress as it goes.
        """
        cron = self.env.ref("etsy_connector.ir_cron_sync_orders").sudo()
        if not cron.active:
            return self._etsy_notification(_(
                "The scheduled action 'Etsy: import orders' is disabled: enable it under "
                "Settings > Technical > Scheduled Actions (developer mode), then sync again."),
                "warning")
        cron._trigger()
        return self._etsy_notification(
            _("Order sync started in the background: Etsy > Sync Logs shows its progress."),
            "info")

    # === API BUDGET === #

    def _etsy_client(self):
        """The client, noting 'calls left today' from Etsy's headers for the dashboard."""
        client = super()._etsy_client()
        client.rate_limit = _NotedRateLimit(self._etsy_note_calls_left)
        return client

    def _etsy_note_calls_left(self, remaining):
        # Written when the batch commits, not at each call: no extra write per API request.
        cr = self.env.cr
        noted = cr.precommit.data.setdefault("etsy_calls_left", {})
        if not noted:
            cr.precommit.add(self._etsy_store_calls_left)
        noted[self.id] = (remaining, fields.Datetime.now())

    def _etsy_store_calls_left(self):
        # Plain SQL: the ORM flush has already run when precommit hooks are called.
        noted = self.env.cr.precommit.data.get("etsy_calls_left", {})
        for shop_id, (remaining, seen_at) in noted.items():
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(
                        "UPDATE etsy_shop SET api_calls_left_today = %s, api_calls_seen_at = %s "
                        "WHERE id = %s", [remaining, seen_at, shop_id])
            except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
                # Another flow of this shop committed a newer row meanwhile: a dashboard
                # figure is not worth failing this batch's commit for; the next call notes it.
                _logger.debug("Etsy calls-left figure of shop %s not stored this time", shop_id)
        self.browse(list(noted)).invalidate_recordset(["api_calls_left_today",
                                                      "api_calls_seen_at"])


class EtsySyncLog(models.Model):
    _inherit = "etsy.sync.log"

    @api.model
    def _cron_purge_old_logs(self):
        """Scheduled action: delete finished logs older than the retention (default 90 days)."""
        days = int(self.env["ir.config_parameter"].sudo().get_param(
            SYNC_LOG_RETENTION_PARAM, DEFAULT_RETENTION_DAYS) or 0)
        if days <= 0:
            return 0
        cutoff = fields.Datetime.now() - datetime.timedelta(days=days)
        old = self.sudo().search([("started_at", "<", cutoff), ("state", "!=", "running")],
                                 limit=PURGE_BATCH)
        count = len(old)
        old.unlink()
        if count == PURGE_BATCH:
            self.env["ir.cron"]._notify_progress(done=count, remaining=1)
        return count
