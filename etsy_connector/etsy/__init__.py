"""Pure-Python Etsy Open API v3 layer (no Odoo imports): client, OAuth, money, inventory,
Discord, redaction.

The local Etsy sandbox is not part of it: it is the top-level ``etsy_sandbox`` package beside the
addon, used by tests, benchmarks and demos only.
"""

from .client import DEFAULT_API_BASE_URL, EtsyClient, RateLimit, encode_params
from .discord import (
    DiscordError,
    DiscordRateLimitError,
    DiscordUnknownOutcomeError,
    DiscordWebhook,
    DiscordWebhookGoneError,
    image_embed,
    neutralize_mentions,
    validate_webhook_url,
)
from .errors import (
    EtsyAuthError,
    EtsyBadRequestError,
    EtsyConfigError,
    EtsyConflictError,
    EtsyDailyLimitError,
    EtsyError,
    EtsyForbiddenError,
    EtsyNotFoundError,
    EtsyOffsetLimitError,
    EtsyRateLimitError,
    EtsyReauthorizationRequired,
    EtsyTransientError,
    EtsyUnknownOutcomeError,
    UserMessage,
)
from .inventory import InventoryUpdateReport, build_inventory_update_body, quantities_differ
from .money import (
    datetime_to_epoch,
    decimal_to_float_price,
    epoch_to_datetime,
    money_currency,
    money_to_decimal,
    parse_money,
)
from .oauth import (
    DEFAULT_SCOPES,
    TokenSet,
    authorize_url,
    code_challenge,
    exchange_code,
    make_code_verifier,
    make_state,
    refresh_access_token,
)
from .redact import MASK, redact
