"""The on-disk cache of the Activity Log: each subscription's operations read so far, and up to when.

One file per tenant and subscription, in JSON Lines: a header (format, subscription, from when), then one *segment*
per read: ``{"through": ..., "strings": [...], "events": [...]}``. A later read appends a segment with only the
events it did not have (usually a handful), so saving costs what is new, not the 90 days. Events are compact: their
repeated strings (operation, resource, status, caller ids) are indices into the file's string table, which each
segment extends, and their time is epoch seconds. The file is written afresh when most of it has aged out of the
Activity Log's 90 days, or after many segments.

In memory a subscription's log is kept as columns (:class:`CachedLog`): each event's time, operation, resource, status
and caller, ~24 bytes an event, its strings held once. That is all the usage needs; an event's own ids (and who
called, by app id) stay in the file, read from it for one identity's timeline (:meth:`ActivityCache.events`). Kept
as objects, 90 days of a 40,000-identity tenant (360,000 events) took ~200 MB of the TUI's memory; as columns ~10 MB.

What a process has read or written is kept in memory with the file's size and modification time: reading the same
file again, unchanged, decodes nothing (the TUI reads the usage after every load). Another process writing the file
changes them, and the file is decoded again. An unreadable file is read again from Azure.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import sys
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.services.usage_records import Operation, OperationSeen

CACHE_FORMAT = "mitui-activity/2"
MAX_SEGMENTS = 64  # then the file is written afresh (one segment)
OVERLAP = timedelta(minutes=15)  # a later read asks again for this much before the cache's end: events arrive late
RECENT = OVERLAP + timedelta(minutes=1)  # (and from the whole second before: the filter is in whole seconds)
FAILED = "Failed"


def _neg(t: float) -> float:
    return -t


@dataclass
class CachedLog:
    """One subscription's cached operations as columns, newest first; the time they cover from and through; the ids
    of the events a later read returns again (those within :data:`RECENT` of ``through``); and the state of its
    file (the strings in its table, its segments and events, its size and modification time)."""

    start: datetime
    through: datetime
    strings: list[str] = field(default_factory=list)  # each distinct string once (interned: shared across logs)
    times: array = field(default_factory=lambda: array("d"))  # epoch seconds, newest first
    operations: array = field(default_factory=lambda: array("I"))  # indices into ``strings``
    resources: array = field(default_factory=lambda: array("I"))
    statuses: array = field(default_factory=lambda: array("I"))
    principals: array = field(default_factory=lambda: array("I"))  # the caller's object id (lower)
    recent: dict[str, float] = field(default_factory=dict)  # id -> time of the events a later read returns again
    table_size: int = 0  # strings in the file's table (a segment appended refers past them to its own)
    segments: int = 0
    stored: int = 0  # events in the file (some may have aged out of the columns)
    signature: tuple[int, int] | None = None  # (size, mtime_ns) of the file as last read or written

    def __len__(self) -> int:
        return len(self.times)

    def span(self, first: datetime, last: datetime) -> range:
        """The positions of the events from ``first`` to ``last`` (both included)."""
        lo = bisect.bisect_left(self.times, -last.timestamp(), key=_neg)
        hi = bisect.bisect_right(self.times, -first.timestamp(), key=_neg)
        return range(lo, max(lo, hi))

    def seen(self, k: int) -> OperationSeen:
        s = self.strings
        return OperationSeen(
            datetime.fromtimestamp(self.times[k], UTC),
            s[self.operations[k]],
            s[self.resources[k]],
            s[self.statuses[k]],
            s[self.principals[k]],
        )

    def failed(self, k: int) -> bool:
        return self.strings[self.statuses[k]] == FAILED


COLUMNS = ("times", "operations", "resources", "statuses", "principals")


def _columns(start: datetime, through: datetime, events: Iterable[Operation]) -> CachedLog:
    """``events`` as a log's columns, newest first (each event once: the first of an id)."""
    return _merged(CachedLog(start, through), start, through, list({o.id: o for o in reversed(list(events))}.values()))


