"""HTTP control of a sandbox running in another process: `POST /_sandbox/<action>` with a JSON
body mirroring the Python call, `GET /_sandbox/journal`, `/_sandbox/discord/posts`,
`/_sandbox/state`. Answers are plain JSON; failures are `{"error": ...}` with 400/404/409."""

import json

from werkzeug.wrappers import Response

from . import soak
from .errors import ApiError

POST_ACTIONS = {
    "buy": lambda sb, a: sb.buy(**a),
    "cancel_receipt": lambda sb, a: sb.cancel_receipt(**a),
    "refund_receipt": lambda sb, a: sb.refund_receipt(**a),
    "ship_receipt": lambda sb, a: sb.ship_receipt(**a),
    "renew_listing": lambda sb, a: {"state": sb.renew_listing(**a)},
    "inject_fault": lambda sb, a: _done(sb.inject_fault(**a)),
    "clear_faults": lambda sb, a: _done(sb.clear_faults()),
    "set_rate_limits": lambda sb, a: _done(sb.set_rate_limits(**a)),
    "revoke_tokens": lambda sb, a: _done(sb.revoke_tokens(**a)),
    "expire_access_tokens": lambda sb, a: _done(sb.expire_access_tokens()),
    "issue_tokens": lambda sb, a: sb.issue_tokens(**a),
    "generate_listings": lambda sb, a: {"listing_ids": sb.generate_listings(**a)},
    "generate_receipts": lambda sb, a: {"receipt_ids": sb.generate_receipts(**a)},
    "configure_payment_account": lambda sb, a: _done(sb.configure_payment_account(**a)),
    "payout": lambda sb, a: {"entry": sb.payout(**a)},
    "add_ledger_entry": lambda sb, a: sb.add_ledger_entry(**a),
    "reset": lambda sb, a: _done(sb.reset()),
    "register_app": lambda sb, a: _done(sb.register_app(**a)),
    "auto_approve": lambda sb, a: _done(setattr(sb, "auto_approve", bool(a.get("value", True)))),
    "access_token_lifetime": lambda sb, a: _done(
        setattr(sb, "access_token_lifetime", int(a["seconds"]))
    ),
    "receipt_status_style": lambda sb, a: _done(setattr(sb, "receipt_status_style", a["value"])),
    "login_as": lambda sb, a: _done(sb.login_as(**a)),
    "advance_clock": lambda sb, a: _done(sb.advance_clock(**a)),
    "add_shop": lambda sb, a: sb.add_shop(**a),
    "clear_journal": lambda sb, a: _done(sb.clear_journal()),
    "webhooks/configure": lambda sb, a: sb.configure_webhook(**a),
    "webhooks/forget": lambda sb, a: _done(sb.webhooks.forget(**a)),
    "webhooks/settings": lambda sb, a: _done(sb.webhooks.settings(**a)),
    "webhooks/flush": lambda sb, a: {"attempts": sb.webhooks.flush(**a)},
    "webhooks/send_forged": lambda sb, a: {"status": sb.webhooks.send_forged(**a)},
    "webhooks/send_stale": lambda sb, a: {"status": sb.webhooks.send_stale(**a)},
    "webhooks/replay": lambda sb, a: {"status": sb.webhooks.replay(**a)},
    "discord/inject": lambda sb, a: _done(sb.discord.inject(**a)),
    "discord/register": lambda sb, a: _done(sb.discord.register(**a)),
    "discord/forget": lambda sb, a: _done(sb.discord.forget(**a)),
    "discord/outage": lambda sb, a: _done(sb.discord.outage(**a)),
}
GET_ACTIONS = {
    "journal": lambda sb, q: sb.calls(q.get("operation")),
    "discord/posts": lambda sb, q: sb.discord.posts,
    "state": lambda sb, q: sb.summary(),
    "faults/taken": lambda sb, q: sb.faults.taken_counts(),
    "soak/receipts": lambda sb, q: soak.receipts(sb.world, q["shop_id"]),
    "soak/listings": lambda sb, q: soak.listings(sb.world, q["shop_id"]),
    "soak/tokens": lambda sb, q: soak.tokens(sb),
    "webhooks/deliveries": lambda sb, q: sb.webhooks.attempts(),
}


def _done(_result=None):
    return {"ok": True}


def _json(status, body):
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


class Control:
    """Dispatches control actions to the EtsySandbox facade."""

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def handle(self, request, action):
        """Answer one control request."""
        table = GET_ACTIONS if request.method == "GET" else POST_ACTIONS
        function = table.get(action)
        if function is None:
            return _json(404, {"error": f"Unknown control action {request.method} {action}"})
        try:
            if request.method == "GET":
                return _json(200, function(self.sandbox, request.args.to_dict()))
            arguments = json.loads(request.get_data(as_text=True) or "{}")
            if not isinstance(arguments, dict):
                return _json(400, {"error": "The body must be a JSON object"})
            return _json(200, function(self.sandbox, arguments))
        except ApiError as exc:
            return _json(exc.status, exc.body)
        except (TypeError, ValueError, KeyError) as exc:
            return _json(400, {"error": f"{type(exc).__name__}: {exc}"})
