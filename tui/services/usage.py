"""Used or idle, and what it did (issue #19): last sign-in, last control-plane activity and when each right was
last exercised, always with its **coverage**.

Sources: Entra's last sign-in activity (``signInActivity``), the Activity Log of every subscription
(``activityLog``); for one identity's timeline also its sign-in events (``signIns``) and the directory changes it
made (``directoryAudits``). Coverage names each source ``ok`` or ``unavailable: <why>``: a source that was refused,
unlicensed or unreadable makes the answer *unknown*, never *idle*.

The Activity Log is read only when asked for, per subscription in parallel (bounded), every page, and cached on disk
(the user cache dir): a later read asks only for what is newer than the cache. Writes and actions only: Azure records
no reads and no data-plane use.
"""

from __future__ import annotations

import asyncio
import threading
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui.services.activity_cache import OVERLAP, ActivityCache, CachedLog
from tui.services.errors import MituiError
from tui.services.models import Inventory, ManagedIdentity, Privilege, RoleAssignment, RoleDefinition
from tui.services.offload import off_loop
from tui.services.privilege import role_grants
from tui.services.scopes import lowered
from tui.services.usage_records import Operation, OperationSeen

if TYPE_CHECKING:
    from tui.services.backend import Backend
    from tui.services.session import Session

CLAIM_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
OK = "ok"
ACTIVITY_DAYS_KEPT = 90  # the Activity Log keeps 90 days
CONCURRENCY = 4  # subscriptions read at once
HIGH = (Privilege.HIGH, Privilege.CRITICAL)


def iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else None


def why(err: MituiError) -> str:
    """``unavailable: <why>`` for a source that could not be read."""
    code = f" ({err.code})" if err.code else ""
    return f"unavailable: {err.title}{code}"


@dataclass(slots=True)
class Usage:
    """One identity's usage, with the coverage of each source it was computed from."""

    last_sign_in: datetime | None
    last_activity: datetime | None
    coverage: dict[str, str]

    @property
    def known(self) -> bool:
        return all(v == OK for v in self.coverage.values())

    @property
    def last_used(self) -> datetime | None:
        times = [t for t in (self.last_sign_in, self.last_activity) if t is not None]
        return max(times) if times else None

    def to_json(self) -> dict[str, Any]:
        return {
            "lastSignIn": iso(self.last_sign_in),
            "lastActivity": iso(self.last_activity),
            "coverage": dict(self.coverage),
        }


@dataclass(frozen=True)
class Window:
    """The part of one subscription's cached Activity Log that falls in a window: its positions in the columns."""

    log: CachedLog
    positions: range


@dataclass
class UsageReport:
    """The usage of every identity of an inventory over a window (``days`` before ``end``)."""

    days: int
    end: datetime
    coverage: dict[str, str]
    by_principal: dict[str, Usage] = field(default_factory=dict)  # principal id (lower) ->
    # assignment id (lower) -> the last time it was used; absent: not used in the window (or unknown: see coverage)
    right_last_used: dict[str, datetime | None] = field(default_factory=dict)
    # every operation read, as the cached logs' columns (shared with the cache, not copied)
    windows: list[Window] = field(default_factory=list, repr=False)

    @property
    def events(self) -> int:
        return sum(len(w.positions) for w in self.windows)

    def of(self, identity: ManagedIdentity) -> Usage:
        return self.by_principal.get(
            identity.principal_id.lower(), Usage(None, None, {k: v for k, v in self.coverage.items()})
        )

    def operations_of(self, principal_id: str) -> list[OperationSeen]:
        """The operations the principal caused in the window, newest first."""
        pid = principal_id.lower()
        found = []
        for w in self.windows:
            try:
                i = w.log.strings.index(pid)
            except ValueError:
                continue
            principals = w.log.principals
            found += [w.log.seen(k) for k in w.positions if principals[k] == i]
        found.sort(key=lambda o: o.time, reverse=True)
        return found


# --- reading --------------------------------------------------------------------------------------------------
Progress = Callable[[int, int], None]  # (subscriptions done, of how many)


@dataclass
class ActivityRead:
    """What :func:`read_activity` found: each subscription's log in the window, the coverage of the Activity Log
    (``ok``, or ``unavailable: <subscription>: <why>`` naming the first that could not be read) and, when asked for
    one principal, every field of its events (newest first)."""

    windows: list[Window]
    coverage: str
    mine: list[Operation]


