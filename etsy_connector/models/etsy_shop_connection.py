"""Connecting an Etsy shop (OAuth 2 + PKCE), its API client, and errors shown to people."""

import functools
import logging

from odoo import fields, models
from odoo.exceptions import UserError

from ..const import DEFAULT_HTTP_TIMEOUT, HTTP_TIMEOUT_PARAM
from ..etsy import oauth
from ..etsy.client import EtsyClient
from ..etsy.errors import EtsyError, EtsyReauthorizationRequired
from .etsy_money import EtsyBooks
from .etsy_run import check_may_run, notification
from .flow_notify import schedule_manager_activity
from .user_messages import user_text

_logger = logging.getLogger(__name__)


def connected_shop_values(env, me, etsy_shop):
    """The shop's values once Etsy said who authorized Odoo (getMe) and on which shop."""
    currency = env["res.currency"].with_context(active_test=False).search(
        [("name", "=", (etsy_shop.get("currency_code") or "").upper())], limit=1)
    return {
        "state": "connected",
        "etsy_user_id": str(me["user_id"]),
        "etsy_shop_id": str(me["shop_id"]),
        "etsy_shop_name": etsy_shop.get("shop_name"),
        "etsy_shop_url": etsy_shop.get("url"),
        "currency_id": currency.id or False,
        "scopes": oauth.DEFAULT_SCOPES,
        "connected_at": fields.Datetime.now(),
        "last_error": False,
    }



