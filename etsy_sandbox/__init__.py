"""A local Etsy Open API v3 sandbox with a Discord webhook sink (pure Python, werkzeug only).

A development tool, not part of the addon: it lives beside `etsy_connector/`, has no
`__manifest__.py` (Odoo never loads it) and is never installed on a production server. Tests,
benchmarks (`setup/bench`) and the demo (`setup/run`) import it from the repository root.

Etsy has no sandbox, so this one speaks Etsy's contract as written in Etsy's OpenAPI document
(2026-08-17) and as observed in real answers (the API-NOTES cited in the modules): same paths,
parameters, JSON shapes, error strings, OAuth 2.0 + PKCE, rate-limit headers. It is driven from
Python through `EtsySandbox`, or over HTTP from another process (`POST /_sandbox/<action>`, see
`control.py`):

    sb = EtsySandbox.seeded()          # the candle shop "WicksByWerby" with listings and receipts
    with sb.serve_in_thread() as server:
        server.url                     # http://127.0.0.1:PORT

From a shell: `python -m etsy_sandbox --port 8765` (see `__main__.py`). Its own tests are in
`etsy_sandbox/tests/`. It imports nothing from Odoo nor from the addon's Etsy layer
(`etsy_connector/etsy/`), so it checks that client instead of agreeing with it by construction.
"""

import json

from . import generators, seed
from .app import OPERATION_IDS, SandboxApp
from .constants import (
    DEFAULT_APP_NAME,
    DEFAULT_KEYSTRING,
    DEFAULT_SHARED_SECRET,
    KNOWN_SCOPES,
)
from .control import Control
from .discord_sink import DiscordSink
from .faults import FaultInjector
from .journal import Journal
from .ratelimit import RateLimiter
from .server import SandboxServer
from .state import World
from .tokens import TokenStore
from .views import inventory_json, listing_json, receipt_json
from .webhooks import WebhookSender

__all__ = ["DEFAULT_KEYSTRING", "DEFAULT_SHARED_SECRET", "EtsySandbox", "SandboxServer"]


def _plain(value):
    """A deep, JSON-only copy (callers must not mutate the world through it)."""
    return json.loads(json.dumps(value))


