"""The Graph API family: what Graph brings to the request pipeline, and the aiohttp glue."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tui.emulator.context import EmulatorContext
from tui.emulator.faults import FaultPlan
from tui.emulator.graph.audits import audit_of, initiated_by
from tui.emulator.graph.call import (
    BETA,
    GRAPH_JSON,
    V1,
    GraphCall,
    GraphResult,
    error_result,
    graph_error_response,
    invoke,
    unknown_segment,
)
from tui.emulator.graph.routes import BETA_ROUTES, ROUTES
from tui.emulator.graph.shapes import grant_texts
from tui.emulator.ids import MICROSOFT_GRAPH_APP_ID
from tui.emulator.pipeline import ApiFamily, AuthFailure, Pipeline
from tui.emulator.routing import resolve
from tui.emulator.tokens import TokenIssuer, is_graph_audience
from tui.emulator.wire import MAX_BODY_BYTES, ApiError, JsonText, dumps, new_request_id


async def _read_body(request: web.Request) -> Any:
    if request.method not in ("POST", "PATCH", "PUT"):
        return None
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "Request_EntityTooLarge", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(
            413, "Request_EntityTooLarge", f"The request body is larger than {MAX_BODY_BYTES} bytes."
        ) from None
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid "
            "JSON format.",
        ) from None


def _to_response(result: GraphResult) -> web.Response:
    headers = dict(result.headers)
    content_type = headers.pop("Content-Type", GRAPH_JSON)
    if result.body is None:
        return web.Response(status=result.status, headers=headers)
    body = result.body
    text = body if isinstance(body, str) else body.text if isinstance(body, JsonText) else dumps(body)
    resp = web.Response(status=result.status, text=text, headers=headers)
    resp.headers["Content-Type"] = content_type if ";" in content_type else f"{content_type}; charset=utf-8"
    return resp


def _request_id(request: web.Request) -> str:
    rid = request.get("request_id")
    return rid if isinstance(rid, str) else new_request_id()


class GraphFamily(ApiFamily):
    """What Microsoft Graph brings to the request pipeline: Graph's ids, error envelope and token words."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def template(self, request: web.Request) -> str | None:
        path = request.path
        if path.startswith(BETA + "/"):
            found = resolve(BETA_ROUTES, request.method, path[len(BETA) :])
            request["graph_route"] = found if found[0] is not None else None
            return found[0].template if found[0] is not None else None
        if not path.startswith(V1 + "/"):
            request["graph_route"] = None
            return None
        found = resolve(ROUTES, request.method, path[len(V1) :])
        request["graph_route"] = found
        return found[0].template if found[0] is not None else None

    def response_headers(self, request: web.Request, request_id: str) -> dict[str, str]:
        return {"request-id": request_id, "client-request-id": request.headers.get("client-request-id") or request_id}

    def fault(self, kind: str) -> ApiError:
        if kind == "429":
            return ApiError(
                429,
                "TooManyRequests",
                "Too many requests are being made. Please try again later.",
                headers={"Retry-After": "1"},
            )
        if kind == "503":
            return ApiError(
                503, "serviceNotAvailable", "Service is temporarily unavailable.", headers={"Retry-After": "1"}
            )
        return ApiError(500, "UnknownError", "An internal server error occurred.")

    def auth_error(self, failure: AuthFailure) -> ApiError:
        messages = {
            "missing": "Access token is empty.",
            "empty": "Access token is empty.",
            "scheme": "Access token validation failure. Invalid authorization scheme.",
            "audience": "Access token validation failure. Invalid audience.",
            "tenant": "Access token validation failure. Invalid issuer.",
            "principal": "Access token validation failure. The principal of the token does not exist.",
        }
        if failure.reason == "token":
            expired = failure.error is not None and failure.error.code == "ExpiredAuthenticationToken"
            message = (
                "Lifetime validation failed, the token is expired."
                if expired
                else "IDX14100: JWT is not well formed, there are no dots (.) or the signature does not verify."
            )
        else:
            message = messages[failure.reason]
        challenge = (
            f'Bearer realm="", authorization_uri="{self.ctx.login_url}/common/oauth2/authorize", '
            f'client_id="{MICROSOFT_GRAPH_APP_ID}"'
        )
        return ApiError(401, "InvalidAuthenticationToken", message, headers={"WWW-Authenticate": challenge})

    def audience_ok(self, audience: str) -> bool:
        return is_graph_audience(audience, self.ctx.graph_url)

    def too_large(self) -> ApiError:
        return ApiError(413, "Request_EntityTooLarge", "The request is too large.")

    def error_response(self, err: ApiError, request_id: str) -> web.Response:
        return graph_error_response(err.status, err.code, err.message, request_id, headers=err.headers)

    def record(self, request: web.Request, response: web.StreamResponse) -> None:
        """A directory audit for a Graph write that succeeded."""
        found = request.get("graph_route")
        caller = request.get("caller")
        if not found or found[0] is None or found[1] is None or response.status >= 400 or caller is None:
            return
        audit = audit_of(request.method, found[0].template, found[2], self.ctx.tenant)
        if audit is None:
            return
        activity, category, operation_type, targets = audit
        self.ctx.tenant.activity.record_audit(
            activity=activity,
            category=category,
            operation_type=operation_type,
            initiated_by=initiated_by(caller),
            targets=targets,
        )

    async def handle(self, request: web.Request, pipeline: Pipeline) -> web.StreamResponse:
        caller, claims = pipeline.authenticate(request)
        found = request["graph_route"]
        if found is None:
            segment = next((s for s in request.path.split("/") if s and s.lower() != "v1.0"), "")
            raise ApiError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
        route, handler, params = found
        request_id = _request_id(request)
        if handler is None:
            if route is not None:
                err = ApiError(
                    405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
                )
            else:
                err = unknown_segment(request.path[len(V1) :])
            return _to_response(error_result(err, request_id))
        try:
            body = await _read_body(request)
        except ApiError as e:
            return _to_response(error_result(e, request_id))
        call = GraphCall(
            ctx=self.ctx,
            method=request.method,
            path=request.path,
            params=params,
            query=request.query,
            headers=request.headers,
            body=body,
            caller=caller,
            claims=claims,
            request_id=request_id,
        )
        return _to_response(invoke(handler, call))


def graph_app(ctx: EmulatorContext, issuer: TokenIssuer, faults: FaultPlan) -> web.Application:
    """The Graph application: every request through the pipeline, then Graph v1.0's routes."""
    pipeline = Pipeline(ctx, issuer, faults, GraphFamily(ctx))

    with ctx.tenant.lock:  # encode the app role grants now, before the first listing asks for them
        grant_texts(ctx.tenant).warm(list(ctx.tenant.app_role_assignments.values()))
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", "/{tail:.*}", pipeline.serve)
    return app
