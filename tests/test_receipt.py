"""The pure view of an Etsy receipt: ids, status, dates and amounts read once, exactly."""

import datetime
from decimal import Decimal

import pytest
from etsy.receipt import Receipt, receipt_status


def money(amount, currency="USD", divisor=100):
    return {"amount": amount, "divisor": divisor, "currency_code": currency}


def etsy_receipt(**overrides):
    receipt = {
        "receipt_id": 3012345678,
        "status": "Paid",
        "is_paid": True,
        "is_shipped": False,
        "created_timestamp": 1714557600,  # 2024-05-01 10:00:00 UTC
        "updated_timestamp": 1714561200,
        "buyer_user_id": 55501,
        "buyer_email": " emma@example.com ",
        "name": "Emma Johnson",
        "first_line": "742 Evergreen Terrace",
        "second_line": None,
        "city": "Sacramento",
        "state": "CA",
        "zip": "95814",
        "country_iso": "us",
        "message_from_buyer": "<b>hi</b>",
        "is_gift": True,
        "gift_message": "Happy birthday",
        "gift_sender": "Grace",
        "grandtotal": money(4230),
        "total_price": money(3000),
        "total_shipping_cost": money(500),
        "total_tax_cost": money(230),
        "total_vat_cost": money(0),
        "discount_amt": money(0),
        "gift_wrap_price": money(500),
        "refunds": [{"amount": money(250), "reason": "late"},
                    {"amount": money(100), "reason": None}],
        "transactions": [{
            "transaction_id": 4001, "listing_id": 1501, "product_id": 7001, "sku": " TEA-8 ",
            "title": "Teatime candle", "quantity": 2, "price": money(1500),
            "variations": [{"formatted_name": "Size", "formatted_value": "8 oz"}],
            "product_data": [{"property_id": 100, "property_name": "Size", "values": ["8 oz"]}],
            "is_digital": False, "expected_ship_date": 1714953600,
        }],
    }
    receipt.update(overrides)
    return receipt


def test_ids_status_dates_and_buyer():
    receipt = Receipt.from_etsy(etsy_receipt())
    assert receipt.receipt_id == "3012345678"
    assert receipt.status == "paid"
    assert receipt.created_at == datetime.datetime(2024, 5, 1, 10, 0)
    assert receipt.created_at.tzinfo is None
    assert receipt.updated_at == datetime.datetime(2024, 5, 1, 11, 0)
    assert receipt.buyer_user_id == "55501"
    assert receipt.buyer_email == "emma@example.com"
    assert receipt.address.country_code == "US"
    assert receipt.address.street2 == ""
    assert receipt.address.is_complete
    assert receipt.message_from_buyer == "<b>hi</b>"
    assert receipt.gift_message == "Happy birthday\n— Grace"


def test_amounts_are_decimals_read_once():
    receipt = Receipt.from_etsy(etsy_receipt())
    assert receipt.currency == "USD"
    assert receipt.grandtotal == Decimal("42.30")
    assert receipt.shipping == Decimal("5.00")
    assert receipt.sales_tax == Decimal("2.30")
    assert receipt.gift_wrap == Decimal("5.00")
    assert receipt.refunds == Decimal("3.50")
    assert [r.reason for r in receipt.refund_list] == ["late", ""]
    assert all(isinstance(value, Decimal) for value in (
        receipt.grandtotal, receipt.total_price, receipt.shipping, receipt.sales_tax,
        receipt.vat, receipt.discount, receipt.gift_wrap, receipt.refunds))
    assert receipt.expected_total(sales_tax_in_order=False) == Decimal("40.00")
    assert receipt.expected_total(sales_tax_in_order=True) == Decimal("42.30")


def test_transactions():
    tx, = Receipt.from_etsy(etsy_receipt()).transactions
    assert (tx.transaction_id, tx.listing_id, tx.product_id) == ("4001", "1501", "7001")
    assert tx.sku == "TEA-8"
    assert tx.quantity == 2
    assert tx.price == Decimal("15.00")
    assert tx.variations == (("Size", "8 oz"),)
    assert tx.ship_by == datetime.datetime(2024, 5, 6, 0, 0)


def test_downloads_have_no_ship_by_date():
    raw = etsy_receipt()
    raw["transactions"][0]["is_digital"] = True
    receipt = Receipt.from_etsy(raw)
    assert receipt.transactions[0].ship_by is None
    assert receipt.is_only_digital


@pytest.mark.parametrize(("status", "canceled", "refunded"), [
    ("Canceled", True, False),
    ("canceled", True, False),
    ("Fully Refunded", False, True),
    (" fully refunded ", False, True),
    ("Completed", False, False),
])
def test_status_in_any_case(status, canceled, refunded):
    receipt = Receipt.from_etsy(etsy_receipt(status=status))
    assert receipt.is_canceled is canceled
    assert receipt.is_fully_refunded is refunded
    assert receipt_status({"status": status}) == status.strip().lower()


def test_vat_rate_bounds_fit_etsys_rounding():
    # 20 % of 30.00 + 5.00 shipping + 5.00 gift wrap = 8.00
    receipt = Receipt.from_etsy(etsy_receipt(total_vat_cost=money(800)))
    low, high, rate = receipt.vat_rate()
    assert rate == Decimal("20.00")
    assert low < Decimal(20) < high
    assert Receipt.from_etsy(etsy_receipt()).vat_rate() is None


def test_old_key_names_and_missing_optionals():
    raw = etsy_receipt()
    raw["create_timestamp"] = raw.pop("created_timestamp")
    for key in ("updated_timestamp", "buyer_user_id", "buyer_email", "refunds",
                "discount_amt", "gift_sender"):
        raw.pop(key)
    receipt = Receipt.from_etsy(raw)
    assert receipt.created_at == datetime.datetime(2024, 5, 1, 10, 0)
    assert receipt.updated_at is None
    assert receipt.buyer_user_id == ""
    assert receipt.discount == Decimal(0)
    assert receipt.refunds == Decimal(0)
    assert receipt.gift_message == "Happy birthday"


@pytest.mark.parametrize("damage", [
    {"grandtotal": {"amount": "12,50", "divisor": 100, "currency_code": "USD"}},
    {"grandtotal": {"amount": 1250, "divisor": 100}},  # no currency
    {"created_timestamp": None},
])
def test_garbage_is_refused(damage):
    with pytest.raises(ValueError):
        Receipt.from_etsy(etsy_receipt(**damage))
