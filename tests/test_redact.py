"""The one redaction of the pure layer: literal secrets, secret shapes, log records, errors."""

import logging

import pytest
from etsy.errors import EtsyError
from etsy.redact import MASK, RedactingFilter, install_log_filter, redact


def test_known_secrets_are_removed_also_url_encoded():
    secret = "s3cret/with+chars"
    text = redact(f"a {secret} b s3cret%2Fwith%2Bchars c", secrets=[secret])
    assert text == f"a {MASK} b {MASK} c"


def test_short_or_empty_secrets_are_ignored():
    assert redact("abc abc", secrets=["abc", "", None, False]) == "abc abc"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Authorization: Bearer 1.abc-def", "Authorization: Bearer ***"),
    ("{'x-api-key': 'key123:secret456', 'a': 1}", "{'x-api-key': '***', 'a': 1}"),
    ("x-api-key: key123:secret456 sent", "x-api-key: *** sent"),
    ("grant_type=refresh_token&refresh_token=99.abc&client_id=k",
     "grant_type=refresh_token&refresh_token=***&client_id=k"),
    ('{"access_token": "55.xyz", "expires_in": 3600}',
     '{"access_token": "***", "expires_in": 3600}'),
    ("token 12345678.VJTv9qyjwJbYlARxdFmEEQ expired", "token *** expired"),
    ("posted to https://discord.com/api/webhooks/123/AbC-dEf_9 failed",
     "posted to [discord webhook] failed"),
    ("https://discordapp.com/api/v10/webhooks/1/x?wait=true", "[discord webhook]"),
    # a webhook path without Discord's host: a loopback sink, urllib3's request line
    ("http://127.0.0.1:8765/api/webhooks/4242/SeCrEt-tok_en?wait=true",
     "http://127.0.0.1:8765/api/webhooks/4242/***?wait=true"),
    ("/api/v10/webhooks/4242/SeCrEt-tok_en", "/api/v10/webhooks/4242/***"),
])
def test_secret_shapes_are_removed(raw, expected):
    assert redact(raw) == expected


def test_ordinary_text_is_kept():
    text = "Receipt 3141592653 for listing 1.5 EUR, order SO042 (shop 12345678)"
    assert redact(text) == text


def test_non_text_values():
    assert redact(None) == ""
    assert redact(False) == ""
    assert redact(ValueError("bad 1.abcdefghijklmnopqrstuvwxyz")) == f"bad {MASK}"


def test_log_filter_redacts_string_arguments_only():
    # urllib3's request line: scheme, host, port, method, path, protocol, status, length.
    args = ("http", "127.0.0.1", 8765, "POST", "/api/webhooks/42/SeCrEt-token?wait=true",
            "HTTP/1.1", 204, None)
    record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
                               '%s://%s:%s "%s %s %s" %s %s', args, None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == (
        'http://127.0.0.1:8765 "POST /api/webhooks/42/***?wait=true HTTP/1.1" 204 None')


def test_log_filter_is_installed_once():
    name = "test_redact.once"
    install_log_filter(name)
    install_log_filter(name)
    filters = logging.getLogger(name).filters
    assert sum(isinstance(f, RedactingFilter) for f in filters) == 1


def test_error_redaction_masks_given_secrets_and_shapes():
    error = EtsyError("key wbw0sandbox0keystring001 refused, Bearer 1.abc",
                      error="bad 12345678.VJTv9qyjwJbYlARxdFmEEQ", error_description=None,
                      status=400)
    assert error.redact("wbw0sandbox0keystring001", None, "") is error
    assert error.message == f"key {MASK} refused, Bearer {MASK}"
    assert error.error == f"bad {MASK}"
    assert error.error_description is None
    assert error.args == (error.message,)
    assert "wbw0sandbox0keystring001" not in str(error) + repr(error)
