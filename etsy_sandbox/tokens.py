"""OAuth 2.0 state: pending consents, authorization codes, access and refresh tokens.

Tokens look like Etsy's, `<user_id>.<opaque>` (API-NOTES §1). Refresh tokens rotate: a refresh
returns a new pair and the old refresh token stops working at once (the strict reading of
API-NOTES §2). Codes are single use and live 10 minutes. Nothing here ever puts a token or a
code into a repr or an exception message.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from .constants import AUTH_CODE_LIFETIME, REFRESH_TOKEN_LIFETIME
from .errors import ApiError

VERIFIER_RE = re.compile(r"[A-Za-z0-9._~-]{43,128}\Z")
CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]{43}\Z")


def s256(verifier):
    """PKCE S256: base64url without padding of SHA-256 of the verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def grant_error(description, status=400):
    """An RFC 6749 `invalid_grant` answer."""
    return ApiError(status, "invalid_grant", description)


def token_error(description):
    """A 401 `invalid_token` answer, as Etsy gives for bad or expired bearer tokens."""
    return ApiError(401, "invalid_token", description)


@dataclass(repr=False)
class Grant:
    """What a code or token stands for: who, which app, which scopes, until when."""

    user_id: int
    keystring: str
    scopes: frozenset
    expires_at: float
    revoked: bool = False
    used: bool = False
    redirect_uri: str = ""
    challenge: str = ""
    extra: dict = field(default_factory=dict)

    def __repr__(self):
        return f"Grant(user_id={self.user_id}, scopes={sorted(self.scopes)})"


class TokenStore:
    """Codes and tokens of every app; callers hold the world lock."""

    def __init__(self, world):
        self.world = world
        self.pending = {}
        self.codes = {}
        self.access = {}
        self.refresh = {}

    def _new(self, user_id):
        return f"{user_id}.{secrets.token_urlsafe(36)}"

    def remember_consent(self, params):
        """Keep the validated authorize request while the user looks at the consent page."""
        request_id = secrets.token_urlsafe(16)
        self.pending[request_id] = dict(
            params, expires_at=self.world.now_float() + AUTH_CODE_LIFETIME
        )
        return request_id

    def take_consent(self, request_id):
        """The pending authorize request, used once, or None."""
        params = self.pending.pop(request_id, None)
        if params is None or params["expires_at"] < self.world.now_float():
            return None
        return params

    def new_code(self, user_id, keystring, scopes, redirect_uri, challenge):
        """An authorization code valid 10 minutes, for one exchange."""
        code = secrets.token_urlsafe(32)
        self.codes[code] = Grant(
            user_id,
            keystring,
            frozenset(scopes),
            self.world.now_float() + AUTH_CODE_LIFETIME,
            redirect_uri=redirect_uri,
            challenge=challenge,
        )
        return code

    def exchange_code(self, keystring, code, redirect_uri, verifier):
        """authorization_code grant: PKCE, single use, expiry, same client and redirect_uri."""
        grant = self.codes.get(code)
        if grant is None:
            raise grant_error("code is invalid")
        if grant.used:
            raise grant_error("code has already been used")
        grant.used = True
        if grant.expires_at < self.world.now_float():
            raise grant_error("code is expired")
        if grant.keystring != keystring:
            raise grant_error("code was issued to another client")
        if grant.redirect_uri != redirect_uri:
            raise grant_error("redirect_uri does not match the authorization request")
        if not VERIFIER_RE.match(verifier) or not hmac.compare_digest(
            s256(verifier), grant.challenge
        ):
            raise grant_error("code_verifier is invalid")
        return self.issue(grant.user_id, keystring, grant.scopes)

    def issue(self, user_id, keystring, scopes):
        """A fresh access/refresh pair, shaped as Etsy's token response."""
        now = self.world.now_float()
        lifetime = self.world.access_token_lifetime
        access, refresh = self._new(user_id), self._new(user_id)
        self.access[access] = Grant(user_id, keystring, frozenset(scopes), now + lifetime)
        self.refresh[refresh] = Grant(
            user_id, keystring, frozenset(scopes), now + REFRESH_TOKEN_LIFETIME
        )
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "refresh_token": refresh,
        }

    def rotate(self, keystring, refresh_token):
        """refresh_token grant: a new pair; the presented refresh token dies immediately."""
        grant = self.refresh.get(refresh_token)
        if grant is None or grant.keystring != keystring:
            raise grant_error("refresh_token is invalid")
        if grant.revoked:
            raise grant_error("refresh_token is revoked")
        if grant.used:
            raise grant_error("refresh_token is invalid")
        if grant.expires_at < self.world.now_float():
            raise grant_error("refresh_token is expired")
        grant.used = True
        return self.issue(grant.user_id, keystring, grant.scopes)

    def check_access(self, token, keystring):
        """The grant behind a bearer token, or a 401 exactly as Etsy words it."""
        grant = self.access.get(token)
        if grant is None or grant.revoked or grant.keystring != keystring:
            raise token_error("access_token is invalid")
        if grant.expires_at <= self.world.now_float():
            raise token_error("access token is expired")
        return grant

    def revoke_user(self, user_id):
        """Every token of the user dies (what a password change or uninstall does)."""
        for grant in list(self.access.values()) + list(self.refresh.values()):
            if grant.user_id == user_id:
                grant.revoked = True

    def expire_access_tokens(self):
        """Every live access token expires now."""
        now = self.world.now_float()
        for grant in self.access.values():
            grant.expires_at = min(grant.expires_at, now)
