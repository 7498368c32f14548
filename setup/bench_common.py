"""What the Odoo benchmarks share: their command line, an Odoo environment, a sandbox shop."""

import argparse
import sys
from pathlib import Path

# The development sandbox (etsy_sandbox/) is a top-level package of the repository.
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def argument_parser(description):
    """The arguments setup/bench passes to every Odoo benchmark; add your own to it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("odoo_src")
    parser.add_argument("database")
    parser.add_argument("--addons-path", required=True)
    return parser


def odoo_env(args):
    """(odoo, a superuser Environment on a new cursor of the benchmark's database)."""
    sys.path.insert(0, args.odoo_src)
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"],
        setup_logging=True,
    )
    registry = Registry(args.database)
    return odoo, odoo.api.Environment(registry.cursor(), odoo.SUPERUSER_ID,
                                      {"tracking_disable": True})


def connected_shop(env, sandbox, server, **values):
    """An etsy.shop connected to the sandbox's seller (tokens issued directly)."""
    from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

    tokens = sandbox.issue_tokens()
    shop = env["etsy.shop"].create({
        "name": "Bench shop",
        "keystring": DEFAULT_KEYSTRING,
        "shared_secret": DEFAULT_SHARED_SECRET,
        "api_base_url": server.url,
        "oauth_base_url": server.url,
        **values,
    })
    shop.write({"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                "state": "connected", "etsy_shop_id": str(sandbox.seller["shop_id"])})
    return shop
