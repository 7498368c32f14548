"""EtsyClient against the local Etsy sandbox over real HTTP on 127.0.0.1."""

import datetime
import logging
import math
import time

import pytest
from etsy import oauth
from etsy.client import EtsyClient, encode_params
from etsy.errors import (
    EtsyAuthError,
    EtsyConfigError,
    EtsyConflictError,
    EtsyDailyLimitError,
    EtsyError,
    EtsyForbiddenError,
    EtsyNotFoundError,
    EtsyOffsetLimitError,
    EtsyRateLimitError,
    EtsyReauthorizationRequired,
    EtsyTransientError,
    EtsyUnknownOutcomeError,
)
from etsy.inventory import build_inventory_update_body, quantities_differ


def _statuses(sandbox, operation):
    return [call["status"] for call in sandbox.calls(operation)]


class TokenRecorder:
    """An ``on_tokens`` callback that remembers what it got and what the sandbox saw so far."""

    def __init__(self, sandbox, operation):
        self.sandbox, self.operation, self.calls = sandbox, operation, []

    def __call__(self, access_token, refresh_token, expires_at):
        seen = len(self.sandbox.calls(self.operation))
        self.calls.append((access_token, refresh_token, expires_at, seen))


# -- pure: encoding and construction --------------------------------------------------------------

def test_query_encoding_follows_etsy_conventions():
    assert encode_params({
        "was_paid": True, "was_shipped": False, "includes": ["Images", "Inventory"],
        "listing_ids": (1, 2, 3), "limit": 100, "legacy": None, "empty": [],
        "min_created": datetime.datetime(2023, 11, 14, 22, 13, 20),
    }) == {"was_paid": "true", "was_shipped": "false", "includes": "Images,Inventory",
           "listing_ids": "1,2,3", "limit": "100", "min_created": "1700000000"}


def test_constructor_validates_and_repr_hides_secrets():
    with pytest.raises(EtsyConfigError):
        EtsyClient("", "secret")
    with pytest.raises(EtsyConfigError):
        EtsyClient("key", "secret", api_base_url="openapi.etsy.com")
    client = EtsyClient("keyABC", "secretXYZ", access_token="1.accessTOK",
                        refresh_token="1.refreshTOK", token_expires_at=1700000000)
    text = repr(client)
    for secret in ("keyABC", "secretXYZ", "accessTOK", "refreshTOK"):
        assert secret not in text
    assert client.token_expires_at.tzinfo is None
    with pytest.raises(EtsyConfigError, match="not connected"):
        EtsyClient("keyABC", "secretXYZ").get_me()


def test_clients_of_one_app_share_one_throttle():
    first, second = EtsyClient("app-one", "s"), EtsyClient("app-one", "t")
    assert first._throttle is second._throttle
    assert EtsyClient("app-two", "s")._throttle is not first._throttle


# -- headers, auth, tokens -----------------------------------------------------------------------

def test_headers_and_rate_limit_bookkeeping(sandbox, client):
    me = client.get_me()
    assert me == {"user_id": sandbox.seller["user_id"], "shop_id": sandbox.seller["shop_id"]}
    shop = client.get_shop(me["shop_id"])
    assert shop["shop_id"] == me["shop_id"]
    get_me, get_shop = sandbox.calls("getMe")[-1], sandbox.calls("getShop")[-1]
    assert get_me["api_key_valid"] and get_me["bearer"]
    assert get_shop["api_key_valid"] and not get_shop["bearer"]  # key-only operation
    assert client.call_count == 2
    assert client.rate_limit.per_second == 10
    assert client.rate_limit.per_day == 10000
    assert client.rate_limit.remaining_today is not None


def test_missing_shared_secret_is_forbidden(sandbox, make_client):
    client = make_client(shared_secret=None)
    with pytest.raises(EtsyForbiddenError) as info:
        client.get_shop(sandbox.seller["shop_id"])
    error = info.value
    assert error.status == 403 and error.missing_shared_secret
    assert error.operation == "getShop"
    assert "shared secret" in error.user_message


