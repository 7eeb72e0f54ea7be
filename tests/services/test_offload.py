"""CPU work off the event loop: one worker thread, pieces one at a time, the switch interval short only while it
works (tui.services.offload)."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

from tui.services.offload import SWITCH_INTERVAL_S, off_loop


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


async def test_the_switch_interval_is_short_only_while_a_piece_runs() -> None:
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL_S  # (CPython's default is 5 ms: the test would prove nothing otherwise)
    during = await off_loop(sys.getswitchinterval)
    assert during == pytest.approx(SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == pytest.approx(before)


async def test_an_error_in_a_piece_reaches_the_caller_and_restores_the_interval() -> None:
    before = sys.getswitchinterval()

    def broken() -> None:
        raise ValueError("bad page")

    with pytest.raises(ValueError, match="bad page"):
        await off_loop(broken)
    assert sys.getswitchinterval() == pytest.approx(before)
    assert await off_loop(lambda: 42) == 42  # the worker survives
