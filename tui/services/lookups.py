"""Finding one right as it is now: the reads a plan and a write check against (is it already there? did it land?)."""

from __future__ import annotations

from tui.services.backend import Backend
from tui.services.joins import definition_guid
from tui.services.models import AppRoleAssignment, DirectoryRoleAssignment, RoleAssignment
from tui.services.scopes import scope_key


async def find_role_assignment(
    backend: Backend, scope: str, principal_id: str, role_definition_id: str
) -> RoleAssignment | None:
    """The principal's assignment of that role exactly at ``scope`` (not inherited), if there is one."""
    want_scope, want_role = scope_key(scope), definition_guid(role_definition_id)
    for ra in await backend.list_role_assignments_for_principal(scope, principal_id):
        if (
            scope_key(ra.scope) == want_scope
            and definition_guid(ra.role_definition_id) == want_role
            and ra.principal_id.lower() == principal_id.lower()
        ):
            return ra
    return None


async def find_grant(
    backend: Backend, principal_id: str, resource_id: str, app_role_id: str
) -> AppRoleAssignment | None:
    """The principal's grant of that app role of that resource app, if there is one."""
    grants = (await backend.list_app_role_assignments([principal_id])).get(principal_id.lower(), [])
    for g in grants:
        if g.resource_id.lower() == resource_id.lower() and g.app_role_id.lower() == app_role_id.lower():
            return g
    return None


async def find_directory_role(
    backend: Backend, principal_id: str, role_definition_id: str, directory_scope_id: str
) -> DirectoryRoleAssignment | None:
    """The principal's own assignment of that directory role at that directory scope, if there is one."""
    for a in await backend.list_directory_role_assignments_of(principal_id):
        if (
            a.role_definition_id.lower() == role_definition_id.lower()
            and a.directory_scope_id == directory_scope_id
            and a.principal_id.lower() == principal_id.lower()
        ):
            return a
    return None
