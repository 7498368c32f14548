"""Receipts: filters, sorting, paging, timestamps, shipments, updates and the buyer simulation."""

import pytest

from etsy_sandbox.seed import TITLE_140


@pytest.fixture
def receipts_path(shop_id):
    return f"/shops/{shop_id}/receipts"


@pytest.fixture
def named(sb):
    return sb.world.seed_receipts


def ids_of(response):
    assert response.status_code == 200, response.text
    return [r["receipt_id"] for r in response.json()["results"]]


def test_default_order_is_newest_first_and_sort_synonyms_work(api, receipts_path, sb):
    newest_first = ids_of(api.get(receipts_path, params={"limit": 100}))
    created = [sb.receipt(r)["created_timestamp"] for r in newest_first]
    assert created == sorted(created, reverse=True) and len(newest_first) == 25
    for order in ("asc", "ascending", "up"):
        assert (
            ids_of(api.get(receipts_path, params={"limit": 100, "sort_order": order}))
            == newest_first[::-1]
        )
    for order in ("desc", "descending", "down"):
        assert (
            ids_of(api.get(receipts_path, params={"limit": 100, "sort_order": order}))
            == newest_first
        )
    by_id = ids_of(
        api.get(receipts_path, params={"limit": 100, "sort_on": "receipt_id", "sort_order": "asc"})
    )
    assert by_id == sorted(by_id)


def test_paging_covers_everything_once(api, receipts_path, sb):
    sb.generate_receipts(230)
    seen = []
    for offset in range(0, 255, 100):
        body = api.get(
            receipts_path, params={"limit": 100, "offset": offset, "sort_order": "asc"}
        ).json()
        assert body["count"] == 255
        seen += [r["receipt_id"] for r in body["results"]]
    assert len(seen) == len(set(seen)) == 255
    assert api.get(receipts_path, params={"offset": 12000}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 101}, "The value for 'limit' must be less than or equal to 100."),
        ({"limit": 0}, "The value for 'limit' must be greater than or equal to 1."),
        ({"offset": 12001}, "Offset provided is greater than the maximum offset allowed."),
        ({"was_paid": "True"}, "Expected bool value for 'was_paid' (got 'True')."),
        ({"was_shipped": "yes"}, "Expected bool value for 'was_shipped' (got 'yes')."),
        ({"min_created": "2026-01-01"}, "Expected int value for 'min_created' (got '2026-01-01')."),
        (
            {"min_created": 1000},
            "The value for 'min_created' must be greater than or equal to 946684800.",
        ),
        (
            {"sort_on": "price"},
            "Invalid value 'price' for 'sort_on'. Expected one of: created, updated, receipt_id.",
        ),
        (
            {"sort_order": "DESC"},
            (
                "Invalid value 'DESC' for 'sort_order'. "
                "Expected one of: asc, ascending, desc, descending, up, down."
            ),
        ),
    ],
)
def test_bad_parameters_are_400_with_etsy_style_messages(api, receipts_path, params, message):
    response = api.get(receipts_path, params=params)
    assert response.status_code == 400 and response.json() == {"error": message}


def test_boolean_filters_accept_true_false_one_zero(api, receipts_path, named):
    everything = set(ids_of(api.get(receipts_path, params={"limit": 100})))
    for name, special in (
        ("was_canceled", {named["canceled"]}),
        ("was_delivered", {named["delivered"]}),
        ("was_paid", everything - {named["processing"]}),
    ):
        for truthy, falsy in (("true", "false"), ("1", "0")):
            yes = set(ids_of(api.get(receipts_path, params={name: truthy, "limit": 100})))
            no = set(ids_of(api.get(receipts_path, params={name: falsy, "limit": 100})))
            assert yes == special and no == everything - special, name
    shipped = set(ids_of(api.get(receipts_path, params={"was_shipped": "true", "limit": 100})))
    assert {named["germany"], named["shipped"], named["digital"], named["refunded"]} <= shipped
    assert named["us_tax"] not in shipped


