"""Etsy's order webhooks, sent by the sandbox: signed, retried, and forged on request.

Etsy posts `{event_type, resource_url, shop_id}` for `order.paid`, `order.canceled`,
`order.shipped` and `order.delivered` to the URL an app subscribed in the developer portal,
signed as Standard Webhooks says (API-NOTES §9): `webhook-id` (the same on every retry),
`webhook-timestamp` (this attempt's, real time), `webhook-signature` (`v1,` + base64 of
HMAC-SHA256 over `id.timestamp.body`, keyed with the base64-decoded secret after `whsec_`).
A delivery answered with anything but 2xx (or not answered) is retried immediately, then after
5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; `retry_scale` compresses that schedule for tests.

Configured per Etsy shop (`configure(shop_id, url, secret)`); the signing is written here again,
not imported from the addon, so the sandbox checks the connector's verifier instead of agreeing
with it by construction. `send_forged`, `send_stale` and `replay` send bad deliveries on purpose.
"""

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request

EVENTS = ("order.paid", "order.canceled", "order.shipped", "order.delivered")
# Seconds before each retry after a failed attempt (8 retries, about 27 hours in all).
RETRY_DELAYS = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
RESOURCE_URL = "https://openapi.etsy.com/v3/application/shops/{shop_id}/receipts/{receipt_id}"
SENDER_THREADS = 4
DEFAULT_TIMEOUT = 10


