"""What a shop shows: its counters and smart buttons, its dashboard card, where its flows stand.

Every figure here is read, never written by a flow: the counters count the records of the shop,
the sync figures come from each flow's own sync state row (a run never writes the shop row).
One table, `SHOP_VIEWS`, drives both the counters and the smart buttons that open their records.
"""

import datetime

from odoo import fields, models

from .etsy_shop_shipping import late_delivery_domain, tracking_issue_domain
from .etsy_sync_log import run_title


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


def current_runs(shops):
    """``{shop id: (text, percent)}``: what each shop's syncs are doing now, for its card.

    Of several runs of one shop, the one that knows its total shows (a listing import, a
    backfill), else the oldest. A run asked for (a button, a webhook's wake-up) that no worker
    has started yet shows as waiting.
    """
    env = shops.env
    shown = {}
    for log in env["etsy.sync.log"]._running(shops):
        other = shown.get(log.shop_id.id)
        if not other or (log.progress_total and not other.progress_total):
            shown[log.shop_id.id] = log
    runs = {shop_id: (log._card_text(), log.progress_percent) for shop_id, log in shown.items()}
    waiting = env["etsy.sync.request"].sudo().search([
        ("shop_id", "in", shops.ids), ("receipt_id", "=", False),
        "|", ("run_after", "=", False), ("run_after", "<=", fields.Datetime.now())])
    for request in waiting:
        runs.setdefault(request.shop_id.id, (
            env._("%s: waiting to start", run_title(env, request.flow)), 0.0))
    return runs


def _by_shop(field_name, *domain):
    return lambda shop: [(field_name, "=", shop.id), *domain]


