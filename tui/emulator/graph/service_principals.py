"""Service principals: list (with $filter, $search, $count), count, get, patch, delete."""

from __future__ import annotations

from tui.emulator.graph import query as q
from tui.emulator.graph.call import GraphCall, GraphResult, object_body
from tui.emulator.graph.objects import sp_from_params, sp_get
from tui.emulator.graph.paging import Cursors, context_url, count_flag, page
from tui.emulator.graph.permissions import require_manage_sp, require_read
from tui.emulator.graph.shapes import SP_FILTER_PROPS, SP_PROPERTIES, sp_json_selected
from tui.emulator.tenant import ServicePrincipal, remove_service_principal
from tui.emulator.wire import ApiError

_cursors: Cursors[ServicePrincipal] = Cursors()


def _query_sps(call: GraphCall) -> list[ServicePrincipal]:
    return _cursors.matches(call, call.tenant.service_principals, lambda: _filter_sps(call))


def _filter_sps(call: GraphCall) -> list[ServicePrincipal]:
    count = count_flag(call)
    flt = q.parse_filter(call.query.get("$filter", ""), SP_FILTER_PROPS, sp_get, "ServicePrincipal")
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
        test = q.parse_search(search, {"displayName", "description"}, sp_get)
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
        return page(call, matches, lambda sp: sp_json_selected(sp, t, select), context, None, count_flag(call))


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
        sp = sp_from_params(call)
        context = "servicePrincipals" + (f"({','.join(select)})" if select else "") + "/$entity"
        return GraphResult(
            200, {"@odata.context": context_url(call, context), **sp_json_selected(sp, call.tenant, select)}
        )


_PATCHABLE = {"accountEnabled": bool, "tags": list, "notes": str, "description": str, "displayName": str}


def patch_service_principal(call: GraphCall) -> GraphResult:
    body = object_body(call)
    with call.tenant.lock:
        sp = sp_from_params(call)
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
        sp = sp_from_params(call)
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
