"""OAuth tokens of a shop, in a table of their own.

Etsy rotates the refresh token at every renewal, so a renewal must be committed at once, in its
own transaction. Keeping the tokens off the `etsy_shop` row means that commit never touches a
row the sync's transaction writes (`last_order_sync`, `state`): under Odoo's REPEATABLE READ
isolation that would fail the sync with a serialization error, or deadlock on the row lock.
"""

import datetime

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from ..const import REFRESH_TOKEN_LIFETIME
from ..etsy import oauth

# etsy.shop field -> etsy.shop.token field.
SHOP_TOKEN_FIELDS = {
    "access_token": "access_token",
    "refresh_token": "refresh_token",
    "token_expires_at": "expires_at",
    "refresh_token_expires_at": "refresh_expires_at",
}


class EtsyShopToken(models.Model):
    _name = "etsy.shop.token"
    _description = "Etsy shop OAuth tokens"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    access_token = fields.Char()
    refresh_token = fields.Char()
    expires_at = fields.Datetime()
    refresh_expires_at = fields.Datetime()
    # The connection attempt (etsy.oauth.session.state_hash) that obtained these tokens: a
    # replayed callback finds them here instead of spending the single-use code again.
    oauth_state_hash = fields.Char()

    _sql_constraints = [("shop_unique", "unique(shop_id)", "A shop has one set of tokens.")]

    @api.model
    def _for(self, shops):
        return self.sudo().search([("shop_id", "in", shops.ids)])

    @api.model
    def _fill(self, shops, field_names):
        """Set the etsy.shop fields `field_names` of `shops` from their token rows."""
        tokens = {token.shop_id.id: token for token in self._for(shops)}
        for shop in shops:
            token = tokens.get(shop.id)
            for field_name in field_names:
                shop[field_name] = token[SHOP_TOKEN_FIELDS[field_name]] if token else False

    @api.model
    def _lock_for(self, shop):
        """The shop's token row, locked until this transaction ends (one refresher at a time)."""
        self.env.cr.execute(
            "SELECT id FROM etsy_shop_token WHERE shop_id = %s FOR NO KEY UPDATE", [shop.id]
        )
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0] if row else [])

    @api.model
    def _store(self, shop, values):
        """Create or update the shop's token row with `values` (keys of this model)."""
        token = self._for(shop)
        if token:
            token.write(values)
        else:
            token = self.sudo().create({"shop_id": shop.id, **values})
        # Other cursors (the sync log's, a refresher's) read the row from the database.
        token.flush_recordset()
        shop.invalidate_recordset(list(SHOP_TOKEN_FIELDS))
        return token

    @api.model
    def _values_from(self, tokens):
        """Values of this model for an `oauth.TokenSet` Etsy just issued."""
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "refresh_expires_at": fields.Datetime.now() + REFRESH_TOKEN_LIFETIME,
        }

    @api.model
    def _refresh(self, shop, refresh_token):
        """Renew the shop's tokens, one refresher at a time across workers (Etsy rotates them).

        The client's refresh handler. Locks the token row in a transaction of its own,
        committed at once; if another worker already rotated the token we were holding, its
        fresh pair is used instead of a second refresh (which Etsy would refuse).
        """
        for attempt in range(3):
            try:
                with self.env.registry.cursor() as cr:
                    tokens = self.with_env(self.env(cr=cr, su=True))._refresh_locked(
                        shop.with_env(self.env(cr=cr, su=True)), refresh_token)
                self.invalidate_model()
                shop.invalidate_recordset(list(SHOP_TOKEN_FIELDS))
                return tokens
            except pg_errors.SerializationFailure:
                if attempt == 2:
                    raise
        return None

    @api.model
    def _refresh_locked(self, shop, refresh_token):
        token = self._lock_for(shop)
        soon = fields.Datetime.now() + datetime.timedelta(seconds=60)
        if (token.refresh_token and token.refresh_token != refresh_token
                and token.expires_at and token.expires_at > soon):
            return token._token_set()
        tokens = oauth.refresh_access_token(shop.api_base_url, shop.keystring,
                                            token.refresh_token or refresh_token,
                                            shared_secret=shop.shared_secret)
        self._store(shop, self._values_from(tokens))
        return tokens

    def _token_set(self):
        """The stored pair as the client's `oauth.TokenSet`."""
        self.ensure_one()
        seconds_left = (self.expires_at - fields.Datetime.now()).total_seconds()
        return oauth.TokenSet(self.access_token, self.refresh_token, self.expires_at,
                              max(0, int(seconds_left)))
