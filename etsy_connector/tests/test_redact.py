from odoo.tests import BaseCase, tagged

from odoo.addons.etsy_connector.models.redact import MASK, redact


@tagged("post_install", "-at_install")
class TestRedact(BaseCase):
    def test_known_secrets_are_removed_also_url_encoded(self):
        secret = "s3cret/with+chars"
        text = redact(f"a {secret} b s3cret%2Fwith%2Bchars c", secrets=[secret])
        self.assertEqual(text, f"a {MASK} b {MASK} c")

    def test_short_or_empty_secrets_are_ignored(self):
        self.assertEqual(redact("abc abc", secrets=["abc", "", None, False]), "abc abc")

    def test_secret_shapes_are_removed(self):
        cases = {
            "Authorization: Bearer 1.abc-def": "Authorization: Bearer ***",
            "{'x-api-key': 'key123:secret456', 'a': 1}": "{'x-api-key': '***', 'a': 1}",
            "x-api-key: key123:secret456 sent": "x-api-key: *** sent",
            "grant_type=refresh_token&refresh_token=99.abc&client_id=k": (
                "grant_type=refresh_token&refresh_token=***&client_id=k"
            ),
            '{"access_token": "55.xyz", "expires_in": 3600}': (
                '{"access_token": "***", "expires_in": 3600}'
            ),
            "token 12345678.VJTv9qyjwJbYlARxdFmEEQ expired": "token *** expired",
            "posted to https://discord.com/api/webhooks/123/AbC-dEf_9 failed": (
                "posted to [discord webhook] failed"
            ),
            "https://discordapp.com/api/v10/webhooks/1/x?wait=true": "[discord webhook]",
        }
        for raw, expected in cases.items():
            with self.subTest(raw=raw):
                self.assertEqual(redact(raw), expected)

    def test_ordinary_text_is_kept(self):
        text = "Receipt 3141592653 for listing 1.5 EUR, order SO042 (shop 12345678)"
        self.assertEqual(redact(text), text)

    def test_non_text_values(self):
        self.assertEqual(redact(None), "")
        self.assertEqual(redact(False), "")
        self.assertEqual(redact(ValueError("bad 1.abcdefghijklmnopqrstuvwxyz")), f"bad {MASK}")
