"""Azure Resource Graph: ``POST /providers/Microsoft.ResourceGraph/resources`` (resourcegraph.json, 2021-03-01 to
2024-04-01), for the queries mitui sends (tui/emulator/arm/kql.py says which).

The request (``QueryRequest``) names the subscriptions (or management groups; neither: every subscription the
caller can see, and what lies above them), the KQL and ``options`` (``$top`` 1-1000, default 100; ``$skip``;
``$skipToken``; ``resultFormat`` ``objectArray`` or ``table``). The answer (``QueryResponse``): ``totalRecords``,
``count``, ``resultTruncated``, ``$skipToken`` while rows remain, ``data`` and ``facets``. Rows are what the caller
may read, as ARM's listings decide it. ``type`` is lower-case, as Resource Graph stores it.

The skip token is opaque to the client; here it names the snapshot of the rows the first page matched (kept a few
minutes: each later page costs its own rows, not the query again over every subscription), and where the next page
starts in the tenant's order and the total counted for the first page (for a token older than the snapshots kept).
"""

from __future__ import annotations

import asyncio
import base64
import json
import operator
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.call import ArmCall
from tui.emulator.arm.kql import KqlError, Path, Query, parse
from tui.emulator.arm.resources import readable_below, resources_under
from tui.emulator.arm.shapes import (
    ROLE_ASSIGNMENT_FIELDS,
    identity_json,
    resource_key,
    role_assignment_json,
    role_assignment_properties_text,
)
from tui.emulator.tenant import Resource, RoleAssignment, Subscription, Tenant, arm_key, subscription_of
from tui.emulator.text_cache import TextCache
from tui.emulator.wire import ApiError, dumps, encode_str, json_response, new_request_id

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi

API_VERSIONS = ("2019-04-01", "2020-04-01-preview", "2021-03-01", "2021-06-01-preview", "2022-10-01", "2024-04-01")
DEFAULT_TOP = 100
MAX_TOP = 1000
COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
)
TABLE_COLUMNS = {
    t: frozenset(c.lower() for c in COLUMNS) for t in ("resources", "authorizationresources", "resourcecontainers")
}
_CANONICAL = {c.lower(): c for c in COLUMNS}


class QueryError(ApiError):
    """Resource Graph's 400 for a query it cannot run: ``BadRequest`` with the details ``InvalidQuery`` and what
    failed (``ParserFailure`` with its position)."""

    def __init__(self, details: list[dict[str, Any]]) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        message = (
            f"Please provide below info when asking for support: timestamp = {stamp}.0000000Z, "
            f"correlationId = {new_request_id()}."
        )
        super().__init__(400, "BadRequest", message)
        self.details = details


def _invalid(message: str, extra: dict[str, Any] | None = None) -> QueryError:
    first = {
        "code": "InvalidQuery",
        "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and "
        "fix the error before retrying.",
    }
    return QueryError([first, {"code": "ParserFailure", "message": message, **(extra or {})}])


class _Row(Mapping[str, Any]):
    """A row of a table, its columns computed when asked for (a ``where`` reads one or two of sixteen)."""

    __slots__ = ("_columns", "_item", "_values")

    def __init__(self, item: Any, columns: dict[str, Any]) -> None:
        self._item = item
        self._columns = columns
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        values = self._values
        if key in values:
            return values[key]
        make = self._columns.get(key) or self._columns.get(key.lower())  # (a query's columns are mostly lower-case)
        if make is None:
            raise KeyError(key)
        values[key] = value = make(self._item)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(COLUMNS)

    def __len__(self) -> int:
        return len(COLUMNS)


def _resource_columns(t: Tenant) -> dict[str, Any]:
    def rg(res: Resource) -> str:
        return res.resource_group.lower()

    return {
        "id": lambda r: r.id,
        "name": lambda r: r.name,
        "type": lambda r: r.type.lower(),
        "tenantid": lambda r: t.tenant_id,
        "kind": lambda r: r.kind or "",
        "location": lambda r: r.location,
        "resourcegroup": rg,
        "subscriptionid": lambda r: r.subscription_id,
        "managedby": lambda r: "",
        "sku": lambda r: dict(r.sku) if r.sku else None,
        "plan": lambda r: None,
        "properties": lambda r: dict(r.properties),
        "tags": lambda r: dict(r.tags) if r.tags else None,
        "identity": lambda r: identity_json(r, t),
        "zones": lambda r: None,
        "extendedlocation": lambda r: None,
    }


