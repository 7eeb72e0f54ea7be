"""CPU work off the event loop: one worker thread, pieces one at a time, each inside the service layer's CPU-work
hook (tui.services.offload; what tui.runtime plugs into it is tested in tests/test_runtime.py)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from tui.services import tuning
from tui.services.offload import off_loop, off_loop_each, off_loop_first


async def test_work_runs_in_the_one_cpu_thread_and_returns_its_result() -> None:
    def where(x: int, *, y: int) -> tuple[str, int]:
        return threading.current_thread().name, x + y

    name, total = await off_loop(where, 2, y=3)
    assert total == 5
    assert name.startswith("mitui-cpu") and name != threading.main_thread().name
    names = {n for n, _ in await asyncio.gather(*(off_loop(where, i, y=0) for i in range(8)))}
    assert names == {name}  # always the same thread


async def test_pieces_run_one_at_a_time_in_the_order_given() -> None:
    running, most, order = 0, 0, []
    lock = threading.Lock()

    def piece(i: int) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)  # (lets another thread in, if there were one)
        order.append(i)
        with lock:
            running -= 1

    await asyncio.gather(*(off_loop(piece, i) for i in range(6)))
    assert most == 1
    assert order == list(range(6))


async def test_each_piece_runs_inside_the_cpu_work_hook() -> None:
    entered: list[str] = []

    @contextlib.contextmanager
    def around() -> Iterator[None]:
        entered.append(threading.current_thread().name)
        yield

    saved = tuning.around_cpu_work
    tuning.install(around_cpu_work=around)
    try:
        assert await asyncio.gather(*(off_loop(lambda i=i: i * 2) for i in range(3))) == [0, 2, 4]
    finally:
        tuning.install(around_cpu_work=saved)
    assert len(entered) == 3 and all(n.startswith("mitui-cpu") for n in entered)


async def test_an_error_in_a_piece_reaches_the_caller() -> None:
    def broken() -> None:
        raise ValueError("bad page")

    with pytest.raises(ValueError, match="bad page"):
        await off_loop(broken)
    assert await off_loop(lambda: 42) == 42  # the worker survives


async def test_urgent_pieces_go_ahead_of_those_waiting() -> None:
    """A partial table's rows (off_loop_first) run before the pages queued ahead of them, not after."""
    gate, order = threading.Event(), []

    def piece(name: str) -> str:
        order.append(name)
        return name

    blocker = asyncio.ensure_future(off_loop(gate.wait, 5))
    await asyncio.sleep(0.05)  # (the worker is now inside the blocker)
    waiting = [asyncio.ensure_future(off_loop(piece, f"page {i}")) for i in range(3)]
    urgent = asyncio.ensure_future(off_loop_first(piece, "rows"))
    await asyncio.sleep(0.05)
    gate.set()
    assert await urgent == "rows"
    await asyncio.gather(blocker, *waiting)
    assert order == ["rows", "page 0", "page 1", "page 2"]


async def test_an_error_reaches_the_awaiting_coroutine_and_the_worker_goes_on() -> None:
    def fails() -> None:
        raise ValueError("unreadable page")

    with pytest.raises(ValueError, match="unreadable page"):
        await off_loop(fails)
    assert await off_loop(lambda: 7) == 7


async def test_the_worker_lets_go_of_a_piece_once_it_has_run() -> None:
    """Nothing of a piece stays alive in the worker: it held the last one's closure (a whole load's loader, 290 MB
    at 40,000 identities) until the next piece came."""
    import gc
    import weakref

    class Loader:
        def work(self) -> int:
            return 1

    loader = Loader()
    alive = weakref.ref(loader)
    assert await off_loop(loader.work) == 1
    del loader
    for _ in range(100):
        gc.collect()
        if alive() is None:
            break
        await asyncio.sleep(0.01)
    assert alive() is None


async def test_a_long_pass_goes_piece_by_piece_so_urgent_work_passes_between() -> None:
    gate, order = threading.Event(), []

    def item(i: int) -> int:
        order.append(i)
        if i == 0:
            gate.wait(5)  # (the first piece is running when the urgent one arrives)
        return i * i

    each = asyncio.ensure_future(off_loop_each(item, list(range(6)), chunk=2))
    await asyncio.sleep(0.05)
    urgent = asyncio.ensure_future(off_loop_first(lambda: order.append("rows") or "rows"))
    await asyncio.sleep(0.01)
    gate.set()
    assert await each == [0, 1, 4, 9, 16, 25]
    assert await urgent == "rows"
    assert order == [0, 1, "rows", 2, 3, 4, 5]


async def test_gather_limited_cancelled_leaves_no_coroutine_never_awaited() -> None:
    """Cancelled while most of its coroutines wait for a slot, ``gather_limited`` closes those never started:
    no "coroutine ... was never awaited" warning when they are collected."""
    import gc
    import warnings

    from tui.services.offload import gather_limited

    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(10)

    task = asyncio.ensure_future(gather_limited([slow() for _ in range(5)], 1))
    await started.wait()
    task.cancel()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for _ in range(3):  # (the cancelled tasks let go of their coroutines as the loop turns)
            await asyncio.sleep(0)
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


async def test_gather_limited_cancels_the_rest_when_one_fails() -> None:
    """One coroutine fails: ``gather_limited`` raises its error and cancels the rest (the one running and those
    waiting for a slot): none goes on in the background after the failure, none is left never awaited."""
    import gc
    import inspect
    import warnings

    from tui.services.offload import gather_limited

    ran: list[int] = []

    async def work(n: int) -> None:
        ran.append(n)
        if n == 1:
            raise ValueError("refused")
        await asyncio.sleep(10)

    coros = [work(n) for n in range(6)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="refused"):
            await gather_limited(coros, 2)
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
    assert ran[:2] == [0, 1] and len(ran) < 6  # (two slots: the slot let go by the failure may start one more)
    assert all(inspect.getcoroutinestate(c) == inspect.CORO_CLOSED for c in coros)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [w for w in caught if "never awaited" in str(w.message)]
