"""Fault injection, the journal, rate limits, the Discord sink, HTTP control, CLI and bench."""

import re
import subprocess
import sys
import time

import pytest
import requests

from conftest import REPO, Api


def test_status_faults_then_normal_answers(sb, api, shop_id):
    sb.inject_fault("getShop", status=500, count=2)
    first, second, third = (api.get(f"/shops/{shop_id}") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert first.json() == {"error": "Server Error"}
    assert [c["status"] for c in sb.calls("getShop")] == [500, 500, 200]


def test_429_faults_carry_retry_after_including_the_daily_variant(sb, api):
    sb.inject_fault("getMe", status=429)
    sb.inject_fault("getMe", status=429, body={"error": "Exceeded daily rate limit"})
    per_second, daily = api.get("/users/me"), api.get("/users/me")
    assert per_second.json() == {"error": "Exceeded per second rate limit"}
    assert per_second.headers["retry-after"] == "1"
    assert daily.json() == {"error": "Exceeded daily rate limit"}
    assert (daily.headers["retry-after"], daily.headers["x-remaining-today"]) == ("86400", "0")


def test_hang_outlasts_a_client_timeout(sb, api):
    sb.inject_fault("getMe", hang=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/users/me", timeout=0.3)
    assert time.monotonic() - started < 0.9
    time.sleep(0.8)
    assert api.get("/users/me").status_code == 200


def test_malformed_json_custom_body_and_headers(sb, api, shop_id):
    sb.inject_fault("getShopReceipts", malformed=True)
    broken = api.get(f"/shops/{shop_id}/receipts")
    assert broken.status_code == 200 and broken.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        broken.json()
    sb.inject_fault(
        "getShop", status=503, body={"error": "Service Unavailable"}, headers={"retry-after": "7"}
    )
    custom = api.get(f"/shops/{shop_id}")
    assert (custom.status_code, custom.json(), custom.headers["retry-after"]) == (
        503,
        {"error": "Service Unavailable"},
        "7",
    )


def test_repeat_receipt_shifts_a_page(sb, api, shop_id):
    path = f"/shops/{shop_id}/receipts"
    first = [r["receipt_id"] for r in api.get(path, params={"limit": 10}).json()["results"]]
    sb.inject_fault("getShopReceipts", repeat_receipt=True)
    second = [
        r["receipt_id"] for r in api.get(path, params={"limit": 10, "offset": 10}).json()["results"]
    ]
    assert second[0] == first[-1] and len(second) == 10


def test_processed_fault_changes_state_but_the_client_sees_an_error(sb, api, shop_id):
    receipt = sb.world.seed_receipts["canada"]
    sb.inject_fault("createReceiptShipment", status=500, process=True)
    path = f"/shops/{shop_id}/receipts/{receipt}/tracking"
    response = api.post(path, json={"tracking_code": "CA1", "carrier_name": "canada-post"})
    assert response.status_code == 500
    assert sb.receipt(receipt)["is_shipped"] and sb.receipt_meta(receipt)["notifications"] == 1


def test_faults_on_the_token_endpoint_and_unknown_operations(sb, server):
    sb.inject_fault("oauthToken", status=500)
    tokens = sb.issue_tokens()
    web = Api(server.url, api_key=None)
    fields = {
        "grant_type": "refresh_token",
        "client_id": "wbw0sandbox0keystring001",
        "refresh_token": tokens["refresh_token"],
    }
    assert web.post("/v3/public/oauth/token", data=fields).status_code == 500
    assert web.post("/v3/public/oauth/token", data=fields).status_code == 200
    with pytest.raises(ValueError):
        sb.inject_fault("getShopReciepts", status=500)
    sb.inject_fault("getMe", status=500)
    sb.clear_faults()
    assert Api(server.url, sb.issue_tokens()["access_token"]).get("/users/me").status_code == 200


def test_journal_records_each_call(sb, api, shop_id):
    sb.clear_journal()
    api.get(f"/shops/{shop_id}/receipts", params={"limit": 5, "was_paid": "true"})
    listing = sb.world.seed_listings["tea"]
    api.put(f"/listings/{listing}/inventory", json={"products": []})
    get_call, put_call = sb.journal
    assert get_call["operation"] == "getShopReceipts" and get_call["method"] == "GET"
    assert get_call["query"] == {"limit": "5", "was_paid": "true"}
    assert get_call["path"] == f"/v3/application/shops/{shop_id}/receipts"
    assert get_call["api_key_valid"] and get_call["bearer"] and get_call["status"] == 200
    assert put_call["content_type"] == "application/json" and put_call["body"] == {"products": []}
    assert put_call["status"] == 400 and isinstance(put_call["time"], float)
    assert sb.calls("updateListingInventory") == [put_call]


def test_per_second_limit_and_headers(sb, server):
    sb.set_rate_limits(per_second=3, per_day=1000)
    api = Api(server.url)
    answers = [api.get("/openapi-ping") for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert [a.headers["x-remaining-this-second"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["x-limit-per-second"] == "3"
    assert answers[0].headers["x-limit-per-day"] == "1000"
    assert answers[2].headers["x-remaining-today"] == "997"
    limited = answers[3]
    assert limited.status_code == 429
    assert limited.json() == {"error": "Exceeded per second rate limit"}
    assert (
        limited.headers["retry-after"] == "1" and limited.headers["x-remaining-this-second"] == "0"
    )
    time.sleep(1.05)
    assert api.get("/openapi-ping").status_code == 200


def test_daily_limit_and_its_reset_window(sb, server):
    sb.set_rate_limits(per_second=100, per_day=3)
    api = Api(server.url)
    assert [api.get("/openapi-ping").status_code for _ in range(3)] == [200] * 3
    limited = api.get("/openapi-ping")
    assert limited.status_code == 429 and limited.json() == {"error": "Exceeded daily rate limit"}
    assert 86000 < int(limited.headers["retry-after"]) <= 86400
    assert limited.headers["x-remaining-today"] == "0"
    sb.advance_clock(86401)
    assert api.get("/openapi-ping").status_code == 200


def test_every_answer_has_a_request_uuid(api, server):
    for response in (
        api.get("/openapi-ping"),
        api.get("/nope"),
        Api(server.url, api_key=None).get("/users/me"),
    ):
        assert re.fullmatch(r"[A-Za-z0-9_-]{28}", response.headers["x-etsy-request-uuid"])


def test_json_is_written_like_php(api, sb):
    listing = api.get(f"/listings/{sb.world.seed_listings['cabin']}")
    assert "\\/" in listing.text and "\\ud83c\\udf32" in listing.text
    assert "\U0001f332" in listing.json()["title"]


# -- Discord --------------------------------------------------------------------------------------


def test_discord_sink_accepts_posts_and_answers_like_discord(sb, server):
    url = sb.discord.webhook_url("123", "abc", base=server.url)
    quiet = requests.post(url, json={"content": "New order 1"}, timeout=5)
    assert quiet.status_code == 204 and quiet.content == b""
    waited = requests.post(
        url, params={"wait": "true"}, json={"embeds": [{"title": "Order"}]}, timeout=5
    )
    message = waited.json()
    assert waited.status_code == 200 and message["id"].isdigit() and int(message["id"]) > 2**40
    assert message["embeds"] == [{"title": "Order"}] and message["webhook_id"] == "123"
    posts = sb.discord.posts
    assert [p["payload"] for p in posts] == [
        {"content": "New order 1"},
        {"embeds": [{"title": "Order"}]},
    ]
    assert posts[1]["message_id"] == message["id"] and posts[1]["query"] == {"wait": "true"}


def test_discord_rate_limit_and_errors(sb, server):
    url = sb.discord.webhook_url("123", "abc", base=server.url)
    sb.discord.inject(status=429, count=1, retry_after=0.2)
    limited = requests.post(url, json={"content": "x"}, timeout=5)
    assert limited.status_code == 429
    assert limited.json() == {
        "message": "You are being rate limited.",
        "retry_after": 0.2,
        "global": False,
    }
    assert limited.headers["retry-after"] == "1"
    assert requests.post(url, json={"content": "x"}, timeout=5).status_code == 204
    assert requests.post(url, json={}, timeout=5).json()["code"] == 50006
    assert requests.post(url, data="not json", timeout=5).json()["code"] == 50109
    assert requests.post(url, json={"content": "x" * 2001}, timeout=5).json()["code"] == 50035
    sb.discord.register("123", "abc")
    assert requests.post(url, json={"content": "x"}, timeout=5).status_code == 204
    unknown = requests.post(
        sb.discord.webhook_url("999", "abc", base=server.url), json={"content": "x"}, timeout=5
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"message": "Unknown Webhook", "code": 10015},
    )
    wrong = requests.post(
        sb.discord.webhook_url("123", "zzz", base=server.url), json={"content": "x"}, timeout=5
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, 50027)
    sb.discord.forget("123")
    assert requests.post(url, json={"content": "x"}, timeout=5).status_code == 404
    assert len(sb.discord.posts) == 2


# -- HTTP control, CLI, bench --------------------------------------------------------------------


def test_http_control_mirrors_the_python_calls(sb, server, shop_id):
    control = Api(server.url, api_key=None)
    listing = sb.world.seed_listings["vanilla"]
    receipt = control.post("/_sandbox/buy", json={"listing_id": listing, "quantity": 2}).json()
    assert receipt["transactions"][0]["quantity"] == 2 and sb.listing(listing)["quantity"] == 23
    assert (
        control.post(
            "/_sandbox/refund_receipt", json={"receipt_id": receipt["receipt_id"], "amount": 100}
        ).json()["status"]
        == "partially refunded"
    )
    assert control.post(
        "/_sandbox/inject_fault", json={"operation": "getShop", "status": 500}
    ).json() == {"ok": True}
    assert Api(server.url).get(f"/shops/{shop_id}").status_code == 500
    assert control.post("/_sandbox/set_rate_limits", json={"per_second": 50}).json() == {"ok": True}
    generated = control.post("/_sandbox/generate_receipts", json={"n": 3}).json()["receipt_ids"]
    assert len(generated) == 3
    state = control.get("/_sandbox/state").json()
    assert (
        state["shops"][str(shop_id)]["receipts"] == 29 and state["rate_limits"]["per_second"] == 50
    )
    journal = control.get("/_sandbox/journal", params={"operation": "getShop"}).json()
    assert [c["status"] for c in journal] == [500]
    assert (
        control.post("/_sandbox/auto_approve", json={"value": True}).json() == {"ok": True}
        and sb.auto_approve
    )
    assert control.post("/_sandbox/buy", json={"listing_id": 1}).status_code == 404
    assert control.post("/_sandbox/buy", json={"nope": 1}).status_code == 400
    assert control.post("/_sandbox/teleport", json={}).status_code == 404
    control.post("/api/webhooks/1/t", json={"content": "hi"})
    assert control.get("/_sandbox/discord/posts").json()[0]["payload"] == {"content": "hi"}
    assert control.post("/_sandbox/reset", json={}).json() == {"ok": True}
    assert len(sb.world.shops[shop_id].receipt_ids) == 25 and sb.journal == [] and sb.auto_approve


def test_listing_images_are_served_locally(api, shop_id):
    listing = api.get(f"/shops/{shop_id}/listings", params={"includes": "Images"}).json()[
        "results"
    ][0]
    url = listing["images"][0]["url_fullxfull"]
    assert url.startswith(api.base_url)
    image = requests.get(url, timeout=5)
    assert image.headers["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")


def test_command_line_serves_and_prints_its_url():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "etsy_sandbox",
            "--port",
            "0",
            "--seed",
            "empty",
            "--auto-approve",
            "--quiet",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        lines = [process.stdout.readline() for _ in range(4)]
        assert "wbw0sandbox0keystring001" in "".join(lines)
        shop = requests.get(f"{url}/_sandbox/state", timeout=5).json()
        assert shop["auto_approve"] and next(iter(shop["shops"].values())) == {
            "shop_name": "WicksByWerby",
            "listings": 0,
            "receipts": 0,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_bench_measures_both_loops():
    from etsy_sandbox import bench

    rates = bench.run(seconds=0.3, receipts=200, listings=20)
    assert set(rates) == {"getShopReceipts (pages of 100)", "getListingInventory"}
    assert all(rate > 10 for rate in rates.values())
