"""One home for the addon's constants: groups, states, Etsy statuses, retry backoffs and limits.

The pure Etsy layer (`etsy/`) keeps the constants of Etsy's protocol itself (pages, offsets,
headers): it imports nothing from this package.
"""

import datetime

# === GROUPS === #

USER_GROUP = "etsy_connector.group_etsy_user"
MANAGER_GROUP = "etsy_connector.group_etsy_manager"

# === SHOP === #

# Values only a manager may read; also the values every log text is scrubbed of.
SECRET_FIELDS = (
    "keystring",
    "shared_secret",
    "access_token",
    "refresh_token",
    "discord_webhook_url",
    "discord_ops_webhook_url",
    "etsy_webhook_secret",
)
URL_FIELDS = ("api_base_url", "oauth_base_url")
# Discord webhook field -> the channel of the messages it carries.
DISCORD_URL_FIELDS = {"discord_webhook_url": "sales", "discord_ops_webhook_url": "ops"}
# Where Etsy sends the seller back after authorization; registered as the app's callback URL.
OAUTH_CALLBACK_PATH = "/etsy_connector/oauth/callback"
OAUTH_SESSION_LIFETIME = datetime.timedelta(minutes=10)
# Seconds to wait for Etsy before retrying (system parameter etsy_connector.http_timeout).
HTTP_TIMEOUT_PARAM = "etsy_connector.http_timeout"
DEFAULT_HTTP_TIMEOUT = 30
# Etsy refresh tokens live 90 days from their last renewal.
REFRESH_TOKEN_LIFETIME = datetime.timedelta(days=90)

# === RUNS AND LOGS === #

# Flows: the key of a run's lock, of its sync state row and of its log's operation.
OPERATIONS = [
    ("orders", "Orders"),
    ("inventory", "Inventory"),
    ("listings", "Listings"),
    ("connect", "Connection"),
    ("notify", "Notifications"),
    ("shipping", "Shipping"),
    ("publish", "Publishing"),
    ("ledger", "Etsy Payment Account"),
]
SYNC_OPERATIONS = ("orders", "inventory", "listings", "shipping")
COUNTERS = ("fetched", "done", "created", "updated", "skipped", "failed")
# Longer texts are cut: a log line is for people, not for a full API dump.
MAX_LOG_TEXT_LENGTH = 2000
# A run that fails on every record must not write thousands of identical lines.
MAX_LOG_LINES = 500
SYNC_LOG_RETENTION_PARAM = "etsy_connector.sync_log_retention_days"
DEFAULT_RETENTION_DAYS = 90
PURGE_BATCH = 5000

# A failed record (a receipt, a tracking push) is retried after RETRY_BASE, doubling up to
# RETRY_MAX.
RETRY_BASE = datetime.timedelta(minutes=10)
RETRY_MAX = datetime.timedelta(days=1)


def retry_delay(attempts):
    """How long to wait before the next try of a record that failed `attempts` times."""
    return min(RETRY_BASE * 2 ** min(max(attempts, 1) - 1, 10), RETRY_MAX)


# === ORDERS === #

# Etsy's modified times and ours are not the same clock: re-read a margin before the watermark.
ORDER_WINDOW_OVERLAP = datetime.timedelta(minutes=15)
DEFAULT_IMPORT_DAYS = 30
ORDERS_PER_COMMIT = 25
# Cancellations and refunds do not move Etsy's modified time: re-read recent receipts, a few
# pages (of PAGE_SIZE) per run, so the cost stays fixed whatever the shop's volume.
RECHECK_DAYS = 60
RECHECK_PAGES = 2
PAGE_SIZE = 100
# A window holding more receipts than Etsy lists (12,000) is read in slices of at most this.
MAX_WINDOW_SLICE = datetime.timedelta(days=30)
MIN_WINDOW_SLICE = datetime.timedelta(hours=1)
RECEIPT_RETRIES_PER_RUN = 20
# Etsy statuses, compared in lower case (Etsy has sent both "Fully Refunded" and "fully refunded").
STATUS_CANCELED = "canceled"
STATUS_FULLY_REFUNDED = "fully refunded"
STATUS_COMPLETED = "completed"
CANCELLED_ETSY_STATUSES = (STATUS_CANCELED, STATUS_FULLY_REFUNDED)
FINAL_ETSY_STATUSES = (STATUS_CANCELED, STATUS_FULLY_REFUNDED, STATUS_COMPLETED)

# A webhook's receipt import that found the order lock taken is tried again after this...
BUSY_RETRY_DELAY = datetime.timedelta(seconds=5)
# ...at most this many times: by then the poller that held the lock has read the receipt too.
MAX_BUSY_RETRIES = 60

# === WEBHOOKS === #