def test_refresh_before_expiry_persists_before_use(sandbox, make_client):
    recorder = TokenRecorder(sandbox, "getMe")
    client = make_client(token_expires_at=time.time() + 30, on_tokens=recorder)
    old_refresh = client.refresh_token
    client.get_me()
    assert len(recorder.calls) == 1
    access, refresh, expires_at, seen_before = recorder.calls[0]
    assert seen_before == 0  # on_tokens ran before the new token was used
    assert (client.access_token, client.refresh_token) == (access, refresh)
    assert expires_at.tzinfo is None and expires_at == client.token_expires_at
    assert _statuses(sandbox, "getMe") == [200]
    # rotation: the previous refresh token is dead
    with pytest.raises(EtsyReauthorizationRequired):
        oauth.refresh_access_token(client.api_base_url, client.keystring, old_refresh)


def test_refresh_once_after_401_invalid_token(sandbox, make_client):
    recorder = TokenRecorder(sandbox, "getMe")
    client = make_client(on_tokens=recorder)
    sandbox.expire_access_tokens()
    assert client.get_me()["shop_id"] == sandbox.seller["shop_id"]
    assert _statuses(sandbox, "getMe") == [401, 200]
    assert len(recorder.calls) == 1 and recorder.calls[0][3] == 1


def test_revoked_tokens_require_reconnect(sandbox, make_client):
    client = make_client()
    sandbox.revoke_tokens()
    with pytest.raises(EtsyReauthorizationRequired) as info:
        client.get_me()
    assert "Reconnect the shop" in info.value.user_message
    assert client.refresh_token not in str(info.value)


def test_expired_token_without_refresh_token_is_an_auth_error(sandbox, make_client):
    client = make_client(refresh_token=None)
    sandbox.expire_access_tokens()
    with pytest.raises(EtsyAuthError) as info:
        client.get_me()
    assert info.value.status == 401 and info.value.error == "invalid_token"


def test_not_found(sandbox, client):
    with pytest.raises(EtsyNotFoundError) as info:
        client.get_shop_receipt(sandbox.seller["shop_id"], 999999999)
    assert info.value.operation == "getShopReceipt"


# -- rate limits and retries ---------------------------------------------------------------------

def test_429_per_second_is_retried_after_retry_after(sandbox, client):
    sandbox.inject_fault("getShop", status=429)
    assert client.get_shop(sandbox.seller["shop_id"])
    assert _statuses(sandbox, "getShop") == [429, 200]


def test_429_per_second_retries_are_bounded(sandbox, make_client):
    client = make_client(max_retries=1)
    sandbox.inject_fault("getShop", status=429, count=5)
    with pytest.raises(EtsyRateLimitError) as info:
        client.get_shop(sandbox.seller["shop_id"])
    assert not isinstance(info.value, EtsyDailyLimitError)
    assert _statuses(sandbox, "getShop") == [429, 429]


def test_daily_limit_raises_at_once(sandbox, client):
    sandbox.inject_fault("getShop", status=429, body={"error": "Exceeded daily rate limit"},
                         headers={"retry-after": "86400", "x-remaining-today": "0"})
    with pytest.raises(EtsyDailyLimitError) as info:
        client.get_shop(sandbox.seller["shop_id"])
    assert info.value.retry_after == 86400
    assert "daily" in info.value.user_message
    assert _statuses(sandbox, "getShop") == [429]


def test_real_sandbox_daily_limit(sandbox, client):
    sandbox.set_rate_limits(per_second=10, per_day=1)
    client.get_shop(sandbox.seller["shop_id"])
    with pytest.raises(EtsyDailyLimitError):
        client.get_shop(sandbox.seller["shop_id"])
    assert _statuses(sandbox, "getShop") == [200, 429]


