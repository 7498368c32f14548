"""Pending 'Connect to Etsy' attempts: hashed state + PKCE verifier, single use, 10 minutes."""

import hashlib

from odoo import api, fields, models

from ..const import OAUTH_SESSION_LIFETIME as SESSION_LIFETIME
from ..etsy import oauth


def _hash_state(state):
    return hashlib.sha256(state.encode()).hexdigest()


class EtsyOAuthSession(models.Model):
    _name = "etsy.oauth.session"
    _description = "Etsy connection attempt"
    _log_access = True

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    state_hash = fields.Char(required=True, index=True)
    code_verifier = fields.Char(required=True)
    redirect_uri = fields.Char(required=True)
    expires_at = fields.Datetime(required=True)
    used = fields.Boolean()

    _sql_constraints = [("state_hash_unique", "unique(state_hash)", "Duplicate OAuth state.")]

    @api.model
    def _start(self, shop, redirect_uri):
        """A new attempt for `shop` by the current user. Returns (state, code_verifier)."""
        state, verifier = oauth.make_state(), oauth.make_code_verifier()
        self.sudo().create(
            {
                "shop_id": shop.id,
                "user_id": self.env.uid,
                "state_hash": _hash_state(state),
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
                "expires_at": fields.Datetime.now() + SESSION_LIFETIME,
            }
        )
        return state, verifier

    @api.model
    def _consume(self, state):
        """The attempt `state` names, marked used, if it is this user's, unused and not expired."""
        if not state:
            return self.browse()
        session = self.sudo().search([("state_hash", "=", _hash_state(state))], limit=1)
        if (
            not session
            or session.used
            or session.user_id.id != self.env.uid
            or session.expires_at < fields.Datetime.now()
        ):
            return self.browse()
        session.used = True
        return session

    def _save_tokens(self, token_values):
        """Store the shop's new tokens, committed at once, marked as this attempt's.

        A cursor of its own: a rollback of the request (and Odoo's replay of it) must not lose
        tokens Etsy issued for a code that cannot be exchanged twice. The mark goes on the token
        row, never on this session's row, which the request itself has just locked (`_consume`).
        """
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            session = self.with_env(self.env(cr=cr, su=True))
            session.env["etsy.shop.token"]._store(
                session.shop_id, dict(token_values, oauth_state_hash=self.state_hash))

    def _exchanged_tokens(self):
        """The tokens this attempt already obtained (a replayed callback), or None."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            session = self.with_env(self.env(cr=cr, su=True))
            token = session.env["etsy.shop.token"]._for(session.shop_id)
            if not token or token.oauth_state_hash != self.state_hash:
                return None
            return token._token_set()

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([("expires_at", "<", fields.Datetime.now() - SESSION_LIFETIME)]).unlink()
