"""Resource Graph's per-user query quota.

Azure Resource Graph gives each user a number of queries per time window (Microsoft's "Guidance for throttled
requests in Azure Resource Graph": for example 15 queries in every 5-second window; each page asked for with a
``$skipToken`` is a query of its own). Every answer says what is left in two headers,
``x-ms-user-quota-remaining`` (queries) and ``x-ms-user-quota-resets-after`` (``hh:mm:ss`` until the window starts
again); a query past the quota is refused with 429 ``RateLimiting`` (the body azure-cli users report in
Azure/azure-cli-extensions#3325), and does not count.

The sandbox keeps one window per caller (the token's object id), starting with the caller's first query and lasting
``window_s``; ``queries`` of 0 turns the quota off (no headers, nothing refused).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from tui.emulator.wire import ApiError, new_request_id

QUERIES = 15  # per window and user: the figure Microsoft's guidance gives
WINDOW_S = 5.0
REMAINING = "x-ms-user-quota-remaining"
RESETS_AFTER = "x-ms-user-quota-resets-after"


def hms(seconds: float) -> str:
    """``hh:mm:ss`` of ``seconds``, rounded up (a client that waits that long finds the window new)."""
    whole = max(0, math.ceil(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class Throttled(ApiError):
    """429 ``RateLimiting``, in Resource Graph's words, with the quota headers."""

    def __init__(self, headers: dict[str, str]) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        super().__init__(
            429,
            "RateLimiting",
            f"Please provide below info when asking for support: timestamp = {stamp}.0000000Z, "
            f"correlationId = {new_request_id()}.",
            headers=headers,
        )
        self.details = [
            {
                "code": "RateLimiting",
                "message": "Client application has been throttled and should not attempt to repeat the request until "
                "an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
            }
        ]


class QueryQuota:
    """The queries each caller has left in its current window (thread-safe)."""

    def __init__(
        self, queries: int = QUERIES, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if queries < 0 or window_s <= 0:
            raise ValueError("a quota is a number of queries (0: none) in a window of some seconds")
        self.queries = queries
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # caller -> (window's start, queries counted in it)

    def take(self, caller: str) -> dict[str, str]:
        """Count one query of ``caller``: the headers its answer carries; :class:`Throttled` when none is left."""
        if not self.queries:
            return {}
        with self._lock:
            now = self._clock()
            start, used = self._windows.get(caller, (now, 0))
            if now - start >= self.window_s:
                start, used = now, 0
            left_s = start + self.window_s - now
            if used >= self.queries:
                raise Throttled({REMAINING: "0", RESETS_AFTER: hms(left_s)})
            used += 1
            self._windows[caller] = (start, used)
            return {REMAINING: str(self.queries - used), RESETS_AFTER: hms(left_s)}
