"""The fault soak, driven by setup/soak: a real multi-worker Odoo against the Etsy sandbox.

setup/soak installs the database and starts the sandbox and Odoo; this script sets the shops
up (real OAuth flow, as setup/demo_connect.py does), runs buyers, stock changes, delivery
validations and faults for the given duration, then turns the faults off, syncs once more,
checks the invariants and prints a table. Exit status 1 on any violation.

Usage (from setup/soak): python setup/soak.py --odoo URL --db DB --master-pid PID
    --sandbox URL --server-log FILE [--minutes 10] [--shops 3] [--seed N] [--report FILE]
"""

import argparse
import random
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "setup")]

import demo_connect
from soak_checks import check_all
from soak_faults import FaultPlan, WorkerKiller

from etsy_sandbox.constants import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

HTTP_TIMEOUT = 3  # etsy_connector.http_timeout during the soak; hangs last longer
# (shop name, currency, country) of the extra sellers; the first shop is the seeded candle shop.
EXTRA_SHOPS = (
    ("BougiesDeLyon", "EUR", "FR"),
    ("LondonWicks", "GBP", "GB"),
    ("AhornKerzen", "EUR", "DE"),
    ("MapleWicks", "CAD", "CA"),
)
TEMPLATE = "🎉 {shop} just sold {items} {order_link}"
PURCHASE_INTERVAL = 0.6  # seconds between purchases (about 1.5/s)
OPS_INTERVAL = 2.5  # seconds between Odoo-side actions (stock change or delivery)


def say(text):
    print(f"[soak] {text}", flush=True)


class Sandbox:
    """The sandbox's HTTP control API (one per thread: a requests.Session is not shared)."""

    def __init__(self, url):
        self.url = url
        self.session = requests.Session()

    def do(self, action, **body):
        answer = self.session.post(f"{self.url}/_sandbox/{action}", json=body, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"sandbox {action}: {answer.status_code} {answer.text[:200]}")
        return answer.json()

    def get(self, what, **query):
        answer = self.session.get(f"{self.url}/_sandbox/{what}", params=query, timeout=30)
        answer.raise_for_status()
        return answer.json()


def odoo(args):
    return demo_connect.Odoo(args.odoo, args.db)


