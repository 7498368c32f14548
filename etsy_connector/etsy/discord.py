"""Discord webhook client for order notifications.

The webhook URL embeds a secret token: it never appears in a log record, exception or repr.
Every message carries ``allowed_mentions={"parse": []}`` so text coming from Etsy (product titles,
buyer messages) can never ping ``@everyone``, a role or a user.
"""

import logging
import re
import time
from urllib.parse import urlsplit

import requests

from .errors import UserMessage, _lt
from .redact import install_log_filter
from .transport import NETWORK_ERRORS, backoff_delay

_logger = logging.getLogger(__name__)

DISCORD_HOSTS = frozenset({
    "discord.com", "ptb.discord.com", "canary.discord.com",
    "discordapp.com", "ptb.discordapp.com", "canary.discordapp.com",
})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
_PATH_RE = re.compile(r"^/api/(?:v\d+/)?webhooks/(\d+)/([A-Za-z0-9_-]+)/?$")
_MASS_MENTION_RE = re.compile(r"@(everyone|here)")
ZERO_WIDTH_SPACE = "\u200b"
# Discord's documented length limits; longer texts are cut rather than refused with a 400.
_LIMITS = {"content": 2000, "title": 256, "description": 4096, "name": 256, "value": 1024,
           "text": 2048, "username": 80}


# urllib3 logs every request's path at DEBUG, and a webhook's path holds its token.
install_log_filter("urllib3.connectionpool")


class DiscordError(UserMessage, Exception):
    """Discord did not accept a webhook message; ``user_message`` says what to do."""

    message_template = _lt("Discord did not accept the notification. It will be retried later.")

    def __init__(self, message, status=None, retry_after=None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class DiscordWebhookGoneError(DiscordError):
    """404/401: the webhook was deleted or its token is wrong."""

    message_template = _lt("The Discord webhook no longer exists (it was deleted or "
                           "regenerated): paste a new webhook URL in the shop settings.")


class DiscordUnknownOutcomeError(DiscordError):
    """The message was sent but Discord's answer never came: it may already be posted."""

    message_template = _lt("Discord did not confirm the notification in time; check the "
                           "channel before sending it again.")


class DiscordRateLimitError(DiscordError):
    """429 that outlasted the bounded retries; ``retry_after`` is in seconds."""

    message_template = _lt(
        "Discord is rate-limiting the webhook; the notification will be sent later."
    )


def validate_webhook_url(url):
    """Return the cleaned webhook URL or raise ValueError (whose text never holds the token).

    Accepted: ``https://{,ptb.,canary.}discord{,app}.com/api/[vN/]webhooks/<id>/<token>``, and the
    same path on a loopback host over http or https (the local Discord sink).
    """
    text = (url or "").strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if host in DISCORD_HOSTS:
        allowed = parts.scheme == "https" and parts.port is None
    else:
        allowed = host in LOOPBACK_HOSTS and parts.scheme in ("http", "https")
    if not allowed or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("This is not a Discord webhook URL: copy it from the channel's "
                         "Integrations > Webhooks > Copy Webhook URL.")
    if not _PATH_RE.match(parts.path):
        raise ValueError("The Discord webhook URL is incomplete: it must end with "
                         "/api/webhooks/<id>/<token>.")
    return text.rstrip("/")


def neutralize_mentions(text):
    """Break ``@everyone``/``@here`` with a zero-width space (defence beside allowed_mentions)."""
    return _MASS_MENTION_RE.sub("@" + ZERO_WIDTH_SPACE + r"\1", text)


def _clean(value, limit_key=None):
    """Neutralise and length-limit every string of a payload, recursively."""
    if isinstance(value, str):
        value = neutralize_mentions(value)
        limit = _LIMITS.get(limit_key)
        return value[:limit - 1] + "…" if limit and len(value) > limit else value
    if isinstance(value, dict):
        return {key: _clean(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _message_id(response):
    try:
        message = response.json()
    except ValueError:
        return None
    message_id = message.get("id") if isinstance(message, dict) else None
    return str(message_id) if message_id is not None else None


def image_embed(image_url, title=None, description=None, url=None, color=None):
    """An embed dict showing ``image_url`` (http/https), with optional title/link/text/colour."""
    if urlsplit(image_url or "").scheme not in ("http", "https"):
        raise ValueError("an embed image must be an http(s) URL")
    embed = {"title": title, "description": description, "url": url, "color": color,
             "image": {"url": image_url}}
    return {key: value for key, value in embed.items() if value is not None}


class DiscordWebhook:
    """Posts messages to one Discord webhook; ``send`` returns Discord's message id."""

    def __init__(self, url, timeout=10, max_retries=3, session=None, max_retry_after=60.0,
                 backoff_base=0.5):
        self._url = validate_webhook_url(url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.backoff_base = backoff_base
        self.session = session or requests.Session()

    def __repr__(self):
        return f"<DiscordWebhook host={urlsplit(self._url).hostname}>"

    def _payload(self, content, username, avatar_url, embeds):
        if not content and not embeds:
            raise ValueError("a Discord message needs content or embeds")
        payload = {"content": content, "username": username, "avatar_url": avatar_url,
                   "embeds": list(embeds)[:10] if embeds else None}
        payload = _clean({key: value for key, value in payload.items() if value is not None})
        payload["allowed_mentions"] = {"parse": []}
        return payload

    def _post(self, payload):
        started = time.monotonic()
        try:
            response = self.session.post(self._url, params={"wait": "true"}, json=payload,
                                         timeout=self.timeout)
        except requests.ReadTimeout:
            _logger.info("Discord webhook post timed out waiting for the answer")
            raise DiscordUnknownOutcomeError("Discord did not answer in time.") from None
        except NETWORK_ERRORS as exc:
            _logger.info("Discord webhook post failed: %s", type(exc).__name__)
            raise DiscordError(f"Could not reach Discord ({type(exc).__name__}).") from None
        _logger.debug("Discord webhook post -> %s in %.0f ms", response.status_code,
                      (time.monotonic() - started) * 1000)
        return response

    def _error(self, response):
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if status in (401, 404):
            return DiscordWebhookGoneError(
                "The Discord webhook was deleted or its URL is wrong: paste a new URL.", status)
        if status == 429:
            retry_after = body.get("retry_after", response.headers.get("retry-after"))
            try:
                retry_after = max(0.0, float(retry_after))
            except (TypeError, ValueError):
                retry_after = 1.0
            return DiscordRateLimitError("Discord rate-limited the webhook.", status, retry_after)
        message = str(body.get("message") or f"HTTP {status}")[:200]
        return DiscordError(f"Discord refused the message: {message}", status)

    def send(self, content=None, username=None, avatar_url=None, embeds=None):
        """Post a message (``?wait=true``) and return its Discord message id (str, or None).

        429 waits Discord's ``retry_after``; 5xx and connection failures back off; both bounded.
        A read timeout is not retried: Discord may have posted the message already.
        """
        payload = self._payload(content, username, avatar_url, embeds)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._post(payload)
            except DiscordUnknownOutcomeError:
                raise
            except DiscordError as exc:
                error, delay = exc, backoff_delay(attempt, self.backoff_base)
            else:
                if response.status_code < 300:
                    return _message_id(response)
                error = self._error(response)
                delay = error.retry_after if error.status == 429 else (
                    backoff_delay(attempt, self.backoff_base) if error.status >= 500 else None)
            if delay is None or attempt > self.max_retries or delay > self.max_retry_after:
                raise error
            _logger.info("Discord webhook: %s; retry %d/%d in %.1f s", type(error).__name__,
                         attempt, self.max_retries, delay)
            time.sleep(delay)