async def read_activity(
    backend: Backend,
    tenant_id: str,
    subscription_ids: list[str],
    start: datetime,
    end: datetime,
    cache: ActivityCache | None = None,
    *,
    progress: Progress | None = None,
    concurrency: int = CONCURRENCY,
    principal_id: str | None = None,
) -> ActivityRead:
    """Every operation in the subscriptions between ``start`` and ``end``, read through the cache (only what is
    newer than it), and, for ``principal_id``, its events with every field (from the cache file and the read)."""
    cache = cache or ActivityCache(None)
    sem = asyncio.Semaphore(concurrency)
    failures: list[str] = []
    windows: list[Window] = []
    mine: list[Operation] = []
    done = 0
    keep_from = end - timedelta(days=ACTIVITY_DAYS_KEPT)
    pid = principal_id.lower() if principal_id is not None else None

    async def one(sub: str) -> None:
        nonlocal done
        async with sem:
            cached = await off_loop(cache.load, tenant_id, sub)  # (a file and its JSON: not on the event loop)
            first = max(start, keep_from)
            # only what is newer than the cache, when the cache covers the window's start
            covered = cached if cached is not None and cached.start <= first <= cached.through + OVERLAP else None
            read_from = max(first, covered.through - OVERLAP) if covered is not None else first
            try:
                fresh = await backend.list_activity_log(sub, read_from, end)
            except MituiError as err:
                failures.append(f"subscription {sub}: {why(err).removeprefix('unavailable: ')}")
                return
            finally:
                done += 1
                if progress is not None:
                    progress(done, len(subscription_ids))
            kept_from = max(covered.start, keep_from) if covered is not None else first

            def merge_and_save() -> Window:
                log = cache.update(tenant_id, sub, kept_from, end, fresh, covered)
                if pid is not None:
                    theirs = {o.id: o for o in fresh if o.principal_id == pid and first <= o.time <= end}
                    if covered is not None:  # (and what the cache had before the read)
                        for o in cache.events(tenant_id, sub, pid, first, end):
                            theirs.setdefault(o.id, o)
                    mine.extend(theirs.values())
                return Window(log, log.span(first, end))

            windows.append(await off_loop(merge_and_save))

    await asyncio.gather(*(one(s) for s in subscription_ids))
    mine.sort(key=lambda o: o.time, reverse=True)
    coverage = (
        OK
        if not failures
        else f"unavailable: {sorted(failures)[0]}" + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
    )
    return ActivityRead(windows, coverage, mine)


def _inside(resource_id: str, scope: str) -> bool:
    r, s = resource_id.lower().rstrip("/"), scope.lower().rstrip("/")
    return s in ("", "/") or r == s or r.startswith(s + "/")


def exercised(
    assignment: RoleAssignment, role: RoleDefinition | None, ops: Iterable[OperationSeen]
) -> list[OperationSeen]:
    """The operations (by its principal) inside the assignment's scope that its role allows."""
    if role is None:
        return []
    return [
        o
        for o in ops
        if o.status != "Failed" and _inside(o.resource_id, assignment.scope) and role_grants(role, o.operation)
    ]


def role_of(inventory: Inventory, assignment: RoleAssignment) -> RoleDefinition | None:
    return inventory.role_definitions.get(assignment.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower())


async def usage_of(
    inventory: Inventory,
    backend: Backend,
    *,
    days: int = 90,
    now: datetime | None = None,
    cache: ActivityCache | None = None,
    progress: Progress | None = None,
) -> UsageReport:
    """Every identity's usage over the last ``days`` (sign-in activity and the Activity Log, read concurrently)."""
    end = now or datetime.now(UTC)
    start = end - timedelta(days=days)
    coverage: dict[str, str] = {}

    async def sign_ins() -> dict[str, datetime | None]:
        try:
            found = await backend.list_sign_in_activities()
        except MituiError as err:
            coverage["signInActivity"] = why(err)
            return {}
        coverage["signInActivity"] = OK
        return found

    subs = [s.id for s in inventory.subscriptions]
    last_sign_in, activity = await asyncio.gather(
        sign_ins(), read_activity(backend, inventory.tenant_id, subs, start, end, cache, progress=progress)
    )
    coverage["activityLog"] = activity.coverage
    coverage = {k: coverage[k] for k in ("signInActivity", "activityLog")}
    return await off_loop(_report, inventory, days, end, coverage, activity.windows, last_sign_in)