def check_app_key(shop):
    """Etsy's ping with the app's key: a typo is caught here, not on Etsy's consent page."""
    shop = shop.sudo()
    timeout = float(shop.env["ir.config_parameter"].sudo().get_param(
        HTTP_TIMEOUT_PARAM, DEFAULT_HTTP_TIMEOUT))
    try:
        EtsyClient(shop.keystring, shop.shared_secret, api_base_url=shop.api_base_url,
                   timeout=timeout, max_retries=1).ping()
    except EtsyError as exc:
        raise UserError(shop.env._(
            "Etsy refused the app's Keystring and Shared Secret, so connecting would fail: "
            "%(reason)s Copy both again from 'Your Apps' on https://www.etsy.com/developers, "
            "save, then connect.", reason=shop._etsy_redact(user_text(shop.env, exc)))) from exc


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    # === CONNECT === #

    def action_connect(self):
        """Send the seller to Etsy to authorize Odoo on this shop.

        Note: self.ensure_one()
        :raise UserError: when the Etsy app credentials are not filled in.
        """
        self.ensure_one()
        check_may_run(self)
        missing = [
            self._fields[name]._description_string(self.env)  # the label in the user's language
            for name in ("keystring", "shared_secret") if not self[name]
        ]
        if missing:
            raise UserError(
                self.env._(
                    "Fill in %(fields)s before connecting. Etsy shows the Keystring and the "
                    "Shared Secret of your app under 'Your Apps' on https://www.etsy.com/developers.",
                    fields=self.env._(" and ").join(missing),
                )
            )
        check_app_key(self)
        redirect_uri = self.redirect_uri
        state, verifier = self.env["etsy.oauth.session"]._start(self, redirect_uri)
        url = oauth.authorize_url(self.oauth_base_url, self.sudo().keystring, redirect_uri,
                                  oauth.DEFAULT_SCOPES, state, oauth.code_challenge(verifier))
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _etsy_finish_oauth(self, session, code):
        """Trade the callback code for tokens, then read who and which shop we are.

        The code is single use: the tokens it gave are saved at once in a transaction of their
        own, marked on the session. Should Odoo replay this request (it does on a serialization
        failure), the replay finds them there instead of spending the code a second time.
        """
        self.ensure_one()
        shop = self.sudo()
        # The log is opened before the shop row is written: writing `etsy_shop_id` (part of a
        # unique key) locks the row FOR UPDATE, and the log's own cursor could then not insert
        # a row referencing the shop until this request ends.
        with self.env["etsy.sync.log"]._open(shop, "connect", trigger="manual") as log:
            tokens, exchanged = session._exchanged_tokens(), 0
            if not tokens:
                tokens = oauth.exchange_code(shop.api_base_url, shop.keystring,
                                             session.redirect_uri, code, session.code_verifier,
                                             shared_secret=shop.shared_secret)
                session._save_tokens(self.env["etsy.shop.token"]._values_from(tokens))
                exchanged = 1
            client = shop._etsy_client(tokens)
            me = client.get_me()
            etsy_shop = client.get_shop(me["shop_id"])
            shop.write(connected_shop_values(self.env, me, etsy_shop))
            if shop.company_id.chart_template:
                # The shop's Etsy journal, where its invoices are paid and its ledger booked.
                EtsyBooks(self.env, shop).ensure_journal()
            shop.message_post(body=self.env._(
                "Connected to the Etsy shop %(name)s (shop ID %(id)s).",
                name=etsy_shop.get("shop_name"), id=me["shop_id"]))
            log.count("done")
            log.api_calls = client.call_count + exchanged
            log.message = self.env._("Connected to the Etsy shop %s.", etsy_shop.get("shop_name"))
        # A new shop gets its listings and Etsy's reference data (categories, shipping and
        # return policies, processing profiles) at once, in the background.
        for cron in ("ir_cron_import_listings", "ir_cron_sync_reference_data"):
            self.env.ref(f"etsy_connector.{cron}").sudo()._trigger()
        return shop

    def action_test_connection(self):
        """'Test connection': one cheap authenticated call, and a clear answer."""
        self.ensure_one()
        check_may_run(self)  # it uses the app's credentials and may put the shop in error
        try:
            client = self._etsy_client()
            me = client.get_me()
            etsy_shop = client.get_shop(me["shop_id"])
        except EtsyError as exc:
            if isinstance(exc, EtsyReauthorizationRequired):
                self._etsy_mark_disconnected(exc)
            return notification(user_text(self.env, exc), "danger")
        left = client.rate_limit.remaining_today
        return notification(
            self.env._("Connection works: Etsy shop %(name)s, %(left)s API calls left today.",
                       name=etsy_shop.get("shop_name"), left="?" if left is None else left),
            "success")

    # === CLIENT AND TOKENS === #

    def _etsy_client(self, tokens=None):
        """An EtsyClient for this shop; token rotation is persisted in its own transaction.

        :param tokens: an `oauth.TokenSet` to use instead of the stored tokens (a connection
            whose tokens were saved by another transaction this one cannot see yet).
        """
        self.ensure_one()
        shop = self.sudo()
        if not (shop.keystring and shop.shared_secret):
            raise UserError(self.env._("Enter the keystring and shared secret of your Etsy app "
                                       "on the shop %s first.", shop.name))
        if not (tokens or shop.refresh_token):
            raise UserError(self.env._("The shop %s is not connected: click 'Connect to Etsy'.",
                                       shop.name))
        timeout = float(self.env["ir.config_parameter"].sudo().get_param(
            HTTP_TIMEOUT_PARAM, DEFAULT_HTTP_TIMEOUT))
        return EtsyClient(
            shop.keystring, shop.shared_secret, timeout=timeout,
            access_token=tokens.access_token if tokens else shop.access_token,
            refresh_token=tokens.refresh_token if tokens else shop.refresh_token,
            token_expires_at=tokens.expires_at if tokens else shop.token_expires_at,
            refresh_handler=functools.partial(self.env["etsy.shop.token"]._refresh, shop),
            api_base_url=shop.api_base_url,
        )

    # === ERRORS SHOWN TO PEOPLE === #

    def _etsy_mark_disconnected(self, exc):
        for shop in self.sudo():
            message = shop._etsy_redact(user_text(shop.env, exc))
            if shop.state == "error" and shop.last_error == message:
                continue
            shop.write({"state": "error", "last_error": message})
            shop.message_post(body=self.env._("Etsy refused the connection: %s", message))
            schedule_manager_activity(
                shop,
                self.env._("Reconnect the Etsy shop"),
                self.env._("Etsy revoked access (password change or app removed). Open the shop "
                           "and click 'Reconnect'."))
