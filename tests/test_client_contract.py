"""Every request the client sends, as the sandbox received it, is valid for Etsy's OpenAPI spec."""

from etsy.inventory import build_inventory_update_body
from etsy.ledger import MAX_WINDOW_SECONDS, get_payments, iter_ledger_entries, payment_reference
from etsy.money import datetime_to_epoch, epoch_to_datetime

# The operations the connector uses; the test fails if one stops being exercised.
COVERED = {
    "getMe", "getShop", "getShopReceipts", "getShopReceipt",
    "getShopReceiptTransactionsByReceipt", "updateShopReceipt", "createReceiptShipment",
    "getListingsByShop", "getListingInventory", "getListingsInventoryByListingIds",
    "updateListingInventory", "updateListing", "ping", "tokenScopes",
    "getShopPaymentAccountLedgerEntries", "getPayments",
}


def exercise_every_operation(client, sandbox):
    shop_id = sandbox.seller["shop_id"]
    receipt = sandbox.receipt(sandbox.world.seed_receipts["us_tax"])
    since = epoch_to_datetime(receipt["created_timestamp"] - 60)
    client.ping()
    client.token_scopes()
    client.get_me()
    client.get_shop(shop_id)
    list(client.iter_shop_receipts(shop_id, min_last_modified=datetime_to_epoch(since),
                                   was_paid=True, was_canceled=False, sort_on="updated",
                                   sort_order="asc"))
    client.get_shop_receipt(shop_id, receipt["receipt_id"])
    client.get_shop_receipt_transactions(shop_id, receipt["receipt_id"])
    client.update_shop_receipt(shop_id, receipt["receipt_id"], was_paid=True)
    client.create_receipt_shipment(shop_id, receipt["receipt_id"], tracking_code="9400111899223",
                                   carrier_name="usps", send_bcc=True, note_to_buyer="Enjoy!")
    listings = list(client.iter_shop_listings(shop_id, state="active",
                                              includes=["Inventory", "Images"]))
    listing_id = sandbox.world.seed_listings["sampler"]
    inventory = client.get_listing_inventory(listing_id)
    client.get_listings_inventory([listing["listing_id"] for listing in listings[:3]])
    body, _report = build_inventory_update_body(
        inventory, {inventory["products"][0]["product_id"]: 3})
    client.update_listing_inventory(listing_id, body)
    client.update_listing(shop_id, listing_id, state="inactive")
    # A 40-day backfill: two windows of at most 31 days.
    now = epoch_to_datetime(sandbox.world.now())
    entries = list(iter_ledger_entries(client, shop_id, epoch_to_datetime(
        sandbox.world.now() - 40 * 86400), now))
    get_payments(client, shop_id, {payment_reference(e) for e in entries} - {None})


def test_every_request_the_client_sends_is_valid_for_the_spec(spec, client, sandbox):
    exercise_every_operation(client, sandbox)
    journal = [entry for entry in sandbox.journal if entry["operation"] in COVERED]
    assert {entry["operation"] for entry in journal} == COVERED
    for entry in journal:
        assert entry["status"] < 400, entry
        problems = spec.validate_request(entry["operation"], query=entry["query"],
                                         body=entry["body"], content_type=entry["content_type"])
        assert problems == [], (entry["operation"], problems)


def test_the_validator_catches_what_etsy_would_refuse(spec):
    """The check above can fail: Python booleans and a Money price are refused."""
    assert spec.validate_request("getShopReceipts", query={"was_paid": "True"})
    assert spec.validate_request(
        "updateListingInventory", content_type="application/json",
        body={"products": [{"sku": "A", "property_values": [], "offerings": [
            {"price": {"amount": 800, "divisor": 100}, "quantity": 1, "is_enabled": True,
             "readiness_state_id": 1}]}]})


def test_ledger_reads_stay_within_etsys_window_and_answers_validate(spec, client, sandbox):
    exercise_every_operation(client, sandbox)
    calls = sandbox.calls("getShopPaymentAccountLedgerEntries")
    assert len(calls) >= 2
    for call in calls:
        span = int(call["query"]["max_created"]) - int(call["query"]["min_created"])
        assert span <= MAX_WINDOW_SECONDS
    shop_id = sandbox.seller["shop_id"]
    entries = list(iter_ledger_entries(client, shop_id, epoch_to_datetime(
        sandbox.world.now() - 20 * 86400), epoch_to_datetime(sandbox.world.now())))
    for entry in entries:
        assert not spec.component_errors("PaymentAccountLedgerEntry", entry, closed=True)
    payments = get_payments(client, shop_id, {payment_reference(e) for e in entries} - {None})
    assert payments
    for payment in payments.values():
        assert not spec.component_errors("Payment", payment, closed=True)
