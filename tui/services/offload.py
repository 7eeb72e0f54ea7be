"""CPU-bound work (decoding pages, joining the inventory, building rows) off the event loop, one piece at a time.

Python runs one thread at a time (the GIL): one worker thread does all such work (several only queued the loop
behind more of them, and cannot run in parallel anyway), the urgent pieces first (:func:`off_loop_first`: a partial
table waited ~0.3 s behind the pages of a load queued before it). Each piece runs inside ``tuning.around_cpu_work()``
(tui.runtime installs a short GIL switch interval there, so that the loop gets its turn sooner while it works).

Blocking I/O (a credential's token request) still goes to ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ParamSpec, TypeVar

from tui.services import tuning

P = ParamSpec("P")
T = TypeVar("T")


class CpuWorker:
    """One thread that runs the pieces handed to it, the urgent ones first (what the admin waits to see: a partial
    table's rows) and the rest in the order given (a load's pages, each a few milliseconds)."""

    URGENT, NORMAL = 0, 1

    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[[], Any], Future[Any]]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], T], priority: int = NORMAL) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                # a daemon: the interpreter does not wait for a piece of CPU work at exit
                self._thread = threading.Thread(target=self._run, name="mitui-cpu", daemon=True)
                self._thread.start()
        self._queue.put((priority, next(self._order), fn, future))
        return future

    def _run(self) -> None:
        while True:
            _, _, fn, future = self._queue.get()
            if future.set_running_or_notify_cancel():  # (else cancelled while it waited)
                try:
                    future.set_result(fn())
                except BaseException as err:  # noqa: BLE001 - handed to the awaiting coroutine
                    future.set_exception(err)
            # let go of the piece before waiting for the next: held, its closure (a whole load's loader, once)
            # stayed alive until another piece came
            del fn, future


_worker = CpuWorker()


def _piece(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    with tuning.around_cpu_work():
        return fn(*args, **kwargs)


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in the CPU worker thread, awaited."""
    return await asyncio.wrap_future(_worker.submit(lambda: _piece(fn, *args, **kwargs)))


async def off_loop_first(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """:func:`off_loop`, ahead of the pieces waiting (for what is on its way to the screen)."""
    return await asyncio.wrap_future(_worker.submit(lambda: _piece(fn, *args, **kwargs), CpuWorker.URGENT))


async def off_loop_each(fn: Callable[[Any], T], items: list[Any], chunk: int = 32) -> list[T]:
    """``[fn(i) for i in items]`` in the CPU worker, ``chunk`` items a piece: a long pass (classifying 700
    built-in roles, ~0.1 s) no longer keeps an urgent piece (a partial table's rows) waiting behind it."""
    out: list[T] = []
    for start in range(0, len(items), chunk):
        part = items[start : start + chunk]
        out.extend(await off_loop(lambda part=part: [fn(i) for i in part]))
    return out


async def gather_limited(coros: list[Any], limit: int, *, return_exceptions: bool = False) -> list[Any]:
    """``asyncio.gather`` of ``coros`` with at most ``limit`` of them running at once (answers in their order).
    When one fails (without ``return_exceptions``) or the gather is cancelled, the others are cancelled: none goes on
    in the background after it, and none is left never awaited."""
    sem = asyncio.Semaphore(limit)

    async def run(c: Any) -> Any:
        try:
            async with sem:
                return await c
        finally:
            c.close()  # (one never started, the gather cancelled first, then goes without a "never awaited" warning)

    tasks = [asyncio.ensure_future(run(c)) for c in coros]
    try:
        return await asyncio.gather(*tasks, return_exceptions=return_exceptions)
    except BaseException:
        for task in tasks:
            task.cancel()
        for c in coros:  # (a task cancelled before its first step never runs ``run``'s finally)
            if inspect.getcoroutinestate(c) == inspect.CORO_CREATED:
                c.close()
        raise
