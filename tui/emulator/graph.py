"""Microsoft Graph v1.0 for the sandbox tenant: service principals, app role assignments, directory objects and
JSON batching, with Graph's status codes, error envelopes, paging and authorization.

``server.py`` builds the Graph application (its middlewares authenticate the caller and set
``request["caller"]`` / ``request["claims"]`` / ``request["request_id"]``) and calls :func:`add_graph_routes`.
Every route is a plain function of a :class:`GraphCall`, so ``$batch`` runs its inner requests through exactly
the same handlers and authorization as requests over the wire.

Authorization (what the sandbox enforces, see docs/emulator or the tests):

* reading service principals, users, directory objects and app role assignments: any signed-in user; an
  application (a service principal, e.g. a managed identity) needs one of the Graph app roles
  ``Application.Read.All``, ``Application.ReadWrite.All``, ``Directory.Read.All``, ``Directory.ReadWrite.All``
  (app role assignments also accept ``AppRoleAssignment.ReadWrite.All``) in its token's ``roles``;
* granting or revoking an app role: an application needs ``AppRoleAssignment.ReadWrite.All`` in its token; a
  user (or a service principal holding directory roles) needs the directory role Global Administrator or
  Privileged Role Administrator; Cloud Application Administrator and Application Administrator may grant the
  app roles of the tenant's own apps but not those of Microsoft's resource apps (Microsoft Graph), as in Entra;
* changing or deleting a service principal: ``Application.ReadWrite.All`` / ``Directory.ReadWrite.All`` for an
  application, one of the four administrator roles above for a user. Managed-identity service principals
  cannot be changed through Graph at all (400).
Anything else is 403 ``Authorization_RequestDenied`` "Insufficient privileges to complete the operation."
"""

from __future__ import annotations

import json
import operator
import os
import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from tui.emulator import graph_query as q
from tui.emulator.builder import app_role_assignment_id, format_time, is_guid, remove_service_principal
from tui.emulator.catalog import MICROSOFT_SERVICES_TENANT_ID
from tui.emulator.context import EmulatorContext
from tui.emulator.faults import FaultPlan
from tui.emulator.pipeline import ApiFamily, AuthFailure, Pipeline, route_template
from tui.emulator.tenant import MICROSOFT_GRAPH_APP_ID, AppRoleAssignment, ServicePrincipal, Tenant, User
from tui.emulator.text_cache import TextCache
from tui.emulator.tokens import TokenIssuer, is_graph_audience
from tui.emulator.wire import (
    GRAPH_JSON,
    MAX_BODY_BYTES,
    ApiError,
    JsonText,
    dumps,
    graph_error_body,
    graph_error_response,
    new_request_id,
)

V1 = "/v1.0"
MAX_BATCH_REQUESTS = 20
MAX_GET_BY_IDS = 1000
DEFAULT_PAGE = 100
MAX_PAGE = 999