def test_throttle_shared_by_clients_keeps_under_the_app_limit(sandbox, make_client):
    sandbox.set_rate_limits(per_second=4, per_day=10000)
    clients = [make_client(), make_client()]
    clients[0].get_shop(sandbox.seller["shop_id"])  # learns the limit from the headers
    started = time.monotonic()
    for n in range(12):
        clients[n % 2].get_shop(sandbox.seller["shop_id"])
    assert time.monotonic() - started >= 2.0
    assert set(_statuses(sandbox, "getShop")) == {200}
    assert clients[1].rate_limit.per_second == 4


def test_conflict_is_not_retried(sandbox, client):
    listing_id = sandbox.generate_listings(1, variation_ratio=0)[0]
    body, _ = build_inventory_update_body(client.get_listing_inventory(listing_id))
    sandbox.inject_fault("updateListingInventory", status=409)
    with pytest.raises(EtsyConflictError) as info:
        client.update_listing_inventory(listing_id, body)
    assert info.value.status == 409 and "Refresh the data" in info.value.user_message
    assert _statuses(sandbox, "updateListingInventory") == [409]


def test_5xx_on_get_is_retried(sandbox, client):
    sandbox.inject_fault("getShop", status=500, count=2)
    assert client.get_shop(sandbox.seller["shop_id"])
    assert _statuses(sandbox, "getShop") == [500, 500, 200]


def test_5xx_retries_are_bounded(sandbox, make_client):
    client = make_client(max_retries=2)
    sandbox.inject_fault("getShop", status=503, count=10)
    with pytest.raises(EtsyTransientError) as info:
        client.get_shop(sandbox.seller["shop_id"])
    assert info.value.status == 503
    assert len(sandbox.calls("getShop")) == 3


def test_timeout_on_get_is_retried(sandbox, make_client):
    client = make_client(timeout=0.5)
    sandbox.inject_fault("getMe", hang=1.5)
    assert client.get_me()["user_id"] == sandbox.seller["user_id"]


def test_malformed_json_on_get_is_retried(sandbox, client):
    sandbox.inject_fault("getMe", malformed=True)
    assert client.get_me()["user_id"] == sandbox.seller["user_id"]
    assert len(sandbox.calls("getMe")) == 2


def _unshipped_receipt(sandbox):
    listing_id = sandbox.generate_listings(1, variation_ratio=0)[0]
    return sandbox.buy(listing_id)["receipt_id"]


def test_post_5xx_is_not_repeated(sandbox, client):
    receipt_id = _unshipped_receipt(sandbox)
    sandbox.inject_fault("createReceiptShipment", status=500)
    with pytest.raises(EtsyTransientError):
        client.create_receipt_shipment(sandbox.seller["shop_id"], receipt_id,
                                       tracking_code="1Z999", carrier_name="ups")
    assert _statuses(sandbox, "createReceiptShipment") == [500]


def test_refused_connection_is_transient_even_for_post():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = EtsyClient("key", "secret", access_token="1.a", api_base_url=f"http://127.0.0.1:{port}",
                        max_retries=1, backoff_base=0.01)
    with pytest.raises(EtsyTransientError) as info:  # nothing was sent: not an unknown outcome
        client.create_receipt_shipment(1, 2, tracking_code="X", carrier_name="usps")
    assert not isinstance(info.value, EtsyUnknownOutcomeError)
    assert client.call_count == 2  # retried once, as a call that never reached Etsy


def test_post_timeout_is_unknown_outcome_and_not_repeated(sandbox, make_client):
    client = make_client(timeout=0.5)
    receipt_id = _unshipped_receipt(sandbox)
    sandbox.inject_fault("createReceiptShipment", hang=1.5)
    with pytest.raises(EtsyUnknownOutcomeError) as info:
        client.create_receipt_shipment(sandbox.seller["shop_id"], receipt_id,
                                       tracking_code="1Z999", carrier_name="ups")
    assert "before trying again" in info.value.user_message
    time.sleep(1.5)  # let the hung request finish on the server side
    assert len(sandbox.calls("createReceiptShipment")) == 1


