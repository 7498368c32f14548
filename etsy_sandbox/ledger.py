"""The Etsy Payment Account of each sandbox shop: payments, ledger entries, fees, payouts.

What a purchase, a shipment, a refund and a cancellation write to the seller's ledger, following
Etsy's document (PaymentAccountLedgerEntry, Payment, PaymentAdjustment) and API-NOTES "Etsy
money" (open-api #225, #302, #346, #442, #531):

* **At purchase** (a paid receipt): the transaction fee (6.5 %) on each item line
  (`transaction`), on the shipping (`shipping_transaction`) and on the gift wrap (`transaction`,
  reference the receipt); the 0.20 auto-renew of each sold listing that still has stock
  (`renew_sold_auto`). Etsy does not tie these to a receipt the API can read (#225, #531): their
  reference is the transaction or the listing. The Payment exists from now on (getPayments).
* **When the order ships** Etsy posts the payment (Payment.posted_gross: "We consider shipping to
  be the event which posts to the ledger"): `PAYMENT_GROSS` (+ the gross less what was refunded
  before), `sales_tax` (- the taxes Etsy collects and remits: US sales tax, and VAT when the shop
  lets Etsy remit it) and `PAYMENT_PROCESSING_FEE` (3 % + 0.25 of the posted gross), all with
  reference `shop_payment` = the payment id.
* **A refund** after posting: `REFUND_GROSS` (- the amount, with its PaymentAdjustment), and the
  proportional credits `sales_tax_refund`, `PAYMENT_PROCESSING_FEE_refund`, `transaction_refund`.
  A refund before posting lowers what posts later (Payment.posted_gross) and credits the
  transaction fees at once. A cancellation refunds what is left.
* **Payouts** (`DISBURSE2`, reference `disbursement`) take the whole positive balance, every
  `payout_interval` seconds (default 7 days), when the ledger next moves past that time.

The running `balance` is kept in order of `sequence_number`. Amounts are minor units of the
shop's currency (a EUR shop's fees are in EUR).
"""

from dataclasses import dataclass, field

from .errors import bad_request

DAY_SECONDS = 86400
TRANSACTION_RATE = 0.065
PROCESSING_RATE = 0.03
PROCESSING_FIXED = 25
RENEW_FEE = 20
PAYOUT_INTERVAL = 7 * DAY_SECONDS
MAX_WINDOW = 2678400
ERR_WINDOW = (
    "Time window between min_created and max_created must be no more than 2678400 seconds "
    "(31 days)"
)
DESCRIPTIONS = {
    "PAYMENT_GROSS": "payment",
    "REFUND_GROSS": "refund",
    "DISBURSE2": "disbursement",
}
POSTED_STATUSES = ("paid", "completed", "partially refunded", "fully refunded")


@dataclass
class PaymentRecord:
    """A Payment in API shape plus what the ledger needs to post and refund it."""

    data: dict
    shop_id: int
    taxes_kept: int
    transaction_fees: int
    refunded: int = 0
    refunded_taxes: int = 0
    posted: bool = False


@dataclass
class Account:
    """One shop's Etsy Payment Account."""

    shop_id: int
    currency: str
    ledger_id: int
    next_payout_at: int
    payout_interval: int = PAYOUT_INTERVAL
    remits_vat: bool = True
    balance: int = 0
    entries: list = field(default_factory=list)


def _share(total, part, whole):
    """`total` * part / whole, rounded half up (Etsy's proportional refunds)."""
    return (2 * total * part + whole) // (2 * whole) if whole else 0


