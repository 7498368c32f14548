from odoo.modules import neutralize
from odoo.tests import tagged

from .common import EtsyCase


@tagged("post_install", "-at_install")
class TestNeutralize(EtsyCase):
    def test_neutralize_erases_secrets_and_disconnects(self):
        self.shop.write(
            {
                "token_expires_at": "2999-01-01 00:00:00",
                "refresh_token_expires_at": "2999-01-01 00:00:00",
                "etsy_shop_name": "HandmadeCups",
            }
        )
        self.env.flush_all()
        queries = list(neutralize.get_neutralization_queries(["etsy_connector"]))
        self.assertEqual(len(queries), 1)
        for query in queries:
            self.env.cr.execute(query)
        self.env.invalidate_all()

        for field_name in (
            "keystring",
            "shared_secret",
            "access_token",
            "refresh_token",
            "discord_webhook_url",
            "token_expires_at",
            "refresh_token_expires_at",
        ):
            self.assertFalse(self.shop[field_name], field_name)
        self.assertEqual(self.shop.state, "draft")
        self.assertFalse(self.shop.is_token_valid)
        # What identifies the shop is kept, so it can be reconnected.
        self.assertEqual(self.shop.etsy_shop_id, "5550001")
        self.assertEqual(self.shop.etsy_shop_name, "HandmadeCups")
