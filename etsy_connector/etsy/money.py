"""Etsy Money and timestamps, converted exactly.

Etsy sends amounts as ``{"amount": 1250, "divisor": 100, "currency_code": "USD"}`` (12.50 USD) and
times as Unix epoch seconds. Amounts stay :class:`~decimal.Decimal` (never float arithmetic); the
only float is the price the inventory PUT requires, rounded exactly to the currency's divisor.
"""

import datetime
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1)
_INT_RE = re.compile(r"^-?\d+$")


def _strict_int(value, name):
    """An int from an int or a string of digits; bools, floats and garbage are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise ValueError(f"{name} must be an integer, got {type(value).__name__}")


def _divisor_exponent(divisor):
    """Number of decimals for ``divisor`` (100 -> 2); only powers of ten are exact."""
    divisor = _strict_int(divisor, "Money divisor")
    text = str(divisor)
    if divisor < 1 or text.rstrip("0") != "1":
        raise ValueError(f"Money divisor must be a positive power of ten, got {divisor}")
    return len(text) - 1


def money_to_decimal(money):
    """Etsy Money dict -> exact ``Decimal`` in major units (1250/100 -> ``Decimal('12.50')``)."""
    if not isinstance(money, dict) or not {"amount", "divisor"} <= money.keys():
        raise ValueError(f"Etsy Money must be a dict with amount and divisor, got {money!r:.80}")
    amount = _strict_int(money["amount"], "Money amount")
    return Decimal(amount).scaleb(-_divisor_exponent(money["divisor"]))


def money_currency(money):
    """The ISO currency code of an Etsy Money dict (upper case)."""
    code = money.get("currency_code") if isinstance(money, dict) else None
    if not isinstance(code, str) or not code.strip():
        raise ValueError("Etsy Money lacks a currency_code")
    return code.strip().upper()


def parse_money(money):
    """Etsy Money dict -> ``(Decimal amount, currency code)``."""
    return money_to_decimal(money), money_currency(money)


def _to_decimal(value):
    if isinstance(value, bool) or value is None:
        raise ValueError(f"a price must be a number, got {value!r}")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"a price must be a number, got {type(value).__name__}") from None
    if not number.is_finite():
        raise ValueError("a price must be a finite number")
    return number


def decimal_to_float_price(value, divisor=100):
    """A price for the inventory PUT: float in major units, rounded half-up to ``divisor``.

    ``value`` is a Decimal/int/str/float amount in major units, or an Etsy Money dict (then its
    own divisor is used). ``float(Decimal('12.34'))`` serialises as ``12.34`` in JSON.
    """
    if isinstance(value, dict):
        divisor = value.get("divisor", divisor)
        value = money_to_decimal(value)
    number = _to_decimal(value)
    if number < 0:
        raise ValueError("a price cannot be negative")
    step = Decimal(1).scaleb(-_divisor_exponent(divisor))
    return float(number.quantize(step, rounding=ROUND_HALF_UP))


def epoch_to_datetime(value):
    """Epoch seconds (int, float or digit string) -> naive UTC datetime; None stays None."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = None
    if value is True or value is False or seconds is None or not math.isfinite(seconds):
        raise ValueError(f"a timestamp must be finite epoch seconds, got {value!r:.80}")
    return _EPOCH + datetime.timedelta(seconds=seconds)


def datetime_to_epoch(value):
    """Datetime -> epoch seconds (int). Naive values are taken as UTC, aware ones converted."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(_UTC).replace(tzinfo=None)
    return int((value - _EPOCH).total_seconds())


def utcnow():
    """The current time as a naive UTC datetime, the form every datetime of this layer takes."""
    return datetime.datetime.now(_UTC).replace(tzinfo=None)
