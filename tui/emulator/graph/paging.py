"""Graph collections: ``$select``, ``@odata.context``, paging with ``$top`` / ``$skiptoken`` and ``$count``."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from tui.emulator.graph import query as q
from tui.emulator.graph.call import V1, GraphCall, GraphResult
from tui.emulator.wire import ApiError, JsonText, dumps

T = TypeVar("T")

DEFAULT_PAGE = 100
MAX_PAGE = 999


def select_fields(item: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if select is None:
        return item
    return {k: item[k] for k in select if k in item}


def context_url(call: GraphCall, suffix: str) -> str:
    return f"{call.ctx.graph_url}{V1}/$metadata#{suffix}"


# --- collections and paging ---------------------------------------------------------------------------------------
_KNOWN_OPTIONS = {"$filter", "$select", "$top", "$count", "$search", "$orderby", "$skiptoken", "$expand", "$format"}


def page(
    call: GraphCall,
    items: list[Any],
    render: Callable[[Any], dict],
    context: str,
    select: list[str] | None,
    count: bool,
    texts: Callable[[list[Any]], list[str]] | None = None,
) -> GraphResult:
    """One page of ``items``, each item ``render``-ed, or (``texts``) with the JSON texts that give."""
    for key in call.query:
        if key.startswith("$") and key.lower() not in _KNOWN_OPTIONS:
            raise ApiError(400, "BadRequest", f"Query option '{key}' is not allowed.")
    top = q.parse_top(call.query.get("$top"), DEFAULT_PAGE, MAX_PAGE)
    offset = q.decode_skiptoken(call.query["$skiptoken"])[0] if "$skiptoken" in call.query else 0
    chunk = items[offset : offset + top]
    body: dict[str, Any] = {"@odata.context": context_url(call, context)}
    if count:
        body["@odata.count"] = len(items)
    if offset + top < len(items):
        params = [(k, v) for k, v in call.query.items() if k != "$skiptoken"]
        params.append(("$skiptoken", q.encode_skiptoken(offset + top, call.eventual)))
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',()$:')}" for k, v in params)
        body["@odata.nextLink"] = f"{call.ctx.graph_url}{call.path}?{query}"
    if texts is not None and select is None:
        return GraphResult(200, JsonText(f'{dumps(body)[:-1]},"value":[{",".join(texts(chunk))}]}}'))
    body["value"] = [select_fields(render(i), select) for i in chunk]
    return GraphResult(200, body)


def count_flag(call: GraphCall) -> bool:
    raw = call.query.get("$count")
    if raw is None:
        return False
    if raw.strip().lower() not in ("true", "false"):
        raise ApiError(400, "BadRequest", f"Invalid value '{raw}' for $count: true or false expected.")
    return raw.strip().lower() == "true"


class Cursors(Generic[T]):
    """The matches of a listing's first page, for its next pages: a listing of N items in pages of P would otherwise
    filter all N for each of its N/P pages. A next page (one with ``$skiptoken``) pages through what its first page
    matched, as Graph's cursors do, while the collection it was filtered from stays the same (its count and the last
    item added); a first page always filters afresh. Kept per tenant, for the last few listings."""

    SIZE = 16

    def __init__(self) -> None:
        self._by_tenant: weakref.WeakKeyDictionary[Any, dict[tuple, tuple[tuple, list[T]]]] = (
            weakref.WeakKeyDictionary()
        )

    def matches(self, call: GraphCall, collection: dict[str, Any], compute: Callable[[], list[T]]) -> list[T]:
        """``compute()``, or (for a next page of a listing whose first page was computed) its remembered result."""
        stamp = (len(collection), next(reversed(collection), None))
        cache = self._by_tenant.setdefault(call.tenant, {})
        key = (
            call.eventual,
            call.path.lower(),
            tuple(sorted((k, v) for k, v in call.query.items() if k != "$skiptoken")),
        )
        if "$skiptoken" in call.query:
            hit = cache.get(key)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        found = compute()
        if len(cache) >= self.SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = (stamp, found)
        return found
