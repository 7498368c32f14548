"""Benchmark: Etsy receipts imported through the connector vs the bare ORM doing the same orders.

Run by `./setup/bench orders` (which makes a fresh database with etsy_connector installed):
    python setup/bench_orders.py <odoo source> <database> --addons-path=... [--receipts N]
Prints orders/s, SQL queries per order and Etsy API calls for both; asserts nothing.
"""

import sys
import time
from decimal import Decimal
from pathlib import Path

from bench_common import argument_parser, connected_shop, odoo_env

WARMUP = 20
# The sandbox lives beside the addon, at the repository's root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(argv):
    parser = argument_parser(__doc__)
    parser.add_argument("--receipts", type=int, default=1000)
    return parser.parse_args(argv)


def money(value):
    return float(Decimal(value["amount"]) / value["divisor"])


class Bench:
    def __init__(self, odoo, env, receipts):
        from etsy_sandbox import EtsySandbox

        self.odoo, self.env, self.count = odoo, env, receipts
        self.sandbox = EtsySandbox.seeded()
        self.server = self.sandbox.serve_in_thread()
        self.products = self._products_for_catalog()
        self.shop = connected_shop(env, self.sandbox, self.server,
                                   import_orders_since="2000-01-01 00:00:00")
        env.cr.commit()

    def _products_for_catalog(self):
        """One storable Odoo product per SKU of the sandbox catalogue (so lines match by SKU)."""
        skus = set()
        for listing_id in self.sandbox.world.seed_listings.values():
            for product in self.sandbox.inventory(listing_id)["products"]:
                if product.get("sku"):
                    skus.add(product["sku"])
        Product = self.env["product.product"]
        return {
            sku: Product.create(
                {"name": sku, "default_code": sku, "type": "consu", "is_storable": True}
            )
            for sku in sorted(skus)
        }

    def new_receipts(self, n):
        ids = self.sandbox.generate_receipts(n, lines=2)
        return [self.sandbox.receipt(receipt_id) for receipt_id in ids]

    def measure(self, function):
        sql = self.odoo.sql_db
        queries, started = sql.sql_counter, time.perf_counter()
        result = function()
        return time.perf_counter() - started, sql.sql_counter - queries, result

    # --- the connector --- #

    def connector_import(self):
        # Generated receipts are spread over the last 60 days: read the whole history.
        self.shop.last_order_sync = False
        # The run works on a cursor of its own: it must see (and not wait for) this write.
        self.env.cr.commit()
        log = self.shop._sync_etsy_orders(trigger="cron")
        self.env.cr.commit()  # a new snapshot: the run committed on a cursor of its own
        return log

    # --- the baseline: the same orders with the bare ORM --- #

    def baseline_orders(self, receipts):
        for done, receipt in enumerate(receipts, start=1):
            self._baseline_order(receipt)
            if done % 25 == 0:
                self.env.cr.commit()
        self.env.cr.commit()

    def _baseline_order(self, receipt):
        env, Command = self.env, self.odoo.Command
        country = env["res.country"].search([("code", "=", receipt["country_iso"])], limit=1)
        buyer = env["res.partner"].create(
            {"name": receipt["name"], "email": receipt["buyer_email"]}
        )
        shipping = env["res.partner"].create(
            {
                "parent_id": buyer.id,
                "type": "delivery",
                "name": receipt["name"],
                "street": receipt["first_line"],
                "city": receipt["city"],
                "zip": receipt["zip"],
                "country_id": country.id,
            }
        )
        lines = [
            Command.create(
                {
                    "product_id": self.products[tx["sku"]].id
                    if tx.get("sku") in self.products
                    else self.shop.placeholder_product_id.id,
                    "product_uom_qty": tx["quantity"],
                    "price_unit": money(tx["price"]),
                    "tax_id": [Command.clear()],
                }
            )
            for tx in receipt["transactions"]
        ]
        lines.append(
            Command.create(
                {
                    "product_id": self.shop.shipping_product_id.id,
                    "price_unit": money(receipt["total_shipping_cost"]),
                    "tax_id": [Command.clear()],
                }
            )
        )
        order = env["sale.order"].create(
            {
                "partner_id": buyer.id,
                "partner_shipping_id": shipping.id,
                "order_line": lines,
                "client_order_ref": str(receipt["receipt_id"]),
            }
        )
        # The same status handling as the connector: paid receipts confirmed, cancelled ones not,
        # and the delivery of a receipt Etsy already shipped validated (the shop's default).
        if receipt["status"] == "canceled":
            order._action_cancel()
        elif receipt["is_paid"]:
            order.action_confirm()
            order.date_order = self.odoo.fields.Datetime.now()
            if receipt["is_shipped"]:
                for picking in order.picking_ids:
                    for move in picking.move_ids:
                        move.quantity = move.product_uom_qty
                        move.picked = True
                    picking.button_validate()


def main(argv):
    args = parse_args(argv)
    odoo, env = odoo_env(args)
    bench = Bench(odoo, env, args.receipts)
    try:
        # Warm-up: caches, prepared plans, the first pricelist and team lookups (the connector
        # imports the 25 seed receipts, which the measured run then reads again as unchanged).
        bench.baseline_orders(
            [
                bench.sandbox.receipt(receipt_id)
                for receipt_id in list(bench.sandbox.world.seed_receipts.values())[:WARMUP]
            ]
        )
        bench.connector_import()

        receipts = bench.new_receipts(args.receipts)
        base_s, base_q, _ = bench.measure(lambda: bench.baseline_orders(receipts))
        n = args.receipts
        shop_domain = [("etsy_shop_id", "=", bench.shop.id)]
        receipts_after_warmup = env["sale.order"].search_count(shop_domain)
        conn_s, conn_q, log = bench.measure(bench.connector_import)
        imported = env["sale.order"].search_count(shop_domain) - receipts_after_warmup
        issues = env["etsy.receipt.issue"].search([("shop_id", "=", bench.shop.id)])
        reasons = issues.mapped("reason")
    finally:
        bench.server.stop()
        env.cr.close()

    base_rate, conn_rate = n / base_s, imported / conn_s
    print(
        f"orders benchmark: {n} generated receipts (new buyers, 2 lines, shipping), "
        f"sandbox over HTTP on 127.0.0.1"
    )
    print(
        f"  bare ORM   : {n} orders in {base_s:6.1f} s = {base_rate:5.1f} orders/s, "
        f"{base_q / n:5.1f} queries/order"
    )
    print(
        f"  connector  : {imported} orders in {conn_s:6.1f} s = {conn_rate:5.1f} orders/s, "
        f"{conn_q / max(imported, 1):5.1f} queries/order, {log.api_calls} API calls, "
        f"{log.counts['failed']} failed"
    )
    for reason in sorted(set(reasons))[:5]:
        print(f"  failure    : {reason}")
    print(
        f"  ratio      : {conn_rate / base_rate:.2f} (goal >= 1.00); query overhead "
        f"{conn_q / max(imported, 1) - base_q / n:+.1f}/order (goal <= +15)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
