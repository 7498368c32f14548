"""Pure-Python Etsy Open API v3 layer (no Odoo imports): client, OAuth, money, inventory, Discord.

The local sandbox lives in ``etsy.sandbox`` and is imported only by tests and demos.
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
    OAuthCallback,
    TokenSet,
    authorize_url,
    code_challenge,
    exchange_code,
    make_code_verifier,
    make_state,
    parse_callback,
    refresh_access_token,
    states_match,
)
