"""The ARM API family: what ARM brings to the request pipeline, and what its handlers share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.activity import operation_of
from tui.emulator.arm.call import ArmCall, read_json_object
from tui.emulator.arm.errors import (
    arm_error_response,
    authorization_failed,
    bad_request,
    resource_group_not_found,
    resource_not_found,
    subscription_not_found,
)
from tui.emulator.arm.filters import FilterError, Node, parse_filter
from tui.emulator.arm.paging import check_api_version, page_of
from tui.emulator.arm.query_quota import QueryQuota
from tui.emulator.arm.resource_graph import kept_rows
from tui.emulator.arm.routes import resolve_route
from tui.emulator.arm.shapes import ROLE_ASSIGNMENT_FIELDS, resource_key, resource_text, role_assignment_text
from tui.emulator.context import EmulatorContext
from tui.emulator.faults import FaultPlan
from tui.emulator.pipeline import ApiFamily, AuthFailure, Pipeline
from tui.emulator.tenant import (
    ManagementGroup,
    Resource,
    ResourceGroup,
    RoleAssignment,
    Subscription,
    Tenant,
    User,
    arm_key,
)
from tui.emulator.text_cache import TextCache
from tui.emulator.tokens import TokenIssuer, is_arm_audience
from tui.emulator.wire import ApiError, encode_str, json_response, new_request_id, utc_now_iso


class ArmApi(ApiFamily):
    def __init__(self, ctx: EmulatorContext, issuer: TokenIssuer, faults: FaultPlan, quota: QueryQuota | None = None):
        self.ctx = ctx
        self.issuer = issuer
        self.faults = faults
        self.query_quota = quota if quota is not None else QueryQuota()  # Resource Graph's, per caller
        self.pipeline = Pipeline(ctx, issuer, faults, self)
        self._ratelimit_reads = 11999
        self._ratelimit_writes = 1199
        # every field of a role assignment goes into its text, and all of them are strings (or None)
        self.role_assignment_texts: TextCache[RoleAssignment, str] = TextCache(
            role_assignment_text,
            ROLE_ASSIGNMENT_FIELDS,
            lambda: len(self.ctx.tenant.role_assignments),
            lambda: RoleAssignment.last_edit,
        )

        # a resource's text also holds the tenant id and its user-assigned identities' principal and client ids
        self.resource_texts: TextCache[Resource, str] = TextCache(
            lambda res: resource_text(res, self.ctx.tenant),
            lambda res: resource_key(res, self.ctx.tenant),
            lambda: len(self.ctx.tenant.resources),
        )

        # the texts of the columns Resource Graph's rows are made of, per table (resource_graph.KEPT_COLUMNS)
        self.graph_rows = kept_rows(lambda: self.ctx.tenant)

        # Resource Graph evaluates one query at a time, a slice at a time (resource_graph._matching): an answer of
        # another API then waits for one slice, not for a slice of every query under way
        self.graph_evaluating = asyncio.Semaphore(1)

    def warm(self) -> None:
        """Encode the tenant's role assignments and resources now, before the first listing asks for them."""
        with self.tenant.lock:
            self.role_assignment_texts.warm(list(self.tenant.role_assignments.values()))
            self.resource_texts.warm(list(self.tenant.resources.values()))
            self.graph_rows["resources"].warm(list(self.tenant.resources.values()))
            self.graph_rows["authorizationresources"].warm(list(self.tenant.role_assignments.values()))

    @property
    def tenant(self) -> Tenant:
        return self.ctx.tenant

    def install(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """The emulator's own control routes (no auth, no faults, not counted), else the pipeline."""
        first = next((s for s in request.path.split("/") if s), "")
        if first.lower() == "_emulator":
            return self._emulator_route(request)
        return await self.pipeline.serve(request)

    # --- what ARM brings to the pipeline ---------------------------------------------------------------------
    def template(self, request: web.Request) -> str | None:
        segs = [s for s in request.path.split("/") if s]
        route, handler, params = resolve_route(request.method, "/" + "/".join(segs))
        request["arm_route"] = (segs, route, handler, params)
        return route.template if route is not None else None

    def response_headers(self, request: web.Request, request_id: str) -> dict[str, str]:
        return {
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": request.headers.get("x-ms-correlation-request-id") or request_id,
            "x-ms-routing-request-id": f"LOCAL:{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}:{request_id}",
            "Cache-Control": "no-cache",
        }

    def throttle_headers(self, is_write: bool) -> dict[str, str]:
        if is_write:
            self._ratelimit_writes = max(self._ratelimit_writes - 1, 0) or 1199
            return {"x-ms-ratelimit-remaining-subscription-writes": str(self._ratelimit_writes)}
        self._ratelimit_reads = max(self._ratelimit_reads - 1, 0) or 11999
        return {"x-ms-ratelimit-remaining-subscription-reads": str(self._ratelimit_reads)}

    def fault(self, kind: str) -> ApiError:
        if kind == "429":
            return ApiError(
                429,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type - "
                "Read_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits",
                headers={"Retry-After": "1"},
            )
        if kind == "503":
            return ApiError(
                503, "ServiceUnavailable", "The service is temporarily unavailable.", headers={"Retry-After": "1"}
            )
        return ApiError(
            500,
            "InternalServerError",
            f"Encountered internal server error. Diagnostic information: timestamp '{utc_now_iso()}'.",
        )

    def auth_error(self, failure: AuthFailure) -> ApiError:
        challenge = {
            "WWW-Authenticate": f'Bearer authorization_uri="{self.ctx.login_url}/{self.tenant.tenant_id}", '
            'error="invalid_token", error_description="The authentication failed because of missing '
            "'Authorization' header.\""
        }
        reason = failure.reason
        if reason == "missing":
            return ApiError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                headers=challenge,
            )
        if reason in ("empty", "scheme"):
            return ApiError(
                401,
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                headers=challenge,
            )
        if reason == "token" and failure.error is not None:
            return ApiError(401, failure.error.code, failure.error.message, headers=challenge)
        if reason == "tenant":
            return ApiError(401, "InvalidAuthenticationTokenTenant", "The access token is from the wrong issuer.")
        if reason == "audience":
            return ApiError(
                401,
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource '{failure.claims.get('aud')}'. "
                f"It should exactly match with one of the allowed audiences '{self.ctx.arm_url}/',"
                "'https://management.core.windows.net/','https://management.azure.com/'.",
            )
        return ApiError(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid: its principal does not exist in the directory.",
        )

    def audience_ok(self, audience: str) -> bool:
        return is_arm_audience(audience, self.ctx.arm_url)

    def too_large(self) -> ApiError:
        return ApiError(413, "RequestEntityTooLarge", "The request body is too large.")

    def error_response(self, err: ApiError, request_id: str) -> web.Response:
        return arm_error_response(err)

    def _emulator_route(self, request: web.Request) -> web.Response:
        low = [s.lower() for s in request.path.split("/") if s]
        request_id = new_request_id()
        request["request_id"] = request_id
        if low == ["_emulator", "stats"] and request.method == "GET":
            resp = json_response({**self.ctx.stats.snapshot(), "faults": self.faults.injected_snapshot()})
        elif low == ["_emulator", "stats", "reset"] and request.method == "POST":
            self.ctx.stats.reset()
            self.faults.reset_injected()
            resp = json_response({**self.ctx.stats.snapshot(), "faults": self.faults.injected_snapshot()})
        else:
            resp = arm_error_response(ApiError(404, "NotFound", "The sandbox tenant serves only /_emulator/stats."))
        resp.headers.update(self.response_headers(request, request_id))
        return resp

    async def handle(self, request: web.Request, pipeline: Pipeline) -> web.Response:
        segs, route, handler, params = request["arm_route"]
        query = {k.lower(): v for k, v in request.query.items()}
        if route is None:
            raise self._unknown_route(segs)
        if handler is None:
            raise ApiError(
                405,
                "MethodNotAllowed",
                f"The requested resource does not support http method '{request.method}'.",
            )
        if not route.public:
            check_api_version(query)
        call = ArmCall(request=request, segs=segs, params=params, query=query)
        if not route.public:
            call.caller, call.claims = pipeline.authenticate(request)
        return await handler(self, call)

    def _unknown_route(self, segs: list[str]) -> ApiError:
        low = [s.lower() for s in segs]
        if "providers" in low:
            i = len(low) - 1 - low[::-1].index("providers")
            if i + 2 < len(low) + 1 and i + 1 < len(low):
                ns = segs[i + 1]
                typ = segs[i + 2] if i + 2 < len(segs) else ""
                return ApiError(
                    404,
                    "InvalidResourceType",
                    f"The resource type '{typ}' could not be found in the namespace '{ns}'.",
                )
        return ApiError(
            404, "NotFound", f"No HTTP resource was found that matches the request URI '/{'/'.join(segs)}'."
        )

    def record(self, request: web.Request, response: web.StreamResponse) -> None:
        """An Activity Log event for the write or action, with the caller's claims (Azure records failures too)."""
        found = request.get("arm_route")
        claims = request.get("claims")
        if not found or found[1] is None or not isinstance(claims, dict):
            return
        op = operation_of(request.method, found[0])
        if op is None:
            return
        operation, resource_id = op
        caller = request.get("caller")
        who = caller.user_principal_name if isinstance(caller, User) else str(claims.get("oid", ""))
        self.tenant.activity.record_operation(
            tenant_id=self.tenant.tenant_id,
            claims=claims,
            caller=who,
            operation=operation,
            resource_id=resource_id,
            method=request.method,
            status_code=response.status,
            correlation_id=request.headers.get("x-ms-correlation-request-id"),
            client_request_id=request.headers.get("x-ms-client-request-id"),
            uri=f"{self.ctx.arm_url}{request.raw_path}",
        )

    # --- helpers --------------------------------------------------------------------------------------------
    def can(self, call: ArmCall, action: str, scope: str) -> bool:
        assert call.caller is not None
        return rbac.allowed(self.tenant, call.caller.id, action, scope)

    def require(self, call: ArmCall, action: str, scope: str, *, message_scope: str | None = None) -> None:
        if not self.can(call, action, scope):
            raise authorization_failed(call, action, message_scope or scope)

    def subscription(self, sub_id: str) -> Subscription:
        sub = self.tenant.subscriptions.get(sub_id) or self.tenant.subscriptions.get(sub_id.lower())
        if sub is None:
            for s in self.tenant.subscriptions.values():
                if s.subscription_id.lower() == sub_id.lower():
                    return s
            raise subscription_not_found(sub_id)
        return sub

    def resource_group(self, sub_id: str, name: str) -> ResourceGroup | None:
        return self.tenant.resource_groups.get(arm_key(f"/subscriptions/{sub_id}/resourceGroups/{name}"))

    def page(
        self,
        call: ArmCall,
        items: list,
        page_size: int,
        *,
        top: bool = False,
        render: Callable[[Any], dict] | None = None,
    ) -> dict:
        """One page of ``items`` with an absolute ``nextLink`` (``$skiptoken`` = offset) when more remain.
        ``render`` turns the page's items (only those) into JSON."""
        chunk, next_link = self._page_of(call, items, page_size, top)
        out: dict[str, Any] = {"value": [render(i) for i in chunk] if render is not None else chunk}
        if next_link is not None:
            out["nextLink"] = next_link
        return out

    def page_text(
        self, call: ArmCall, items: list, page_size: int, encode: Callable[[list], list[str]], *, top: bool = False
    ) -> str:
        """:meth:`page` as JSON text, ``encode`` giving the texts of the page's items: ``dumps(page(..., render=r))``
        when ``encode(chunk) == [dumps(r(i)) for i in chunk]``."""
        chunk, next_link = self._page_of(call, items, page_size, top)
        value = ",".join(encode(chunk))
        if next_link is None:
            return f'{{"value":[{value}]}}'
        return f'{{"value":[{value}],"nextLink":{encode_str(next_link)}}}'

    def _page_of(self, call: ArmCall, items: list, page_size: int, top: bool) -> tuple[list, str | None]:
        """(the page's items, the absolute ``nextLink`` or None on the last page)."""
        return page_of(call, items, page_size, top, self.ctx.arm_url)

    def parse(self, call: ArmCall) -> Node | None:
        try:
            return parse_filter(call.query.get("$filter"))
        except FilterError as e:
            raise bad_request("InvalidFilter", f"Invalid $filter '{call.query.get('$filter')}': {e}") from e

    def check_scope_exists(self, scope: str) -> None:
        """404 in ARM's words for a subscription, group or resource scope that does not exist."""
        parts = [p for p in scope.split("/") if p]
        if not parts:
            return
        low = [p.lower() for p in parts]
        if low[0] != "subscriptions" or len(parts) < 2:
            if low[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) == 4:
                self.management_group(parts[3])
                return
            raise bad_request("InvalidScope", f"The scope '{scope}' is not valid.")
        self.subscription(parts[1])
        if len(parts) == 2:
            return
        if low[2] != "resourcegroups" or len(parts) < 4:
            raise bad_request("InvalidScope", f"The scope '{scope}' is not valid.")
        if self.resource_group(parts[1], parts[3]) is None:
            raise resource_group_not_found(parts[3])
        if len(parts) == 4:
            return
        if self.tenant.resource(scope) is None:
            typ = "/".join(parts[5:-1:2]) if len(parts) > 6 else "/".join(parts[5:-1])
            raise resource_not_found(f"{parts[5] if len(parts) > 5 else ''}/{typ}".strip("/"), parts[-1], parts[3])

    def management_group(self, name: str) -> ManagementGroup:
        """The management group ``name``, or ARM's 404 (management.json: ErrorResponse)."""
        mg = self.tenant.management_group(name)
        if mg is None:
            raise ApiError(
                404,
                "NotFound",
                f"'/providers/Microsoft.Management/managementGroups/{name}' not found",
            )
        return mg

    def canonical_scope(self, scope: str) -> str:
        parts = [p for p in scope.split("/") if p]
        if not parts:
            return "/"
        if len(parts) == 4 and parts[1].lower() == "microsoft.management":
            return self.management_group(parts[3]).id
        if len(parts) == 2 and parts[0].lower() == "subscriptions":
            return f"/subscriptions/{self.subscription(parts[1]).subscription_id}"
        if len(parts) == 4:
            rg = self.resource_group(parts[1], parts[3])
            if rg is not None:
                return rg.id
        res = self.tenant.resource(scope)
        if res is not None:
            return res.id
        return "/" + "/".join(parts)

    async def body(self, call: ArmCall) -> dict:
        return await read_json_object(call.request)
