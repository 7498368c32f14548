"""The journal of calls the sandbox answered, for assertions; secrets are redacted on entry."""

import threading
from collections import deque

SECRET_FIELDS = frozenset(
    (
        "code",
        "code_verifier",
        "refresh_token",
        "access_token",
        "token",
        "client_secret",
        "shared_secret",
    )
)
REDACTED = "<redacted>"


def redact(value):
    """A copy of a parsed body or query with secret-bearing fields masked."""
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_FIELDS and v else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class Journal:
    """A bounded, thread-safe list of call records (oldest dropped first)."""

    def __init__(self, maxlen=200_000):
        self._entries = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def record(self, entry):
        """Append one call record (already redacted)."""
        with self._lock:
            self._entries.append(entry)

    def entries(self, operation=None):
        """Records in call order, optionally only those of one operationId."""
        with self._lock:
            items = list(self._entries)
        return [dict(e) for e in items if operation is None or e["operation"] == operation]

    def clear(self):
        """Forget every record."""
        with self._lock:
            self._entries.clear()