def _assignment_columns(t: Tenant) -> dict[str, Any]:
    def group(ra: RoleAssignment) -> str:
        parts = [p for p in ra.scope.split("/") if p]
        return parts[3].lower() if len(parts) > 3 and parts[2].lower() == "resourcegroups" else ""

    return {
        "id": lambda ra: ra.id,
        "name": lambda ra: ra.name,
        "type": lambda ra: "microsoft.authorization/roleassignments",
        "tenantid": lambda ra: t.tenant_id,
        "kind": lambda ra: "",
        "location": lambda ra: "",
        "resourcegroup": group,
        "subscriptionid": lambda ra: subscription_of(ra.scope) or "",
        "managedby": lambda ra: "",
        "sku": lambda ra: None,
        "plan": lambda ra: None,
        "properties": lambda ra: role_assignment_json(ra)["properties"],
        "tags": lambda ra: None,
        "identity": lambda ra: None,
        "zones": lambda ra: None,
        "extendedlocation": lambda ra: None,
    }


def _container_columns(t: Tenant) -> dict[str, Any]:
    """``resourcecontainers``: the subscriptions, each with its management groups (nearest first, the tenant root
    group last) in ``properties.managementGroupAncestorsChain``, as Resource Graph gives them."""

    def properties(sub: Subscription) -> dict[str, Any]:
        mg = t.management_group_of_scope(arm_key(f"/subscriptions/{sub.subscription_id}"))
        chain = [{"name": g.name, "displayName": g.display_name} for g in t.management_group_chain(mg)]
        return {"state": sub.state, "managementGroupAncestorsChain": chain}

    return {
        "id": lambda s: f"/subscriptions/{s.subscription_id}",
        "name": lambda s: s.subscription_id,
        "type": lambda s: "microsoft.resources/subscriptions",
        "tenantid": lambda s: t.tenant_id,
        "kind": lambda s: "",
        "location": lambda s: "",
        "resourcegroup": lambda s: "",
        "subscriptionid": lambda s: s.subscription_id,
        "managedby": lambda s: "",
        "sku": lambda s: None,
        "plan": lambda s: None,
        "properties": properties,
        "tags": lambda s: dict(s.tags) if s.tags else None,
        "identity": lambda s: None,
        "zones": lambda s: None,
        "extendedlocation": lambda s: None,
    }


_TABLES: dict[str, Callable[[Tenant], dict[str, Any]]] = {
    "resources": _resource_columns,
    "authorizationresources": _assignment_columns,
    "resourcecontainers": _container_columns,
}


