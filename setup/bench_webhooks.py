"""Benchmark: time from an Etsy purchase to the confirmed order in Odoo, webhooks vs polling.

Run by `./setup/bench webhooks` (which makes a fresh database with etsy_connector installed):
    python setup/bench_webhooks.py <odoo source> <database> --addons-path=... \
        [--purchases 30] [--poll-purchases 6] [--poll-minutes 1]

A real Odoo server runs (`odoo-bin`, threaded, two cron threads) beside the sandbox. A buyer
purchases on the sandbox at random moments; a watcher reads the database every 50 ms and notes
when each receipt's order is confirmed (state 'sale').
- with webhooks: the sandbox posts the signed `order.paid` to the shop's webhook URL; Odoo
  records it and wakes the request cron, which imports that receipt;
- polling alone: no webhook; the orders cron runs every --poll-minutes (Odoo's smallest
  interval is one minute; production polls every 10, so those figures scale about tenfold).
Prints p50, p95 and max of each; asserts nothing. Goal: p95 under 5 s with webhooks.
"""

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench_common import argument_parser, connected_shop, odoo_env

# The sandbox lives at the repository root, beside etsy_connector/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "whsec_" + "YmVuY2gtd2ViaG9vay1zaWduaW5nLXNlY3JldA=="
WATCH_INTERVAL = 0.05


def parse_args(argv):
    parser = argument_parser(__doc__)
    parser.add_argument("--purchases", type=int, default=30)
    parser.add_argument("--poll-purchases", type=int, default=6)
    parser.add_argument("--poll-minutes", type=int, default=1)
    return parser.parse_args(argv)


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


