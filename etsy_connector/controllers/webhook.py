"""Where Etsy posts its order webhooks: verify, record, wake the order import, answer at once.

Etsy waits for the answer and retries a delivery that failed, so this never calls Etsy: it
checks the delivery (size, body, shop, signature, freshness, novelty), records it and queues
the import of its receipt (`etsy.sync.request`), all in one short transaction. Anything it
refuses gets a 4xx and writes nothing. Neither the secret nor the signature is ever logged.

The URL carries the Odoo shop's id (`/etsy_connector/webhook/<id>`, shown on the shop form);
without it, the shop is the connected one whose Etsy shop id the body names.
"""

import json
import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..const import MAX_WEBHOOK_BODY, WEBHOOK_PATH
from ..etsy.webhooks import WebhookError, parse_event, verify

_logger = logging.getLogger(__name__)


class EtsyWebhookController(http.Controller):
    @http.route([WEBHOOK_PATH, f"{WEBHOOK_PATH}/<int:shop_id>"], type="http", auth="none",
                methods=["POST"], csrf=False, save_session=False, readonly=False)
    def etsy_webhook(self, shop_id=None, **_kwargs):
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_WEBHOOK_BODY:
            return self._answer(413, "too_large")
        body = httprequest.get_data(cache=True)
        if len(body) > MAX_WEBHOOK_BODY:
            return self._answer(413, "too_large")
        try:
            event = parse_event(body)
        except WebhookError as exc:
            return self._answer(400, exc.reason)
        env = request.env(user=SUPERUSER_ID, su=True)
        shops = self._candidate_shops(env, event["shop_id"], shop_id)
        if not shops:
            return self._answer(404, "unknown_shop", event["shop_id"])
        verified, refusal = self._verify(shops, httprequest.headers, body)
        if not verified:
            return self._answer(401, refusal, event["shop_id"])
        shop, webhook_id = verified
        if not env["etsy.webhook.event"]._record(shop, webhook_id, event):
            return self._answer(409, "replayed", event["shop_id"])
        if event["receipt_id"]:
            env["etsy.sync.request"]._request(shop, "orders", trigger="cron",
                                              receipt_id=event["receipt_id"])
        else:
            # An event naming no receipt of the shop: the order poll finds what changed.
            env["etsy.sync.request"]._request(shop, "orders", trigger="cron")
        return self._answer(200, "accepted")

    def _candidate_shops(self, env, etsy_shop_id, shop_id=None):
        """Connected, active shops of the Etsy shop the body names (that one if the URL names
        an Odoo shop)."""
        domain = [("etsy_shop_id", "=", etsy_shop_id), ("state", "=", "connected"),
                  ("etsy_webhook_secret", "!=", False)]
        if shop_id:
            domain.append(("id", "=", shop_id))
        return env["etsy.shop"].search(domain)

    def _verify(self, shops, headers, body):
        """((shop, webhook id), None) for the first shop whose secret signed the delivery, or
        (None, the refusal's reason)."""
        reason = "bad_signature"
        for shop in shops:
            try:
                webhook_id, _timestamp = verify(shop.etsy_webhook_secret, headers, body)
            except WebhookError as exc:
                reason = exc.reason
                continue
            return (shop, webhook_id), None
        return None, reason

    def _answer(self, status, reason, etsy_shop_id=None):
        if status >= 400:
            # The reason is a fixed code: never the secret, the signature nor the body.
            _logger.info("Etsy webhook refused (%s %s) for Etsy shop %s", status, reason,
                         etsy_shop_id or "?")
        return request.make_response(
            json.dumps({"status": reason}),
            headers=[("Content-Type", "application/json")],
            status=status,
        )
