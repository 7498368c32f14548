"""OAuth tokens of a shop, in a table of their own.

Etsy rotates the refresh token at every renewal, so a renewal must be committed at once, in its
own transaction. Keeping the tokens off the `etsy_shop` row means that commit never touches a
row the sync's transaction writes (`last_order_sync`, `state`): under Odoo's REPEATABLE READ
isolation that would fail the sync with a serialization error, or deadlock on the row lock.
"""

from odoo import api, fields, models

from ..etsy import oauth


class EtsyShopToken(models.Model):
    _name = "etsy.shop.token"
    _description = "Etsy shop OAuth tokens"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    access_token = fields.Char()
    refresh_token = fields.Char()
    expires_at = fields.Datetime()
    refresh_expires_at = fields.Datetime()

    _sql_constraints = [("shop_unique", "unique(shop_id)", "A shop has one set of tokens.")]

    @api.model
    def _for(self, shops):
        return self.sudo().search([("shop_id", "in", shops.ids)])

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
        return token

    def _token_set(self):
        """The stored pair as the client's `oauth.TokenSet`."""
        self.ensure_one()
        seconds_left = (self.expires_at - fields.Datetime.now()).total_seconds()
        return oauth.TokenSet(self.access_token, self.refresh_token, self.expires_at,
                              max(0, int(seconds_left)))
