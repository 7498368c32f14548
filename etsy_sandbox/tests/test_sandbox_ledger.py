"""The Etsy Payment Account of the sandbox: ledger entries, payments, fees, refunds, payouts.

Every answer is validated closed against Etsy's OpenAPI document, and every object carries every
field the document defines.
"""

from conftest import Api
from etsy_sandbox.ledger import ERR_WINDOW, MAX_WINDOW, RENEW_FEE

DAY = 86400


def ok(spec, operation, response):
    assert response.status_code == 200, response.text
    body = response.json()
    errors = spec.validate_response(operation, 200, body, closed=True)
    assert not errors, errors[:5]
    return body


def ledger(api, shop_id, start, end):
    """Every entry of [start, end], read in windows of at most 31 days and pages of 100."""
    entries = []
    while start <= end:
        stop = min(start + MAX_WINDOW, end)
        offset = 0
        while True:
            page = api.get(
                f"/shops/{shop_id}/payment-account/ledger-entries",
                params={"min_created": start, "max_created": stop, "limit": 100, "offset": offset},
            ).json()
            entries += page["results"]
            offset += 100
            if offset >= page["count"]:
                break
        start = stop + 1
    return entries


def test_ledger_entries_and_payments_validate_and_are_complete(spec, api, shop_id, sb):
    receipt = sb.buy(sb.world.seed_listings["sampler"])
    sb.ship_receipt(receipt["receipt_id"], "9400100", "usps")
    sb.refund_receipt(receipt["receipt_id"], 100)
    now = sb.world.now()
    path = f"/shops/{shop_id}/payment-account/ledger-entries"
    body = ok(spec, "getShopPaymentAccountLedgerEntries",
              api.get(path, params={"min_created": now - 30 * DAY, "max_created": now,
                                    "limit": 100}))
    assert body["results"]
    for entry in body["results"]:
        assert list(entry) == spec.schema_properties("PaymentAccountLedgerEntry")
    gross = [e for e in body["results"] if e["ledger_type"] == "PAYMENT_GROSS"]
    refunds = [e for e in body["results"] if e["ledger_type"] == "REFUND_GROSS"]
    assert gross and refunds
    assert set(refunds[0]["payment_adjustments"][0]) == set(
        spec.schema_properties("PaymentAdjustment"))
    ids = ",".join(e["reference_id"] for e in gross)
    payments = ok(spec, "getPayments", api.get(f"/shops/{shop_id}/payments",
                                               params={"payment_ids": ids}))
    assert payments["count"] == len(gross)
    for payment in payments["results"]:
        assert list(payment) == spec.schema_properties("Payment")
        assert payment["receipt_id"] in sb.world.receipts
    entry_ids = ",".join(str(e["entry_id"]) for e in gross)
    by_entry = ok(spec, "getPaymentAccountLedgerEntryPayments",
                  api.get(f"{path}/payments", params={"ledger_entry_ids": entry_ids}))
    assert by_entry == payments


def test_a_window_over_31_days_is_refused_with_etsys_words(spec, api, shop_id, sb):
    now = sb.world.now()
    path = f"/shops/{shop_id}/payment-account/ledger-entries"
    response = api.get(path, params={"min_created": now - MAX_WINDOW - 1, "max_created": now})
    assert response.status_code == 400
    assert response.json() == {"error": ERR_WINDOW}
    assert not spec.validate_response("getShopPaymentAccountLedgerEntries", 400, response.json())
    missing = api.get(path, params={"min_created": now - DAY})
    assert missing.status_code == 400
    assert api.get(path, params={"min_created": now - MAX_WINDOW,
                                 "max_created": now}).status_code == 200
    assert api.get(path, params={"min_created": now - DAY, "max_created": now,
                                 "limit": 101}).status_code == 400


def test_the_running_balance_is_kept_and_paged_reads_lose_nothing(api, shop_id, sb):
    sb.generate_receipts(120, lines=1)
    entries = sb.ledger_entries()
    balance = 0
    for entry in entries:
        balance += entry["amount"]
        assert entry["balance"] == balance
    assert sb.ledger_balance() == balance
    now = sb.world.now()
    read = ledger(api, shop_id, now - 200 * DAY, now)
    assert sorted(e["entry_id"] for e in read) == sorted(e["entry_id"] for e in entries)


