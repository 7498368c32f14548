"""The shop dashboard: state of every shop at a glance, 'Sync now', API budget and log retention."""

import datetime
import logging

from odoo import api, fields, models

from ..const import DEFAULT_RETENTION_DAYS, PURGE_BATCH, SYNC_LOG_RETENTION_PARAM

_logger = logging.getLogger(__name__)



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
        string="API calls left today", compute="_compute_api_calls_left",
        help="Etsy's x-remaining-today for the app at the last call (shared by the app's shops).")
    api_calls_seen_at = fields.Datetime(string="API budget read at",
                                        compute="_compute_api_calls_left")

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

    def _compute_api_calls_left(self):
        # Each flow notes the figure on its own sync state row: the newest reading wins.
        states = self.env["etsy.sync.state"].sudo().search(
            [("shop_id", "in", self.ids), ("calls_left_at", "!=", False)],
            order="calls_left_at desc")
        latest = {}
        for state in states:
            latest.setdefault(state.shop_id.id, state)
        for shop in self:
            state = latest.get(shop.id)
            shop.api_calls_left_today = state.calls_left if state else 0
            shop.api_calls_seen_at = state.calls_left_at if state else False


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
