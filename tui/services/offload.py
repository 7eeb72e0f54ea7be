"""CPU-bound work (decoding pages, joining the inventory, building rows) off the event loop, one piece at a time.

Python runs one thread at a time (the GIL): one worker thread does all such work (several only queued the loop
behind more of them, and cannot run in parallel anyway). Each piece runs inside ``tuning.around_cpu_work()``
(tui.runtime installs a short GIL switch interval there, so that the loop gets its turn sooner while it works).

Blocking I/O (a credential's token request) still goes to ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from tui.services import tuning

P = ParamSpec("P")
T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _cpu_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mitui-cpu")
        return _executor


def _piece(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    with tuning.around_cpu_work():
        return fn(*args, **kwargs)


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in the CPU worker thread, awaited."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_cpu_executor(), lambda: _piece(fn, *args, **kwargs))


async def gather_limited(coros: list[Any], limit: int, *, return_exceptions: bool = False) -> list[Any]:
    """``asyncio.gather`` of ``coros`` with at most ``limit`` of them running at once (answers in their order)."""
    sem = asyncio.Semaphore(limit)

    async def run(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(run(c) for c in coros), return_exceptions=return_exceptions)
