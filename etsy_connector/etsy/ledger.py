"""Etsy Payment Account reads: ledger entries in windows of at most 31 days, payments by id.

getShopPaymentAccountLedgerEntries requires `min_created` and `max_created` (epoch seconds) at
most 2678400 s apart, else 400 "Time window between min_created and max_created must be no more
than 2678400 seconds (31 days)" (etsy/open-api #346): a longer span is read in slices. Amounts
and balances are integers in minor units of the entry's currency.
"""

import datetime

from .money import datetime_to_epoch

MAX_WINDOW_SECONDS = 2678400
PAYMENT_BATCH = 100
LEDGER_PATH = "/shops/{shop_id}/payment-account/ledger-entries"


def windows(start, end, width=MAX_WINDOW_SECONDS):
    """[(min_created, max_created)] epoch pairs covering [start, end], each at most `width`."""
    low, high = datetime_to_epoch(start), datetime_to_epoch(end)
    slices = []
    while low <= high:
        stop = min(low + width, high)
        slices.append((low, stop))
        low = stop + 1
    return slices


def iter_ledger_entries(client, shop_id, start, end):
    """Every ledger entry created in [start, end] (naive UTC datetimes), each once."""
    path = LEDGER_PATH.format(shop_id=int(shop_id))
    seen = set()
    for low, high in windows(start, end):
        for entry in client._iter_pages("getShopPaymentAccountLedgerEntries", path,
                                        {"min_created": low, "max_created": high}, "entry_id"):
            if entry.get("entry_id") not in seen:
                seen.add(entry.get("entry_id"))
                yield entry


def get_payments(client, shop_id, payment_ids):
    """getPayments for `payment_ids` (batches of 100): {payment_id: Payment}."""
    ids = sorted({int(pid) for pid in payment_ids})
    found = {}
    for index in range(0, len(ids), PAYMENT_BATCH):
        page = client.request("getPayments", "GET", f"/shops/{int(shop_id)}/payments",
                              params={"payment_ids": ids[index:index + PAYMENT_BATCH]}) or {}
        for payment in page.get("results") or []:
            found[payment["payment_id"]] = payment
    return found


def entry_time(entry):
    """When the entry was created (naive UTC)."""
    seconds = entry.get("created_timestamp") or entry.get("create_date") or 0
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=int(seconds))


def payment_reference(entry):
    """The payment id an entry refers to (reference_type shop_payment), else None."""
    if (entry.get("reference_type") or "").lower() == "shop_payment" and entry.get("reference_id"):
        try:
            return int(entry["reference_id"])
        except (TypeError, ValueError):
            return None
    return None
