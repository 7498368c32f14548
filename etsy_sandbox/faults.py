"""Fault injection: the next `count` calls of an operation misbehave in a chosen way."""

import threading
from collections import Counter, deque
from dataclasses import dataclass, field

from .constants import ERR_PER_DAY, ERR_PER_SECOND, ERR_SERVER

DEFAULT_BODIES = {
    400: {"error": "Bad Request"},
    401: {"error": "invalid_token", "error_description": "access token is expired"},
    403: {"error": "Forbidden"},
    404: {"error": "Not Found"},
    409: {"error": "Conflict"},
    422: {"error": "Unprocessable Entity"},
    429: {"error": ERR_PER_SECOND},
    500: {"error": ERR_SERVER},
    502: {"error": "Bad Gateway"},
    503: {"error": "Service Unavailable"},
    504: {"error": "Gateway Timeout"},
}
MALFORMED_BODY = '{"count": 3, "results": [{"receipt_id": 1, "status": "pa'


@dataclass
class Fault:
    """One injected misbehaviour.

    status: answer this status with Etsy's body for it (or `body`); 429 also gets retry-after
    (86400 when `body` is the daily-limit error). hang: sleep that long first. malformed: 200
    with truncated JSON. repeat_receipt: getShopReceipts repeats a receipt of the previous page.
    process: handle the request for real first, then misbehave (the change happened but the
    client never hears of it - the case behind double shipments). label: a name to count the
    calls it affected under (`FaultInjector.taken_counts`), e.g. "5xx" or "timeout".
    """

    status: int | None = None
    hang: float | None = None
    malformed: bool = False
    repeat_receipt: bool = False
    body: object = None
    headers: dict = field(default_factory=dict)
    process: bool = False
    label: str = ""
    remaining: int = 1

    def response_parts(self):
        """(status, body, headers) of the replacement answer, or None if there is none."""
        if self.malformed:
            return 200, MALFORMED_BODY, dict(self.headers)
        if self.status is None and self.body is None:
            return None
        status = self.status or 500
        body = (
            self.body
            if self.body is not None
            else DEFAULT_BODIES.get(status, {"error": ERR_SERVER})
        )
        headers = {}
        if status == 429:
            daily = isinstance(body, dict) and body.get("error") == ERR_PER_DAY
            headers["retry-after"] = "86400" if daily else "1"
            headers["x-remaining-today" if daily else "x-remaining-this-second"] = "0"
        headers.update(self.headers)
        return status, body, headers


class FaultInjector:
    """Queued faults per operationId, consumed one call at a time."""

    def __init__(self, operations):
        self.operations = frozenset(operations)
        self._faults = {}
        self._taken = Counter()
        self._lock = threading.Lock()

    def inject(self, operation, count=1, **behaviour):
        """Queue a fault for the next `count` calls of `operation`; `behaviour` takes the fields
        of `Fault` (status, hang, malformed, repeat_receipt, body, headers, process)."""
        if operation not in self.operations:
            raise ValueError(f"Unknown operation {operation!r}; known: {sorted(self.operations)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        behaviour["headers"] = dict(behaviour.get("headers") or {})
        fault = Fault(**behaviour, remaining=count)
        with self._lock:
            self._faults.setdefault(operation, deque()).append(fault)
        return fault

    def take(self, operation):
        """The fault for this call, if any (each call uses up one count)."""
        with self._lock:
            queue = self._faults.get(operation)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            self._taken[fault.label or "unlabelled"] += 1
            if fault.remaining == 0:
                queue.popleft()
            return fault

    def taken_counts(self):
        """{label: calls that met a fault of that label} since the start (or `clear(True)`)."""
        with self._lock:
            return dict(self._taken)

    def clear(self, counts=False):
        """Drop every pending fault (and the counts of those taken when `counts`)."""
        with self._lock:
            self._faults.clear()
            if counts:
                self._taken.clear()

    def pending(self):
        """{operation: calls still affected}."""
        with self._lock:
            return {op: sum(f.remaining for f in q) for op, q in self._faults.items() if q}
