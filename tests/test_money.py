"""Etsy Money and timestamps convert exactly, and garbage is refused."""

import datetime
from decimal import Decimal

import pytest
from etsy.money import (
    datetime_to_epoch,
    decimal_to_float_price,
    epoch_to_datetime,
    money_currency,
    money_to_decimal,
    parse_money,
)


@pytest.mark.parametrize(("money", "expected"), [
    ({"amount": 1250, "divisor": 100, "currency_code": "USD"}, Decimal("12.50")),
    ({"amount": 1999, "divisor": 100, "currency_code": "EUR"}, Decimal("19.99")),
    ({"amount": 500, "divisor": 1, "currency_code": "JPY"}, Decimal(500)),
    ({"amount": 12345, "divisor": 1000, "currency_code": "KWD"}, Decimal("12.345")),
    ({"amount": "0", "divisor": "100", "currency_code": "USD"}, Decimal("0.00")),
    ({"amount": -250, "divisor": 100, "currency_code": "USD"}, Decimal("-2.50")),
])
def test_money_to_decimal_is_exact(money, expected):
    value = money_to_decimal(money)
    assert value == expected
    assert value.as_tuple() == expected.as_tuple()  # scale kept: 12.50, not 12.5


def test_float_arithmetic_would_be_wrong_but_decimal_sums_exactly():
    prices = [{"amount": 10, "divisor": 100, "currency_code": "USD"}] * 3
    assert sum(money_to_decimal(p) for p in prices) == Decimal("0.30")
    assert sum(p["amount"] / p["divisor"] for p in prices) != 0.3


def test_parse_money_and_currency():
    assert parse_money({"amount": 799, "divisor": 100, "currency_code": "gbp"}) == (
        Decimal("7.99"), "GBP")
    with pytest.raises(ValueError, match="currency_code"):
        money_currency({"amount": 1, "divisor": 100})


@pytest.mark.parametrize("garbage", [
    None, 12.5, "12.50", [], {"amount": 100}, {"divisor": 100},
    {"amount": 12.5, "divisor": 100}, {"amount": True, "divisor": 100},
    {"amount": "1e3", "divisor": 100}, {"amount": 100, "divisor": 0},
    {"amount": 100, "divisor": 30}, {"amount": 100, "divisor": -100},
    {"amount": 100, "divisor": "abc"},
])
def test_money_garbage_is_refused(garbage):
    with pytest.raises(ValueError):
        money_to_decimal(garbage)


@pytest.mark.parametrize(("value", "divisor", "expected"), [
    (Decimal("12.50"), 100, 12.5),
    (Decimal("19.99"), 100, 19.99),
    (Decimal("0.005"), 100, 0.01),          # half-up, not banker's rounding
    (Decimal("2.675"), 100, 2.68),          # float(2.675) rounds to 2.67; Decimal does not
    ("8", 100, 8.0),
    (2.675, 100, 2.68),
    (Decimal(500), 1, 500.0),
    ({"amount": 1999, "divisor": 100, "currency_code": "USD"}, 1, 19.99),  # Money's own divisor
])
def test_decimal_to_float_price(value, divisor, expected):
    price = decimal_to_float_price(value, divisor)
    assert isinstance(price, float)
    assert price == expected
    assert repr(price) == repr(expected)  # serialises in JSON exactly as written


@pytest.mark.parametrize("garbage", [None, True, "abc", Decimal("NaN"), float("inf"), -1,
                                     Decimal("-0.01"), [1]])
def test_decimal_to_float_price_refuses_garbage(garbage):
    with pytest.raises(ValueError):
        decimal_to_float_price(garbage)


def test_epoch_round_trip_is_naive_utc():
    moment = epoch_to_datetime(1700000000)
    assert moment == datetime.datetime(2023, 11, 14, 22, 13, 20)
    assert moment.tzinfo is None
    assert datetime_to_epoch(moment) == 1700000000
    assert epoch_to_datetime("946684800") == datetime.datetime(2000, 1, 1)
    assert epoch_to_datetime(None) is None


def test_datetime_to_epoch_converts_aware_datetimes():
    paris = datetime.timezone(datetime.timedelta(hours=1))
    aware = datetime.datetime(2023, 11, 14, 23, 13, 20, tzinfo=paris)
    assert datetime_to_epoch(aware) == 1700000000
    with pytest.raises(TypeError):
        datetime_to_epoch(1700000000)


@pytest.mark.parametrize("garbage", [True, "yesterday", float("nan"), float("inf"), [1]])
def test_epoch_garbage_is_refused(garbage):
    with pytest.raises(ValueError):
        epoch_to_datetime(garbage)