# Where Etsy posts (the shop's id follows); shown on the shop form for the developer portal.
WEBHOOK_PATH = "/etsy_connector/webhook"
# A delivery is a few hundred bytes of JSON: anything much larger is not Etsy.
MAX_WEBHOOK_BODY = 64 * 1024
# Longer than Etsy's whole retry schedule (8 retries over about 27 hours) and the freshness
# window: an id forgotten after this can no longer arrive with a fresh timestamp from Etsy.
WEBHOOK_EVENT_RETENTION = datetime.timedelta(days=30)
# The orders cron's own interval: a shop never polls more often than this.
DEFAULT_POLL_MINUTES = 10
# No webhook for this long while orders came: webhooks are broken (warned on the dashboard).
WEBHOOK_SILENCE_WARNING = datetime.timedelta(days=1)
# An order imported by polling this long after the last webhook, without a webhook of its own:
# the webhooks stopped (a lost subscription, a changed secret).
WEBHOOK_MISSED_GRACE = datetime.timedelta(minutes=15)
# How long after connecting the scheduled order import waits for the shop's first listing import
# (queued by the connection), so the first orders find their products.
FIRST_LISTINGS_GRACE = datetime.timedelta(minutes=15)

# === LISTINGS AND STOCK === #

LISTING_STATES = ("active", "inactive", "sold_out", "draft", "expired")
LISTING_INCLUDES = ["Inventory", "Images"]
LISTINGS_PER_COMMIT = 100
# Stock moves schedule a push this long after they happen, so a burst becomes one run.
PUSH_DELAY = datetime.timedelta(seconds=60)
IMAGE_TIMEOUT = 10
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# Etsy asks a return policy for a physical listing of a shop outside the EU (API-NOTES).
EU_COUNTRIES = frozenset((
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
))
ACTIVATION_FEE = 0.20  # USD per listing published or renewed

# === SHIPPING === #

PUSH_STATES = [
    ("to_push", "To send"),
    ("pushed", "Sent"),
    ("failed", "Failed"),
    ("skipped", "Not needed"),
    ("unknown", "To check on Etsy"),
]
# Deliveries the tracking export reads (an unknown outcome is checked against the receipt).
DUE_PUSH_STATES = ("to_push", "unknown", "failed")
PUSHES_PER_RUN = 50
# After a lost answer Etsy may still be applying the shipment: look again a little later.
UNKNOWN_RECHECK_DELAY = datetime.timedelta(minutes=5)
CLOSED_PICKING_STATES = ("done", "cancel")
TRACKING_ISSUE_STATES = ("failed", "unknown")
# Etsy's answer when a shipment needs a tracking code (API-NOTES §3 and §8).
TRACKING_REQUIRED_MARKER = "tracking number is required"
# Etsy's catch-all carrier slug: the tracking code is shown to the buyer without a link.
OTHER_CARRIER_CODE = "other"

# === DISCORD === #

ORDER_MILESTONES = (10, 50, 100, 250, 500, 1000)
TOKEN_WARNING = datetime.timedelta(days=14)
ALERT_SYNC = "sync_failing"
ALERT_DISCONNECTED = "disconnected"
ALERT_TOKEN = "token_expiring"  # noqa: S105 - an alert name, not a secret
DISCORD_SEND_BATCH = 50
# Retries never stop for a transient failure (an outage loses nothing); they slow down to this.
DISCORD_MAX_BACKOFF = datetime.timedelta(hours=1)
# A claim older than this belongs to a worker that died mid-send: the post may exist.
DISCORD_STALE_CLAIM = datetime.timedelta(minutes=15)
DISCORD_DEFAULT_TEMPLATE = "🎉 {shop} just sold {items}!"
DISCORD_PLACEHOLDERS = ("shop", "items", "quantity", "total", "currency", "order_link")
DISCORD_EMBED_COLOR = 0xF1641E  # Etsy orange
DISCORD_MAX_EMBEDS = 10  # Discord's limit per message
# Short waits only: a cron or a commit hook must not sleep; the outbox retries later.
DISCORD_HTTP_TIMEOUT = 10
ETSY_ORDER_URL = "https://www.etsy.com/your/orders/sold?order_id={receipt}"
ETSY_LISTING_URL = "https://www.etsy.com/listing/{listing}"

# === MONEY (VAT, INVOICES, THE ETSY PAYMENT ACCOUNT LEDGER) === #

VAT_POLICIES = [
    ("etsy_collects", "Etsy collects and remits the VAT"),
    ("seller_charges", "I charge the VAT myself"),
]
INVOICE_POLICIES = [
    ("none", "No invoices"),
    ("order", "Invoice each confirmed order"),
    ("delivery", "Invoice each order once delivered"),
]
# A first ledger run reads this far back (the connector's order import window by default).
DEFAULT_LEDGER_DAYS = 90
LEDGER_MAX_BACKFILL_DAYS = 366
# Etsy posts entries with their own clock: re-read a margin before the watermark (known ids are
# skipped, so the overlap costs calls, never double bookings).
LEDGER_OVERLAP = datetime.timedelta(days=1)
LEDGER_DAYS_PER_COMMIT = 7
# Sales Etsy has not posted yet, rechecked for a match at each run (bounded work per run).
LEDGER_REMATCH_LIMIT = 200
