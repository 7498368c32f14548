"""How many requests per second the sandbox serves over 127.0.0.1 to one requests.Session.

    python -m etsy_sandbox.bench [--seconds 2] [--receipts 2000] [--listings 200]

Two loops of a few seconds each: getShopReceipts pages of 100 (walking the offsets) and
getListingInventory (cycling through the listings). Rate limits are lifted for the run.
"""

import argparse
import itertools
import time

import requests

from . import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, EtsySandbox


def _rate(session, urls_and_params, seconds):
    """Requests per second while cycling through (url, params) for `seconds`."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    for url, params in itertools.cycle(urls_and_params):
        response = session.get(url, params=params, timeout=10)
        response.raise_for_status()
        done += 1
        if time.perf_counter() >= deadline:
            break
    return done / (time.perf_counter() - started)


def run(seconds=2.0, receipts=2000, listings=200):
    """Measure both loops; returns {label: requests per second}."""
    sandbox = EtsySandbox.seeded()
    sandbox.generate_listings(listings)
    sandbox.generate_receipts(receipts)
    sandbox.set_rate_limits(per_second=10**9, per_day=10**12)
    shop_id = sandbox.seller["shop_id"]
    with sandbox.serve_in_thread() as server, requests.Session() as session:
        session.headers["x-api-key"] = f"{DEFAULT_KEYSTRING}:{DEFAULT_SHARED_SECRET}"
        session.headers["Authorization"] = f"Bearer {sandbox.issue_tokens()['access_token']}"
        base = f"{server.url}/v3/application"
        total = len(sandbox.world.shops[shop_id].receipt_ids)
        pages = [
            (f"{base}/shops/{shop_id}/receipts", {"limit": 100, "offset": offset})
            for offset in range(0, total, 100)
        ]
        inventories = [
            (f"{base}/listings/{listing_id}/inventory", None)
            for listing_id in sandbox.world.shops[shop_id].listing_ids
        ]
        return {
            "getShopReceipts (pages of 100)": _rate(session, pages, seconds),
            "getListingInventory": _rate(session, inventories, seconds),
        }


def main(argv=None):
    """Print the two figures."""
    parser = argparse.ArgumentParser(prog="python -m etsy_sandbox.bench")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--receipts", type=int, default=2000)
    parser.add_argument("--listings", type=int, default=200)
    args = parser.parse_args(argv)
    for label, rate in run(args.seconds, args.receipts, args.listings).items():
        print(f"{label:32s} {rate:8.0f} requests/s")


if __name__ == "__main__":
    main()
