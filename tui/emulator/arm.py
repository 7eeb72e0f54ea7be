"""Azure Resource Manager, as the sandbox tenant serves it.

One catch-all aiohttp route hands every request to :class:`ArmApi`, which routes case-insensitively on path
segments (clients send both ``resourcegroups`` and ``resourceGroups``; a doubled slash is collapsed), checks the
``api-version`` and the bearer token, evaluates the caller's rights from its own role assignments (:mod:`rbac`)
and answers in ARM's shapes and error envelope. The route templates used for statistics are the spec's paths.

Page sizes (a listing longer than this answers with an absolute ``nextLink`` on the emulator's origin):
"""

from __future__ import annotations

import operator
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm_filters import And, Call, Compare, FilterError, Node, conjuncts, parse_filter
from tui.emulator.context import EmulatorContext
from tui.emulator.faults import FaultPlan
from tui.emulator.pipeline import ApiFamily, AuthFailure, Pipeline
from tui.emulator.tenant import (
    FederatedCredential,
    Resource,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    ServicePrincipal,
    Subscription,
    Tenant,
    User,
    arm_key,
)
from tui.emulator.text_cache import TextCache, snapshot
from tui.emulator.tokens import TokenIssuer, is_arm_audience
from tui.emulator.wire import (
    ApiError,
    arm_error_response,
    dumps,
    encode_str,
    json_response,
    json_text_response,
    new_request_id,
    read_json_object,
    utc_now_iso,
)

SUBSCRIPTIONS_PAGE_SIZE = 1000
RESOURCE_GROUPS_PAGE_SIZE = 1000
RESOURCES_PAGE_SIZE = 1000
USER_ASSIGNED_IDENTITIES_PAGE_SIZE = 1000
FEDERATED_CREDENTIALS_PAGE_SIZE = 20  # an identity holds at most 20 federated credentials
ROLE_ASSIGNMENTS_PAGE_SIZE = 1000
ROLE_DEFINITIONS_PAGE_SIZE = 5000  # all of them in one page, as ARM answers a role definition listing

__doc__ = (__doc__ or "") + (
    f"\n* subscriptions {SUBSCRIPTIONS_PAGE_SIZE}, resource groups {RESOURCE_GROUPS_PAGE_SIZE}, resources "
    f"{RESOURCES_PAGE_SIZE} (or ``$top``), user-assigned identities {USER_ASSIGNED_IDENTITIES_PAGE_SIZE}, "
    f"federated credentials {FEDERATED_CREDENTIALS_PAGE_SIZE} (or ``$top``), role assignments "
    f"{ROLE_ASSIGNMENTS_PAGE_SIZE}, role definitions {ROLE_DEFINITIONS_PAGE_SIZE}.\n"
)

UAMI_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
RA_TYPE = "Microsoft.Authorization/roleAssignments"
RD_TYPE = "Microsoft.Authorization/roleDefinitions"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
FIC_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$")
UAMI_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]{2,127}$")
API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$", re.IGNORECASE)
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")


def is_guid(value: object) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


@dataclass
class ArmCall:
    """One ARM request on its way through a handler."""

    request: web.Request
    segs: list[str]  # path segments as sent
    params: dict[str, str]
    query: dict[str, str]  # lower-cased keys
    caller: User | ServicePrincipal | None = None
    claims: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.request.method


Handler = Callable[["ArmApi", ArmCall], Awaitable[web.Response]]


def _scope_str(segs: list[str]) -> str:
    return "/" + "/".join(segs)