def _strings(body: dict, key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ApiError(400, "InvalidRequestContent", f"The request content was invalid: '{key}' is not a list.")
    return [v.strip() for v in value]


def _top_and_skip(options: dict) -> tuple[int, int]:
    top, skip = options.get("$top", DEFAULT_TOP), options.get("$skip", 0)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
        raise ApiError(400, "BadRequest", f"The $top value '{top}' is invalid: it must be between 1 and {MAX_TOP}.")
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise ApiError(400, "BadRequest", f"The $skip value '{skip}' is invalid: it must be 0 or more.")
    return top, skip


def _token(position: int, done: int, total: int, query: str, snapshot: str = "") -> str:
    raw = json.dumps({"p": position, "d": done, "n": total, "q": zlib.crc32(query.encode()), "s": snapshot}).encode()
    return base64.b64encode(raw).decode()


def _snapshot_id(token: object) -> str:
    try:
        return str(json.loads(base64.b64decode(str(token), validate=True)).get("s") or "")
    except (ValueError, TypeError, AttributeError):
        return ""


@dataclass
class Snapshot:
    id: str
    tenant: object  # (several sandboxes may share a process: a snapshot answers only its own tenant)
    caller: str
    query: str
    items: list[Any]
    matching: list[int]  # the positions in ``items`` of the rows the query matched
    made: float


class Snapshots:
    """The rows a first page matched, kept for the pages after it (a few minutes, a few dozen queries): each page
    then costs its own rows, not the query again over every subscription of the request."""

    KEEP = 64
    KEEP_S = 300.0

    def __init__(self) -> None:
        self._kept: dict[str, Snapshot] = {}

    def put(self, tenant: object, caller: str, query: str, items: list[Any], matching: list[int]) -> Snapshot:
        now = time.monotonic()
        for key in [k for k, s in self._kept.items() if now - s.made > self.KEEP_S]:
            del self._kept[key]
        while len(self._kept) >= self.KEEP:
            del self._kept[next(iter(self._kept))]
        snap = Snapshot(uuid.uuid4().hex, tenant, caller, query, items, matching, now)
        self._kept[snap.id] = snap
        return snap

    def get(self, sid: str, tenant: object, caller: str, query: str) -> Snapshot | None:
        snap = self._kept.get(sid) if sid else None
        if snap is None or snap.tenant is not tenant or snap.caller != caller or snap.query != query:
            return None
        return snap


_SNAPSHOTS = Snapshots()


def _untoken(token: object, query: str) -> tuple[int, int, int]:
    """(where the next page starts in the items, rows answered before it, the total)."""
    try:
        data = json.loads(base64.b64decode(str(token), validate=True))
        position, done, total, q = int(data["p"]), int(data["d"]), int(data["n"]), int(data["q"])
    except (ValueError, KeyError, TypeError) as e:
        raise ApiError(400, "BadRequest", "The $skipToken is invalid.") from e
    if q != zlib.crc32(query.encode()) or position < 0:
        raise ApiError(400, "BadRequest", "The $skipToken does not belong to this query.")
    return position, done, total


def _items(api: ArmApi, call: ArmCall, q: Query, subs: list[str], groups: list[str]) -> list[Any]:
    """What the query's table holds in the request's scope that the caller may read, in the tenant's order."""
    assert call.caller is not None
    t = api.tenant
    if not subs and not groups:
        subs = [
            s.subscription_id
            for s in t.subscriptions.values()
            if rbac.has_any_right_in(t, call.caller.id, f"/subscriptions/{s.subscription_id}")
        ]
        above = True
    else:
        above = False
        for g in groups:
            mg = api.management_group(g)
            subs += [
                s.subscription_id
                for s in t.subscriptions.values()
                if rbac.is_within(t, arm_key(f"/subscriptions/{s.subscription_id}"), arm_key(mg.id))
                and rbac.has_any_right_in(t, call.caller.id, f"/subscriptions/{s.subscription_id}")
            ]
    scopes = [f"/subscriptions/{api.subscription(s).subscription_id}" for s in dict.fromkeys(s.lower() for s in subs)]
    out: list[Any] = []
    if q.table == "resourcecontainers":
        return [api.subscription(scope.split("/")[2]) for scope in scopes]
    narrow = q.subscriptions  # (the query keeps only rows of these: the others are not read)
    read = [scope for scope in scopes if narrow is None or scope.split("/")[2].lower() in narrow]
    if q.table == "resources":
        for scope in read:
            if not rbac.has_any_right_in(t, call.caller.id, scope):
                continue
            readable = readable_below(api, call, scope, lambda r: f"{r.type}/read")
            out += [r for r in resources_under(t, arm_key(scope) + "/") if readable(r)]
        return out
    idx = rbac.index_of(t)
    action = "Microsoft.Authorization/roleAssignments/read"
    readable = {scope: api.can(call, action, scope) for scope in scopes}
    if (above or groups) and (narrow is None or "" in narrow):
        # above the subscriptions: what the caller may read there, and what applies to a subscription whose
        # assignments it may read (ARM lists those at the subscription too)
        reach = {a for scope, ok_ in readable.items() if ok_ for a in rbac.ancestors_in(t, arm_key(scope))}
        group_keys = [arm_key(api.management_group(g).id) for g in groups]
        out += [
            ra
            for key, ra in idx.by_subscription.get("", [])
            if (above or any(key == gk or rbac.is_within(t, key, gk) for gk in group_keys))
            and (key in reach or api.can(call, action, ra.scope))
        ]
    for scope in read:
        whole = readable[scope]
        pool = idx.by_subscription.get(scope.split("/")[2].lower(), [])
        out += [ra for _key, ra in pool if whole or api.can(call, action, ra.scope)]
    return out


# The columns whose JSON text the sandbox keeps per item, by table (the columns mitui projects): a page of a thousand
# rows is then joined from texts encoded once while the item stays the same (see text_cache.py), instead of rows
# built and encoded per query. Building rows was three quarters of the sandbox's CPU at 200 subscriptions, on the
# admin's cores; Resource Graph's CPU is Azure's own, on its machines.
KEPT_COLUMNS = {
    "authorizationresources": ("id", "name", "type", "properties"),
    "resources": ("id", "name", "type", "location", "tags", "identity"),
}
_ASSIGNMENT_TYPE_TEXT = encode_str("microsoft.authorization/roleassignments")


Kept = tuple[str, tuple[str, ...]]  # an item's row of its table's kept columns (their order), the columns' texts


def kept_rows(tenant: Callable[[], Tenant]) -> dict[str, TextCache[Any, Kept]]:
    """Per table of :data:`KEPT_COLUMNS`: an item's row of those columns (the text of the query that projects them,
    in that order), and each column's text, kept while the item stays the same; ``tenant`` gives the tenant served
    (what a resource's text is made of, and its size)."""

    def row(parts: tuple[str, ...], columns: tuple[str, ...]) -> Kept:
        return "{" + ",".join(encode_str(c) + ":" + part for c, part in zip(columns, parts, strict=True)) + "}", parts

    def assignment(ra: RoleAssignment) -> Kept:
        parts = encode_str(ra.id), encode_str(ra.name), _ASSIGNMENT_TYPE_TEXT, role_assignment_properties_text(ra)
        return row(parts, KEPT_COLUMNS["authorizationresources"])

    def resource(r: Resource) -> Kept:
        identity = dumps(identity_json(r, tenant()))
        tags = dumps(r.tags) if r.tags else "null"
        parts = encode_str(r.id), encode_str(r.name), encode_str(r.type.lower()), encode_str(r.location), tags, identity
        return row(parts, KEPT_COLUMNS["resources"])

    return {
        "authorizationresources": TextCache(
            assignment, ROLE_ASSIGNMENT_FIELDS, lambda: len(tenant().role_assignments), lambda: RoleAssignment.last_edit
        ),
        "resources": TextCache(resource, lambda r: resource_key(r, tenant()), lambda: len(tenant().resources)),
    }


def _row_text(q: Query, kept: TextCache[Any, Kept] | None) -> Callable[[Any], Any] | None:
    """A row's JSON text (a ``msgspec.Raw`` that the answer's encoding takes as is): the row ``kept`` per item for a
    query that projects the kept columns as they are, in their order; else joined from the kept columns' texts,
    for a query that projects only kept columns (None for any other: its rows are made as dicts)."""
    if kept is None or q.extends or q.project is None:
        return None
    columns = KEPT_COLUMNS[q.table]
    where: list[int] = []
    for _, get in q.project:
        if not isinstance(get, Path) or get.steps or get.column.lower() not in columns:
            return None
        where.append(columns.index(get.column.lower()))
    text = kept.text
    if [name for name, _ in q.project] == list(columns):
        return lambda item: msgspec.Raw(text(item)[0])
    form = "{" + ",".join(encode_str(name).replace("%", "%%") + ":%s" for name, _ in q.project) + "}"
    pick = operator.itemgetter(*where) if len(where) > 1 else (lambda parts: (parts[where[0]],))
    return lambda item: msgspec.Raw(form % pick(text(item)[1]))


MATCHED_AT_ONCE = 2000
OUTPUT_AT_ONCE = 250  # rows of a page made in one slice


async def _matching(q: Query, items: list[Any], row_of: Callable[[Any], _Row]) -> list[int]:
    """The positions of the items the query keeps, tested ``MATCHED_AT_ONCE`` at a time with the other requests
    answered in between: Resource Graph runs on machines of its own, and one query over the 150,000 assignments
    of 200 subscriptions held every other answer of the sandbox (Graph's pages of identities above all) for 0.1 s.
    A page's rows are made so too (``OUTPUT_AT_ONCE``), and one query works at a time (``ArmApi.graph_evaluating``):
    sixteen pages of a thousand rows, made one after another, held a page of identities for ~50 ms more."""
    matches = q.matches
    out: list[int] = []
    for start in range(0, len(items), MATCHED_AT_ONCE):
        if start:
            await asyncio.sleep(0)
        out += [i for i in range(start, min(start + MATCHED_AT_ONCE, len(items))) if matches(row_of(items[i]))]
    return out


async def query_resources(api: ArmApi, call: ArmCall) -> web.Response:
    version = call.query.get("api-version", "")
    if version not in API_VERSIONS:
        raise ApiError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{','.join(API_VERSIONS)}'.",
        )
    # every query counts against the caller's quota, every page too (a refused one does not: Throttled)
    quota = api.query_quota.take(call.caller.id if call.caller is not None else str(call.claims.get("oid", "")))
    try:
        answer = await _query(api, call)
    except ApiError as err:
        err.headers = {**quota, **err.headers}
        raise
    answer.headers.update(quota)
    return answer


