"""The on-disk cache of the Activity Log: each subscription's operations read so far, and up to when.

One file per tenant and subscription, in JSON Lines: a header (format, subscription, from when), then one *segment*
per read: ``{"through": ..., "strings": [...], "events": [...]}``. A later read appends a segment with only the
events it did not have (usually a handful), so saving costs what is new, not the 90 days. Events are compact: their
repeated strings (operation, resource, status, caller ids) are indices into the file's string table, which each
segment extends, and their time is epoch seconds. The file is written afresh when most of it has aged out of the
Activity Log's 90 days, or after many segments.

What a process has read or written is kept in memory with the file's size and modification time: reading the same
file again, unchanged, decodes nothing (the TUI reads the usage after every load). Another process writing the file
changes them, and the file is decoded again. An unreadable file is read again from Azure.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tui.services.usage_records import Operation

CACHE_FORMAT = "mitui-activity/2"
MAX_SEGMENTS = 64  # then the file is written afresh (one segment)
INTERNED = ("operation", "resource_id", "status", "principal_id", "client_id", "caller")


@dataclass
class CachedLog:
    """One subscription's cached operations (newest first), the time they cover from and through, and the state
    of its file (the string table, the events and segments it holds, its size and modification time)."""

    start: datetime
    through: datetime
    ops: list[Operation]
    ids: set[str] = field(default_factory=set)
    table_size: int = 0  # strings in the file's table (a segment appended refers past them to its own)
    segments: int = 0
    stored: int = 0  # events in the file (some may have aged out of ``ops``)
    signature: tuple[int, int] | None = None  # (size, mtime_ns) of the file as last read or written


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
        if log is not None:
            log.signature = signature
            with _memo_lock:
                _memo[path] = log
        return log

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
        dropped, covering ``start`` to ``through``; saved by appending what is new (or writing the file afresh)."""
        base = cached if cached is not None else CachedLog(start, through, [])
        new = [o for o in fresh if o.id not in base.ids]
        kept = base.ops
        if kept and kept[-1].time < start:
            kept = [o for o in kept if o.time >= start]
        ops = kept
        if new:
            ops = sorted(new, key=_time, reverse=True) + kept
            ops.sort(key=_time, reverse=True)  # two sorted runs: linear
        log = CachedLog(start, through, ops, base.ids | {o.id for o in new} if new else base.ids)
        if kept is not base.ops:
            log.ids = {o.id for o in ops}
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
                and len(ops) * 2 >= cached.stored  # less than half of the file aged out
            )
            if appendable and cached is not None:
                log.table_size = cached.table_size
                log.segments, log.stored = cached.segments + 1, cached.stored + len(new)
                with path.open("a", encoding="utf-8") as f:
                    f.write(_segment(log, through, new) + "\n")
            else:
                log.segments, log.stored = 1, len(ops)
                head = {"format": CACHE_FORMAT, "subscription": subscription_id, "from": start.isoformat()}
                header = json.dumps(head)
                tmp = path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
                tmp.write_text(header + "\n" + _segment(log, through, ops) + "\n", encoding="utf-8")
                os.replace(tmp, path)
            log.signature = _signature(path)
        except OSError:
            log.signature = None  # a cache that cannot be written is read again next time
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


def _decode(text: str, subscription_id: str) -> CachedLog | None:
    lines = text.splitlines()
    if not lines:
        return None
    header = json.loads(lines[0])
    if header.get("format") != CACHE_FORMAT:
        return None
    sub = str(header.get("subscription") or subscription_id)
    strings: list[str] = []
    by_id: dict[str, Operation] = {}
    through: datetime | None = None
    segments = stored = 0
    for line in lines[1:]:
        seg = json.loads(line)
        strings.extend(str(s) for s in seg["strings"])
        s = strings
        for e in seg["events"]:
            by_id[e[0]] = Operation(e[0], _when(e[1]), s[e[2]], s[e[3]], s[e[4]], e[5], s[e[6]], s[e[7]], s[e[8]], sub)
        through = datetime.fromisoformat(seg["through"])
        segments += 1
        stored += len(seg["events"])
    if through is None:
        return None
    ops = sorted(by_id.values(), key=_time, reverse=True)
    return CachedLog(
        start=datetime.fromisoformat(header["from"]),
        through=through,
        ops=ops,
        ids=set(by_id),
        table_size=len(strings),
        segments=segments,
        stored=stored,
    )
