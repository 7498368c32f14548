"""Fixtures shared by the Odoo tests of etsy_connector."""

import unittest

from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

from ..models.etsy_run import flow_lock_key

MANAGER_GROUP = "etsy_connector.group_etsy_manager"
USER_GROUP = "etsy_connector.group_etsy_user"

# Values shaped like the real ones, so the generic redaction patterns are exercised too.
ACCESS_TOKEN = "12345678.VJTv9qyjwJbYlARxdFmEEQaccess"
REFRESH_TOKEN = "12345678.JNGIJtvLmwfDMhlYoOJl8aLrefresh"
KEYSTRING = "1aa2bb33c44d55eeeeee6fff"
SHARED_SECRET = "7ggg8hhh9i"
WEBHOOK_URL = "https://discord.com/api/webhooks/1234567890/Zx9-webhook-token-abcdef"

SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, KEYSTRING, SHARED_SECRET, WEBHOOK_URL)


class EtsyCase(TransactionCase):
    """Two companies, an Etsy manager and an Etsy user of company A, one shop in each company.

    The registry is put in test mode (as ``HttpCase`` does), so that the sync log's own cursor
    is a test cursor inside this test's transaction.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))

        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Etsy Test Company B"})
        cls.manager = new_test_user(
            cls.env,
            login="etsy_manager",
            groups=MANAGER_GROUP,
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.user = new_test_user(
            cls.env,
            login="etsy_user",
            groups=USER_GROUP,
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.shop = cls.env["etsy.shop"].create(
            {
                "name": "Shop A",
                "company_id": cls.company_a.id,
                "keystring": KEYSTRING,
                "shared_secret": SHARED_SECRET,
                "discord_webhook_url": WEBHOOK_URL,
            }
        )
        cls.shop.write(
            {
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "etsy_shop_id": "5550001",
                "state": "connected",
            }
        )
        cls.shop_b = cls.env["etsy.shop"].create({"name": "Shop B", "company_id": cls.company_b.id})

    @property
    def main_shop(self):
        """The shop the test's runs are about."""
        return self.shop

    def flow_running(self, flow):
        """Another worker runs `flow` of the main shop: it holds the flow's lock on a
        connection of its own."""
        return HeldLock(self.env.cr.dbname, flow_lock_key(self.main_shop.id, flow))

    def assertRaisesKeepingWrites(self, exception):
        """``assertRaises`` without the savepoint Odoo's version rolls back on the exception.

        In test mode the sync log's cursor writes inside this test's transaction, so Odoo's
        ``assertRaises`` would undo the log along with the failed operation.
        """
        return unittest.TestCase.assertRaises(self, exception)

    def assertNoSecret(self, text):
        """Fail if ``text`` contains any of the test secrets."""
        for secret in SECRETS:
            self.assertNotIn(secret, text or "")


class HeldLock:
    """An advisory lock held on a connection of its own, like another worker's run."""

    def __init__(self, dbname, key):
        self.dbname, self.key = dbname, key

    def __enter__(self):
        self.cr = db_connect(self.dbname).cursor()
        self.cr.execute("SELECT pg_advisory_lock(%s)", [self.key])

    def __exit__(self, *exc):
        self.cr.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        self.cr.close()
