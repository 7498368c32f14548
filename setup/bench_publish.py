"""Benchmark: publishing 200 products (6 variants, 2 images each) as active Etsy listings.

Run by `./setup/bench publish` (which makes a fresh database with etsy_connector installed):
    python setup/bench_publish.py <odoo source> <database> --addons-path=... [--templates N]
Prints, at Etsy's default 10 calls per second: calls per listing, time per listing, the calls
of an update run with no change (goal 0), and of one after 10 price changes (goal 10).
"""

import base64
import sys
import time
from collections import Counter
from pathlib import Path

from bench_common import argument_parser, connected_shop, odoo_env


def parse_args(argv):
    parser = argument_parser(__doc__)
    parser.add_argument("--templates", type=int, default=200)
    parser.add_argument("--changes", type=int, default=10)
    return parser.parse_args(argv)


def make_templates(env, shop, count):
    """`count` templates of 3 colours x 2 sizes, a main and an extra image, stock, SKUs."""
    from etsy_sandbox.app import tiny_png

    Command = __import__("odoo").Command
    color = env["product.attribute"].create({"name": "Color", "value_ids": [
        Command.create({"name": name}) for name in ("Red", "Blue", "Green")]})
    size = env["product.attribute"].create({"name": "Size", "value_ids": [
        Command.create({"name": name}) for name in ("S", "M")]})
    location = shop.warehouse_id.lot_stock_id
    templates = env["product.template"]
    for index in range(count):
        extra = env["ir.attachment"].create({"name": f"back{index}.png",
                                             "raw": tiny_png((index % 256, 20, 30))})
        template = env["product.template"].create({
            "name": f"Organic tee {index}", "list_price": 20 + index % 7, "is_storable": True,
            "description_sale": "Soft organic cotton.", "etsy_tags": "tee, organic",
            "image_1920": base64.b64encode(tiny_png((200, index % 256, 10))),
            "etsy_image_ids": [Command.set(extra.ids)],
            "attribute_line_ids": [Command.create({
                "attribute_id": attribute.id,
                "value_ids": [Command.set(attribute.value_ids.ids)]})
                for attribute in (color, size)],
        })
        for rank, variant in enumerate(template.product_variant_ids):
            variant.default_code = f"TEE-{index}-{rank}"
            env["stock.quant"]._update_available_quantity(variant, location, 5 + rank)
        templates |= template
    return templates


def run(sandbox, label, function, listings):
    sandbox.clear_journal()
    started = time.perf_counter()
    log, _result = function()
    seconds = time.perf_counter() - started
    calls = Counter(entry["operation"] for entry in sandbox.journal)
    total = sum(calls.values())
    per = f"{total / listings:5.2f} calls/listing  {seconds / listings:5.2f} s/listing" \
        if listings else ""
    print(f"  {label:34s} {seconds:7.1f} s  {total:5d} API calls  {per}")
    print(f"  {'':34s} {dict(sorted(calls.items()))}")
    print(f"  {'':34s} log: {log.message} ({log.counts['failed']} failed)")
    return total


def main(argv):
    args = parse_args(argv)
    _odoo, env = odoo_env(args)
    # The sandbox lives at the repository's root, beside the addon.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from etsy_sandbox import EtsySandbox  # noqa: I001 - importable once the root is on the path

    from odoo.addons.etsy_connector.models.etsy_run import run_flow
    from odoo.addons.etsy_connector.models.flow_publish import ListingPublish, ListingUpdate

    sandbox = EtsySandbox.seeded()  # Etsy's default limits: 10 calls/s, 10,000 a day
    server = sandbox.serve_in_thread()
    try:
        shop = connected_shop(env, sandbox, server)
        env.company.country_id = env.ref("base.us")
        env.cr.commit()  # each run works on a cursor of its own: it must see the shop
        shop.action_sync_etsy_reference_data()
        env.cr.commit()  # a new snapshot, with what the run committed
        shop.default_taxonomy_id = env["etsy.taxonomy"].search(
            [("etsy_taxonomy_id", "=", 449)])
        started = time.perf_counter()
        templates = make_templates(env, shop, args.templates)
        env.cr.commit()
        print(f"publish benchmark: {len(templates)} templates x 6 variants x 2 images made in "
              f"{time.perf_counter() - started:.1f} s; sandbox over HTTP at 10 calls/s")
        publish = run(sandbox, "publish + activate", lambda: run_flow(
            shop, ListingPublish, "manual", template_ids=templates.ids, activate=True),
            len(templates))
        again = run(sandbox, "publish again (nothing to do)", lambda: run_flow(
            shop, ListingPublish, "manual", template_ids=templates.ids, activate=True),
            len(templates))
        idle = run(sandbox, "update run, no change", lambda: run_flow(
            shop, ListingUpdate, "cron"), len(templates))
        for template in templates[:args.changes]:
            template.list_price += 1
        env.cr.commit()
        changed = run(sandbox, f"update run, {args.changes} price changes", lambda: run_flow(
            shop, ListingUpdate, "cron"), len(templates))
        products = env["etsy.product"].search_count([("shop_id", "=", shop.id)])
    finally:
        server.stop()
        env.cr.close()
    print(f"  result: {publish / len(templates):.2f} calls per listing; {products} Etsy "
          f"products bound; publish again {again} calls; update with no change {idle} calls "
          f"(goal 0); {args.changes} price changes {changed} calls (goal {args.changes})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
