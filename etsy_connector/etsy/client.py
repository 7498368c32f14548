"""EtsyClient: a thin Etsy Open API v3 client on ``requests``.

It owns what every call needs and what every public Etsy library gets wrong: the
``keystring:shared_secret`` API key, rotating OAuth tokens (persisted through ``on_tokens`` before
use), a per-application throttle, 429 handling, retries only where a call is safe to repeat,
Etsy's query encoding, offset pagination and one error hierarchy.
"""

import datetime
import hashlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

import requests
import urllib3

from . import oauth
from .errors import (
    EtsyConfigError,
    EtsyDailyLimitError,
    EtsyError,
    EtsyOffsetLimitError,
    EtsyRateLimitError,
    EtsyTransientError,
    EtsyUnknownOutcomeError,
    error_from_response,
)
from .money import datetime_to_epoch, epoch_to_datetime, utcnow
from .transport import NETWORK_ERRORS, backoff_delay

_logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://openapi.etsy.com"
API_PREFIX = "/v3/application"
PAGE_LIMIT = 100
MAX_OFFSET = 12000
BATCH_SIZE = 100
DEFAULT_PER_SECOND = 10
REFRESH_MARGIN = datetime.timedelta(seconds=60)
# Methods whose repetition cannot apply a change twice (the inventory PUT is a full replace).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_WINDOW = 1.05  # seconds; a little over one second absorbs clock skew with Etsy's counter


@dataclass
class RateLimit:
    """The last rate-limit headers Etsy sent (None until seen)."""

    per_second: int = None
    remaining_this_second: int = None
    per_day: int = None
    remaining_today: int = None


_LIMIT_HEADERS = {
    "per_second": "x-limit-per-second",
    "remaining_this_second": "x-remaining-this-second",
    "per_day": "x-limit-per-day",
    "remaining_today": "x-remaining-today",
}


class _Throttle:
    """Sliding one-second window of call starts, shared by every client of one Etsy app."""

    def __init__(self, per_second=DEFAULT_PER_SECOND):
        self.per_second = per_second
        self._starts = deque()
        self._not_before = 0.0
        self._lock = threading.Lock()

    def wait(self):
        """Block until one more call fits in the window, then count it."""
        while True:
            with self._lock:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= _WINDOW:
                    self._starts.popleft()
                delay = self._not_before - now
                if delay <= 0 and len(self._starts) < self.per_second:
                    self._starts.append(now)
                    return
                if delay <= 0:
                    delay = _WINDOW - (now - self._starts[0])
            time.sleep(delay)

    def hold(self, seconds):
        """Etsy asked to wait: no client of this app starts a call for ``seconds``."""
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)


_THROTTLES = {}
_THROTTLES_LOCK = threading.Lock()


def _throttle_for(keystring):
    # Etsy limits per application, so all clients of one keystring share one window; the key is
    # a digest so the module state never holds the keystring itself.
    key = hashlib.sha256(keystring.encode()).hexdigest()
    with _THROTTLES_LOCK:
        return _THROTTLES.setdefault(key, _Throttle())


def _encode_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_encode_value(item) for item in value if item is not None)
    if isinstance(value, datetime.datetime):
        return str(datetime_to_epoch(value))
    return str(value)


def encode_params(params):
    """Etsy's query/form conventions: lowercase booleans, comma-joined lists, datetimes as epoch
    seconds, None and empty lists dropped (Python's ``True`` would be sent as ``True``)."""
    return {
        key: _encode_value(value)
        for key, value in (params or {}).items()
        if value is not None and value != [] and value != ()
    }


def _as_naive_utc(value):
    if value is None or value is False:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value
    return epoch_to_datetime(value)