# -- pagination ----------------------------------------------------------------------------------

def test_receipts_paginate_over_many_pages(sandbox, client):
    shop_id = sandbox.seller["shop_id"]
    sandbox.generate_receipts(260)
    receipts = list(client.iter_shop_receipts(shop_id, sort_order="asc"))
    ids = [receipt["receipt_id"] for receipt in receipts]
    assert len(ids) == len(set(ids)) >= 260
    pages = sandbox.calls("getShopReceipts")
    assert len(pages) == math.ceil(len(ids) / 100)
    assert [call["query"]["offset"] for call in pages] == [str(100 * n) for n in range(len(pages))]
    assert all(call["query"]["limit"] == "100" for call in pages)


def test_pages_tell_etsys_count_before_and_while_they_are_read(sandbox, client):
    shop_id = sandbox.seller["shop_id"]
    sandbox.generate_receipts(150)
    pages = client.iter_shop_receipts(shop_id)
    assert pages.total is None, "nothing read yet"
    total = pages.read_total()
    assert total >= 150
    assert len(sandbox.calls("getShopReceipts")) == 1
    assert pages.read_total() == total
    assert len(sandbox.calls("getShopReceipts")) == 1, "the first page is read once"
    receipts = list(pages)
    assert len(receipts) == total
    assert [call["query"]["offset"] for call in sandbox.calls("getShopReceipts")] == [
        str(100 * n) for n in range(math.ceil(total / 100))], "the first page was not read again"
    assert next(iter(client.iter_shop_listings(shop_id)))["listing_id"], "an iterator as before"


def test_an_uncapped_window_still_tells_its_count(sandbox, client):
    sandbox.inject_fault("getShopReceipts", status=200, body={"count": 30000, "results": []})
    pages = client.iter_shop_receipts(sandbox.seller["shop_id"])
    with pytest.raises(EtsyOffsetLimitError):
        pages.read_total()
    assert pages.total == 30000, "the whole window's size, for a backfill read in slices"


def test_repeated_receipt_across_pages_is_yielded_once(sandbox, client):
    sandbox.generate_receipts(150)
    shop_id = sandbox.seller["shop_id"]
    total = len(list(client.iter_shop_receipts(shop_id)))
    sandbox.inject_fault("getShopReceipts", repeat_receipt=True, count=5)
    ids = [r["receipt_id"] for r in client.iter_shop_receipts(shop_id)]
    # page 2 repeats a receipt of page 1 (displacing one): without de-duplication there would
    # be `total` ids with one twice
    assert len(ids) == len(set(ids)) == total - 1


def test_offset_cap_asks_to_narrow_the_window(sandbox, client):
    sandbox.inject_fault("getShopReceipts", status=200, body={"count": 12101, "results": []})
    with pytest.raises(EtsyOffsetLimitError) as info:
        list(client.iter_shop_receipts(sandbox.seller["shop_id"]))
    assert "Narrow the time window" in info.value.user_message
    assert info.value.operation == "getShopReceipts"
    sandbox.inject_fault("getShopReceipts", status=200, body={"count": 12100, "results": []})
    assert list(client.iter_shop_receipts(sandbox.seller["shop_id"])) == []


def test_boolean_filters_are_lowercase(sandbox, client):
    sandbox.generate_receipts(30)
    receipts = list(client.iter_shop_receipts(sandbox.seller["shop_id"], was_paid=True,
                                              was_shipped=False))
    query = sandbox.calls("getShopReceipts")[-1]["query"]
    assert (query["was_paid"], query["was_shipped"]) == ("true", "false")
    assert receipts and all(r["is_paid"] and not r["is_shipped"] for r in receipts)


