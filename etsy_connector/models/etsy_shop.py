"""The Etsy shop: one connection between an Etsy shop and an Odoo company."""

import logging
import traceback
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..const import (
    DISCORD_URL_FIELDS,
    MANAGER_GROUP,
    OAUTH_CALLBACK_PATH,
    URL_FIELDS,
    WEBHOOK_PATH,
)
from ..etsy.redact import redact
from .etsy_shop_token import SHOP_TOKEN_FIELDS
from .etsy_webhook_event import due_for_order_poll
from .flow_notify import FailureAlerts
from .sync_log_recorder import shop_secrets

_logger = logging.getLogger(__name__)



class EtsyShop(models.Model):
    """An Etsy shop connected to one Odoo company: credentials, tokens and sync settings."""

    _name = "etsy.shop"
    _description = "Etsy Shop"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"
    _check_company_auto = True

    _sql_constraints = [
        (
            "etsy_shop_company_uniq",
            "unique(etsy_shop_id, company_id)",
            "This Etsy shop is already set up in this company.",
        ),
    ]

    # === GENERAL === #

    name = fields.Char(
        required=True,
        tracking=True,
        help="Name of this shop in Odoo, e.g. 'Etsy - Handmade Cups'. Shown on logs and orders.",
    )
    active = fields.Boolean(
        default=True,
        tracking=True,
        help="Archived shops are kept with their history but never synchronised.",
    )
    company_id = fields.Many2one(
        "res.company",
        string="Company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="Company that receives the orders of this shop and whose stock is published.",
    )
    state = fields.Selection(
        [("draft", "Not connected"), ("connected", "Connected"), ("error", "Error")],
        string="Status",
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        help="Not connected: Odoo has no access to the shop yet.\n"
        "Connected: Odoo holds valid tokens and synchronises.\n"
        "Error: Etsy refused the access (see the error message); reconnect the shop.",
    )
    last_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the shop is in error, as reported by the last failed connection or sync.",
    )

    # === ETSY APP CREDENTIALS (manager only) === #

    keystring = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        exportable=False,
        help="The Keystring (API key) of your Etsy app, from 'Your Apps' on etsy.com/developers.",
    )
    shared_secret = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        exportable=False,
        help="The Shared Secret of your Etsy app, shown next to its Keystring. Etsy rejects "
        "every request that does not carry it.",
    )
    access_token = fields.Char(
        groups=MANAGER_GROUP,
        compute="_compute_tokens",
        inverse="_inverse_tokens",
        copy=False,
        exportable=False,
        readonly=True,
        help="OAuth access token issued by Etsy when the shop was connected; valid one hour "
        "and renewed automatically with the refresh token.",
    )
    refresh_token = fields.Char(
        groups=MANAGER_GROUP,
        compute="_compute_tokens",
        inverse="_inverse_tokens",
        copy=False,
        exportable=False,
        readonly=True,
        help="OAuth refresh token used to renew the access token. Etsy replaces it at every "
        "renewal and revokes it when the seller changes password or removes the app.",
    )
    has_credentials = fields.Boolean(
        compute="_compute_connection_flags",
        compute_sudo=True,
        help="Whether the Keystring and the Shared Secret of the Etsy app are filled in.",
    )
    is_token_valid = fields.Boolean(
        string="Token Valid",
        compute="_compute_connection_flags",
        compute_sudo=True,
        help="Whether Odoo holds a refresh token that has not expired, i.e. can reach Etsy "
        "without the seller authorizing again.",
    )

    redirect_uri = fields.Char(
        string="Callback URL",
        compute="_compute_urls",
        help="Register this exact address as the callback URL of your Etsy app: Etsy only "
        "sends the seller back to addresses registered for the app.",
    )

    # === CONNECTION (filled in by Etsy when connecting) === #

    etsy_shop_id = fields.Char(
        string="Etsy Shop ID",
        readonly=True,
        copy=False,
        index=True,
        help="Numeric id of the shop on Etsy (kept as text: Etsy ids are 64-bit).",
    )
    etsy_user_id = fields.Char(
        string="Etsy User ID",
        readonly=True,
        copy=False,
        help="Numeric id of the Etsy user (the shop owner) who authorized Odoo.",
    )
    etsy_shop_name = fields.Char(
        string="Etsy Shop Name",
        readonly=True,
        copy=False,
        help="Name of the shop on Etsy.",
    )
    etsy_shop_url = fields.Char(
        string="Etsy Shop URL",
        readonly=True,
        copy=False,
        help="Public address of the shop on Etsy.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        string="Shop Currency",
        readonly=True,
        copy=False,
        help="Currency in which the shop sells on Etsy; orders are recorded in it.",
    )
    scopes = fields.Char(
        string="Granted Scopes",
        readonly=True,
        copy=False,
        help="Permissions the seller granted to Odoo on Etsy, separated by spaces "
        "(e.g. transactions_r listings_w).",
    )
    token_expires_at = fields.Datetime(
        string="Access Token Expiry",
        compute="_compute_token_dates",
        inverse="_inverse_tokens",
        compute_sudo=True,
        readonly=True,
        copy=False,
        help="When the current access token expires; Odoo renews it before that.",
    )
    refresh_token_expires_at = fields.Datetime(
        string="Authorization Expiry",
        compute="_compute_token_dates",
        inverse="_inverse_tokens",
        compute_sudo=True,
        readonly=True,
        copy=False,
        help="When the refresh token expires (90 days after the last renewal). After that "
        "date the seller must connect the shop again.",
    )
    connected_at = fields.Datetime(
        string="Connected On",
        readonly=True,
        copy=False,
        help="When the seller last authorized Odoo on Etsy.",
    )

    # === SYNCHRONISATION === #

    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Warehouse",
        required=True,
        check_company=True,
        compute="_compute_warehouse_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Warehouse that ships Etsy orders and whose available stock is published on Etsy. "
        "Defaults to the first warehouse of the company.",
    )
    sync_log_ids = fields.One2many(
        "etsy.sync.log",
        "shop_id",
        string="Sync Logs",
        readonly=True,
        help="History of the synchronisations of this shop.",
    )
    # === ADVANCED === #

    api_base_url = fields.Char(
        string="API Base URL",
        required=True,
        default="https://openapi.etsy.com",
        help="Root of the Etsy Open API v3. Change it only to point at a test server.",
    )
    oauth_base_url = fields.Char(
        string="Authorization Base URL",
        required=True,
        default="https://www.etsy.com",
        help="Site where the seller authorizes Odoo (Etsy's /oauth/connect page). Change it "
        "only to point at a test server.",
    )

    # === NOTIFICATIONS (manager only) === #

    discord_webhook_url = fields.Char(
        string="Discord Webhook URL",
        groups=MANAGER_GROUP,
        copy=False,
        exportable=False,
        help="Optional. Discord channel webhook (Channel settings > Integrations > Webhooks) "
        "that is told about new Etsy orders. Anyone holding this URL can post to the channel.",
    )

    # === COMPUTE METHODS === #

    @api.depends("keystring", "shared_secret", "refresh_token", "refresh_token_expires_at")
    def _compute_connection_flags(self):
        now = fields.Datetime.now()
        for shop in self:
            shop.has_credentials = bool(shop.keystring and shop.shared_secret)
            expiry = shop.refresh_token_expires_at
            shop.is_token_valid = bool(shop.refresh_token) and (not expiry or expiry > now)

    @api.depends("company_id")
    def _compute_urls(self):
        # Depends on the company so that a new, unsaved shop shows them at once.
        for shop in self:
            base_url = shop.get_base_url()
            shop.redirect_uri = base_url + OAUTH_CALLBACK_PATH
            shop_id = shop._origin.id
            shop.webhook_url = f"{base_url}{WEBHOOK_PATH}/{shop_id}" if shop_id else ""

    # Tokens live in etsy.shop.token (see there why); these fields read and write that row.
    def _compute_tokens(self):
        # Computed fields skip the ORM's field-groups check on attribute access: do it here.
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only Etsy managers can read the OAuth tokens of a shop."))
        self.env["etsy.shop.token"]._fill(self, ("access_token", "refresh_token"))

    def _compute_token_dates(self):
        self.env["etsy.shop.token"]._fill(self, ("token_expires_at", "refresh_token_expires_at"))

    def _inverse_tokens(self):
        for shop in self:
            self.env["etsy.shop.token"]._store(shop, {
                token_field: shop[field_name]
                for field_name, token_field in SHOP_TOKEN_FIELDS.items()
            })

    @api.depends("company_id")
    def _compute_warehouse_id(self):
        for shop in self:
            if shop.warehouse_id.company_id != shop.company_id:
                shop.warehouse_id = self.env["stock.warehouse"].search(
                    [("company_id", "=", shop.company_id.id)], limit=1
                )

    # === CONSTRAINTS AND CRUD === #

    @api.constrains(*URL_FIELDS)
    def _check_base_urls(self):
        for shop in self:
            for field_name in URL_FIELDS:
                parts = urlsplit(shop[field_name] or "")
                if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                    raise ValidationError(
                        _(
                            "%(field)s must be a web address such as https://openapi.etsy.com.",
                            field=self._fields[field_name].string,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_urls(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_urls(vals)
        result = super().write(vals)
        # A Discord webhook was replaced: the messages that failed for lack of it go out now.
        channels = [channel for field_name, channel in DISCORD_URL_FIELDS.items()
                    if vals.get(field_name)]
        if channels:
            self.env["etsy.discord.message"]._requeue_failed(self, channels)
        return result

    @api.model
    def _normalize_urls(self, vals):
        # API paths are appended to these roots; "https://host/" would give "//v3/...".
        for field_name in URL_FIELDS:
            if vals.get(field_name):
                vals[field_name] = vals[field_name].strip().rstrip("/")
        for field_name in DISCORD_URL_FIELDS:
            if vals.get(field_name):
                vals[field_name] = vals[field_name].strip()

    # === ACTIONS === #

    # === SCHEDULED ACTIONS === #

    @api.model
    def _cron_sync_orders(self):
        """Import new and changed Etsy orders of every connected shop (less often for a shop
        whose webhooks are healthy, if it chose so)."""
        self._run_for_connected_shops("_sync_etsy_orders", select=due_for_order_poll)

    @api.model
    def _cron_sync_inventory(self):
        """Publish the available stock of every connected shop to Etsy."""
        self._run_for_connected_shops("_sync_etsy_inventory")

    @api.model
    def _run_for_connected_shops(self, method_name, select=None):
        """Call ``method_name`` on each active connected shop; a failing shop never stops the next.

        Each flow runs in the run frame, on a cursor of its own: its failure is already recorded
        in its sync log and rolled back there. After each shop, the failure alerts are checked,
        so a shop that keeps failing reaches a person at once.
        """
        shops = self.search([("state", "=", "connected")])
        if select:
            shops = select(shops)
        for done, shop in enumerate(shops, start=1):
            shop = shop.with_company(shop.company_id)
            try:
                getattr(shop, method_name)()
            except Exception:  # noqa: BLE001 - one shop must never stop the others
                _logger.error("Etsy %s failed for shop %s (id %s):\n%s", method_name, shop.name,
                              shop.id, shop._etsy_redact(traceback.format_exc()))
            try:
                FailureAlerts(shop).check()
            except Exception:
                _logger.exception("Etsy alert check failed for shop %s", shop.id)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(shops) - done)

    # === HELPERS === #

    def _etsy_redact(self, text):
        """Return ``text`` without these shops' secrets nor anything shaped like a secret."""
        return redact(text, shop_secrets(self))
