"""One exception hierarchy for every failure of the Etsy layer.

Each error carries what an operator needs to act (HTTP status, Etsy's ``error`` text, the
operationId, Etsy's request id, ``retry_after``) and a ``user_message`` that tells a user what to
do next. None of them ever holds a token, the keystring or the shared secret.

``user_message`` is English; the addon translates it from ``message_template`` and
``message_params`` (see :class:`UserMessage`), since this layer does not import Odoo.
"""

from .redact import redact as redact_text

DAILY_LIMIT_MARKER = "daily"
SHARED_SECRET_MARKER = "shared secret"  # noqa: S105 - text to look for, not a credential


def _lt(text):
    """Mark ``text`` for the addon's translation export; this layer keeps it in English.

    Odoo's exporter collects the literal argument of every ``_lt(...)`` call in the addon's
    Python files, these included; the addon translates at display time (:class:`UserMessage`).
    """
    return text


def render_message(template, params):
    """``template`` filled with ``params`` as Odoo's ``env._`` fills it (``%`` with a mapping,
    no formatting at all without params)."""
    return template % params if params else template


class UserMessage:
    """A sentence for a user, in a form the addon can translate.

    ``message_template`` is the English source text, with ``%(name)s`` placeholders;
    ``message_params`` the values that fill them. ``user_message`` is the English rendering;
    the addon shows ``env._(exc.message_template, **exc.message_params)`` instead.
    """

    message_template = ""

    @property
    def message_params(self):
        """Values for the placeholders of ``message_template`` (none by default)."""
        return {}

    @property
    def user_message(self):
        """A sentence for a user, in English: what went wrong and what to do next."""
        return render_message(self.message_template, self.message_params)

    @property
    def reference(self):
        """What whoever investigates needs besides the sentence (none by default)."""
        return ""


class EtsyError(UserMessage, Exception):
    """Base class: an Etsy call failed.

    ``error``/``error_description`` are Etsy's own texts, ``operation`` the operationId of the
    call, ``request_id`` the ``x-etsy-request-uuid`` response header (quote it to Etsy support).
    """

    message_template = _lt("Etsy could not complete the request. Try again later.")

    def __init__(self, message=None, *, status=None, error=None, error_description=None,
                 operation=None, request_id=None, retry_after=None):
        self.status = status
        self.error = error
        self.error_description = error_description
        self.operation = operation
        self.request_id = request_id
        self.retry_after = retry_after
        self.message = message or error_description or error or self._fallback_message()
        super().__init__(self.message)

    @property
    def message_params(self):
        """``details``: the error's own text, for the sentences built around it."""
        return {"details": self.message} if "%(details)s" in self.message_template else {}

    def _fallback_message(self):
        """The text of an error raised without one: the class's own sentence, or the generic
        one when that sentence is built around details the error lacks."""
        template = self.message_template
        return template if "%(" not in template else EtsyError.message_template

    def _call_details(self):
        """Where the call went: operation, status and request id (quote them to Etsy support)."""
        return ", ".join(
            f"{label}={value}"
            for label, value in (("operation", self.operation), ("status", self.status),
                                 ("request_id", self.request_id))
            if value is not None
        )

    @property
    def reference(self):
        """Etsy's own words when the sentence does not quote them, and the call's details."""
        quoted = "%(details)s" in self.message_template
        own_words = self.message not in (self.message_template, self._fallback_message())
        return str(self) if own_words and not quoted else self._call_details()

    def __str__(self):
        details = self._call_details()
        return f"{self.message} ({details})" if details else self.message

    def __repr__(self):
        return f"{type(self).__name__}({str(self)!r})"

    def redact(self, *secrets):
        """Mask ``secrets``, and any secret shape, that Etsy may have echoed in its error texts."""
        for attr in ("message", "error", "error_description"):
            value = getattr(self, attr)
            if isinstance(value, str):
                setattr(self, attr, redact_text(value, secrets))
        self.args = (self.message,)
        return self


class EtsyConfigError(EtsyError):
    """The connector is misconfigured (bad base URL, missing keystring, no tokens...)."""

    message_template = _lt("Check the Etsy shop settings: %(details)s")


class EtsyAuthError(EtsyError):
    """401: Etsy did not accept the credentials."""

    message_template = _lt(
        "Etsy rejected the shop's authorization. Reconnect the shop from its settings."
    )


class EtsyReauthorizationRequired(EtsyAuthError):
    """The refresh token is revoked or invalid (``invalid_grant``): only a new consent helps."""

    message_template = _lt(
        "Reconnect the shop: Etsy revoked its authorization (the seller may have changed their "
        "Etsy password or removed the app)."
    )


