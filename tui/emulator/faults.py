"""Latency, fault injection and request statistics, shared by the ARM and Graph listeners.

Faults are chosen deterministically from the seed and a request counter, so a run with the same seed and the
same request sequence sees the same faults.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_plus

FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "drop")
"""The default fault kinds. ``"drop-after-commit"`` (apply a write, then drop the connection) is opt-in."""

ALL_FAULT_KINDS: tuple[str, ...] = (*FAULT_KINDS, "drop-after-commit")

MAX_STREAK = 2  # a request sent again with the same client request id is faulted at most this often in a row


class Stats:
    """Requests served, counted by method and route template (thread-safe)."""

    def __init__(self, keep: int = 1000) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        # the last requests as sent (method, path with its query string, percent-decoded), for in-process tests that
        # check what a client really sent (e.g. an escaped $filter); not served over HTTP
        self.recent: deque[tuple[str, str]] = deque(maxlen=keep)

    def count(self, method: str, route: str, path_qs: str | None = None) -> None:
        with self._lock:
            self._counts[f"{method.upper()} {route}"] += 1
            if path_qs is not None:
                path, sep, query = path_qs.partition("?")
                self.recent.append((method.upper(), unquote(path) + sep + unquote_plus(query)))

    def snapshot(self) -> dict:
        with self._lock:
            by_route = dict(sorted(self._counts.items()))
        return {"total": sum(by_route.values()), "byRoute": by_route}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self.recent.clear()


@dataclass
class FaultPlan:
    """Which requests fail, and how: a fraction ``rate`` of them, chosen from ``seed`` and a counter."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    _counter: int = 0
    _streaks: dict[str, int] = field(default_factory=dict, repr=False)  # client request id -> faults in a row
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    injected: Counter[str] = field(default_factory=Counter)  # faults answered so far, by kind
    # only requests whose "METHOD route-template" contains one of these (case-insensitive); None = every route
    routes: tuple[str, ...] | None = None

    def injected_snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.injected.items()))

    def reset_injected(self) -> None:
        with self._lock:
            self.injected.clear()

    def next_fault(self, is_write: bool, route: str = "", attempt_of: str = "") -> str | None:
        """The fault for the next request (to ``route``, its template), or None. ``drop-after-commit`` only
        applies to writes. Faults are transient: the same request sent again (``attempt_of``, its client request id,
        which an SDK keeps across its retries) is faulted at most MAX_STREAK times in a row, so the SDKs' retries
        (three on a status) always get through, whatever order concurrent requests draw their faults in. At rate 1.0
        every request is faulted: that is an outage, not a transient fault."""
        with self._lock:
            self._counter += 1
            n = self._counter
        if self.rate <= 0:
            return None
        if self.routes is not None and not any(r.lower() in route.lower() for r in self.routes):
            return None
        rng = random.Random(f"{self.seed}:{n}")
        if rng.random() >= self.rate:
            self._streaks.pop(attempt_of, None)
            return None
        kinds = [k for k in self.kinds if is_write or k != "drop-after-commit"]
        if not kinds:
            return None
        with self._lock:
            if attempt_of and self.rate < 1.0:  # (at 1.0 a fault is the route's state: it stays)
                if self._streaks.get(attempt_of, 0) >= MAX_STREAK:
                    del self._streaks[attempt_of]
                    return None
                self._streaks[attempt_of] = self._streaks.get(attempt_of, 0) + 1
        kind = rng.choice(kinds)
        with self._lock:
            self.injected[kind] += 1
        return kind