# What the last report matched, by principal: a hash of (the fingerprint of its operations in the window, the ids
# of its assignments, what their roles allow), and for those with a right used, when each was last used (NaN: not).
# An identity whose operations and rights are unchanged is not matched again (the TUI reads the usage after every
# load: at 40,000 identities matching them all again took ~1 s). Operations only arrive (anywhere: late events) or
# age out at the oldest end, so (how many, the newest, the oldest) tells whether they are the same. A hash, not the
# tuples: kept for every identity, they were ~18 MB at 40,000 identities.
_matched: dict[str, int] = {}
_used: dict[str, array] = {}
_matched_lock = threading.Lock()
_POSITION = (1 << 32) - 1  # an event is known by (its window << 32 | its position in the window's log)
_NEVER = float("nan")


def _grouped(windows: list[Window]) -> tuple[dict[str, int], array, array]:
    """The events of ``windows`` grouped by principal: (principal -> its number, where each number's events start
    in the third (and end: where the next number's start), the events). Arrays (a counting sort), not a list of
    int objects per principal: at 360,000 events those were ~15 MB more at the usage read's peak."""
    number: dict[str, int] = {}
    numbered = []
    for w in windows:
        strings, column = w.log.strings, w.log.principals
        local: dict[int, int] = {}
        numbers = array("I")
        for k in w.positions:
            i = column[k]
            n = local.get(i)
            if n is None:
                n = local[i] = number.setdefault(strings[i], len(number))
            numbers.append(n)
        numbered.append(numbers)
    starts = array("Q", bytes(8 * (len(number) + 1)))
    for numbers in numbered:
        for n in numbers:
            starts[n + 1] += 1
    for n in range(len(number)):
        starts[n + 1] += starts[n]
    free = array("Q", starts[:-1])
    events = array("Q", bytes(8 * starts[-1]))
    for wi, (w, numbers) in enumerate(zip(windows, numbered, strict=True)):
        base = wi << 32
        for k, n in zip(w.positions, numbers, strict=True):
            events[free[n]] = base | k
            free[n] += 1
    return number, starts, events


def _report(
    inventory: Inventory,
    days: int,
    end: datetime,
    coverage: dict[str, str],
    windows: list[Window],
    last_sign_in: dict[str, datetime | None],
) -> UsageReport:
    """The usage of every identity and the last use of every right, matched in the CPU worker thread.

    Each identity's operations are boiled down to its distinct (operation, resource) pairs, newest first (a busy
    identity repeats the same few); each assignment takes the first pair inside its scope that its role allows,
    and whether a role allows an operation is decided once per (role, operation). What was matched for an identity
    whose operations and rights have not changed since the last report is taken from it."""
    global _matched, _used
    report = UsageReport(days=days, end=end, coverage=coverage, windows=windows)
    logs = [w.log for w in windows]
    number, starts, events = _grouped(windows)

    def time_of(event: int) -> float:
        return logs[event >> 32].times[event & _POSITION]

    grants: dict[tuple[str, str], bool] = {}
    with _matched_lock:
        previous, previous_used = _matched, _used
    matched: dict[str, int] = {}
    used: dict[str, array] = {}
    shared = dict(coverage)  # (one for every identity: read, never changed)
    allows: dict[str, tuple] = {}  # role name -> what it allows (one tuple per role)
    for identity in inventory.identities:
        pid = lowered(identity.principal_id)  # (the identity's own string when lowercase: not a copy)
        n = number.get(pid)
        mine = sorted(events[starts[n] : starts[n + 1]], key=time_of, reverse=True) if n is not None else []
        signed_in = last_sign_in.get(identity.client_id.lower())
        if signed_in is not None or mine:  # (else :meth:`UsageReport.of` answers: neither, with the coverage)
            report.by_principal[pid] = Usage(
                last_sign_in=signed_in, last_activity=_when(time_of(mine[0])) if mine else None, coverage=shared
            )
        if not mine:
            continue  # no operation in the window: none of its rights was used (absent from right_last_used)
        rights = [(a, r) for a in inventory.role_assignments.get(pid, []) if (r := role_of(inventory, a)) is not None]
        if not rights:
            continue
        roles = tuple(
            allows.get(r.name) or allows.setdefault(r.name, (r.name, r.actions, r.not_actions)) for _, r in rights
        )
        key = hash(((len(mine), time_of(mine[0]), time_of(mine[-1])), tuple(a.id for a, _ in rights), roles))
        if previous.get(pid) == key:
            whens = previous_used.get(pid)
        else:
            pairs = _pairs(logs, mine)
            whens = array("d", (
                _NEVER if (t := _last_exercised(a.scope, r, pairs, grants) if pairs else None) is None else t
                for a, r in rights
            ))  # fmt: skip
            if all(w != w for w in whens):  # (all NaN: none used)
                whens = None
        matched[pid] = key
        if whens is not None:
            used[pid] = whens
            for (assignment, _), when in zip(rights, whens, strict=True):
                if when == when:  # (not NaN: used in the window)
                    report.right_last_used[assignment.id.lower()] = _when(when)
    with _matched_lock:
        _matched, _used = matched, used
    return report


