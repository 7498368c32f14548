"""The Discord outbox: one row per message to post, written in the same transaction as its cause.

Why an outbox: the order and its announcement must agree. The row is created with the order, so
a rolled-back import announces nothing, and a committed one is never forgotten, even when Discord
is down. Rows are posted after the commit (a post-commit hook) and by a cron, with backoff.

Why it never posts twice: a row is *claimed* (pending -> sending) and that claim is committed on a
cursor of its own *before* the HTTP call; the result (Discord's message id, or the next attempt)
is written by another short transaction afterwards. A second worker cannot claim a row that is
sending or sent, a re-imported order finds its row by ``dedup_key`` (unique per shop), and a post
whose outcome is unknown (read timeout, crash mid-send) is left for a person to decide on.
"""

import datetime
import logging
import random
import re
from urllib.parse import urlsplit

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from ..const import (
    DISCORD_DEFAULT_TEMPLATE,
    DISCORD_EMBED_COLOR,
    DISCORD_MAX_BACKOFF,
    DISCORD_MAX_EMBEDS,
    DISCORD_SEND_BATCH,
    DISCORD_STALE_CLAIM,
    ETSY_LISTING_URL,
    ETSY_ORDER_URL,
)
from ..etsy.discord import (
    DiscordError,
    DiscordRateLimitError,
    DiscordUnknownOutcomeError,
    DiscordWebhookGoneError,
    image_embed,
)
from .flow_notify import ShopDiscord
from .user_messages import user_text

_logger = logging.getLogger(__name__)

_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
# User and role mentions and channel links: "<@123>", "<@!123>", "<@&123>", "<#123>".
_MENTION_RE = re.compile(r"<([@#][!&]?)(\d+)>")
ZERO_WIDTH_SPACE = "\u200b"


def render_template(template, values):
    """Replace ``{name}`` placeholders by ``values``; unknown ones stay as typed.

    A plain substitution, not ``str.format``: shop text must not reach attributes or indexes.
    """
    return _PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), template or "")


def break_mentions(text):
    """Make user/role/channel mentions inert text (allowed_mentions already stops pings)."""
    return _MENTION_RE.sub(lambda m: f"<{ZERO_WIDTH_SPACE}{m.group(1)}{m.group(2)}>", text or "")