def _merged(base: CachedLog, start: datetime, through: datetime, new: list[Operation]) -> CachedLog:
    """``base`` without what is older than ``start``, with the ``new`` events (not in it), covering ``start`` to
    ``through``. When the new events are all newer than ``base``'s (the usual case: a read every few minutes brings
    a handful), ``base``'s columns are copied after them, not sorted again."""
    kept = base.span(start, datetime.max.replace(tzinfo=UTC))
    log = CachedLog(start, through, list(base.strings))
    index = {s: i for i, s in enumerate(log.strings)} if new else {}

    def ref(text: str) -> int:
        i = index.get(text)
        if i is None:
            i = index[text] = len(log.strings)
            log.strings.append(sys.intern(text))
        return i

    rows = sorted(
        ((o.time.timestamp(), ref(o.operation), ref(o.resource_id), ref(o.status), ref(o.principal_id)) for o in new),
        reverse=True,
    )
    if not rows and len(kept) == len(base):  # nothing new, nothing aged out: the same columns (never changed)
        for name in COLUMNS:
            setattr(log, name, getattr(base, name))
    else:
        old = [getattr(base, name)[kept.start : kept.stop] for name in COLUMNS]
        if rows and len(kept) and rows[-1][0] < base.times[kept.start]:  # a late event among the old ones
            rows = sorted([*rows, *zip(*old, strict=True)], reverse=True)
            old = [[] for _ in COLUMNS]
        for j, name in enumerate(COLUMNS):
            column = array("d" if j == 0 else "I", (r[j] for r in rows))
            column.extend(old[j])
            setattr(log, name, column)
    edge = (through - RECENT).timestamp()
    log.recent = {i: t for i, t in base.recent.items() if t >= edge}
    log.recent.update((o.id, t) for o in new if (t := o.time.timestamp()) >= edge)
    return log


_memo: dict[Path, CachedLog] = {}  # by file: what this process last read or wrote there
_memo_lock = threading.Lock()


