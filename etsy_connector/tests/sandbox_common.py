"""A live Etsy sandbox on 127.0.0.1 for the Odoo tests, and a shop connected to it."""

import sys
import unittest
from pathlib import Path

from odoo.tests import tagged  # noqa: F401 - re-exported for the test modules

from .common import EtsyCase


def _import_sandbox():
    """The development sandbox (`etsy_sandbox/` beside the addon), or None where it is absent.

    It never ships with the addon: a production server that runs these tests skips them.
    """
    try:
        import etsy_sandbox
    except ImportError:
        repo = Path(__file__).resolve().parents[2]
        if not (repo / "etsy_sandbox" / "__init__.py").is_file():
            return None
        sys.path.insert(0, str(repo))
        import etsy_sandbox
    return etsy_sandbox


sandbox_module = _import_sandbox()
NO_SANDBOX = (
    "The Etsy sandbox is not installed: these tests need the repository's etsy_sandbox/ "
    "package beside etsy_connector/ (or on PYTHONPATH)."
)
if sandbox_module:
    DEFAULT_KEYSTRING = sandbox_module.DEFAULT_KEYSTRING
    DEFAULT_SHARED_SECRET = sandbox_module.DEFAULT_SHARED_SECRET
    EtsySandbox = sandbox_module.EtsySandbox


def require_sandbox():
    """Skip the calling test class when the sandbox is absent, saying why."""
    if sandbox_module is None:
        raise unittest.SkipTest(NO_SANDBOX)

# Seed receipts are dated within the last weeks of the sandbox clock; import all of them.
IMPORT_SINCE = "2000-01-01 00:00:00"


class SandboxCase(EtsyCase):
    """EtsyCase plus a seeded sandbox served over real HTTP and a shop connected to it."""


    @property
    def main_shop(self):
        return self.etsy_shop

    @classmethod
    def setUpClass(cls):
        require_sandbox()
        super().setUpClass()
        # EtsyCase's shop points at the real Etsy: keep it out of the crons run here.
        cls.shop.active = False
        cls.sandbox = EtsySandbox.seeded()
        cls.server = cls.sandbox.serve_in_thread()
        cls.addClassCleanup(cls.server.stop)
        cls.etsy_shop = cls.make_connected_shop("Etsy Sandbox Shop", cls.company_a)

    @classmethod
    def make_connected_shop(cls, name, company, seller=None):
        """A shop of `company` connected to `seller` (default: the seeded candle shop)."""
        shop = cls.env["etsy.shop"].create(
            {
                "name": name,
                "company_id": company.id,
                "keystring": DEFAULT_KEYSTRING,
                "shared_secret": DEFAULT_SHARED_SECRET,
                "api_base_url": cls.server.url,
                "oauth_base_url": cls.server.url,
                "import_orders_since": IMPORT_SINCE,
            }
        )
        cls.connect_with_fresh_tokens(shop, seller)
        return shop

    def setUp(self):
        super().setUp()
        # Each test gets Etsy's world as seeded, and fresh tokens (a rotation or revocation in
        # one test must not leak into the next, whose database was rolled back).
        self.sandbox.reset()
        self.connect_with_fresh_tokens(self.etsy_shop)

    @classmethod
    def connect_with_fresh_tokens(cls, shop, seller=None):
        seller = seller or cls.sandbox.seller
        tokens = cls.sandbox.issue_tokens(user_id=seller["user_id"])
        shop.write(
            {
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "etsy_shop_id": str(seller["shop_id"]),
                "etsy_user_id": str(seller["user_id"]),
                "state": "connected",
            }
        )

    def new_seller(self, name="BeeswaxBarn", currency_code="USD"):
        """A second Etsy seller with one listing (its id in seller['listing_id'])."""
        seller = self.sandbox.add_shop(name, currency_code=currency_code)
        seller["listing_id"] = self.sandbox.generate_listings(1, shop_id=seller["shop_id"])[0]
        return seller

    def orders(self, shop=None):
        return self.env["sale.order"].search([("etsy_shop_id", "=", (shop or self.etsy_shop).id)])

    def order_of(self, receipt_id, shop=None):
        return self.env["sale.order"].search(
            [
                ("etsy_shop_id", "=", (shop or self.etsy_shop).id),
                ("etsy_receipt_id", "=", str(receipt_id)),
            ]
        )
