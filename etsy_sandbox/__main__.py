"""Run the Etsy sandbox until Ctrl-C: `python -m etsy_sandbox [--port 8765] [--host 127.0.0.1]
[--seed candle|empty] [--auto-approve] [--quiet]`, from the repository root. Prints its URLs, the
default app credentials and the Discord sink's webhook URL; drive it with
`POST /_sandbox/<action>` (buy, cancel_receipt, inject_fault, ...)."""

import argparse
import sys

from . import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, EtsySandbox


def main(argv=None):
    """Parse arguments, start serving, block until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m etsy_sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="default: 8765 (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument(
        "--seed",
        choices=("candle", "empty"),
        default="candle",
        help="candle (default): WicksByWerby with listings and receipts; empty: no listings",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="approve OAuth requests without showing the consent page",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log line per request")
    args = parser.parse_args(argv)
    sandbox = EtsySandbox.seeded() if args.seed == "candle" else EtsySandbox()
    sandbox.auto_approve = args.auto_approve
    server = sandbox.serve_in_thread(args.host, args.port, quiet=args.quiet)
    seller = sandbox.seller
    print(f"Etsy sandbox listening on {server.url}", flush=True)
    print(f"  API base       {server.url}/v3/application", flush=True)
    print(f"  authorize      {server.url}/oauth/connect", flush=True)
    print(f"  keystring      {DEFAULT_KEYSTRING}", flush=True)
    print(f"  shared secret  {DEFAULT_SHARED_SECRET}", flush=True)
    print(f"  seller         user_id={seller['user_id']} shop_id={seller['shop_id']}", flush=True)
    print(f"  discord sink   {sandbox.discord.webhook_url(base=server.url)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