def _never_sent(exc):
    """True when the connection itself failed (refused, DNS, connect timeout): the request
    never reached Etsy, so even a POST may be sent again."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class Pages:
    """The records of one offset-paged Etsy list, read a page at a time as they are iterated,
    each record once (by ``id_key``).

    ``total`` is Etsy's ``count`` for the whole query, as the latest page said (None until the
    first page is read): what a caller shows as its progress. :meth:`read_total` reads the first
    page now, without consuming anything, so that several lists can be counted before any is
    walked. A list longer than Etsy's offset cap raises :class:`EtsyOffsetLimitError` at the
    first page, ``total`` already set.
    """

    def __init__(self, client, operation, path, params, id_key):
        self._client = client
        self._operation = operation
        self._path = path
        self._params = params
        self._id_key = id_key
        self._first = None  # the first page's results, read ahead by read_total()
        self.total = None
        self._records = self._walk()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._records)

    def read_total(self):
        """Etsy's count for the query, reading the first page if it was not read yet."""
        if self._first is None and self.total is None:
            self._first = self._page(0)
        return self.total

    def _page(self, offset):
        limit = self._client.page_limit
        page = self._client.request(self._operation, "GET", self._path,
                                    params={**self._params, "limit": limit,
                                            "offset": offset}) or {}
        count = page.get("count")
        if isinstance(count, int):
            self.total = count
            if offset == 0 and count > MAX_OFFSET + limit:
                raise EtsyOffsetLimitError(
                    f"Etsy has {count} records for this query but lists at most "
                    f"{MAX_OFFSET + limit}.", operation=self._operation)
        return page.get("results") or []

    def _walk(self):
        limit, offset, seen = self._client.page_limit, 0, set()
        while True:
            if offset == 0 and self._first is not None:
                results, self._first = self._first, ()
            else:
                results = self._page(offset)
            for item in results:
                key = item.get(self._id_key)
                if key not in seen:
                    seen.add(key)
                    yield item
            offset += len(results)
            if len(results) < limit or (self.total is not None and offset >= self.total):
                return
            if offset > MAX_OFFSET:
                raise EtsyOffsetLimitError(
                    f"Etsy stops listing at offset {MAX_OFFSET}; records were left unread.",
                    operation=self._operation)