class EtsyForbiddenError(EtsyError):
    """403: the app or token may not do this (or the shared secret is missing)."""

    @property
    def missing_shared_secret(self):
        """True when Etsy refused the call because ``x-api-key`` lacked the shared secret."""
        return SHARED_SECRET_MARKER in (self.error or "").lower()

    @property
    def message_template(self):
        if self.missing_shared_secret:
            return _lt("Enter the app's shared secret in the shop settings: Etsy requires it "
                       "with the keystring on every call.")
        return _lt("Etsy refused this operation. Check that the connected account owns the shop "
                   "and that the app was granted the needed permissions; reconnect the shop if "
                   "not.")


class EtsyNotFoundError(EtsyError):
    """404: the shop, listing or receipt does not exist (or is not visible to this app)."""

    message_template = _lt(
        "Etsy could not find this record; it may have been deleted or belong to another shop."
    )


class EtsyBadRequestError(EtsyError):
    """400/422: Etsy rejected the request data."""

    message_template = _lt("Etsy rejected the data sent: %(details)s. Correct it and try again.")


class EtsyConflictError(EtsyBadRequestError):
    """409: the request conflicts with the current state of the record on Etsy."""

    message_template = _lt(
        "Etsy refused the change because the record changed or is in a conflicting state: "
        "%(details)s. Refresh the data from Etsy and try again."
    )


class EtsyOffsetLimitError(EtsyBadRequestError):
    """A listing call would need an offset beyond Etsy's 12,000 cap."""

    message_template = _lt(
        "%(details)s Narrow the time window (for example a shorter date range) and sync again."
    )


class EtsyRateLimitError(EtsyError):
    """429 per-second limit, still hit after the client's bounded retries."""

    message_template = _lt("Etsy is rate-limiting the app. Try again in a minute.")


class EtsyDailyLimitError(EtsyRateLimitError):
    """429 daily limit: raised at once; the caller reschedules after ``retry_after`` seconds."""

    @property
    def message_template(self):
        if self.retry_after:
            return _lt("The app used up its daily Etsy call allowance. The sync will work again "
                       "in about %(hours)s hour(s); ask Etsy for a higher limit if this repeats.")
        return _lt("The app used up its daily Etsy call allowance. Try again later; ask Etsy for "
                   "a higher limit if this repeats.")

    @property
    def message_params(self):
        return {"hours": max(1, round(self.retry_after / 3600))} if self.retry_after else {}


class EtsyTransientError(EtsyError):
    """5xx, connection failure, timeout or unreadable answer (after the bounded retries)."""

    message_template = _lt("Etsy is not answering properly right now. Try again in a few minutes.")


class EtsyUnknownOutcomeError(EtsyError):
    """A non-idempotent call (POST) was sent but its answer was lost.

    Etsy may or may not have applied it: check on Etsy before repeating it, never retry blindly.
    """

    message_template = _lt(
        "The connection to Etsy was lost after the request was sent, so it may or may not have "
        "been applied. Check the record on Etsy before trying again."
    )


_STATUS_CLASSES = {
    400: EtsyBadRequestError,
    401: EtsyAuthError,
    403: EtsyForbiddenError,
    404: EtsyNotFoundError,
    409: EtsyConflictError,
    422: EtsyBadRequestError,
    429: EtsyRateLimitError,
}


def parse_retry_after(value):
    """``retry-after`` header (seconds) -> float, or None when absent or unreadable."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _error_texts(response):
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return None, None
    error, description = payload.get("error"), payload.get("error_description")
    return (str(error) if error is not None else None,
            str(description) if description is not None else None)


def is_daily_limit(response):
    """True when a 429 is the daily (QPD) limit rather than the per-second one."""
    error, _description = _error_texts(response)
    remaining_today = response.headers.get("x-remaining-today")
    return DAILY_LIMIT_MARKER in (error or "").lower() or str(remaining_today).strip() == "0"


def error_from_response(response, operation):
    """Build the matching :class:`EtsyError` for an HTTP error ``response`` (status >= 400)."""
    status = response.status_code
    error, description = _error_texts(response)
    if status == 429 and is_daily_limit(response):
        cls = EtsyDailyLimitError
    elif error == "invalid_grant":
        cls = EtsyReauthorizationRequired
    elif status >= 500:
        cls = EtsyTransientError
    else:
        cls = _STATUS_CLASSES.get(status, EtsyBadRequestError)
    message = None if error or description else f"Etsy answered HTTP {status}"
    return cls(
        message,
        status=status,
        error=error,
        error_description=description,
        operation=operation,
        request_id=response.headers.get("x-etsy-request-uuid"),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
