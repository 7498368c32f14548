"""Discord sale alerts through the outbox, posted over real HTTP to the sandbox's Discord sink."""

import datetime
import json

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.modules import neutralize

from ..const import DISCORD_DEFAULT_TEMPLATE
from .sandbox_common import SandboxCase, tagged

GIFS = ("https://media.example.com/party-1.gif", "https://media.example.com/party-2.gif")
LISTING_IMAGE = "https://i.etsystatic.com/il_fullxfull.tea.jpg"


@tagged("post_install", "-at_install")
class DiscordCase(SandboxCase):
    def setUp(self):
        super().setUp()
        self.sink = self.sandbox.discord
        self.webhook_url = self.sink.webhook_url(base=self.server.url)
        self.etsy_shop.discord_webhook_url = self.webhook_url
        self.tea = self.sandbox.world.seed_listings["tea"]
        self.etsy_shop.etsy_shop_name = "WicksByWerby"

    def sync(self):
        return self.etsy_shop._sync_etsy_orders(trigger="manual")

    def commit(self):
        """What the post-commit hook does once the import's transaction commits.

        The run committed on a cursor of its own, whose hooks a test cursor drops: send what
        its hook would, the messages queued and due (`_send_due`, the hook's own call).
        """
        self.env.flush_all()
        self.env.cr.postcommit.run()
        self.env["etsy.discord.message"]._send_due()
        self.env.invalidate_all()

    def messages(self, **domain):
        return self.env["etsy.discord.message"].search(
            [("shop_id", "=", self.etsy_shop.id)] + [(k, "=", v) for k, v in domain.items()])

    def sell(self, quantity=2):
        receipt = self.sandbox.buy(self.tea, quantity=quantity)
        self.sync()
        return receipt, self.order_of(receipt["receipt_id"])

    def make_due(self, messages):
        messages.write({"next_attempt_at": fields.Datetime.now() - datetime.timedelta(seconds=1)})


@tagged("post_install", "-at_install")
class TestOutbox(DiscordCase):
    def test_backfill_is_silent_and_a_new_sale_posts_exactly_once(self):
        self.sync()
        self.assertGreater(len(self.orders()), 10, "the seeded receipts were imported")
        self.assertFalse(self.messages(), "receipts older than 24 h are not announced")

        receipt, order = self.sell()
        message = self.messages()
        self.assertEqual((len(message), message.state, message.order_id), (1, "pending", order))
        self.assertFalse(self.sink.posts, "nothing is posted before the commit")
        self.commit()
        self.assertEqual(len(self.sink.posts), 1)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.discord_message_id, self.sink.posts[0]["message_id"])
        self.assertEqual(self.sink.posts[0]["query"], {"wait": "true"})

        # Re-imports, updates, a receipt imported by hand, the cron: still one post.
        self.sync()
        self.sandbox.ship_receipt(receipt["receipt_id"], tracking_code="1Z999")
        self.sync()
        self.etsy_shop.import_receipt_by_id(receipt["receipt_id"])
        self.commit()
        self.env["etsy.discord.message"]._cron_send_outbox()
        self.assertEqual(len(self.messages()), 1)
        self.assertEqual(len(self.sink.posts), 1)

    def test_a_second_worker_never_sends_a_claimed_message(self):
        self.sell()
        Message = self.env["etsy.discord.message"]
        claimed = Message._claim_next()
        self.assertEqual(Message.browse(claimed).state, "sending")
        self.assertEqual(Message._send_due(), 0, "the other worker finds nothing to send")
        self.assertEqual(self.sink.posts, [])
        self.assertEqual(Message.browse(claimed)._deliver(), 1)
        self.assertEqual(Message._send_due(), 0)
        self.commit()
        self.assertEqual(len(self.sink.posts), 1)
        self.assertEqual(Message.browse(claimed).attempt_count, 1)

    def test_the_same_order_is_queued_once(self):
        receipt, order = self.sell()
        again = self.env["etsy.discord.message"]._enqueue_new_order(
            self.etsy_shop, order, self.sandbox.receipt(receipt["receipt_id"]))
        self.assertFalse(again)
        self.assertEqual(len(self.messages()), 1)

    def test_rate_limit_then_recovery(self):
        self.sink.inject(429, count=2, retry_after=0.2)
        self.sell()
        self.commit()
        message = self.messages()
        self.assertEqual(message.state, "pending")
        self.assertEqual(message.attempt_count, 1)
        self.assertGreater(message.next_attempt_at, fields.Datetime.now())
        self.assertIn("rate-limited", message.last_error)
        self.assertEqual(len(self.sink.attempts), 2, "one bounded retry, then the outbox waits")
        self.env["etsy.discord.message"]._cron_send_outbox()
        self.assertFalse(self.sink.posts, "not before its next attempt")
        self.make_due(message)
        self.env["etsy.discord.message"]._cron_send_outbox()
        self.assertEqual((message.state, len(self.sink.posts)), ("sent", 1))
        self.assertEqual(message.attempt_count, 2)

    def test_outage_loses_nothing(self):
        self.sink.inject(503, count=4)
        __, order = self.sell()
        self.commit()
        message = self.messages()
        self.assertEqual(message.state, "pending")
        self.make_due(message)
        self.env["etsy.discord.message"]._cron_send_outbox()
        self.assertEqual(message.state, "pending", "still down: tried again later")
        self.assertGreater(message.next_attempt_at, fields.Datetime.now())
        self.make_due(message)
        self.env["etsy.discord.message"]._cron_send_outbox()
        self.assertEqual((message.state, len(self.sink.posts)), ("sent", 1))
        self.assertEqual(self.sink.posts[0]["payload"]["embeds"][0]["title"],
                         "2 × Earl Grey Tea Soy Candle")
        self.assertEqual(message.order_id, order)

    def test_deleted_webhook_waits_for_a_new_url(self):
        self.sink.register("123", "abc")
        self.sink.forget("123")
        self.sell()
        self.commit()
        message = self.messages()
        self.assertEqual(message.state, "failed")
        self.assertIn("paste a new webhook URL", message.last_error)
        self.sink.register("456", "new-token")
        self.etsy_shop.discord_webhook_url = self.sink.webhook_url("456", "new-token",
                                                                   base=self.server.url)
        self.commit()
        self.assertEqual((message.state, len(self.sink.posts)), ("sent", 1))
        self.assertEqual(self.sink.posts[0]["webhook_id"], "456")

    def test_switched_off_notifier_posts_nothing(self):
        self.etsy_shop.discord_enabled = False
        self.sell()
        self.commit()
        self.assertFalse(self.messages())
        self.assertFalse(self.sink.attempts)


