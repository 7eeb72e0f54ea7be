"""After a change: re-read only what the applied plans touched, and give back the inventory with it (issue #16,
"refresh without reloading").

A role assignment plan re-reads the identity's own assignments in the scope's subscription (or at the management
group / root it was made at): one ARM request. An app role plan re-reads the identity's grants, a directory role plan
its directory roles: one Graph request each. None of that when the write itself read its result back (a role
assignment or app role grant made, or one removed and checked gone): the refresh applies what the service answered.
Before that read-back, :func:`answered` applies the service's answer to the write itself, for the UI to show at once.
Everything else (the other identities, the groups, the orphans, the actors) is kept as loaded; what depends on the
whole (escalations) is computed again. `r` still reads everything.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tui.services.backend import Backend
from tui.services.grants import grant_order
from tui.services.joins import Resolver, assignment_order, directory_roles_by_identity
from tui.services.models import (
    AppRoleAssignment,
    Caller,
    DirectoryRoleAssignment,
    Inventory,
    ManagedIdentity,
    RoleAssignment,
)
from tui.services.plans import Change, Plan, PlanAction
from tui.services.scopes import scope_key, subscription_of


@dataclass(frozen=True)
class Reread:
    """What was read again, and what changed in it (for the status line and the rows' marks)."""

    inventory: Inventory
    requests: int
    changes: dict[str, tuple[int, int]]  # principal id (lower) -> (rights added, rights removed), changed ones only

    @property
    def added(self) -> int:
        return sum(a for a, _ in self.changes.values())

    @property
    def removed(self) -> int:
        return sum(r for _, r in self.changes.values())


def _right_ids(inventory: Inventory, pid: str) -> set[tuple[str, str]]:
    return (
        {("role", ra.id.lower()) for ra in inventory.role_assignments.get(pid, ())}
        | {("app", g.id.lower()) for g in inventory.app_role_assignments.get(pid, ())}
        | {("directory", a.id.lower()) for a in inventory.directory_role_assignments.get(pid, ())}
    )


def changed_rights(old: Inventory, new: Inventory, only: Collection[str] | None = None) -> dict[str, tuple[int, int]]:
    """principal id (lower) -> (rights added, rights removed) from ``old`` to ``new``, for the identities whose
    rights changed (of ``only``, when given): what a refresh marks on the identities' rows. A right held through a
    group counts for each member, as the rows show it."""
    if only is None:
        only = (
            old.role_assignments.keys()
            | new.role_assignments.keys()
            | old.app_role_assignments.keys()
            | new.app_role_assignments.keys()
            | old.directory_role_assignments.keys()
            | new.directory_role_assignments.keys()
        )
    out: dict[str, tuple[int, int]] = {}
    for pid in only:
        before, after = _right_ids(old, pid), _right_ids(new, pid)
        if before != after:
            out[pid] = (len(after - before), len(before - after))
    return out


def changes_note(changes: dict[str, tuple[int, int]]) -> str:
    """The status line's words for a refresh's changes."""
    if not changes:
        return "no right changed"
    added = sum(a for a, _ in changes.values())
    removed = sum(r for _, r in changes.values())
    who = len(changes)
    return f"{added} right(s) added, {removed} removed on {who} identit{'y' if who == 1 else 'ies'} (marked ±)"


def touched_scopes(plans: Sequence[Plan]) -> dict[str, set[str]]:
    """principal id (lower) -> the scopes to read its role assignments at again: the subscription of each plan's
    scope, or the scope itself above subscriptions (a management group, the root)."""
    out: dict[str, set[str]] = {}
    for plan in plans:
        if plan.action in (PlanAction.ASSIGN_ROLE, PlanAction.REMOVE_ROLE):
            sub = subscription_of(plan.target_id)
            out.setdefault(plan.identity.principal_id.lower(), set()).add(
                f"/subscriptions/{sub}" if sub else plan.target_id or "/"
            )
    return out


def _touched(plans: Sequence[Plan], actions: tuple[PlanAction, ...]) -> dict[str, ManagedIdentity]:
    return {p.identity.principal_id.lower(): p.identity for p in plans if p.action in actions}


SETTLED_BY_THE_WRITE = {
    PlanAction.ASSIGN_ROLE: RoleAssignment,
    PlanAction.GRANT_APP_ROLE: AppRoleAssignment,
}
REMOVALS = (PlanAction.REMOVE_ROLE, PlanAction.REVOKE_APP_ROLE)


def settled_changes(plans: Sequence[Plan], changes: Sequence[Change]) -> dict[int, Change]:
    """(by ``id(plan)``) the role assignment and app role plans whose outcome the write itself established: a right
    made and read back (its ``right``), or one removed and checked gone. Their refresh reads nothing more."""
    mine = {id(p) for p in plans}
    out: dict[int, Change] = {}
    for change in changes:
        plan = change.plan
        if id(plan) not in mine:
            continue
        kind = SETTLED_BY_THE_WRITE.get(plan.action)
        made = kind is not None and change.ok and isinstance(change.right, kind)
        gone = plan.action in REMOVALS and change.outcome == "applied" and bool(plan.existing_id)
        if made or gone:
            out[id(plan)] = change
    return out


def _settle(
    roles: dict[str, list[RoleAssignment]],
    grants: dict[str, list[AppRoleAssignment]],
    settled: Collection[Change],
    resolver: Resolver,
    caller: Caller | None,
) -> None:
    """Apply the changes the write itself established to ``roles`` and ``grants`` (principal id -> rights; changed
    in place): a right made is added as the service answered it, one removed is taken out."""
    for change in settled:
        plan = change.plan
        pid = plan.identity.principal_id.lower()
        if plan.action in (PlanAction.GRANT_APP_ROLE, PlanAction.REVOKE_APP_ROLE):
            old_grants = grants.get(pid, [])
            if isinstance(change.right, AppRoleAssignment):
                if all(g.id.lower() != change.right.id.lower() for g in old_grants):
                    now = [*old_grants, _resolved_grant(change.right, [plan])]
                    grants[pid] = sorted(now, key=grant_order)
            else:
                gone = (plan.existing_id or "").lower()
                _keep(grants, pid, [g for g in old_grants if g.via is not None or g.id.lower() != gone])
            continue
        old = roles.get(pid, [])
        if plan.action is PlanAction.ASSIGN_ROLE:
            assert isinstance(change.right, RoleAssignment)
            made = _named(resolver.resolve(change.right), caller)
            if all(ra.id.lower() != made.id.lower() for ra in old):
                roles[pid] = sorted([*old, made], key=assignment_order)
        else:
            gone = (plan.existing_id or "").lower()
            _keep(roles, pid, [ra for ra in old if ra.via is not None or ra.id.lower() != gone])


def _keep(rights: dict[str, list], pid: str, kept: list) -> None:
    if kept:
        rights[pid] = kept
    else:
        rights.pop(pid, None)


def answered(inventory: Inventory, change: Change, caller: Caller | None) -> Reread | None:
    """``inventory`` with what the service answered to a write (``change``, provisional: Session.apply's
    ``landed``) applied, before the write is read back; None when that answer alone does not settle it (the
    refresh after the write reads it again). No request: cheap enough to run on the event loop (it copies one
    mapping and changes one identity's list)."""
    if id(change.plan) not in settled_changes([change.plan], [change]):
        return None
    # only the mapping the change touches is copied (40,000 entries at 200:40000, ~3 ms on the way to the row); the
    # other is the inventory's own, shared unchanged (as every other field is)
    grant = change.plan.action in (PlanAction.GRANT_APP_ROLE, PlanAction.REVOKE_APP_ROLE)
    roles = inventory.role_assignments if grant else dict(inventory.role_assignments)
    grants = dict(inventory.app_role_assignments) if grant else inventory.app_role_assignments
    _settle(roles, grants, [change], Resolver(inventory.role_definitions), caller)
    fresh = dataclasses.replace(
        inventory, role_assignments=roles, app_role_assignments=grants, escalations={}, acting_index=None
    )
    pid = change.plan.identity.principal_id.lower()
    return Reread(fresh, 0, changed_rights(inventory, fresh, {pid}))


async def reread_after(
    backend: Backend,
    inventory: Inventory,
    plans: Sequence[Plan],
    caller: Caller | None,
    changes: Sequence[Change] = (),
) -> Reread:
    """The inventory with what ``plans`` touched read again (a new Inventory: the one shown is not changed under the
    UI's feet). A read that fails raises (the caller falls back to a full load). A role assignment or app role plan
    whose change is settled (:func:`settled_changes`) is applied to the inventory as the write saw it, without a
    request."""
    by_id = {i.principal_id.lower(): i for i in inventory.identities}
    roles = dict(inventory.role_assignments)
    grants = dict(inventory.app_role_assignments)
    directory = dict(inventory.directory_role_assignments)
    requests = 0
    resolver = Resolver(inventory.role_definitions)

    async def role_assignments(pid: str, scope: str) -> tuple[str, str, list[RoleAssignment]]:
        return pid, scope, await backend.list_role_assignments_for_principal(scope, pid)

    settled = settled_changes(plans, changes)
    _settle(roles, grants, settled.values(), resolver, caller)
    unsettled = [p for p in plans if id(p) not in settled]
    reads = [
        role_assignments(pid, scope) for pid, scopes in touched_scopes(unsettled).items() for scope in sorted(scopes)
    ]
    for pid, scope, fresh in await asyncio.gather(*reads):
        requests += 1
        key = scope_key(scope)
        fresh_own = [
            _named(resolver.resolve(ra), caller) for ra in fresh if ra.principal_id.lower() == pid and ra.via is None
        ]
        fresh_ids = {ra.id.lower() for ra in fresh_own}
        old = roles.get(pid, [])
        kept = [ra for ra in old if ra.via is not None or not (_under(ra.scope, key) or ra.id.lower() in fresh_ids)]
        roles[pid] = sorted(kept + fresh_own, key=assignment_order)
        if not roles[pid]:
            del roles[pid]

    app_plans = [p for p in plans if p.action in (PlanAction.GRANT_APP_ROLE, PlanAction.REVOKE_APP_ROLE)]
    for pid in _touched(unsettled, (PlanAction.GRANT_APP_ROLE, PlanAction.REVOKE_APP_ROLE)):
        fresh_grants = (await backend.list_app_role_assignments([pid])).get(pid, [])
        requests += 1
        old_grants = {g.id: g for g in grants.get(pid, [])}
        now = [old_grants.get(g.id) or _resolved_grant(g, app_plans) for g in fresh_grants]
        now.sort(key=grant_order)
        grants[pid] = now
        if not now:
            del grants[pid]

    for pid, identity in _touched(plans, (PlanAction.GRANT_DIRECTORY_ROLE, PlanAction.REMOVE_DIRECTORY_ROLE)).items():
        fresh_roles = await backend.list_directory_role_assignments_of(pid)
        requests += 1
        own = directory_roles_by_identity(fresh_roles, inventory.directory_role_definitions, [by_id.get(pid, identity)])
        old_roles: list[DirectoryRoleAssignment] = directory.get(pid, [])
        through_groups = [a for a in old_roles if a.via is not None]
        directory[pid] = own.get(pid, []) + through_groups
        if not directory[pid]:
            del directory[pid]

    fresh_inventory = dataclasses.replace(
        inventory,
        role_assignments=roles,
        app_role_assignments=grants,
        directory_role_assignments=directory,
        escalations={},
        acting_index=None,
    )
    touched = {p.identity.principal_id.lower() for p in plans}
    return Reread(fresh_inventory, requests, changed_rights(inventory, fresh_inventory, touched))


def _under(scope: str, key: str) -> bool:
    own = scope_key(scope)
    return own == key or own.startswith(key + "/")


def _named(ra: RoleAssignment, caller: Caller | None) -> RoleAssignment:
    """An assignment the caller just made is named after the caller (the load names creators through Graph)."""
    if caller is not None and ra.created_by and ra.created_by.lower() == caller.object_id.lower():
        return dataclasses.replace(ra, created_by_name=caller.display_name or None)
    return ra


def _resolved_grant(g: AppRoleAssignment, plans: Sequence[Plan]) -> AppRoleAssignment:
    """A grant that was not in the inventory: named and classified from the plan that made it."""
    for plan in plans:
        if plan.target_id.lower() == g.resource_id.lower() and plan.right_id.lower() == g.app_role_id.lower():
            return dataclasses.replace(
                g,
                resource_display_name=g.resource_display_name or plan.target,
                resource_app_id=plan.resource_app_id or g.resource_app_id,
                app_role_value=plan.right_name,
                app_role_description=plan.right_description,
                privilege=plan.privilege,
                privilege_reason=plan.privilege_reason,
            )
    return g