class EtsySandbox:
    """The sandbox: an Etsy world, its WSGI app, faults, journal and Discord sink."""

    def __init__(self, clock=None, *, seeded=False):
        self._clock = clock
        self._seeded = seeded
        self.faults = FaultInjector(OPERATION_IDS)
        self.journal_store = Journal()
        self.discord = DiscordSink()
        self.webhooks = WebhookSender()
        self.control = Control(self)
        self._build()
        self.app = SandboxApp(self)

    @classmethod
    def seeded(cls, clock=None):
        """A sandbox with the WicksByWerby candle shop, its listings and receipts."""
        return cls(clock, seeded=True)

    def _build(self):
        world = World(self._clock)
        world.register_app(
            DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, name=DEFAULT_APP_NAME, allow_loopback=True
        )
        self._seller = seed.seed_shop(world)
        if self._seeded:
            seed.seed_catalog(world, self._seller["shop_id"])
            seed.seed_receipts(world, self._seller["shop_id"])
        # Purchases, cancellations, shipments and deliveries become signed webhooks.
        world.on_event = self.webhooks.emit
        self.world = world
        self.tokens = TokenStore(world)
        self.limiter = RateLimiter(world)

    def reset(self):
        """Back to the initial world (seeded or empty); faults, journal and posts are cleared."""
        with self.world.lock:
            auto_approve = self.world.auto_approve
            self._build()
            self.world.auto_approve = auto_approve
        self.faults.clear(counts=True)
        self.journal_store.clear()
        self.discord.reset()
        self.webhooks.reset()

    # -- serving -------------------------------------------------------------------------------

    def serve_in_thread(self, host="127.0.0.1", port=0, quiet=True):
        """Serve over HTTP from a daemon thread; port 0 picks a free port."""
        return SandboxServer(self.app, host, port, quiet=quiet)

    # -- settings ------------------------------------------------------------------------------

    @property
    def auto_approve(self):
        """True: GET /oauth/connect redirects straight back with a code."""
        return self.world.auto_approve

    @auto_approve.setter
    def auto_approve(self, value):
        self.world.auto_approve = bool(value)

    @property
    def access_token_lifetime(self):
        """Seconds an access token issued from now on lives (`expires_in`)."""
        return self.world.access_token_lifetime

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds):
        self.world.access_token_lifetime = int(seconds)

    @property
    def receipt_status_style(self):
        """ "spec" (lowercase enum, default) or "title" ("Completed", as 2023 payloads show)."""
        return self.world.receipt_status_style

    @receipt_status_style.setter
    def receipt_status_style(self, value):
        if value not in ("spec", "title"):
            raise ValueError("receipt_status_style is 'spec' or 'title'")
        self.world.receipt_status_style = value

    @property
    def seller(self):
        """The default seller: {"user_id", "shop_id"}."""
        return dict(self._seller)

    def set_rate_limits(self, per_second=None, per_day=None):
        """New limits; the counting windows start afresh."""
        with self.world.lock:
            if per_second is not None:
                self.world.per_second = int(per_second)
            if per_day is not None:
                self.world.per_day = int(per_day)
            self.limiter.reset()

    def advance_clock(self, seconds):
        """Move the sandbox clock forward (token expiry, time windows)."""
        self.world.advance(seconds)

    def login_as(self, user_id):
        """Who is logged in on the authorize page (default: the seeded seller)."""
        with self.world.lock:
            if user_id not in self.world.users:
                raise ValueError(f"Unknown user {user_id}")
            self.world.logged_in_user_id = user_id

    # -- apps and tokens -----------------------------------------------------------------------

    def register_app(self, keystring, shared_secret, redirect_uris=(), name=None):
        """Register another app (exact redirect URIs only)."""
        self.world.register_app(keystring, shared_secret, redirect_uris, name)

    def issue_tokens(self, user_id=None, scopes=None, keystring=DEFAULT_KEYSTRING):
        """Tokens without the browser dance: default seller, every scope."""
        with self.world.lock:
            user_id = user_id or self._seller["user_id"]
            return self.tokens.issue(user_id, keystring, scopes or sorted(KNOWN_SCOPES))

    def revoke_tokens(self, user_id=None):
        """Every token of the user is revoked (refresh -> invalid_grant, calls -> 401)."""
        with self.world.lock:
            self.tokens.revoke_user(user_id or self._seller["user_id"])

    def expire_access_tokens(self):
        """Every live access token expires now (401 invalid_token)."""
        with self.world.lock:
            self.tokens.expire_access_tokens()

    def add_shop(self, shop_name, currency_code="USD", country_iso="US", **owner):
        """A second seller with an empty shop: {"user_id", "shop_id"}."""
        return self.world.add_shop(shop_name, currency_code, country_iso, **owner)

    # -- buyers and the seller's actions on Etsy.com ---------------------------------------------

    def buy(self, listing_id, quantity=1, product_id=None, buyer=None, **receipt_overrides):
        """A buyer purchases: stock goes down (sold_out at 0); returns the receipt."""
        return _plain(self.world.buy(listing_id, quantity, product_id, buyer, **receipt_overrides))

    def cancel_receipt(self, receipt_id):
        """Cancel (updated_timestamp does not move, as on Etsy)."""
        return _plain(self.world.cancel_receipt(receipt_id))

    def refund_receipt(self, receipt_id, amount=None):
        """Refund `amount` minor units, default the rest (updated_timestamp does not move)."""
        return _plain(self.world.refund_receipt(receipt_id, amount))

    def ship_receipt(self, receipt_id, tracking_code=None, carrier_name=None, delivered=False):
        """The seller ships on Etsy.com, outside the API."""
        return _plain(self.world.ship_receipt(receipt_id, tracking_code, carrier_name, delivered))

    def configure_webhook(self, shop_id=None, url=None, secret=None):
        """Subscribe `url` to the order webhooks of `shop_id` (default: the seeded shop), signed
        with `secret` (default: a new one); returns {"shop_id", "url", "secret"}."""
        return self.webhooks.configure(shop_id or self._seller["shop_id"], url, secret)

    def renew_listing(self, listing_id):
        """The seller renews a sold-out/expired/inactive listing; returns the new state."""
        return self.world.renew_listing(listing_id)

    # -- the Etsy Payment Account (ledger.py) ------------------------------------------------------

    def configure_payment_account(self, shop_id=None, remits_vat=None, payout_interval_days=None):
        """Whether Etsy remits the shop's VAT (default yes), how often it pays out (7 days)."""
        with self.world.lock:
            self.world.ledger.configure(
                shop_id or self._seller["shop_id"], remits_vat, payout_interval_days
            )

    def payout(self, shop_id=None):
        """Pay the shop's positive balance out now (DISBURSE2); the entry or None."""
        with self.world.lock:
            return _plain(self.world.ledger.payout(shop_id or self._seller["shop_id"]))

    def add_ledger_entry(self, ledger_type, amount, shop_id=None, reference_type="", **kw):
        """Any entry, e.g. a ledger_type Etsy introduces tomorrow; returns it."""
        with self.world.lock:
            ledger = self.world.ledger
            entry = ledger.add_entry(
                shop_id or self._seller["shop_id"], ledger_type, int(amount),
                self.world.now(), reference_type, **kw
            )
            return _plain(entry)

    def ledger_balance(self, shop_id=None):
        """The shop's Payment Account balance in minor units."""
        with self.world.lock:
            return self.world.ledger.account(shop_id or self._seller["shop_id"]).balance

    def ledger_entries(self, shop_id=None):
        """Every entry of the shop, in sequence order."""
        with self.world.lock:
            account = self.world.ledger.account(shop_id or self._seller["shop_id"])
            return _plain(account.entries)

    def payment_of_receipt(self, receipt_id):
        """The Payment of a receipt as getPayments returns it, or None."""
        with self.world.lock:
            ledger = self.world.ledger
            payment = ledger.payments.get(ledger.payment_by_receipt.get(receipt_id))
            return _plain(payment.data) if payment else None

    # -- reading the world -----------------------------------------------------------------------

    def receipt(self, receipt_id):
        """A receipt as getShopReceipt returns it."""
        with self.world.lock:
            return _plain(receipt_json(self.world, self.world.receipt_any(receipt_id)))

    def receipt_meta(self, receipt_id):
        """What Etsy tracks but does not return: buyer emails sent, encodings used, delivery."""
        with self.world.lock:
            record = self.world.receipt_any(receipt_id)
            return {
                "notifications": record.notifications,
                "bcc_notifications": record.bcc_notifications,
                "shipment_encodings": list(record.shipment_encodings),
                "delivered": record.delivered,
            }

    def listing(self, listing_id):
        """A listing as its owner reads it with getListing."""
        with self.world.lock:
            return _plain(listing_json(self.world, self.world.listing(listing_id), owner=True))

    def inventory(self, listing_id):
        """The inventory as its owner reads it with getListingInventory."""
        with self.world.lock:
            return _plain(inventory_json(self.world.listing(listing_id), owner=True))

    def summary(self):
        """Counts for GET /_sandbox/state."""
        world = self.world
        with world.lock:
            return {
                "seller": self.seller,
                "shops": {
                    shop_id: {
                        "shop_name": s.data["shop_name"],
                        "listings": len(s.listing_ids),
                        "receipts": len(s.receipt_ids),
                    }
                    for shop_id, s in world.shops.items()
                },
                "apps": len(world.apps),
                "rate_limits": {"per_second": world.per_second, "per_day": world.per_day},
                "auto_approve": world.auto_approve,
                "faults": self.faults.pending(),
                "journal": len(self.journal_store.entries()),
                "discord_posts": len(self.discord.posts),
            }

    # -- generators ----------------------------------------------------------------------------

    def generate_listings(self, n, variation_ratio=1 / 3, shop_id=None):
        """n more listings (a share with size/scent variations); returns their ids."""
        return generators.generate_listings(
            self.world, shop_id or self._seller["shop_id"], n, variation_ratio
        )

    def generate_receipts(self, n, lines=2, shop_id=None, days=60):
        """n more receipts from new buyers over the last `days` days, `lines` transactions
        each; returns their ids."""
        return generators.generate_receipts(
            self.world, shop_id or self._seller["shop_id"], n, lines, days
        )

    # -- faults and journal ----------------------------------------------------------------------

    def inject_fault(self, operation, count=1, **behaviour):
        """The next `count` calls of operationId `operation` misbehave: `behaviour` is status,
        hang, malformed, repeat_receipt, body, headers and/or process (see faults.Fault)."""
        self.faults.inject(operation, count, **behaviour)

    def clear_faults(self):
        """Drop pending faults."""
        self.faults.clear()

    @property
    def journal(self):
        """Every answered call, oldest first."""
        return self.journal_store.entries()

    def calls(self, operation=None):
        """Journal records, optionally of one operationId."""
        return self.journal_store.entries(operation)

    def clear_journal(self):
        """Forget the journal."""
        self.journal_store.clear()
