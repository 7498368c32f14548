"""Benchmark: listing import and stock push of a 2,000-listing shop (a third with variations).

Run by `./setup/bench inventory` (which makes a fresh database with etsy_connector installed):
    python setup/bench_inventory.py <odoo source> <database> --addons-path=... [--listings N]
Prints, for a full listing import (and a second one), a push with no change and a push after
20 stock changes: seconds, API calls, listing reads and writes. Goals: no-change run 0 writes
and <= 20 reads; 20 changes <= 20 writes. The sandbox keeps Etsy's default 10 calls per second.
"""

import random
import sys
import time

from bench_common import argument_parser, connected_shop, odoo_env

WRITES = ("updateListingInventory", "updateListing")
LISTING_READS = ("getListingsByShop", "getListingsInventoryByListingIds",
                 "getListingsByListingIds", "getListingInventory", "getListing")


def parse_args(argv):
    parser = argument_parser(__doc__)
    parser.add_argument("--listings", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=20)
    return parser.parse_args(argv)


class Bench:
    def __init__(self, odoo, env, listings):
        from etsy_sandbox import EtsySandbox

        self.odoo, self.env = odoo, env
        self.sandbox = EtsySandbox.seeded()
        self.generated = self.sandbox.generate_listings(listings, variation_ratio=1 / 3)
        self.server = self.sandbox.serve_in_thread()
        self.shop = connected_shop(env, self.sandbox, self.server)
        self.shop.last_order_sync = odoo.fields.Datetime.now()
        self.location = self.shop.warehouse_id.lot_stock_id
        env.cr.commit()

    def catalogue(self):
        """One storable Odoo product per SKU of the generated listings, stocked as on Etsy."""
        quantities = {}
        for listing_id in self.generated:
            for product in self.sandbox.inventory(listing_id)["products"]:
                quantities[product["sku"]] = product["offerings"][0]["quantity"]
        products = self.env["product.product"].create([
            {"name": sku, "default_code": sku, "type": "consu", "is_storable": True}
            for sku in sorted(quantities)])
        Quant = self.env["stock.quant"]
        for product in products:
            if quantities[product.default_code]:
                Quant._update_available_quantity(product, self.location,
                                                 quantities[product.default_code])
        self.env.cr.commit()
        return len(products)

    def run(self, label, function):
        self.sandbox.clear_journal()
        started = time.perf_counter()
        log = function()
        seconds = time.perf_counter() - started
        self.env.cr.commit()  # a new snapshot: the run committed on a cursor of its own
        journal = self.sandbox.journal
        reads = sum(1 for call in journal if call["operation"] in LISTING_READS)
        writes = sum(1 for call in journal if call["operation"] in WRITES)
        message = log.message  # the run's summary, as its log records it
        print(f"  {label:30s} {seconds:6.1f} s  {len(journal):4d} API calls  "
              f"{reads:4d} listing reads  {writes:3d} writes  {log.counts['failed']} failed")
        print(f"  {'':30s} log: {message}")
        return reads, writes

    def change_stock(self, count):
        """Inventory adjustments on one product of `count` different listings."""
        bindings = self.env["etsy.product"].search([("shop_id", "=", self.shop.id),
                                                    ("link_state", "=", "linked")])
        by_listing = {}
        for binding in bindings:
            by_listing.setdefault(binding.listing_id.id, binding)
        chosen = random.Random(5).sample(sorted(by_listing), count)
        for listing_id in chosen:
            product = by_listing[listing_id].product_id
            self.env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": product.id, "location_id": self.location.id,
                "inventory_quantity": product.with_context(
                    location=self.location.id).qty_available + 3,
            }).action_apply_inventory()
        self.env.cr.commit()


def main(argv):
    args = parse_args(argv)
    odoo, env = odoo_env(args)
    bench = Bench(odoo, env, args.listings)
    shop = bench.shop
    try:
        started = time.perf_counter()
        variants = bench.catalogue()
        print(f"inventory benchmark: {args.listings + len(bench.sandbox.world.seed_listings)} "
              f"listings ({args.listings} generated, a third with 6 variations), {variants} "
              f"Odoo variants stocked as on Etsy in {time.perf_counter() - started:.1f} s; "
              f"sandbox over HTTP on 127.0.0.1 at 10 calls/s")
        bench.run("full listing import", lambda: shop._etsy_import_listings(trigger="manual"))
        bench.run("listing import again", lambda: shop._etsy_import_listings(trigger="manual"))
        idle_reads, idle_writes = bench.run(
            "push, nothing changed", lambda: shop._sync_etsy_inventory(trigger="manual"))
        bench.change_stock(args.changes)
        __, change_writes = bench.run(
            f"push after {args.changes} stock changes",
            lambda: shop._sync_etsy_inventory(trigger="manual"))
        again_reads, again_writes = bench.run(
            "push again, nothing changed", lambda: shop._sync_etsy_inventory(trigger="manual"))
    finally:
        bench.server.stop()
        env.cr.close()
    print(f"  goals: no-change writes {idle_writes}+{again_writes} (= 0), reads "
          f"{max(idle_reads, again_reads)} (<= 20); {args.changes} changes: {change_writes} "
          f"writes (<= {args.changes})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