class EtsyClient:
    """Etsy Open API v3 client for one app (keystring + shared secret) and one seller's tokens.

    ``on_tokens(access_token, refresh_token, expires_at)`` is called with every new token pair
    (``expires_at`` a naive UTC datetime) before the new access token is used: persist it there,
    because Etsy invalidates the previous refresh token.
    """

    page_limit = PAGE_LIMIT

    def __init__(self, keystring, shared_secret, access_token=None, refresh_token=None,
                 token_expires_at=None, on_tokens=None, api_base_url=DEFAULT_API_BASE_URL,
                 timeout=30, max_retries=4, session=None, backoff_base=0.5, backoff_max=30.0,
                 max_retry_after=60.0, refresh_handler=None):
        if not keystring or not str(keystring).strip():
            raise EtsyConfigError("The Etsy keystring is missing.")
        self.keystring = str(keystring).strip()
        self.shared_secret = (shared_secret or "").strip() or None
        self.access_token = access_token or None
        self.refresh_token = refresh_token or None
        self.token_expires_at = _as_naive_utc(token_expires_at)
        self.on_tokens = on_tokens
        self.refresh_handler = refresh_handler
        self.api_base_url = oauth.normalize_base_url(api_base_url, "API base URL")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.session = session or requests.Session()
        self.call_count = 0
        self.rate_limit = RateLimit()
        self._throttle = _throttle_for(self.keystring)
        self._token_lock = threading.Lock()

    def __repr__(self):
        return (f"<EtsyClient {self.api_base_url} connected={bool(self.access_token)} "
                f"calls={self.call_count}>")

    # -- tokens ----------------------------------------------------------------------------------

    def _secrets(self):
        return (self.keystring, self.shared_secret, self.access_token, self.refresh_token)

    def _token_expiring(self):
        return (self.token_expires_at is not None
                and utcnow() >= self.token_expires_at - REFRESH_MARGIN)

    def _ensure_token(self):
        if not self.access_token and not self.refresh_token:
            raise EtsyConfigError("The shop is not connected to Etsy: connect it first.")
        if self.refresh_token and (not self.access_token or self._token_expiring()):
            self.refresh_tokens(stale_access_token=self.access_token)

    def refresh_tokens(self, stale_access_token=None):
        """Trade the refresh token for a new pair, hand it to ``on_tokens``, then use it.

        With ``stale_access_token``, skip the refresh if another thread already replaced it.
        """
        with self._token_lock:
            if stale_access_token is not None and self.access_token != stale_access_token:
                return
            self._throttle.wait()
            self.call_count += 1
            try:
                tokens = self._new_tokens()
            except EtsyError as exc:
                raise exc.redact(*self._secrets()) from None
            self.access_token = tokens.access_token
            self.refresh_token = tokens.refresh_token
            self.token_expires_at = tokens.expires_at
            _logger.info("Etsy access token refreshed")
            if self.on_tokens:
                self.on_tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at)

    def _new_tokens(self):
        """A fresh token pair: from ``refresh_handler`` when given, else from Etsy directly.

        A caller whose tokens are shared between processes passes a ``refresh_handler(refresh_
        token) -> oauth.TokenSet`` that serialises refreshes and persists the rotated pair (or
        returns the pair another process already obtained).
        """
        if self.refresh_handler:
            return self.refresh_handler(self.refresh_token)
        return oauth.refresh_access_token(
            self.api_base_url, self.keystring, self.refresh_token,
            shared_secret=self.shared_secret, session=self.session,
            timeout=self.timeout, max_retries=min(self.max_retries, 2))

    # -- transport -------------------------------------------------------------------------------

    def _headers(self, use_oauth):
        api_key = f"{self.keystring}:{self.shared_secret}" if self.shared_secret else self.keystring
        headers = {"x-api-key": api_key, "Accept": "application/json"}
        if use_oauth:
            headers["Authorization"] = f"Bearer {self.access_token}"
        return headers

    def _note_limits(self, response):
        for attr, header in _LIMIT_HEADERS.items():
            value = response.headers.get(header)
            if value is not None and str(value).strip().isdigit():
                setattr(self.rate_limit, attr, int(value))
        if self.rate_limit.per_second:
            self._throttle.per_second = self.rate_limit.per_second
        if response.headers.get("x-remaining-this-second", "").strip() == "0":
            self._throttle.hold(_WINDOW)

    def _send(self, operation, method, url, use_oauth, **kwargs):
        self._throttle.wait()
        self.call_count += 1
        started = time.monotonic()
        try:
            response = self.session.request(method, url, headers=self._headers(use_oauth),
                                            timeout=self.timeout, **kwargs)
        except NETWORK_ERRORS as exc:
            _logger.info("Etsy %s %s failed: %s after %.0f ms", operation, method,
                         type(exc).__name__, (time.monotonic() - started) * 1000)
            raise
        self._note_limits(response)
        _logger.debug("Etsy %s %s -> %s in %.0f ms", operation, method, response.status_code,
                      (time.monotonic() - started) * 1000)
        return response

    def _retry_delay(self, error, may_repeat, attempt):
        """Seconds to wait before another attempt, or None when the error is final."""
        if attempt > self.max_retries or isinstance(error, EtsyDailyLimitError):
            return None
        backoff = backoff_delay(attempt, self.backoff_base, self.backoff_max)
        if isinstance(error, EtsyRateLimitError):
            # A 429 means Etsy did not process the call, so even a POST may be sent again.
            wait = error.retry_after if error.retry_after is not None else 1.0
            if wait > self.max_retry_after:
                return None
            self._throttle.hold(wait)
            return max(wait, backoff)
        if isinstance(error, EtsyTransientError) and may_repeat:
            return backoff
        return None

    def _failure(self, operation, retry_safe, reason, sent):
        """The error for a lost or unreadable answer; a non-idempotent call has unknown outcome."""
        if sent and not retry_safe:
            return EtsyUnknownOutcomeError(
                f"Etsy's answer to {operation} was lost ({reason}); it may have been applied.",
                operation=operation)
        return EtsyTransientError(f"Etsy did not answer {operation} properly ({reason}).",
                                  operation=operation)

    def _attempt(self, operation, method, url, use_oauth, retry_safe, kwargs):
        """One exchange: ``(decoded JSON, None, _)`` or ``(None, error, may_repeat)``."""
        try:
            response = self._send(operation, method, url, use_oauth, **kwargs)
        except NETWORK_ERRORS as exc:
            sent = not _never_sent(exc)
            error = self._failure(operation, retry_safe, type(exc).__name__, sent)
            return None, error, retry_safe or not sent
        if response.status_code >= 400:
            error = error_from_response(response, operation).redact(*self._secrets())
            return None, error, retry_safe
        try:
            return (response.json() if response.content else None), None, True
        except ValueError:
            return None, self._failure(operation, retry_safe, "malformed JSON", True), retry_safe

    def request(self, operation, method, path, *, params=None, json=None, data=None,
                files=None, use_oauth=True, retry_safe=None):
        """Call ``method path`` (relative to ``/v3/application``) and return the decoded JSON.

        ``operation`` is Etsy's operationId (for errors and logs); ``params`` the query,
        ``json`` a JSON body, ``data`` a form body (multipart with ``files``: ``{field:
        (filename, bytes)}``; requests writes the boundary, never set Content-Type by hand,
        API-NOTES: Etsy issues #180/#233). ``retry_safe`` defaults to True for
        GET/PUT/DELETE: only those are repeated after a 5xx, timeout or lost connection.
        """
        method = method.upper()
        retry_safe = method in IDEMPOTENT_METHODS if retry_safe is None else retry_safe
        url = self.api_base_url + (path if path.startswith("/v3/") else API_PREFIX + path)
        kwargs = {"params": encode_params(params), "json": json,
                  "data": encode_params(data) if data is not None else None}
        if files:
            kwargs["files"] = files
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            if use_oauth:
                self._ensure_token()
            used_token = self.access_token
            result, error, may_repeat = self._attempt(operation, method, url, use_oauth,
                                                      retry_safe, kwargs)
            if error is None:
                return result
            if (error.status == 401 and error.error == "invalid_token" and use_oauth
                    and self.refresh_token and not refreshed):
                # Etsy rejected the token before doing anything, so the call can be resent.
                refreshed = True
                self.refresh_tokens(stale_access_token=used_token)
                continue
            delay = self._retry_delay(error, may_repeat, attempt)
            if delay is None:
                raise error
            _logger.info("Etsy %s: %s; retry %d/%d in %.1f s", operation, type(error).__name__,
                         attempt, self.max_retries, delay)
            time.sleep(delay)

    def _iter_pages(self, operation, path, params, id_key):
        """Every result of an offset-paged list, de-duplicated by ``id_key``: a :class:`Pages`."""
        return Pages(self, operation, path, params, id_key)

    # -- operations ------------------------------------------------------------------------------

    def ping(self):
        """ping: ``{"application_id": n}`` when the API key works."""
        return self.request("ping", "GET", "/openapi-ping", use_oauth=False)

    def token_scopes(self, token=None):
        """tokenScopes: the scopes of ``token`` (default: the current access token)."""
        return self.request("tokenScopes", "POST", "/scopes",
                            data={"token": token or self.access_token},
                            use_oauth=False, retry_safe=True)

    def get_me(self):
        """getMe: ``{"user_id", "shop_id"}`` of the connected seller."""
        return self.request("getMe", "GET", "/users/me")

    def get_shop(self, shop_id):
        """getShop: the Shop (key only, no token needed)."""
        return self.request("getShop", "GET", f"/shops/{int(shop_id)}", use_oauth=False)

    def get_shop_receipt(self, shop_id, receipt_id):
        """getShopReceipt: one ShopReceipt with its transactions and shipments."""
        return self.request("getShopReceipt", "GET",
                            f"/shops/{int(shop_id)}/receipts/{int(receipt_id)}")

    def iter_shop_receipts(self, shop_id, **filters):
        """getShopReceipts, every page: a :class:`Pages` yielding each ShopReceipt once (its
        ``total`` is how many receipts the query matches).

        ``filters`` are Etsy's query parameters (``min_created``..., ``was_paid``..., datetimes
        allowed). Raises :class:`EtsyOffsetLimitError` when the window holds more receipts than
        Etsy's 12,000 offset cap lets through: narrow ``min_created``/``max_created``.
        """
        return self._iter_pages("getShopReceipts", f"/shops/{int(shop_id)}/receipts",
                                filters, "receipt_id")

    def get_shop_receipt_transactions(self, shop_id, receipt_id):
        """getShopReceiptTransactionsByReceipt: the receipt's transactions (a list)."""
        page = self.request("getShopReceiptTransactionsByReceipt", "GET",
                            f"/shops/{int(shop_id)}/receipts/{int(receipt_id)}/transactions")
        return (page or {}).get("results") or []

    def update_shop_receipt(self, shop_id, receipt_id, was_shipped=None, was_paid=None):
        """updateShopReceipt (form body): set ``was_shipped``/``was_paid``; returns the receipt."""
        return self.request("updateShopReceipt", "PUT",
                            f"/shops/{int(shop_id)}/receipts/{int(receipt_id)}",
                            data={"was_shipped": was_shipped, "was_paid": was_paid})

    def create_receipt_shipment(self, shop_id, receipt_id, tracking_code=None, carrier_name=None,
                                send_bcc=None, note_to_buyer=None, **fields):
        """createReceiptShipment (JSON body): add tracking; Etsy emails the buyer each time.

        Never retried: a lost answer raises :class:`EtsyUnknownOutcomeError`, so check the
        receipt's ``shipments`` before sending again. ``fields`` are the spec's other body fields.
        """
        body = {"tracking_code": tracking_code, "carrier_name": carrier_name,
                "send_bcc": send_bcc, "note_to_buyer": note_to_buyer, **fields}
        return self.request("createReceiptShipment", "POST",
                            f"/shops/{int(shop_id)}/receipts/{int(receipt_id)}/tracking",
                            json={key: value for key, value in body.items() if value is not None})

    def iter_shop_listings(self, shop_id, state="active", includes=None):
        """getListingsByShop, every page: a :class:`Pages` yielding each ShopListing once (its
        ``total`` is how many listings of ``state`` the shop has).

        ``includes=["Inventory"]`` brings each listing's inventory in the same call.
        """
        return self._iter_pages("getListingsByShop", f"/shops/{int(shop_id)}/listings",
                                {"state": state, "includes": includes}, "listing_id")

    def get_listing_inventory(self, listing_id, show_deleted=None):
        """getListingInventory: the ListingInventory (read shape, Money prices)."""
        return self.request("getListingInventory", "GET", f"/listings/{int(listing_id)}/inventory",
                            params={"show_deleted": show_deleted})

    def get_listings_inventory(self, listing_ids):
        """getListingsInventoryByListingIds in batches of 100: ``{listing_id: inventory}``.

        Etsy answers 404 for a whole batch when one id is unknown.
        """
        return {listing_id: listing.get("inventory")
                for listing_id, listing in self.get_listings_with_inventory(listing_ids).items()}

    def get_listings_with_inventory(self, listing_ids):
        """getListingsInventoryByListingIds in batches of 100: ``{listing_id: ShopListing}``,
        each listing with its ``inventory`` (and its current ``state``).

        Etsy answers 404 for a whole batch when one id is unknown.
        """
        return self._batch("getListingsInventoryByListingIds", "/listings/batch/inventory",
                           listing_ids)

    def get_listings(self, listing_ids, includes=None):
        """getListingsByListingIds in batches of 100: ``{listing_id: ShopListing}``.

        Unknown (deleted) ids are left out of the answer instead of failing the batch.
        """
        return self._batch("getListingsByListingIds", "/listings/batch", listing_ids,
                           includes=includes)

    def _batch(self, operation, path, listing_ids, **params):
        ids = list(dict.fromkeys(int(listing_id) for listing_id in listing_ids))
        listings = {}
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            page = self.request(operation, "GET", path, params={"listing_ids": chunk, **params})
            for listing in (page or {}).get("results") or []:
                listings[listing["listing_id"]] = listing
        return listings

    def update_listing(self, shop_id, listing_id, **fields):
        """updateListing (PATCH, form body): change ``fields`` such as ``state="inactive"``.

        ``state="active"`` on a sold_out or expired listing renews it, and Etsy charges a
        listing fee for that. Returns the ShopListing.
        """
        # Setting fields to given values is idempotent: a repeat after a lost answer changes
        # nothing more (an already renewed listing is active, so no second fee).
        return self.request("updateListing", "PATCH",
                            f"/shops/{int(shop_id)}/listings/{int(listing_id)}", data=fields,
                            retry_safe=True)

    def update_listing_inventory(self, listing_id, body):
        """updateListingInventory (JSON body, full replace): returns the new inventory.

        Build ``body`` with :func:`etsy.inventory.build_inventory_update_body`.
        """
        return self.request("updateListingInventory", "PUT",
                            f"/listings/{int(listing_id)}/inventory", json=body)

    # -- publishing (Odoo -> Etsy listings) ------------------------------------------------------

    def create_draft_listing(self, shop_id, fields):
        """createDraftListing (form body): a new draft ShopListing.

        Build ``fields`` with :func:`etsy.listing.draft_listing_fields`. Never repeated: a lost
        answer raises :class:`EtsyUnknownOutcomeError` (a second POST would make a second draft).
        """
        return self.request("createDraftListing", "POST", f"/shops/{int(shop_id)}/listings",
                            data=fields)

    def upload_listing_image(self, shop_id, listing_id, image=None, filename="image.jpg",
                             listing_image_id=None, rank=None, overwrite=None, alt_text=None):
        """uploadListingImage (multipart): ``image`` bytes, or the ``listing_image_id`` of an
        image already on Etsy (not both). Returns the ListingImage.

        With ``rank`` and ``overwrite=True`` a repeat replaces the image at that rank instead of
        adding one, so the call may be retried.
        """
        if (image is None) == (listing_image_id is None):
            raise ValueError("upload_listing_image takes an image or a listing_image_id")
        fields = {"listing_image_id": listing_image_id, "rank": rank, "overwrite": overwrite,
                  "alt_text": alt_text}
        files = {"image": (filename, image)} if image is not None else None
        return self.request("uploadListingImage", "POST",
                            f"/shops/{int(shop_id)}/listings/{int(listing_id)}/images",
                            data=fields, files=files, retry_safe=bool(overwrite and rank))

    def upload_listing_file(self, shop_id, listing_id, file, name, rank=None):
        """uploadListingFile (multipart): a digital listing's downloadable ``file`` (bytes)."""
        return self.request("uploadListingFile", "POST",
                            f"/shops/{int(shop_id)}/listings/{int(listing_id)}/files",
                            data={"name": name, "rank": rank}, files={"file": (name, file)})

    def delete_listing_image(self, shop_id, listing_id, listing_image_id):
        """deleteListingImage: remove one image of a listing."""
        return self.request(
            "deleteListingImage", "DELETE",
            f"/shops/{int(shop_id)}/listings/{int(listing_id)}/images/{int(listing_image_id)}")

    def delete_listing(self, listing_id):
        """deleteListing: delete the listing on Etsy (needs ``listings_d``)."""
        return self.request("deleteListing", "DELETE", f"/listings/{int(listing_id)}")

    def update_listing_personalization(self, shop_id, listing_id, questions):
        """updateListingPersonalization (JSON, full replace): the listing's questions.

        Build ``questions`` with :func:`etsy.listing.personalization_questions`; ``[]`` removes
        personalization. Returns the ListingPersonalization.
        """
        return self.request(
            "updateListingPersonalization", "POST",
            f"/shops/{int(shop_id)}/listings/{int(listing_id)}/personalization",
            json={"personalization_questions": list(questions)}, retry_safe=True)

    def get_seller_taxonomy_nodes(self):
        """getSellerTaxonomyNodes: the seller taxonomy tree (key only): a list of root nodes."""
        page = self.request("getSellerTaxonomyNodes", "GET", "/seller-taxonomy/nodes",
                            use_oauth=False)
        return (page or {}).get("results") or []

    def get_taxonomy_properties(self, taxonomy_id):
        """getPropertiesByTaxonomyId: the properties of a taxonomy node (a list)."""
        page = self.request("getPropertiesByTaxonomyId", "GET",
                            f"/seller-taxonomy/nodes/{int(taxonomy_id)}/properties",
                            use_oauth=False)
        return (page or {}).get("results") or []

    def get_shop_shipping_profiles(self, shop_id):
        """getShopShippingProfiles: the shop's shipping profiles (a list)."""
        page = self.request("getShopShippingProfiles", "GET",
                            f"/shops/{int(shop_id)}/shipping-profiles")
        return (page or {}).get("results") or []

    def get_shop_return_policies(self, shop_id):
        """getShopReturnPolicies: the shop's return policies (a list)."""
        page = self.request("getShopReturnPolicies", "GET",
                            f"/shops/{int(shop_id)}/policies/return")
        return (page or {}).get("results") or []

    def get_shop_readiness_state_definitions(self, shop_id):
        """getShopReadinessStateDefinitions, every page: the shop's processing profiles."""
        return list(self._iter_pages("getShopReadinessStateDefinitions",
                                     f"/shops/{int(shop_id)}/readiness-state-definitions", {},
                                     "readiness_state_id"))