def new_secret():
    """A fresh signing secret, as Etsy's portal shows it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret, msg_id, timestamp, body):
    """The `webhook-signature` value (v1) of `body` sent as `msg_id` at `timestamp`."""
    key_text = secret.removeprefix("whsec_")
    key = base64.b64decode(key_text + "=" * (-len(key_text) % 4))
    signed = f"{msg_id}.{int(timestamp)}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret, msg_id, body, timestamp=None):
    timestamp = int(time.time() if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }


class Delivery:
    """One event for one subscription, and its attempts."""

    def __init__(self, shop_id, event_type, receipt_id):
        self.webhook_id = "msg_" + secrets.token_urlsafe(18)
        self.shop_id = shop_id
        self.event_type = event_type
        self.receipt_id = receipt_id
        self.body = json.dumps({
            "event_type": event_type,
            "resource_url": RESOURCE_URL.format(shop_id=shop_id, receipt_id=receipt_id),
            "shop_id": shop_id,
        }).encode()
        self.attempts = 0
        self.delivered = False
        self.given_up = False
        self.last_headers = None


class WebhookSender:
    """Subscriptions per Etsy shop, a retry queue and the threads that post."""

    def __init__(self):
        self._lock = threading.Condition()
        self._targets = {}  # shop_id -> {"url", "secret"}
        self._queue = []  # (due, seq, delivery)
        self._seq = itertools.count()
        self._deliveries = {}  # webhook_id -> Delivery
        self._log = []  # one dict per attempt
        self._threads = []
        self._in_flight = 0
        self.retry_scale = 1.0
        self.autosend = True
        self.timeout = DEFAULT_TIMEOUT

    # --- configuration --- #

    def configure(self, shop_id, url, secret=None):
        """Subscribe `url` to the order events of `shop_id`; returns the secret used."""
        secret = secret or new_secret()
        with self._lock:
            self._targets[int(shop_id)] = {"url": url, "secret": secret}
        return {"shop_id": int(shop_id), "url": url, "secret": secret}

    def forget(self, shop_id):
        with self._lock:
            self._targets.pop(int(shop_id), None)

    def settings(self, retry_scale=None, autosend=None, timeout=None):
        with self._lock:
            if retry_scale is not None:
                self.retry_scale = float(retry_scale)
            if autosend is not None:
                self.autosend = bool(autosend)
            if timeout is not None:
                self.timeout = float(timeout)
            self._lock.notify_all()

    def reset(self):
        """No subscription, nothing queued, no history (in-flight posts finish unrecorded)."""
        with self._lock:
            self._targets.clear()
            self._queue.clear()
            self._deliveries.clear()
            self._log.clear()
            self.retry_scale, self.autosend, self.timeout = 1.0, True, DEFAULT_TIMEOUT

    # --- events (called by the world, under its lock: only queue here) --- #

    def emit(self, shop_id, event_type, receipt_id):
        """Queue `event_type` of `receipt_id` when `shop_id` has a subscription."""
        with self._lock:
            if int(shop_id) not in self._targets:
                return None
            delivery = Delivery(int(shop_id), event_type, int(receipt_id))
            self._deliveries[delivery.webhook_id] = delivery
            self._push(delivery, 0)
            if self.autosend:
                self._start_threads()
            return delivery.webhook_id

    def _push(self, delivery, delay):
        heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), delivery))
        self._lock.notify()

    def _start_threads(self):
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < SENDER_THREADS:
            thread = threading.Thread(target=self._run, name="etsy-sandbox-webhooks", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self):
        while True:
            with self._lock:
                delivery = self._next_due(block=True)
            if delivery is not None:
                self._attempt(delivery)

    def _next_due(self, block):
        """The next delivery whose time has come, or None; `block` (the sending threads) waits
        for one, and sends only while `autosend` is on."""
        while True:
            wait = None
            if self._queue and (self.autosend or not block):
                due, _seq, delivery = self._queue[0]
                wait = due - time.monotonic()
                if wait <= 0:
                    heapq.heappop(self._queue)
                    self._in_flight += 1
                    return delivery
            if not block:
                return None
            self._lock.wait(timeout=1.0 if wait is None else min(wait, 1.0))

    def _attempt(self, delivery):
        with self._lock:
            target = self._targets.get(delivery.shop_id)
        try:
            if target is None:  # unsubscribed meanwhile
                return
            status, error = self._post(target, delivery)
            with self._lock:
                delivery.attempts += 1
                self._log.append({
                    "webhook_id": delivery.webhook_id, "event_type": delivery.event_type,
                    "shop_id": delivery.shop_id, "receipt_id": delivery.receipt_id,
                    "attempt": delivery.attempts, "status": status, "error": error,
                    "at": time.time(),
                })
                if status is not None and 200 <= status < 300:
                    delivery.delivered = True
                elif delivery.attempts <= len(RETRY_DELAYS):
                    self._push(delivery, RETRY_DELAYS[delivery.attempts - 1] * self.retry_scale)
                else:
                    delivery.given_up = True
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def _post(self, target, delivery, headers=None):
        """(status or None, error text or None) of one POST; re-signed at each attempt."""
        headers = headers or signed_headers(target["secret"], delivery.webhook_id, delivery.body)
        delivery.last_headers = headers
        return post(target["url"], delivery.body, headers, self.timeout)

    # --- driving it from tests --- #

    def flush(self, timeout=30):
        """Send what is due now from this thread (with autosend off), or wait until the
        threads have (autosend on); returns the number of attempts made."""
        before = len(self._log)
        if self.autosend:
            self.wait_idle(timeout)
        else:
            while True:
                with self._lock:
                    delivery = self._next_due(block=False)
                if delivery is None:
                    break
                self._attempt(delivery)
        return len(self._log) - before

    def wait_idle(self, timeout=30):
        """Wait until nothing is due nor in flight (retries scheduled later do not count)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight or (self._queue and self._queue[0][0] <= time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(timeout=min(left, 0.05))
        return True

    def attempts(self):
        """Every attempt, oldest first: webhook_id, event_type, receipt_id, attempt, status."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def pending(self):
        """Deliveries neither delivered nor given up."""
        with self._lock:
            return [d.webhook_id for d in self._deliveries.values()
                    if not d.delivered and not d.given_up]

    # --- bad deliveries on purpose (sent at once from the calling thread) --- #

    def _target(self, shop_id):
        with self._lock:
            target = self._targets.get(int(shop_id))
        if target is None:
            raise ValueError(f"No webhook subscription for shop {shop_id}")
        return target

    def send_forged(self, shop_id, receipt_id, event_type="order.paid"):
        """A delivery signed with another secret; returns the HTTP status."""
        target = self._target(shop_id)
        delivery = Delivery(int(shop_id), event_type, int(receipt_id))
        headers = signed_headers(new_secret(), delivery.webhook_id, delivery.body)
        return post(target["url"], delivery.body, headers, self.timeout)[0]

    def send_stale(self, shop_id, receipt_id, event_type="order.paid", age=600):
        """A correctly signed delivery whose timestamp is `age` seconds old."""
        target = self._target(shop_id)
        delivery = Delivery(int(shop_id), event_type, int(receipt_id))
        headers = signed_headers(target["secret"], delivery.webhook_id, delivery.body,
                                 time.time() - age)
        return post(target["url"], delivery.body, headers, self.timeout)[0]

    def send_now(self, shop_id, receipt_id, event_type="order.paid"):
        """A correctly signed delivery, sent once now (no retry); returns (status, webhook id)."""
        target = self._target(shop_id)
        delivery = Delivery(int(shop_id), event_type, int(receipt_id))
        with self._lock:
            self._deliveries[delivery.webhook_id] = delivery
        status, _error = self._post(target, delivery)
        return status, delivery.webhook_id

    def replay(self, webhook_id=None):
        """Send a past delivery again, byte for byte (its headers and body as last sent)."""
        with self._lock:
            if webhook_id is None:
                sent = [d for d in self._deliveries.values() if d.last_headers]
                delivery = sent[-1] if sent else None
            else:
                delivery = self._deliveries.get(webhook_id)
        if delivery is None or not delivery.last_headers:
            raise ValueError("No delivery to replay")
        target = self._target(delivery.shop_id)
        return post(target["url"], delivery.body, delivery.last_headers, self.timeout)[0]


def post(url, body, headers, timeout):
    """(status or None, error or None) of a POST of `body`."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
