"""The sandbox's webhook sender: signed order events, Etsy's retries, bad deliveries on purpose.

A small receiver (werkzeug, in a thread) records what arrives and answers with the statuses a
test gives it; signatures are checked with the connector's own verifier (`etsy.webhooks`), which
the sandbox does not import: the two implementations must agree.
"""

import json
import threading
import time

import pytest
from etsy.webhooks import WebhookError, verify
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from etsy_sandbox.webhooks import RETRY_DELAYS


class Receiver:
    def __init__(self, secret=None):
        self.secret = secret
        self.received = []
        self.statuses = []  # answers to give, in order; then 200
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def app(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        try:
            verified = verify(self.secret, request.headers, body) if self.secret else None
        except WebhookError as exc:
            verified = exc.reason
        self.received.append({"headers": dict(request.headers), "body": json.loads(body),
                              "verified": verified})
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("{}", status=status, content_type="application/json")(
            environ, start_response)

    def wait_for(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def hooked(sb, receiver, shop_id):
    """The seeded shop subscribed to the receiver; retries compressed a thousandfold."""
    config = sb.configure_webhook(shop_id, receiver.url)
    receiver.secret = config["secret"]
    sb.webhooks.settings(retry_scale=0.001)
    return config


def listing_id(sb):
    return next(iter(sb.world.seed_listings.values()))


def test_a_purchase_sends_a_signed_order_paid(sb, hooked, receiver, shop_id):
    receipt = sb.buy(listing_id(sb))
    (got,) = receiver.wait_for(1)
    assert got["body"] == {
        "event_type": "order.paid",
        "resource_url": f"https://openapi.etsy.com/v3/application/shops/{shop_id}/receipts/"
                        f"{receipt['receipt_id']}",
        "shop_id": shop_id,
    }
    assert got["verified"][0] == got["headers"]["Webhook-Id"]
    assert got["headers"]["Webhook-Signature"].startswith("v1,")
    assert abs(int(got["headers"]["Webhook-Timestamp"]) - time.time()) < 5


def test_cancel_ship_and_delivery_send_their_events(sb, hooked, receiver):
    receipt = sb.buy(listing_id(sb))
    sb.cancel_receipt(receipt["receipt_id"])
    other = sb.buy(listing_id(sb))
    sb.ship_receipt(other["receipt_id"], tracking_code="1Z999", carrier_name="ups",
                    delivered=True)
    sb.webhooks.flush()
    events = sorted((r["body"]["event_type"], r["body"]["resource_url"].rsplit("/", 1)[1])
                    for r in receiver.wait_for(5))
    assert events == sorted([
        ("order.paid", str(receipt["receipt_id"])),
        ("order.canceled", str(receipt["receipt_id"])),
        ("order.paid", str(other["receipt_id"])),
        ("order.shipped", str(other["receipt_id"])),
        ("order.delivered", str(other["receipt_id"])),
    ])
    assert all(r["verified"] and not isinstance(r["verified"], str) for r in receiver.received)


def test_shipping_through_the_api_sends_order_shipped(sb, hooked, receiver, api, shop_id):
    receipt = sb.buy(listing_id(sb))
    answer = api.post(f"/shops/{shop_id}/receipts/{receipt['receipt_id']}/tracking",
                      json={"tracking_code": "1Z999", "carrier_name": "ups"})
    assert answer.status_code == 200, answer.text
    sb.webhooks.flush()
    # Several threads post, so events may arrive in any order (as from Etsy).
    assert sorted(r["body"]["event_type"] for r in receiver.wait_for(2)) == ["order.paid",
                                                                             "order.shipped"]


def test_no_subscription_no_webhook(sb, receiver):
    sb.buy(listing_id(sb))
    time.sleep(0.1)
    assert receiver.received == [] and sb.webhooks.attempts() == []


def test_failed_deliveries_are_retried_like_etsy_with_the_same_id(sb, hooked, receiver):
    receiver.statuses = [500, 503, 404]
    sb.buy(listing_id(sb))
    got = receiver.wait_for(4)
    assert len(got) == 4
    assert len({r["headers"]["Webhook-Id"] for r in got}) == 1
    assert [a["status"] for a in sb.webhooks.attempts()] == [500, 503, 404, 200]
    assert sb.webhooks.pending() == []


def test_a_delivery_is_given_up_after_eight_retries(sb, hooked, receiver):
    receiver.statuses = [500] * 20
    sb.buy(listing_id(sb))
    # The whole schedule (27 h) compressed a thousandfold: about 98 s; a millionfold here.
    sb.webhooks.settings(retry_scale=0.000001)
    got = receiver.wait_for(len(RETRY_DELAYS) + 1, timeout=20)
    time.sleep(0.2)
    assert len(got) == len(RETRY_DELAYS) + 1 == 9
    assert sb.webhooks.pending() == []


def test_an_unreachable_target_is_retried(sb, shop_id):
    sb.configure_webhook(shop_id, "http://127.0.0.1:9/nothing-listens-here")
    sb.webhooks.settings(retry_scale=0.000001, timeout=1)
    sb.buy(listing_id(sb))
    deadline = time.monotonic() + 20
    while len(sb.webhooks.attempts()) < 9 and time.monotonic() < deadline:
        time.sleep(0.02)
    attempts = sb.webhooks.attempts()
    assert len(attempts) == 9 and all(a["status"] is None and a["error"] for a in attempts)


def test_forged_stale_and_replayed_deliveries(sb, hooked, receiver, shop_id):
    receipt = sb.buy(listing_id(sb))
    receiver.wait_for(1)
    assert sb.webhooks.send_forged(shop_id, receipt["receipt_id"]) == 200
    assert receiver.received[-1]["verified"] == "bad_signature"
    assert sb.webhooks.send_stale(shop_id, receipt["receipt_id"]) == 200
    assert receiver.received[-1]["verified"] == "stale"
    assert sb.webhooks.replay() == 200
    first, replayed = receiver.received[0], receiver.received[-1]
    assert replayed["headers"]["Webhook-Id"] == first["headers"]["Webhook-Id"]
    assert replayed["headers"]["Webhook-Signature"] == first["headers"]["Webhook-Signature"]
    assert replayed["body"] == first["body"]


def test_manual_sending_for_deterministic_tests(sb, hooked, receiver):
    sb.webhooks.settings(autosend=False)
    for _ in range(3):
        sb.buy(listing_id(sb))
    time.sleep(0.1)
    assert receiver.received == []
    assert sb.webhooks.flush() == 3
    assert len(receiver.received) == 3


def test_control_api(sb, server, receiver, api, shop_id):
    config = api.post("/_sandbox/webhooks/configure",
                      json={"shop_id": shop_id, "url": receiver.url}).json()
    assert config["secret"].startswith("whsec_")
    receiver.secret = config["secret"]
    api.post("/_sandbox/webhooks/settings", json={"autosend": False})
    receipt = api.post("/_sandbox/buy", json={"listing_id": listing_id(sb)}).json()
    assert api.post("/_sandbox/webhooks/flush", json={}).json() == {"attempts": 1}
    assert receiver.received[0]["verified"]
    for action in ("send_forged", "send_stale"):
        answer = api.post(f"/_sandbox/webhooks/{action}",
                          json={"shop_id": shop_id, "receipt_id": receipt["receipt_id"]})
        assert answer.json() == {"status": 200}
    assert api.post("/_sandbox/webhooks/replay", json={}).json() == {"status": 200}
    deliveries = api.get("/_sandbox/webhooks/deliveries").json()
    assert [d["status"] for d in deliveries] == [200]
    assert [r["verified"] for r in receiver.received[1:3]] == ["bad_signature", "stale"]


def test_reset_forgets_subscriptions(sb, hooked, receiver):
    sb.reset()
    sb.buy(listing_id(sb))
    time.sleep(0.1)
    assert receiver.received == []
