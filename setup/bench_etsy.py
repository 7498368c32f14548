"""Benchmark of the pure Etsy layer (no Odoo): the sandbox's throughput and the client's cost.

    ./setup/bench etsy [--calls 2000]

1. Requests per second the local sandbox serves to one requests.Session (pages of receipts,
   listing inventories).
2. The EtsyClient's overhead per call over a bare `requests` call doing the same request
   (getShopReceipt, same headers, same sandbox): what headers, throttle, error mapping and
   JSON decoding cost. Prints figures; asserts nothing.
"""

import argparse
import json
import os
import statistics
import sys
import time

PURE_PYTHON = True  # setup/bench runs this without an Odoo database

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "etsy_connector"))

import requests
from etsy.client import EtsyClient

from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, EtsySandbox
from etsy_sandbox import bench as sandbox_bench

ROUNDS = 5


def per_call_seconds(calls, *functions):
    """For each function, the median over ROUNDS of its mean seconds per call (interleaved)."""
    means = [[] for _ in functions]
    for _round in range(ROUNDS):
        for index, function in enumerate(functions):
            started = time.perf_counter()
            for _ in range(calls):
                function()
            means[index].append((time.perf_counter() - started) / calls)
    return [statistics.median(m) for m in means]


def client_overhead(calls):
    sandbox = EtsySandbox.seeded()
    sandbox.set_rate_limits(per_second=10**9, per_day=10**12)
    tokens = sandbox.issue_tokens()
    shop_id = sandbox.seller["shop_id"]
    receipt_id = next(iter(sandbox.world.seed_receipts.values()))
    with sandbox.serve_in_thread() as server, requests.Session() as session:
        session.headers.update({
            "x-api-key": f"{DEFAULT_KEYSTRING}:{DEFAULT_SHARED_SECRET}",
            "Authorization": f"Bearer {tokens['access_token']}",
        })
        url = f"{server.url}/v3/application/shops/{shop_id}/receipts/{receipt_id}"

        def bare():
            response = session.get(url, timeout=30)
            response.raise_for_status()
            # json.loads on the bytes, as the client does (requests' .json() guesses a charset).
            return json.loads(response.content)

        client = EtsyClient(DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET,
                            access_token=tokens["access_token"],
                            refresh_token=tokens["refresh_token"], api_base_url=server.url)
        bare(), client.get_shop_receipt(shop_id, receipt_id)  # warm up both
        bare_s, client_s = per_call_seconds(
            calls, bare, lambda: client.get_shop_receipt(shop_id, receipt_id))
    return bare_s, client_s


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args(argv)
    print("sandbox throughput (one requests.Session over 127.0.0.1):")
    for label, rate in sandbox_bench.run(seconds=2.0).items():
        print(f"  {label:32s} {rate:8.0f} requests/s")
    bare_s, client_s = client_overhead(args.calls)
    print(f"client overhead, getShopReceipt x {args.calls} x {ROUNDS} rounds (median):")
    print(f"  bare requests   : {bare_s * 1e3:7.3f} ms/call")
    print(f"  EtsyClient      : {client_s * 1e3:7.3f} ms/call")
    print(f"  overhead        : {(client_s - bare_s) * 1e6:+7.0f} us/call "
          f"({(client_s / bare_s - 1) * 100:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
