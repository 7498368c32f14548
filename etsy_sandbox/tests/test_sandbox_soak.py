"""What the fault soak (setup/soak) uses: labelled fault counts, a Discord outage switch and
the read-outs of receipts, listings and issued tokens."""

import requests

from conftest import TIMEOUT


def _control(server, action, **body):
    answer = requests.post(f"{server.url}/_sandbox/{action}", json=body, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _read(server, what, **query):
    answer = requests.get(f"{server.url}/_sandbox/{what}", params=query, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_taken_faults_are_counted_by_label_and_survive_clear(sb, api, server, shop_id):
    _control(server, "inject_fault", operation="getShop", status=503, count=2, label="5xx")
    _control(server, "inject_fault", operation="getShop", malformed=True, label="malformed")
    _control(server, "inject_fault", operation="getMe", status=500)
    statuses = [api.get(f"/shops/{shop_id}").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]  # the malformed answer is a 200 with broken JSON
    assert _read(server, "faults/taken") == {"5xx": 2, "malformed": 1}
    _control(server, "clear_faults")
    assert api.get("/users/me").status_code == 200
    assert _read(server, "faults/taken") == {"5xx": 2, "malformed": 1}
    sb.reset()
    assert _read(server, "faults/taken") == {}


def test_discord_outage_refuses_every_post_until_lifted(sb, server):
    url = sb.discord.webhook_url(base=server.url)
    _control(server, "discord/outage", down=True, status=502)
    refused = [requests.post(url, json={"content": "hi"}, timeout=TIMEOUT) for _ in range(3)]
    assert [r.status_code for r in refused] == [502, 502, 502]
    assert sb.discord.posts == [] and sb.discord.outage_refusals == 3
    _control(server, "discord/outage", down=False)
    assert requests.post(url, json={"content": "hi"}, timeout=TIMEOUT).status_code == 204
    assert len(_read(server, "discord/posts")) == 1


def test_soak_read_outs(sb, server, shop_id):
    listing = next(
        entry
        for entry in _read(server, "soak/listings", shop_id=shop_id)
        if entry["state"] == "active" and entry["products"][0]["quantity"] > 1
    )
    product = listing["products"][0]
    receipt = sb.buy(listing["listing_id"], 1, product_id=product["product_id"])
    sb.ship_receipt(receipt["receipt_id"], tracking_code="1Z999")
    [again] = [
        entry
        for entry in _read(server, "soak/listings", shop_id=shop_id)
        if entry["listing_id"] == listing["listing_id"]
    ]
    assert again["products"][0]["quantity"] == product["quantity"] - 1
    [seen] = [
        r
        for r in _read(server, "soak/receipts", shop_id=shop_id)
        if r["receipt_id"] == receipt["receipt_id"]
    ]
    assert seen["transaction_ids"] == [t["transaction_id"] for t in receipt["transactions"]]
    assert [s["tracking_code"] for s in seen["shipments"]] == ["1Z999"]
    assert seen["buyer_email"] == receipt["buyer_email"] and seen["first_line"]
    issued = sb.issue_tokens()
    tokens = _read(server, "soak/tokens")
    assert issued["access_token"] in tokens and issued["refresh_token"] in tokens
