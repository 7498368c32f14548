"""OAuth 2.0 + PKCE, token rotation and revocation, x-api-key, scopes and shop ownership."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import Api
from etsy_sandbox import DEFAULT_KEYSTRING

REDIRECT = "http://127.0.0.1:8069/etsy_connector/oauth/callback"
SCOPES = "transactions_r transactions_w listings_r listings_w shops_r"


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def authorize_params(challenge, **overrides):
    params = {
        "response_type": "code",
        "client_id": DEFAULT_KEYSTRING,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "st4te-xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def redirect_query(response):
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(web, challenge, decision="allow", **overrides):
    page = web.get("/oauth/connect", params=authorize_params(challenge, **overrides))
    assert page.status_code == 200
    request_id = re.search(r"name='request_id' value='([^']+)'", page.text).group(1)
    return page, web.post("/oauth/connect", data={"request_id": request_id, "decision": decision})


def exchange(web, code, verifier, redirect_uri=REDIRECT, as_json=False):
    fields = {
        "grant_type": "authorization_code",
        "client_id": DEFAULT_KEYSTRING,
        "redirect_uri": redirect_uri,
        "code": code,
        "code_verifier": verifier,
    }
    if as_json:
        return web.post("/v3/public/oauth/token", json=fields)
    return web.post("/v3/public/oauth/token", data=fields)


def refresh(web, refresh_token, as_json=False):
    fields = {
        "grant_type": "refresh_token",
        "client_id": DEFAULT_KEYSTRING,
        "refresh_token": refresh_token,
    }
    if as_json:
        return web.post("/v3/public/oauth/token", json=fields)
    return web.post("/v3/public/oauth/token", data=fields)


@pytest.fixture
def web(server):
    """A browser/back-end without any Etsy header."""
    return Api(server.url, api_key=None)


def test_full_flow_with_consent_page_then_api_call(sb, server, web):
    verifier, challenge = pkce()
    page, allowed = consent(web, challenge)
    assert "Allow Odoo Etsy Connector (sandbox) to access WicksByWerby?" in page.text
    assert "Deny" in page.text and "transactions_w" in page.text
    location, query = redirect_query(allowed)
    assert location.startswith(REDIRECT + "?") and query["state"] == "st4te-xyz"
    response = exchange(web, query["code"], verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    user_id = sb.seller["user_id"]
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["access_token"].startswith(f"{user_id}.")
    assert tokens["refresh_token"].startswith(f"{user_id}.")
    me = Api(server.url, tokens["access_token"]).get("/users/me")
    assert me.json() == sb.seller
    assert sb.calls("oauthToken")[-1]["content_type"] == "application/x-www-form-urlencoded"


def test_deny_redirects_with_access_denied_and_state(web):
    _verifier, challenge = pkce()
    _page, denied = consent(web, challenge, decision="deny")
    _location, query = redirect_query(denied)
    assert query["error"] == "access_denied" and query["state"] == "st4te-xyz"
    assert query["error_description"] and "code" not in query


def test_auto_approve_skips_the_page(sb, web):
    sb.auto_approve = True
    verifier, challenge = pkce()
    _location, query = redirect_query(web.get("/oauth/connect", params=authorize_params(challenge)))
    assert exchange(web, query["code"], verifier).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "nosuchkeystring"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": None},
    ],
)
def test_unknown_client_or_redirect_shows_an_error_page_without_redirect(web, overrides):
    _verifier, challenge = pkce()
    response = web.get("/oauth/connect", params=authorize_params(challenge, **overrides))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "text/html" in response.headers["Content-Type"]


def test_registered_app_needs_an_exact_redirect_uri(sb, web):
    sb.register_app("exactkeystring00000000aa", "secret0000", ["https://shop.example/cb"])
    _verifier, challenge = pkce()
    for uri in ("https://shop.example/cb/", "http://shop.example/cb", "https://shop.example/cb?"):
        page = web.get(
            "/oauth/connect",
            params=authorize_params(
                challenge, client_id="exactkeystring00000000aa", redirect_uri=uri
            ),
        )
        assert "The requested redirect URL is not permitted." in page.text, uri
    page = web.get(
        "/oauth/connect",
        params=authorize_params(
            challenge, client_id="exactkeystring00000000aa", redirect_uri="https://shop.example/cb"
        ),
    )
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"state": None}, "invalid_request"),
        ({"scope": "transactions_r billing_r"}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_invalid_authorize_requests_redirect_with_an_error(web, overrides, error):
    _verifier, challenge = pkce()
    _location, query = redirect_query(
        web.get("/oauth/connect", params=authorize_params(challenge, **overrides))
    )
    assert query["error"] == error and "code" not in query
    assert query.get("state") == (None if "state" in overrides else "st4te-xyz")


def test_pkce_code_single_use_expiry_and_redirect_match(sb, web):
    sb.auto_approve = True
    verifier, challenge = pkce()
    _location, query = redirect_query(web.get("/oauth/connect", params=authorize_params(challenge)))
    wrong = exchange(web, query["code"], pkce()[0])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    _location, query = redirect_query(web.get("/oauth/connect", params=authorize_params(challenge)))
    assert (
        exchange(web, query["code"], verifier, redirect_uri=REDIRECT + "x").json()["error"]
        == "invalid_grant"
    )
    _location, query = redirect_query(web.get("/oauth/connect", params=authorize_params(challenge)))
    assert exchange(web, query["code"], verifier).status_code == 200
    replay = exchange(web, query["code"], verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    _location, query = redirect_query(web.get("/oauth/connect", params=authorize_params(challenge)))
    sb.advance_clock(601)
    expired = exchange(web, query["code"], verifier)
    assert expired.json() == {"error": "invalid_grant", "error_description": "code is expired"}


def test_token_endpoint_rejects_other_grants_and_clients(web):
    response = web.post(
        "/v3/public/oauth/token",
        data={"grant_type": "client_credentials", "client_id": DEFAULT_KEYSTRING},
    )
    assert response.json()["error"] == "unsupported_grant_type"
    response = refresh(web, "1.abc")
    assert response.json()["error"] == "invalid_grant"
    unknown = web.post(
        "/v3/public/oauth/token",
        data={"grant_type": "refresh_token", "client_id": "nope", "refresh_token": "1.x"},
    )
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")


def test_refresh_rotates_and_the_old_refresh_token_dies_at_once(sb, server, web):
    first = sb.issue_tokens()
    second = refresh(web, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reused = refresh(web, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    third = refresh(web, second["refresh_token"], as_json=True)
    assert third.status_code == 200
    assert sb.calls("oauthToken")[-1]["content_type"] == "application/json"
    assert Api(server.url, third.json()["access_token"]).get("/users/me").status_code == 200


def test_revoked_tokens_give_invalid_grant_and_401(sb, server, web):
    tokens = sb.issue_tokens()
    sb.revoke_tokens()
    assert refresh(web, tokens["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "refresh_token is revoked",
    }
    response = Api(server.url, tokens["access_token"]).get("/users/me")
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_expired_access_token_body_and_lifetime(sb, server):
    sb.access_token_lifetime = 2
    tokens = sb.issue_tokens()
    assert tokens["expires_in"] == 2
    api = Api(server.url, tokens["access_token"])
    assert api.get("/users/me").status_code == 200
    sb.advance_clock(3)
    response = api.get("/users/me")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": "access token is expired",
    }
    sb.access_token_lifetime = 3600
    fresh = Api(server.url, sb.issue_tokens()["access_token"])
    sb.expire_access_tokens()
    assert fresh.get("/users/me").json()["error_description"] == "access token is expired"


def test_api_key_must_carry_the_shared_secret(sb, server):
    token = sb.issue_tokens()["access_token"]
    bare = Api(server.url, token, api_key=DEFAULT_KEYSTRING).get("/users/me")
    assert bare.status_code == 403
    assert bare.json() == {"error": "Shared secret is required in x-api-key header."}
    for key in (f"{DEFAULT_KEYSTRING}:wrongsecret", "unknownkey:secret", None):
        response = Api(server.url, token, api_key=key).get("/users/me")
        assert response.status_code == 401 and "error" in response.json(), key
    assert "x-limit-per-second" not in bare.headers and bare.headers["x-etsy-request-uuid"]
    assert [c["api_key_valid"] for c in sb.calls("getMe")] == [False] * 4


def test_tokens_of_another_app_are_refused(sb, server):
    sb.register_app("otherappkeystring0000000", "othersecret", ["https://other.example/cb"])
    token = sb.issue_tokens(keystring="otherappkeystring0000000")["access_token"]
    response = Api(server.url, token).get("/users/me")
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert (
        Api(server.url, token, api_key="otherappkeystring0000000:othersecret")
        .get("/users/me")
        .status_code
        == 200
    )


def test_scopes_are_checked_per_operation(sb, server, shop_id):
    api = Api(server.url, sb.issue_tokens(scopes=["transactions_r"])["access_token"])
    assert api.get(f"/shops/{shop_id}/receipts").status_code == 200
    for path in (f"/shops/{shop_id}/listings", "/users/me"):
        response = api.get(path)
        assert response.status_code == 403 and response.json()["error"] == "insufficient_scope", (
            path
        )
    listing = sb.world.seed_listings["tea"]
    assert api.put(f"/listings/{listing}/inventory", json={}).status_code == 403
    assert Api(server.url).get(f"/shops/{shop_id}/receipts").status_code == 401
    assert Api(server.url).get(f"/shops/{shop_id}").status_code == 200


def test_shop_scoped_operations_need_the_owner(sb, server, shop_id):
    other = sb.add_shop("OtherCandles")
    intruder = Api(server.url, sb.issue_tokens(user_id=other["user_id"])["access_token"])
    receipt = sb.world.seed_receipts["us_tax"]
    for path in (
        f"/shops/{shop_id}/receipts",
        f"/shops/{shop_id}/receipts/{receipt}",
        f"/shops/{shop_id}/listings",
    ):
        assert intruder.get(path).status_code == 403, path
    listing = sb.world.seed_listings["tea"]
    assert intruder.put(f"/listings/{listing}/inventory", json={}).status_code == 403
    inventory = intruder.get(f"/listings/{listing}/inventory").json()
    assert {p["sku"] for p in inventory["products"]} == {""}
    assert intruder.get("/users/me").json() == other
    assert intruder.get(f"/shops/{other['shop_id']}/receipts").json() == {"count": 0, "results": []}


def test_secrets_are_redacted_in_the_journal(sb, web):
    tokens = sb.issue_tokens()
    refresh(web, tokens["refresh_token"])
    entry = sb.calls("oauthToken")[-1]
    assert entry["body"]["refresh_token"] == "<redacted>"
    assert tokens["refresh_token"] not in str(sb.journal)
    grant = sb.tokens.access[tokens["access_token"]]
    assert tokens["access_token"].split(".")[1] not in repr(grant)
    app = sb.world.apps[DEFAULT_KEYSTRING]
    assert DEFAULT_KEYSTRING not in repr(app) and app.shared_secret not in repr(app)
