"""The Entra half of :class:`tui.emulator.builder.TenantBuilder`: Microsoft Graph app role grants, security groups
and their members, and directory role assignments, with the invariants Entra keeps (an app role grant names a role
the resource app defines, once per principal; only a role-assignable group holds a directory role; a group is not a
member of itself)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tui.emulator import catalog
from tui.emulator.ids import app_role_assignment_id, directory_role_assignment_id
from tui.emulator.tenant import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    Group,
    Resource,
    ServicePrincipal,
    Tenant,
    User,
)

Principal = User | ServicePrincipal


class EntraBuilder:
    """A mixin: the TenantBuilder provides the tenant, its id and time sources and the grant index."""

    tenant: Tenant
    _grant_index: set[tuple[str, str, str]]
    _app_roles_of: dict[str, dict[str, dict]]

    if TYPE_CHECKING:

        def _guid(self, kind: str, key: str) -> str: ...

        def _digest(self, kind: str, key: str) -> bytes: ...

        def _now(self) -> str: ...

        def _principal_id(self, principal: Principal | Resource | Group | str) -> tuple[str, str]: ...

    # --- Microsoft Graph app roles ---------------------------------------------------------------------------
    def grant_app_role(
        self,
        principal: ServicePrincipal | Resource | str,
        resource_sp: ServicePrincipal | str,
        app_role: str,
    ) -> AppRoleAssignment:
        """Grant ``principal`` the app role (by value or id) that ``resource_sp`` defines."""
        if isinstance(principal, ServicePrincipal | User):
            pid = principal.id
        else:
            pid, _ = self._principal_id(principal)
        found_principal = self.tenant.principal(pid)
        if found_principal is None:
            raise ValueError(f"principal {pid} does not exist")
        pid = found_principal.id
        if isinstance(resource_sp, str):
            found = self.tenant.service_principals.get(resource_sp.lower()) or self.tenant.service_principal_by_app_id(
                resource_sp
            )
            if found is None:
                raise ValueError(f"resource service principal {resource_sp!r} does not exist")
            resource_sp = found
        roles = self._app_roles_of.get(resource_sp.id)
        if roles is None or len(roles) != 2 * len(resource_sp.app_roles):
            roles = {r["value"]: r for r in resource_sp.app_roles} | {r["id"]: r for r in resource_sp.app_roles}
            self._app_roles_of[resource_sp.id] = roles
        role = roles.get(app_role)
        if role is None:
            raise ValueError(f"{resource_sp.display_name!r} defines no app role {app_role!r}")
        index_key = (pid, resource_sp.id, role["id"].lower())
        if index_key in self._grant_index:
            raise ValueError(f"{role['value']!r} is already granted to {pid}")
        grant = AppRoleAssignment(
            id=app_role_assignment_id(pid, self._digest("grant", f"{pid}|{resource_sp.id}|{role['id']}")),
            principal_id=pid,
            resource_id=resource_sp.id,
            app_role_id=role["id"],
            created_date_time=self._now(),
        )
        self.tenant.app_role_assignments[grant.id] = grant
        self._grant_index.add(index_key)
        return grant

    # --- Entra groups and directory roles ---------------------------------------------------------------------
    def add_group(
        self,
        display_name: str,
        *,
        description: str | None = None,
        is_assignable_to_role: bool = False,
        members: Iterable[Principal | Resource | Group | str] = (),
        mail_nickname: str | None = None,
    ) -> Group:
        """A security group (``isAssignableToRole`` can only be set at creation, as in Entra)."""
        nickname = mail_nickname or re.sub(r"[^A-Za-z0-9._-]", "", display_name) or "group"
        group = Group(
            id=self._guid("group", display_name),
            display_name=display_name,
            description=description,
            mail_nickname=nickname,
            is_assignable_to_role=is_assignable_to_role,
            created_date_time=self._now(),
        )
        self.tenant.groups[group.id] = group
        for member in members:
            self.add_group_member(group, member)
        return group

    def _object_id(self, obj: Principal | Resource | Group | str) -> str:
        if isinstance(obj, Group):
            return obj.id
        if isinstance(obj, str) and obj.lower() in self.tenant.groups:
            return obj.lower()
        return self._principal_id(obj)[0].lower()

    def add_group_member(self, group: Group | str, member: Principal | Resource | Group | str) -> None:
        found = group if isinstance(group, Group) else self.tenant.groups.get(group.lower())
        if found is None:
            raise ValueError(f"group {group!r} does not exist")
        member_id = self._object_id(member)
        if self.tenant.directory_object(member_id) is None:
            raise ValueError(f"directory object {member_id} does not exist")
        if member_id == found.id:
            raise ValueError("a group cannot be a member of itself")
        if not self.tenant.add_member(found, member_id):
            raise ValueError(f"{member_id} is already a member of {found.display_name!r}")

    def assign_directory_role(
        self, principal: Principal | Resource | Group | str, role: str, *, directory_scope_id: str = "/"
    ) -> DirectoryRoleAssignment:
        """Assign the built-in Entra role ``role`` (display name or template id) to a user, a service principal
        (or the identity of a resource) or a role-assignable group."""
        definition = catalog.entra_role(role)
        if definition is None:
            raise ValueError(f"Entra has no built-in directory role {role!r}")
        pid = self._object_id(principal)
        holder = self.tenant.directory_object(pid)
        if holder is None:
            raise ValueError(f"directory object {pid} does not exist")
        if isinstance(holder, Group) and not holder.is_assignable_to_role:
            raise ValueError(f"group {holder.display_name!r} is not role-assignable")
        aid = directory_role_assignment_id(definition["id"], pid)
        if aid in self.tenant.directory_role_assignments:
            raise ValueError(f"{definition['displayName']!r} is already assigned to {pid}")
        assignment = DirectoryRoleAssignment(
            id=aid, principal_id=pid, role_definition_id=definition["id"], directory_scope_id=directory_scope_id
        )
        self.tenant.directory_role_assignments[aid] = assignment
        if isinstance(holder, User | ServicePrincipal) and definition["displayName"] not in holder.directory_roles:
            holder.directory_roles.append(definition["displayName"])
        return assignment
