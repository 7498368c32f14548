"""The WSGI application: routing, Etsy's request pipeline, JSON writing and the call journal.

Pipeline of every `/v3/application/...` call, in Etsy's order (API-NOTES §1-3):
x-api-key (`keystring:shared_secret`) -> rate limits (per second, then per day) -> injected
fault -> bearer token and the operation's scopes (from the spec's `security`) -> handler.
Every answer carries `x-etsy-request-uuid`; once the key is known, also the four rate-limit
headers. JSON is written the way Etsy's PHP back end writes it (`\\/` and `\\uXXXX` escapes).
"""

import json
import logging
import secrets
import struct
import time
import zlib
from typing import NamedTuple

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import handlers, oauth, publish
from .constants import ERR_INVALID_KEY, ERR_KEY_FORMAT, ERR_SERVER, ERR_SHARED_SECRET
from .errors import ApiError, forbidden
from .handlers import Call
from .journal import redact
from .tokens import token_error

API = "/v3/application"
_logger = logging.getLogger(__name__)


class Operation(NamedTuple):
    """An implemented Etsy operation: the spec's operationId, route, scopes and handler."""

    operation_id: str
    method: str
    path: str
    scopes: tuple
    handler: object
    status: int = 200  # of a successful answer: 201 for a creation, 204 for a deletion


