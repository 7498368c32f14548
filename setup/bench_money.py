"""Benchmark: a year of a 10,000-order shop's Etsy Payment Account booked by the ledger flow.

Run by `./setup/bench money` (which makes a fresh database with etsy_connector installed):
    python setup/bench_money.py <odoo source> <database> --addons-path=... [--receipts N]
Prints the first run's time and SQL queries per ledger entry, then the Etsy calls, time and
queries of a run with nothing new; asserts nothing.
"""

import sys
import time
from pathlib import Path

from bench_common import argument_parser, connected_shop, odoo_env


def parse_args(argv):
    parser = argument_parser(__doc__)
    parser.add_argument("--receipts", type=int, default=10000)
    parser.add_argument("--days", type=int, default=365)
    return parser.parse_args(argv)


def measure(odoo, function):
    queries, started = odoo.sql_db.sql_counter, time.perf_counter()
    result = function()
    return time.perf_counter() - started, odoo.sql_db.sql_counter - queries, result


def main(argv):
    args = parse_args(argv)
    odoo, env = odoo_env(args)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's sandbox
    from etsy_sandbox import EtsySandbox

    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    sandbox = EtsySandbox.seeded()
    sandbox.set_rate_limits(per_second=1_000_000, per_day=1_000_000_000)
    server = sandbox.serve_in_thread()
    started = time.perf_counter()
    sandbox.generate_receipts(args.receipts, lines=2, days=args.days)
    entries = len(sandbox.ledger_entries())
    print(f"sandbox: {args.receipts} receipts over {args.days} days -> {entries} ledger entries "
          f"({time.perf_counter() - started:.1f} s to generate)")
    since = odoo.fields.Datetime.subtract(odoo.fields.Datetime.now(), days=args.days + 2)
    shop = connected_shop(env, sandbox, server, import_orders_since=since)
    env.cr.commit()
    sandbox.clear_journal()

    seconds, queries, _ = measure(odoo, lambda: shop._sync_etsy_ledger(trigger="cron"))
    env.cr.commit()
    booked = env["etsy.ledger.entry"].search_count([("shop_id", "=", shop.id)])
    calls = len(sandbox.journal)
    print(f"first run: {booked} entries booked in {seconds:.1f} s, {queries} queries, "
          f"{calls} Etsy calls")
    print(f"  per ledger entry: {1000 * seconds / max(booked, 1):.2f} ms, "
          f"{queries / max(booked, 1):.2f} queries")
    shop.invalidate_recordset()
    print(f"  Etsy balance {shop.ledger_etsy_balance:.2f}, Etsy journal "
          f"{shop.ledger_journal_balance:.2f}, difference {shop.ledger_difference:.2f}")

    sandbox.clear_journal()
    seconds, queries, _ = measure(odoo, lambda: shop._sync_etsy_ledger(trigger="cron"))
    env.cr.commit()
    by_operation = {}
    for entry in sandbox.journal:
        by_operation[entry["operation"]] = by_operation.get(entry["operation"], 0) + 1
    print(f"run with nothing new: {sum(by_operation.values())} Etsy calls {by_operation}, "
          f"{seconds:.2f} s, {queries} queries")
    server.stop()
    env.cr.close()


if __name__ == "__main__":
    main(sys.argv[1:])
