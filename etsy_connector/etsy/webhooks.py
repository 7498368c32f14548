"""Etsy's webhook deliveries: the Standard Webhooks signature scheme, pure Python.

Etsy signs every delivery as Standard Webhooks (https://www.standardwebhooks.com) says: the
headers `webhook-id` (the same on every retry of one event), `webhook-timestamp` (epoch seconds
of this attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, several separated by spaces
while a secret is rotated). The signed content is `{id}.{timestamp}.{raw body}`, the key is the
base64 text of the secret after its `whsec_` prefix (API-NOTES §9).

Nothing here logs: callers must never log the secret nor the signature either.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_VERSION = "v1"
# A delivery signed longer ago (or further ahead) than this is refused: a captured delivery can
# only be replayed within it, and the receiver remembers the ids it saw for much longer.
TOLERANCE_SECONDS = 5 * 60
# Etsy's order events (API-NOTES §9).
ORDER_EVENTS = ("order.paid", "order.canceled", "order.shipped", "order.delivered")
# resource_url names the receipt: .../shops/{shop_id}/receipts/{receipt_id}
RECEIPT_IN_URL = re.compile(r"/shops/(\d+)/receipts/(\d+)/?$")


class WebhookError(Exception):
    """A delivery that must be refused; `reason` is a short code safe to log."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def decode_secret(secret):
    """The HMAC key of a `whsec_...` secret (the prefix is optional); WebhookError if unusable."""
    text = (secret or "").strip().removeprefix(SECRET_PREFIX)
    try:
        # Some senders drop the padding: restore it.
        text = text.rstrip("=")
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookError("bad_secret") from None
    if not key:
        raise WebhookError("bad_secret")
    return key


def generate_secret(size=24):
    """A new random `whsec_` secret (for tests and the sandbox)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(size)).decode()


def _digest(key, msg_id, timestamp, body):
    signed = b".".join([str(msg_id).encode(), str(int(timestamp)).encode(), body])
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret, msg_id, timestamp, body):
    """The `webhook-signature` value of `body` (bytes) sent as `msg_id` at `timestamp`."""
    digest = _digest(decode_secret(secret), msg_id, timestamp, _bytes(body))
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def _bytes(body):
    return body.encode() if isinstance(body, str) else bytes(body)


def _signatures(header):
    """The v1 signatures listed in a `webhook-signature` header, decoded (others skipped)."""
    for entry in (header or "").split():
        version, _sep, value = entry.partition(",")
        if version != SIGNATURE_VERSION or not value:
            continue
        try:
            yield base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue


def verify(secret, headers, body, now=None, tolerance=TOLERANCE_SECONDS):
    """Check a delivery; returns `(webhook_id, timestamp)` or raises WebhookError.

    `headers` is any mapping (header names compared case-insensitively), `body` the raw bytes
    as received: re-serialised JSON would not match the signature. Every listed signature is
    compared in constant time; one match is enough.
    """
    lowered = {str(name).lower(): value for name, value in dict(headers).items()}
    msg_id = (lowered.get(ID_HEADER) or "").strip()
    raw_timestamp = (lowered.get(TIMESTAMP_HEADER) or "").strip()
    header = lowered.get(SIGNATURE_HEADER) or ""
    if not (msg_id and raw_timestamp and header):
        raise WebhookError("missing_headers")
    if not raw_timestamp.isdigit():
        raise WebhookError("bad_timestamp")
    timestamp = int(raw_timestamp)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookError("stale")
    expected = _digest(decode_secret(secret), msg_id, timestamp, _bytes(body))
    # Compare against all of them (no early exit) so timing says nothing about which matched.
    matched = False
    for candidate in _signatures(header):
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookError("bad_signature")
    return msg_id, timestamp


def parse_event(body):
    """`{event_type, resource_url, shop_id, receipt_id}` of a delivery body; WebhookError if not
    an Etsy event. `receipt_id` comes from the resource URL (None when it names no receipt)."""
    try:
        data = json.loads(_bytes(body))
    except (UnicodeDecodeError, ValueError):
        raise WebhookError("bad_body") from None
    if not isinstance(data, dict):
        raise WebhookError("bad_body")
    shop_id = data.get("shop_id")
    if isinstance(shop_id, bool) or not str(shop_id or "").isdigit():
        raise WebhookError("bad_body")
    event_type = data.get("event_type")
    resource_url = data.get("resource_url")
    if not isinstance(event_type, str) or not isinstance(resource_url, str | type(None)):
        raise WebhookError("bad_body")
    match = RECEIPT_IN_URL.search((resource_url or "").split("?")[0])
    receipt_id = match.group(2) if match and match.group(1) == str(shop_id) else None
    return {
        "event_type": event_type[:64],
        "resource_url": (resource_url or "")[:500],
        "shop_id": str(shop_id),
        "receipt_id": receipt_id,
    }
