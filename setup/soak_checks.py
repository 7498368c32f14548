"""The soak's invariants, checked against the sandbox's world and the database (setup/soak.py).

Each check returns a Verdict: a name, ok, a one-line summary and details of what broke.
"""

import contextlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import psycopg2

from etsy_sandbox.constants import DEFAULT_SHARED_SECRET

ORDER_LINK = re.compile(r"order_id=(\d+)")
ANNOUNCE_WINDOW = 24 * 3600  # the shops' default discord_max_order_age_hours, in seconds
MARGIN = 600
# Where secrets are meant to live: (table, column); a None column is the whole table.
SECRET_STORAGE = {
    ("etsy_shop_token", None),
    ("etsy_shop", "keystring"),
    ("etsy_shop", "shared_secret"),
    ("etsy_shop", "discord_webhook_url"),
    ("etsy_shop", "discord_ops_webhook_url"),
}


@dataclass
class Verdict:
    name: str
    ok: bool
    summary: str
    details: list = field(default_factory=list)


@contextlib.contextmanager
def connection(db):
    """A committing cursor on the soak's database (peer authentication over the socket)."""
    conn = psycopg2.connect(dbname=db)
    try:
        with conn, conn.cursor() as cr:
            yield cr
    finally:
        conn.close()


def same_tracking(code):
    return re.sub(r"\s+", "", code or "").upper()


def check_all(soak):
    world = {
        shop["odoo_id"]: {
            "shop": shop,
            "receipts": soak.sandbox.get("soak/receipts", shop_id=shop["shop_id"]),
            "listings": soak.sandbox.get("soak/listings", shop_id=shop["shop_id"]),
        }
        for shop in soak.shops
    }
    with connection(soak.args.db) as cr:
        return [
            check_orders(cr, world),
            check_shipments(cr, world, soak),
            check_discord(soak, world),
            check_stock(cr, world, soak),
            check_sync_logs(cr),
            *check_secrets(cr, world, soak),
        ]


def check_orders(cr, world):
    """Every Etsy receipt is exactly one sale order, every transaction exactly one line."""
    details, receipts, transactions = [], 0, 0
    for shop_id, data in world.items():
        name = data["shop"]["name"]
        cr.execute("SELECT etsy_receipt_id, count(*) FROM sale_order WHERE etsy_shop_id = %s "
                   "GROUP BY 1", [shop_id])
        orders = dict(cr.fetchall())
        cr.execute("SELECT etsy_transaction_id, count(*) FROM sale_order_line "
                   "WHERE etsy_shop_id = %s AND etsy_transaction_id IS NOT NULL GROUP BY 1",
                   [shop_id])
        lines = dict(cr.fetchall())
        cr.execute("SELECT etsy_receipt_id, reason FROM etsy_receipt_issue WHERE shop_id = %s "
                   "AND state = 'pending'", [shop_id])
        issues = dict(cr.fetchall())
        for receipt in data["receipts"]:
            receipts += 1
            rid = str(receipt["receipt_id"])
            if orders.get(rid, 0) != 1:
                why = f" (to fix: {issues[rid][:100]})" if rid in issues else ""
                details.append(f"{name}: receipt {rid} ({receipt['status']}) is "
                               f"{orders.get(rid, 0)} orders{why}")
            for tid in receipt["transaction_ids"]:
                transactions += 1
                if lines.get(str(tid), 0) != 1:
                    details.append(f"{name}: transaction {tid} of receipt {rid} is "
                                   f"{lines.get(str(tid), 0)} order lines")
        known = {str(r["receipt_id"]) for r in data["receipts"]}
        details += [f"{name}: order for unknown receipt {rid}" for rid in orders if rid
                    not in known]
    return Verdict("receipts = sale orders, transactions = lines", not details,
                   f"{receipts} receipts, {transactions} transactions, {len(details)} wrong",
                   details)


