"""Run the sandbox: `python -m etsy_sandbox --port 8765 [--host 127.0.0.1] [--seed candle|empty]
[--auto-approve]` from the repository root. Prints the URL and the default app credentials."""

import argparse
import sys

from . import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, EtsySandbox


def main(argv=None):
    """Parse arguments, start serving, block until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m etsy_sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", choices=("candle", "empty"), default="candle")
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