def test_listings_paginate_with_includes(sandbox, client):
    sandbox.generate_listings(130)
    listings = list(client.iter_shop_listings(sandbox.seller["shop_id"], includes=["Inventory"]))
    assert len(listings) >= 130
    assert len({listing["listing_id"] for listing in listings}) == len(listings)
    calls = sandbox.calls("getListingsByShop")
    assert all(call["query"]["includes"] == "Inventory" for call in calls)
    assert all(call["query"]["state"] == "active" for call in calls)
    assert all(listing["inventory"]["products"] for listing in listings)


def test_batch_inventory_in_chunks_of_100(sandbox, client):
    listing_ids = sandbox.generate_listings(150)
    inventories = client.get_listings_inventory(listing_ids + listing_ids[:5])
    assert set(inventories) == set(listing_ids)
    calls = sandbox.calls("getListingsInventoryByListingIds")
    assert [len(call["query"]["listing_ids"].split(",")) for call in calls] == [100, 50]


def test_batch_listings_with_inventory_bring_state(sandbox, client):
    listing_ids = list(sandbox.world.seed_listings.values())
    listings = client.get_listings_with_inventory(listing_ids)
    assert set(listings) == set(listing_ids)
    melts = listings[sandbox.world.seed_listings["melts"]]
    assert melts["state"] == "inactive" and melts["inventory"]["products"]
    assert len(sandbox.calls("getListingsInventoryByListingIds")) == 1


def test_batch_listings_leave_deleted_ids_out(sandbox, client):
    listing_ids = sandbox.generate_listings(3)
    gone = listing_ids[1]
    with sandbox.world.lock:
        sandbox.world.listings.pop(gone)
    with pytest.raises(EtsyNotFoundError):
        client.get_listings_with_inventory(listing_ids)
    listings = client.get_listings(listing_ids, includes=["Images"])
    assert set(listings) == set(listing_ids) - {gone}
    assert all(listing["images"] for listing in listings.values())
    assert sandbox.calls("getListingsByListingIds")[-1]["query"]["includes"] == "Images"


# -- writes --------------------------------------------------------------------------------------

def _variation_listing(sandbox, client):
    for listing in client.iter_shop_listings(sandbox.seller["shop_id"]):
        inventory = client.get_listing_inventory(listing["listing_id"])
        if len(inventory["products"]) > 1 and inventory["quantity_on_property"]:
            return listing["listing_id"], inventory
    listing_id = sandbox.generate_listings(3, variation_ratio=1)[0]
    return listing_id, client.get_listing_inventory(listing_id)


def test_inventory_round_trip_keeps_variations(sandbox, client):
    listing_id, inventory = _variation_listing(sandbox, client)
    first = inventory["products"][0]
    body, report = build_inventory_update_body(inventory, {first["product_id"]: 7})
    assert quantities_differ(inventory, body) or first["offerings"][0]["quantity"] == 7
    result = client.update_listing_inventory(listing_id, body)
    put = sandbox.calls("updateListingInventory")[-1]
    assert put["status"] == 200 and put["content_type"].startswith("application/json")
    after = client.get_listing_inventory(listing_id)
    assert result["products"] and after["quantity_on_property"] == inventory["quantity_on_property"]

    def variations(inv):
        return sorted((p.get("sku"), [(v["property_id"], v["values"])
                                      for v in p["property_values"]],
                       [o["price"] for o in p["offerings"]]) for p in inv["products"])

    assert variations(after) == variations(inventory)
    rebuilt, _ = build_inventory_update_body(after)
    assert not quantities_differ(after, body) and not quantities_differ(after, rebuilt)
    assert not report.clamped


