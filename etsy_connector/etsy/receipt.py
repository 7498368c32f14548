"""A pure view of one Etsy ShopReceipt: what the order import needs, read once.

Etsy's ShopReceipt is a dict of Money dicts, epoch seconds, optional keys and statuses whose
case varies ("Fully Refunded", "fully refunded"). `Receipt.from_etsy` reads it once: ids as
strings, the status in lower case, dates as naive UTC datetimes, the amounts as Decimals. The ORM
side (the order writer) then resolves partners, products and taxes from this value; nothing here
touches a database.
"""

import dataclasses
import datetime
from decimal import Decimal

from .money import epoch_to_datetime, money_currency, money_to_decimal

ZERO = Decimal(0)
# Etsy rounds the VAT to the cent: every rate that rounds to the same cents fits.
HALF_CENT = Decimal("0.005")

CANCELED = "canceled"
FULLY_REFUNDED = "fully refunded"


def receipt_status(receipt):
    """The status of an Etsy receipt dict in lower case (Etsy has sent both cases)."""
    return _text(receipt.get("status")).lower()


def _text(value):
    return (value or "").strip() if isinstance(value, str) else ""


def _id(value):
    return str(value) if value not in (None, "", 0) else ""


def _amount(receipt, key):
    value = receipt.get(key)
    return money_to_decimal(value) if value else ZERO


@dataclasses.dataclass(frozen=True)
class Address:
    name: str
    street: str
    street2: str
    city: str
    zip: str
    state: str  # as Etsy sends it: a code ("CA") or a name
    country_code: str  # ISO, upper case

    @property
    def is_complete(self):
        """Etsy withholds the address in some regions: without street or country it is not."""
        return bool(self.street and self.country_code)

    @property
    def is_empty(self):
        return not any((self.street, self.street2, self.city, self.zip, self.state,
                        self.country_code))


@dataclasses.dataclass(frozen=True)
class Refund:
    amount: Decimal
    reason: str


@dataclasses.dataclass(frozen=True)
class Transaction:
    transaction_id: str
    listing_id: str
    product_id: str
    sku: str
    title: str
    quantity: int
    price: Decimal
    variations: tuple  # ((name, value), ...) as Etsy formats them
    property_values: tuple  # Etsy's product_data: the variation's property values
    is_digital: bool
    ship_by: datetime.datetime | None  # None for downloads: they are not shipped

    @classmethod
    def from_etsy(cls, tx):
        stamp = tx.get("expected_ship_date")
        is_digital = bool(tx.get("is_digital"))
        return cls(
            transaction_id=_id(tx["transaction_id"]),
            listing_id=_id(tx.get("listing_id")),
            product_id=_id(tx.get("product_id")),
            sku=_text(tx.get("sku")),
            title=_text(tx.get("title")),
            quantity=tx.get("quantity") or 1,
            price=money_to_decimal(tx["price"]),
            variations=tuple((_text(v.get("formatted_name")), _text(v.get("formatted_value")))
                             for v in tx.get("variations") or []),
            property_values=tuple(tx.get("product_data") or ()),
            is_digital=is_digital,
            ship_by=epoch_to_datetime(stamp) if stamp and not is_digital else None,
        )


@dataclasses.dataclass(frozen=True)
class Receipt:
    receipt_id: str
    status: str  # lower case: "paid", "completed", "canceled", "fully refunded"...
    is_paid: bool
    is_shipped: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    buyer_user_id: str
    buyer_email: str
    address: Address
    message_from_buyer: str
    is_gift: bool
    gift_message: str  # with its sender, as the buyer wrote them
    currency: str
    grandtotal: Decimal
    total_price: Decimal
    shipping: Decimal
    sales_tax: Decimal
    vat: Decimal
    discount: Decimal
    gift_wrap: Decimal
    refunds: Decimal  # the sum of `refund_list`
    refund_list: tuple
    transactions: tuple
    raw: dict = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_etsy(cls, receipt):
        """Read Etsy's ShopReceipt dict; raises ValueError on a value Odoo cannot read."""
        refund_list = tuple(Refund(money_to_decimal(r["amount"]), _text(r.get("reason")))
                            for r in receipt.get("refunds") or [])
        created = receipt.get("created_timestamp") or receipt.get("create_timestamp")
        if created is None:
            raise ValueError("the Etsy receipt has no created_timestamp")
        updated = receipt.get("updated_timestamp") or receipt.get("update_timestamp")
        message, sender = _text(receipt.get("gift_message")), _text(receipt.get("gift_sender"))
        return cls(
            receipt_id=_id(receipt["receipt_id"]),
            status=receipt_status(receipt),
            is_paid=bool(receipt.get("is_paid")),
            is_shipped=bool(receipt.get("is_shipped")),
            created_at=epoch_to_datetime(created),
            updated_at=epoch_to_datetime(updated) if updated else None,
            buyer_user_id=_id(receipt.get("buyer_user_id")),
            buyer_email=_text(receipt.get("buyer_email")),
            address=Address(
                name=_text(receipt.get("name")),
                street=_text(receipt.get("first_line")),
                street2=_text(receipt.get("second_line")),
                city=_text(receipt.get("city")),
                zip=_text(receipt.get("zip")),
                state=_text(receipt.get("state")),
                country_code=_text(receipt.get("country_iso")).upper(),
            ),
            message_from_buyer=receipt.get("message_from_buyer") or "",
            is_gift=bool(receipt.get("is_gift")),
            gift_message=f"{message}\n— {sender}" if message and sender else message,
            currency=money_currency(receipt.get("grandtotal")),
            grandtotal=_amount(receipt, "grandtotal"),
            total_price=_amount(receipt, "total_price"),
            shipping=_amount(receipt, "total_shipping_cost"),
            sales_tax=_amount(receipt, "total_tax_cost"),
            vat=_amount(receipt, "total_vat_cost"),
            discount=_amount(receipt, "discount_amt"),
            gift_wrap=_amount(receipt, "gift_wrap_price"),
            refunds=sum((refund.amount for refund in refund_list), ZERO),
            refund_list=refund_list,
            transactions=tuple(Transaction.from_etsy(tx)
                               for tx in receipt.get("transactions") or []),
            raw=receipt,
        )

    # --- status --- #

    @property
    def is_canceled(self):
        return self.status == CANCELED

    @property
    def is_fully_refunded(self):
        return self.status == FULLY_REFUNDED

    @property
    def is_only_digital(self):
        return bool(self.transactions) and all(tx.is_digital for tx in self.transactions)

    # --- money --- #

    def expected_total(self, sales_tax_in_order, vat_kept_by_etsy=False):
        """What the Odoo order should total: the grand total, without the sales tax Etsy
        collected unless the order records it as a line, and without the VAT Etsy collects
        when it keeps it (as marketplace facilitator)."""
        total = self.grandtotal if sales_tax_in_order else self.grandtotal - self.sales_tax
        return total - self.vat if vat_kept_by_etsy else total

    @property
    def vat_base(self):
        """What the VAT was charged on: items after the coupon, shipping and gift wrap."""
        return self.total_price - self.discount + self.shipping + self.gift_wrap

    def vat_rate(self):
        """``(low, high, rate)`` in percent: the rates consistent with Etsy's rounded VAT, and
        the rate itself to two decimals; None when the receipt charges no VAT."""
        base = self.vat_base
        if not self.vat or base <= 0:
            return None
        low, high = ((self.vat + delta) * 100 / base for delta in (-HALF_CENT, HALF_CENT))
        return low, high, (self.vat * 100 / base).quantize(Decimal("0.01"))
