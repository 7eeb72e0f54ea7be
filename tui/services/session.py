"""The Session: the one object the UI holds. Reads, plans and applies changes; enforces read-only mode.

Every write goes through :meth:`Session.apply`, which

* refuses in read-only mode before anything is sent (:class:`ReadOnlyRefused`), and logs the refusal;
* logs its intent to the audit log before sending and its outcome after (also on failure);
* is idempotent: a plan whose change is already there does nothing; a duplicate answered by Azure
  (409 RoleAssignmentExists, Graph "already exists") is reported as already there;
* retries a fresh identity's PrincipalNotFound with bounded backoff;
* reconciles a lost response (the connection dropped after the service may have committed) by reading back,
  never by blindly sending again;
* reads the result back.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui import version
from tui.services.audit import AuditLog
from tui.services.backend import Backend
from tui.services.containment import (
    ContainmentPlan,
    PlanResults,
    RestoreFile,
    check_tenant,
    restore_file_of,
    rights_to_contain,
    write_restore_file,
)
from tui.services.directory_roles import builtin_directory_roles
from tui.services.errors import (
    AlreadyExists,
    InvalidInput,
    MituiError,
    NotFound,
    ReadOnlyRefused,
    ServiceError,
    Throttled,
    Unreachable,
)
from tui.services.inventory import load_inventory as _load_inventory
from tui.services.joins import (
    classified_app,
    classified_app_role,
    classified_directory_role,
    classified_role,
    definition_guid,
    resolve_grant,
)
from tui.services.models import (
    AppRole,
    AppRoleAssignment,
    Caller,
    DirectoryRoleAssignment,
    DirectoryRoleDefinition,
    FederatedCredential,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    Progress,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
)
from tui.services.odata import arm_id, guid, role_definition_id
from tui.services.plans import (
    Change,
    Outcome,
    Plan,
    PlanAction,
    app_role_grant_plan,
    app_role_revoke_plan,
    directory_role_grant_plan,
    directory_role_removal_plan,
    role_assignment_plan,
    role_removal_plan,
)
from tui.services.privilege import MICROSOFT_GRAPH_APP_ID
from tui.services.scopes import scope_key

# The progress step that reports a retried request while loading.
RETRYING = "retrying"

# A write whose response was lost: reconcile by reading back.
_UNCERTAIN = (Unreachable, ServiceError, Throttled)


@dataclass
class _Attempt:
    outcome: Outcome
    assignment_id: str | None
    message: str


class Session:
    def __init__(
        self,
        backend: Backend,
        *,
        read_only: bool = False,
        demo: bool = False,
        audit: AuditLog | None = None,
        principal_retry_delays: Sequence[float] = (2.0, 4.0, 8.0, 16.0),
        uncertain_retries: int = 2,
        on_close: Sequence[Callable[[], Awaitable[None] | None]] = (),
    ) -> None:
        self._backend = backend
        self.read_only = read_only
        self.demo = demo
        self.audit = audit or AuditLog()
        self.principal_retry_delays = tuple(principal_retry_delays)
        self.uncertain_retries = uncertain_retries
        self._on_close = list(on_close)
        self._definitions: dict[str, list[RoleDefinition]] = {}
        self._closed = False

    # --- who and where ------------------------------------------------------------------------------------------
    @property
    def cloud_name(self) -> str:
        return self._backend.cloud_name

    @property
    def tenant_id(self) -> str:
        return self._backend.tenant_id

    @property
    def caller(self) -> Caller:
        return self._backend.caller

    @property
    def graph_url(self) -> str:
        return self._backend.graph_url

    @property
    def arm_url(self) -> str:
        return self._backend.arm_url

    @property
    def backend(self) -> Backend:
        return self._backend

    # --- reads --------------------------------------------------------------------------------------------------
    async def load_inventory(
        self,
        subscription_ids: list[str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        on_partial: Callable[[Inventory], None] | None = None,
    ) -> Inventory:
        """``on_partial``: what has arrived so far, while loading (see tui.services.inventory.load_inventory).
        Requests retried while loading (throttling, 5xx, dropped connections) are reported to ``progress`` as steps
        named "retrying", so a slow load shows why."""
        if progress is None:
            return await _load_inventory(self._backend, subscription_ids, progress, on_partial=on_partial)
        retried = 0

        def on_retry(what: str) -> None:
            nonlocal retried
            retried += 1
            progress(Progress(RETRYING, retried, 0, what))

        self._backend.set_retry_listener(on_retry)
        try:
            return await _load_inventory(self._backend, subscription_ids, progress, on_partial=on_partial)
        finally:
            self._backend.set_retry_listener(None)

    async def role_definitions(self, scope: str) -> list[RoleDefinition]:
        scope = arm_id(scope)
        key = scope_key(scope)
        if key not in self._definitions:
            rds = await self._backend.list_role_definitions(scope)
            rds = [classified_role(rd) for rd in rds]
            rds.sort(key=lambda r: (r.role_name.lower(), r.name))
            self._definitions[key] = rds
        return list(self._definitions[key])

    async def child_scopes(self, scope: str) -> list[tuple[str, str, ScopeLevel]]:
        return await self._backend.child_scopes(arm_id(scope))

    async def resource_app(self, app_id: str = MICROSOFT_GRAPH_APP_ID) -> ResourceApp:
        app_id = guid(app_id, "application (client) id")
        app = await self._backend.get_resource_app(app_id)
        if app is None:
            raise NotFound(
                "No such resource app in this tenant", f"no service principal has appId {app_id}", code="NotFound"
            )
        return classified_app(app)

    async def search_resource_apps(self, text: str) -> list[ResourceApp]:
        text = (text or "").strip()
        if len(text) > 256:
            raise InvalidInput("Search text too long", "at most 256 characters")
        return [classified_app(a) for a in await self._backend.search_resource_apps(text)]

    async def app_role_holders(self, app: ResourceApp) -> list[AppRoleAssignment]:
        app = classified_app(app)
        grants = await self._backend.list_app_role_assigned_to([guid(app.id, "service principal id")])
        out = [resolve_grant(g, app) for g in grants]
        out.sort(key=lambda g: (-g.privilege.rank, g.app_role_value.lower(), g.principal_display_name.lower()))
        return out

    async def federated_credentials(self, identity: ManagedIdentity) -> list[FederatedCredential]:
        if identity.kind is not IdentityKind.USER:
            return []
        return await self._backend.list_federated_credentials(arm_id(identity.resource_id, "identity id"))

    # --- plans --------------------------------------------------------------------------------------------------
    async def plan_role_assignment(self, identity: ManagedIdentity, role: RoleDefinition, scope: str) -> Plan:
        scope = arm_id(scope)
        principal_id = guid(identity.principal_id, "principal id")
        role_definition_id(role.id)  # validated before anything is sent (it goes into the request and the commands)
        role = classified_role(role)
        existing = await self._find_role_assignment(scope, principal_id, role.id)
        return role_assignment_plan(identity, role, scope, existing)

    async def plan_role_removal(self, identity: ManagedIdentity, assignment: RoleAssignment) -> Plan:
        arm_id(assignment.id, "role assignment id")
        refuse_through_group(identity, assignment)
        current = await self._backend.get_role_assignment(assignment.id)
        return role_removal_plan(identity, assignment, current is not None)

    async def plan_app_role_grant(self, identity: ManagedIdentity, app: ResourceApp, role: AppRole) -> Plan:
        principal_id = guid(identity.principal_id, "principal id")
        guid(app.id, "resource app id")
        guid(role.id, "app role id")
        role = classified_app_role(app.app_id, role)
        existing = await self._find_grant(principal_id, app.id, role.id)
        return app_role_grant_plan(identity, app, role, existing, self.graph_url)

    async def plan_app_role_revoke(self, identity: ManagedIdentity, assignment: AppRoleAssignment) -> Plan:
        principal_id = guid(identity.principal_id, "principal id")
        grants = (await self._backend.list_app_role_assignments([principal_id])).get(principal_id, [])
        still = any(g.id == assignment.id for g in grants)
        return app_role_revoke_plan(identity, assignment, still, self.graph_url)

    async def plan_directory_role_grant(
        self, identity: ManagedIdentity, role: DirectoryRoleDefinition, directory_scope_id: str = "/"
    ) -> Plan:
        principal_id = guid(identity.principal_id, "principal id")
        guid(role.id, "directory role id")  # validated before anything is sent (it goes into the commands)
        role = classified_directory_role(role)
        existing = await self._find_directory_role(principal_id, role.id, directory_scope_id)
        return directory_role_grant_plan(identity, role, existing, self.graph_url, directory_scope_id)

    async def plan_directory_role_removal(self, identity: ManagedIdentity, assignment: DirectoryRoleAssignment) -> Plan:
        principal_id = guid(identity.principal_id, "principal id")
        refuse_through_group(identity, assignment)
        held = await self._backend.list_directory_role_assignments_of(principal_id)
        still = any(a.id == assignment.id for a in held)
        return directory_role_removal_plan(identity, assignment, still, self.graph_url)

    async def _find_directory_role(
        self, principal_id: str, role_definition_id: str, directory_scope_id: str
    ) -> DirectoryRoleAssignment | None:
        for a in await self._backend.list_directory_role_assignments_of(principal_id):
            if (
                a.role_definition_id.lower() == role_definition_id.lower()
                and a.directory_scope_id == directory_scope_id
                and a.principal_id.lower() == principal_id.lower()
            ):
                return a
        return None

    async def _find_role_assignment(
        self, scope: str, principal_id: str, role_definition_id: str
    ) -> RoleAssignment | None:
        want_scope, want_role = scope_key(scope), definition_guid(role_definition_id)
        for ra in await self._backend.list_role_assignments_for_principal(scope, principal_id):
            if (
                scope_key(ra.scope) == want_scope
                and definition_guid(ra.role_definition_id) == want_role
                and ra.principal_id.lower() == principal_id.lower()
            ):
                return ra
        return None

    async def _find_grant(self, principal_id: str, resource_id: str, app_role_id: str) -> AppRoleAssignment | None:
        grants = (await self._backend.list_app_role_assignments([principal_id])).get(principal_id.lower(), [])
        for g in grants:
            if g.resource_id.lower() == resource_id.lower() and g.app_role_id.lower() == app_role_id.lower():
                return g
        return None

    # --- many rights at once: containment and restore (issue #14) ---------------------------------------------
    async def plan_containment(self, identity: ManagedIdentity, inventory: Inventory) -> ContainmentPlan:
        """One plan removing every right ``identity`` holds directly (as ``inventory`` knows them), each checked
        against what is there now; the rights it holds through groups are listed, never touched."""
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
            existing = await self._find_role_assignment(r.scope, identity.principal_id, role.id)
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

    # --- apply --------------------------------------------------------------------------------------------------
    async def apply(self, plan: Plan) -> Change:
        op = self.audit.intent(plan, self._safe_caller(), self.tenant_id, self.cloud_name, read_only=self.read_only)
        if self.read_only:
            change = Change(plan, "refused", plan.existing_id, "Read-only mode: nothing was sent.", ())
            self.audit.outcome(op, change, self._safe_caller(), self.tenant_id, self.cloud_name)
            raise ReadOnlyRefused(
                "Read-only mode: no change was sent",
                "start mitui without --read-only (or change the config) to make changes",
            )
        request_ids: list[str] = []
        error: MituiError | None = None
        try:
            if plan.nothing_to_do:
                result = _Attempt("already-there", plan.existing_id, _already_message(plan))
            elif plan.action is PlanAction.ASSIGN_ROLE:
                result = await self._assign(plan, request_ids)
            elif plan.action is PlanAction.REMOVE_ROLE:
                result = await self._remove(plan, request_ids)
            elif plan.action is PlanAction.GRANT_APP_ROLE:
                result = await self._grant(plan, request_ids)
            elif plan.action is PlanAction.GRANT_DIRECTORY_ROLE:
                result = await self._grant_directory_role(plan, request_ids)
            elif plan.action is PlanAction.REMOVE_DIRECTORY_ROLE:
                result = await self._remove_directory_role(plan, request_ids)
            else:
                result = await self._revoke(plan, request_ids)
        except MituiError as err:
            error = err
            if err.request_id:
                request_ids.append(err.request_id)
            result = _Attempt("failed", None, err.one_line())
        except Exception as err:  # never let an unexpected error leave the audit log without an outcome
            error = MituiError("Unexpected error while applying the change", f"{type(err).__name__}: {err}")
            result = _Attempt("failed", None, error.one_line())
        change = Change(
            plan, result.outcome, result.assignment_id, result.message, tuple(dict.fromkeys(request_ids)), error
        )
        self.audit.outcome(op, change, self._safe_caller(), self.tenant_id, self.cloud_name)
        return change

    def _safe_caller(self) -> Caller | None:
        try:
            return self.caller
        except Exception:
            return None

    async def _assign(self, plan: Plan, request_ids: list[str]) -> _Attempt:
        scope, principal_id, role_id = plan.target_id, plan.identity.principal_id, plan.right_id
        name = str(uuid.uuid4())
        delays = list(self.principal_retry_delays)
        uncertain = self.uncertain_retries
        while True:
            try:
                written = await self._backend.create_role_assignment(
                    scope,
                    name,
                    role_id,
                    principal_id,
                    condition=plan.condition,
                    condition_version=plan.condition_version,
                    description=plan.assignment_description,
                )
                request_ids.extend(written.request_ids)
                ra = written.value
                assignment_id = ra.id if isinstance(ra, RoleAssignment) else None
                break
            except AlreadyExists as err:
                _add_id(request_ids, err)
                found = await self._find_role_assignment(scope, principal_id, role_id)
                if found is not None and found.name.lower() == name.lower():
                    return await self._confirm_role(found.id, "Role assigned (confirmed by reading back).", request_ids)
                return _Attempt(
                    "already-there", found.id if found else None, "An identical role assignment already exists."
                )
            except NotFound as err:
                _add_id(request_ids, err)
                if err.code != "PrincipalNotFound" or not delays:
                    raise
                await asyncio.sleep(delays.pop(0))  # a fresh identity: the directory has not replicated it yet
            except _UNCERTAIN as err:
                _add_id(request_ids, err)
                found = await self._find_role_assignment(scope, principal_id, role_id)
                if found is not None:
                    if found.name.lower() == name.lower():
                        return await self._confirm_role(
                            found.id, "Role assigned (the response was lost; read back).", request_ids
                        )
                    return _Attempt("already-there", found.id, "An identical role assignment already exists.")
                if uncertain <= 0:
                    raise
                uncertain -= 1  # not committed: sending again with the same name is safe
        return await self._confirm_role(assignment_id, "Role assigned.", request_ids)

    async def _confirm_role(self, assignment_id: str | None, message: str, request_ids: list[str]) -> _Attempt:
        if assignment_id is None:
            return _Attempt("applied", None, message)
        back = await self._backend.get_role_assignment(assignment_id)
        if back is None:
            return _Attempt("failed", assignment_id, "Azure accepted the assignment but it cannot be read back.")
        return _Attempt("applied", back.id, message)

    async def _remove(self, plan: Plan, request_ids: list[str]) -> _Attempt:
        assignment_id = plan.existing_id or ""
        uncertain = self.uncertain_retries
        while True:
            try:
                written = await self._backend.delete_role_assignment(assignment_id)
                request_ids.extend(written.request_ids)
                if written.value is None:
                    # 204: it was not there any more
                    return _Attempt("already-there", assignment_id, "The role assignment was already gone.")
                break
            except NotFound as err:
                _add_id(request_ids, err)
                return _Attempt("already-there", assignment_id, "The role assignment was already gone.")
            except _UNCERTAIN as err:
                _add_id(request_ids, err)
                if await self._backend.get_role_assignment(assignment_id) is None:
                    return _Attempt(
                        "applied", assignment_id, "Role assignment removed (the response was lost; read back)."
                    )
                if uncertain <= 0:
                    raise
                uncertain -= 1
        if await self._backend.get_role_assignment(assignment_id) is not None:
            return _Attempt("failed", assignment_id, "Azure accepted the removal but the assignment is still there.")
        return _Attempt("applied", assignment_id, "Role assignment removed.")

    async def _grant(self, plan: Plan, request_ids: list[str]) -> _Attempt:
        principal_id, resource_id, role_id = plan.identity.principal_id, plan.target_id, plan.right_id
        uncertain = self.uncertain_retries
        delays = list(self.principal_retry_delays)
        while True:
            try:
                written = await self._backend.create_app_role_assignment(principal_id, resource_id, role_id)
                request_ids.extend(written.request_ids)
                break
            except AlreadyExists as err:
                _add_id(request_ids, err)
                found = await self._find_grant(principal_id, resource_id, role_id)
                return _Attempt("already-there", found.id if found else None, "This app role is already granted.")
            except NotFound as err:
                _add_id(request_ids, err)
                if not delays:
                    raise
                await asyncio.sleep(delays.pop(0))
            except _UNCERTAIN as err:
                _add_id(request_ids, err)
                found = await self._find_grant(principal_id, resource_id, role_id)
                if found is not None:
                    return _Attempt("applied", found.id, "App role granted (the response was lost; read back).")
                if uncertain <= 0:
                    raise
                uncertain -= 1
        found = await self._find_grant(principal_id, resource_id, role_id)
        if found is None:
            return _Attempt("failed", None, "Graph accepted the grant but it cannot be read back.")
        return _Attempt("applied", found.id, "App role granted.")

    async def _revoke(self, plan: Plan, request_ids: list[str]) -> _Attempt:
        principal_id, assignment_id = plan.identity.principal_id, plan.existing_id or ""
        uncertain = self.uncertain_retries

        async def still_there() -> bool:
            grants = (await self._backend.list_app_role_assignments([principal_id])).get(principal_id.lower(), [])
            return any(g.id == assignment_id for g in grants)

        while True:
            try:
                written = await self._backend.delete_app_role_assignment(principal_id, assignment_id)
                request_ids.extend(written.request_ids)
                break
            except NotFound as err:
                _add_id(request_ids, err)
                return _Attempt("already-there", assignment_id, "The app role grant was already gone.")
            except _UNCERTAIN as err:
                _add_id(request_ids, err)
                if not await still_there():
                    return _Attempt("applied", assignment_id, "App role revoked (the response was lost; read back).")
                if uncertain <= 0:
                    raise
                uncertain -= 1
        if await still_there():
            return _Attempt("failed", assignment_id, "Graph accepted the revocation but the grant is still there.")
        return _Attempt("applied", assignment_id, "App role revoked.")

    async def _grant_directory_role(self, plan: Plan, request_ids: list[str]) -> _Attempt:
        principal_id, role_id, scope = plan.identity.principal_id, plan.right_id, plan.target_id
        uncertain = self.uncertain_retries
        delays = list(self.principal_retry_delays)
        while True:
            try:
                written = await self._backend.create_directory_role_assignment(principal_id, role_id, scope)
                request_ids.extend(written.request_ids)
                break
            except AlreadyExists as err:
                _add_id(request_ids, err)
                found = await self._find_directory_role(principal_id, role_id, scope)
                return _Attempt("already-there", found.id if found else None, "This directory role is already held.")
            except NotFound as err:
                _add_id(request_ids, err)
                if not delays:
                    raise
                await asyncio.sleep(delays.pop(0))  # a fresh identity: the directory has not replicated it yet
            except _UNCERTAIN as err:
                _add_id(request_ids, err)
                found = await self._find_directory_role(principal_id, role_id, scope)
                if found is not None:
                    return _Attempt("applied", found.id, "Directory role granted (the response was lost; read back).")
                if uncertain <= 0:
                    raise
                uncertain -= 1
        found = await self._find_directory_role(principal_id, role_id, scope)
        if found is None:
            return _Attempt("failed", None, "Graph accepted the directory role but it cannot be read back.")
        return _Attempt("applied", found.id, "Directory role granted.")

    async def _remove_directory_role(self, plan: Plan, request_ids: list[str]) -> _Attempt:
        principal_id, assignment_id = plan.identity.principal_id, plan.existing_id or ""
        uncertain = self.uncertain_retries

        async def still_there() -> bool:
            return any(
                a.id == assignment_id for a in await self._backend.list_directory_role_assignments_of(principal_id)
            )

        while True:
            try:
                written = await self._backend.delete_directory_role_assignment(assignment_id)
                request_ids.extend(written.request_ids)
                break
            except NotFound as err:
                _add_id(request_ids, err)
                return _Attempt("already-there", assignment_id, "The directory role assignment was already gone.")
            except _UNCERTAIN as err:
                _add_id(request_ids, err)
                if not await still_there():
                    return _Attempt(
                        "applied", assignment_id, "Directory role removed (the response was lost; read back)."
                    )
                if uncertain <= 0:
                    raise
                uncertain -= 1
        if await still_there():
            return _Attempt(
                "failed", assignment_id, "Graph accepted the removal but the directory role is still there."
            )
        return _Attempt("applied", assignment_id, "Directory role removed.")

    # --- lifetime -----------------------------------------------------------------------------------------------
    def on_close(self, cleanup: Callable[[], Awaitable[None] | None]) -> None:
        """Call ``cleanup`` (awaited if it returns an awaitable) when the session closes, after its backend: e.g.
        stopping the sandbox tenant it talks to. Cleanups run in the order added."""
        self._on_close.append(cleanup)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._backend.close()
        finally:
            for fn in self._on_close:
                result = fn()
                if result is not None:
                    await result

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def refuse_through_group(identity: ManagedIdentity, right: RoleAssignment | DirectoryRoleAssignment) -> None:
    """A right held through a group is the group's: removing it from the identity would take it from every member.
    Raises InvalidInput naming the group."""
    if right.via is None:
        return
    group = right.via.group_name or right.via.group_id
    raise InvalidInput(
        f"{identity.name} holds this role through the group {group}",
        f"it cannot be removed from the identity alone: remove {identity.name} from the group {group}, or the role "
        "from the group (for every member)",
        code="HeldThroughGroup",
    )


def _add_id(request_ids: list[str], err: MituiError) -> None:
    if err.request_id:
        request_ids.append(err.request_id)


def _already_message(plan: Plan) -> str:
    if plan.action.adds:
        return (
            "Already granted: nothing was sent."
            if plan.action is PlanAction.GRANT_APP_ROLE
            else "Already there: nothing was sent."
        )
    return "Already gone: nothing was sent."


__all__ = ["Session", "Privilege"]
