"""'Connect to Etsy' end to end: Odoo's button, the sandbox's consent page, Odoo's callback."""

import re
import unittest
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..etsy.client import EtsyClient
from .common import MANAGER_GROUP
from .sandbox_common import (
    DEFAULT_KEYSTRING,
    DEFAULT_SHARED_SECRET,
    EtsySandbox,
    SandboxCase,
    require_sandbox,
)


@tagged("post_install", "-at_install")
class TestConnectFlow(HttpCase):
    @classmethod
    def setUpClass(cls):
        require_sandbox()
        super().setUpClass()
        cls.sandbox = EtsySandbox.seeded()
        cls.server = cls.sandbox.serve_in_thread()
        cls.addClassCleanup(cls.server.stop)
        cls.manager = new_test_user(
            cls.env,
            login="etsy_connect_manager",
            groups=f"{MANAGER_GROUP},sales_team.group_sale_manager",
        )

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.shop = self.env["etsy.shop"].create(
            {
                "name": "Connect me",
                "keystring": DEFAULT_KEYSTRING,
                "shared_secret": DEFAULT_SHARED_SECRET,
                "api_base_url": self.server.url,
                "oauth_base_url": self.server.url,
            }
        )
        self.authenticate("etsy_connect_manager", "etsy_connect_manager")

    def start(self):
        """Press 'Connect to Etsy' as the manager; returns Etsy's consent page URL."""
        action = self.shop.with_user(self.manager).action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(self.server.url + "/oauth/connect?"))
        return action["url"]

    def consent(self, url, decision):
        """What the seller's browser does on Etsy: open the page, click a button."""
        page = requests.get(url, timeout=10)
        self.assertEqual(page.status_code, 200)
        request_id = re.search(r"name='request_id' value='([^']+)'", page.text).group(1)
        answer = requests.post(
            self.server.url + "/oauth/connect",
            timeout=10,
            data={"request_id": request_id, "decision": decision},
            allow_redirects=False,
        )
        self.assertEqual(answer.status_code, 302)
        return answer.headers["Location"]

    def callback(self, location):
        """Etsy redirects the browser to Odoo's callback (same browser session)."""
        parts = urlsplit(location)
        self.assertEqual(parts.path, "/etsy_connector/oauth/callback")
        return self.url_open(f"{parts.path}?{parts.query}", allow_redirects=False)

    def test_connect_fills_the_shop_and_lands_on_its_form(self):
        url = self.start()
        query = parse_qs(urlsplit(url).query)
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(query["client_id"], [DEFAULT_KEYSTRING])
        self.assertNotIn(DEFAULT_SHARED_SECRET, url)
        response = self.callback(self.consent(url, "allow"))
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"/odoo/etsy-shops/{self.shop.id}"))
        self.shop.invalidate_recordset()
        seller = self.sandbox.seller
        self.assertEqual(self.shop.state, "connected")
        self.assertEqual(self.shop.etsy_shop_id, str(seller["shop_id"]))
        self.assertEqual(self.shop.etsy_user_id, str(seller["user_id"]))
        self.assertEqual(self.shop.etsy_shop_name, "WicksByWerby")
        self.assertEqual(self.shop.currency_id.name, "USD")
        self.assertTrue(self.shop.access_token.startswith(f"{seller['user_id']}."))
        self.assertGreater(self.shop.refresh_token_expires_at, self.shop.token_expires_at)
        token_call = self.sandbox.calls("oauthToken")
        self.assertEqual(
            token_call[-1]["content_type"].split(";")[0], "application/x-www-form-urlencoded"
        )
        self.assertIn(
            "Connected to the Etsy shop WicksByWerby",
            "\n".join(self.shop.message_ids.mapped("body")),
        )
        log = self.shop.sync_log_ids.filtered(lambda l: l.operation == "connect")
        self.assertEqual(log.state, "done")
        # Its listings and Etsy's reference data follow at once, in the background.
        for cron in ("ir_cron_import_listings", "ir_cron_sync_reference_data"):
            cron_id = self.env.ref(f"etsy_connector.{cron}").id
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron_id)]), cron)

    def test_replayed_callback_changes_nothing(self):
        location = self.consent(self.start(), "allow")
        self.assertEqual(self.callback(location).status_code, 303)
        self.shop.invalidate_recordset()
        tokens = (self.shop.access_token, self.shop.refresh_token)
        replay = self.callback(location)
        self.assertEqual(replay.status_code, 400)
        self.assertIn("already used", replay.text)
        self.shop.invalidate_recordset()
        self.assertEqual((self.shop.access_token, self.shop.refresh_token), tokens)

    def test_replayed_request_reuses_the_saved_tokens(self):
        """Odoo replays a request after a serialization failure: the code is not spent twice.

        The first attempt exchanged the code and saved the tokens in their own transaction,
        then its request failed (its own writes rolled back: the session is unused again and
        the shop still a draft); the replay must finish the connection with those tokens.
        """
        location = self.consent(self.start(), "allow")
        query = parse_qs(urlsplit(location).query)
        Session = self.env["etsy.oauth.session"].with_user(self.manager)
        session = Session._consume(query["state"][0])
        shop = self.shop.with_user(self.manager)
        # No savepoint around it: under tests every cursor shares one transaction, so rolling
        # back would also undo the tokens' own (simulated) commit.
        with (
            unittest.TestCase.assertRaises(self, RuntimeError),
            patch.object(EtsyClient, "get_shop",
                         side_effect=RuntimeError("could not serialize access")),
        ):
            shop._etsy_finish_oauth(session, query["code"][0])
        token = self.env["etsy.shop.token"]._for(self.shop)
        token.invalidate_recordset()  # written by a cursor of its own
        self.assertEqual(token.oauth_state_hash, session.sudo().state_hash,
                         "the tokens were saved, as this attempt's, before the failure")
        self.assertEqual(len(self.sandbox.calls("oauthToken")), 1)
        session.sudo().used = False  # the replay runs as if the first attempt never happened

        Session._consume(query["state"][0])
        shop._etsy_finish_oauth(session, query["code"][0])
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.state, "connected")
        self.assertEqual(self.shop.etsy_shop_name, "WicksByWerby")
        self.assertEqual(len(self.sandbox.calls("oauthToken")), 1, "the code was spent once")

    def test_wrong_credentials_are_caught_before_etsy(self):
        self.shop.shared_secret = "not-the-secret"
        refused = "Etsy refused the app's Keystring and Shared"
        with self.assertRaisesRegex(UserError, refused) as caught:
            self.shop.with_user(self.manager).action_connect()
        self.assertNotIn("not-the-secret", str(caught.exception))
        self.assertFalse(self.env["etsy.oauth.session"].search([("shop_id", "=", self.shop.id)]),
                         "nobody was sent to Etsy")

    def test_denied_access_changes_nothing(self):
        location = self.consent(self.start(), "deny")
        self.assertIn("error=access_denied", location)
        response = self.callback(location)
        self.assertEqual(response.status_code, 400)
        self.assertIn("declined access", response.text)
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.state, "draft")
        self.assertFalse(self.shop.sudo().refresh_token)

    def test_forged_state_is_refused(self):
        self.start()
        response = self.url_open(
            "/etsy_connector/oauth/callback?code=abc&state=forged", allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("invalid, expired or was already used", response.text)
        self.assertEqual(self.shop.state, "draft")

    def test_state_is_bound_to_the_user_who_started(self):
        location = self.consent(self.start(), "allow")
        new_test_user(self.env, login="other_manager", groups=MANAGER_GROUP)
        self.authenticate("other_manager", "other_manager")
        self.assertEqual(self.callback(location).status_code, 400)
        self.assertEqual(self.shop.state, "draft")


@tagged("post_install", "-at_install")
class TestConnectionButton(SandboxCase):
    def test_test_connection_says_it_works(self):
        answer = self.etsy_shop.action_test_connection()
        self.assertEqual(answer["params"]["type"], "success")
        self.assertIn("WicksByWerby", answer["params"]["message"])

    def test_test_connection_on_revoked_token_asks_to_reconnect(self):
        self.sandbox.revoke_tokens()
        self.sandbox.expire_access_tokens()
        answer = self.etsy_shop.action_test_connection()
        self.assertEqual(answer["params"]["type"], "danger")
        self.assertIn("Reconnect", answer["params"]["message"])
        self.assertEqual(self.etsy_shop.state, "error")
        self.assertNoSecret(answer["params"]["message"])
