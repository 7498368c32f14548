"""Etsy's per-application limits: queries per second and per rolling day (API-NOTES §3).

Both windows slide. The per-second limit is checked first, then the daily one; a refused call
is not counted. Every answer carries the four `x-limit-*`/`x-remaining-*` headers.
"""

import math
from collections import deque

from .constants import ERR_PER_DAY, ERR_PER_SECOND
from .errors import ApiError

DAY = 86400.0


class RateLimiter:
    """Sliding windows of call times, one pair per app keystring; callers hold the world lock."""

    def __init__(self, world):
        self.world = world
        self._calls = {}

    def reset(self):
        """Forget every counted call."""
        self._calls.clear()

    def hit(self, keystring):
        """Count one call or raise the 429 Etsy would answer; returns the headers to send."""
        world = self.world
        now = world.now_float()
        second, day = self._calls.setdefault(keystring, (deque(), deque()))
        _expire(second, now - 1.0)
        _expire(day, now - DAY)
        if len(second) >= world.per_second:
            wait = max(1, math.ceil(second[0] + 1.0 - now))
            raise ApiError(
                429, ERR_PER_SECOND, headers=self._headers(0, world.per_day - len(day), wait)
            )
        if len(day) >= world.per_day:
            wait = max(1, math.ceil(day[0] + DAY - now))
            raise ApiError(
                429, ERR_PER_DAY, headers=self._headers(world.per_second - len(second), 0, wait)
            )
        second.append(now)
        day.append(now)
        return self._headers(world.per_second - len(second), world.per_day - len(day))

    def _headers(self, left_second, left_day, retry_after=None):
        headers = {
            "x-limit-per-second": str(self.world.per_second),
            "x-remaining-this-second": str(max(0, left_second)),
            "x-limit-per-day": str(self.world.per_day),
            "x-remaining-today": str(max(0, left_day)),
        }
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        return headers


def _expire(window, cutoff):
    while window and window[0] <= cutoff:
        window.popleft()
