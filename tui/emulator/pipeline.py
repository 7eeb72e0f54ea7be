"""The one request pipeline that ARM and Microsoft Graph both go through.

For every request: a request id, statistics by route template, throttling (429 with ``Retry-After``), latency,
injected faults (429 / 500 / 503, a dropped connection, a write applied and then dropped) and bearer-token
authentication with the audience check. Only what differs between the API families is theirs (an
:class:`ApiFamily`): how a request is routed and handled, the response headers that carry the request id, and the
error envelope — ARM's ``{"error": {"code", "message"}}`` and Graph's ``{"error": {"code", "message",
"innerError": {...}}}``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tui.emulator.context import EmulatorContext
from tui.emulator.faults import FaultPlan
from tui.emulator.tenant import ServicePrincipal, User
from tui.emulator.tokens import TokenError, TokenIssuer
from tui.emulator.wire import ApiError, new_request_id

WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
ERROR_FAULTS = ("429", "500", "503")


class AuthFailure(Exception):
    """Why a bearer token was refused, before the family words it: ``missing`` (no header), ``empty`` (no token),
    ``scheme`` (not Bearer), ``token`` (does not verify or has expired; ``error`` says which), ``audience``,
    ``tenant`` or ``principal`` (the token's object id is unknown)."""

    def __init__(self, reason: str, claims: Mapping[str, Any] | None = None, error: TokenError | None = None):
        super().__init__(reason)
        self.reason = reason
        self.claims = dict(claims or {})
        self.error = error


class ApiFamily(ABC):
    """What an API family (ARM, Graph) brings to the pipeline."""

    @abstractmethod
    def template(self, request: web.Request) -> str | None:
        """The route template of the request (for statistics and fault routes), None when no route matches."""

    @abstractmethod
    def response_headers(self, request: web.Request, request_id: str) -> dict[str, str]:
        """The headers every answer carries (the request ids in the family's names)."""

    def throttle_headers(self, is_write: bool) -> dict[str, str]:
        """Headers about the remaining request budget (ARM's ``x-ms-ratelimit-remaining-*``); none by default."""
        return {}

    @abstractmethod
    def fault(self, kind: str) -> ApiError:
        """The error an injected fault (``"429"``, ``"500"`` or ``"503"``) answers with."""

    @abstractmethod
    def auth_error(self, failure: AuthFailure) -> ApiError:
        """The family's 401 for a refused token."""

    @abstractmethod
    def audience_ok(self, audience: str) -> bool:
        """Whether a token for ``audience`` is meant for this family's origin."""

    @abstractmethod
    def too_large(self) -> ApiError:
        """The error for a request body over the limit."""

    @abstractmethod
    def error_response(self, err: ApiError, request_id: str) -> web.Response:
        """``err`` in the family's envelope."""

    @abstractmethod
    async def handle(self, request: web.Request, pipeline: Pipeline) -> web.StreamResponse:
        """Route and answer the request; calls :meth:`Pipeline.authenticate` where the family checks tokens."""

    def record(self, request: web.Request, response: web.StreamResponse) -> None:
        """Record an authenticated write as the family's service does (ARM: an Activity Log event; Graph: a
        directory audit); nothing by default."""
        return None


class Pipeline:
    """One family's requests, from the wire to its handlers and back (see the module's docstring)."""

    def __init__(self, ctx: EmulatorContext, issuer: TokenIssuer, faults: FaultPlan, family: ApiFamily) -> None:
        self.ctx = ctx
        self.issuer = issuer
        self.faults = faults
        self.family = family

    async def serve(self, request: web.Request) -> web.StreamResponse:
        family, ctx = self.family, self.ctx
        request_id = new_request_id()
        request["request_id"] = request_id
        headers = family.response_headers(request, request_id)
        template = family.template(request)
        ctx.stats.count(request.method, template or "<unmatched>", request.raw_path)
        is_write = request.method in WRITE_METHODS
        headers.update(family.throttle_headers(is_write))
        route = f"{request.method} {template or '<unmatched>'}"
        attempt_of = request.headers.get("x-ms-client-request-id") or request.headers.get("client-request-id") or ""
        fault = self.faults.next_fault(is_write, route, attempt_of) if self.faults.rate > 0 else None
        if ctx.latency_ms > 0:
            await asyncio.sleep(ctx.latency_ms / 1000)
        if fault in ERROR_FAULTS:
            resp = family.error_response(family.fault(fault), request_id)
        elif fault == "drop":
            return await drop(request)
        else:
            try:
                resp = await family.handle(request, self)
            except ApiError as e:
                resp = family.error_response(e, request_id)
            except web.HTTPRequestEntityTooLarge:
                resp = family.error_response(family.too_large(), request_id)
        if is_write and fault is None and "claims" in request:
            family.record(request, resp)
        for k, v in headers.items():
            resp.headers.setdefault(k, v)
        if fault == "drop-after-commit" and resp.status < 400:
            return await drop(request)
        return resp

    def authenticate(self, request: web.Request) -> tuple[User | ServicePrincipal, dict]:
        """The caller and claims of the request's bearer token (also kept as ``request["caller"]`` /
        ``request["claims"]``); the family's 401 :class:`ApiError` when the token is refused."""
        try:
            caller, claims = self._verify(request)
        except AuthFailure as failure:
            raise self.family.auth_error(failure) from None
        request["caller"], request["claims"] = caller, claims
        return caller, claims

    def _verify(self, request: web.Request) -> tuple[User | ServicePrincipal, dict]:
        header = request.headers.get("Authorization", "")
        if not header:
            raise AuthFailure("missing")
        scheme, _, token = header.partition(" ")
        if not token.strip():
            raise AuthFailure("empty")
        if scheme.lower() != "bearer":
            raise AuthFailure("scheme")
        try:
            claims = self.issuer.verify(token.strip())
        except TokenError as e:
            raise AuthFailure("token", error=e) from e
        if not self.family.audience_ok(str(claims.get("aud", ""))):
            raise AuthFailure("audience", claims)
        if str(claims.get("tid", "")).lower() != self.ctx.tenant.tenant_id.lower():
            raise AuthFailure("tenant", claims)
        caller = self.ctx.tenant.principal(str(claims.get("oid", "")))
        if caller is None:
            raise AuthFailure("principal", claims)
        return caller, claims


async def drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer (the client sees the server disconnect)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError


def route_template(request: web.Request) -> str | None:
    """The aiohttp route template that matched ``request`` (None for none)."""
    resource = getattr(request.match_info.route, "resource", None)
    return resource.canonical if resource is not None else None
