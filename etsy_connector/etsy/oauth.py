"""Etsy OAuth 2.0 (authorization code + PKCE S256): authorize URL, code exchange, refresh.

Token calls POST form-encoded bodies to ``<api_base_url>/v3/public/oauth/token`` with
``client_id`` = the bare keystring. Refresh tokens rotate: every refresh returns a new one and the
old one must be considered dead, so callers persist the returned :class:`TokenSet` at once.
"""

import base64
import datetime
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

import requests

from .errors import EtsyConfigError, EtsyTransientError, error_from_response
from .money import utcnow
from .transport import NETWORK_ERRORS, backoff_delay

_logger = logging.getLogger(__name__)

DEFAULT_SCOPES = "transactions_r transactions_w listings_r listings_w listings_d shops_r"
TOKEN_PATH = "/v3/public/oauth/token"  # noqa: S105 - a URL path, not a credential
CONNECT_PATH = "/oauth/connect"
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def normalize_base_url(url, name="base URL"):
    """``https://host[:port][/prefix]`` without trailing slash, or :class:`EtsyConfigError`."""
    text = (url or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EtsyConfigError(f"The Etsy {name} must start with https:// and name a host.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise EtsyConfigError(f"The Etsy {name} must not contain a query, fragment or login.")
    return text


# -- PKCE and state ------------------------------------------------------------------------------

def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_code_verifier():
    """A fresh PKCE verifier: 32 random bytes, base64url without padding (43 characters)."""
    return _b64url(secrets.token_bytes(32))


def code_challenge(verifier):
    """The S256 challenge of ``verifier`` (RFC 7636 §4.2); refuses a malformed verifier."""
    if not isinstance(verifier, str) or not _VERIFIER_RE.match(verifier):
        raise ValueError("a PKCE verifier is 43-128 characters of [A-Za-z0-9._~-]")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def make_state():
    """An unguessable, single-use OAuth ``state`` value (CSRF protection)."""
    return secrets.token_urlsafe(24)


def authorize_url(oauth_base_url, keystring, redirect_uri, scopes, state, code_challenge):
    """The Etsy consent URL (``<oauth_base_url>/oauth/connect?...``) to send the seller to."""
    if isinstance(scopes, (list, tuple, set, frozenset)):
        scopes = " ".join(scopes)
    for value, label in ((keystring, "keystring"), (redirect_uri, "redirect URI"),
                         (scopes, "scope list"), (state, "state"),
                         (code_challenge, "code challenge")):
        if not value or not str(value).strip():
            raise EtsyConfigError(f"The OAuth {label} is missing.")
    query = urlencode({
        "response_type": "code",
        "client_id": keystring,
        "redirect_uri": redirect_uri,
        "scope": " ".join(str(scopes).split()),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }, quote_via=quote)
    return f"{normalize_base_url(oauth_base_url, 'OAuth base URL')}{CONNECT_PATH}?{query}"


# -- token endpoint ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenSet:
    """A token pair from Etsy; ``expires_at`` is a naive UTC datetime. Tokens never in repr."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime.datetime
    expires_in: int

    @property
    def user_id(self):
        """The Etsy user id that prefixes the access token (``12345678.xyz`` -> 12345678)."""
        prefix = self.access_token.split(".", 1)[0]
        return int(prefix) if prefix.isdigit() else None


def _token_set(payload, previous_refresh_token=None):
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        raise EtsyTransientError("Etsy's token answer was incomplete.", operation="oauthToken")
    try:
        expires_in = int(payload.get("expires_in") or 3600)
    except (TypeError, ValueError):
        expires_in = 3600
    return TokenSet(
        access_token=payload["access_token"],
        refresh_token=payload.get("refresh_token") or previous_refresh_token,
        expires_at=utcnow() + datetime.timedelta(seconds=expires_in),
        expires_in=expires_in,
    )


def _post_token(api_base_url, form, *, shared_secret=None, session=None, timeout=30,
                max_retries=2, sleep=time.sleep):
    """POST the token form; return the JSON body or raise an :class:`EtsyError`.

    Repeating a token call cannot do harm (a consumed code or rotated refresh token just answers
    ``invalid_grant``), so 5xx and network failures are retried a bounded number of times:
    Etsy's token endpoint is known to answer a transient 500 that a retry fixes.
    """
    url = normalize_base_url(api_base_url, "API base URL") + TOKEN_PATH
    headers = {"Accept": "application/json"}
    if shared_secret:
        # Etsy rejects v3 calls lacking the secret since 2026-02-09; harmless where not needed.
        headers["x-api-key"] = f"{form['client_id']}:{shared_secret}"
    http = session or requests
    attempt = 0
    while True:
        attempt += 1
        started = time.monotonic()
        try:
            response = http.post(url, data=form, headers=headers, timeout=timeout)
        except NETWORK_ERRORS as exc:
            _logger.info("Etsy oauthToken failed: %s (attempt %d)", type(exc).__name__, attempt)
            if attempt > max_retries:
                message = f"Could not reach Etsy's token endpoint ({type(exc).__name__})."
                raise EtsyTransientError(message, operation="oauthToken") from None
            sleep(backoff_delay(attempt))
            continue
        _logger.debug("Etsy oauthToken -> %s in %.0f ms", response.status_code,
                      (time.monotonic() - started) * 1000)
        if response.status_code >= 500 and attempt <= max_retries:
            sleep(backoff_delay(attempt))
            continue
        if response.status_code >= 400:
            raise error_from_response(response, "oauthToken").redact(*_form_secrets(form))
        try:
            return response.json()
        except ValueError:
            raise EtsyTransientError("Etsy's token answer was not JSON.",
                                     operation="oauthToken") from None


def _form_secrets(form):
    """The values of a token form that are secrets (the grant type and redirect URI are not)."""
    return [form.get(key) for key in ("client_id", "code", "code_verifier", "refresh_token")]


def exchange_code(api_base_url, keystring, redirect_uri, code, code_verifier, *,
                  shared_secret=None, session=None, timeout=30, max_retries=2):
    """Trade the callback ``code`` (+ the PKCE verifier) for a :class:`TokenSet`."""
    if not keystring:
        raise EtsyConfigError("The Etsy keystring is missing.")
    form = {
        "grant_type": "authorization_code",
        "client_id": keystring,
        "redirect_uri": redirect_uri,
        "code": code,
        "code_verifier": code_verifier,
    }
    return _token_set(_post_token(api_base_url, form, shared_secret=shared_secret,
                                  session=session, timeout=timeout, max_retries=max_retries))


def refresh_access_token(api_base_url, keystring, refresh_token, *, shared_secret=None,
                         session=None, timeout=30, max_retries=2):
    """Use ``refresh_token`` for a new :class:`TokenSet` (its refresh token replaces the old).

    A revoked or reused refresh token raises :class:`EtsyReauthorizationRequired`.
    """
    if not keystring:
        raise EtsyConfigError("The Etsy keystring is missing.")
    if not refresh_token:
        raise EtsyConfigError("The shop has no refresh token; connect it to Etsy first.")
    form = {"grant_type": "refresh_token", "client_id": keystring, "refresh_token": refresh_token}
    payload = _post_token(api_base_url, form, shared_secret=shared_secret, session=session,
                          timeout=timeout, max_retries=max_retries)
    return _token_set(payload, previous_refresh_token=refresh_token)
