"""CPU-bound work (decoding pages, joining the inventory, building rows) off the event loop, one piece at a time.

Python runs one thread at a time (the GIL). A thread that waits for it asks the one holding it to let go after
the switch interval (5 ms by default), and the event loop waits so again each time it comes back from a system
call: with CPU work in other threads, a frame that needs 20 ms of CPU took 100 ms or more. So:

- one worker thread does all such work (several only queued the loop behind more of them, and cannot run in
  parallel anyway);
- while it works, the switch interval is 1 ms, so that the loop gets its turn five times sooner (measured on a
  2-core machine: the loop's worst lateness behind a busy worker falls from ~11 ms to ~4 ms, at no cost in
  throughput).

Blocking I/O (a credential's token request) still goes to ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

SWITCH_INTERVAL_S = 0.001  # while the worker works; restored after each piece

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _cpu_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mitui-cpu")
        return _executor


def _fairly(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(saved, SWITCH_INTERVAL_S))
    try:
        return fn(*args, **kwargs)
    finally:
        sys.setswitchinterval(saved)


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in the CPU worker thread, awaited."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_cpu_executor(), lambda: _fairly(fn, *args, **kwargs))
