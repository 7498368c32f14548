"""Standard Webhooks signatures (Etsy's webhooks): the reference vectors and every refusal.

The vectors are those of the Standard Webhooks reference libraries
(github.com/standard-webhooks/standard-webhooks, libraries/*/tests: `test_sign_function`,
`test_invalid_signature_raises_error`, `test_multi_sig_payload_is_valid`...).
"""

import base64
import json

import pytest
from etsy.webhooks import (
    TOLERANCE_SECONDS,
    WebhookError,
    decode_secret,
    generate_secret,
    parse_event,
    sign,
    verify,
)

# The reference vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
# Signatures the reference tests use as wrong ones.
WRONG = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
WRONG_LAST_CHAR = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="


def headers(signature=EXPECTED, msg_id=MSG_ID, timestamp=TIMESTAMP):
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature}


def test_reference_vector_signs():
    assert sign(SECRET, MSG_ID, TIMESTAMP, PAYLOAD) == EXPECTED
    assert sign(SECRET, MSG_ID, TIMESTAMP, PAYLOAD.decode()) == EXPECTED


def test_reference_vector_verifies_with_and_without_prefix():
    for secret in (SECRET, SECRET.removeprefix("whsec_")):
        assert verify(secret, headers(), PAYLOAD, now=TIMESTAMP) == (MSG_ID, TIMESTAMP)


def test_header_names_are_case_insensitive():
    mixed = {"Webhook-Id": MSG_ID, "WEBHOOK-TIMESTAMP": str(TIMESTAMP),
             "Webhook-Signature": EXPECTED}
    assert verify(SECRET, mixed, PAYLOAD, now=TIMESTAMP) == (MSG_ID, TIMESTAMP)


@pytest.mark.parametrize("signature", [WRONG, WRONG_LAST_CHAR, "v2," + EXPECTED[3:],
                                       EXPECTED[3:], "v1,", "v1,not base64!", ""])
def test_wrong_signatures_are_refused(signature):
    with pytest.raises(WebhookError) as caught:
        verify(SECRET, headers(signature), PAYLOAD, now=TIMESTAMP)
    assert caught.value.reason in ("bad_signature", "missing_headers")


def test_one_valid_signature_among_several_is_enough():
    listed = " ".join([WRONG, "v2," + WRONG[3:], EXPECTED, WRONG])
    assert verify(SECRET, headers(listed), PAYLOAD, now=TIMESTAMP) == (MSG_ID, TIMESTAMP)


def test_only_v1_signatures_count():
    with pytest.raises(WebhookError, match="bad_signature"):
        verify(SECRET, headers("v2," + EXPECTED[3:]), PAYLOAD, now=TIMESTAMP)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_refused(missing):
    partial = headers()
    del partial[missing]
    with pytest.raises(WebhookError, match="missing_headers"):
        verify(SECRET, partial, PAYLOAD, now=TIMESTAMP)


@pytest.mark.parametrize("value", ["hello", "1614265330.5", "-1614265330"])
def test_malformed_timestamp_is_refused(value):
    with pytest.raises(WebhookError, match="bad_timestamp"):
        verify(SECRET, headers(timestamp=value), PAYLOAD, now=TIMESTAMP)


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1, -86400])
def test_old_and_future_timestamps_are_refused(offset):
    # Signed correctly for its own timestamp: only the freshness check refuses it.
    timestamp = TIMESTAMP + offset
    signature = sign(SECRET, MSG_ID, timestamp, PAYLOAD)
    with pytest.raises(WebhookError, match="stale"):
        verify(SECRET, headers(signature, timestamp=timestamp), PAYLOAD, now=TIMESTAMP)


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS, TOLERANCE_SECONDS, 0])
def test_timestamps_within_tolerance_pass(offset):
    timestamp = TIMESTAMP + offset
    signature = sign(SECRET, MSG_ID, timestamp, PAYLOAD)
    assert verify(SECRET, headers(signature, timestamp=timestamp), PAYLOAD, now=TIMESTAMP)


def test_the_signature_binds_id_timestamp_and_body():
    with pytest.raises(WebhookError, match="bad_signature"):
        verify(SECRET, headers(msg_id="msg_other"), PAYLOAD, now=TIMESTAMP)
    with pytest.raises(WebhookError, match="bad_signature"):
        verify(SECRET, headers(), PAYLOAD + b" ", now=TIMESTAMP)
    with pytest.raises(WebhookError, match="bad_signature"):
        verify(generate_secret(), headers(), PAYLOAD, now=TIMESTAMP)


def test_secrets():
    assert decode_secret(SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    # Unpadded base64 is accepted, as by the reference library.
    assert decode_secret("whsec_YWJj") == b"abc"
    assert decode_secret("whsec_YWI") == b"ab"
    for bad in ("", "whsec_", "whsec_***", None):
        with pytest.raises(WebhookError, match="bad_secret"):
            decode_secret(bad)
    fresh = generate_secret()
    assert fresh.startswith("whsec_") and len(decode_secret(fresh)) == 24
    assert fresh != generate_secret()


def test_errors_never_carry_the_secret_nor_the_signature():
    try:
        verify(SECRET, headers(WRONG), PAYLOAD, now=TIMESTAMP)
    except WebhookError as exc:
        text = f"{exc} {exc.args} {exc.reason}"
    assert "MfKQ9r8" not in text and WRONG[3:] not in text


def event_body(**overrides):
    body = {"event_type": "order.paid", "shop_id": 5550001,
            "resource_url": "https://openapi.etsy.com/v3/application/shops/5550001/receipts/42"}
    body.update(overrides)
    return json.dumps(body).encode()


def test_parse_event_reads_the_receipt_from_the_resource_url():
    assert parse_event(event_body()) == {
        "event_type": "order.paid", "shop_id": "5550001", "receipt_id": "42",
        "resource_url": "https://openapi.etsy.com/v3/application/shops/5550001/receipts/42"}


def test_parse_event_ignores_a_receipt_of_another_shop_or_no_receipt():
    other = "https://openapi.etsy.com/v3/application/shops/999/receipts/42"
    assert parse_event(event_body(resource_url=other))["receipt_id"] is None
    assert parse_event(event_body(resource_url=None))["receipt_id"] is None


@pytest.mark.parametrize("body", [b"not json", b"[]", b"\xff\xfe",
                                  event_body(shop_id=None), event_body(shop_id="abc"),
                                  event_body(shop_id=True), event_body(event_type=3)])
def test_parse_event_refuses_bodies_that_are_not_etsy_events(body):
    with pytest.raises(WebhookError, match="bad_body"):
        parse_event(body)
