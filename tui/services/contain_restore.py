"""The Session's "many rights at once": containment (remove every right of an identity in one reviewed plan) and
restore (put back what a restore file lists), issue #14. A mixin of :class:`tui.services.session.Session`, kept apart
so the session stays a readable list of one-right operations."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui import version
from tui.services.audit import AuditLog
from tui.services.backend import Backend
from tui.services.containment import (
    ContainmentPlan,
    PlanResults,
    RestoreFile,
    attached_resources,
    check_tenant,
    restore_file_of,
    rights_to_contain,
    write_restore_file,
)
from tui.services.directory_roles import builtin_directory_roles
from tui.services.errors import InvalidInput, NotFound, ReadOnlyRefused
from tui.services.grants import classified_app
from tui.services.joins import classified_directory_role, classified_role, definition_guid
from tui.services.lookups import find_role_assignment
from tui.services.models import (
    AppRole,
    Caller,
    DirectoryRoleDefinition,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    ResourceApp,
    RoleDefinition,
)
from tui.services.odata import guid
from tui.services.plans import (
    Change,
    Plan,
    app_role_revoke_plan,
    directory_role_removal_plan,
    role_assignment_plan,
    role_removal_plan,
)


class ContainAndRestore:
    """Needs from the Session: its backend, audit log, read-only flag, tenant, Graph URL, and its one-right reads,
    plans and :meth:`apply`."""

    _backend: Backend
    audit: AuditLog
    read_only: bool

    if TYPE_CHECKING:

        @property
        def tenant_id(self) -> str: ...

        @property
        def graph_url(self) -> str: ...

        def _safe_caller(self) -> Caller | None: ...

        async def apply(self, plan: Plan) -> Change: ...

        async def role_definitions(self, scope: str) -> list[RoleDefinition]: ...

        async def resource_app(self, app_id: str = ...) -> ResourceApp: ...

        async def plan_directory_role_grant(
            self, identity: ManagedIdentity, role: DirectoryRoleDefinition, directory_scope_id: str = "/"
        ) -> Plan: ...

        async def plan_app_role_grant(self, identity: ManagedIdentity, app: ResourceApp, role: AppRole) -> Plan: ...

        async def plan_detach_user_identity(self, resource_id: str, identity: ManagedIdentity) -> Plan: ...

        async def plan_attach_user_identity(
            self, resource_id: str, identity: ManagedIdentity, inventory: Inventory | None = None
        ) -> Plan: ...

    async def plan_containment(
        self, identity: ManagedIdentity, inventory: Inventory, *, detach: bool = False
    ) -> ContainmentPlan:
        """One plan removing every right ``identity`` holds directly (as ``inventory`` knows them), each checked
        against what is there now; the rights it holds through groups are listed, never touched. ``detach``: a
        user-assigned identity is also detached from every resource it is attached to (restore attaches it again)."""
        principal_id = guid(identity.principal_id, "principal id")
        rights = rights_to_contain(inventory, identity)
        items: list[Plan] = []
        if rights.roles:
            found = await asyncio.gather(*(self._backend.get_role_assignment(ra.id) for ra in rights.roles))
            items += [
                role_removal_plan(identity, ra, now is not None) for ra, now in zip(rights.roles, found, strict=True)
            ]
        if rights.directory_roles:
            held = {a.id for a in await self._backend.list_directory_role_assignments_of(principal_id)}
            items += [
                directory_role_removal_plan(identity, a, a.id in held, self.graph_url) for a in rights.directory_roles
            ]
        if rights.app_roles:
            grants = (await self._backend.list_app_role_assignments([principal_id])).get(principal_id.lower(), [])
            granted = {g.id for g in grants}
            items += [app_role_revoke_plan(identity, g, g.id in granted, self.graph_url) for g in rights.app_roles]
        if detach and identity.kind is IdentityKind.USER:
            for rid in attached_resources(identity):
                try:
                    items.append(await self.plan_detach_user_identity(rid, identity))
                except NotFound:
                    continue  # (the resource is gone: nothing to detach)
        return ContainmentPlan(identity, tuple(items), rights.through_groups)

    async def contain(
        self,
        plan: ContainmentPlan,
        progress: Callable[[int, Change], None] | None = None,
        restore_dir: str | os.PathLike[str] | None = None,
    ) -> PlanResults:
        """Write the restore file (in the state directory, next to the audit log, unless told), then apply each
        removal: one audit line each, past failures; the outcome says each item's result and where the file is.
        Refused in read-only mode before anything is written or sent."""
        if self.read_only:
            self._refuse(plan.items)
        restore = restore_file_of(plan, self.tenant_id)
        path = write_restore_file(restore, Path(restore_dir) if restore_dir else self.audit.path.parent, version())
        return PlanResults(await self.apply_each(plan.items, progress), path)

    async def apply_each(
        self, plans: Sequence[Plan], progress: Callable[[int, Change], None] | None = None
    ) -> tuple[Change, ...]:
        """Apply ``plans`` one after the other, each idempotently (already there / gone = nothing sent), going on past
        a failure; ``progress(i, change)`` after each. Read-only: refused before anything is sent."""
        if self.read_only:
            self._refuse(plans)
        changes: list[Change] = []
        for i, plan in enumerate(plans):
            change = await self.apply(plan)
            changes.append(change)
            if progress is not None:
                progress(i, change)
        return tuple(changes)

    def _refuse(self, plans: Sequence[Plan]) -> None:
        """Log the refusal of the first item (as apply does) and raise ReadOnlyRefused."""
        for plan in plans[:1]:
            op = self.audit.intent(plan, self._safe_caller(), self.tenant_id, self.cloud_name, read_only=True)
            change = Change(plan, "refused", plan.existing_id, "Read-only mode: nothing was sent.", ())
            self.audit.outcome(op, change, self._safe_caller(), self.tenant_id, self.cloud_name)
        raise ReadOnlyRefused(
            "Read-only mode: no change was sent",
            "start mitui without --read-only (or change the config) to make changes",
        )

    async def plan_restore(self, restore: RestoreFile) -> list[Plan]:
        """The plans that put back what a restore file lists, through the same plan path as one grant each (a right
        already there is planned as such: nothing is sent for it). Refuses a file written for another tenant."""
        check_tenant(restore, self.tenant_id)
        identity = restore.identity
        plans: list[Plan] = []
        for r in restore.roles:
            role = await self._role_definition(r.scope, r.role_definition_id, r.role_name)
            existing = await find_role_assignment(self._backend, r.scope, identity.principal_id, role.id)
            plans.append(
                role_assignment_plan(
                    identity,
                    role,
                    r.scope,
                    existing,
                    condition=r.condition,
                    condition_version=r.condition_version,
                    description=r.description,
                )
            )
        for d in restore.directory_roles:
            definition = await self._directory_role_definition(d.role_definition_id, d.role_name)
            plans.append(await self.plan_directory_role_grant(identity, definition, d.directory_scope_id))
        apps: dict[str, ResourceApp] = {}
        for g in restore.app_roles:
            app = apps.get(g.resource_id.lower())
            if app is None:
                app = await self._resource_app_of(g.resource_id, g.resource_app_id, g.resource_name)
                apps[g.resource_id.lower()] = app
            app_role = app.role(g.app_role_id) or AppRole(g.app_role_id, g.app_role_value or g.app_role_id)
            plans.append(await self.plan_app_role_grant(identity, app, app_role))
        for rid in restore.detached_resources:
            plans.append(await self.plan_attach_user_identity(rid, identity))
        return plans

    async def _role_definition(self, scope: str, role_definition_id: str, role_name: str) -> RoleDefinition:
        want = definition_guid(role_definition_id)
        for rd in await self.role_definitions(scope):
            if definition_guid(rd.id) == want:
                return rd
        # (a custom role not listed at that scope: recreate with the id as written; Azure says if it is gone)
        return classified_role(RoleDefinition(role_definition_id, want, role_name or want))

    async def _directory_role_definition(self, role_id: str, role_name: str) -> DirectoryRoleDefinition:
        for role in builtin_directory_roles():
            if role.id.lower() == role_id.lower():
                return role
        for role in await self._backend.list_directory_role_definitions():
            if role.id.lower() == role_id.lower():
                return classified_directory_role(role)
        return classified_directory_role(DirectoryRoleDefinition(role_id, role_name or role_id, is_built_in=False))

    async def _resource_app_of(self, resource_id: str, app_id: str, name: str) -> ResourceApp:
        if app_id:
            try:
                app = await self.resource_app(app_id)
                if app.id.lower() == resource_id.lower():
                    return app
            except (NotFound, InvalidInput):
                pass
        return classified_app(ResourceApp(resource_id, app_id, name or resource_id))
