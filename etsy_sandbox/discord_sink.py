"""A Discord webhook sink on Discord's real path, `POST /api/webhooks/<id>/<token>`.

Answers like Discord: 204 without `?wait=true`, the message object (with a snowflake id) with
it; 404 `Unknown Webhook` (10015) for a webhook that does not exist, 401 `Invalid Webhook
Token` (50027) for a known id with the wrong token, 400 for invalid JSON (50109), an empty
message (50006) or an over-long one (50035), and injected 429s with Discord's body and headers.
With no webhook registered every id/token pair is accepted.
"""

import json
import math
import threading
import time
from collections import deque
from datetime import datetime, timezone

from werkzeug.wrappers import Response

DISCORD_EPOCH_MS = 1420070400000
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000


def _json(status, body, headers=None):
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type="application/json"
    )


def _form_error(field, message):
    return {
        "code": 50035,
        "errors": {field: {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": message}]}},
        "message": "Invalid Form Body",
    }


class DiscordSink:
    """Records accepted posts; can refuse the next posts with injected statuses."""

    def __init__(self):
        self._lock = threading.Lock()
        self.posts = []
        self.attempts = []
        self.webhooks = {}
        self._faults = deque()
        self._sequence = 0
        self._outage = None
        self.outage_refusals = 0

    def reset(self):
        """Forget posts, attempts, registrations and pending faults."""
        with self._lock:
            self.posts.clear()
            self.attempts.clear()
            self.webhooks.clear()
            self._faults.clear()
            self._outage = None
            self.outage_refusals = 0

    def register(self, webhook_id, token):
        """Only registered webhooks exist from now on (others answer 404)."""
        with self._lock:
            self.webhooks[str(webhook_id)] = token

    def forget(self, webhook_id):
        """Delete a webhook, as a Discord admin would; it answers 404 afterwards."""
        with self._lock:
            self.webhooks[str(webhook_id)] = None

    def inject(self, status=429, count=1, retry_after=0.2, body=None):
        """The next `count` posts fail with `status` (429 gets Discord's rate-limit answer)."""
        with self._lock:
            for _ in range(count):
                self._faults.append((status, retry_after, body))

    def outage(self, down=True, status=503):
        """Discord is down (every post answers `status`) until called again with down=False."""
        with self._lock:
            self._outage = int(status) if down else None

    def webhook_url(self, webhook_id="123", token="abc", base="http://127.0.0.1"):
        """The URL a client should post to."""
        return f"{base.rstrip('/')}/api/webhooks/{webhook_id}/{token}"

    def handle(self, request, webhook_id, token):
        """Answer one webhook execution."""
        with self._lock:
            response = self._answer(request, webhook_id, token)
            self.attempts.append(
                {"webhook_id": webhook_id, "status": response.status_code, "time": time.time()}
            )
            return response

    def _answer(self, request, webhook_id, token):
        if self.webhooks:
            known = self.webhooks.get(webhook_id)
            if known is None:
                return _json(404, {"message": "Unknown Webhook", "code": 10015})
            if known != token:
                return _json(401, {"message": "Invalid Webhook Token", "code": 50027})
        if self._outage is not None:
            self.outage_refusals += 1
            return self._fault_response(self._outage, 0, None)
        if self._faults:
            return self._fault_response(*self._faults.popleft())
        try:
            payload = json.loads(request.get_data(as_text=True) or "")
        except ValueError:
            return _json(400, {"message": "The request body contains invalid JSON.", "code": 50109})
        problem = _payload_problem(payload)
        if problem:
            return _json(400, problem)
        return self._accept(request, webhook_id, payload)

    def _fault_response(self, status, retry_after, body):
        if status == 429:
            body = body or {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": False,
            }
            headers = {
                "retry-after": str(max(1, math.ceil(retry_after))),
                "x-ratelimit-limit": "5",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset-after": str(retry_after),
                "x-ratelimit-scope": "shared",
            }
            return _json(429, body, headers)
        return _json(status, body or {"message": "500: Internal Server Error", "code": 0})

    def _accept(self, request, webhook_id, payload):
        self._sequence += 1
        now_ms = int(time.time() * 1000)
        message_id = str(((now_ms - DISCORD_EPOCH_MS) << 22) | (self._sequence & 0xFFF))
        self.posts.append(
            {
                "webhook_id": webhook_id,
                "payload": payload,
                "query": request.args.to_dict(),
                "message_id": message_id,
                "time": now_ms / 1000,
            }
        )
        if request.args.get("wait", "").lower() != "true":
            return Response(status=204)
        return _json(200, _message(webhook_id, message_id, payload, now_ms))


def _payload_problem(payload):
    """Discord's 400 body for an unacceptable message, or None."""
    if not isinstance(payload, dict):
        return {"message": "Cannot send an empty message", "code": 50006}
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if not content and not embeds and not payload.get("components"):
        return {"message": "Cannot send an empty message", "code": 50006}
    if len(content) > MAX_CONTENT:
        return _form_error("content", f"Must be {MAX_CONTENT} or fewer in length.")
    if len(embeds) > MAX_EMBEDS:
        return _form_error("embeds", f"Must be {MAX_EMBEDS} or fewer in length.")
    if sum(_embed_chars(embed) for embed in embeds) > MAX_EMBED_TOTAL:
        return _form_error("embeds", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")
    return None


def _embed_chars(embed):
    if not isinstance(embed, dict):
        return 0
    fields = embed.get("fields") or []
    texts = [
        embed.get("title"),
        embed.get("description"),
        (embed.get("footer") or {}).get("text"),
        (embed.get("author") or {}).get("name"),
    ]
    texts += [f.get(k) for f in fields if isinstance(f, dict) for k in ("name", "value")]
    return sum(len(t) for t in texts if isinstance(t, str))


def _message(webhook_id, message_id, payload, now_ms):
    stamp = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).isoformat()
    return {
        "id": message_id,
        "type": 0,
        "content": payload.get("content") or "",
        "channel_id": "1100000000000000000",
        "author": {
            "bot": True,
            "id": webhook_id,
            "username": payload.get("username") or "Etsy",
            "avatar": None,
            "discriminator": "0000",
        },
        "attachments": [],
        "embeds": payload.get("embeds") or [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": stamp,
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
        "webhook_id": webhook_id,
    }
