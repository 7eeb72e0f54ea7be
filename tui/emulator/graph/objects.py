"""Finding service principals and directory objects by id, in Graph's words when they are missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.emulator.graph.call import GraphCall
from tui.emulator.ids import is_guid
from tui.emulator.tenant import ServicePrincipal
from tui.emulator.wire import ApiError


# --- look-ups -----------------------------------------------------------------------------------------------------
def not_found(object_id: str) -> ApiError:
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
        raise not_found(sp_id)
    return sp


def _sp_by_app_id(call: GraphCall, app_id: str) -> ServicePrincipal:
    sp = call.tenant.service_principal_by_app_id(app_id)
    if sp is None:
        raise not_found(app_id)
    return sp


def sp_from_params(call: GraphCall) -> ServicePrincipal:
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


def sp_get(sp: Any, prop: str) -> Any:
    return _SP_GETTERS[prop](sp)