class Watcher(threading.Thread):
    """Notes when each awaited receipt's order is confirmed, reading on its own connection."""

    def __init__(self, odoo, database, shop_id):
        super().__init__(daemon=True)
        self.cursor = odoo.sql_db.db_connect(database).cursor()
        self.shop_id = shop_id
        self.awaited = {}  # receipt id -> purchase time
        self.seen = {}  # receipt id -> confirmation time
        self.lock = threading.Lock()
        self.stopping = False

    def expect(self, receipt_id, purchased_at):
        with self.lock:
            self.awaited[str(receipt_id)] = purchased_at

    def run(self):
        while not self.stopping:
            with self.lock:
                waiting = [r for r in self.awaited if r not in self.seen]
            if waiting:
                self.cursor.execute(
                    "SELECT etsy_receipt_id FROM sale_order WHERE etsy_shop_id = %s "
                    "AND state = 'sale' AND etsy_receipt_id = ANY(%s)", [self.shop_id, waiting])
                now = time.time()
                with self.lock:
                    for (receipt_id,) in self.cursor.fetchall():
                        self.seen.setdefault(receipt_id, now)
                self.cursor.rollback()  # a fresh snapshot next time
            time.sleep(WATCH_INTERVAL)
        self.cursor.close()

    def wait_all(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(r in self.seen for r in self.awaited):
                    return True
            time.sleep(0.1)
        return False

    def latencies(self):
        with self.lock:
            return [self.seen[r] - t for r, t in self.awaited.items() if r in self.seen]


class Bench:
    def __init__(self, odoo, env, args):
        from etsy_sandbox import EtsySandbox

        self.odoo, self.env, self.args = odoo, env, args
        self.sandbox = EtsySandbox.seeded()
        self.sandbox.set_rate_limits(per_second=1_000_000, per_day=1_000_000_000)
        self.server = self.sandbox.serve_in_thread()
        self.listing_ids = self.sandbox.generate_listings(20, variation_ratio=0)
        self._products_for_catalog()
        self.port = free_port()
        self.shop = connected_shop(env, self.sandbox, self.server,
                                   etsy_webhook_secret=SECRET,
                                   import_orders_since=odoo.fields.Datetime.now())
        env["ir.config_parameter"].set_param("web.base.url", f"http://127.0.0.1:{self.port}")
        self.set_poll_minutes(10)
        env.cr.commit()
        self.odoo_process = None

    def _products_for_catalog(self):
        skus = set()
        for listing_id in self.listing_ids:
            for product in self.sandbox.inventory(listing_id)["products"]:
                if product.get("sku"):
                    skus.add(product["sku"])
        for sku in sorted(skus):
            self.env["product.product"].create(
                {"name": sku, "default_code": sku, "type": "consu", "is_storable": True})

    def set_poll_minutes(self, minutes, now=False):
        cron = self.env.ref("etsy_connector.ir_cron_sync_orders")
        values = {"interval_number": minutes, "interval_type": "minutes"}
        if now:
            values["nextcall"] = self.odoo.fields.Datetime.now()
        cron.write(values)
        self.env.cr.commit()

    def start_odoo(self):
        log = Path(tempfile.gettempdir()) / f"bench_webhooks_{self.port}.log"
        command = [
            sys.executable, os.path.join(self.args.odoo_src, "odoo-bin"),
            "-d", self.args.database, f"--db-filter=^{self.args.database}$",
            f"--addons-path={self.args.addons_path}", "--http-interface=127.0.0.1",
            f"--http-port={self.port}", "--workers=0", "--max-cron-threads=2",
            "--log-level=warn", f"--logfile={log}",
        ]
        self.odoo_process = subprocess.Popen(command)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{self.port}/web/login", timeout=2):
                    return log
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Odoo did not start (log: {log})")

    def stop_odoo(self):
        if self.odoo_process:
            self.odoo_process.terminate()
            try:
                self.odoo_process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.odoo_process.kill()

    def buy(self):
        from etsy_sandbox.errors import ApiError

        for listing_id in random.sample(self.listing_ids, len(self.listing_ids)):
            try:
                return self.sandbox.buy(listing_id)["receipt_id"]
            except ApiError:
                continue  # sold out
        raise RuntimeError("every listing is sold out")

    def purchases(self, watcher, count, spread):
        """`count` purchases at random moments over `spread` seconds."""
        for _ in range(count):
            time.sleep(random.uniform(0, 2 * spread / max(count, 1)))
            purchased_at = time.time()
            watcher.expect(self.buy(), purchased_at)

    def run_phase(self, count, spread, timeout):
        watcher = Watcher(self.odoo, self.args.database, self.shop.id)
        watcher.start()
        try:
            self.purchases(watcher, count, spread)
            complete = watcher.wait_all(timeout)
        finally:
            watcher.stopping = True
        self.last_watcher = watcher
        return watcher.latencies(), complete

    def delivery_latencies(self):
        """Seconds from each purchase of the last phase to Odoo's 2xx for its order.paid."""
        accepted = {}
        for attempt in self.sandbox.webhooks.attempts():
            if attempt["event_type"] == "order.paid" and attempt["status"] == 200:
                accepted.setdefault(str(attempt["receipt_id"]), attempt["at"])
        awaited = self.last_watcher.awaited
        return [accepted[r] - t for r, t in awaited.items() if r in accepted]


def report(name, latencies, expected, complete, what="orders confirmed"):
    if not latencies:
        print(f"  {name}: no order confirmed")
        return
    print(f"  {name}: {len(latencies)}/{expected} {what}"
          f"{'' if complete else ' (timed out)'}: p50 {statistics.median(latencies):6.2f} s, "
          f"p95 {percentile(latencies, 0.95):6.2f} s, max {max(latencies):6.2f} s")


def main(argv):
    args = parse_args(argv)
    odoo, env = odoo_env(args)
    bench = Bench(odoo, env, args)
    try:
        log = bench.start_odoo()
        shop_id = bench.sandbox.seller["shop_id"]
        bench.sandbox.configure_webhook(
            shop_id, f"http://127.0.0.1:{bench.port}/etsy_connector/webhook/{bench.shop.id}",
            SECRET)
        # Warm-up: the first requests load the registry's caches in the server.
        bench.run_phase(3, 1, 60)
        hooked, hooked_done = bench.run_phase(args.purchases, args.purchases * 0.5, 120)
        statuses = [a["status"] for a in bench.sandbox.webhooks.attempts()]
        answered = bench.delivery_latencies()

        bench.sandbox.webhooks.forget(shop_id)
        bench.set_poll_minutes(args.poll_minutes, now=True)
        interval = 60 * args.poll_minutes
        polled, polled_done = bench.run_phase(args.poll_purchases, interval, 6 * interval)
    finally:
        bench.stop_odoo()
        bench.server.stop()
        env.cr.close()

    print("webhooks benchmark: purchase on the sandbox -> confirmed order in Odoo "
          "(odoo-bin threaded, 2 cron threads, sandbox over HTTP on 127.0.0.1)")
    report("with webhooks       ", hooked, args.purchases, hooked_done)
    print(f"    deliveries: {len(statuses)} attempts, "
          f"{sum(1 for s in statuses if s and 200 <= s < 300)} accepted")
    report("  of which purchase -> webhook answered", answered, args.purchases, True,
           "webhooks accepted")
    report(f"polling alone ({args.poll_minutes} min)", polled, args.poll_purchases, polled_done)
    if polled:
        scale = 10 / args.poll_minutes
        print(f"    at the production interval (10 min) polling scales about {scale:.0f}x: "
              f"p50 ~{statistics.median(polled) * scale / 60:.1f} min, "
              f"p95 ~{percentile(polled, 0.95) * scale / 60:.1f} min")
    goal = hooked and percentile(hooked, 0.95) < 5
    print(f"  goal p95 < 5 s with webhooks: {'met' if goal else 'NOT met'} (server log: {log})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
