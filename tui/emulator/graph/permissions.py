"""Who may do what in Graph (see the package docstring): app roles in the token, directory roles of users."""

from __future__ import annotations

from tui.emulator import catalog
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
# roleManagement/directory (api-reference/v1.0/api/rbacapplication-list-roleassignments.md, -post-roleassignments.md)
ROLE_READ_ROLES = frozenset(
    {
        "RoleManagement.Read.Directory",
        "RoleManagement.Read.All",
        "Directory.Read.All",
        "RoleManagement.ReadWrite.Directory",
        "Directory.ReadWrite.All",
    }
)
ROLE_WRITE_ROLE = "RoleManagement.ReadWrite.Directory"
ROLE_WRITE_DIRECTORY_ROLES = frozenset({"Global Administrator", "Privileged Role Administrator"})
# groups (api-reference/v1.0/api/group-list.md, group-list-members.md, group-post-members.md)
GROUP_READ_ROLES = frozenset(
    {
        "Group.Read.All",
        "Group.ReadWrite.All",
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
MEMBER_WRITE_ROLES = frozenset({"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"})
MEMBER_WRITE_DIRECTORY_ROLES = frozenset(
    {"Global Administrator", "Privileged Role Administrator", "Groups Administrator", "User Administrator"}
)
DENIED = "Insufficient privileges to complete the operation."


# --- authorization ------------------------------------------------------------------------------------------------
def token_roles(call: GraphCall) -> set[str]:
    roles = call.claims.get("roles") if isinstance(call.claims, dict) else None
    return {r for r in roles if isinstance(r, str)} if isinstance(roles, list) else set()


def directory_roles(call: GraphCall) -> set[str]:
    """The Entra roles the caller holds: its own, and those of the role-assignable groups it is in."""
    held = set(getattr(call.caller, "directory_roles", None) or [])
    tenant = call.tenant
    if tenant.directory_role_assignments and tenant.groups:
        group_ids = {g.id for g in tenant.groups_of(call.caller.id, transitive=True) if g.is_assignable_to_role}
        if group_ids:
            for a in tenant.directory_role_assignments.values():
                if a.principal_id in group_ids:
                    role = catalog.entra_role(a.role_definition_id)
                    if role is not None:
                        held.add(role["displayName"])
    return held


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


def require_role_write(call: GraphCall) -> None:
    if is_app(call) and ROLE_WRITE_ROLE in token_roles(call):
        return
    if directory_roles(call) & ROLE_WRITE_DIRECTORY_ROLES:
        return
    raise denied()


def require_member_write(call: GraphCall, role_assignable: bool) -> None:
    """Adding or removing a member; a role-assignable group also needs RoleManagement.ReadWrite.Directory (app)
    or Privileged Role Administrator (user), per api-reference/v1.0/api/group-post-members.md."""
    if is_app(call):
        roles = token_roles(call)
        if roles & MEMBER_WRITE_ROLES and (not role_assignable or ROLE_WRITE_ROLE in roles):
            return
    held = directory_roles(call)
    if role_assignable:
        if held & ROLE_WRITE_DIRECTORY_ROLES:
            return
    elif held & MEMBER_WRITE_DIRECTORY_ROLES:
        return
    raise denied()