class Ledger:
    """Every shop's Payment Account and every Payment; the world's lock guards it."""

    def __init__(self, world):
        self.world = world
        self.accounts = {}
        self.payments = {}
        self.payment_by_receipt = {}
        self.entries = {}
        self.sequence = 0

    # -- accounts ------------------------------------------------------------------------------

    def account(self, shop_id):
        if shop_id not in self.accounts:
            shop = self.world.shop(shop_id).data
            self.accounts[shop_id] = Account(
                shop_id,
                shop["currency_code"],
                self.world.ids.next("ledger"),
                shop["created_timestamp"] + PAYOUT_INTERVAL,
            )
        return self.accounts[shop_id]

    def configure(self, shop_id, remits_vat=None, payout_interval_days=None):
        """Whether Etsy remits the shop's VAT, how often it pays out."""
        account = self.account(shop_id)
        if remits_vat is not None:
            account.remits_vat = bool(remits_vat)
        if payout_interval_days is not None:
            account.payout_interval = int(payout_interval_days * DAY_SECONDS)
            account.next_payout_at = self.world.now() + account.payout_interval

    def add_entry(self, shop_id, ledger_type, amount, at, reference_type="", reference_id=None,
                  parent_entry_id=0, adjustments=(), description=None):
        """Append one entry (payouts that fell due before `at` first); returns it."""
        account = self.account(shop_id)
        if ledger_type != "DISBURSE2":
            self._payouts_due(account, at)
        return self._append(account, ledger_type, amount, at, reference_type, reference_id,
                            parent_entry_id, adjustments, description)

    def _append(self, account, ledger_type, amount, at, reference_type, reference_id,
                parent_entry_id, adjustments, description):
        self.sequence += 1
        account.balance += amount
        entry = {
            "entry_id": self.world.ids.next("ledger_entry"),
            "ledger_id": account.ledger_id,
            "sequence_number": self.sequence,
            "amount": amount,
            "currency": account.currency,
            "description": description or DESCRIPTIONS.get(
                ledger_type, "miscellaneous credit" if amount > 0 else "miscellaneous debit"),
            "balance": account.balance,
            "create_date": at,
            "created_timestamp": at,
            "ledger_type": ledger_type,
            "reference_type": reference_type,
            "reference_id": None if reference_id is None else str(reference_id),
            "parent_entry_id": parent_entry_id,
            "payment_adjustments": list(adjustments),
        }
        account.entries.append(entry)
        self.entries[entry["entry_id"]] = (account.shop_id, entry)
        return entry

    def _payouts_due(self, account, at):
        while account.next_payout_at <= at:
            if account.balance > 0:
                self._append(account, "DISBURSE2", -account.balance, account.next_payout_at,
                             "disbursement", self.world.ids.next("disbursement"), 0, (), None)
            account.next_payout_at += account.payout_interval

    def payout(self, shop_id):
        """Pay the positive balance out now (a seller's manual payout); the entry or None."""
        account = self.account(shop_id)
        if account.balance <= 0:
            return None
        return self._append(account, "DISBURSE2", -account.balance, self.world.now(),
                            "disbursement", self.world.ids.next("disbursement"), 0, (), None)

    # -- the events of a receipt ---------------------------------------------------------------

    def purchase(self, record, at):
        """A paid checkout: the Payment and the fees charged at once."""
        data = record.data
        shop_id = record.shop_id
        account = self.account(shop_id)
        gross = data["grandtotal"]["amount"]
        taxes = data["total_tax_cost"]["amount"] + (
            data["total_vat_cost"]["amount"] if account.remits_vat else 0)
        fees = 0
        for transaction in data["transactions"]:
            value = transaction["price"]["amount"] * transaction["quantity"]
            fee = round(value * TRANSACTION_RATE)
            fees += fee
            self.add_entry(shop_id, "transaction", -fee, at, "transaction",
                           transaction["transaction_id"])
        for ledger_type, value in (("shipping_transaction", data["total_shipping_cost"]["amount"]),
                                   ("transaction", data["gift_wrap_price"]["amount"])):
            fee = round(value * TRANSACTION_RATE)
            if fee:
                fees += fee
                self.add_entry(shop_id, ledger_type, -fee, at, "receipt", data["receipt_id"])
        for transaction in data["transactions"]:
            listing = self.world.listings.get(transaction["listing_id"])
            if listing and listing.data["state"] == "active" and listing.data["quantity"] > 0:
                self.add_entry(shop_id, "renew_sold_auto", -RENEW_FEE, at, "listing",
                               transaction["listing_id"])
        payment_id = self.world.ids.next("payment")
        processing = self._processing_fee(gross)
        payment = {
            "payment_id": payment_id,
            "buyer_user_id": data["buyer_user_id"],
            "shop_id": shop_id,
            "receipt_id": data["receipt_id"],
            "amount_gross": self._money(gross, account),
            "amount_fees": self._money(processing, account),
            "amount_net": self._money(gross - processing, account),
            "posted_gross": None,
            "posted_fees": None,
            "posted_net": None,
            "adjusted_gross": None,
            "adjusted_fees": None,
            "adjusted_net": None,
            "currency": account.currency,
            "shop_currency": account.currency,
            "buyer_currency": account.currency,
            "shipping_user_id": data["buyer_user_id"],
            "shipping_address_id": self.world.ids.next("address"),
            "billing_address_id": self.world.ids.next("address"),
            "status": "settled",
            "shipped_timestamp": None,
            "create_timestamp": at,
            "created_timestamp": at,
            "update_timestamp": at,
            "updated_timestamp": at,
            "payment_adjustments": [],
        }
        self.payments[payment_id] = PaymentRecord(payment, shop_id, taxes, fees)
        self.payment_by_receipt[data["receipt_id"]] = payment_id

    def _processing_fee(self, gross):
        return round(gross * PROCESSING_RATE) + PROCESSING_FIXED if gross > 0 else 0

    @staticmethod
    def _money(amount, account):
        return {"amount": int(amount), "divisor": 100, "currency_code": account.currency}

    def shipped(self, record, at):
        """The order shipped: Etsy posts its payment (once)."""
        payment = self._payment_of(record)
        if payment is None or payment.posted or record.data["status"] == "canceled":
            return
        account = self.account(record.shop_id)
        gross = payment.data["amount_gross"]["amount"] - payment.refunded
        taxes = payment.taxes_kept - payment.refunded_taxes
        fee = self._processing_fee(gross)
        payment.posted = True
        if gross <= 0:
            return
        pid = payment.data["payment_id"]
        self.add_entry(record.shop_id, "PAYMENT_GROSS", gross, at, "shop_payment", pid)
        if taxes:
            self.add_entry(record.shop_id, "sales_tax", -taxes, at, "shop_payment", pid)
        self.add_entry(record.shop_id, "PAYMENT_PROCESSING_FEE", -fee, at, "shop_payment", pid)
        payment.data.update(
            posted_gross=self._money(gross, account),
            posted_fees=self._money(fee, account),
            posted_net=self._money(gross - fee, account),
            shipped_timestamp=at,
            update_timestamp=at,
            updated_timestamp=at,
        )

    def refunded(self, record, amount, at):
        """The seller refunds `amount` minor units of the receipt."""
        payment = self._payment_of(record)
        if payment is None or amount <= 0:
            return
        account = self.account(record.shop_id)
        data = payment.data
        gross = data["amount_gross"]["amount"]
        taxes = _share(payment.taxes_kept, amount, gross)
        processing = _share(data["amount_fees"]["amount"], amount, gross)
        fees = _share(payment.transaction_fees, amount, gross)
        payment.refunded += amount
        payment.refunded_taxes += taxes
        adjustment_id = self.world.ids.next("adjustment")
        adjustment = {
            "payment_adjustment_id": adjustment_id,
            "payment_id": data["payment_id"],
            "status": "SUCCESS",
            "is_success": True,
            "user_id": self.world.shop(record.shop_id).data["user_id"],
            "reason_code": "other",
            "total_adjustment_amount": amount,
            "shop_total_adjustment_amount": amount,
            "buyer_total_adjustment_amount": amount,
            "total_fee_adjustment_amount": processing,
            "create_timestamp": at,
            "created_timestamp": at,
            "update_timestamp": at,
            "updated_timestamp": at,
            "payment_adjustment_items": [{
                "payment_adjustment_id": adjustment_id,
                "payment_adjustment_item_id": self.world.ids.next("adjustment"),
                "adjustment_type": "REFUND",
                "amount": amount,
                "shop_amount": amount,
                "transaction_id": record.data["transactions"][0]["transaction_id"],
                "bill_payment_id": None,
                "created_timestamp": at,
                "updated_timestamp": at,
            }],
        }
        data["payment_adjustments"].append(adjustment)
        left = gross - payment.refunded
        left_fees = data["amount_fees"]["amount"] - sum(
            a["total_fee_adjustment_amount"] for a in data["payment_adjustments"])
        data.update(adjusted_gross=self._money(left, account),
                    adjusted_fees=self._money(left_fees, account),
                    adjusted_net=self._money(left - left_fees, account),
                    update_timestamp=at, updated_timestamp=at)
        pid = data["payment_id"]
        shop_id = record.shop_id
        if payment.posted:
            self.add_entry(shop_id, "REFUND_GROSS", -amount, at, "shop_payment", pid,
                           adjustments=[adjustment])
            if taxes:
                self.add_entry(shop_id, "sales_tax_refund", taxes, at, "shop_payment", pid)
            if processing:
                self.add_entry(shop_id, "PAYMENT_PROCESSING_FEE_refund", processing, at,
                               "shop_payment", pid)
        if fees:
            self.add_entry(shop_id, "transaction_refund", fees, at, "receipt",
                           record.data["receipt_id"])

    def _payment_of(self, record):
        payment_id = self.payment_by_receipt.get(record.data["receipt_id"])
        return self.payments.get(payment_id)

    # -- reading -------------------------------------------------------------------------------

    def list_entries(self, shop_id, min_created, max_created):
        """Entries created in [min_created, max_created], newest first; 400 beyond 31 days."""
        if max_created - min_created > MAX_WINDOW:
            raise bad_request(ERR_WINDOW)
        account = self.account(shop_id)
        found = [e for e in account.entries if min_created <= e["created_timestamp"] <= max_created]
        found.sort(key=lambda e: (e["created_timestamp"], e["sequence_number"]), reverse=True)
        return found

    def payments_of(self, shop_id, payment_ids):
        """The shop's payments among `payment_ids` (unknown ids are left out)."""
        found = []
        for payment_id in payment_ids:
            payment = self.payments.get(payment_id)
            if payment and payment.shop_id == shop_id:
                found.append(payment.data)
        return found

    def payments_of_entries(self, shop_id, entry_ids):
        """The payments the shop's entries refer to (reference shop_payment)."""
        ids = []
        for entry_id in entry_ids:
            owner, entry = self.entries.get(entry_id, (None, None))
            if owner == shop_id and entry["reference_type"] == "shop_payment":
                payment_id = int(entry["reference_id"])
                if payment_id not in ids:
                    ids.append(payment_id)
        return self.payments_of(shop_id, ids)
