"""Etsy's authorize page (`/oauth/connect`) and token endpoint (`POST /v3/public/oauth/token`).

The authorize page validates like Etsy (API-NOTES §2): an unknown client or a redirect URI that is
not registered shows an error page and does NOT redirect ("The requested redirect URL is not
permitted.", open-api #331/#644); every other problem redirects back with RFC 6749 `error`,
`error_description` and `state`. The consent page shows who is logged in ("Allow <app> to
access <shop>?") with Allow and Deny buttons posting back to /oauth/connect.

The token endpoint takes Etsy's documented form encoding and also JSON (several third-party
clients send JSON); the encoding used is recorded in the journal's `content_type`.
"""

import html
import json
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Response

from .constants import KNOWN_SCOPES
from .errors import ApiError
from .tokens import CHALLENGE_RE

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class AuthorizeError(Exception):
    """A problem the user must see on Etsy's own page (no redirect)."""


def redirect_allowed(app, redirect_uri):
    """Exact match against the registered list; the default app accepts any loopback URI."""
    if redirect_uri in app.redirect_uris:
        return True
    if not app.allow_loopback:
        return False
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and not parts.fragment


def with_query(uri, params):
    """Append query parameters to a redirect URI that may already have some."""
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def connect_get(sandbox, request):
    """GET /oauth/connect: validate, then show the consent page (or approve at once)."""
    args = request.args
    try:
        app = _checked_client(sandbox, args.get("client_id", ""), args.get("redirect_uri", ""))
    except AuthorizeError as exc:
        return error_page(str(exc))
    redirect_uri = args["redirect_uri"]
    state = args.get("state", "")
    problem = _request_problem(args)
    if problem:
        error, description = problem
        params = {"error": error, "error_description": description}
        if state:
            params["state"] = state
        return _redirect(with_query(redirect_uri, params))
    consent = {
        "keystring": app.keystring,
        "redirect_uri": redirect_uri,
        "state": state,
        "scopes": args["scope"].split(),
        "challenge": args["code_challenge"],
    }
    if sandbox.world.auto_approve:
        return _approve(sandbox, consent)
    request_id = sandbox.tokens.remember_consent(consent)
    return consent_page(sandbox, app, consent, request_id)


def connect_post(sandbox, request):
    """POST /oauth/connect: the user pressed Allow or Deny."""
    consent = sandbox.tokens.take_consent(request.form.get("request_id", ""))
    if consent is None:
        return error_page("This authorization request has expired. Please start again.")
    if request.form.get("decision") == "allow":
        return _approve(sandbox, consent)
    params = {
        "error": "access_denied",
        "error_description": "The user denied the request",
        "state": consent["state"],
    }
    return _redirect(with_query(consent["redirect_uri"], params))


def _checked_client(sandbox, client_id, redirect_uri):
    app = sandbox.world.apps.get(client_id)
    if app is None:
        raise AuthorizeError("The application could not be found. Check the client_id.")
    if not redirect_uri or not redirect_allowed(app, redirect_uri):
        raise AuthorizeError("The requested redirect URL is not permitted.")
    return app


def _request_problem(args):
    """(error, description) for the first invalid parameter, or None."""
    if args.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be code"
    if not args.get("state"):
        return "invalid_request", "state is required"
    scopes = args.get("scope", "").split()
    if not scopes:
        return "invalid_scope", "scope is required"
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return "invalid_scope", f"Unknown scope: {' '.join(unknown)}"
    if not args.get("code_challenge"):
        return "invalid_request", "code_challenge is required"
    if args.get("code_challenge_method") != "S256":
        return "invalid_request", "code_challenge_method must be S256"
    if not CHALLENGE_RE.match(args["code_challenge"]):
        return "invalid_request", "code_challenge must be base64url of a SHA-256 digest"
    return None


def _approve(sandbox, consent):
    user_id = sandbox.world.logged_in_user_id
    code = sandbox.tokens.new_code(
        user_id,
        consent["keystring"],
        consent["scopes"],
        consent["redirect_uri"],
        consent["challenge"],
    )
    return _redirect(with_query(consent["redirect_uri"], {"code": code, "state": consent["state"]}))


def _redirect(location):
    return Response(status=302, headers={"Location": location})


def _page(title, body, status=200):
    document = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body style='font-family:sans-serif;"
        f"max-width:32em;margin:4em auto'>{body}</body></html>"
    )
    return Response(document, status=status, content_type="text/html; charset=utf-8")


def error_page(message):
    """Etsy's own error page: shown to the user, nothing is sent back to the app."""
    return _page(
        "Etsy - Error",
        f"<h1>Something went wrong</h1><p class='error'>{html.escape(message)}</p>",
        status=400,
    )


def consent_page(sandbox, app, consent, request_id):
    """'Allow <app> to access <shop>?' with the scopes and two buttons."""
    world = sandbox.world
    shop_id = world.shop_by_user.get(world.logged_in_user_id)
    shop_name = world.shops[shop_id].data["shop_name"] if shop_id else "your account"
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in consent["scopes"])
    body = (
        f"<h1>Allow {html.escape(app.name)} to access {html.escape(shop_name)}?</h1>"
        f"<p>This app is asking for:</p><ul>{scopes}</ul>"
        "<form method='post' action='/oauth/connect'>"
        f"<input type='hidden' name='request_id' value='{html.escape(request_id)}'>"
        "<button type='submit' name='decision' value='allow'>Allow Access</button> "
        "<button type='submit' name='decision' value='deny'>Deny</button></form>"
    )
    return _page("Etsy - Grant access", body)


def token_endpoint(sandbox, request):
    """POST /v3/public/oauth/token; returns (status, body) for the app's JSON writer."""
    fields = token_fields(request)
    grant_type = fields.get("grant_type")
    if not grant_type:
        raise ApiError(400, "invalid_request", "grant_type is required")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise ApiError(400, "unsupported_grant_type", f"{grant_type} is not supported")
    keystring = fields.get("client_id")
    if not keystring:
        raise ApiError(400, "invalid_request", "client_id is required")
    if keystring not in sandbox.world.apps:
        raise ApiError(401, "invalid_client", "client_id is invalid")
    if grant_type == "authorization_code":
        for name in ("code", "redirect_uri", "code_verifier"):
            if not fields.get(name):
                raise ApiError(400, "invalid_request", f"{name} is required")
        return sandbox.tokens.exchange_code(
            keystring, fields["code"], fields["redirect_uri"], fields["code_verifier"]
        )
    if not fields.get("refresh_token"):
        raise ApiError(400, "invalid_request", "refresh_token is required")
    return sandbox.tokens.rotate(keystring, fields["refresh_token"])


def token_fields(request):
    """The token request's fields from a form body or, leniently, a JSON body."""
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError as exc:
            raise ApiError(400, "invalid_request", "The request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "The request body must be an object")
        return {k: v for k, v in body.items() if isinstance(v, str)}
    return request.form.to_dict()