OPERATIONS = (
    Operation("ping", "GET", "/openapi-ping", (), handlers.ping),
    Operation("tokenScopes", "POST", "/scopes", (), handlers.token_scopes),
    Operation("getMe", "GET", "/users/me", ("shops_r",), handlers.get_me),
    Operation("getUser", "GET", "/users/<int:user_id>", ("email_r",), handlers.get_user),
    Operation(
        "getShopByOwnerUserId", "GET", "/users/<int:user_id>/shops", (), handlers.get_shop_by_owner
    ),
    Operation("getShop", "GET", "/shops/<int:shop_id>", (), handlers.get_shop),
    Operation(
        "getShopReceipts",
        "GET",
        "/shops/<int:shop_id>/receipts",
        ("transactions_r",),
        handlers.get_shop_receipts,
    ),
    Operation(
        "getShopReceipt",
        "GET",
        "/shops/<int:shop_id>/receipts/<int:receipt_id>",
        ("transactions_r",),
        handlers.get_shop_receipt,
    ),
    Operation(
        "updateShopReceipt",
        "PUT",
        "/shops/<int:shop_id>/receipts/<int:receipt_id>",
        ("transactions_w",),
        handlers.update_shop_receipt,
    ),
    Operation(
        "getShopReceiptTransactionsByReceipt",
        "GET",
        "/shops/<int:shop_id>/receipts/<int:receipt_id>/transactions",
        ("transactions_r",),
        handlers.get_receipt_transactions,
    ),
    Operation(
        "createReceiptShipment",
        "POST",
        "/shops/<int:shop_id>/receipts/<int:receipt_id>/tracking",
        ("transactions_w",),
        handlers.create_receipt_shipment,
    ),
    Operation(
        "getShopReceiptTransactionsByShop",
        "GET",
        "/shops/<int:shop_id>/transactions",
        ("transactions_r",),
        handlers.get_shop_transactions,
    ),
    Operation(
        "getShopReceiptTransaction",
        "GET",
        "/shops/<int:shop_id>/transactions/<int:transaction_id>",
        ("transactions_r",),
        handlers.get_shop_transaction,
    ),
    Operation(
        "getListingsByShop",
        "GET",
        "/shops/<int:shop_id>/listings",
        ("listings_r",),
        handlers.get_listings_by_shop,
    ),
    Operation(
        "updateListing",
        "PATCH",
        "/shops/<int:shop_id>/listings/<int:listing_id>",
        ("listings_w",),
        publish.update_listing,
    ),
    Operation(
        "getShopReadinessStateDefinitions",
        "GET",
        "/shops/<int:shop_id>/readiness-state-definitions",
        ("shops_r",),
        handlers.get_readiness_definitions,
    ),
    Operation(
        "getListingsByListingIds", "GET", "/listings/batch", (), handlers.get_listings_by_ids
    ),
    Operation(
        "getListingsInventoryByListingIds",
        "GET",
        "/listings/batch/inventory",
        ("listings_r",),
        handlers.get_inventories_by_ids,
    ),
    Operation("getListing", "GET", "/listings/<int:listing_id>", (), handlers.get_listing),
    Operation(
        "getListingInventory",
        "GET",
        "/listings/<int:listing_id>/inventory",
        ("listings_r",),
        handlers.get_listing_inventory,
    ),
    Operation(
        "updateListingInventory",
        "PUT",
        "/listings/<int:listing_id>/inventory",
        ("listings_w",),
        handlers.update_listing_inventory,
    ),
    Operation(
        "getShopPaymentAccountLedgerEntries",
        "GET",
        "/shops/<int:shop_id>/payment-account/ledger-entries",
        ("transactions_r",),
        handlers.get_ledger_entries,
    ),
    Operation(
        "getPaymentAccountLedgerEntryPayments",
        "GET",
        "/shops/<int:shop_id>/payment-account/ledger-entries/payments",
        ("transactions_r",),
        handlers.get_ledger_entry_payments,
    ),
    Operation(
        "getPayments",
        "GET",
        "/shops/<int:shop_id>/payments",
        ("transactions_r",),
        handlers.get_payments,
    ),
    Operation(
        "getShippingCarriers", "GET", "/shipping-carriers", (), handlers.get_shipping_carriers
    ),
    # Publishing (etsy_sandbox/publish.py).
    Operation("createDraftListing", "POST", "/shops/<int:shop_id>/listings", ("listings_w",),
              publish.create_draft_listing, 201),
    Operation("uploadListingImage", "POST", "/shops/<int:shop_id>/listings/<int:listing_id>/images",
              ("listings_w",), publish.upload_listing_image, 201),
    Operation("deleteListingImage", "DELETE",
              "/shops/<int:shop_id>/listings/<int:listing_id>/images/<int:listing_image_id>",
              ("listings_w",), publish.delete_listing_image, 204),
    Operation("uploadListingFile", "POST", "/shops/<int:shop_id>/listings/<int:listing_id>/files",
              ("listings_w",), publish.upload_listing_file, 201),
    Operation("updateListingPersonalization", "POST",
              "/shops/<int:shop_id>/listings/<int:listing_id>/personalization", ("listings_w",),
              publish.update_listing_personalization, 201),
    Operation("deleteListing", "DELETE", "/listings/<int:listing_id>", ("listings_d",),
              publish.delete_listing, 204),
    Operation("getSellerTaxonomyNodes", "GET", "/seller-taxonomy/nodes", (),
              publish.get_seller_taxonomy_nodes),
    Operation("getPropertiesByTaxonomyId", "GET",
              "/seller-taxonomy/nodes/<int:taxonomy_id>/properties", (),
              publish.get_properties_by_taxonomy_id),
    Operation("getShopShippingProfiles", "GET", "/shops/<int:shop_id>/shipping-profiles",
              ("shops_r",), publish.get_shop_shipping_profiles),
    Operation("getShopReturnPolicies", "GET", "/shops/<int:shop_id>/policies/return", (),
              publish.get_shop_return_policies),
)
OAUTH_OPERATIONS = ("oauthToken",)
OPERATION_IDS = tuple(op.operation_id for op in OPERATIONS) + OAUTH_OPERATIONS


