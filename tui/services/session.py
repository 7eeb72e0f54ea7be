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

The writes themselves are in :mod:`tui.services.writers` (one per kind of plan), containment and restore in
:mod:`tui.services.contain_restore`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from tui.services.access import checked_scope
from tui.services.audit import AuditLog
from tui.services.automation_plans import AutomationPlans
from tui.services.backend import Backend
from tui.services.contain_restore import ContainAndRestore
from tui.services.errors import InvalidInput, MituiError, NotFound, ReadOnlyRefused
from tui.services.grants import classified_app, classified_app_role, resolve_grant
from tui.services.inventory import load_inventory as _load_inventory
from tui.services.joins import classified_directory_role, classified_role
from tui.services.lifecycle import IdentityLifecycle
from tui.services.lookups import find_directory_role, find_grant, find_role_assignment
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
    Plan,
    app_role_grant_plan,
    app_role_revoke_plan,
    directory_role_grant_plan,
    directory_role_removal_plan,
    role_assignment_plan,
    role_removal_plan,
)
from tui.services.privilege import MICROSOFT_GRAPH_APP_ID
from tui.services.refresh import Reread, answered, reread_after
from tui.services.scopes import role_at, scope_key
from tui.services.writers import Attempt, answers_to, write

# The progress step that reports a retried request while loading.
RETRYING = "retrying"
WAITING = "waiting"  # (a progress step: reads wait for a quota to come back)


class Session(ContainAndRestore, IdentityLifecycle, AutomationPlans):
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
        source: str = "auto",
    ) -> None:
        self._backend = backend
        self.source = source  # how the inventory reads the subscriptions: "auto", "arm" or "resource-graph"
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
    def about_to_load(self) -> None:
        """A screen will load the inventory as soon as it is drawn: the load's longest chain (Graph's pages of
        identities) starts now, its first round trip overlapping the drawing."""
        self._backend.read_identities_ahead()

    async def load_inventory(
        self,
        subscription_ids: list[str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        on_partial: Callable[[Inventory], None] | None = None,
    ) -> Inventory:
        """``on_partial``: what has arrived so far, while loading (see tui.services.inventory.load_inventory).
        Requests retried while loading (throttling, 5xx, dropped connections) are reported to ``progress`` as steps
        named "retrying", and waits for a quota (Resource Graph's) as steps named "waiting", so a slow load shows
        why."""
        if progress is None:
            return await _load_inventory(
                self._backend, subscription_ids, progress, on_partial=on_partial, source=self.source
            )
        retried = 0

        def on_retry(what: str) -> None:
            nonlocal retried
            retried += 1
            progress(Progress(RETRYING, retried, 0, what))

        self._backend.set_retry_listener(on_retry)
        self._backend.set_wait_listener(lambda what: progress(Progress(WAITING, 0, 0, what)))
        try:
            return await _load_inventory(
                self._backend, subscription_ids, progress, on_partial=on_partial, source=self.source
            )
        finally:
            self._backend.set_retry_listener(None)
            self._backend.set_wait_listener(None)

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
        """What is directly below ``scope``: "/" gives the management groups (the tenant root group when the caller
        sees it), a group its groups and subscriptions, a subscription its resource groups, a group its resources."""
        return await self._backend.child_scopes(arm_id(scope))

    async def check_scope(self, scope: str, principal_id: str) -> str:
        """A scope the admin typed or pasted, checked before anything is planned: well formed (else InvalidInput)
        and there (else ARM's NotFound): one listing of the principal's assignments at it, the read a plan makes."""
        scope = checked_scope(arm_id((scope or "").strip()))
        if scope == "/":
            raise InvalidInput("Not an assignable scope", "give a management group, subscription, group or resource")
        try:
            await self._backend.list_role_assignments_for_principal(scope, guid(principal_id, "principal id"))
        except NotFound as exc:
            raise NotFound(f"No such scope: {scope}", exc.title, code=exc.code, status=exc.status) from None
        return scope

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

    async def reread_after(self, inventory: Inventory, plans: Sequence[Plan], changes: Sequence[Change] = ()) -> Reread:
        """``inventory`` with only what ``plans`` touched read again (one request per identity and kind of right):
        the refresh after a change, instead of loading everything again. A role assignment that ``changes`` say
        was made and read back (or removed and checked gone) needs no request."""
        return await reread_after(self._backend, inventory, plans, self._safe_caller(), changes)

    def answered(self, inventory: Inventory, change: Change) -> Reread | None:
        """``inventory`` with the service's answer to a write applied (``change``: the provisional one that
        :meth:`apply` hands to ``landed``), without a request; None when the answer alone does not settle it."""
        return answered(inventory, change, self._safe_caller())

    # --- plans --------------------------------------------------------------------------------------------------
    async def plan_role_assignment(self, identity: ManagedIdentity, role: RoleDefinition, scope: str) -> Plan:
        scope = arm_id(scope)
        principal_id = guid(identity.principal_id, "principal id")
        role_definition_id(role.id)  # validated before anything is sent (it goes into the request and the commands)
        role = classified_role(role_at(role, scope))
        existing = await find_role_assignment(self._backend, scope, principal_id, role.id)
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
        existing = await find_grant(self._backend, principal_id, app.id, role.id)
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
        existing = await find_directory_role(self._backend, principal_id, role.id, directory_scope_id)
        return directory_role_grant_plan(identity, role, existing, self.graph_url, directory_scope_id)

    async def plan_directory_role_removal(self, identity: ManagedIdentity, assignment: DirectoryRoleAssignment) -> Plan:
        principal_id = guid(identity.principal_id, "principal id")
        refuse_through_group(identity, assignment)
        held = await self._backend.list_directory_role_assignments_of(principal_id)
        still = any(a.id == assignment.id for a in held)
        return directory_role_removal_plan(identity, assignment, still, self.graph_url)

    # --- apply --------------------------------------------------------------------------------------------------
    async def apply(self, plan: Plan, *, landed: Callable[[Change], None] | None = None) -> Change:
        """Carry out ``plan`` (see the module's docstring); the Change says how it went. ``landed`` (optional) is
        called on the event loop with a provisional Change as soon as the service answers the write itself, before
        it is read back: a UI may show it at once (the Change returned is what counts)."""
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

        def answer(right: object) -> None:
            if landed is not None:
                ids, made = tuple(dict.fromkeys(request_ids)), getattr(right, "id", None)
                landed(Change(plan, "applied", made, "Answered; reading it back.", ids, right=right))

        try:
            with answers_to(answer if landed is not None else None):
                result = await write(self, plan, request_ids)
        except MituiError as err:
            error = err
            if err.request_id:
                request_ids.append(err.request_id)
            result = Attempt("failed", None, err.one_line())
        except Exception as err:  # never let an unexpected error leave the audit log without an outcome
            error = MituiError("Unexpected error while applying the change", f"{type(err).__name__}: {err}")
            result = Attempt("failed", None, error.one_line())
        change = Change(
            plan,
            result.outcome,
            result.assignment_id,
            result.message,
            tuple(dict.fromkeys(request_ids)),
            error,
            right=result.right,
        )
        self.audit.outcome(op, change, self._safe_caller(), self.tenant_id, self.cloud_name)
        return change

    def _safe_caller(self) -> Caller | None:
        try:
            return self.caller
        except Exception:
            return None

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


__all__ = ["Session", "Privilege"]