# Smart button key -> (its counter field, the records' model, the window action it opens, the
# shop's records).
SHOP_VIEWS = {
    "orders": ("order_count", "sale.order", "etsy_connector.action_etsy_sale_orders",
               _by_shop("etsy_shop_id")),
    "attention": ("attention_count", "sale.order", "etsy_connector.action_etsy_sale_orders",
                  _by_shop("etsy_shop_id", ("etsy_needs_attention", "=", True))),
    "receipt_issues": ("receipt_issue_count", "etsy.receipt.issue",
                       "etsy_connector.action_etsy_receipt_issue",
                       _by_shop("shop_id", ("state", "=", "pending"))),
    "listings": ("listing_count", "etsy.listing", "etsy_connector.action_etsy_listing",
                 _by_shop("shop_id")),
    "to_link": ("to_link_count", "etsy.product", "etsy_connector.action_etsy_product_to_link",
                _by_shop("shop_id", ("product_id", "=", False), ("listing_id.active", "=", True))),
    "tracking_issues": ("tracking_issue_count", "stock.picking", "stock.action_picking_tree_all",
                        tracking_issue_domain),
    "late_deliveries": ("late_delivery_count", "stock.picking", "stock.action_picking_tree_all",
                        late_delivery_domain),
    "sync_logs": ("sync_log_count", "etsy.sync.log", "etsy_connector.action_etsy_sync_log",
                  _by_shop("shop_id")),
    "failed_logs": ("sync_log_failed_count", "etsy.sync.log",
                    "etsy_connector.action_etsy_sync_log",
                    _by_shop("shop_id", ("state", "in", ("failed", "partial")))),
    "discord_messages": ("discord_message_count", "etsy.discord.message",
                         "etsy_connector.action_etsy_discord_message", _by_shop("shop_id")),
    "ledger_entries": ("ledger_entry_count", "etsy.ledger.entry",
                       "etsy_connector.action_etsy_ledger_entry", _by_shop("shop_id")),
}


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    # === COUNTERS (smart buttons) === #

    order_count = fields.Integer(compute="_compute_counts", compute_sudo=True)
    attention_count = fields.Integer(compute="_compute_counts", compute_sudo=True,
                                     string="Orders needing attention")
    receipt_issue_count = fields.Integer(compute="_compute_counts", compute_sudo=True,
                                         string="Receipts not imported")
    listing_count = fields.Integer(compute="_compute_counts", compute_sudo=True)
    to_link_count = fields.Integer(compute="_compute_counts", compute_sudo=True,
                                   string="Etsy products to link")
    tracking_issue_count = fields.Integer(
        compute="_compute_counts", compute_sudo=True, string="Tracking not sent",
        help="Validated deliveries whose tracking Etsy refused or has to be checked on Etsy.")
    late_delivery_count = fields.Integer(
        compute="_compute_counts", compute_sudo=True, string="Late deliveries",
        help="Open deliveries whose Etsy ship-by date has passed.")
    sync_log_count = fields.Integer(
        compute="_compute_counts", compute_sudo=True,
        help="Number of synchronisation logs of this shop.")
    sync_log_failed_count = fields.Integer(
        string="Failed Sync Count", compute="_compute_counts", compute_sudo=True,
        help="Number of synchronisations of this shop that failed or had failing records.")
    discord_message_count = fields.Integer(compute="_compute_counts", compute_sudo=True)
    ledger_entry_count = fields.Integer(compute="_compute_counts", compute_sudo=True,
                                        string="Etsy ledger entries")

    # === WHERE THE FLOWS STAND (their sync state rows) === #

    last_order_sync = fields.Datetime(
        compute="_compute_sync_states", inverse="_inverse_last_order_sync",
        copy=False,
        help="Orders changed on Etsy up to this moment have been imported. Clear it to read "
             "the history again from 'Import orders since'.")
    order_recheck_offset = fields.Integer(
        compute="_compute_sync_states",
        help="Where the re-reading of recent receipts (cancellations, refunds) continues.")
    last_listing_import = fields.Datetime(
        compute="_compute_sync_states",
        help="When the shop's listings were last read from Etsy.")
    last_inventory_sync = fields.Datetime(
        compute="_compute_sync_states",
        help="When stock quantities were last published to Etsy.")

    # === DASHBOARD CARD === #

    dashboard_orders_today = fields.Integer(string="Orders today", compute="_compute_dashboard")
    dashboard_orders_week = fields.Integer(string="Orders last 7 days",
                                           compute="_compute_dashboard")
    dashboard_orders_sync_age = fields.Char(string="Orders synced", compute="_compute_dashboard")
    dashboard_inventory_sync_age = fields.Char(string="Stock pushed",
                                               compute="_compute_dashboard")
    dashboard_shipping_sync_age = fields.Char(string="Tracking sent",
                                              compute="_compute_dashboard")
    api_calls_left_today = fields.Integer(
        string="API calls left today", compute="_compute_dashboard",
        help="Etsy's x-remaining-today for the app at the last call (shared by the app's shops).")
    api_calls_seen_at = fields.Datetime(string="API budget read at",
                                        compute="_compute_dashboard")
    dashboard_run_text = fields.Char(
        string="Running now", compute="_compute_dashboard",
        help="What the shop's syncs are doing now, e.g. 'Importing listings: 1,200 of 5,000'.")
    dashboard_run_percent = fields.Float(string="Run progress (%)", compute="_compute_dashboard")
    dashboard_token_days_left = fields.Integer(
        string="Authorization days left", compute="_compute_dashboard",
        help="Days until the seller must connect the shop again (renewed at every sync).")

    def _compute_counts(self):
        for shop in self:
            for field_name, model, _action, domain in SHOP_VIEWS.values():
                shop[field_name] = self.env[model].search_count(domain(shop))

    def _compute_sync_states(self):
        State = self.env["etsy.sync.state"]
        orders = State._value(self, "orders", "watermark")
        offsets = State._value(self, "orders", "offset")
        listings = State._value(self, "listings", "watermark")
        inventory = State._value(self, "inventory", "watermark")
        for shop in self:
            shop.last_order_sync = orders.get(shop.id, False)
            shop.order_recheck_offset = offsets.get(shop.id, 0)
            shop.last_listing_import = listings.get(shop.id, False)
            shop.last_inventory_sync = inventory.get(shop.id, False)

    def _inverse_last_order_sync(self):
        # Set by hand to re-read the history (empty) or to skip it: the order flow's watermark.
        for shop in self:
            self.env["etsy.sync.state"]._for(shop, "orders").watermark = shop.last_order_sync

    def _compute_dashboard(self):
        SaleOrder = self.env["sale.order"].sudo()
        now = fields.Datetime.now()
        start_today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        orders = {
            key: dict(SaleOrder._read_group(
                [("etsy_shop_id", "in", self.ids), ("date_order", ">=", since)],
                ["etsy_shop_id"], ["__count"]))
            for key, since in (("today", start_today), ("week", now - datetime.timedelta(days=7)))
        }
        last_ok = {(shop.id, operation): finished
                   for shop, operation, finished in self.env["etsy.sync.log"].sudo()._read_group(
                       [("shop_id", "in", self.ids), ("state", "in", ("done", "partial"))],
                       ["shop_id", "operation"], ["finished_at:max"])}
        # Each flow notes the API budget on its own sync state row: the newest reading wins.
        budgets = {}
        for state in self.env["etsy.sync.state"].sudo().search(
                [("shop_id", "in", self.ids), ("calls_left_at", "!=", False)],
                order="calls_left_at desc"):
            budgets.setdefault(state.shop_id.id, state)
        runs = current_runs(self)
        for shop in self:
            shop.dashboard_run_text, shop.dashboard_run_percent = runs.get(shop.id, (False, 0.0))
            shop.dashboard_orders_today = orders["today"].get(shop, 0)
            shop.dashboard_orders_week = orders["week"].get(shop, 0)
            shop.dashboard_orders_sync_age = age_text(self.env, last_ok.get((shop.id, "orders")),
                                                      now)
            shop.dashboard_inventory_sync_age = age_text(
                self.env, last_ok.get((shop.id, "inventory")), now)
            shop.dashboard_shipping_sync_age = age_text(
                self.env, last_ok.get((shop.id, "shipping")), now)
            expiry = shop.refresh_token_expires_at
            shop.dashboard_token_days_left = max(0, (expiry - now).days) if expiry else 0
            budget = budgets.get(shop.id)
            shop.api_calls_left_today = budget.calls_left if budget else 0
            shop.api_calls_seen_at = budget.calls_left_at if budget else False

    def action_view_related(self):
        """A smart button: the records of this shop that its counter counts.

        The button names what it opens in its context: ``{'etsy_view': 'orders'}``.
        """
        self.ensure_one()
        key = self.env.context.get("etsy_view")
        if key not in SHOP_VIEWS:
            raise ValueError(f"Unknown Etsy shop view {key!r}; use one of {sorted(SHOP_VIEWS)}")
        _field, _model, xmlid, domain = SHOP_VIEWS[key]
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain(self)
        action["context"] = {"create": False}
        return action