def test_created_and_modified_windows(api, receipts_path, sb, named):
    target = sb.receipt(named["gift"])
    window = {
        "min_created": target["created_timestamp"],
        "max_created": target["created_timestamp"],
    }
    assert ids_of(api.get(receipts_path, params=window)) == [named["gift"]]
    sb.advance_clock(100)
    cutoff = sb.world.now()
    sb.advance_clock(10)
    sb.ship_receipt(named["us_tax"], "9400111", "usps")
    sb.cancel_receipt(named["coupon"])
    sb.refund_receipt(named["multi"], amount=500)
    changed = ids_of(api.get(receipts_path, params={"min_last_modified": cutoff}))
    assert changed == [named["us_tax"]]  # cancellations and refunds do not move updated_timestamp
    assert sb.receipt(named["coupon"])["status"] == "canceled"
    assert sb.receipt(named["multi"])["status"] == "partially refunded"
    before = ids_of(api.get(receipts_path, params={"max_last_modified": cutoff, "limit": 100}))
    assert named["us_tax"] not in before and len(before) == 24


def test_seed_covers_the_hard_cases(sb, named):
    receipt = sb.receipt
    assert (
        receipt(named["us_tax"])["state"] == "CA"
        and receipt(named["us_tax"])["total_tax_cost"]["amount"] > 0
    )
    uk = receipt(named["uk_vat"])
    assert uk["total_vat_cost"]["amount"] > 0 and uk["country_iso"] == "GB"
    assert receipt(named["germany"])["state"] is None
    gift = receipt(named["gift"])
    assert gift["is_gift"] and gift["gift_message"] and gift["gift_wrap_price"]["amount"] == 500
    assert receipt(named["coupon"])["discount_amt"]["amount"] == 570
    assert len(receipt(named["multi"])["transactions"]) == 3
    assert receipt(named["refunded"])["status"] == "fully refunded"
    assert receipt(named["partial"])["status"] == "partially refunded"
    assert receipt(named["digital"])["transactions"][0]["is_digital"]
    assert receipt(named["no_email"])["buyer_email"] is None
    withheld = receipt(named["withheld"])
    assert all(
        withheld[k] is None
        for k in (
            "first_line",
            "second_line",
            "city",
            "state",
            "zip",
            "formatted_address",
            "country_iso",
        )
    )
    assert "\U0001f338" in receipt(named["emoji"])["name"]
    assert receipt(named["japanese"])["name"] == "山田 花子"
    assert receipt(named["greek"])["name"] == "Γιώργος Παπαδόπουλος"
    assert (
        len(TITLE_140) == 140
        and receipt(named["long_title"])["transactions"][0]["title"] == TITLE_140
    )
    assert receipt(named["bulk"])["transactions"][0]["quantity"] == 999
    assert receipt(named["processing"])["status"] == "payment processing"
    personalization = receipt(named["personalized"])["transactions"][0]["variations"][-1]
    assert (
        personalization["formatted_value"] == "Emma & Liam 2026" and personalization["question_id"]
    )
    sizes = receipt(named["multi"])["transactions"][0]["product_data"]
    assert [pv["values"] for pv in sizes] == [["Pumpkin Spice"], ["16 oz"]]


