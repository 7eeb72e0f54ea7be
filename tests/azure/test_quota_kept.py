"""mitui keeps to Resource Graph's query quota as the answers tell it: one query until the quota is known, then no
more under way than are left, and a wait for the window to start again when none is (tui.azure.query_quota)."""

from __future__ import annotations

import asyncio

import pytest

from tui.azure.query_quota import REMAINING, RESETS_AFTER, QueryQuota, seconds

ASYNC = pytest.mark.asyncio(loop_scope="session")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _sent(quota: QueryQuota, started: list[int], n: int, release: asyncio.Event) -> None:
    async with quota.slot():
        started.append(n)
        await release.wait()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@ASYNC
async def test_one_query_until_an_answer_tells_the_quota_then_as_many_as_are_left() -> None:
    quota = QueryQuota(clock=Clock())
    started: list[int] = []
    release = asyncio.Event()
    tasks = [asyncio.create_task(_sent(quota, started, n, release)) for n in range(5)]
    await _settle()
    assert started == [0]  # the quota is not known yet
    quota.note({REMAINING: "2", RESETS_AFTER: "00:00:05"})  # the first answer: two more may go
    release.set()
    await asyncio.gather(*tasks[:3])
    assert sorted(started[:3]) == [0, 1, 2]
    for t in tasks[3:]:
        t.cancel()
    await asyncio.gather(*tasks[3:], return_exceptions=True)
    assert quota.size == 3


@ASYNC
async def test_none_left_waits_for_the_window_then_goes_on() -> None:
    clock = Clock()
    quota = QueryQuota(clock=clock)
    waits: list[float] = []
    quota.on_wait = waits.append
    quota.note({REMAINING: "0", RESETS_AFTER: "00:00:00.02"})  # spent; the window starts again very soon
    size_before = quota.size
    started: list[int] = []
    go = asyncio.Event()
    go.set()
    tasks = [asyncio.create_task(_sent(quota, started, n, go)) for n in range(3)]
    await _settle()
    assert started == [] and len(waits) == 1  # they wait, and it is said once for the window
    clock.now += 1.0  # the window is over
    await asyncio.gather(*tasks)
    assert sorted(started) == [0, 1, 2] and quota.size == size_before == 1 and quota.waits == 1


@ASYNC
async def test_answers_in_any_order_never_raise_what_is_left_in_a_window() -> None:
    clock = Clock()
    quota = QueryQuota(clock=clock)
    quota.note({REMAINING: "3", RESETS_AFTER: "00:00:04"})
    quota.note({REMAINING: "7", RESETS_AFTER: "00:00:04"})  # an earlier query's answer, arrived late
    assert quota.left == 3 and quota.size == 8
    clock.now += 5.0
    quota.note({REMAINING: "14", RESETS_AFTER: "00:00:05"})  # a new window
    assert quota.left == 14 and quota.size == 15
    quota.note({REMAINING: "x", RESETS_AFTER: "00:00:05"})  # unreadable: ignored
    quota.note({REMAINING: "2"})
    assert quota.left == 14


def test_durations() -> None:
    assert seconds("00:00:03") == 3.0
    assert seconds("01:02:03.5") == 3723.5
    assert [seconds(s) for s in ("", "3", "00:03", "a:b:c", "-1:00:00")] == [None] * 5
