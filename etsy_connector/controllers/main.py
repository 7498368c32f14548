"""The OAuth redirect target Etsy sends the browser back to after 'Connect to Etsy'."""

import logging

from markupsafe import escape

from odoo import http
from odoo.http import request

from ..const import OAUTH_CALLBACK_PATH
from ..etsy.errors import EtsyError
from ..models.user_messages import user_text

_logger = logging.getLogger(__name__)


class EtsyOAuthController(http.Controller):
    @http.route(OAUTH_CALLBACK_PATH, type="http", auth="user", methods=["GET"])
    def etsy_oauth_callback(
        self, code=None, state=None, error=None, error_description=None, **_kwargs
    ):
        """Verify state, exchange the single-use code, then land on the shop form."""
        session = request.env["etsy.oauth.session"]._consume(state)
        if not session:
            return self._error_page(
                request.env._(
                    "This Etsy connection link is invalid, expired or was already used. Open the "
                    "Etsy shop in Odoo and click 'Connect to Etsy' again."
                )
            )
        shop = session.shop_id
        if error:
            reason = (
                request.env._("you declined access on Etsy")
                if error == "access_denied"
                else (error_description or error)
            )
            return self._error_page(
                request.env._(
                    "The shop %(shop)s was not connected: %(reason)s. Click "
                    "'Connect to Etsy' to try again.",
                    shop=shop.name,
                    reason=reason,
                ),
                shop,
            )
        if not code:
            return self._error_page(
                request.env._(
                    "Etsy sent no authorization code. Click 'Connect to Etsy' to try again."
                ),
                shop,
            )
        try:
            shop._etsy_finish_oauth(session, code)
        except EtsyError as exc:
            _logger.info("Etsy connection of shop %s failed: %s", shop.id, type(exc).__name__)
            return self._error_page(shop._etsy_redact(user_text(shop.env, exc)), shop)
        return request.redirect(f"/odoo/etsy-shops/{shop.id}", local=True)

    def _error_page(self, message, shop=None):
        back = f"/odoo/etsy-shops/{shop.id}" if shop else "/odoo/etsy-shops"
        body = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
            "<h1>{title}</h1><p class='etsy-oauth-error'>{message}</p>"
            "<p><a href='{back}'>{back_label}</a></p></body></html>"
        ).format(
            title=escape(request.env._("Etsy connection failed")),
            message=escape(message),
            back=escape(back),
            back_label=escape(request.env._("Back to the Etsy shop")),
        )
        return request.make_response(
            body, headers=[("Content-Type", "text/html; charset=utf-8")], status=400
        )