def check_shipments(cr, world, soak):
    """Every validated delivery with a tracking code is exactly one shipment on Etsy."""
    codes_on_etsy = {}
    for data in world.values():
        for receipt in data["receipts"]:
            codes_on_etsy[(data["shop"]["odoo_id"], str(receipt["receipt_id"]))] = Counter(
                same_tracking(s["tracking_code"]) for s in receipt["shipments"])
    cr.execute("""
        SELECT p.id, p.etsy_tracking_code, so.etsy_receipt_id, so.etsy_shop_id,
               p.etsy_push_state, p.etsy_push_message
          FROM stock_picking p JOIN sale_order so ON so.id = p.sale_id
         WHERE p.state = 'done' AND so.etsy_shop_id IS NOT NULL
           AND coalesce(p.etsy_tracking_code, '') <> ''""")
    rows, details = cr.fetchall(), []
    for picking_id, code, receipt_id, shop_id, push_state, note in rows:
        found = codes_on_etsy.get((shop_id, receipt_id), Counter())[same_tracking(code)]
        if found != 1:
            details.append(f"delivery {picking_id} (receipt {receipt_id}, {code}): {found} "
                           f"shipments on Etsy; push state {push_state}: {(note or '')[:100]}")
    return Verdict("validated delivery + tracking = one Etsy shipment", not details,
                   f"{len(rows)} deliveries ({len(soak.validated)} by the soak), "
                   f"{len(details)} wrong", details)


def check_discord(soak, world):
    """Every new order announced exactly once; backfilled ones never."""
    by_webhook = {data["shop"]["webhook_id"]: shop_id for shop_id, data in world.items()}
    posts = Counter()
    for post in soak.sandbox.get("discord/posts"):
        match = ORDER_LINK.search((post["payload"] or {}).get("content") or "")
        if match and post["webhook_id"] in by_webhook:
            posts[(by_webhook[post["webhook_id"]], match.group(1))] += 1
    details, new, old = [], 0, 0
    for shop_id, data in world.items():
        for receipt in data["receipts"]:
            key, count = (shop_id, str(receipt["receipt_id"])), None
            count = posts.get(key, 0)
            age = soak.started - receipt["create_timestamp"]
            if receipt["receipt_id"] in soak.bought:
                new += 1
                if count != 1:
                    details.append(f"new receipt {key[1]} announced {count} times")
            elif age > ANNOUNCE_WINDOW + MARGIN:
                old += 1
                if count:
                    details.append(f"backfilled receipt {key[1]} announced {count} times")
    return Verdict("Discord: new orders once, backfilled never", not details,
                   f"{new} new, {old} backfilled, {sum(posts.values())} order posts, "
                   f"{len(details)} wrong", details)


def check_stock(cr, world, soak):
    """No Etsy quantity a buyer can purchase is above what Odoo can sell, for any bound product.

    Only active listings count: Etsy refuses an inventory with every quantity at 0, so a listing
    Odoo has nothing left of is deactivated instead, and nobody can buy what it still shows.
    """
    rpc = soak_rpc(soak)
    details, checked = [], 0
    for shop_id, data in world.items():
        etsy_qty = {str(p["product_id"]): (listing["listing_id"], p["quantity"])
                    for listing in data["listings"] if listing["state"] == "active"
                    for p in listing["products"] if p["is_enabled"]}
        cr.execute("""
            SELECT ep.etsy_product_id, ep.product_id FROM etsy_product ep
              JOIN etsy_listing el ON el.id = ep.listing_id
             WHERE el.shop_id = %s AND ep.product_id IS NOT NULL AND ep.active""", [shop_id])
        bindings = cr.fetchall()
        [shop] = rpc.call("etsy.shop", "read", [shop_id],
                          ["warehouse_id", "inventory_warehouse_ids", "stock_buffer"])
        warehouses = shop["inventory_warehouse_ids"] or [shop["warehouse_id"][0]]
        products = {p["id"]: p for p in rpc.call(
            "product.product", "read", sorted({b[1] for b in bindings}),
            ["is_storable", "free_qty", "qty_available", "outgoing_qty", "display_name"],
            context={"warehouse_id": warehouses})}
        cr.execute("""
            SELECT l.product_id, sum(l.product_uom_qty) FROM sale_order_line l
              JOIN sale_order o ON o.id = l.order_id
             WHERE o.etsy_shop_id IS NOT NULL AND l.state IN ('draft', 'sent')
               AND o.warehouse_id = ANY(%s) GROUP BY 1""", [warehouses])
        demand = dict(cr.fetchall())
        for etsy_product_id, product_id in bindings:
            product = products[product_id]
            if not product["is_storable"] or etsy_product_id not in etsy_qty:
                continue
            checked += 1
            free = min(product["free_qty"], product["qty_available"] - product["outgoing_qty"])
            can_sell = max(math.floor(free - float(demand.get(product_id, 0)))
                           - shop["stock_buffer"], 0)
            listing_id, quantity = etsy_qty[etsy_product_id]
            if quantity > can_sell:
                details.append(f"{data['shop']['name']}: listing {listing_id} shows {quantity} "
                               f"of {product['display_name']}, Odoo can sell {can_sell}")
    return Verdict("Etsy quantity <= what Odoo can sell", not details,
                   f"{checked} bound products, {len(details)} above", details)