def wait_for(url, what, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{what} did not answer on {url} within {seconds} s")


def retry_busy(function, attempts=40):
    """Call `function`, waiting while a scheduled run of the same flow holds the shop."""
    for _attempt in range(attempts):
        try:
            return function()
        except RuntimeError as exc:
            text = str(exc).lower()
            if "running" not in text and "busy" not in text and "cannot be modified" not in text:
                raise
            time.sleep(3)
    raise RuntimeError("a scheduled run kept the shop busy for two minutes")


# === SET-UP === #


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.sandbox = Sandbox(args.sandbox)
        self.shops = []  # dicts: name, user_id, shop_id (Etsy), odoo_id, webhook_id, currency
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.bought = {}  # receipt_id -> shop index
        self.cancelled, self.refunded, self.touched = set(), set(), set()
        self.validated = {}  # picking id -> (receipt_id, tracking code)
        self.counts = {"stock changes": 0, "deliveries validated": 0, "rpc errors": 0,
                       "purchases refused (sold out/changed)": 0}
        self.events = []
        self.started = time.time()

    def setup_sandbox(self):
        seller = self.sandbox.get("state")["seller"]
        self.shops.append({"name": "WicksByWerby", "currency": "USD", **seller})
        for name, currency, country in EXTRA_SHOPS[: self.args.shops - 1]:
            ids = self.sandbox.do("add_shop", shop_name=name, currency_code=currency,
                                  country_iso=country, first_name=name[:5], last_name="Seller")
            self.sandbox.do("generate_listings", n=6, variation_ratio=0.5, shop_id=ids["shop_id"])
            self.sandbox.do("generate_receipts", n=10, lines=2, shop_id=ids["shop_id"])
            self.shops.append({"name": name, "currency": currency, **ids})
        for index, shop in enumerate(self.shops):
            shop["webhook_id"] = f"77{index}00{self.rng.randrange(10**6)}"
            shop["webhook_token"] = "".join(self.rng.choice("abcdefghijkmnpqrstuvwxyz23456789")
                                            for _ in range(40))
            self.sandbox.do("discord/register", webhook_id=shop["webhook_id"],
                            token=shop["webhook_token"])
            shop["webhook_url"] = (f"{self.args.sandbox}/api/webhooks/{shop['webhook_id']}/"
                                   f"{shop['webhook_token']}")

    def setup_odoo(self):
        rpc = odoo(self.args)
        rpc.call("ir.config_parameter", "set_param", "etsy_connector.http_timeout",
                 str(HTTP_TIMEOUT))
        for shop in self.shops:
            shop["odoo_id"] = rpc.call("etsy.shop", "create", [{
                "name": f"{shop['name']} (soak)",
                "keystring": DEFAULT_KEYSTRING,
                "shared_secret": DEFAULT_SHARED_SECRET,
                "api_base_url": self.args.sandbox,
                "oauth_base_url": self.args.sandbox,
                "import_orders_since": "2000-01-01 00:00:00",
                "create_missing_products": True,
                "discord_webhook_url": shop["webhook_url"],
                "discord_template": TEMPLATE,
            }])[0]
            self.connect(rpc, shop)
            listings = demo_connect.import_listings(rpc, shop["odoo_id"])
            stocked = demo_connect.stock_like_etsy(rpc, shop["odoo_id"])
            orders = retry_busy(lambda s=shop: demo_connect.sync_orders(rpc, s["odoo_id"]))
            say(f"{shop['name']} ({shop['currency']}): {listings['message']}; "
                f"{stocked} products stocked; {orders['params']['message']}")
        crons = rpc.call("ir.cron", "search_read", [("cron_name", "ilike", "Etsy:")], ["id"])
        self.cron_ids = [c["id"] for c in crons]
        # A cron already running (woken by the listing import) refuses writes for a while.
        retry_busy(lambda: rpc.call("ir.cron", "write", self.cron_ids, {
            "interval_number": 1, "interval_type": "minutes",
            "nextcall": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}))
        say(f"{len(self.cron_ids)} Etsy crons every minute; etsy_connector.http_timeout = "
            f"{HTTP_TIMEOUT} s")

    def connect(self, rpc, shop):
        """--connect oauth: the real OAuth flow (the sandbox's consent page approves as the
        shop's seller), as setup/demo_connect.py does. --connect tokens (default): tokens issued
        by the sandbox written over RPC, as setup/bench_common.py does - the OAuth callback of
        the current code hangs on a multi-worker server (see the soak's report)."""
        if self.args.connect == "oauth":
            self.sandbox.do("login_as", user_id=shop["user_id"])
            demo_connect.connect(rpc, shop["odoo_id"])
        else:
            tokens = self.sandbox.do("issue_tokens", user_id=shop["user_id"])
            rpc.call("etsy.shop", "write", [shop["odoo_id"]], {
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "token_expires_at": time.strftime(
                    "%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + tokens["expires_in"] - 60)),
                "state": "connected", "last_error": False,
                "etsy_shop_id": str(shop["shop_id"]), "etsy_user_id": str(shop["user_id"]),
                "etsy_shop_name": shop["name"],
                "currency_id": self.currency_id(rpc, shop["currency"]),
            })
        [state] = rpc.call("etsy.shop", "read", [shop["odoo_id"]], ["state"])
        if state["state"] != "connected":
            raise RuntimeError(f"{shop['name']} is {state['state']} after connecting")

    def currency_id(self, rpc, code):
        found = rpc.call("res.currency", "search", [("name", "=", code),
                                                    ("active", "in", (True, False))])
        if found:
            rpc.call("res.currency", "write", found, {"active": True})
        return found[0] if found else False

    # === LOAD === #

    def buyers(self):
        """Purchases across shops, currencies and variations; some are cancelled or refunded."""
        sandbox, rng = Sandbox(self.args.sandbox), random.Random(self.args.seed + 1)
        listings, fetched = {}, 0.0
        while not self.stop.wait(PURCHASE_INTERVAL * rng.uniform(0.5, 1.5)):
            try:
                if time.monotonic() - fetched > 10:
                    listings = {i: sandbox.get("soak/listings", shop_id=s["shop_id"])
                                for i, s in enumerate(self.shops)}
                    fetched = time.monotonic()
                if rng.random() < 0.08:
                    self.cancel_or_refund(sandbox, rng)
                    continue
                index = rng.randrange(len(self.shops))
                choices = [(entry["listing_id"], product) for entry in listings[index]
                           if entry["state"] == "active" and entry["listing_type"] == "physical"
                           for product in entry["products"]
                           if product["is_enabled"] and product["quantity"] > 0]
                if not choices:
                    continue
                listing_id, product = rng.choice(choices)
                quantity = 2 if product["quantity"] > 3 and rng.random() < 0.2 else 1
                product["quantity"] -= quantity
                receipt = sandbox.do("buy", listing_id=listing_id, quantity=quantity,
                                     product_id=product["product_id"])
                with self.lock:
                    self.bought[receipt["receipt_id"]] = index
            except RuntimeError:
                # Sold out meanwhile, or a stock push replaced the listing's products (Etsy
                # gives them new ids): read the listings again.
                self.counts["purchases refused (sold out/changed)"] += 1
                fetched = 0.0

    def cancel_or_refund(self, sandbox, rng):
        with self.lock:
            candidates = sorted(set(self.bought) - self.touched)
            if not candidates:
                return
            receipt_id = rng.choice(candidates[-50:])
            self.touched.add(receipt_id)
        if rng.random() < 0.5:
            sandbox.do("cancel_receipt", receipt_id=receipt_id)
            self.cancelled.add(receipt_id)
        else:
            sandbox.do("refund_receipt", receipt_id=receipt_id)
            self.refunded.add(receipt_id)

    def odoo_ops(self):
        """Inventory adjustments and validated deliveries with tracking codes, over JSON-RPC."""
        rng, rpc = random.Random(self.args.seed + 2), None
        while not self.stop.wait(OPS_INTERVAL * rng.uniform(0.5, 1.5)):
            try:
                rpc = rpc or odoo(self.args)
                if rng.random() < 0.4:
                    self.change_stock(rpc, rng)
                else:
                    self.validate_delivery(rpc, rng)
            except (RuntimeError, requests.RequestException) as exc:
                # A worker SIGKILLed under the request, a serialization conflict...: go on.
                self.counts["rpc errors"] += 1
                self.events.append(f"rpc error: {str(exc)[:120]}")
                rpc = None

    def change_stock(self, rpc, rng):
        shop = rng.choice(self.shops)
        bindings = rpc.call("etsy.product", "search_read", [
            ("shop_id", "=", shop["odoo_id"]), ("product_id.is_storable", "=", True)],
            ["product_id"], limit=200)
        if not bindings:
            return
        product_id = rng.choice(bindings)["product_id"][0]
        [settings] = rpc.call("etsy.shop", "read", [shop["odoo_id"]], ["warehouse_id"])
        [warehouse] = rpc.call("stock.warehouse", "read", [settings["warehouse_id"][0]],
                               ["lot_stock_id"])
        [product] = rpc.call("product.product", "read", [product_id], ["qty_available"])
        # Mostly restocks, sometimes a count that finds fewer units than Odoo thought.
        quantity = max(0, product["qty_available"] + rng.choice((-2, -1, 3, 5, 8, 12)))
        ids = rpc.call("stock.quant", "create", [{
            "product_id": product_id, "location_id": warehouse["lot_stock_id"][0],
            "inventory_quantity": quantity}], context={"inventory_mode": True})
        rpc.call("stock.quant", "action_apply_inventory", ids)
        self.counts["stock changes"] += 1

    def validate_delivery(self, rpc, rng):
        pickings = rpc.call("stock.picking", "search_read", [
            ("sale_id.etsy_shop_id", "!=", False), ("state", "=", "assigned"),
            ("picking_type_code", "=", "outgoing")], ["sale_id"], limit=20, order="id")
        rng.shuffle(pickings)
        for picking in pickings:
            [order] = rpc.call("sale.order", "read", [picking["sale_id"][0]], ["etsy_receipt_id"])
            receipt_id = int(order["etsy_receipt_id"])
            with self.lock:
                if receipt_id in self.touched:
                    continue
                self.touched.add(receipt_id)  # the buyer side leaves it alone from now on
            code = f"SOAK{rng.randrange(10**9):09d}"
            moves = rpc.call("stock.move", "search_read", [("picking_id", "=", picking["id"])],
                             ["product_uom_qty"])
            for move in moves:
                rpc.call("stock.move", "write", [move["id"]],
                         {"quantity": move["product_uom_qty"], "picked": True})
            rpc.call("stock.picking", "write", [picking["id"]], {"etsy_tracking_code": code})
            rpc.call("stock.picking", "button_validate", [picking["id"]],
                     context={"skip_backorder": True, "skip_sms": True})
            [done] = rpc.call("stock.picking", "read", [picking["id"]], ["state"])
            if done["state"] == "done":
                self.validated[picking["id"]] = (receipt_id, code)
                self.counts["deliveries validated"] += 1
            return

    # === RUN === #

    def run(self):
        self.setup_sandbox()
        self.setup_odoo()
        seconds = self.args.minutes * 60
        say(f"running for {self.args.minutes} min with {len(self.shops)} shops "
            f"(seed {self.args.seed})")
        plan = FaultPlan(self, seconds)
        killer = WorkerKiller(self.args)
        threads = [threading.Thread(target=self.guarded, args=(target,), name=target.__name__,
                                    daemon=True)
                   for target in (self.buyers, self.odoo_ops)]
        for thread in threads:
            thread.start()
        plan.run(killer)  # returns after `seconds`
        self.stop.set()
        for thread in threads:
            thread.join(60)
        plan.all_off()
        say(f"load stopped: {len(self.bought)} receipts bought; final sync with faults off")
        self.final_sync()
        verdicts = check_all(self)
        return plan, killer, verdicts

    def guarded(self, target):
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - report and stop this load thread only
            self.events.append(f"{target.__name__} stopped: {exc!r}")
            say(f"{target.__name__} stopped: {exc!r}")

    def final_sync(self):
        """Reconnect what is in error, make delayed retries due now (the soak compresses time),
        then run the Etsy jobs twice over RPC and wait until no sync log is running."""
        rpc = odoo(self.args)
        for shop in self.shops:
            [state] = rpc.call("etsy.shop", "read", [shop["odoo_id"]], ["state"])
            if state["state"] != "connected":
                say(f"{shop['name']} is {state['state']}: reconnecting")
                self.connect(rpc, shop)
        order = ("import orders", "send tracking", "publish stock", "run requested",
                 "send Discord", "import listings")
        crons = rpc.call("ir.cron", "search_read", [("id", "in", self.cron_ids)], ["cron_name"])
        crons.sort(key=lambda c: next((i for i, key in enumerate(order)
                                       if key.lower() in c["cron_name"].lower()), 99))
        for round_ in (1, 2):
            self.make_retries_due()
            for cron in crons:
                if "delete old" in cron["cron_name"]:
                    continue
                retry_busy(lambda c=cron: rpc.call("ir.cron", "method_direct_trigger",
                                                   [c["id"]]))
            say(f"final sync round {round_} done")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not rpc.call("etsy.sync.log", "search_count", [("state", "=", "running")]):
                break
            time.sleep(3)

    def make_retries_due(self):
        """What waits for a later retry (Discord backoff, tracking retry, receipts to fix) is
        made due now: a 2-minute soak cannot wait the addon's 10-minute retry delays."""
        with checks_db(self.args.db) as cr:
            cr.execute("UPDATE etsy_discord_message SET next_attempt_at = now() at time zone "
                       "'utc' WHERE state = 'pending'")
            cr.execute("UPDATE stock_picking SET etsy_next_push_at = now() at time zone 'utc' "
                       "WHERE etsy_push_state IN ('to_push', 'failed', 'unknown')")
            cr.execute("UPDATE etsy_receipt_issue SET next_retry_at = now() at time zone 'utc' "
                       "WHERE state = 'pending'")


def checks_db(db):
    from soak_checks import connection

    return connection(db)


def print_report(soak, plan, killer, verdicts, report_path):
    lines = ["", "== injected (kind: injected / calls that met it) =="]
    taken = soak.sandbox.get("faults/taken")
    for kind, count in sorted(plan.injected.items()):
        lines.append(f"  {kind:<26} {count:>5} / {taken.get(kind, 0)}")
    state = soak.sandbox.get("state")
    lines.append(f"  {'discord outage':<26} {plan.outages:>5} "
                 f"({plan.outage_seconds:.0f} s down)")
    lines.append(f"  {'token revoked':<26} {plan.revocations:>5} ({plan.revoke_note})")
    lines.append(f"  {'worker SIGKILL':<26} {len(killer.kills):>5} "
                 f"({sum(1 for k in killer.kills if k['during_sync'])} during a sync: "
                 f"{', '.join(k['what'] for k in killer.kills) or '-'})")
    lines.append("== traffic ==")
    lines.append(f"  receipts bought {len(soak.bought)}, cancelled {len(soak.cancelled)}, "
                 f"refunded {len(soak.refunded)}; " + ", ".join(
                     f"{k} {v}" for k, v in soak.counts.items()))
    lines.append(f"  Discord posts {state['discord_posts']}, Etsy API calls "
                 f"{state['journal']}, shops {len(soak.shops)} "
                 f"({', '.join(s['currency'] for s in soak.shops)})")
    lines.append("== invariants ==")
    for verdict in verdicts:
        lines.append(f"  {'PASS' if verdict.ok else 'FAIL'}  {verdict.name}: {verdict.summary}")
        lines.extend(f"          {detail}" for detail in verdict.details[:8])
    passed = sum(v.ok for v in verdicts)
    lines.append(f"soak: {passed} passed, {len(verdicts) - passed} failed")
    text = "\n".join(lines)
    print(text, flush=True)
    if report_path:
        Path(report_path).write_text(text + "\n")
    return passed == len(verdicts)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--master-pid", type=int, required=True)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--server-log", required=True)
    parser.add_argument("--report")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--shops", type=int, default=3, choices=range(1, len(EXTRA_SHOPS) + 2))
    parser.add_argument("--connect", choices=("oauth", "tokens"), default="tokens")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args(argv)
    wait_for(f"{args.sandbox}/_sandbox/state", "the sandbox", 30)
    wait_for(f"{args.odoo}/web/login", "Odoo", 120)
    soak = Soak(args)
    plan, killer, verdicts = soak.run()
    return 0 if print_report(soak, plan, killer, verdicts, args.report) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