def is_public_url(url):
    """True for an http(s) URL a Discord client can load (not a loopback or data URL)."""
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class EtsyDiscordMessage(models.Model):
    """One Discord message to post (a new order, a milestone, an ops alert) and its outcome."""

    _name = "etsy.discord.message"
    _description = "Etsy Discord Message"
    _order = "id desc"

    _sql_constraints = [
        ("dedup_key_uniq", "unique(shop_id, dedup_key)",
         "This Discord message is already queued for this shop."),
    ]

    shop_id = fields.Many2one("etsy.shop", required=True, readonly=True, index=True,
                              ondelete="cascade")
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("order", "New order"), ("milestone", "Milestone"), ("alert", "Ops alert")],
        required=True, readonly=True, default="order")
    channel = fields.Selection(
        [("sales", "Sales channel"), ("ops", "Ops channel")], required=True, readonly=True,
        default="sales", help="Which of the shop's webhooks receives the message.")
    dedup_key = fields.Char(required=True, readonly=True,
                            help="What the message is about, e.g. 'order:<receipt>': one row each.")
    order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null",
                               ondelete="set null")
    etsy_receipt_id = fields.Char(string="Etsy receipt", readonly=True)
    payload = fields.Json(readonly=True, help="The message as posted: text and embeds only.")
    summary = fields.Char(readonly=True, help="The message text, for lists.")
    state = fields.Selection(
        [("pending", "To send"), ("sending", "Sending"), ("sent", "Sent"),
         ("unknown", "Outcome unknown"), ("failed", "Failed"), ("cancelled", "Cancelled")],
        required=True, readonly=True, default="pending", index=True,
        help="To send: waiting for its next attempt.\n"
             "Outcome unknown: Discord did not confirm; check the channel, then 'Send again' "
             "or 'Cancel'.\nFailed: the webhook is gone; it is sent again once a new webhook "
             "URL is saved on the shop.")
    attempt_count = fields.Integer(string="Attempts", readonly=True, default=0)
    next_attempt_at = fields.Datetime(readonly=True, index=True, default=fields.Datetime.now)
    claimed_at = fields.Datetime(readonly=True)
    sent_at = fields.Datetime(readonly=True)
    discord_message_id = fields.Char(string="Discord message ID", readonly=True, copy=False)
    last_error = fields.Text(readonly=True)

    # === ENQUEUE === #

    @api.model
    def _enqueue_new_order(self, shop, order, receipt):
        """Queue the announcement of a newly imported order (same transaction as the order).

        Nothing is queued when the shop's notifier is off or the order is older than the
        shop's announcement window (a historic backfill).
        :return: the new message, or an empty recordset.
        """
        discord = ShopDiscord(shop)
        if not discord.announces(order):
            return self.browse()
        content, embeds = self._render_order(shop, order, receipt)
        message = self._enqueue(shop, f"order:{receipt['receipt_id']}", content, embeds,
                                kind="order", order=order)
        if message:
            discord.queue_milestones(order)
        return message

    @api.model
    def _enqueue(self, shop, key, content, embeds=None, kind="order", channel="sales",
                 order=None):
        """Create a pending message (unless one with ``key`` exists) and send it after commit."""
        if self.search_count([("shop_id", "=", shop.id), ("dedup_key", "=", key)]):
            return self.browse()
        message = self.sudo().create({
            "shop_id": shop.id,
            "kind": kind,
            "channel": channel,
            "dedup_key": key,
            "order_id": order.id if order else False,
            "etsy_receipt_id": order.etsy_receipt_id if order else False,
            "payload": {"content": content, "embeds": embeds or []},
            "summary": content[:200],
        })
        message._send_after_commit()
        return message

    # === RENDERING (no buyer data: only shop, items, amounts and links) === #

    @api.model
    def _render_order(self, shop, order, receipt):
        """The text and embeds announcing ``order``; never the buyer's name, address or email."""
        transactions = receipt.get("transactions") or []
        an_item = self.env._("an item")
        items = [(tx.get("quantity") or 1, break_mentions(tx.get("title") or an_item), tx)
                 for tx in transactions]
        currency = order.currency_id
        hide = shop.discord_hide_amounts
        total = "" if hide else currency.round(order.etsy_grand_total or order.amount_total)
        values = {
            "shop": break_mentions(shop.etsy_shop_name or shop.name),
            "items": ", ".join(f"{qty} × {title}" for qty, title, __ in items),
            "quantity": sum(qty for qty, __, ___ in items),
            "total": f"{total:.{currency.decimal_places}f}" if total != "" else "",
            "currency": "" if hide else currency.name,
            "order_link": ETSY_ORDER_URL.format(receipt=receipt["receipt_id"]),
        }
        content = break_mentions(render_template(shop.discord_template or DISCORD_DEFAULT_TEMPLATE,
                                                 values)).strip()
        lines = {line.etsy_transaction_id: line for line in order.order_line
                 if line.etsy_transaction_id}
        embeds = [self._item_embed(shop, qty, title, tx, lines.get(str(tx.get("transaction_id"))))
                  for qty, title, tx in items[:DISCORD_MAX_EMBEDS]]
        if embeds and not hide:
            embeds[0]["footer"] = {"text": self.env._(
                "Order total: %(total)s %(currency)s",
                total=values["total"], currency=values["currency"])}
        return content or values["items"], embeds

    @api.model
    def _item_embed(self, shop, quantity, title, tx, line):
        """One embed per item: quantity × title, the Etsy listing link, a random GIF."""
        listing = self.env["etsy.listing"].sudo().search([
            ("shop_id", "=", shop.id), ("etsy_listing_id", "=", str(tx.get("listing_id") or "")),
        ], limit=1) if tx.get("listing_id") else self.env["etsy.listing"]
        url = listing.url or (ETSY_LISTING_URL.format(listing=tx["listing_id"])
                              if tx.get("listing_id") else None)
        embed = {"title": f"{quantity} × {title}", "url": url, "color": DISCORD_EMBED_COLOR}
        variations = ", ".join(
            break_mentions(v.get("formatted_value") or "") for v in tx.get("variations") or []
            if v.get("formatted_value"))
        if variations:
            embed["description"] = variations
        image = self._pick_image(line.product_id.product_tmpl_id if line else None, listing)
        if image:
            embed["image"] = image_embed(image)["image"]
        return {key: value for key, value in embed.items() if value}

    @api.model
    def _pick_image(self, template, listing):
        """A random celebration GIF of the product, else the listing's public image, else None."""
        gifs = template._etsy_discord_gif_list() if template else []
        if gifs:
            return random.choice(gifs)
        return listing.image_url if is_public_url(listing.image_url) else None

    # === SENDING === #

    @api.model
    def _requeue_failed(self, shops, channels):
        """A webhook was replaced: what failed for lack of it goes out now."""
        waiting = self.sudo().search([("shop_id", "in", shops.ids), ("channel", "in", channels),
                                      ("state", "=", "failed")])
        waiting.write({"state": "pending", "next_attempt_at": fields.Datetime.now()})
        waiting._send_after_commit()

    def _send_after_commit(self):
        """Post these messages once the current transaction has committed (best effort)."""
        cr = self.env.cr
        queued = cr.postcommit.data.setdefault("etsy_discord_message_ids", set())
        if not queued:
            registry = self.env.registry

            def send():
                try:
                    with registry.cursor() as new_cr:
                        env = api.Environment(new_cr, SUPERUSER_ID, {})
                        env["etsy.discord.message"]._send_due(ids=sorted(queued))
                except Exception:  # the cron retries them; a commit hook must not fail
                    _logger.exception("Discord messages not sent after commit; the cron "
                                      "retries them")

            cr.postcommit.add(send)
        queued.update(self.ids)

    @api.model
    def _cron_send_outbox(self):
        """Scheduled action: give up stale claims, then post every due message."""
        self._expire_stale_claims()
        self._send_due(limit=DISCORD_SEND_BATCH, report_progress=True)

    @api.model
    def _send_due(self, ids=None, limit=DISCORD_SEND_BATCH, report_progress=False):
        """Claim and post due pending messages one by one; returns how many were posted."""
        sent = 0
        for done in range(1, limit + 1):
            message_id = self._claim_next(ids)
            if not message_id:
                break
            sent += self.browse(message_id)._deliver()
            if report_progress:
                remaining = self.search_count(self._due_domain(ids))
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return sent

    @api.model
    def _due_domain(self, ids=None):
        domain = [("state", "=", "pending"), ("next_attempt_at", "<=", fields.Datetime.now())]
        return domain + ([("id", "in", list(ids))] if ids is not None else [])

    @api.model
    def _claim_next(self, ids=None):
        """Mark one due message 'sending' in a committed transaction of its own; its id or None."""
        self.env.flush_all()
        query = """
            UPDATE etsy_discord_message
               SET state = 'sending', claimed_at = %(now)s,
                   attempt_count = COALESCE(attempt_count, 0) + 1
             WHERE id = (SELECT id FROM etsy_discord_message
                          WHERE state = 'pending' AND next_attempt_at <= %(now)s
                            AND (%(all)s OR id = ANY(%(ids)s))
                          ORDER BY next_attempt_at, id
                          LIMIT 1
                          FOR UPDATE SKIP LOCKED)
         RETURNING id
        """
        params = {"now": fields.Datetime.now(), "all": ids is None, "ids": list(ids or [])}
        try:
            with self.env.registry.cursor() as cr:
                cr.execute(query, params)
                row = cr.fetchone()
        except pg_errors.SerializationFailure:
            # Another worker changed that row since our snapshot began: it is theirs.
            return None
        self.invalidate_model(["state", "claimed_at", "attempt_count"])
        return row[0] if row else None

    def _deliver(self):
        """Post one claimed message and record the outcome; returns 1 if posted, else 0."""
        self.ensure_one()
        discord = ShopDiscord(self.shop_id)
        url = discord.webhook_url(self.channel)
        if not url:
            self._record({"state": "cancelled", "last_error": self.env._(
                "Discord notifications were switched off for this shop before it was sent.")})
            return 0
        try:
            message_id = discord.webhook(url).send(
                content=self.payload.get("content"), embeds=self.payload.get("embeds") or None,
                **discord.identity())
        except DiscordUnknownOutcomeError as exc:
            self._record({"state": "unknown", "last_error": user_text(self.env, exc)})
            return 0
        except DiscordWebhookGoneError as exc:
            self._record({"state": "failed", "last_error": user_text(self.env, exc)})
            return 0
        except (DiscordError, ValueError) as exc:
            self._record(self._retry_values(exc))
            return 0
        self._record({"state": "sent", "sent_at": fields.Datetime.now(),
                      "discord_message_id": message_id or False, "last_error": False})
        return 1

    def _retry_values(self, exc):
        delay = datetime.timedelta(minutes=2 ** min(self.attempt_count, 8))
        if isinstance(exc, DiscordRateLimitError) and exc.retry_after:
            delay = max(delay, datetime.timedelta(seconds=exc.retry_after))
        # The client's texts name the cause (status, Discord's message), never the URL.
        text = str(exc) or getattr(exc, "user_message", "")
        return {"state": "pending", "last_error": self.shop_id._etsy_redact(text),
                "next_attempt_at": fields.Datetime.now() + min(delay, DISCORD_MAX_BACKOFF)}

    def _record(self, values):
        """Write an outcome in a committed transaction of its own (the post already happened)."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {}, su=True)
            env[self._name].browse(self.id).write(values)
            # Flushed here: leaving the block commits, but only what is already in SQL.
            env.flush_all()
        self.invalidate_recordset()

    @api.model
    def _expire_stale_claims(self):
        """A claim left 'sending' by a dead worker: Discord may have posted it, a person decides."""
        stale = self.search([("state", "=", "sending"),
                             ("claimed_at", "<", fields.Datetime.now() - DISCORD_STALE_CLAIM)])
        stale.write({"state": "unknown", "last_error": self.env._(
            "The worker sending this message stopped before Discord answered: check the "
            "channel, then 'Send again' or 'Cancel'.")})

    # === BUTTONS === #

    def action_send_again(self):
        """Queue again (after checking the channel: it may post a second time)."""
        if self.filtered(lambda m: m.state not in ("unknown", "failed", "cancelled")):
            raise UserError(self.env._("Only messages with an unknown outcome, failed or "
                                       "cancelled can be sent again."))
        self.write({"state": "pending", "next_attempt_at": fields.Datetime.now()})
        self._send_after_commit()
        return True

    def action_cancel(self):
        """Never send these messages."""
        if self.filtered(lambda m: m.state in ("sent", "sending")):
            raise UserError(self.env._("A message that is sent or being sent cannot be cancelled."))
        self.write({"state": "cancelled"})
        return True
