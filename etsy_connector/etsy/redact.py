"""The one redaction: remove secrets from any text before it reaches a sync log, an error or the
server log.

Pure Python on purpose (no Odoo import): the client and OAuth scrub Etsy's error texts with it,
the Discord client's log filter scrubs urllib3's request lines with it, and the addon scrubs
exception texts, API error bodies and tracebacks with it.
"""

import logging
import re
from urllib.parse import quote

MASK = "***"

# Secrets shorter than this are not replaced literally: masking every "ab" in a message
# would make it unreadable, and such values are not credentials Etsy or Discord issue.
_MIN_SECRET_LENGTH = 6

# Shapes of secrets that must go even when the exact value is unknown (for example a token
# of another shop, or one that was rotated a moment ago).
_PATTERNS = (
    # Authorization headers.
    (re.compile(r"(Bearer\s+)[^\s'\",;]+", re.IGNORECASE), r"\1" + MASK),
    # x-api-key header values ("keystring:shared_secret"), as "x-api-key: v" or 'x-api-key': 'v'.
    (re.compile(r"(x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",;}]+", re.IGNORECASE), r"\1" + MASK),
    # OAuth parameters in form bodies, query strings and JSON.
    (
        re.compile(
            r"((?:access_token|refresh_token|code_verifier|client_secret|shared_secret)"
            r"['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,;}]+",
            re.IGNORECASE,
        ),
        r"\1" + MASK,
    ),
    # Discord webhook URLs: the token in the path is the whole secret.
    (
        re.compile(
            r"https?://(?:[\w-]+\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/[^\s'\"<>]+",
            re.IGNORECASE,
        ),
        "[discord webhook]",
    ),
    # Any other webhook path (a loopback sink, urllib3's request line, which has no host): the
    # token after the webhook id.
    (re.compile(r"(/api/(?:v\d+/)?webhooks/\d+/)[A-Za-z0-9_-]+"), r"\1" + MASK),
    # Etsy access and refresh tokens: "<numeric user id>.<opaque part>".
    (re.compile(r"\b\d+\.[A-Za-z0-9_\-]{20,}"), MASK),
)


def redact(text, secrets=()):
    """Return ``text`` with the given secret values and every known secret shape masked.

    :param text: any value; it is converted with ``str`` (None and False give "").
    :param secrets: exact secret values to remove (empty or short values are ignored).
    :return: the redacted text.
    """
    if text is None or text is False:
        return ""
    text = str(text)
    for secret in _literal_variants(secrets):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _literal_variants(secrets):
    """Secret values plus their URL-encoded forms, longest first.

    Longest first, so a webhook URL is masked as a whole before a shorter secret inside it
    could split it into unrecognisable pieces.
    """
    variants = set()
    for secret in secrets:
        if not secret or len(str(secret)) < _MIN_SECRET_LENGTH:
            continue
        secret = str(secret)
        variants.add(secret)
        variants.add(quote(secret, safe=""))
    return sorted(variants, key=len, reverse=True)


class RedactingFilter(logging.Filter):
    """Redact the string arguments of every record of a logger (urllib3 logs full request paths
    at DEBUG, and a Discord webhook's path holds its token)."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


def install_log_filter(logger_name):
    """Put a :class:`RedactingFilter` on the logger ``logger_name`` (once, however often called)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
        logger.addFilter(RedactingFilter())