async def _query(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "BadRequest", "The query is missing or empty.")
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise ApiError(400, "InvalidRequestContent", "The request content was invalid: 'options' is not an object.")
    fmt = options.get("resultFormat", "objectArray")
    if fmt not in ("objectArray", "table"):
        raise ApiError(400, "BadRequest", f"The resultFormat '{fmt}' is invalid: objectArray or table.")
    top, skip = _top_and_skip(options)
    subs, groups = _strings(body, "subscriptions"), _strings(body, "managementGroups")
    try:
        q = parse(text, TABLE_COLUMNS)
    except KqlError as e:
        raise _invalid(str(e), {"line": 1, "characterPositionInLine": e.position, "token": e.token}) from e
    token = options.get("$skipToken")
    # one query's work at a time, a slice at a time (see _matching): an answer of another API waits for a slice
    async with api.graph_evaluating:
        return await _answer(api, call, q, text, fmt, subs, groups, top, skip, token)


async def _answer(
    api: ArmApi,
    call: ArmCall,
    q: Query,
    text: str,
    fmt: str,
    subs: list[str],
    groups: list[str],
    top: int,
    skip: int,
    token: Any,
) -> web.Response:
    t = api.tenant
    columns = _TABLES[q.table](t)
    names = [_CANONICAL.get(c, c) for c in COLUMNS]
    with t.lock:
        position, done, total = _untoken(token, text) if token else (0, 0, 0)
        snap = _SNAPSHOTS.get(_snapshot_id(token), t, call.caller.id if call.caller else "", text) if token else None
        if snap is None:
            items = _items(api, call, q, subs, groups)
            if not token:
                matching = await _matching(q, items, lambda item: _Row(item, columns))
                total, done = len(matching), min(skip, len(matching))
                snap = _SNAPSHOTS.put(t, call.caller.id if call.caller else "", text, items, matching)
                position = matching[skip] if skip < len(matching) else len(items)
        if snap is not None:  # the rows the first page counted, as they were then (a snapshot, as the service keeps)
            items, chosen = snap.items, snap.matching[done : done + top]
            as_text = _row_text(q, api.graph_rows.get(q.table)) if fmt == "objectArray" else None
            make = as_text if as_text is not None else (lambda item: q.output(_Row(item, columns), names))
            rows = []
            for start in range(0, len(chosen), OUTPUT_AT_ONCE):
                if start:
                    await asyncio.sleep(0)
                rows += [make(items[i]) for i in chosen[start : start + OUTPUT_AT_ONCE]]
            position = chosen[-1] + 1 if chosen else len(items)
        else:  # (a token older than the snapshots kept: the query again, from where the token says)
            rows = []
            while position < len(items) and len(rows) < top:
                found = _Row(items[position], columns)
                position += 1
                if q.matches(found):
                    rows.append(q.output(found, names))
        done += len(rows)
    answer: dict[str, Any] = {"totalRecords": total, "count": len(rows), "resultTruncated": "false"}
    if rows and done < total and position < len(items):
        answer["$skipToken"] = _token(position, done, total, text, snap.id if snap is not None else "")
    answer["data"] = _table(rows, q, names) if fmt == "table" else rows
    answer["facets"] = []
    return json_response(answer)


def _table(rows: list[dict[str, Any]], q: Query, names: list[str]) -> dict[str, Any]:
    cols = [n for n, _ in q.project] if q.project is not None else names
    return {
        "columns": [{"name": c, "type": _kind([r.get(c) for r in rows])} for c in cols],
        "rows": [[r.get(c) for c in cols] for r in rows],
    }


def _kind(values: list[Any]) -> str:
    for v in values:
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int):
            return "integer"
        if isinstance(v, float):
            return "number"
        if isinstance(v, dict | list):
            return "object"
        if isinstance(v, str):
            return "string"
    return "string"
