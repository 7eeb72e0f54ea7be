"""JSON batching: up to 20 requests run through the same handlers and authorization as over the wire."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from tui.emulator.graph.call import (
    GRAPH_JSON,
    V1,
    GraphCall,
    GraphResult,
    error_result,
    invoke,
    object_body,
    unknown_segment,
)
from tui.emulator.routing import resolve
from tui.emulator.wire import ApiError, JsonText, dumps

MAX_BATCH_REQUESTS = 20


# --- $batch -------------------------------------------------------------------------------------------------------
def batch(call: GraphCall) -> GraphResult:
    body = object_body(call)
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise ApiError(400, "BadRequest", "Invalid batch payload format: a non-empty 'requests' array is required.")
    if len(requests) > MAX_BATCH_REQUESTS:
        raise ApiError(400, "BadRequest", f"Limit on the number of requests in a batch is {MAX_BATCH_REQUESTS}.")
    seen: set[str] = set()
    for item in requests:
        if not isinstance(item, dict):
            raise ApiError(400, "BadRequest", "Invalid batch payload format: each request must be an object.")
        rid, method, url = item.get("id"), item.get("method"), item.get("url")
        if not isinstance(rid, str) or not rid or not isinstance(method, str) or not isinstance(url, str) or not url:
            raise ApiError(400, "BadRequest", "Invalid batch payload format: each request needs id, method and url.")
        if rid in seen:
            raise ApiError(400, "BadRequest", f"Batch request ids must be unique; '{rid}' occurs twice.")
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or not all(isinstance(d, str) and d in seen for d in depends):
            raise ApiError(400, "BadRequest", f"Request '{rid}' depends on a request that does not precede it.")
        headers = item.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ApiError(400, "BadRequest", f"The headers of request '{rid}' must be an object of strings.")
        seen.add(rid)
    statuses: dict[str, int] = {}
    responses = []
    for item in requests:
        rid = item["id"]
        failed = [d for d in item.get("dependsOn", []) if statuses.get(d, 500) >= 400]
        if failed:
            result = error_result(
                ApiError(424, "FailedDependency", "A request this request depends on failed."), call.request_id
            )
        else:
            result = _run_inner(call, item)
        statuses[rid] = result.status
        entry: dict[str, Any] = {
            "id": rid,
            "status": result.status,
            "headers": {"Content-Type": result.headers.get("Content-Type", GRAPH_JSON)},
        }
        for key in ("Location", "Retry-After"):
            if key in result.headers:
                entry["headers"][key] = result.headers[key]
        if result.body is not None:
            entry["body"] = result.body
        else:
            entry["headers"] = {}
        responses.append(entry)
    if any(isinstance(entry.get("body"), JsonText) for entry in responses):
        text = ",".join(_batch_entry_text(entry) for entry in responses)
        return GraphResult(200, JsonText(f'{{"responses":[{text}]}}'), {"Content-Type": "application/json"})
    return GraphResult(200, {"responses": responses}, {"Content-Type": "application/json"})


def _batch_entry_text(entry: dict[str, Any]) -> str:
    """``dumps(entry)`` for an entry whose body (its last key) may be JSON text already."""
    body = entry.get("body")
    if not isinstance(body, JsonText):
        return dumps(entry)
    head = dumps({k: v for k, v in entry.items() if k != "body"})
    return f'{head[:-1]},"body":{body.text}}}'


def _run_inner(call: GraphCall, item: dict) -> GraphResult:
    url = urlsplit(item["url"])
    path = url.path if url.path.startswith("/") else "/" + url.path
    if path.lower().startswith(V1.lower() + "/"):
        path = path[len(V1) :]
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    headers = CIMultiDict(item.get("headers") or {})
    inner_body = item.get("body")
    if inner_body is not None and "Content-Type" not in headers:
        return error_result(
            ApiError(400, "BadRequest", "Content-Type header must be specified for a request with a body."),
            call.request_id,
        )
    method = item["method"].upper()
    from tui.emulator.graph.routes import ROUTES  # the table holds this module's handler: imported when it runs

    route, handler, params = resolve(ROUTES, method, path)
    if handler is None or handler is batch:
        known_path = route is not None
        err = (
            ApiError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
            if known_path
            else unknown_segment(path)
        )
        return error_result(err, call.request_id)
    inner = GraphCall(
        ctx=call.ctx,
        method=method,
        path=V1 + path,
        params=params,
        query=query,
        headers=CIMultiDictProxy(headers),
        body=inner_body,
        caller=call.caller,
        claims=call.claims,
        request_id=call.request_id,
    )
    return invoke(handler, inner)
