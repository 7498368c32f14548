"""Pin the client's exact wire format with a vcrpy cassette (tests/cassettes/wire_format.yaml).

The first run records a short session against the sandbox (record_mode "once"); every later run
replays it, and any change in method, path, query string, content type, api-key/bearer shape or
encoded body fails to match. The cassette is meant to be read: it shows what Etsy receives.
Secrets are replaced by placeholders before anything is written; list answers are trimmed to two
results (the requests, not the answers, are what this file pins).
"""

import json
import re
import time
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import vcr
import yaml
from etsy import EtsyClient, build_inventory_update_body

CASSETTE = Path(__file__).parent / "cassettes" / "wire_format.yaml"
_FORM_SECRETS = re.compile(r"(^|&)(client_id|refresh_token|code|code_verifier|token)=[^&]*")
_PINNED_HEADERS = ("Content-Type", "Accept", "x-api-key", "Authorization")


def _api_key_shape(key, value, request):
    keystring, _, secret = value.partition(":")
    return "<keystring>:<shared_secret>" if keystring and secret else "<keystring>"


def _bearer_shape(key, value, request):
    return "Bearer <access_token>" if value.startswith("Bearer ") and len(value) > 7 else value


def _scrub_request(request):
    content_type = request.headers.get("Content-Type", "")
    if request.body and content_type.startswith("application/x-www-form-urlencoded"):
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        request.body = _FORM_SECRETS.sub(lambda m: f"{m[1]}{m[2]}=REDACTED", body).encode()
    return request


def _scrub_response(response):
    """Placeholder tokens; list answers trimmed to two results so the file stays readable."""
    body = response["body"]["string"]
    payload = json.loads(body) if body.startswith(b"{") else None
    if isinstance(payload, dict) and "access_token" in payload:
        payload.update(access_token="12345678.REDACTEDaccess",
                       refresh_token="12345678.REDACTEDrefresh")
    elif isinstance(payload, dict) and isinstance(payload.get("results"), list):
        payload["results"] = payload["results"][:2]
        payload["count"] = len(payload["results"])
    else:
        return response
    response["body"]["string"] = json.dumps(payload).encode()
    response["headers"].pop("Content-Length", None)
    return response


def _same_wire(live, recorded):
    """Beyond method/path/query: raw query order, pinned headers and the exact encoded body."""
    assert urlsplit(live.uri).query == urlsplit(recorded.uri).query
    for header in _PINNED_HEADERS:
        assert live.headers.get(header) == recorded.headers.get(header), header
    assert (live.body or b"") == (recorded.body or b"")


def _recorder(record_mode):
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTE.parent),
        record_mode=record_mode,
        match_on=["method", "path", "query", "wire"],
        filter_headers=[("x-api-key", _api_key_shape), ("authorization", _bearer_shape)],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    recorder.register_matcher("wire", _same_wire)
    return recorder


def _session(sandbox_url, tokens):
    """The calls whose encoding matters; ids come from earlier answers so a replay is closed."""
    from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

    client = EtsyClient(DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET,
                        access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                        token_expires_at=time.time() + 10,  # forces the refresh call first
                        api_base_url=sandbox_url, timeout=5)
    shop_id = client.get_me()["shop_id"]
    results = {"shop": client.get_shop(shop_id)["shop_name"]}
    receipts = list(islice(client.iter_shop_receipts(
        shop_id, was_paid=True, was_shipped=False, min_created=946684800, sort_order="asc"), 2))
    receipt_id = receipts[0]["receipt_id"]
    listing = next(client.iter_shop_listings(shop_id, includes=["Inventory"]))
    inventory = client.get_listing_inventory(listing["listing_id"])
    body, _ = build_inventory_update_body(inventory, {inventory["products"][0]["product_id"]: 5})
    results["inventory"] = client.update_listing_inventory(listing["listing_id"], body)
    results["shipment"] = client.create_receipt_shipment(
        shop_id, receipt_id, tracking_code="9400111899560000000000", carrier_name="usps",
        send_bcc=True, note_to_buyer="Thanks!")["shipments"]
    results["receipt"] = client.update_shop_receipt(shop_id, receipts[-1]["receipt_id"],
                                                    was_paid=True)["receipt_id"]
    return results


def test_wire_format_matches_the_cassette(sandbox, sandbox_url):
    tokens = sandbox.issue_tokens()
    with _recorder("once").use_cassette(CASSETTE.name) as cassette:
        first = _session(sandbox_url, tokens)
    assert len(cassette) >= 9
    with _recorder("none").use_cassette(CASSETTE.name) as cassette:
        replayed = _session(sandbox_url, tokens)
        assert cassette.all_played
    assert replayed == first


def test_cassette_shows_etsy_encodings():
    if not CASSETTE.exists():
        pytest.skip("recorded by test_wire_format_matches_the_cassette")
    text = CASSETTE.read_text()
    interactions = yaml.safe_load(text)["interactions"]
    by_path = {}
    for interaction in interactions:
        request = interaction["request"]
        key = (request["method"], re.sub(r"/\d+", "/{id}", urlsplit(request["uri"]).path))
        by_path.setdefault(key, request)

    def header(request, name):
        values = {k.lower(): v for k, v in request["headers"].items()}.get(name.lower())
        return values[0] if values else None

    token = by_path[("POST", "/v3/public/oauth/token")]
    assert header(token, "Content-Type") == "application/x-www-form-urlencoded"
    assert token["body"] == (
        "grant_type=refresh_token&client_id=REDACTED&refresh_token=REDACTED")
    receipts = by_path[("GET", "/v3/application/shops/{id}/receipts")]
    assert urlsplit(receipts["uri"]).query == (
        "was_paid=true&was_shipped=false&min_created=946684800&sort_order=asc&limit=100&offset=0")
    assert header(receipts, "x-api-key") == "<keystring>:<shared_secret>"
    assert header(receipts, "Authorization") == "Bearer <access_token>"
    shop = by_path[("GET", "/v3/application/shops/{id}")]
    assert header(shop, "Authorization") is None  # getShop is key-only
    put = by_path[("PUT", "/v3/application/listings/{id}/inventory")]
    assert header(put, "Content-Type") == "application/json"
    assert '"price": ' in put["body"] and '"amount"' not in put["body"]
    shipment = by_path[("POST", "/v3/application/shops/{id}/receipts/{id}/tracking")]
    assert header(shipment, "Content-Type") == "application/json"
    assert json.loads(shipment["body"]) == {
        "tracking_code": "9400111899560000000000", "carrier_name": "usps", "send_bcc": True,
        "note_to_buyer": "Thanks!"}
    update = by_path[("PUT", "/v3/application/shops/{id}/receipts/{id}")]
    assert header(update, "Content-Type") == "application/x-www-form-urlencoded"
    assert update["body"] == "was_paid=true"
    from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

    assert DEFAULT_SHARED_SECRET not in text and DEFAULT_KEYSTRING not in text