def test_receipt_shipment_is_json_and_update_receipt_is_form(sandbox, client):
    shop_id = sandbox.seller["shop_id"]
    receipt_id = _unshipped_receipt(sandbox)
    receipt = client.create_receipt_shipment(shop_id, receipt_id, tracking_code="1Z999AA1",
                                             carrier_name="ups", send_bcc=False)
    assert receipt["shipments"][-1]["tracking_code"] == "1Z999AA1"
    post = sandbox.calls("createReceiptShipment")[-1]
    assert post["content_type"].startswith("application/json")
    assert post["body"] == {"tracking_code": "1Z999AA1", "carrier_name": "ups", "send_bcc": False}

    other = _unshipped_receipt(sandbox)
    client.update_shop_receipt(shop_id, other, was_shipped=True)
    put = sandbox.calls("updateShopReceipt")[-1]
    assert put["content_type"].startswith("application/x-www-form-urlencoded")
    assert put["body"] == {"was_shipped": "true"}
    assert client.get_shop_receipt(shop_id, other)["is_shipped"] is True
    transactions = client.get_shop_receipt_transactions(shop_id, other)
    assert transactions and transactions[0]["receipt_id"] == other


def test_ping_and_token_scopes(sandbox, client):
    assert client.ping()["application_id"]
    scopes = client.token_scopes()
    assert "listings_w" in str(scopes)
    assert not sandbox.calls("ping")[-1]["bearer"]


# -- secrets never leak --------------------------------------------------------------------------

def test_no_secret_in_logs_errors_or_repr(sandbox, make_client, caplog):
    from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

    caplog.set_level(logging.DEBUG)
    client = make_client(token_expires_at=time.time() + 10)
    secrets = {DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, client.access_token,
               client.refresh_token}
    errors = []
    client.get_me()                           # proactive refresh
    secrets |= {client.access_token, client.refresh_token}
    sandbox.expire_access_tokens()
    client.get_me()                           # refresh after 401
    secrets |= {client.access_token, client.refresh_token}
    sandbox.inject_fault("getShop", status=500)
    client.get_shop(sandbox.seller["shop_id"])
    for fault, call in (
        ({"status": 404}, lambda: client.get_shop(sandbox.seller["shop_id"])),
        ({"status": 429, "body": {"error": "Exceeded daily rate limit"}},
         lambda: client.get_shop(sandbox.seller["shop_id"])),
    ):
        sandbox.inject_fault("getShop", **fault)
        with pytest.raises(EtsyError) as info:
            call()
        errors.append(info.value)
    no_secret = make_client(shared_secret=None)
    with pytest.raises(EtsyForbiddenError) as info:
        no_secret.get_shop(sandbox.seller["shop_id"])
    errors.append(info.value)
    sandbox.revoke_tokens()
    sandbox.expire_access_tokens()
    with pytest.raises(EtsyReauthorizationRequired) as info:
        client.get_me()
    errors.append(info.value)

    texts = [record.getMessage() for record in caplog.records]
    texts += [str(error) for error in errors] + [repr(error) for error in errors]
    texts += [error.user_message for error in errors] + [repr(client)]
    assert caplog.records
    for secret in filter(None, secrets):
        for text in texts:
            assert secret not in text


def test_update_listing_is_a_form_patch(sandbox, client):
    shop_id = sandbox.seller["shop_id"]
    listing_id = sandbox.world.seed_listings["vanilla"]
    listing = client.update_listing(shop_id, listing_id, state="inactive")
    assert listing["state"] == "inactive" == sandbox.listing(listing_id)["state"]
    call = sandbox.calls("updateListing")[-1]
    assert call["method"] == "PATCH"
    assert call["content_type"].startswith("application/x-www-form-urlencoded")
    assert client.update_listing(shop_id, listing_id, state="active")["state"] == "active"


def test_update_listing_5xx_is_retried(sandbox, client):
    listing_id = sandbox.world.seed_listings["vanilla"]
    sandbox.inject_fault("updateListing", status=503)
    listing = client.update_listing(sandbox.seller["shop_id"], listing_id, state="inactive")
    assert listing["state"] == "inactive"
    assert _statuses(sandbox, "updateListing") == [503, 200]
