"""Fixed values of the sandbox: default app credentials, scopes, limits and Etsy's error strings.

The error strings marked "observed" were seen in real Etsy answers (see API-NOTES §3 and the
issues cited there); the others are the sandbox's own wording for cases where no real answer
was found, kept short and in Etsy's style so a client never depends on them.
"""

DEFAULT_KEYSTRING = "wbw0sandbox0keystring001"
DEFAULT_SHARED_SECRET = "s4ndb0xsec"
DEFAULT_APP_NAME = "Odoo Etsy Connector (sandbox)"
DEFAULT_APPLICATION_ID = 1048576

# The 12 scopes of the 2026-08-17 spec (securitySchemes.oauth2); the 8 dropped ones are refused.
KNOWN_SCOPES = frozenset(
    (
        "address_r",
        "address_w",
        "email_r",
        "listings_d",
        "listings_r",
        "listings_w",
        "profile_r",
        "profile_w",
        "shops_r",
        "shops_w",
        "transactions_r",
        "transactions_w",
    )
)

DEFAULT_PER_SECOND = 10
DEFAULT_PER_DAY = 10_000
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600
AUTH_CODE_LIFETIME = 600
MAX_LIMIT = 100
MAX_OFFSET = 12_000
MAX_BATCH_IDS = 100
MAX_OFFERING_QUANTITY = 999
MIN_PRICE = 0.20
MAX_PRICE = 50_000.00

# Observed error strings.
ERR_SHARED_SECRET = "Shared secret is required in x-api-key header."
ERR_KEY_FORMAT = "Invalid API key: should be in the format 'keystring:shared_secret'."
ERR_INVALID_KEY = "Invalid API key"
ERR_PER_SECOND = "Exceeded per second rate limit"
ERR_PER_DAY = "Exceeded daily rate limit"
ERR_OFFSET = "Offset provided is greater than the maximum offset allowed."
ERR_TRACKING = "A tracking number is required"
ERR_READINESS = "A readiness_state_id is required for physical listings."
ERR_PROPERTY_VALUES = "Property values can't be empty"
ERR_ZERO_QUANTITY = "One offering must have quantity greater than 0"
ERR_SERVER = "Server Error"
