"""Which directory audit a Graph write leaves (activity names as Entra's audit log writes them)."""

from __future__ import annotations

from typing import Any

from tui.emulator.graph.call import V1
from tui.emulator.tenant import ServicePrincipal, Tenant, User

# (method, route template below /v1.0) -> (activity, category, operation type, target kind, target parameter)
AUDITED: dict[tuple[str, str], tuple[str, str, str, str, str]] = {
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignments"): (
        "Add app role assignment to service principal", "ApplicationManagement", "Assign", "ServicePrincipal", "sp_id"),
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignedTo"): (
        "Add app role assignment to service principal", "ApplicationManagement", "Assign", "ServicePrincipal", "sp_id"),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}"): (
        "Remove app role assignment from service principal", "ApplicationManagement", "Unassign", "ServicePrincipal",
        "sp_id"),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}"): (
        "Remove app role assignment from service principal", "ApplicationManagement", "Unassign", "ServicePrincipal",
        "sp_id"),
    ("POST", "/roleManagement/directory/roleAssignments"): (
        "Add member to role", "RoleManagement", "Assign", "Role", ""),
    ("DELETE", "/roleManagement/directory/roleAssignments/{assignment_id}"): (
        "Remove member from role", "RoleManagement", "Unassign", "Role", "assignment_id"),
    ("POST", "/groups/{group_id}/members/$ref"): ("Add member to group", "GroupManagement", "Assign", "Group",
                                                   "group_id"),
    ("DELETE", "/groups/{group_id}/members/{member_id}/$ref"): (
        "Remove member from group", "GroupManagement", "Unassign", "Group", "group_id"),
    ("PATCH", "/servicePrincipals/{sp_id}"): ("Update service principal", "ApplicationManagement", "Update",
                                              "ServicePrincipal", "sp_id"),
    ("DELETE", "/servicePrincipals/{sp_id}"): ("Remove service principal", "ApplicationManagement", "Delete",
                                               "ServicePrincipal", "sp_id"),
}  # fmt: skip


def audit_of(
    method: str, template: str, params: dict[str, str], tenant: Tenant
) -> tuple[str, str, str, list[dict[str, Any]]] | None:
    """(activity, category, operation type, target resources) of a Graph write, None for one not audited."""
    found = AUDITED.get((method.upper(), template.removeprefix(V1)))
    if found is None:
        return None
    activity, category, operation_type, kind, param = found
    target_id = params.get(param, "") if param else ""
    name = ""
    obj = tenant.directory_object(target_id) if target_id else None
    if obj is not None:
        name = getattr(obj, "display_name", "")
    return (
        activity,
        category,
        operation_type,
        [{"id": target_id, "displayName": name, "type": kind, "userPrincipalName": None, "modifiedProperties": []}],
    )


def initiated_by(caller: User | ServicePrincipal) -> dict[str, Any]:
    """``initiatedBy`` of an audit: the app (a service principal, a managed identity too) or the user."""
    if isinstance(caller, ServicePrincipal):
        return {
            "app": {
                "appId": caller.app_id,
                "displayName": caller.display_name,
                "servicePrincipalId": caller.id,
                "servicePrincipalName": caller.display_name,
            },
            "user": None,
        }
    return {
        "app": None,
        "user": {
            "id": caller.id,
            "displayName": caller.display_name,
            "userPrincipalName": caller.user_principal_name,
            "ipAddress": "127.0.0.1",
        },
    }