def forget() -> None:
    """Drop what this process remembers of the files: the next load decodes them (as a new process would)."""
    with _memo_lock:
        _memo.clear()


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class ActivityCache:
    """Each subscription's operations read so far, and up to when (a file per tenant and subscription)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @staticmethod
    def default_dir() -> Path:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("mitui")) / "activity"

    def path(self, tenant_id: str, subscription_id: str) -> Path | None:
        if self.directory is None:
            return None
        safe = "".join(c for c in f"{tenant_id}-{subscription_id}".lower() if c.isalnum() or c == "-")
        return self.directory / f"{safe}.jsonl"

    # --- reading ----------------------------------------------------------------------------------------------
    def load(self, tenant_id: str, subscription_id: str) -> CachedLog | None:
        """What was read before for the subscription, or None (no cache, or an unreadable one)."""
        path = self.path(tenant_id, subscription_id)
        if path is None:
            return None
        signature = _signature(path)
        if signature is None:
            return None
        with _memo_lock:
            known = _memo.get(path)
        if known is not None and known.signature == signature:
            return known  # unchanged since this process read or wrote it: nothing to decode
        try:
            log = _decode(path.read_text(encoding="utf-8"), subscription_id)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # read again from Azure
        if log is None:
            return None
        log.signature = signature
        with _memo_lock:
            _memo[path] = log
        return log

    def events(
        self, tenant_id: str, subscription_id: str, principal_id: str, first: datetime, last: datetime
    ) -> list[Operation]:
        """Every field of the events ``principal_id`` caused from ``first`` to ``last``, newest first, as the file
        holds them (none when there is no readable file)."""
        path = self.path(tenant_id, subscription_id)
        if path is None:
            return []
        try:
            file = _read(path.read_text(encoding="utf-8"), subscription_id)
            if file is None:
                return []
            pid = principal_id.lower()
            low, high = first.timestamp(), last.timestamp()
            found = [file.operation(e) for e in file.rows.values() if file.strings[e[6]] == pid and low <= e[1] <= high]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return []
        return sorted(found, key=_time, reverse=True)

    # --- writing ----------------------------------------------------------------------------------------------
    def update(
        self,
        tenant_id: str,
        subscription_id: str,
        start: datetime,
        through: datetime,
        fresh: list[Operation],
        cached: CachedLog | None,
    ) -> CachedLog:
        """``cached`` (None: start afresh) extended with the ``fresh`` events it lacks, those before ``start``
        dropped, covering ``start`` to ``through``; saved by appending what is new (or writing the file afresh).

        ``fresh`` was read from no earlier than ``cached.through`` less :data:`OVERLAP`: an event of it that
        ``cached`` holds is one of its recent ones."""
        new = [o for o in fresh if o.id not in cached.recent] if cached is not None else list(fresh)
        log = _merged(cached, start, through, new) if cached is not None else _columns(start, through, new)
        path = self.path(tenant_id, subscription_id)
        if path is None:
            return log
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            appendable = (
                cached is not None
                and cached.signature is not None
                and cached.signature == _signature(path)
                and cached.segments < MAX_SEGMENTS
                and len(log) * 2 >= cached.stored  # less than half of the file aged out
            )
            if appendable and cached is not None:
                log.table_size = cached.table_size
                log.segments, log.stored = cached.segments + 1, cached.stored + len(new)
                with path.open("a", encoding="utf-8") as f:
                    f.write(_segment(log, through, new) + "\n")
            else:
                events = new
                if cached is not None:  # the file's events still in the window, with the new ones
                    file = _read(path.read_text(encoding="utf-8"), subscription_id)
                    if file is None:
                        raise ValueError("not a cache file")
                    low = start.timestamp()
                    events = [*new, *(file.operation(e) for e in file.rows.values() if e[1] >= low)]
                    log = _columns(start, through, events)  # (what is written, as a new process will read it)
                log.segments, log.stored = 1, len(log)
                head = {"format": CACHE_FORMAT, "subscription": subscription_id, "from": start.isoformat()}
                header = json.dumps(head)
                tmp = path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
                written = sorted({o.id: o for o in reversed(events)}.values(), key=_time, reverse=True)
                tmp.write_text(header + "\n" + _segment(log, through, written) + "\n", encoding="utf-8")
                os.replace(tmp, path)
            log.signature = _signature(path)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            log.signature = None  # a cache that cannot be written (or read back) is read again next time
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        with _memo_lock:
            if log.signature is None:
                _memo.pop(path, None)
            else:
                _memo[path] = log
        return log


def _time(o: Operation) -> datetime:
    return o.time


def _segment(log: CachedLog, through: datetime, ops: list[Operation]) -> str:
    """One line: ``ops`` compact, with the strings they use added to the file's table (``log.table_size`` grows).

    A segment appended adds the strings its events use even when the table has them already: the table is not
    kept in memory to look them up (at 360,000 events it was ~40 MB, for segments of a handful of events)."""
    first = log.table_size
    index: dict[str, int] = {}
    strings: list[str] = []

    def ref(text: str) -> int:
        i = index.get(text)
        if i is None:
            i = index[text] = first + len(strings)
            strings.append(text)
        return i

    events = [
        [o.id, round(o.time.timestamp(), 6), ref(o.operation), ref(o.resource_id), ref(o.status), o.correlation_id,
         ref(o.principal_id), ref(o.client_id), ref(o.caller)]
        for o in ops
    ]  # fmt: skip
    log.table_size = first + len(strings)
    return json.dumps({"through": through.isoformat(), "strings": strings, "events": events})


@dataclass
class _File:
    """A cache file as read: its header's start and subscription, its string table, each event once (by id, the
    first), through when and its segments."""

    start: datetime
    subscription_id: str
    strings: list[str]
    rows: dict[str, list]
    through: datetime
    segments: int
    stored: int

    def operation(self, e: list) -> Operation:
        s = self.strings
        return Operation(e[0], _when(float(e[1])), s[e[2]], s[e[3]], s[e[4]], e[5], s[e[6]], s[e[7]], s[e[8]],
                         self.subscription_id)  # fmt: skip


def _read(text: str, subscription_id: str) -> _File | None:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    header = json.loads(lines[0])
    if header.get("format") != CACHE_FORMAT:
        return None
    strings: list[str] = []
    rows: dict[str, list] = {}
    through: datetime | None = None
    stored = 0
    for line in lines[1:]:
        seg = json.loads(line)
        strings.extend(str(s) for s in seg["strings"])
        for e in seg["events"]:
            rows.setdefault(e[0], e)
        through = datetime.fromisoformat(seg["through"])
        stored += len(seg["events"])
    if through is None:
        return None
    sub = str(header.get("subscription") or subscription_id)
    return _File(datetime.fromisoformat(header["from"]), sub, strings, rows, through, len(lines) - 1, stored)


def _decode(text: str, subscription_id: str) -> CachedLog | None:
    """The file's log as columns (its table's strings each once: a segment repeats those it uses)."""
    file = _read(text, subscription_id)
    if file is None:
        return None
    s = file.strings
    log = CachedLog(file.start, file.through, table_size=len(s), segments=file.segments, stored=file.stored)
    index: dict[str, int] = {}

    def ref(i: int) -> int:
        text = s[i]
        j = index.get(text)
        if j is None:
            j = index[text] = len(log.strings)
            log.strings.append(sys.intern(text))
        return j

    edge = (file.through - RECENT).timestamp()
    for e in sorted(file.rows.values(), key=lambda e: e[1], reverse=True):
        ts = float(e[1])
        log.times.append(ts)
        log.operations.append(ref(e[2]))
        log.resources.append(ref(e[3]))
        log.statuses.append(ref(e[4]))
        log.principals.append(ref(e[6]))
        if ts >= edge:
            log.recent[e[0]] = ts
    return log
