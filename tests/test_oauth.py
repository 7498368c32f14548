"""OAuth: PKCE vectors, authorize URL, and the token endpoint over HTTP."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from etsy import oauth
from etsy.errors import EtsyConfigError, EtsyError, EtsyReauthorizationRequired

RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_rfc7636_appendix_b_vector():
    assert oauth.code_challenge(RFC7636_VERIFIER) == RFC7636_CHALLENGE


def test_generated_verifier_is_32_random_bytes_base64url():
    verifiers = {oauth.make_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", verifier)
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", oauth.code_challenge(verifier))


@pytest.mark.parametrize("verifier", ["a" * 42, "a" * 129, "a" * 42 + "!", "a" * 43 + " ",
                                      None, b"a" * 43])
def test_malformed_verifier_is_refused(verifier):
    with pytest.raises(ValueError):
        oauth.code_challenge(verifier)


def test_verifier_bounds_and_alphabet_accepted():
    oauth.code_challenge("a" * 43)
    oauth.code_challenge("A-._~" * 25 + "abc")  # 128 characters, every allowed symbol


def test_state_is_unguessable():
    states = {oauth.make_state() for _ in range(50)}
    assert len(states) == 50 and all(len(s) >= 32 for s in states)


def test_authorize_url_has_every_etsy_parameter():
    url = oauth.authorize_url("https://www.etsy.com/", "key123", "https://odoo.example/cb",
                              oauth.DEFAULT_SCOPES, "st4te", RFC7636_CHALLENGE)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.etsy.com", "/oauth/connect")
    assert parse_qs(parts.query) == {
        "response_type": ["code"], "client_id": ["key123"],
        "redirect_uri": ["https://odoo.example/cb"],
        "scope": ["transactions_r transactions_w listings_r listings_w listings_d shops_r"],
        "state": ["st4te"], "code_challenge": [RFC7636_CHALLENGE],
        "code_challenge_method": ["S256"],
    }
    assert "scope=transactions_r%20transactions_w" in parts.query  # %20, as Etsy documents


def test_authorize_url_accepts_scope_list_and_refuses_missing_parts():
    url = oauth.authorize_url("https://www.etsy.com", "k", "https://x/cb", ["shops_r", "email_r"],
                              "s", "c")
    assert parse_qs(urlsplit(url).query)["scope"] == ["shops_r email_r"]
    with pytest.raises(EtsyConfigError):
        oauth.authorize_url("https://www.etsy.com", "", "https://x/cb", "shops_r", "s", "c")
    with pytest.raises(EtsyConfigError):
        oauth.authorize_url("https://www.etsy.com", "k", "https://x/cb", "shops_r", "", "c")
    with pytest.raises(EtsyConfigError):
        oauth.authorize_url("ftp://www.etsy.com", "k", "https://x/cb", "shops_r", "s", "c")


@pytest.mark.parametrize("url", ["", "openapi.etsy.com", "ftp://openapi.etsy.com",
                                 "https://", "https://openapi.etsy.com?x=1",
                                 "https://user:pw@openapi.etsy.com"])
def test_bad_base_urls_are_config_errors(url):
    with pytest.raises(EtsyConfigError) as info:
        oauth.normalize_base_url(url)
    assert "pw" not in str(info.value)


def test_base_url_normalised():
    assert oauth.normalize_base_url(" https://openapi.etsy.com/ ") == "https://openapi.etsy.com"


def test_token_set_hides_tokens_and_knows_the_user():
    tokens = oauth.TokenSet("12345678.secretAccess", "12345678.secretRefresh",
                            datetime.datetime(2030, 1, 1), 3600)
    assert tokens.user_id == 12345678
    assert "secret" not in repr(tokens) and "secret" not in str(tokens)


# -- against the sandbox's token endpoint ---------------------------------------------------------

REDIRECT_URI = "http://127.0.0.1:8069/etsy_connector/oauth/callback"


def _authorize(sandbox, sandbox_url, verifier, state="state-1", scopes=oauth.DEFAULT_SCOPES):
    from etsy_sandbox import DEFAULT_KEYSTRING

    sandbox.auto_approve = True
    url = oauth.authorize_url(sandbox_url, DEFAULT_KEYSTRING, REDIRECT_URI, scopes, state,
                              oauth.code_challenge(verifier))
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code in (302, 303), response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_full_code_flow_then_rotation(sandbox, sandbox_url):
    from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

    verifier = oauth.make_code_verifier()
    callback = _authorize(sandbox, sandbox_url, verifier)
    assert "error" not in callback and callback["state"] == "state-1"

    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    tokens = oauth.exchange_code(sandbox_url, DEFAULT_KEYSTRING, REDIRECT_URI, callback["code"],
                                 verifier, shared_secret=DEFAULT_SHARED_SECRET)
    assert tokens.user_id == sandbox.seller["user_id"]
    assert tokens.expires_in == 3600
    assert before + datetime.timedelta(seconds=3590) < tokens.expires_at
    token_call = sandbox.calls("oauthToken")[-1]
    assert token_call["content_type"].startswith("application/x-www-form-urlencoded")
    assert token_call["body"]["client_id"] == DEFAULT_KEYSTRING  # the bare keystring
    assert token_call["body"]["grant_type"] == "authorization_code"

    # the code is single-use
    with pytest.raises(EtsyReauthorizationRequired):
        oauth.exchange_code(sandbox_url, DEFAULT_KEYSTRING, REDIRECT_URI, callback["code"],
                            verifier)

    rotated = oauth.refresh_access_token(sandbox_url, DEFAULT_KEYSTRING, tokens.refresh_token)
    assert rotated.refresh_token != tokens.refresh_token
    assert rotated.access_token != tokens.access_token
    with pytest.raises(EtsyReauthorizationRequired) as info:
        oauth.refresh_access_token(sandbox_url, DEFAULT_KEYSTRING, tokens.refresh_token)
    assert info.value.error == "invalid_grant"
    assert "Reconnect the shop" in info.value.user_message
    assert tokens.refresh_token not in str(info.value)


def test_wrong_verifier_is_refused(sandbox, sandbox_url):
    from etsy_sandbox import DEFAULT_KEYSTRING

    callback = _authorize(sandbox, sandbox_url, oauth.make_code_verifier())
    with pytest.raises(EtsyError) as info:
        oauth.exchange_code(sandbox_url, DEFAULT_KEYSTRING, REDIRECT_URI, callback["code"],
                            oauth.make_code_verifier())
    assert info.value.status == 400


def test_transient_token_endpoint_500_is_retried(sandbox, sandbox_url):
    from etsy_sandbox import DEFAULT_KEYSTRING

    tokens = sandbox.issue_tokens()
    sandbox.inject_fault("oauthToken", status=500)
    rotated = oauth.refresh_access_token(sandbox_url, DEFAULT_KEYSTRING, tokens["refresh_token"])
    assert rotated.refresh_token != tokens["refresh_token"]
    assert [call["status"] for call in sandbox.calls("oauthToken")] == [500, 200]


def test_revoked_refresh_token_requires_reconnect(sandbox, sandbox_url):
    from etsy_sandbox import DEFAULT_KEYSTRING

    tokens = sandbox.issue_tokens()
    sandbox.revoke_tokens()
    with pytest.raises(EtsyReauthorizationRequired) as info:
        oauth.refresh_access_token(sandbox_url, DEFAULT_KEYSTRING, tokens["refresh_token"])
    assert info.value.status in (400, 401)
    assert tokens["refresh_token"] not in repr(info.value)