# ----------------------------------------------------------------------------------------------------------
# JSON shapes
# ----------------------------------------------------------------------------------------------------------
def subscription_json(sub: Subscription, tenant: Tenant) -> dict:
    return {
        "id": f"/subscriptions/{sub.subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": dict(sub.tags),
        "subscriptionId": sub.subscription_id,
        "tenantId": tenant.tenant_id,
        "displayName": sub.display_name,
        "state": sub.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def resource_group_json(rg: ResourceGroup) -> dict:
    out: dict[str, Any] = {
        "id": rg.id,
        "name": rg.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": rg.location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if rg.tags:
        out["tags"] = dict(rg.tags)
    return out


def identity_json(res: Resource, tenant: Tenant) -> dict | None:
    kinds = []
    if res.system_principal_id:
        kinds.append("SystemAssigned")
    if res.user_assigned_identity_ids:
        kinds.append("UserAssigned")
    if not kinds:
        return None
    out: dict[str, Any] = {"type": ", ".join(kinds)}
    if res.system_principal_id:
        out["principalId"] = res.system_principal_id
        out["tenantId"] = tenant.tenant_id
    if res.user_assigned_identity_ids:
        out["userAssignedIdentities"] = _user_assigned_json(res, tenant)
    return out


def resource_json(res: Resource, tenant: Tenant, expand: frozenset[str] = frozenset()) -> dict:
    out: dict[str, Any] = {"id": res.id, "name": res.name, "type": res.type, "location": res.location}
    if res.kind:
        out["kind"] = res.kind
    if res.sku:
        out["sku"] = dict(res.sku)
    if res.tags:
        out["tags"] = dict(res.tags)
    ident = identity_json(res, tenant)
    if ident:
        out["identity"] = ident
    if "createdtime" in expand:
        out["createdTime"] = "2024-03-04T09:00:00.0000000Z"
    if "changedtime" in expand:
        out["changedTime"] = "2024-03-04T09:00:00.0000000Z"
    if "provisioningstate" in expand:
        out["provisioningState"] = "Succeeded"
    return out


def _user_assigned_json(res: Resource, tenant: Tenant) -> dict[str, dict]:
    uais: dict[str, dict] = {}
    for uid in res.user_assigned_identity_ids:
        uami = tenant.resource(uid)
        if uami is not None and uami.principal_id:
            uais[uami.id] = {"principalId": uami.principal_id, "clientId": uami.client_id}
        else:
            uais[uid] = {}
    return uais


def resource_text(res: Resource, tenant: Tenant, expand: frozenset[str] = frozenset()) -> str:
    """``dumps(resource_json(res, tenant, expand))``."""
    return _written_directly(_resource_text, resource_json, res, tenant, expand)


def _resource_text(res: Resource, tenant: Tenant, expand: frozenset[str]) -> str:
    s = encode_str
    out = f'{{"id":{s(res.id)},"name":{s(res.name)},"type":{s(res.type)},"location":{s(res.location)}'
    if res.kind:
        out += f',"kind":{s(res.kind)}'
    if res.sku:
        out += f',"sku":{dumps(res.sku)}'
    if res.tags:
        out += f',"tags":{dumps(res.tags)}'
    system, user = res.system_principal_id, res.user_assigned_identity_ids
    if system or user:
        kinds = "SystemAssigned, UserAssigned" if system and user else "SystemAssigned" if system else "UserAssigned"
        out += f',"identity":{{"type":"{kinds}"'
        if system:
            out += f',"principalId":{s(system)},"tenantId":{s(tenant.tenant_id)}'
        if user:
            out += f',"userAssignedIdentities":{dumps(_user_assigned_json(res, tenant))}'
        out += "}"
    if expand:
        if "createdtime" in expand:
            out += ',"createdTime":"2024-03-04T09:00:00.0000000Z"'
        if "changedtime" in expand:
            out += ',"changedTime":"2024-03-04T09:00:00.0000000Z"'
        if "provisioningstate" in expand:
            out += ',"provisioningState":"Succeeded"'
    return out + "}"


_RESOURCE_FIELDS = operator.attrgetter("id", "name", "type", "location", "kind", "system_principal_id")


def _resource_key(res: Resource, tenant: Tenant) -> tuple:
    """Everything :func:`resource_text` (without ``$expand``) reads, as a value to compare (an empty sku or tags
    as None: the text leaves either out)."""
    uamis: tuple = ()
    if res.user_assigned_identity_ids:
        found = [(uid, tenant.resource(uid)) for uid in res.user_assigned_identity_ids]
        uamis = tuple((uid, u.id, u.principal_id, u.client_id) if u else (uid,) for uid, u in found)
    return (
        tenant.tenant_id,
        _RESOURCE_FIELDS(res),
        snapshot(res.sku) if res.sku else None,
        snapshot(res.tags) if res.tags else None,
        uamis,
    )


def generic_resource_json(res: Resource, tenant: Tenant) -> dict:
    out = resource_json(res, tenant)
    out["properties"] = dict(res.properties)
    return out


def uami_json(res: Resource, tenant: Tenant) -> dict:
    return {
        "id": res.id,
        "name": res.name,
        "type": UAMI_TYPE,
        "location": res.location,
        "tags": dict(res.tags),
        "properties": {
            "isolationScope": res.properties.get("isolationScope", "None"),
            "tenantId": tenant.tenant_id,
            "principalId": res.principal_id,
            "clientId": res.client_id,
        },
    }


def fic_json(fic: FederatedCredential, identity: Resource) -> dict:
    return {
        "id": f"{identity.id}/federatedIdentityCredentials/{fic.name}",
        "name": fic.name,
        "type": FIC_TYPE,
        "properties": {"issuer": fic.issuer, "subject": fic.subject, "audiences": list(fic.audiences)},
    }


def system_identity_json(res: Resource, tenant: Tenant) -> dict:
    tid = tenant.tenant_id
    return {
        "id": f"{res.id}/providers/Microsoft.ManagedIdentity/identities/default",
        "name": "default",
        "type": "Microsoft.ManagedIdentity/Identities",
        "location": res.location,
        "tags": dict(res.tags),
        "properties": {
            "tenantId": tid,
            "principalId": res.system_principal_id,
            "clientId": res.system_client_id,
            "clientSecretUrl": f"https://control-{res.location}.identity.azure.net{res.id}/credentials/v2/"
            f"identities?tid={tid}&oid={res.system_principal_id}&aid={res.system_client_id}",
        },
    }


def role_definition_json(rd: RoleDefinition, scope: str) -> dict:
    perms = []
    for p in rd.permissions:
        block = {
            "actions": list(p.get("actions") or []),
            "notActions": list(p.get("notActions") or []),
            "dataActions": list(p.get("dataActions") or []),
            "notDataActions": list(p.get("notDataActions") or []),
        }
        if p.get("condition"):
            block["condition"] = p["condition"]
            block["conditionVersion"] = p.get("conditionVersion") or "2.0"
        perms.append(block)
    props: dict[str, Any] = {
        "roleName": rd.role_name,
        "type": rd.role_type,
        "description": rd.description,
        "assignableScopes": list(rd.assignable_scopes),
        "permissions": perms,
    }
    if rd.created_on:
        props["createdOn"] = rd.created_on
    if rd.updated_on:
        props["updatedOn"] = rd.updated_on
    return {"id": rd.id_at(scope), "name": rd.name, "type": RD_TYPE, "properties": props}


def role_assignment_json(ra: RoleAssignment) -> dict:
    props: dict[str, Any] = {
        "roleDefinitionId": ra.role_definition_id,
        "principalId": ra.principal_id,
        "principalType": ra.principal_type,
        "scope": ra.scope,
    }
    if ra.condition:
        props["condition"] = ra.condition
        props["conditionVersion"] = ra.condition_version or "2.0"
    if ra.created_on:
        props["createdOn"] = ra.created_on
    if ra.updated_on:
        props["updatedOn"] = ra.updated_on
    if ra.created_by:
        props["createdBy"] = ra.created_by
    if ra.updated_by:
        props["updatedBy"] = ra.updated_by
    if ra.description is not None:
        props["description"] = ra.description
    return {"properties": props, "id": ra.id, "type": RA_TYPE, "name": ra.name}


# The JSON text of the items that listings return by the thousand, written directly: byte for byte what
# ``dumps(role_assignment_json(ra))`` and ``dumps(resource_json(res, tenant, expand))`` give (a test holds them to
# it), at a fraction of the cost of building the dicts and encoding them.
_RA_TYPE_TEXT = encode_str(RA_TYPE)
_RA_FIELDS = operator.attrgetter(*(f.name for f in fields(RoleAssignment)))  # all strings or None


def role_assignment_text(ra: RoleAssignment) -> str:
    """``dumps(role_assignment_json(ra))``."""
    return _written_directly(_role_assignment_text, role_assignment_json, ra)


def _written_directly(text: Callable[..., str], as_json: Callable[..., dict], *args: Any) -> str:
    """``text(*args)``, the JSON written directly; ``dumps(as_json(*args))`` when a field is not a string (a
    fixture's None): the general encoder knows what to do with it."""
    try:
        return text(*args)
    except TypeError:
        return dumps(as_json(*args))


def _role_assignment_text(ra: RoleAssignment) -> str:
    s = encode_str
    out = (
        f'{{"properties":{{"roleDefinitionId":{s(ra.role_definition_id)},"principalId":{s(ra.principal_id)},'
        f'"principalType":{s(ra.principal_type)},"scope":{s(ra.scope)}'
    )
    if ra.condition:
        out += f',"condition":{s(ra.condition)},"conditionVersion":{s(ra.condition_version or "2.0")}'
    if ra.created_on:
        out += f',"createdOn":{s(ra.created_on)}'
    if ra.updated_on:
        out += f',"updatedOn":{s(ra.updated_on)}'
    if ra.created_by:
        out += f',"createdBy":{s(ra.created_by)}'
    if ra.updated_by:
        out += f',"updatedBy":{s(ra.updated_by)}'
    if ra.description is not None:
        out += f',"description":{s(ra.description)}'
    return f'{out}}},"id":{s(ra.id)},"type":{_RA_TYPE_TEXT},"name":{s(ra.name)}}}'


# ----------------------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------------------
def _caller_label(caller: User | ServicePrincipal | None, claims: dict) -> tuple[str, str]:
    if isinstance(caller, User):
        return caller.user_principal_name, caller.id
    if isinstance(caller, ServicePrincipal):
        return caller.app_id, caller.id
    return str(claims.get("appid") or claims.get("upn") or ""), str(claims.get("oid", ""))


def authorization_failed(call: ArmCall, action: str, scope: str) -> ApiError:
    who, oid = _caller_label(call.caller, call.claims)
    return ApiError(
        403,
        "AuthorizationFailed",
        f"The client '{who}' with object id '{oid}' does not have authorization to perform action '{action}' "
        f"over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your "
        "credentials.",
    )


def subscription_not_found(sub_id: str) -> ApiError:
    return ApiError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")


def resource_group_not_found(name: str) -> ApiError:
    return ApiError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def resource_not_found(type_: str, name: str, group: str) -> ApiError:
    return ApiError(
        404,
        "ResourceNotFound",
        f"The Resource '{type_}/{name}' under resource group '{group}' was not found. For more details please "
        "go to https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


# ----------------------------------------------------------------------------------------------------------
# routing
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    template: str
    handlers: dict[str, Handler]
    params: dict[str, str]


def match_route(segs: list[str]) -> Route | None:
    """The route for the path segments (as sent), or None."""
    low = [s.lower() for s in segs]
    n = len(low)
    # --- provider routes that hang under any scope: the last "providers/<namespace>" decides -------------
    for i in range(n - 2, -1, -1):
        if low[i] != "providers":
            continue
        ns, rest, scope = low[i + 1], low[i + 2 :], segs[:i]
        if ns == "microsoft.authorization":
            if rest == ["roleassignments"]:
                return Route(
                    "/{scope}/providers/Microsoft.Authorization/roleAssignments", _RA_LIST, {"scope": _scope_str(scope)}
                )
            if len(rest) == 2 and rest[0] == "roleassignments":
                return Route(
                    "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
                    _RA_ITEM,
                    {"scope": _scope_str(scope), "name": segs[i + 3]},
                )
            if rest == ["roledefinitions"]:
                return Route(
                    "/{scope}/providers/Microsoft.Authorization/roleDefinitions", _RD_LIST, {"scope": _scope_str(scope)}
                )
            if len(rest) == 2 and rest[0] == "roledefinitions":
                return Route(
                    "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
                    _RD_ITEM,
                    {"scope": _scope_str(scope), "name": segs[i + 3]},
                )
            return None
        if ns == "microsoft.managedidentity":
            if rest == ["identities", "default"]:
                return Route(
                    "/{scope}/providers/Microsoft.ManagedIdentity/identities/default",
                    _SYSTEM_IDENTITY,
                    {"scope": _scope_str(scope)},
                )
            if not rest or rest[0] != "userassignedidentities":
                return None
            lscope = low[:i]
            by_sub = len(lscope) == 2 and lscope[0] == "subscriptions"
            by_rg = len(lscope) == 4 and lscope[0] == "subscriptions" and lscope[2] == "resourcegroups"
            if not (by_sub or by_rg):
                return None
            p = {"subscriptionId": segs[1]}
            if by_rg:
                p["resourceGroupName"] = segs[3]
            if len(rest) == 1:
                if by_sub:
                    return Route(
                        "/subscriptions/{subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
                        _UAMI_LIST,
                        p,
                    )
                return Route(
                    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
                    "Microsoft.ManagedIdentity/userAssignedIdentities",
                    _UAMI_LIST,
                    p,
                )
            if not by_rg:
                return None
            p["resourceName"] = segs[i + 3]
            base = (
                "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"
            )
            if len(rest) == 2:
                return Route(base, _UAMI_ITEM, p)
            if rest[2] != "federatedidentitycredentials":
                return None
            if len(rest) == 3:
                return Route(base + "/federatedIdentityCredentials", _FIC_LIST, p)
            if len(rest) == 4:
                p["federatedIdentityCredentialResourceName"] = segs[i + 5]
                return Route(
                    base + "/federatedIdentityCredentials/{federatedIdentityCredentialResourceName}", _FIC_ITEM, p
                )
            return None
        break
    # --- fixed routes -------------------------------------------------------------------------------------
    if low == ["metadata", "endpoints"]:
        return Route("/metadata/endpoints", _METADATA, {})
    if low == ["tenants"]:
        return Route("/tenants", _TENANTS, {})
    if low == ["subscriptions"]:
        return Route("/subscriptions", _SUB_LIST, {})
    if n >= 2 and low[0] == "subscriptions":
        p = {"subscriptionId": segs[1]}
        if n == 2:
            return Route("/subscriptions/{subscriptionId}", _SUB_ITEM, p)
        if n == 3 and low[2] == "resourcegroups":
            return Route("/subscriptions/{subscriptionId}/resourcegroups", _RG_LIST, p)
        if n == 3 and low[2] == "resources":
            return Route("/subscriptions/{subscriptionId}/resources", _RES_LIST, p)
        if n >= 4 and low[2] == "resourcegroups":
            p["resourceGroupName"] = segs[3]
            if n == 4:
                return Route("/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", _RG_ITEM, p)
            if n == 5 and low[4] == "resources":
                return Route(
                    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/resources", _RES_LIST, p
                )
            if n >= 8 and low[4] == "providers" and n % 2 == 0:
                p["resourceId"] = _scope_str(segs)
                return Route(
                    "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/"
                    "{resourceProviderNamespace}/{parentResourcePath}/{resourceType}/{resourceName}",
                    _GENERIC,
                    p,
                )
    return None


# handler tables are filled in below, once the handlers exist
_RA_LIST: dict[str, Handler] = {}
_RA_ITEM: dict[str, Handler] = {}
_RD_LIST: dict[str, Handler] = {}
_RD_ITEM: dict[str, Handler] = {}
_SYSTEM_IDENTITY: dict[str, Handler] = {}
_UAMI_LIST: dict[str, Handler] = {}
_UAMI_ITEM: dict[str, Handler] = {}
_FIC_LIST: dict[str, Handler] = {}
_FIC_ITEM: dict[str, Handler] = {}
_METADATA: dict[str, Handler] = {}
_TENANTS: dict[str, Handler] = {}
_SUB_LIST: dict[str, Handler] = {}
_SUB_ITEM: dict[str, Handler] = {}
_RG_LIST: dict[str, Handler] = {}
_RG_ITEM: dict[str, Handler] = {}
_RES_LIST: dict[str, Handler] = {}
_GENERIC: dict[str, Handler] = {}


# ----------------------------------------------------------------------------------------------------------
# the API
# ----------------------------------------------------------------------------------------------------------
class ArmApi(ApiFamily):
    def __init__(self, ctx: EmulatorContext, issuer: TokenIssuer, faults: FaultPlan):
        self.ctx = ctx
        self.issuer = issuer
        self.faults = faults
        self.pipeline = Pipeline(ctx, issuer, faults, self)
        self._ratelimit_reads = 11999
        self._ratelimit_writes = 1199
        # every field of a role assignment goes into its text, and all of them are strings (or None)
        self.role_assignment_texts: TextCache[RoleAssignment] = TextCache(
            role_assignment_text, _RA_FIELDS, lambda: len(self.ctx.tenant.role_assignments)
        )

        # a resource's text also holds the tenant id and its user-assigned identities' principal and client ids
        self.resource_texts: TextCache[Resource] = TextCache(
            lambda res: resource_text(res, self.ctx.tenant),
            lambda res: _resource_key(res, self.ctx.tenant),
            lambda: len(self.ctx.tenant.resources),
        )

    def warm(self) -> None:
        """Encode the tenant's role assignments and resources now, before the first listing asks for them."""
        with self.tenant.lock:
            self.role_assignment_texts.warm(list(self.tenant.role_assignments.values()))
            self.resource_texts.warm(list(self.tenant.resources.values()))

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
        return await self.pipeline(request)

    # --- what ARM brings to the pipeline ---------------------------------------------------------------------
    def template(self, request: web.Request) -> str | None:
        segs = [s for s in request.path.split("/") if s]
        route = match_route(segs)
        request["arm_route"] = (segs, route)
        return route.template if route else None

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
        segs, route = request["arm_route"]
        query = {k.lower(): v for k, v in request.query.items()}
        if route is None:
            raise self._unknown_route(segs)
        handler = route.handlers.get(request.method) or (
            route.handlers.get("GET") if request.method == "HEAD" else None
        )
        if handler is None:
            raise ApiError(
                405,
                "MethodNotAllowed",
                f"The requested resource does not support http method '{request.method}'.",
            )
        if route.handlers is not _METADATA:
            version = query.get("api-version", "").strip()
            if not version:
                raise ApiError(
                    400,
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.",
                )
            if not API_VERSION_RE.match(version):
                raise ApiError(
                    400,
                    "InvalidApiVersionParameter",
                    f"The api-version '{version}' is invalid. The supported versions are "
                    "'2024-11-30,2022-12-01,2022-09-01,2022-04-01,2021-04-01'.",
                )
        call = ArmCall(request=request, segs=segs, params=dict(route.params), query=query)
        if route.handlers is not _METADATA:
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
        start = 0
        token = call.query.get("$skiptoken")
        if token:
            if not token.isdigit():
                raise bad_request("InvalidSkipToken", f"The skip token '{token}' is invalid.")
            start = int(token)
        size = page_size
        if top and call.query.get("$top", "").strip():
            raw = call.query["$top"].strip()
            if not raw.isdigit() or int(raw) < 1:
                raise bad_request(
                    "InvalidTopValue", f"The value '{raw}' of $top is invalid: a positive integer is expected."
                )
            size = min(int(raw), page_size)
        chunk = items[start : start + size]
        if start + size >= len(items):
            return chunk, None
        params = [(k, v) for k, v in call.request.query.items() if k.lower() != "$skiptoken"]
        params.append(("$skiptoken", str(start + size)))
        path = "/" + "/".join(quote(s, safe="") for s in call.segs)
        return chunk, f"{self.ctx.arm_url}{path}?{urlencode(params, quote_via=quote, safe=chr(39) + '(),/:')}"

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
            if low[:2] == ["providers", "microsoft.management"]:
                raise ApiError(
                    404,
                    "ManagementGroupNotFound",
                    "The sandbox tenant has no management groups.",
                )
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

    def canonical_scope(self, scope: str) -> str:
        parts = [p for p in scope.split("/") if p]
        if not parts:
            return "/"
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


def ok(data: Any, status: int = 200) -> web.Response:
    return json_response(data, status)


# ----------------------------------------------------------------------------------------------------------
# metadata, tenants, subscriptions, groups, resources
# ----------------------------------------------------------------------------------------------------------
async def get_metadata(api: ArmApi, call: ArmCall) -> web.Response:
    ctx = api.ctx
    return ok(
        {
            "portal": "https://portal.azure.com",
            "authentication": {
                "loginEndpoint": ctx.login_url,
                "audiences": [
                    f"{ctx.arm_url}/",
                    "https://management.core.windows.net/",
                    "https://management.azure.com/",
                ],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "media": "https://rest.media.azure.net",
            "graphAudience": f"{ctx.graph_url}/",
            "graph": f"{ctx.graph_url}/",
            "name": "MituiSandbox",
            "suffixes": {
                "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
                "acrLoginServer": "azurecr.io",
                "sqlServerHostname": "database.windows.net",
                "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                "keyVaultDns": "vault.azure.net",
                "storage": "core.windows.net",
                "azureFrontDoorEndpointSuffix": "azurefd.net",
                "storageSyncEndpointSuffix": "afs.azure.net",
                "mhsmDns": "managedhsm.azure.net",
                "mysqlServerEndpoint": "mysql.database.azure.com",
                "postgresqlServerEndpoint": "postgres.database.azure.com",
                "mariadbServerEndpoint": "mariadb.database.azure.com",
                "synapseAnalytics": "dev.azuresynapse.net",
                "attestationEndpoint": "attest.azure.net",
            },
            "batch": "https://batch.core.windows.net/",
            "resourceManager": f"{ctx.arm_url}/",
            "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
            "quickstart-templates/aliases.json",
            "activeDirectoryDataLake": "https://datalake.azure.net/",
            "sqlManagement": "https://management.core.windows.net:8443/",
            "microsoftGraphResourceId": f"{ctx.graph_url}/",
            "appInsightsResourceId": "https://api.applicationinsights.io",
            "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
            "attestationResourceId": "https://attest.azure.net",
            "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
            "logAnalyticsResourceId": "https://api.loganalytics.io",
            "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        }
    )


async def list_tenants(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    return ok(
        {
            "value": [
                {
                    "id": f"/tenants/{t.tenant_id}",
                    "tenantId": t.tenant_id,
                    "countryCode": "US",
                    "displayName": t.default_domain.split(".")[0].capitalize(),
                    "domains": [t.default_domain],
                    "tenantCategory": "Home",
                    "defaultDomain": t.default_domain,
                    "tenantType": "AAD",
                }
            ]
        }
    )


async def list_subscriptions(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        items = [
            subscription_json(s, t)
            for s in t.subscriptions.values()
            if rbac.has_any_right_in(t, call.caller.id, f"/subscriptions/{s.subscription_id}")
        ]
    return ok(api.page(call, items, SUBSCRIPTIONS_PAGE_SIZE))


async def get_subscription(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        scope = f"/subscriptions/{sub.subscription_id}"
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.Resources/subscriptions/read", scope)
        return ok(subscription_json(sub, t))


async def list_resource_groups(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    node = api.parse(call)
    tag_pred = _tag_predicate(node)
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        scope = f"/subscriptions/{sub.subscription_id}"
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.Resources/subscriptions/resourceGroups/read", scope)
        items = [
            resource_group_json(rg)
            for rg in t.resource_groups.values()
            if rg.subscription_id.lower() == sub.subscription_id.lower()
            and tag_pred(rg.tags)
            and api.can(call, "Microsoft.Resources/subscriptions/resourceGroups/read", rg.id)
        ]
    return ok(api.page(call, items, RESOURCE_GROUPS_PAGE_SIZE, top=True))


def _tag_predicate(node: Node | None) -> Callable[[dict], bool]:
    parts = conjuncts(node)
    if parts is None:
        raise bad_request("InvalidFilter", "Resource groups can be filtered by tagName and tagValue only.")
    name = value = None
    for p in parts:
        if isinstance(p, Compare) and p.op == "eq" and p.path == "tagname":
            name = p.value
        elif isinstance(p, Compare) and p.op == "eq" and p.path == "tagvalue":
            value = p.value
        else:
            raise bad_request("InvalidFilter", "Resource groups can be filtered by tagName and tagValue only.")

    def pred(tags: dict) -> bool:
        if name is None:
            return value is None or value in tags.values()
        return any(k.lower() == name.lower() and (value is None or v == value) for k, v in tags.items())

    return pred


async def get_resource_group(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        name = call.params["resourceGroupName"]
        scope = f"/subscriptions/{sub.subscription_id}/resourceGroups/{name}"
        api.require(call, "Microsoft.Resources/subscriptions/resourceGroups/read", scope)
        rg = api.resource_group(sub.subscription_id, name)
        if rg is None:
            raise resource_group_not_found(name)
        if call.method == "HEAD":
            return web.Response(status=204)
        return ok(resource_group_json(rg))


def resource_predicate(node: Node | None, tenant: Tenant) -> Callable[[Resource], bool]:
    """ARM's resource ``$filter``: location, resourceType, name, resourceGroup, identity, identity/principalId
    (eq/ne), substringof(value, name|resourceGroup), tagName/tagValue pairs, joined by and/or."""
    if node is None:
        return lambda r: True

    def principal_ids(r: Resource) -> list[str]:
        ids = [r.system_principal_id] if r.system_principal_id else []
        for uid in r.user_assigned_identity_ids:
            u = tenant.resource(uid)
            if u is not None and u.principal_id:
                ids.append(u.principal_id)
        return [i.lower() for i in ids]

    def identity_type(r: Resource) -> str | None:
        ident = identity_json(r, tenant)
        return ident["type"] if ident else None

    def compile_(n: Node) -> Callable[[Resource], bool]:
        if isinstance(n, Compare):
            v = n.value.lower() if n.value is not None else None
            getter: Callable[[Resource], Any]
            if n.path == "resourcetype":
                getter = lambda r: r.type.lower()  # noqa: E731
            elif n.path == "name":
                getter = lambda r: r.name.lower()  # noqa: E731
            elif n.path == "location":
                getter = lambda r: r.location.lower()  # noqa: E731
            elif n.path == "resourcegroup":
                getter = lambda r: r.resource_group.lower()  # noqa: E731
            elif n.path == "identity":
                getter = lambda r: (identity_type(r) or "").lower() or None  # noqa: E731
                if v is not None and v not in ("null", "none"):
                    # identity eq 'SystemAssigned' also matches "SystemAssigned, UserAssigned"
                    want = v

                    def has(r: Resource) -> bool:
                        kinds = [k.strip() for k in (identity_type(r) or "").lower().split(",")]
                        return want in kinds

                    return has if n.op == "eq" else (lambda r: not has(r))
                v = None
            elif n.path == "identity/principalid":
                if v is None:
                    raise FilterError("identity/principalId needs a value")
                want_pid = v
                return (
                    (lambda r: want_pid in principal_ids(r))
                    if n.op == "eq"
                    else (lambda r: want_pid not in principal_ids(r))
                )
            elif n.path == "tagname":
                want_tag, positive = v, n.op == "eq"
                return lambda r: any(k.lower() == want_tag for k in r.tags) == positive
            elif n.path == "tagvalue":
                want_val, positive_v = n.value, n.op == "eq"
                return lambda r: (want_val in r.tags.values()) == positive_v
            elif n.path.startswith("plan"):
                getter = lambda r: None  # noqa: E731 - sandbox resources carry no plan
            else:
                raise FilterError(f"The property '{n.path}' cannot be used in $filter.")
            if n.op == "eq":
                return lambda r: getter(r) == v
            return lambda r: getter(r) != v
        if isinstance(n, Call):
            if n.name == "substringof" and len(n.args) == 2 and n.args[0] is not None:
                needle = n.args[0].lower()
                prop = (n.args[1] or "").lower()
                if prop == "name":
                    return lambda r: needle in r.name.lower()
                if prop == "resourcegroup":
                    return lambda r: needle in r.resource_group.lower()
            raise FilterError(f"The function '{n.name}' is not supported in $filter.")
        if isinstance(n, And):
            # tagName eq 'k' and tagValue eq 'v' means one tag with that name and value
            names = [p for p in n.parts if isinstance(p, Compare) and p.path == "tagname" and p.op == "eq"]
            values = [p for p in n.parts if isinstance(p, Compare) and p.path == "tagvalue" and p.op == "eq"]
            rest = [p for p in n.parts if p not in names and p not in values]
            preds = [compile_(p) for p in rest]
            if len(names) == 1 and len(values) == 1:
                k, val = (names[0].value or "").lower(), values[0].value
                preds.append(lambda r: any(tk.lower() == k and tv == val for tk, tv in r.tags.items()))
            else:
                preds.extend(compile_(p) for p in names + values)
            return lambda r: all(p(r) for p in preds)
        parts = [compile_(p) for p in n.parts]
        return lambda r: any(p(r) for p in parts)

    return compile_(node)


_ResourceIndex = tuple[tuple[int, str | None], dict[str, list[str]]]
_resource_indexes: weakref.WeakKeyDictionary[Tenant, _ResourceIndex] = weakref.WeakKeyDictionary()


def resources_under(t: Tenant, prefix: str) -> list[Resource]:
    """The resources whose key starts with ``prefix`` (``arm_key(scope) + "/"`` of a subscription or a group
    below it), in the tenant's order, through an index by subscription: a listing per subscription then costs
    that subscription's resources, not the tenant's. The index is rebuilt when the tenant's resources change
    (their count or the last one added; every change goes through the builder, which adds at the end)."""
    stamp = (len(t.resources), next(reversed(t.resources), None))
    entry = _resource_indexes.get(t)
    if entry is None or entry[0] != stamp:
        by_sub: dict[str, list[str]] = {}
        for key in t.resources:
            parts = key.split("/", 3)
            if len(parts) > 2 and parts[1] == "subscriptions":
                by_sub.setdefault(parts[2], []).append(key)
        entry = (stamp, by_sub)
        _resource_indexes[t] = entry
    parts = prefix.split("/", 3)
    keys = entry[1].get(parts[2], []) if len(parts) > 2 and parts[1] == "subscriptions" else []
    out = []
    for key in keys:
        if key.startswith(prefix):
            res = t.resources.get(key)
            if res is not None:
                out.append(res)
    return out


def _readable(
    api: ArmApi, call: ArmCall, scope: str, action_of: Callable[[Resource], str]
) -> Callable[[Resource], bool]:
    """Whether the caller may read a resource below ``scope``: an assignment at or above ``scope`` applies to
    all of them, so that is checked once per action; each resource is checked on its own only when it is not."""
    at_scope: dict[str, bool] = {}  # by resource type (the action follows from it)

    def readable(res: Resource) -> bool:
        ok_ = at_scope.get(res.type)
        if ok_ is None:
            ok_ = at_scope[res.type] = api.can(call, action_of(res), scope)
        return ok_ or api.can(call, action_of(res), res.id)

    return readable


async def list_resources(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    node = api.parse(call)
    try:
        pred = resource_predicate(node, t)
    except FilterError as e:
        raise bad_request("InvalidFilter", f"Invalid $filter '{call.query.get('$filter')}': {e}") from e
    expand = frozenset(x.strip().lower() for x in call.query.get("$expand", "").split(",") if x.strip())
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        rg_name = call.params.get("resourceGroupName")
        if rg_name is None:
            scope = f"/subscriptions/{sub.subscription_id}"
            if not rbac.has_any_right_in(t, call.caller.id, scope):
                raise authorization_failed(call, "Microsoft.Resources/subscriptions/resources/read", scope)
            prefix = arm_key(scope) + "/"
        else:
            scope = f"/subscriptions/{sub.subscription_id}/resourceGroups/{rg_name}"
            if not rbac.has_any_right_in(t, call.caller.id, scope):
                raise authorization_failed(
                    call, "Microsoft.Resources/subscriptions/resourceGroups/resources/read", scope
                )
            if api.resource_group(sub.subscription_id, rg_name) is None:
                raise resource_group_not_found(rg_name)
            prefix = arm_key(scope) + "/"
        readable = _readable(api, call, scope, lambda r: f"{r.type}/read")
        try:
            items = [res for res in resources_under(t, prefix) if pred(res) and readable(res)]
        except FilterError as e:
            raise bad_request("InvalidFilter", str(e)) from e
        encode = (lambda chunk: [resource_text(r, t, expand) for r in chunk]) if expand else api.resource_texts.texts
        text = api.page_text(call, items, RESOURCES_PAGE_SIZE, encode, top=True)
        return json_text_response(text)


async def get_generic_resource(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    rid = call.params["resourceId"]
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        res = t.resource(rid)
        parts = rid.strip("/").split("/")
        typ = "/".join([parts[5]] + parts[6::2]) if len(parts) > 6 else ""
        api.require(call, f"{res.type if res else typ}/read", rid)
        if res is None:
            if api.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"]) is None:
                raise resource_group_not_found(call.params["resourceGroupName"])
            raise resource_not_found(typ, parts[-1], call.params["resourceGroupName"])
        if call.method == "HEAD":
            return web.Response(status=204)
        return ok(generic_resource_json(res, t))


# ----------------------------------------------------------------------------------------------------------
# managed identities
# ----------------------------------------------------------------------------------------------------------
async def list_uamis(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        rg_name = call.params.get("resourceGroupName")
        scope = f"/subscriptions/{sub.subscription_id}" + (f"/resourceGroups/{rg_name}" if rg_name else "")
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.ManagedIdentity/userAssignedIdentities/read", scope)
        if rg_name and api.resource_group(sub.subscription_id, rg_name) is None:
            raise resource_group_not_found(rg_name)
        prefix = arm_key(scope) + "/"
        readable = _readable(api, call, scope, lambda r: "Microsoft.ManagedIdentity/userAssignedIdentities/read")
        items = [r for r in resources_under(t, prefix) if r.is_user_assigned_identity and readable(r)]
        return ok(api.page(call, items, USER_ASSIGNED_IDENTITIES_PAGE_SIZE, render=lambda r: uami_json(r, t)))


def _uami_id(call: ArmCall) -> str:
    p = call.params
    return (
        f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}/providers/"
        f"{UAMI_TYPE}/{p['resourceName']}"
    )


def _existing_uami(api: ArmApi, call: ArmCall) -> Resource:
    p = call.params
    res = api.tenant.resource(_uami_id(call))
    if res is None or not res.is_user_assigned_identity:
        if api.resource_group(p["subscriptionId"], p["resourceGroupName"]) is None:
            raise resource_group_not_found(p["resourceGroupName"])
        raise resource_not_found(UAMI_TYPE, p["resourceName"], p["resourceGroupName"])
    return res


async def get_uami(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/read", _uami_id(call))
        return ok(uami_json(_existing_uami(api, call), t))


def _tags(body: dict) -> dict[str, str] | None:
    tags = body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise bad_request(
            "InvalidRequestContent", "The request content was invalid: 'tags' must map strings to strings."
        )
    return dict(tags)


async def put_uami(api: ArmApi, call: ArmCall) -> web.Response:
    from tui.emulator.builder import TenantBuilder

    body = await api.body(call)
    t = api.tenant
    p = call.params
    rid = _uami_id(call)
    with t.lock:
        sub = api.subscription(p["subscriptionId"])
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/write", rid)
        rg = api.resource_group(sub.subscription_id, p["resourceGroupName"])
        if rg is None:
            raise resource_group_not_found(p["resourceGroupName"])
        name = p["resourceName"]
        if not UAMI_NAME_RE.match(name):
            raise bad_request(
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can contain only letters, numbers, hyphens and "
                "underscores, must start with a letter or number, and be 3 to 128 characters long.",
            )
        location = body.get("location")
        if not isinstance(location, str) or not location.strip():
            raise bad_request("LocationRequired", "The location property is required for this definition.")
        tags = _tags(body)
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            raise bad_request(
                "InvalidRequestContent", "The request content was invalid: 'properties' must be an object."
            )
        isolation = props.get("isolationScope", "None")
        if isolation not in ("None", "Regional"):
            raise bad_request("InvalidRequestContent", f"The isolationScope '{isolation}' is invalid.")
        existing = t.resource(rid)
        if existing is not None:
            if not existing.is_user_assigned_identity:
                raise bad_request("InvalidResourceType", f"The resource '{rid}' is not a user-assigned identity.")
            if existing.location.lower() != location.lower().replace(" ", ""):
                raise bad_request(
                    "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{existing.location}' in resource group "
                    f"'{rg.name}'. A resource with the same name cannot be created in location '{location}'. "
                    "Please select a new resource name.",
                )
            if tags is not None:
                existing.tags = tags
            existing.properties["isolationScope"] = isolation
            return ok(uami_json(existing, t), 200)
        uami = TenantBuilder(tenant=t, seed=None).add_user_assigned_identity(
            rg, name, location=location.lower().replace(" ", ""), tags=tags or {}
        )
        uami.properties["isolationScope"] = isolation
        if uami.principal_id:
            t.principal_created_at[uami.principal_id.lower()] = time.monotonic()
        return ok(uami_json(uami, t), 201)


async def patch_uami(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/write", _uami_id(call))
        res = _existing_uami(api, call)
        tags = _tags(body)
        if tags is not None:
            res.tags = tags
        props = body.get("properties")
        if isinstance(props, dict) and props.get("isolationScope") in ("None", "Regional"):
            res.properties["isolationScope"] = props["isolationScope"]
        return ok(uami_json(res, t))


async def delete_uami(api: ArmApi, call: ArmCall) -> web.Response:
    from tui.emulator.builder import remove_resource

    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        rid = _uami_id(call)
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/delete", rid)
        res = t.resource(rid)
        if res is None or not res.is_user_assigned_identity:
            return web.Response(status=204)
        remove_resource(t, res.id)
        return web.Response(status=200)


async def list_fics(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(
            call, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read", _uami_id(call)
        )
        uami = _existing_uami(api, call)
        prefix = arm_key(uami.id) + "/federatedidentitycredentials/"
        items = [fic_json(f, uami) for k, f in sorted(t.federated_credentials.items()) if k.startswith(prefix)]
    return ok(api.page(call, items, FEDERATED_CREDENTIALS_PAGE_SIZE, top=True))


def _fic_key(uami: Resource, name: str) -> str:
    return arm_key(f"{uami.id}/federatedIdentityCredentials/{name}")


def _fic_not_found(call: ArmCall) -> ApiError:
    return resource_not_found(
        FIC_TYPE,
        f"{call.params['resourceName']}/{call.params['federatedIdentityCredentialResourceName']}",
        call.params["resourceGroupName"],
    )


def _check_fic_name(name: str) -> None:
    if not FIC_NAME_RE.match(name):
        raise bad_request(
            "BadRequest",
            f"The federated identity credential name '{name}' is invalid. It must match "
            "'^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$'.",
        )


async def get_fic(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        name = call.params["federatedIdentityCredentialResourceName"]
        api.require(
            call,
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
            f"{_uami_id(call)}/federatedIdentityCredentials/{name}",
        )
        uami = _existing_uami(api, call)
        fic = t.federated_credentials.get(_fic_key(uami, name))
        if fic is None:
            raise _fic_not_found(call)
        return ok(fic_json(fic, uami))


async def put_fic(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    name = call.params["federatedIdentityCredentialResourceName"]
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(
            call,
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
            f"{_uami_id(call)}/federatedIdentityCredentials/{name}",
        )
        uami = _existing_uami(api, call)
        _check_fic_name(name)
        props = body.get("properties")
        if not isinstance(props, dict):
            raise bad_request("InvalidRequestContent", "The request content was invalid: 'properties' is required.")
        issuer, subject, audiences = props.get("issuer"), props.get("subject"), props.get("audiences")
        if not isinstance(issuer, str) or not issuer.startswith("https://"):
            raise bad_request("BadRequest", "The issuer must be a valid URL that starts with 'https://'.")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 600:
            raise bad_request("BadRequest", "The subject is required and may be at most 600 characters long.")
        if audiences is None:
            audiences = ["api://AzureADTokenExchange"]
        if (
            not isinstance(audiences, list)
            or len(audiences) != 1
            or not all(isinstance(a, str) and a.strip() for a in audiences)
        ):
            raise bad_request("BadRequest", "Exactly one audience is required.")
        key = _fic_key(uami, name)
        prefix = arm_key(uami.id) + "/federatedidentitycredentials/"
        for k, other in t.federated_credentials.items():
            if k.startswith(prefix) and k != key and other.issuer == issuer and other.subject == subject:
                raise bad_request(
                    "BadRequest",
                    f"A federated identity credential with issuer '{issuer}' and subject '{subject}' already "
                    f"exists on '{uami.name}' as '{other.name}'.",
                )
        existing = t.federated_credentials.get(key)
        if existing is None and sum(1 for k in t.federated_credentials if k.startswith(prefix)) >= 20:
            raise bad_request("BadRequest", "An identity may have at most 20 federated identity credentials.")
        fic = FederatedCredential(
            identity_id=uami.id,
            name=existing.name if existing else name,
            issuer=issuer,
            subject=subject,
            audiences=list(audiences),
        )
        t.federated_credentials[key] = fic
        return ok(fic_json(fic, uami), 200 if existing else 201)


async def delete_fic(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    name = call.params["federatedIdentityCredentialResourceName"]
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(
            call,
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
            f"{_uami_id(call)}/federatedIdentityCredentials/{name}",
        )
        uami = t.resource(_uami_id(call))
        if uami is None or t.federated_credentials.pop(_fic_key(uami, name), None) is None:
            return web.Response(status=204)
        return web.Response(status=200)


async def get_system_identity(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope = call.params["scope"]
    with t.lock:
        api.require(call, "Microsoft.ManagedIdentity/identities/read", scope)
        api.check_scope_exists(scope)
        res = t.resource(scope)
        if res is None or not res.system_principal_id:
            raise ApiError(
                404,
                "NotFound",
                f"The system-assigned identity of '{scope}' was not found: the resource has no system-assigned "
                "identity.",
            )
        return ok(system_identity_json(res, t))


# ----------------------------------------------------------------------------------------------------------
# role definitions
# ----------------------------------------------------------------------------------------------------------
def _assignable_at(rd: RoleDefinition, scope: str) -> bool:
    target = arm_key(scope)
    return any(rbac.is_at_or_below(target, arm_key(s)) for s in rd.assignable_scopes or ["/"])


async def list_role_definitions(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope = call.params["scope"]
    node = api.parse(call)
    parts = conjuncts(node)
    if parts is None:
        raise bad_request("InvalidFilter", "Role definitions can be filtered by roleName, type and atScopeAndBelow().")
    name = kind = None
    below = False
    for p in parts:
        if isinstance(p, Compare) and p.op == "eq" and p.path == "rolename":
            name = p.value
        elif isinstance(p, Compare) and p.op == "eq" and p.path == "type":
            kind = (p.value or "").lower()
        elif isinstance(p, Call) and p.name == "atscopeandbelow":
            below = True
        else:
            raise bad_request(
                "InvalidFilter", "Role definitions can be filtered by roleName, type and atScopeAndBelow()."
            )
    with t.lock:
        api.check_scope_exists(scope)
        target = arm_key(scope)
        items = []
        for rd in t.role_definitions.values():
            if name is not None and rd.role_name != name:
                continue
            if kind is not None and rd.role_type.lower() != kind:
                continue
            visible = _assignable_at(rd, scope) or (
                below and any(rbac.is_at_or_below(arm_key(s), target) for s in rd.assignable_scopes)
            )
            if visible:
                items.append(role_definition_json(rd, scope))
    return ok(api.page(call, items, ROLE_DEFINITIONS_PAGE_SIZE))


def _role_definition_not_found(rd_id: str) -> ApiError:
    return ApiError(
        404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{rd_id}' does not exist."
    )


async def get_role_definition(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        api.check_scope_exists(scope)
        rd = t.role_definitions.get(name.lower())
        if rd is None or not (_assignable_at(rd, scope) or not [p for p in scope.split("/") if p]):
            raise _role_definition_not_found(name)
        return ok(role_definition_json(rd, scope))


def _permissions(value: object) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise bad_request("InvalidRoleDefinition", "The role definition must have at least one permission block.")
    out = []
    for block in value:
        if not isinstance(block, dict):
            raise bad_request("InvalidRoleDefinition", "Each permission must be an object.")
        clean: dict[str, Any] = {}
        for key in ("actions", "notActions", "dataActions", "notDataActions"):
            items = block.get(key) or []
            if not isinstance(items, list) or not all(isinstance(a, str) and a.strip() for a in items):
                raise bad_request("InvalidActionOrNotAction", f"'{key}' must be a list of action strings.")
            clean[key] = list(items)
        if not clean["actions"] and not clean["dataActions"]:
            raise bad_request("InvalidRoleDefinition", "The role definition must grant at least one action.")
        out.append(clean)
    return out


async def put_role_definition(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    if not is_guid(name):
        raise bad_request(
            "InvalidRoleDefinitionId", f"The role definition ID '{name}' is not valid: it must be a GUID."
        )
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid: 'properties' is required.")
    role_name = props.get("roleName")
    if not isinstance(role_name, str) or not role_name.strip():
        raise bad_request("RoleDefinitionNameNullOrEmpty", "The role definition name cannot be null or empty.")
    description = props.get("description") or ""
    if not isinstance(description, str):
        raise bad_request("InvalidRequestContent", "The description must be a string.")
    role_type = props.get("type", "CustomRole")
    if str(role_type).lower() not in ("customrole", "custom"):
        raise bad_request("InvalidRoleDefinition", "Only custom roles can be created or updated.")
    permissions = _permissions(props.get("permissions"))
    scopes = props.get("assignableScopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) and s.startswith("/") for s in scopes):
        raise bad_request("InvalidAssignableScopes", "At least one assignable scope is required.")
    with t.lock:
        api.check_scope_exists(scope)
        for s in scopes:
            api.require(call, "Microsoft.Authorization/roleDefinitions/write", s)
            if arm_key(s) == "/":
                raise bad_request("InvalidAssignableScopes", "The root scope '/' cannot be an assignable scope.")
            api.check_scope_exists(s)
        existing = t.role_definitions.get(name.lower())
        if existing is not None and existing.role_type == "BuiltInRole":
            raise ApiError(
                403,
                "AuthorizationFailed",
                f"The built-in role definition '{existing.role_name}' cannot be updated.",
            )
        for rd in t.role_definitions.values():
            if rd.role_name.lower() == role_name.lower() and rd.name != name.lower():
                raise ApiError(
                    409,
                    "RoleDefinitionWithSameNameExists",
                    f"A custom role with the same name '{role_name}' already exists in this directory. Use a "
                    "different name.",
                )
        now = utc_now_iso()
        rd = RoleDefinition(
            name=name.lower(),
            role_name=role_name,
            description=description,
            role_type="CustomRole",
            permissions=permissions,
            assignable_scopes=[api.canonical_scope(s) for s in scopes],
            created_on=existing.created_on if existing else now,
            updated_on=now,
        )
        t.role_definitions[rd.name] = rd
        return ok(role_definition_json(rd, scope), 201)  # ARM answers 201 to an update too (see the spec)


async def delete_role_definition(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        rd = t.role_definitions.get(name.lower())
        if rd is None:
            api.require(call, "Microsoft.Authorization/roleDefinitions/delete", scope)
            return web.Response(status=204)
        if rd.role_type == "BuiltInRole":
            raise ApiError(
                403, "AuthorizationFailed", f"The built-in role definition '{rd.role_name}' cannot be deleted."
            )
        for s in rd.assignable_scopes:
            api.require(call, "Microsoft.Authorization/roleDefinitions/delete", s)
        if any(ra.role_definition_name == rd.name for ra in t.role_assignments.values()):
            raise ApiError(
                409,
                "RoleDefinitionHasAssignments",
                "There are existing role assignments referencing role (code: RoleDefinitionHasAssignments).",
            )
        del t.role_definitions[rd.name]
        return ok(role_definition_json(rd, scope))


# ----------------------------------------------------------------------------------------------------------
# role assignments
# ----------------------------------------------------------------------------------------------------------
def _ra_filter(api: ArmApi, call: ArmCall) -> tuple[bool, str | None]:
    """(atScope, principal id) from the ``$filter``."""
    parts = conjuncts(api.parse(call))
    unsupported = bad_request(
        "UnsupportedQuery",
        f"The filter '{call.query.get('$filter')}' is not supported. Supported filters are atScope(), "
        "principalId eq '{id}' and assignedTo('{id}').",
    )
    if parts is None:
        raise unsupported
    at_scope, principal = False, None
    for p in parts:
        if isinstance(p, Call) and p.name == "atscope" and not p.args:
            at_scope = True
        elif isinstance(p, Call) and p.name == "assignedto" and len(p.args) == 1 and p.args[0]:
            principal = p.args[0]
        elif isinstance(p, Compare) and p.path == "principalid" and p.op == "eq" and p.value:
            principal = p.value
        else:
            raise unsupported
    return at_scope, principal


async def list_role_assignments(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope = call.params["scope"]
    at_scope, principal = _ra_filter(api, call)
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/read", scope)
        api.check_scope_exists(scope)
        found = rbac.assignments_around(t, scope, below=not at_scope)
        if principal is not None:
            want = principal.lower()
            found = [ra for ra in found if ra.principal_id.lower() == want]
        text = api.page_text(call, found, ROLE_ASSIGNMENTS_PAGE_SIZE, api.role_assignment_texts.texts)
        return json_text_response(text)


def _ra_in_scope(t: Tenant, scope: str, name: str) -> RoleAssignment | None:
    ra = t.role_assignments.get(name.lower())
    if ra is None or arm_key(ra.scope) != arm_key(scope):
        return None
    return ra


def _ra_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}"


async def get_role_assignment(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/read", scope)
        ra = _ra_in_scope(t, scope, name)
        if ra is None:
            api.check_scope_exists(scope)
            raise ApiError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return ok(role_assignment_json(ra))


async def put_role_assignment(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    body = await api.body(call)
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    if not is_guid(name):
        raise bad_request(
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'properties' is required.",
        )
    rd_id, pid = props.get("roleDefinitionId"), props.get("principalId")
    ptype = props.get("principalType")
    for key, value in (("roleDefinitionId", rd_id), ("principalId", pid)):
        if not isinstance(value, str) or not value.strip():
            raise bad_request(
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: '{key}' is required and must be "
                "a string.",
            )
    assert isinstance(rd_id, str) and isinstance(pid, str)
    if not is_guid(pid):
        raise bad_request("InvalidPrincipalId", f"The Principal ID '{pid}' is not valid.")
    if ptype is not None and ptype not in PRINCIPAL_TYPES:
        raise bad_request(
            "InvalidRequestContent",
            f"The principal type '{ptype}' is not valid. Valid values are {', '.join(PRINCIPAL_TYPES)}.",
        )
    for key in ("description", "condition", "conditionVersion"):
        if props.get(key) is not None and not isinstance(props.get(key), str):
            raise bad_request("InvalidRequestContent", f"'{key}' must be a string.")
    if props.get("condition") and props.get("conditionVersion", "2.0") != "2.0":
        raise bad_request("InvalidConditionVersion", "The only supported condition version is '2.0'.")
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/write", scope, message_scope=_ra_id(scope, name))
        api.check_scope_exists(scope)
        canonical = api.canonical_scope(scope)
        rd_parts = [s for s in rd_id.split("/") if s]
        rd_guid = rd_parts[-1].lower()
        rd = t.role_definitions.get(rd_guid)
        well_formed = (
            len(rd_parts) >= 3
            and [s.lower() for s in rd_parts[-3:-1]] == ["microsoft.authorization", "roledefinitions"]
            and is_guid(rd_guid)
        )
        if rd is None or not well_formed or not _assignable_at(rd, canonical):
            raise bad_request(
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{rd_parts[-1] if rd_parts else rd_id}' does not exist.",
            )
        principal = t.principal(pid)
        replicating = principal is not None and t.replicating(pid)
        actual_type = "User" if isinstance(principal, User) else "ServicePrincipal" if principal else None
        if (principal is None or replicating) and ptype is None:
            raise bad_request(
                "PrincipalNotFound",
                f"Principal {pid.replace('-', '').lower()} does not exist in the directory {t.tenant_id}. Check that "
                "you have the correct principal ID. If you are creating this principal and then immediately "
                "assigning a role, this error might be related to a replication delay. In this case, set the role "
                "assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See "
                "https://aka.ms/docs-principaltype",
            )
        if principal is not None and not replicating and ptype is not None and ptype != actual_type:
            raise bad_request(
                "UnmatchedPrincipalType",
                f"The PrincipalId '{pid.replace('-', '').lower()}' has type '{actual_type}' , which is different "
                f"from specified PrincipalType '{ptype}'.",
            )
        existing = t.role_assignments.get(name.lower())
        now = utc_now_iso()
        if existing is not None:
            same = (
                arm_key(existing.scope) == arm_key(canonical)
                and existing.principal_id.lower() == pid.lower()
                and existing.role_definition_name == rd.name
            )
            if not same:
                raise ApiError(
                    409,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            existing.description = props.get("description", existing.description)
            if "condition" in props:
                existing.condition = props.get("condition")
                existing.condition_version = props.get("conditionVersion") if existing.condition else None
            existing.updated_on = now
            existing.updated_by = call.caller.id
            return ok(role_assignment_json(existing), 200)
        target = arm_key(canonical)
        pid_low = pid.lower()
        for _key, other in rbac.index_of(t).by_scope.get(target, []):
            if other.principal_id.lower() == pid_low and other.role_definition_name == rd.name:
                raise ApiError(
                    409,
                    "RoleAssignmentExists",
                    "The role assignment already exists.\nThe ID of the existing role assignment is "
                    f"{other.name.replace('-', '')}.",
                )
        ra = RoleAssignment(
            name=name.lower(),
            scope=canonical,
            role_definition_id=rd.id_at(canonical),
            principal_id=pid,
            principal_type=ptype or actual_type or "User",
            description=props.get("description"),
            condition=props.get("condition"),
            condition_version=(props.get("conditionVersion") or "2.0") if props.get("condition") else None,
            created_on=now,
            updated_on=now,
            created_by=call.caller.id,
            updated_by=call.caller.id,
        )
        rbac.index_of(t)  # make sure the index exists before the count changes
        t.role_assignments[ra.name] = ra
        rbac.added(t, ra)
        return ok(role_assignment_json(ra), 201)


async def delete_role_assignment(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/delete", scope, message_scope=_ra_id(scope, name))
        ra = _ra_in_scope(t, scope, name)
        if ra is None:
            return web.Response(status=204)
        rbac.index_of(t)
        del t.role_assignments[ra.name]
        rbac.removed(t, ra)
        return ok(role_assignment_json(ra))


# ----------------------------------------------------------------------------------------------------------
_METADATA["GET"] = get_metadata
_TENANTS["GET"] = list_tenants
_SUB_LIST["GET"] = list_subscriptions
_SUB_ITEM["GET"] = get_subscription
_RG_LIST["GET"] = list_resource_groups
_RG_ITEM["GET"] = get_resource_group
_RES_LIST["GET"] = list_resources
_GENERIC["GET"] = get_generic_resource
_UAMI_LIST["GET"] = list_uamis
_UAMI_ITEM.update(GET=get_uami, PUT=put_uami, PATCH=patch_uami, DELETE=delete_uami)
_FIC_LIST["GET"] = list_fics
_FIC_ITEM.update(GET=get_fic, PUT=put_fic, DELETE=delete_fic)
_SYSTEM_IDENTITY["GET"] = get_system_identity
_RD_LIST["GET"] = list_role_definitions
_RD_ITEM.update(GET=get_role_definition, PUT=put_role_definition, DELETE=delete_role_definition)
_RA_LIST["GET"] = list_role_assignments
_RA_ITEM.update(GET=get_role_assignment, PUT=put_role_assignment, DELETE=delete_role_assignment)

__all__ = [
    "ArmApi",
    "FEDERATED_CREDENTIALS_PAGE_SIZE",
    "RESOURCES_PAGE_SIZE",
    "RESOURCE_GROUPS_PAGE_SIZE",
    "ROLE_ASSIGNMENTS_PAGE_SIZE",
    "ROLE_DEFINITIONS_PAGE_SIZE",
    "SUBSCRIPTIONS_PAGE_SIZE",
    "USER_ASSIGNED_IDENTITIES_PAGE_SIZE",
    "match_route",
]
