"""Who may do what in Graph (see the package docstring): app roles in the token, directory roles of users."""

from __future__ import annotations

from tui.emulator.graph.call import GraphCall
from tui.emulator.ids import MICROSOFT_SERVICES_TENANT_ID
from tui.emulator.tenant import ServicePrincipal
from tui.emulator.wire import ApiError

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


# --- authorization ------------------------------------------------------------------------------------------------
def token_roles(call: GraphCall) -> set[str]:
    roles = call.claims.get("roles") if isinstance(call.claims, dict) else None
    return {r for r in roles if isinstance(r, str)} if isinstance(roles, list) else set()


def directory_roles(call: GraphCall) -> set[str]:
    return set(getattr(call.caller, "directory_roles", None) or [])


def is_app(call: GraphCall) -> bool:
    return isinstance(call.caller, ServicePrincipal)


def denied() -> ApiError:
    return ApiError(403, "Authorization_RequestDenied", DENIED)


def require_read(call: GraphCall, roles: frozenset[str] = READ_ROLES) -> None:
    if is_app(call) and not (token_roles(call) & roles) and not directory_roles(call):
        raise denied()


def require_grant(call: GraphCall, resource_sp: ServicePrincipal) -> None:
    if is_app(call) and GRANT_ROLE in token_roles(call):
        return
    held = directory_roles(call)
    if held & GRANT_ANY_DIRECTORY_ROLES:
        return
    if held & GRANT_OWN_APPS_DIRECTORY_ROLES and resource_sp.app_owner_organization_id != MICROSOFT_SERVICES_TENANT_ID:
        return
    raise denied()


def require_manage_sp(call: GraphCall) -> None:
    if is_app(call) and token_roles(call) & WRITE_SP_ROLES:
        return
    if directory_roles(call) & MANAGE_SP_DIRECTORY_ROLES:
        return
    raise denied()