READ_ROLES = frozenset(
    {"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
ASSIGNMENT_READ_ROLES = READ_ROLES | {"AppRoleAssignment.ReadWrite.All"}
WRITE_SP_ROLES = frozenset({"Application.ReadWrite.All", "Directory.ReadWrite.All"})
GRANT_ROLE = "AppRoleAssignment.ReadWrite.All"
GRANT_ANY_DIRECTORY_ROLES = frozenset({"Global Administrator", "Privileged Role Administrator"})
GRANT_OWN_APPS_DIRECTORY_ROLES = frozenset({"Cloud Application Administrator", "Application Administrator"})
MANAGE_SP_DIRECTORY_ROLES = GRANT_ANY_DIRECTORY_ROLES | GRANT_OWN_APPS_DIRECTORY_ROLES
DENIED = "Insufficient privileges to complete the operation."


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


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # aiohttp template below /v1.0, e.g. "/servicePrincipals/{sp_id}"
    handler: Handler

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.template)


def _compile(template: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>[^/']+)")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(out) + "/?$", re.IGNORECASE)


# --- serialization ----------------------------------------------------------------------------------------------
SP_PROPERTIES = [
    "id",
    "deletedDateTime",
    "accountEnabled",
    "alternativeNames",
    "appDisplayName",
    "appDescription",
    "appId",
    "applicationTemplateId",
    "appOwnerOrganizationId",
    "appRoleAssignmentRequired",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "homepage",
    "loginUrl",
    "logoutUrl",
    "notes",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint",
    "replyUrls",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "samlSingleSignOnSettings",
    "addIns",
    "appRoles",
    "info",
    "keyCredentials",
    "oauth2PermissionScopes",
    "passwordCredentials",
    "resourceSpecificApplicationPermissions",
    "verifiedPublisher",
]
USER_PROPERTIES = [
    "id",
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
]
SP_FILTER_PROPS: dict[str, tuple[str, bool]] = {
    p.lower(): (p, many)
    for p, many in (
        ("id", False),
        ("appId", False),
        ("displayName", False),
        ("servicePrincipalType", False),
        ("accountEnabled", False),
        ("appOwnerOrganizationId", False),
        ("servicePrincipalNames", True),
        ("tags", True),
        ("alternativeNames", True),
        ("appDisplayName", False),
        ("description", False),
    )
}


def _sign_in_audience(sp: ServicePrincipal, tenant: Tenant) -> str | None:
    if sp.service_principal_type == "ManagedIdentity":
        return None
    return "AzureADMyOrg" if sp.app_owner_organization_id == tenant.tenant_id else "AzureADMultipleOrgs"


def _none(sp: ServicePrincipal, tenant: Tenant) -> None:
    return None


def _empty(sp: ServicePrincipal, tenant: Tenant) -> list:
    return []


# A service principal's properties as Graph v1.0 returns them, in Graph's order: each one computed on its own, so
# that a listing with $select computes only what it returns.
_SP_JSON: dict[str, Callable[[ServicePrincipal, Tenant], Any]] = {
    "id": lambda sp, t: sp.id,
    "deletedDateTime": _none,
    "accountEnabled": lambda sp, t: sp.account_enabled,
    "alternativeNames": lambda sp, t: list(sp.alternative_names),
    "appDisplayName": lambda sp, t: None if sp.service_principal_type == "ManagedIdentity" else sp.display_name,
    "appDescription": _none,
    "appId": lambda sp, t: sp.app_id,
    "applicationTemplateId": _none,
    "appOwnerOrganizationId": lambda sp, t: sp.app_owner_organization_id,
    "appRoleAssignmentRequired": lambda sp, t: False,
    "description": _none,
    "disabledByMicrosoftStatus": _none,
    "displayName": lambda sp, t: sp.display_name,
    "homepage": _none,
    "loginUrl": _none,
    "logoutUrl": _none,
    "notes": _none,
    "notificationEmailAddresses": _empty,
    "preferredSingleSignOnMode": _none,
    "preferredTokenSigningKeyThumbprint": _none,
    "replyUrls": _empty,
    "servicePrincipalNames": lambda sp, t: list(sp.service_principal_names),
    "servicePrincipalType": lambda sp, t: sp.service_principal_type,
    "signInAudience": _sign_in_audience,
    "tags": lambda sp, t: list(sp.tags),
    "tokenEncryptionKeyId": _none,
    "samlSingleSignOnSettings": _none,
    "addIns": _empty,
    "appRoles": lambda sp, t: [dict(r) for r in sp.app_roles],
    "info": lambda sp, t: {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    },
    "keyCredentials": _empty,
    "oauth2PermissionScopes": _empty,
    "passwordCredentials": _empty,
    "resourceSpecificApplicationPermissions": _empty,
    "verifiedPublisher": lambda sp, t: {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
}


def sp_json(sp: ServicePrincipal, tenant: Tenant) -> dict[str, Any]:
    """A service principal as Graph v1.0 returns it (full property set, defaults where the tenant has none)."""
    return {name: get(sp, tenant) for name, get in _SP_JSON.items()}


def sp_json_selected(sp: ServicePrincipal, tenant: Tenant, select: list[str] | None) -> dict[str, Any]:
    """``_select(sp_json(sp, tenant), select)``, computing only the selected properties."""
    if select is None:
        return sp_json(sp, tenant)
    return {name: _SP_JSON[name](sp, tenant) for name in select if name in _SP_JSON}


def user_json(user: User) -> dict[str, Any]:
    given, _, surname = user.display_name.partition(" ")
    return {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": given or None,
        "jobTitle": None,
        "mail": user.user_principal_name,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": surname or None,
        "userPrincipalName": user.user_principal_name,
    }


def assignment_json(grant: AppRoleAssignment, tenant: Tenant) -> dict[str, Any]:
    principal = tenant.principal(grant.principal_id)
    resource = tenant.service_principals.get(grant.resource_id)
    return {
        "id": grant.id,
        "deletedDateTime": None,
        "appRoleId": grant.app_role_id,
        "createdDateTime": grant.created_date_time or None,
        "principalDisplayName": principal.display_name if principal else None,
        "principalId": grant.principal_id,
        "principalType": "User" if isinstance(principal, User) else "ServicePrincipal",
        "resourceDisplayName": resource.display_name if resource else None,
        "resourceId": grant.resource_id,
    }


def assignment_text(grant: AppRoleAssignment, tenant: Tenant) -> str:
    """``dumps(assignment_json(grant, tenant))``, written directly."""
    return _assignment_text(grant, *_assignment_parties(grant, tenant))


def _assignment_parties(grant: AppRoleAssignment, tenant: Tenant) -> tuple[str | None, str, str | None]:
    """(principalDisplayName, principalType, resourceDisplayName): what a grant's text holds of other objects."""
    principal = tenant.principal(grant.principal_id)
    resource = tenant.service_principals.get(grant.resource_id)
    return (
        principal.display_name if principal else None,
        "User" if isinstance(principal, User) else "ServicePrincipal",
        resource.display_name if resource else None,
    )


def _assignment_text(
    grant: AppRoleAssignment, principal_name: str | None, principal_type: str, resource_name: str | None
) -> str:
    j = dumps
    return (
        f'{{"id":{j(grant.id)},"deletedDateTime":null,"appRoleId":{j(grant.app_role_id)},'
        f'"createdDateTime":{j(grant.created_date_time or None)},"principalDisplayName":{j(principal_name)},'
        f'"principalId":{j(grant.principal_id)},"principalType":{j(principal_type)},'
        f'"resourceDisplayName":{j(resource_name)},"resourceId":{j(grant.resource_id)}}}'
    )


def _assignment_key(grant: AppRoleAssignment, tenant: Tenant) -> tuple:
    return (*_GRANT_FIELDS(grant), *_assignment_parties(grant, tenant))


_GRANT_FIELDS = operator.attrgetter(*(f.name for f in fields(AppRoleAssignment)))  # all strings
_grant_texts: weakref.WeakKeyDictionary[Tenant, TextCache[AppRoleAssignment]] = weakref.WeakKeyDictionary()


def grant_texts(tenant: Tenant) -> TextCache[AppRoleAssignment]:
    """The tenant's app role assignments as JSON text, kept while each one (and the names it shows) is unchanged."""
    cache = _grant_texts.get(tenant)
    if cache is None:
        cache = _grant_texts[tenant] = TextCache(
            lambda g: assignment_text(g, tenant),
            lambda g: _assignment_key(g, tenant),
            lambda: len(tenant.app_role_assignments),
        )
    return cache


def _select(item: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if select is None:
        return item
    return {k: item[k] for k in select if k in item}


def _context(call: GraphCall, suffix: str) -> str:
    return f"{call.ctx.graph_url}{V1}/$metadata#{suffix}"


# --- authorization ------------------------------------------------------------------------------------------------
def _token_roles(call: GraphCall) -> set[str]:
    roles = call.claims.get("roles") if isinstance(call.claims, dict) else None
    return {r for r in roles if isinstance(r, str)} if isinstance(roles, list) else set()


def _directory_roles(call: GraphCall) -> set[str]:
    return set(getattr(call.caller, "directory_roles", None) or [])


def _is_app(call: GraphCall) -> bool:
    return isinstance(call.caller, ServicePrincipal)


def _denied() -> ApiError:
    return ApiError(403, "Authorization_RequestDenied", DENIED)


def require_read(call: GraphCall, roles: frozenset[str] = READ_ROLES) -> None:
    if _is_app(call) and not (_token_roles(call) & roles) and not _directory_roles(call):
        raise _denied()


def require_grant(call: GraphCall, resource_sp: ServicePrincipal) -> None:
    if _is_app(call) and GRANT_ROLE in _token_roles(call):
        return
    held = _directory_roles(call)
    if held & GRANT_ANY_DIRECTORY_ROLES:
        return
    if held & GRANT_OWN_APPS_DIRECTORY_ROLES and resource_sp.app_owner_organization_id != MICROSOFT_SERVICES_TENANT_ID:
        return
    raise _denied()


def require_manage_sp(call: GraphCall) -> None:
    if _is_app(call) and _token_roles(call) & WRITE_SP_ROLES:
        return
    if _directory_roles(call) & MANAGE_SP_DIRECTORY_ROLES:
        return
    raise _denied()


# --- look-ups -----------------------------------------------------------------------------------------------------
def _not_found(object_id: str) -> ApiError:
    return ApiError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def _sp(call: GraphCall, sp_id: str) -> ServicePrincipal:
    if not is_guid(sp_id):
        raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{sp_id}'.")
    sp = call.tenant.service_principals.get(sp_id.lower())
    if sp is None:
        raise _not_found(sp_id)
    return sp


def _sp_by_app_id(call: GraphCall, app_id: str) -> ServicePrincipal:
    sp = call.tenant.service_principal_by_app_id(app_id)
    if sp is None:
        raise _not_found(app_id)
    return sp


def _sp_from_params(call: GraphCall) -> ServicePrincipal:
    if "app_id" in call.params:
        return _sp_by_app_id(call, call.params["app_id"])
    return _sp(call, call.params["sp_id"])


_SP_GETTERS: dict[str, Callable[[Any], Any]] = {
    "id": lambda sp: sp.id,
    "appId": lambda sp: sp.app_id,
    "displayName": lambda sp: sp.display_name,
    "servicePrincipalType": lambda sp: sp.service_principal_type,
    "accountEnabled": lambda sp: sp.account_enabled,
    "appOwnerOrganizationId": lambda sp: sp.app_owner_organization_id,
    "servicePrincipalNames": lambda sp: sp.service_principal_names,
    "tags": lambda sp: sp.tags,
    "alternativeNames": lambda sp: sp.alternative_names,
    "appDisplayName": lambda sp: None if sp.service_principal_type == "ManagedIdentity" else sp.display_name,
    "description": lambda sp: None,
}


def _sp_get(sp: Any, prop: str) -> Any:
    return _SP_GETTERS[prop](sp)


# --- collections and paging ---------------------------------------------------------------------------------------
_KNOWN_OPTIONS = {"$filter", "$select", "$top", "$count", "$search", "$orderby", "$skiptoken", "$expand", "$format"}


def _page(
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
    body: dict[str, Any] = {"@odata.context": _context(call, context)}
    if count:
        body["@odata.count"] = len(items)
    if offset + top < len(items):
        params = [(k, v) for k, v in call.query.items() if k != "$skiptoken"]
        params.append(("$skiptoken", q.encode_skiptoken(offset + top, call.eventual)))
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',()$:')}" for k, v in params)
        body["@odata.nextLink"] = f"{call.ctx.graph_url}{call.path}?{query}"
    if texts is not None and select is None:
        return GraphResult(200, JsonText(f'{dumps(body)[:-1]},"value":[{",".join(texts(chunk))}]}}'))
    body["value"] = [_select(render(i), select) for i in chunk]
    return GraphResult(200, body)


def _count_flag(call: GraphCall) -> bool:
    raw = call.query.get("$count")
    if raw is None:
        return False
    if raw.strip().lower() not in ("true", "false"):
        raise ApiError(400, "BadRequest", f"Invalid value '{raw}' for $count: true or false expected.")
    return raw.strip().lower() == "true"


# The matches of a listing's first page, for its next pages: a listing of N service principals in pages of P
# would otherwise filter all N for each of its N/P pages. A next page (one with $skiptoken) pages through what
# its first page matched, as Graph's cursors do, while the tenant's service principals stay the same (their
# count and the last one added); a first page always filters afresh.
_SPS_CACHE_SIZE = 16
_SpsCache = dict[tuple, tuple[tuple[int, str | None], list[ServicePrincipal]]]
_sps_caches: weakref.WeakKeyDictionary[Tenant, _SpsCache] = weakref.WeakKeyDictionary()


def _query_sps(call: GraphCall) -> list[ServicePrincipal]:
    sps = call.tenant.service_principals
    stamp = (len(sps), next(reversed(sps), None))
    cache = _sps_caches.setdefault(call.tenant, {})
    key = (
        call.eventual,
        tuple(sorted((k, v) for k, v in call.query.items() if k != "$skiptoken")),
    )
    if "$skiptoken" in call.query:
        hit = cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    matches = _filter_sps(call)
    if len(cache) >= _SPS_CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = (stamp, matches)
    return matches


def _filter_sps(call: GraphCall) -> list[ServicePrincipal]:
    count = _count_flag(call)
    flt = q.parse_filter(call.query.get("$filter", ""), SP_FILTER_PROPS, _sp_get, "ServicePrincipal")
    if flt.advanced and not (call.eventual and count):
        raise ApiError(
            400,
            "Request_UnsupportedQuery",
            "This filter needs advanced query capabilities: send 'ConsistencyLevel: eventual' and $count=true.",
        )
    search = call.query.get("$search")
    if search is not None and not call.eventual:
        raise ApiError(
            400,
            "Request_BadRequest",
            "Request with $search query parameter only works through MSGraph with a special request header: "
            "'ConsistencyLevel: eventual'",
        )
    if count and not call.eventual:
        raise ApiError(400, "Request_BadRequest", "$count is not currently supported.")
    order = q.parse_orderby(call.query.get("$orderby"), {"displayName"})
    if order is not None and not (call.eventual and count):
        raise ApiError(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
    matches = [sp for sp in call.tenant.service_principals.values() if flt.predicate(sp)]
    if search is not None:
        test = q.parse_search(search, {"displayName", "description"}, _sp_get)
        matches = [sp for sp in matches if test(sp)]
    if order is not None:
        matches.sort(key=lambda sp: (sp.display_name.lower(), sp.id), reverse=order[1])
    return matches


# --- handlers -----------------------------------------------------------------------------------------------------
def list_service_principals(call: GraphCall) -> GraphResult:
    require_read(call)
    select = q.parse_select(call.query.get("$select"), SP_PROPERTIES, "microsoft.graph.servicePrincipal")
    with call.tenant.lock:
        matches = _query_sps(call)
        context = "servicePrincipals" + (f"({','.join(select)})" if select else "")
        t = call.tenant
        return _page(call, matches, lambda sp: sp_json_selected(sp, t, select), context, None, _count_flag(call))


def count_service_principals(call: GraphCall) -> GraphResult:
    require_read(call)
    if not call.eventual:
        raise ApiError(
            400,
            "Request_UnsupportedQuery",
            "Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing. "
            "Refer to https://aka.ms/graph-docs/advanced-queries for more information",
        )
    with call.tenant.lock:
        return GraphResult(200, str(len(_query_sps(call))), {"Content-Type": "text/plain"})


def get_service_principal(call: GraphCall) -> GraphResult:
    require_read(call)
    select = q.parse_select(call.query.get("$select"), SP_PROPERTIES, "microsoft.graph.servicePrincipal")
    with call.tenant.lock:
        sp = _sp_from_params(call)
        context = "servicePrincipals" + (f"({','.join(select)})" if select else "") + "/$entity"
        return GraphResult(
            200, {"@odata.context": _context(call, context), **sp_json_selected(sp, call.tenant, select)}
        )


_PATCHABLE = {"accountEnabled": bool, "tags": list, "notes": str, "description": str, "displayName": str}


def patch_service_principal(call: GraphCall) -> GraphResult:
    body = _object_body(call)
    with call.tenant.lock:
        sp = _sp_from_params(call)
        require_manage_sp(call)
        _refuse_managed_identity(sp)
        for key, value in body.items():
            if key.startswith("@odata."):
                continue
            kind = _PATCHABLE.get(key)
            if kind is None:
                raise ApiError(400, "Request_BadRequest", f"Property '{key}' is read-only or not supported.")
            if not isinstance(value, kind) or (kind is list and not all(isinstance(t, str) for t in value)):
                raise ApiError(
                    400,
                    "Request_BadRequest",
                    f"Invalid value specified for property '{key}' of resource 'ServicePrincipal'.",
                )
        for key, value in body.items():
            if key == "accountEnabled":
                sp.account_enabled = value
            elif key == "tags":
                sp.tags = list(value)
            elif key == "displayName":
                sp.display_name = value
        return GraphResult(204)


def delete_service_principal(call: GraphCall) -> GraphResult:
    with call.tenant.lock:
        sp = _sp_from_params(call)
        require_manage_sp(call)
        _refuse_managed_identity(sp)
        remove_service_principal(call.tenant, sp.id)
        return GraphResult(204)


def _refuse_managed_identity(sp: ServicePrincipal) -> None:
    if sp.service_principal_type == "ManagedIdentity":
        raise ApiError(
            400,
            "Request_BadRequest",
            "The service principal of a managed identity cannot be changed through Microsoft Graph; manage the "
            "identity in Azure Resource Manager.",
        )


def _assignments(call: GraphCall, sp: ServicePrincipal, side: str) -> list[AppRoleAssignment]:
    grants = call.tenant.app_role_assignments.values()
    if side == "appRoleAssignments":
        return [g for g in grants if g.principal_id == sp.id]
    return [g for g in grants if g.resource_id == sp.id]


def _list_assignments(call: GraphCall, side: str) -> GraphResult:
    require_read(call, ASSIGNMENT_READ_ROLES)
    with call.tenant.lock:
        sp = _sp_from_params(call)
        items = _assignments(call, sp, side)
        return _page(
            call,
            items,
            lambda g: assignment_json(g, call.tenant),
            f"servicePrincipals('{sp.id}')/{side}",
            None,
            False,
            grant_texts(call.tenant).texts,
        )


def _get_assignment(call: GraphCall, side: str) -> GraphResult:
    require_read(call, ASSIGNMENT_READ_ROLES)
    with call.tenant.lock:
        sp = _sp_from_params(call)
        grant = _assignment_of(call, sp, side)
        body = {"@odata.context": _context(call, f"servicePrincipals('{sp.id}')/{side}/$entity")}
        body.update(assignment_json(grant, call.tenant))
        return GraphResult(200, body)


def _assignment_of(call: GraphCall, sp: ServicePrincipal, side: str) -> AppRoleAssignment:
    aid = call.params["assignment_id"]
    grant = call.tenant.app_role_assignments.get(aid)
    owner = None if grant is None else (grant.principal_id if side == "appRoleAssignments" else grant.resource_id)
    if grant is None or owner != sp.id:
        raise _not_found(aid)
    return grant


def _guid_field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not is_guid(value):
        raise ApiError(
            400, "Request_BadRequest", f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'."
        )
    return value.lower()


def _create_assignment(call: GraphCall, side: str) -> GraphResult:
    body = _object_body(call)
    principal_id = _guid_field(body, "principalId")
    resource_id = _guid_field(body, "resourceId")
    app_role_id = _guid_field(body, "appRoleId")
    with call.tenant.lock:
        sp = _sp_from_params(call)
        if call.tenant.replicating(sp.id):  # a fresh identity: this replica of the directory has not seen it yet
            raise _not_found(call.params.get("sp_id") or sp.id)
        if side == "appRoleAssignments" and principal_id != sp.id:
            raise ApiError(
                400, "Request_BadRequest", "The principalId of the assignment must be the service principal in the URL."
            )
        if side == "appRoleAssignedTo" and resource_id != sp.id:
            raise ApiError(
                400, "Request_BadRequest", "The resourceId of the assignment must be the service principal in the URL."
            )
        principal = call.tenant.principal(principal_id)
        if principal is None or call.tenant.replicating(principal_id):
            raise _not_found(principal_id)
        resource = call.tenant.service_principals.get(resource_id)
        if resource is None:
            raise _not_found(resource_id)
        require_grant(call, resource)
        role = next((r for r in resource.app_roles if str(r.get("id", "")).lower() == app_role_id), None)
        if role is None or not role.get("isEnabled", True):
            raise ApiError(400, "Request_BadRequest", "Permission being assigned was not found on application")
        member = "User" if isinstance(principal, User) else "Application"
        if member not in role.get("allowedMemberTypes", []):
            raise ApiError(
                400,
                "Request_BadRequest",
                f"The app role '{role.get('value')}' cannot be assigned to a {member.lower()}.",
            )
        for g in call.tenant.app_role_assignments.values():
            if g.principal_id == principal.id and g.resource_id == resource.id and g.app_role_id.lower() == app_role_id:
                raise ApiError(400, "Request_BadRequest", "Permission being assigned already exists on the object")
        grant = AppRoleAssignment(
            id=app_role_assignment_id(principal.id, os.urandom(16)),
            principal_id=principal.id,
            resource_id=resource.id,
            app_role_id=role["id"],
            created_date_time=format_time(_now()),
        )
        call.tenant.app_role_assignments[grant.id] = grant
        body_out = {"@odata.context": _context(call, f"servicePrincipals('{sp.id}')/{side}/$entity")}
        body_out.update(assignment_json(grant, call.tenant))
        location = f"{call.ctx.graph_url}{V1}/servicePrincipals/{sp.id}/{side}/{grant.id}"
        return GraphResult(201, body_out, {"Location": location})


def _delete_assignment(call: GraphCall, side: str) -> GraphResult:
    with call.tenant.lock:
        sp = _sp_from_params(call)
        grant = _assignment_of(call, sp, side)
        resource = call.tenant.service_principals.get(grant.resource_id)
        if resource is not None:
            require_grant(call, resource)
        elif not (_is_app(call) and GRANT_ROLE in _token_roles(call)) and not (
            _directory_roles(call) & GRANT_ANY_DIRECTORY_ROLES
        ):
            raise _denied()
        del call.tenant.app_role_assignments[grant.id]
        return GraphResult(204)


def _now():  # noqa: ANN202 - a datetime
    from datetime import UTC, datetime

    return datetime.now(UTC)


def get_by_ids(call: GraphCall) -> GraphResult:
    require_read(call)
    body = _object_body(call)
    ids = body.get("ids")
    types = body.get("types")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ApiError(
            400, "Request_BadRequest", "Invalid value specified for property 'ids' of resource 'directoryObject'."
        )
    if len(ids) > MAX_GET_BY_IDS:
        raise ApiError(400, "Request_BadRequest", f"The 'ids' collection accepts at most {MAX_GET_BY_IDS} items.")
    wanted: set[str] | None = None
    if types is not None:
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise ApiError(400, "Request_BadRequest", "Invalid value specified for property 'types'.")
        wanted = {t.lower().removeprefix("microsoft.graph.") for t in types}
    select = q.parse_select(
        call.query.get("$select"), sorted(set(SP_PROPERTIES) | set(USER_PROPERTIES)), "microsoft.graph.directoryObject"
    )
    value = []
    with call.tenant.lock:
        for object_id in ids:
            if not is_guid(object_id):
                raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{object_id}'.")
            obj = call.tenant.principal(object_id)
            if isinstance(obj, User) and (wanted is None or "user" in wanted):
                value.append({"@odata.type": "#microsoft.graph.user", **_select(user_json(obj), select)})
            elif isinstance(obj, ServicePrincipal) and (wanted is None or "serviceprincipal" in wanted):
                value.append(
                    {"@odata.type": "#microsoft.graph.servicePrincipal", **sp_json_selected(obj, call.tenant, select)}
                )
    return GraphResult(200, {"@odata.context": _context(call, "directoryObjects"), "value": value})


def get_directory_object(call: GraphCall) -> GraphResult:
    require_read(call)
    object_id = call.params["object_id"]
    if not is_guid(object_id):
        raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{object_id}'.")
    with call.tenant.lock:
        obj = call.tenant.principal(object_id)
        if obj is None:
            raise _not_found(object_id)
        if isinstance(obj, User):
            item = {"@odata.type": "#microsoft.graph.user", **user_json(obj)}
        else:
            item = {"@odata.type": "#microsoft.graph.servicePrincipal", **sp_json(obj, call.tenant)}
    return GraphResult(200, {"@odata.context": _context(call, "directoryObjects/$entity"), **item})


def get_me(call: GraphCall) -> GraphResult:
    if not isinstance(call.caller, User):
        raise ApiError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
    return GraphResult(200, {"@odata.context": _context(call, "users/$entity"), **user_json(call.caller)})


def get_user(call: GraphCall) -> GraphResult:
    if _is_app(call):
        require_read(
            call, frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"})
        )
    key = call.params["user_id"]
    with call.tenant.lock:
        user = call.tenant.users.get(key.lower()) or next(
            (u for u in call.tenant.users.values() if u.user_principal_name.lower() == key.lower()), None
        )
        if user is None:
            raise _not_found(key)
        return GraphResult(200, {"@odata.context": _context(call, "users/$entity"), **user_json(user)})


def _object_body(call: GraphCall) -> dict:
    if not isinstance(call.body, dict):
        raise ApiError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid "
            "JSON format.",
        )
    return call.body


# --- $batch -------------------------------------------------------------------------------------------------------
def batch(call: GraphCall) -> GraphResult:
    body = _object_body(call)
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
            result = _error_result(
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
        return _error_result(
            ApiError(400, "BadRequest", "Content-Type header must be specified for a request with a body."),
            call.request_id,
        )
    method = item["method"].upper()
    route, params = _resolve(method, path)
    if route is None or route.handler is batch:
        known_path = params is not None
        err = (
            ApiError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
            if known_path
            else _unknown_segment(path)
        )
        return _error_result(err, call.request_id)
    inner = GraphCall(
        ctx=call.ctx,
        method=method,
        path=V1 + path,
        params=params or {},
        query=query,
        headers=CIMultiDictProxy(headers),
        body=inner_body,
        caller=call.caller,
        claims=call.claims,
        request_id=call.request_id,
    )
    return _invoke(route.handler, inner)


def _resolve(method: str, path: str) -> tuple[Route | None, dict[str, str] | None]:
    """The route for ``method path`` (path below /v1.0); (None, params) when only the method is wrong."""
    path_known: dict[str, str] | None = None
    for route in ROUTES:
        m = _PATTERNS[route].match(path)
        if m is None:
            continue
        if route.method == method:
            return route, m.groupdict()
        path_known = m.groupdict()
    return None, path_known


def _unknown_segment(path: str) -> ApiError:
    segments = [s for s in path.split("/") if s]
    return ApiError(400, "BadRequest", f"Resource not found for the segment '{segments[0] if segments else ''}'.")


def _invoke(handler: Handler, call: GraphCall) -> GraphResult:
    try:
        return handler(call)
    except ApiError as e:
        return _error_result(e, call.request_id)
    except q.QueryError as e:
        return _error_result(ApiError(400, e.code, e.message), call.request_id)


def _error_result(err: ApiError, request_id: str) -> GraphResult:
    return GraphResult(
        err.status,
        graph_error_body(err.code, err.message, request_id),
        {"Content-Type": "application/json", **err.headers},
    )


# --- route table and aiohttp glue -----------------------------------------------------------------------------------
ROUTES: list[Route] = [
    Route("GET", "/servicePrincipals", list_service_principals),
    Route("GET", "/servicePrincipals/$count", count_service_principals),
    Route("GET", "/servicePrincipals(appId='{app_id}')", get_service_principal),
    Route("PATCH", "/servicePrincipals(appId='{app_id}')", patch_service_principal),
    Route("DELETE", "/servicePrincipals(appId='{app_id}')", delete_service_principal),
    Route("GET", "/servicePrincipals/{sp_id}", get_service_principal),
    Route("PATCH", "/servicePrincipals/{sp_id}", patch_service_principal),
    Route("DELETE", "/servicePrincipals/{sp_id}", delete_service_principal),
]
for _side in ("appRoleAssignments", "appRoleAssignedTo"):
    ROUTES += [
        Route("GET", f"/servicePrincipals/{{sp_id}}/{_side}", lambda c, s=_side: _list_assignments(c, s)),
        Route("POST", f"/servicePrincipals/{{sp_id}}/{_side}", lambda c, s=_side: _create_assignment(c, s)),
        Route(
            "GET", f"/servicePrincipals/{{sp_id}}/{_side}/{{assignment_id}}", lambda c, s=_side: _get_assignment(c, s)
        ),
        Route(
            "DELETE",
            f"/servicePrincipals/{{sp_id}}/{_side}/{{assignment_id}}",
            lambda c, s=_side: _delete_assignment(c, s),
        ),
    ]
ROUTES += [
    Route("POST", "/directoryObjects/getByIds", get_by_ids),
    Route("GET", "/directoryObjects/{object_id}", get_directory_object),
    Route("GET", "/me", get_me),
    Route("GET", "/users/{user_id}", get_user),
    Route("POST", "/$batch", batch),
]
_PATTERNS: dict[Route, re.Pattern[str]] = {r: r.pattern for r in ROUTES}


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


def _aiohttp_handler(ctx: EmulatorContext, route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        request_id = _request_id(request)
        try:
            body = await _read_body(request)
        except ApiError as e:
            return _to_response(_error_result(e, request_id))
        caller = request.get("caller")
        if caller is None:
            return _to_response(
                _error_result(ApiError(401, "InvalidAuthenticationToken", "Access token is empty."), request_id)
            )
        call = GraphCall(
            ctx=ctx,
            method=request.method,
            path=request.path,
            params=dict(request.match_info),
            query=request.query,
            headers=request.headers,
            body=body,
            caller=caller,
            claims=request.get("claims") or {},
            request_id=request_id,
        )
        return _to_response(_invoke(route.handler, call))

    return handle


def _fallback(ctx: EmulatorContext) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        path = request.path[len(V1) :] if request.path.startswith(V1) else request.path
        route, params = _resolve(request.method, path)
        if route is not None:  # a known route in another casing: serve it
            return await _aiohttp_handler(ctx, route)(_with_params(request, params or {}))
        if params is not None:
            err = ApiError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
        else:
            err = _unknown_segment(path)
        return _to_response(_error_result(err, _request_id(request)))

    return handle


def _with_params(request: web.Request, params: dict[str, str]) -> web.Request:
    request.match_info.update(params)
    return request


def add_graph_routes(app: web.Application, ctx: EmulatorContext) -> None:
    """Add Graph v1.0's routes (under ``/v1.0``) to the Graph application built by ``server.py``."""
    with ctx.tenant.lock:  # encode the app role grants now, before the first listing asks for them
        grant_texts(ctx.tenant).warm(list(ctx.tenant.app_role_assignments.values()))
    for route in ROUTES:
        app.router.add_route(route.method, V1 + route.template, _aiohttp_handler(ctx, route))
    app.router.add_route("*", V1 + "/{tail:.*}", _fallback(ctx))


class GraphFamily(ApiFamily):
    """What Microsoft Graph brings to the request pipeline: Graph's ids, error envelope and token words."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def template(self, request: web.Request) -> str | None:
        return route_template(request)

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

    async def handle(self, request: web.Request, pipeline: Pipeline) -> web.StreamResponse:
        pipeline.authenticate(request)
        if route_template(request) is None:
            segment = next((s for s in request.path.split("/") if s and s.lower() != "v1.0"), "")
            if isinstance(getattr(request.match_info, "http_exception", None), web.HTTPMethodNotAllowed):
                raise ApiError(405, "Request_BadRequest", f"The HTTP method '{request.method}' is not allowed here.")
            raise ApiError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
        return await request.match_info.handler(request)


def graph_app(ctx: EmulatorContext, issuer: TokenIssuer, faults: FaultPlan) -> web.Application:
    """The Graph application: every request through the pipeline, then Graph v1.0's routes."""
    pipeline = Pipeline(ctx, issuer, faults, GraphFamily(ctx))

    @web.middleware
    async def through_pipeline(request: web.Request, handler: Any) -> web.StreamResponse:  # noqa: ANN401, ARG001
        return await pipeline(request)

    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[through_pipeline])
    add_graph_routes(app, ctx)
    return app