def test_create_shipment_json_and_form_and_notifications(api, receipts_path, sb, named):
    path = f"{receipts_path}/{named['us_tax']}/tracking"
    response = api.post(
        path,
        json={"tracking_code": "9400100000000000000001", "carrier_name": "usps", "send_bcc": True},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert (body["is_shipped"], body["status"]) == (True, "completed")
    assert body["shipments"][-1]["tracking_code"] == "9400100000000000000001"
    assert all(t["shipped_timestamp"] for t in body["transactions"])
    again = api.post(
        path, data={"tracking_code": "1Z999", "carrier_name": "ups", "send_bcc": "false"}
    )
    assert again.status_code == 200 and len(again.json()["shipments"]) == 2
    meta = sb.receipt_meta(named["us_tax"])
    assert meta == {
        "notifications": 2,
        "bcc_notifications": 1,
        "shipment_encodings": ["json", "form"],
        "delivered": False,
    }
    assert [c["content_type"] for c in sb.calls("createReceiptShipment")] == [
        "application/json",
        "application/x-www-form-urlencoded",
    ]


def test_tracking_rules(api, receipts_path, named):
    def ship(name, **fields):
        return api.post(f"{receipts_path}/{named[name]}/tracking", json=fields)

    assert ship("us_tax").json() == {"error": "A tracking number is required"}
    assert ship("india", note_to_buyer="thanks").json() == {
        "error": "A tracking number is required"
    }
    assert ship("us_tax", carrier_name="usps").status_code == 400
    assert ship("us_tax", tracking_code="9400").status_code == 400
    assert ship("small_us").status_code == 200  # under $10: marked shipped without tracking
    assert ship("canada").status_code == 200
    assert ship("canceled", tracking_code="1", carrier_name="usps").status_code == 409
    assert ship("refunded", tracking_code="1", carrier_name="usps").status_code == 409


def test_json_sent_as_form_loses_the_tracking(api, receipts_path, named):
    response = api.post(
        f"{receipts_path}/{named['canada']}/tracking",
        data='{"tracking_code": "CA123", "carrier_name": "canada-post"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json()["shipments"][-1]["tracking_code"] == ""


def test_update_shop_receipt_reads_form_and_ignores_json(api, receipts_path, sb, named):
    path = f"{receipts_path}/{named['processing']}"
    ignored = api.put(path, json={"was_paid": True})
    assert ignored.status_code == 200 and ignored.json()["is_paid"] is False
    before = sb.receipt(named["processing"])["updated_timestamp"]
    sb.advance_clock(5)
    paid = api.put(path, data={"was_paid": "true"}).json()
    assert (paid["is_paid"], paid["status"]) == (True, "paid")
    assert (
        paid["updated_timestamp"] > before and abs(paid["updated_timestamp"] - sb.world.now()) <= 1
    )
    shipped = api.put(path, data={"was_shipped": "1"}).json()
    assert (shipped["is_shipped"], shipped["status"]) == (True, "completed")
    assert api.put(path, data={"was_shipped": "True"}).status_code == 400


def test_buy_creates_a_paid_receipt_that_lists_first(api, receipts_path, sb):
    sb.advance_clock(5)
    listing_id = sb.world.seed_listings["sampler"]
    products = api.get(f"/listings/{listing_id}/inventory").json()["products"]
    receipt = sb.buy(
        listing_id,
        quantity=2,
        product_id=products[3]["product_id"],
        buyer={"country_iso": "GB"},
        gift_message="For you",
    )
    assert (receipt["status"], receipt["is_paid"], receipt["country_iso"]) == ("paid", True, "GB")
    assert receipt["total_price"]["amount"] == 2 * 2900
    assert receipt["total_vat_cost"]["amount"] > 0 and receipt["is_gift"]
    assert ids_of(api.get(receipts_path, params={"limit": 1})) == [receipt["receipt_id"]]
    transactions = api.get(f"{receipts_path}/{receipt['receipt_id']}/transactions").json()
    assert (
        transactions["count"] == 1
        and transactions["results"][0]["product_id"] == products[3]["product_id"]
    )


def test_status_can_be_capitalised_like_2023_payloads(api, receipts_path, sb, named):
    sb.receipt_status_style = "title"
    statuses = {
        r["status"] for r in api.get(receipts_path, params={"limit": 100}).json()["results"]
    }
    assert {
        "Paid",
        "Completed",
        "Canceled",
        "Fully Refunded",
        "Partially Refunded",
        "Payment Processing",
    } == statuses


def test_transactions_by_shop_are_ordered_by_id(api, shop_id):
    body = api.get(f"/shops/{shop_id}/transactions", params={"limit": 100}).json()
    ids = [t["transaction_id"] for t in body["results"]]
    assert ids == sorted(ids) and body["count"] == len(ids) == 27


def test_no_timestamp_lies_in_the_future(sb):
    sb.generate_receipts(300)
    sb.buy(sb.world.seed_listings["tea"])
    now = sb.world.now()
    for record in sb.world.receipts.values():
        data = record.data
        stamps = [data["created_timestamp"], data["updated_timestamp"]]
        stamps += [s["shipment_notification_timestamp"] for s in data["shipments"]]
        stamps += [r["created_timestamp"] for r in data["refunds"]]
        stamps += [t["paid_timestamp"] or 0 for t in data["transactions"]]
        stamps += [t["shipped_timestamp"] or 0 for t in data["transactions"]]
        assert max(stamps) <= now, data["receipt_id"]
        assert data["updated_timestamp"] >= data["created_timestamp"]