@tagged("post_install", "-at_install")
class TestMessageContent(DiscordCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The Odoo product of the sold variant (SKU match), with its celebration GIFs.
        cls.tea_product = cls.env["product.product"].create({
            "name": "Teatime candle", "default_code": "WBW-TEA-4OZ", "type": "consu",
            "etsy_discord_gif_urls": "\n".join(GIFS) + "\n",
        })

    def payload(self):
        self.commit()
        self.assertEqual(len(self.sink.posts), 1)
        return self.sink.posts[0]["payload"]

    def test_default_message_embed_and_random_gif(self):
        self.etsy_shop.discord_username = "Werby bot"
        __, order = self.sell(quantity=2)
        payload = self.payload()
        self.assertEqual(DISCORD_DEFAULT_TEMPLATE, "🎉 {shop} just sold {items}!")
        self.assertEqual(payload["content"],
                         "🎉 WicksByWerby just sold 2 × Earl Grey Tea Soy Candle!")
        self.assertEqual(payload["username"], "Werby bot")
        embed, = payload["embeds"]
        self.assertEqual(embed["title"], "2 × Earl Grey Tea Soy Candle")
        self.assertEqual(embed["url"], f"https://www.etsy.com/listing/{self.tea}")
        self.assertIn(embed["image"]["url"], GIFS)
        self.assertEqual(embed["description"], "4 oz")
        self.assertEqual(embed["footer"]["text"], f"Order total: {order.etsy_grand_total:.2f} USD")

    def test_template_placeholders_and_hidden_amounts(self):
        self.etsy_shop.discord_template = (
            "{shop}: {quantity} items ({items}) for {total} {currency} {order_link} {unknown}")
        receipt, order = self.sell(quantity=3)
        self.assertEqual(self.payload()["content"], (
            f"WicksByWerby: 3 items (3 × Earl Grey Tea Soy Candle) for "
            f"{order.etsy_grand_total:.2f} USD "
            f"https://www.etsy.com/your/orders/sold?order_id={receipt['receipt_id']} {{unknown}}"))

        self.sink.reset()
        self.etsy_shop.discord_hide_amounts = True
        self.sell(quantity=1)
        payload = self.payload()
        self.assertNotIn(f"{order.etsy_grand_total:.2f}", json.dumps(payload))
        self.assertNotIn("footer", payload["embeds"][0])
        self.assertNotIn("USD", payload["content"])

    def test_no_buyer_data_reaches_discord(self):
        receipt, __ = self.sell()
        text = json.dumps(self.payload(), ensure_ascii=False)
        for key in ("name", "buyer_email", "first_line", "city", "zip", "formatted_address"):
            with self.subTest(field=key):
                self.assertNotIn(str(receipt[key]), text)
        self.assertNotIn(str(receipt["buyer_user_id"]), text)

    def test_mentions_in_shop_and_product_text_never_ping(self):
        receipt = self.sandbox.buy(self.tea, quantity=1)
        self.etsy_shop.write({"etsy_shop_name": "Wicks @everyone <@&42>",
                              "discord_max_order_age_hours": 0})
        self.sync()  # imported silently (window 0): the message is queued by hand below
        order = self.order_of(receipt["receipt_id"])
        receipt = self.sandbox.receipt(receipt["receipt_id"])
        receipt["transactions"][0]["title"] = "Candle @here for <@123456> in <#987>"
        self.etsy_shop.discord_max_order_age_hours = 24
        self.env["etsy.discord.message"]._enqueue_new_order(self.etsy_shop, order, receipt)
        payload = self.payload()
        self.assertEqual(payload["allowed_mentions"], {"parse": []})
        text = json.dumps(payload, ensure_ascii=False)
        for raw in ("@everyone", "@here", "<@&42>", "<@123456>", "<#987>"):
            with self.subTest(mention=raw):
                self.assertNotIn(raw, text)
        self.assertIn("Wicks", payload["content"])

    def test_hostile_buyer_text_never_reaches_discord(self):
        hostile = "<img src=x onerror=alert(1)>"
        self.sandbox.buy(self.tea, quantity=1, buyer={"name": f"{hostile} @everyone"},
                         gift_message=f"@everyone {hostile}",
                         message_from_buyer=f"{hostile} <@123456>")
        self.sync()
        payload = self.payload()
        text = json.dumps(payload, ensure_ascii=False)
        for raw in ("<img", "onerror", "@everyone", "<@123456>"):
            with self.subTest(raw=raw):
                self.assertNotIn(raw, text)
        self.assertEqual(payload["allowed_mentions"], {"parse": []})

    def test_fallback_to_the_listing_image_then_none(self):
        self.tea_product.etsy_discord_gif_urls = False
        self.sell()
        self.assertNotIn("image", self.payload()["embeds"][0], "no GIF, no listing: no image")

        self.sink.reset()
        self.env["etsy.listing"].create({
            "shop_id": self.etsy_shop.id, "etsy_listing_id": str(self.tea),
            "title": "Earl Grey Tea Soy Candle", "image_url": LISTING_IMAGE,
            "url": f"https://www.etsy.com/listing/{self.tea}/earl-grey",
        })
        self.sell()
        embed = self.payload()["embeds"][0]
        self.assertEqual(embed["image"]["url"], LISTING_IMAGE)
        self.assertEqual(embed["url"], f"https://www.etsy.com/listing/{self.tea}/earl-grey")

    def test_milestones(self):
        self.etsy_shop.write({"discord_milestones": True,
                              "discord_max_order_age_hours": 24 * 60})
        self.sync()
        self.assertEqual(len(self.messages(dedup_key="milestone:orders:10")), 1)
        for __ in range(3):
            self.sell(quantity=1)
        today = fields.Datetime.now().date()
        record = self.messages(dedup_key=f"milestone:day:{today}")
        self.assertEqual(len(record), 1)
        self.assertIn("Record day", record.summary)


@tagged("post_install", "-at_install")
class TestShopSettings(DiscordCase):
    def test_send_test_message(self):
        answer = self.etsy_shop.with_user(self.manager).action_discord_test()
        self.assertEqual(answer["params"]["type"], "success")
        self.assertIn("Test message", self.sink.posts[0]["payload"]["content"])

        self.sink.register("123", "other-token")
        answer = self.etsy_shop.with_user(self.manager).action_discord_test()
        self.assertEqual(answer["params"]["type"], "danger")
        self.assertIn("no longer exists", answer["params"]["message"])
        self.assertNotIn(self.webhook_url, json.dumps(answer))

    def test_webhook_url_is_validated_and_never_shown(self):
        with self.assertRaises(ValidationError) as caught:
            self.etsy_shop.discord_webhook_url = "https://evil.example/api/webhooks/1/secret-token"
        self.assertNotIn("secret-token", str(caught.exception))
        self.assertNotIn(self.webhook_url, self.etsy_shop._etsy_redact(
            f"posting to {self.webhook_url} failed"))
        self.sink.inject(500, count=4)
        self.sell()
        self.commit()
        self.assertIn("Internal Server Error", self.messages().last_error)
        self.assertNotIn("abc", self.messages().last_error)

    def test_neutralized_copy_posts_nowhere(self):
        self.etsy_shop.discord_ops_webhook_url = self.sink.webhook_url("9", "ops",
                                                                       base=self.server.url)
        self.sell()
        self.env.flush_all()
        for query in neutralize.get_neutralization_queries(["etsy_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertFalse(self.etsy_shop.sudo().discord_ops_webhook_url)
        self.env["etsy.discord.message"]._cron_send_outbox()
        self.assertEqual(self.messages().state, "cancelled")
        self.assertFalse(self.sink.attempts)
