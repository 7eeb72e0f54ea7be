"""The Activity Log's on-disk cache: a later read appends only what is new, a new process decodes the file to the
same operations, a file changed by another process is decoded again, and aged-out or unreadable files are handled.
In memory a log is columns (what the usage needs); every field of an identity's events is read from the file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.services.activity_cache import CACHE_FORMAT, MAX_SEGMENTS, ActivityCache, CachedLog, forget
from tui.services.usage_records import Operation, OperationSeen

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SUB = "00000000-0000-0000-0000-0000000000aa"


def _op(i: int, *, when: datetime | None = None, pid: str = "p1") -> Operation:
    return Operation(
        id=f"e{i}",
        time=when or T0 + timedelta(minutes=i, microseconds=123457),
        operation="Microsoft.Compute/virtualMachines/restart/action" if i % 2 else "Microsoft.Storage/x/write",
        resource_id=f"/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm{i % 3}",
        status="Succeeded" if i % 5 else "Failed",
        correlation_id=f"c{i}",
        principal_id=pid,
        client_id="app-" + pid,
        caller="app-" + pid,
        subscription_id=SUB,
    )


def _newest_first(ops: list[Operation]) -> list[Operation]:
    return sorted(ops, key=lambda o: o.time, reverse=True)


def _seen(ops: list[Operation]) -> list[OperationSeen]:
    return [OperationSeen(o.time, o.operation, o.resource_id, o.status, o.principal_id) for o in ops]


def _columns(log: CachedLog | None) -> list[OperationSeen]:
    assert log is not None
    return [log.seen(k) for k in range(len(log))]


def _ids(log: CachedLog | None, cache: ActivityCache) -> list[str]:
    """The ids of the events in the file behind ``log``, newest first (every field is in the file, not in memory)."""
    assert log is not None
    found = cache.events("t", SUB, "p1", datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    assert _seen(found) == [s for s in _columns(log) if s.principal_id == "p1"]
    return [o.id for o in found]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_later_read_appends_only_what_is_new_and_a_new_process_reads_the_same(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    first = [_op(i) for i in range(10)]
    through = T0 + timedelta(minutes=10)
    log = cache.update("t", SUB, T0, through, _newest_first(first), None)
    path = cache.path("t", SUB)
    assert path is not None and len(_lines(path)) == 2 and _lines(path)[0]["format"] == CACHE_FORMAT
    assert _columns(log) == _seen(_newest_first(first))
    # the next read overlaps: two it has again and three new
    again = cache.load("t", SUB)
    assert again is log  # unchanged since this process wrote it: nothing decoded
    fresh = _newest_first([_op(i) for i in range(8, 13)])  # (read from a quarter of an hour before the cache's end)
    later = T0 + timedelta(minutes=20)
    log = cache.update("t", SUB, T0, later, fresh, again)
    segments = _lines(path)[1:]
    assert len(segments) == 2 and [e[0] for e in segments[1]["events"]] == ["e12", "e11", "e10"]
    # the appended segment holds the strings its three events use, once each (the file's table is not kept in
    # memory to look them up), and refers to them past the table's end
    used = {s for i in (10, 11, 12) for o in [_op(i)] for s in (o.operation, o.resource_id, o.status, "p1", "app-p1")}
    assert sorted(segments[1]["strings"]) == sorted(used)
    table = len(segments[0]["strings"])
    assert min(i for e in segments[1]["events"] for i in (e[2], e[3], e[4], e[6], e[7], e[8])) == table
    expected = _newest_first([_op(i) for i in range(13)])
    assert _columns(log) == _seen(expected)
    assert set(log.recent) == {f"e{i}" for i in range(4, 13)}  # (what the next read may return again)
    forget()  # as a new process
    decoded = cache.load("t", SUB)
    assert decoded is not None and decoded is not log
    assert _columns(decoded) == _seen(expected)  # times to the microsecond
    assert sorted(decoded.strings) == sorted(log.strings) == sorted(set(log.strings))  # each once (a segment
    # repeats those it uses)
    assert decoded.recent == log.recent
    assert decoded.through == later and decoded.start == T0
    # every field of an identity's events, from the file
    assert cache.events("t", SUB, "P1", T0, later) == expected
    assert cache.events("t", SUB, "p1", T0 + timedelta(minutes=11), later) == expected[:2]
    assert cache.events("t", SUB, "p2", T0, later) == []


def test_a_file_another_process_changed_is_decoded_again(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    cache.update("t", SUB, T0, T0 + timedelta(hours=1), [_op(1)], None)
    assert _ids(cache.load("t", SUB), cache) == ["e1"]  # remembered by this process...
    path = cache.path("t", SUB)
    assert path is not None
    path.write_text(path.read_text().replace('"e1"', '"e91"'))  # ...then the file changes behind its back
    log = cache.load("t", SUB)
    assert log is not None and _ids(log, cache) == ["e91"]


def test_appending_to_a_file_changed_since_writes_it_afresh(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    log = cache.update("t", SUB, T0, T0 + timedelta(hours=1), [_op(1)], None)
    path = cache.path("t", SUB)
    assert path is not None
    path.write_text(path.read_text() + "\n")  # someone else touched it
    log = cache.update("t", SUB, T0, T0 + timedelta(hours=2), [_op(2)], log)
    assert len(_lines(path)) == 2  # one segment: written afresh, not appended to a file it does not know
    assert _ids(log, cache) == ["e2", "e1"]
    forget()
    assert _ids(cache.load("t", SUB), cache) == ["e2", "e1"]


def test_what_ages_out_is_dropped_and_the_file_written_afresh(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    ops = _newest_first([_op(i) for i in range(10)])
    log = cache.update("t", SUB, T0, T0 + timedelta(hours=1), ops, None)
    start = T0 + timedelta(minutes=7)  # e0..e6 are now older than the window kept
    log = cache.update("t", SUB, start, T0 + timedelta(hours=2), [_op(10)], log)
    assert _ids(log, cache) == ["e10", "e9", "e8", "e7"]
    path = cache.path("t", SUB)
    assert path is not None and len(_lines(path)) == 2
    forget()
    assert _ids(cache.load("t", SUB), cache) == ["e10", "e9", "e8", "e7"]


def test_many_segments_are_folded_into_one(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    log = cache.update("t", SUB, T0, T0, [], None)
    for i in range(MAX_SEGMENTS):
        log = cache.update("t", SUB, T0, T0 + timedelta(minutes=i), [_op(i)], log)
    path = cache.path("t", SUB)
    assert path is not None and len(_lines(path)) == 2
    forget()
    assert len(cache.load("t", SUB)) == MAX_SEGMENTS


def test_an_unreadable_or_older_cache_is_read_again(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    path = cache.path("t", SUB)
    assert path is not None
    assert cache.load("t", SUB) is None  # none yet
    path.write_text(json.dumps({"format": "mitui-activity/1", "from": T0.isoformat(), "events": []}))
    assert cache.load("t", SUB) is None
    cache.update("t", SUB, T0, T0 + timedelta(hours=1), [_op(1)], None)
    path.write_text(path.read_text()[:-20])  # cut short
    assert cache.load("t", SUB) is None
    assert ActivityCache(None).load("t", SUB) is None
    assert _columns(ActivityCache(None).update("t", SUB, T0, T0, [_op(1)], None)) == _seen([_op(1)])


def test_a_late_event_takes_its_place_among_the_old_ones(tmp_path: Path) -> None:
    cache = ActivityCache(tmp_path)
    log = cache.update("t", SUB, T0, T0 + timedelta(minutes=10), _newest_first([_op(i) for i in range(10)]), None)
    late = _op(20, when=T0 + timedelta(minutes=5, seconds=30))  # it happened before the newest the cache holds
    log = cache.update("t", SUB, T0, T0 + timedelta(minutes=12), [_op(10), late, _op(9)], log)
    expected = _newest_first([*(_op(i) for i in range(11)), late])
    assert _columns(log) == _seen(expected)
    forget()
    assert _columns(cache.load("t", SUB)) == _seen(expected)
    assert cache.events("t", SUB, "p1", T0, T0 + timedelta(minutes=12)) == expected