def _when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _pairs(logs: list[CachedLog], events: list[int]) -> dict[tuple[str, str], float]:
    """The distinct (operation, resource id lowercase) pairs of ``events`` (newest first) that did not fail, each
    with its latest time, newest first."""
    pairs: dict[tuple[str, str], float] = {}
    for event in events:
        log, k = logs[event >> 32], event & _POSITION
        if not log.failed(k):
            s = log.strings
            pairs.setdefault((s[log.operations[k]], s[log.resources[k]].lower().rstrip("/")), log.times[k])
    return pairs


def _last_exercised(
    scope: str,
    role: RoleDefinition,
    pairs: dict[tuple[str, str], float],
    grants: dict[tuple[str, str], bool],
) -> float | None:
    """The time of the newest of ``pairs`` inside ``scope`` that ``role`` allows (``grants`` remembers each
    (role, operation) decided)."""
    s = scope.lower().rstrip("/")
    whole = s in ("", "/")
    prefix = s + "/"
    key = role.name.lower()
    for (operation, resource), when in pairs.items():
        if whole or resource == s or resource.startswith(prefix):
            allowed = grants.get((key, operation))
            if allowed is None:
                allowed = grants[(key, operation)] = role_grants(role, operation) is not None
            if allowed:
                return when
    return None


async def read_usage(session: Session, inventory: Inventory, days: int = ACTIVITY_DAYS_KEPT) -> UsageReport:
    """:func:`usage_of` through a session, with the Activity Log cached in the user cache dir."""
    return await usage_of(inventory, session.backend, days=days, cache=ActivityCache(ActivityCache.default_dir()))


# --- one identity's timeline -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an identity's activity: a sign-in, an Azure operation or an Entra change."""

    time: datetime
    source: str  # "sign-in" | "azure" | "entra"
    operation: str
    target: str
    status: str
    correlation_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "time": iso(self.time),
            "source": self.source,
            "operation": self.operation,
            "target": self.target,
            "status": self.status,
            "correlationId": self.correlation_id,
        }


@dataclass
class Timeline:
    identity: ManagedIdentity
    since: datetime
    entries: list[TimelineEntry]
    coverage: dict[str, str]


async def timeline_of(
    inventory: Inventory,
    backend: Backend,
    identity: ManagedIdentity,
    since: datetime,
    *,
    now: datetime | None = None,
    cache: ActivityCache | None = None,
) -> Timeline:
    """What ``identity`` did since ``since``: sign-ins, Azure operations and Entra changes, newest first."""
    end = now or datetime.now(UTC)
    coverage: dict[str, str] = {}
    pid = identity.principal_id.lower()

    async def guarded(source: str, read: Any) -> list:
        try:
            found = await read
        except MituiError as err:
            coverage[source] = why(err)
            return []
        coverage[source] = OK
        return found

    subs = [s.id for s in inventory.subscriptions]
    sign_ins, activity, changes = await asyncio.gather(
        guarded("signIns", backend.list_sign_ins(identity.principal_id, since)),
        read_activity(backend, inventory.tenant_id, subs, since, end, cache, principal_id=pid),
        guarded("directoryAudits", backend.list_directory_changes(identity.principal_id, since)),
    )
    coverage["activityLog"] = activity.coverage
    entries = [
        TimelineEntry(s.time, "sign-in", f"sign-in ({s.event_type})", s.resource, s.status, "") for s in sign_ins
    ]
    entries += [
        TimelineEntry(o.time, "azure", o.operation, o.resource_id, o.status, o.correlation_id) for o in activity.mine
    ]
    entries += [TimelineEntry(c.time, "entra", c.activity, c.target, c.result, "") for c in changes]
    entries.sort(key=lambda e: e.time, reverse=True)
    order = ("signIns", "activityLog", "directoryAudits")
    return Timeline(identity, since, entries, {k: coverage[k] for k in order})


def filter_timeline(entries: list[TimelineEntry], since: datetime | None, text: str) -> list[TimelineEntry]:
    """The entries at or after ``since`` whose operation or target contains ``text`` (case-insensitive)."""
    low = text.strip().lower()
    return [
        e
        for e in entries
        if (since is None or e.time >= since) and (not low or low in e.operation.lower() or low in e.target.lower())
    ]