def soak_rpc(soak):
    import demo_connect

    return demo_connect.Odoo(soak.args.odoo, soak.args.db)


def check_sync_logs(cr):
    """Every failed run has a reason; nothing is left running."""
    cr.execute("SELECT state, count(*) FROM etsy_sync_log GROUP BY 1")
    states = dict(cr.fetchall())
    cr.execute("SELECT id, operation, state, started_at FROM etsy_sync_log "
               "WHERE state = 'running' OR (state = 'failed' AND coalesce(message, '') = '') "
               "ORDER BY id")
    details = [f"log {i} ({operation}, started {started:%H:%M:%S}) is {state}"
               + (" without a reason" if state == "failed" else "")
               for i, operation, state, started in cr.fetchall()]
    return Verdict("sync logs: failures have a reason, none running", not details,
                   ", ".join(f"{k} {v}" for k, v in sorted(states.items())), details)


def check_secrets(cr, world, soak):
    """No secret outside its storage; no buyer e-mail or address in the server log/sync logs."""
    secrets = set(soak.sandbox.get("soak/tokens")) | {DEFAULT_SHARED_SECRET}
    for data in world.values():
        secrets |= {data["shop"]["webhook_url"], data["shop"]["webhook_token"]}
    pii = {value for data in world.values() for r in data["receipts"]
           for value in (r["buyer_email"], r["first_line"]) if value}
    with open(soak.args.server_log, encoding="utf-8", errors="replace") as log:
        server_log = log.read()
    found = {"server log": _found_in(server_log, secrets)}
    cr.execute("SELECT coalesce(l.message, '') || ' ' || coalesce(string_agg(line.message, ' '), "
               "'') FROM etsy_sync_log l LEFT JOIN etsy_sync_log_line line ON line.log_id = l.id "
               "GROUP BY l.id, l.message")
    sync_logs = "\n".join(row[0] for row in cr.fetchall())
    columns = _text_columns(cr)
    places = Counter()
    for table, column in columns:
        # Table and column names come from the catalog, not from input.
        query = f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE ANY(%s)'
        cr.execute(query, [[f"%{_like(s)}%" for s in secrets]])
        hits = cr.fetchone()[0]
        if hits:
            places[f"{table}.{column}"] += hits
    secret_details = [f"{where}: {len(hits)} secret(s)" for where, hits in found.items() if hits]
    secret_details += [f"{place}: {count} row(s)" for place, count in places.items()]
    pii_found = {"server log": _found_in(server_log, pii), "sync logs": _found_in(sync_logs, pii)}
    pii_details = [f"{where}: {len(hits)} value(s), e.g. {min(hits)[:3]}…"
                   for where, hits in pii_found.items() if hits]
    return [
        Verdict("no secret outside the secret storage", not secret_details,
                f"{len(secrets)} secrets looked for in the server log and {len(columns)} text "
                f"columns (sync logs, chatter, the rest)", secret_details),
        Verdict("no buyer e-mail/address in server log or sync logs", not pii_details,
                f"{len(pii)} values looked for", pii_details),
    ]


def _like(value):
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _found_in(text, values):
    return {value for value in values if value in text}


def _text_columns(cr):
    cr.execute("""
        SELECT c.table_name, c.column_name FROM information_schema.columns c
          JOIN information_schema.tables t
            ON t.table_name = c.table_name AND t.table_schema = c.table_schema
          JOIN pg_stat_user_tables s ON s.relname = c.table_name
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
           AND c.data_type IN ('text', 'character varying', 'jsonb') AND s.n_live_tup > 0
         ORDER BY 1, 2""")
    return [(table, column) for table, column in cr.fetchall()
            if (table, None) not in SECRET_STORAGE and (table, column) not in SECRET_STORAGE]
