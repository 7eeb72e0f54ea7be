"""One Graph request, from the wire or from inside a ``$batch``, and its result."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tui.emulator.context import EmulatorContext
from tui.emulator.graph import query as q
from tui.emulator.tenant import ServicePrincipal, Tenant, User
from tui.emulator.wire import ApiError, json_response

V1 = "/v1.0"
BETA = "/beta"


@dataclass
class GraphCall:
    """One request, from the wire or from inside a ``$batch``."""

    ctx: EmulatorContext
    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]  # case-insensitive
    body: Any  # parsed JSON; None when the request had no body
    caller: User | ServicePrincipal
    claims: dict
    request_id: str

    @property
    def tenant(self) -> Tenant:
        return self.ctx.tenant

    @property
    def eventual(self) -> bool:
        """An advanced query: ``ConsistencyLevel: eventual``, or the next page of one (its $skiptoken says so)."""
        if self.headers.get("ConsistencyLevel", "").strip().lower() == "eventual":
            return True
        token = self.query.get("$skiptoken")
        return token is not None and q.decode_skiptoken(token)[1]


@dataclass
class GraphResult:
    status: int
    body: Any = None  # dict (JSON), JsonText (JSON encoded already), str (text/plain) or None (no content)
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[GraphCall], GraphResult]


def object_body(call: GraphCall) -> dict:
    if not isinstance(call.body, dict):
        raise ApiError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid "
            "JSON format.",
        )
    return call.body


def unknown_segment(path: str) -> ApiError:
    segments = [s for s in path.split("/") if s]
    return ApiError(400, "BadRequest", f"Resource not found for the segment '{segments[0] if segments else ''}'.")


def invoke(handler: Handler, call: GraphCall) -> GraphResult:
    try:
        return handler(call)
    except ApiError as e:
        return error_result(e, call.request_id)
    except q.QueryError as e:
        return error_result(ApiError(400, e.code, e.message), call.request_id)


def error_result(err: ApiError, request_id: str) -> GraphResult:
    return GraphResult(
        err.status,
        graph_error_body(err.code, err.message, request_id),
        {"Content-Type": "application/json", **err.headers},
    )


GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


def graph_error_body(code: str, message: str, request_id: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }
    }


def graph_error_response(
    status: int, code: str, message: str, request_id: str, headers: dict | None = None
) -> web.Response:
    return json_response(graph_error_body(code, message, request_id), status, content_type=GRAPH_JSON, headers=headers)