def test_a_purchase_its_shipment_a_refund_and_a_payout(sb):
    listing_id = sb.world.seed_listings["sampler"]
    before = len(sb.ledger_entries())
    receipt = sb.buy(listing_id, quantity=1, gift_wrap=300)
    purchase = sb.ledger_entries()[before:]
    types = [e["ledger_type"] for e in purchase]
    assert types.count("transaction") == 2  # the item and the gift wrap
    assert "shipping_transaction" in types
    item = receipt["transactions"][0]
    fee = next(e for e in purchase if e["reference_type"] == "transaction")
    assert fee["amount"] == -round(item["price"]["amount"] * 0.065)
    if sb.listing(listing_id)["quantity"] > 0:
        assert {"ledger_type": "renew_sold_auto", "amount": -RENEW_FEE}.items() <= next(
            e for e in purchase if e["ledger_type"] == "renew_sold_auto").items()
    payment = sb.payment_of_receipt(receipt["receipt_id"])
    assert payment["posted_gross"] is None
    sb.ship_receipt(receipt["receipt_id"], "9400100", "usps")
    posted = sb.ledger_entries()[before + len(purchase):]
    gross = next(e for e in posted if e["ledger_type"] == "PAYMENT_GROSS")
    assert gross["amount"] == receipt["grandtotal"]["amount"]
    assert gross["reference_id"] == str(payment["payment_id"])
    tax = next(e for e in posted if e["ledger_type"] == "sales_tax")
    assert -tax["amount"] == receipt["total_tax_cost"]["amount"] + receipt["total_vat_cost"][
        "amount"]
    sb.refund_receipt(receipt["receipt_id"], 500)
    refund = sb.ledger_entries()[-4:]
    assert refund[0]["ledger_type"] == "REFUND_GROSS"
    assert refund[0]["amount"] == -500
    assert sb.payment_of_receipt(receipt["receipt_id"])["adjusted_gross"]["amount"] == (
        receipt["grandtotal"]["amount"] - 500)
    balance = sb.ledger_balance()
    payout = sb.payout()
    if balance > 0:
        assert payout["ledger_type"] == "DISBURSE2" and payout["amount"] == -balance
        assert sb.ledger_balance() == 0


def test_payouts_follow_the_schedule(sb):
    sb.configure_payment_account(payout_interval_days=1)
    sb.add_ledger_entry("misc_credit", 500_000)
    receipt = sb.buy(sb.world.seed_listings["sampler"])
    sb.ship_receipt(receipt["receipt_id"], "9400100", "usps")
    sb.advance_clock(2 * DAY)
    sb.add_ledger_entry("listing", -20, reference_type="listing")
    types = [e["ledger_type"] for e in sb.ledger_entries()[-3:]]
    assert "DISBURSE2" in types


def test_a_shop_that_charges_vat_itself_keeps_it_in_its_balance(sb):
    sb.configure_payment_account(remits_vat=False)
    receipt = sb.buy(sb.world.seed_listings["sampler"], buyer={"country_iso": "DE"})
    assert receipt["total_vat_cost"]["amount"] > 0
    sb.ship_receipt(receipt["receipt_id"], "9400100", "usps")
    taxes = [e for e in sb.ledger_entries()[-3:] if e["ledger_type"] == "sales_tax"]
    assert sum(-e["amount"] for e in taxes) == receipt["total_tax_cost"]["amount"]


def test_the_control_api_drives_the_ledger(sb, server):
    control = Api(server.url, api_key=None)
    answer = control.post("/_sandbox/add_ledger_entry", json={"ledger_type": "mystery_fee",
                                                               "amount": -99})
    assert answer.status_code == 200 and answer.json()["ledger_type"] == "mystery_fee"
    assert control.post("/_sandbox/configure_payment_account",
                        json={"remits_vat": False}).json() == {"ok": True}
