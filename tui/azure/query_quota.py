"""Resource Graph's per-user query quota, kept to as its answers tell it.

Resource Graph allows each user some queries per time window (Microsoft's guidance gives 15 in 5 seconds), every
page a query of its own, and says in each answer how many are left (``x-ms-user-quota-remaining``) and when the
window starts again (``x-ms-user-quota-resets-after``, ``hh:mm:ss``); past the quota it answers 429 ``RateLimiting``.
A client that sends its queries side by side without looking runs into 429s, and azure-core's retries (the first
one at once) into more: mitui sends a query only while the last answer said some are left, counting those already
on their way, and otherwise waits for the window to start again. Until an answer has told the quota, one query at
a time is sent."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

REMAINING = "x-ms-user-quota-remaining"
RESETS_AFTER = "x-ms-user-quota-resets-after"
SLACK_S = 0.05  # waited past the window's end (the service's clock and ours are not the same)


def seconds(hms: str) -> float | None:
    """``hh:mm:ss`` (seconds may have a fraction) in seconds; None when it is not that."""
    parts = hms.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        h, m, s = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    if h < 0 or m < 0 or s < 0:
        return None
    return h * 3600 + m * 60 + s


class QueryQuota:
    """What is left of the user's Resource Graph quota, and the queries under way (one per signed-in session)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.left: int | None = None  # queries left in this window, as the last answer said (None: not known)
        self.size: int | None = None  # the most any answer said was left, plus its own: the window's quota
        self.resets_at = 0.0  # (clock) when the window starts again
        self.in_flight = 0
        self.waits = 0  # windows waited for (for progress and tests)
        self._said = 0.0  # the window whose wait was said
        self._changed: asyncio.Condition | None = None
        self.on_wait: Callable[[float], None] | None = None  # told the seconds a query is about to wait

    def note(self, headers: Mapping[str, str]) -> None:
        """An answer's headers (any status): what they say is left, and until when."""
        remaining, resets = headers.get(REMAINING), headers.get(RESETS_AFTER)
        after = seconds(resets) if isinstance(resets, str) else None
        try:
            left = int(remaining) if remaining is not None else None
        except ValueError:
            left = None
        if left is None or left < 0 or after is None:
            return
        resets_at = self._clock() + after
        self.size = max(self.size or 0, left + 1)
        if self.left is not None and resets_at <= self.resets_at + 1.0:
            # the same window: answers come back in any order, and what is left only goes down in it
            left = min(left, self.left)
        self.left = left
        self.resets_at = resets_at

    def _room(self) -> bool:
        if self.left is not None and self._clock() >= self.resets_at:
            self.left = self.size  # a new window
        if self.left is None:
            return self.in_flight == 0
        return self.in_flight < self.left

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait until a query may be sent; held while it is under way."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        changed = self._changed
        async with changed:
            while not self._room():
                wait = max(0.0, self.resets_at - self._clock()) + SLACK_S if self.left is not None else None
                if wait is not None and self._said != self.resets_at:  # (said once a window, not once a query)
                    self._said = self.resets_at
                    self.waits += 1
                    if self.on_wait is not None:
                        self.on_wait(wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait)
            self.in_flight += 1
        try:
            yield
        finally:
            async with changed:
                self.in_flight -= 1
                changed.notify_all()

    def hook(self) -> Callable[[Any], None]:
        """An azure-core ``raw_response_hook`` that notes each answer's headers (retried attempts' too)."""

        def seen(pipeline_response: Any) -> None:
            self.note(pipeline_response.http_response.headers)

        return seen