def php_json(body):
    """JSON as PHP's json_encode writes it: ASCII only, slashes escaped."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def json_response(status, body, headers=None):
    """A JSON answer; a str body is sent as is (used for malformed-JSON faults)."""
    payload = body if isinstance(body, str) else php_json(body)
    return Response(payload, status=status, headers=headers or {}, content_type="application/json")


def tiny_png(rgb):
    """A valid 1x1 PNG of one colour, for the sandbox's listing images."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" + bytes(rgb)))
        + chunk(b"IEND", b"")
    )


class SandboxApp:
    """WSGI callable serving Etsy, the OAuth pages, the Discord sink and /_sandbox control."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        rules = [
            Rule(API + op.path, methods=[op.method], endpoint=("etsy", op)) for op in OPERATIONS
        ]
        rules += [
            Rule("/v3/public/oauth/token", methods=["POST"], endpoint=("token", None)),
            Rule("/oauth/connect", methods=["GET"], endpoint=("connect", oauth.connect_get)),
            Rule("/oauth/connect", methods=["POST"], endpoint=("connect", oauth.connect_post)),
            Rule(
                "/api/webhooks/<webhook_id>/<token>", methods=["POST"], endpoint=("discord", None)
            ),
            Rule(
                "/_sandbox/images/<int:image_id>/<size>.png",
                methods=["GET"],
                endpoint=("image", None),
            ),
            Rule("/_sandbox/<path:action>", methods=["GET", "POST"], endpoint=("control", None)),
        ]
        self.url_map = Map(rules, strict_slashes=False)
        self.image = tiny_png((214, 160, 92))

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request):
        """Route one request to its kind of handler."""
        # Read the body once up front so form parsing and the journal can both see it.
        request.get_data(cache=True)
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            (kind, target), args = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            return self._unrouted(request, exc)
        if kind == "etsy":
            return self.etsy_call(target, request, args)
        if kind == "token":
            return self.token_call(request)
        if kind == "connect":
            return self.connect_call(target, request)
        if kind == "discord":
            return self.sandbox.discord.handle(request, args["webhook_id"], args["token"])
        if kind == "image":
            return Response(self.image, content_type="image/png")
        return self.sandbox.control.handle(request, args["action"])

    def _unrouted(self, request, exc):
        if request.path.startswith("/v3/"):
            status = 405 if isinstance(exc, MethodNotAllowed) else 404
            return json_response(
                status,
                {"error": f"No route for {request.method} {request.path}"},
                {"x-etsy-request-uuid": _request_uuid()},
            )
        return exc.get_response()

    # -- Etsy resource calls -------------------------------------------------------------------

    def etsy_call(self, op, request, args):
        """The full pipeline of one /v3/application call (see the module docstring)."""
        sandbox = self.sandbox
        headers = {"x-etsy-request-uuid": _request_uuid()}
        entry = _entry(op.operation_id, request, sandbox.world.now_float())
        try:
            app = self._check_api_key(request)
            entry["api_key_valid"] = True
            with sandbox.world.lock:
                headers.update(sandbox.limiter.hit(app.keystring))
            status, body, extra = self._run(op, request, args, app)
        except ApiError as exc:
            status, body, extra = exc.status, exc.body, exc.headers
        except Exception:  # a sandbox bug: answer like Etsy's 500, keep the traceback
            _logger.exception("sandbox handler for %s failed", op.operation_id)
            status, body, extra = 500, {"error": ERR_SERVER}, {}
        headers.update(extra)
        self._journal(entry, request, status)
        return json_response(status, body, headers)

    def _run(self, op, request, args, app):
        """Apply a pending fault around the real handler; returns (status, body, headers)."""
        fault = self.sandbox.faults.take(op.operation_id)
        if fault and fault.hang:
            time.sleep(fault.hang)
        replacement = fault.response_parts() if fault else None
        if replacement and not fault.process:
            return replacement
        world = self.sandbox.world
        with world.lock:
            grant = self._check_bearer(op, request, app)
            call = Call(
                self.sandbox,
                request,
                app,
                grant,
                request.host_url.rstrip("/"),
                repeat_receipt=bool(fault and fault.repeat_receipt),
            )
            body = op.handler(call, **args)
            payload = "" if op.status == 204 else php_json(body)
        return replacement or (op.status, payload, {})

    def _check_api_key(self, request):
        """x-api-key must be `keystring:shared_secret` of a registered app."""
        value = request.headers.get("x-api-key", "")
        if not value:
            raise ApiError(401, ERR_INVALID_KEY)
        keystring, colon, secret = value.partition(":")
        if not colon:
            raise forbidden(ERR_SHARED_SECRET)
        if not keystring or not secret or ":" in secret:
            raise forbidden(ERR_KEY_FORMAT)
        app = self.sandbox.world.apps.get(keystring)
        if app is None or not secrets.compare_digest(app.shared_secret, secret):
            raise ApiError(401, ERR_INVALID_KEY)
        return app

    def _check_bearer(self, op, request, app):
        """The token grant; 401 for a missing/bad/expired token, 403 for missing scopes."""
        header = request.headers.get("Authorization", "")
        if not header:
            if op.scopes:
                raise token_error("access_token is missing")
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise token_error("access_token is invalid")
        grant = self.sandbox.tokens.check_access(token.strip(), app.keystring)
        missing = [scope for scope in op.scopes if scope not in grant.scopes]
        if missing:
            raise ApiError(
                403, "insufficient_scope", f"This request requires the scope: {' '.join(missing)}"
            )
        return grant

    # -- OAuth ---------------------------------------------------------------------------------

    def token_call(self, request):
        """POST /v3/public/oauth/token (faults apply as operation `oauthToken`)."""
        headers = {"x-etsy-request-uuid": _request_uuid()}
        entry = _entry("oauthToken", request, self.sandbox.world.now_float())
        fault = self.sandbox.faults.take("oauthToken")
        if fault and fault.hang:
            time.sleep(fault.hang)
        replacement = fault.response_parts() if fault else None
        if replacement and not fault.process:
            status, body, extra = replacement
        else:
            try:
                with self.sandbox.world.lock:
                    body = oauth.token_endpoint(self.sandbox, request)
                status, extra = 200, {"Cache-Control": "no-store"}
            except ApiError as exc:
                status, body, extra = exc.status, exc.body, exc.headers
            if replacement:
                status, body, extra = replacement
        headers.update(extra)
        self._journal(entry, request, status)
        return json_response(status, body, headers)

    def connect_call(self, handler, request):
        """GET/POST /oauth/connect: Etsy's pages, journaled as `oauthConnect`."""
        entry = _entry("oauthConnect", request, self.sandbox.world.now_float())
        with self.sandbox.world.lock:
            response = handler(self.sandbox, request)
        self._journal(entry, request, response.status_code)
        return response

    # -- journal -------------------------------------------------------------------------------

    def _journal(self, entry, request, status):
        entry["status"] = status
        entry["body"] = redact(_parsed_body(request))
        entry["query"] = redact(entry["query"])
        self.sandbox.journal_store.record(entry)


def _request_uuid():
    return secrets.token_urlsafe(21)[:28]


def _entry(operation, request, now):
    return {
        "operation": operation,
        "method": request.method,
        "path": request.path,
        "query": request.args.to_dict(),
        "content_type": request.mimetype or None,
        "body": None,
        "status": None,
        "api_key_valid": False,
        "bearer": bool(request.headers.get("Authorization")),
        "time": now,
    }


def _parsed_body(request):
    """The request body as the journal keeps it: dict for JSON or form, str otherwise."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    if request.mimetype == "application/json":
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.to_dict()
    if request.mimetype == "multipart/form-data":
        # Files are kept as a placeholder, so the journal stays small and contract-checkable.
        body = request.form.to_dict()
        for name, upload in request.files.items():
            upload.seek(0)
            body[name] = f"<{len(upload.read())} bytes>"
        return body
    return raw.decode("utf-8", "replace")
