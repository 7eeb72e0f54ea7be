"""The inventory's joins: pure functions of the data read (no I/O, no clock), each run in the CPU worker thread.

Every join is dictionary look-ups over tens of thousands of items: models are built directly (never with
``dataclasses.replace``, three times dearer, per item), each role definition id is looked up once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui.services.backend import ArmResource, DirectoryIdentity
from tui.services.grants import classified_app
from tui.services.models import (
    DirectoryRoleAssignment,
    DirectoryRoleDefinition,
    Group,
    IdentityKind,
    ManagedIdentity,
    Privilege,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    Via,
)
from tui.services.privilege import directory_role_verdict, role_verdict
from tui.services.scopes import (
    is_inherited,
    last_segment,
    lowered,
    resource_type_of,
    scope_key,
    subscription_and_group,
    subscription_of,
)

UAMI_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


def definition_guid(role_definition_id: str) -> str:
    """The role definition's GUID (lowercase) from its ARM id."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


# --- identities ----------------------------------------------------------------------------------------------------


class ResourceIndex:
    """The resources read so far, by what the identity join looks them up by; grown as pages of resources land (a
    partial table's join adds only the resources new since the last one, instead of indexing them all again)."""

    def __init__(self, resources: list[ArmResource] | None = None) -> None:
        self.by_key: dict[str, ArmResource] = {}
        self.users_of: dict[str, list[str]] = {}  # uami key -> resources using it
        self.system_owner: dict[str, ArmResource] = {}  # principal id -> owning resource
        self.resources: list[ArmResource] = []
        self.add(resources or [])

    def add(self, resources: list[ArmResource]) -> list[tuple[str, tuple[str, ...]]]:
        """Index these resources; for each, (its key, the keys of the user-assigned identities it uses): what the
        identity join looks identities up by, made once."""
        by_key, users_of, system_owner = self.by_key, self.users_of, self.system_owner
        keys = []
        for r in resources:
            key = scope_key(r.id)
            by_key[key] = r
            if r.system_principal_id:
                system_owner[r.system_principal_id.lower()] = r
            uamis: tuple[str, ...] = ()
            if r.user_assigned:
                uamis = tuple(scope_key(uami_id) for uami_id in r.user_assigned)
                for uami_key in uamis:
                    users_of.setdefault(uami_key, []).append(r.id)
            keys.append((key, uamis))
        self.resources.extend(resources)
        return keys


class IdentityJoin:
    """Graph's managed identities joined with the ARM resources that own or use them, kept current as pages of
    either side land, in any order: an identity is made when its page arrives, and made again only when a resource
    that changes it arrives later. So the final join is a sort, not 40,000 identities made after the last page.

    Only those of the ``wanted`` subscriptions (None: all) are kept. Not thread-safe: one load feeds it from its
    CPU worker, one piece at a time."""

    def __init__(self, index: ResourceIndex | None = None, wanted: set[str] | None = None) -> None:
        self.index = index if index is not None else ResourceIndex()
        self.wanted = wanted
        self.joined: dict[str, ManagedIdentity] = {}  # principal id (lower) -> the identity, in the order first seen
        self._directory: dict[str, DirectoryIdentity] = {}  # principal id (lower) -> its Graph entry
        self._by_key: dict[str, str] = {}  # the key of an identity's ARM id -> its principal id (lower)
        self.resources_added = 0  # how many of the load's resources (in order) the index holds
        self.pages: list[list[DirectoryIdentity]] = []  # the pages of Graph's listing joined (add_page), in order

    def add_directory(self, page: list[DirectoryIdentity]) -> list[ManagedIdentity]:
        """Join a page of Graph's identities (one already seen is skipped); the identities it adds."""
        joined, wanted, added = self.joined, self.wanted, []
        for d in page:
            pid = lowered(d.principal_id)
            if pid in joined:
                continue
            if wanted is not None:
                sub = subscription_of(d.resource_id)
                if sub is None or sub not in wanted:
                    continue
            self._directory[pid] = d
            key = ""
            if d.resource_id:
                key = scope_key(d.resource_id)
                self._by_key[key] = pid
            joined[pid] = identity = self._make(d, pid, key)
            added.append(identity)
        return added

    def add_page(self, page: list[DirectoryIdentity]) -> list[ManagedIdentity]:
        """:meth:`add_directory` for a page of Graph's listing as it lands (:meth:`add_listing` knows it then)."""
        self.pages.append(page)
        return self.add_directory(page)

    def add_listing(self, listing: list[DirectoryIdentity]) -> bool:
        """Join Graph's whole listing, whose first pages were joined as they landed (:meth:`add_page`): only the
        rest is joined. False, and nothing done, when the pages joined are not the listing's own (the listing was
        read again): the caller then joins the listing afresh."""
        offset = 0
        for page in self.pages:
            end = offset + len(page)
            if not page or end > len(listing) or listing[offset] is not page[0] or listing[end - 1] is not page[-1]:
                return False
            offset = end
        self.add_directory(listing[offset:])
        return True

    def add_resources(self, resources: list[ArmResource]) -> list[ManagedIdentity]:
        """Index these resources; the identities already joined that they change, made again."""
        keys = self.index.add(resources)
        self.resources_added += len(resources)
        joined, by_key = self.joined, self._by_key
        if not joined:
            return []
        touched: set[str] = set()
        for r, (key, uamis) in zip(resources, keys, strict=True):
            pid = by_key.get(key)
            if pid is not None:
                touched.add(pid)
            if r.system_principal_id and (spid := r.system_principal_id.lower()) in joined:
                touched.add(spid)
            for uami_key in uamis:
                pid = by_key.get(uami_key)
                if pid is not None:
                    touched.add(pid)
        remade = []
        directory = self._directory
        for pid in touched:
            d = directory[pid]
            # (its key made again: kept per identity, it was 40,000 more entries at the load's peak of memory)
            key = scope_key(d.resource_id) if d.resource_id else ""
            joined[pid] = identity = self._make(d, pid, key, joined[pid])
            remade.append(identity)
        return remade

    def catch_up(self, resources: list[ArmResource]) -> list[ManagedIdentity]:
        """:meth:`add_resources` for those of ``resources`` (the load's, in the order read) not added yet."""
        return self.add_resources(resources[self.resources_added :]) if len(resources) > self.resources_added else []

    def identities(self, *, arm_only: bool = True) -> list[ManagedIdentity]:
        """Every identity joined so far, plus (``arm_only``) those ARM shows and Graph did not list; by name."""
        identities = list(self.joined.values())
        if arm_only:
            identities += _arm_only(self.index, set(self.joined))
        identities.sort(key=lambda i: (i.name.lower(), i.principal_id))
        return identities

    def _make(self, d: DirectoryIdentity, pid: str, key: str, before: ManagedIdentity | None = None) -> ManagedIdentity:
        """``key``: that of ``d``'s resource id ("" when none); ``before``: the identity as made from ``d`` before
        (its subscription and group, read from ``d``'s resource id, are the same: not read again when a resource
        that changes it lands)."""
        index = self.index
        kind = IdentityKind.USER if d.user_assigned else IdentityKind.SYSTEM
        res = index.by_key.get(key) if key else None
        if res is None and kind is IdentityKind.SYSTEM:
            res = index.system_owner.get(pid)
        where = (before.subscription_id, before.resource_group) if before is not None else None
        return _identity(index, d.principal_id, d.client_id, d.display_name, kind, d.resource_id, res, where, key)


def _identity(
    index: ResourceIndex,
    principal_id: str,
    client_id: str,
    name: str,
    kind: IdentityKind,
    resource_id: str,
    res: ArmResource | None,
    where: tuple[str | None, str | None] | None = None,
    key: str | None = None,
) -> ManagedIdentity:
    """``where``: (subscription, resource group) of ``resource_id``, when known already; ``key``: that of
    ``resource_id``, when made already."""
    used_by: tuple[str, ...]
    if kind is IdentityKind.USER:
        users = index.users_of.get(key if key is not None else scope_key(resource_id))
        used_by = (tuple(sorted(users, key=str.lower)) if len(users) > 1 else tuple(users)) if users else ()
        rtype = UAMI_TYPE
    else:
        used_by = (res.id if res else resource_id,) if resource_id else ()
        rtype = (res.type if res else None) or resource_type_of(resource_id)
    sub, group = where if where is not None else subscription_and_group(resource_id)
    # (by position, the model's field order: made by the ten thousand, some twice, as their resources land)
    return ManagedIdentity(
        principal_id,
        client_id,
        (res.name if res else "") or name or last_segment(resource_id),
        kind,
        res.id if res else resource_id,
        sub,
        group,
        res.location if res else None,
        used_by,
        rtype,
        res is not None,
        res.tags if res else (),
    )


def _arm_only(index: ResourceIndex, seen: set[str]) -> list[ManagedIdentity]:
    """The identities ARM shows and Graph did not list (Graph unreadable, or replication lag); ``seen``: the
    principal ids (lower) listed, grown by those found here."""
    found: list[ManagedIdentity] = []
    keep = found.append

    for r in index.resources:
        if r.system_principal_id and r.system_principal_id.lower() not in seen:
            seen.add(r.system_principal_id.lower())
            keep(_identity(index, r.system_principal_id, "", r.name, IdentityKind.SYSTEM, r.id, r))
        if r.is_user_assigned_identity and r.principal_id and r.principal_id.lower() not in seen:
            seen.add(r.principal_id.lower())
            keep(_identity(index, r.principal_id, r.client_id or "", r.name, IdentityKind.USER, r.id, r))
        for uami_id, (pid, cid) in r.user_assigned.items():
            if pid and pid.lower() not in seen and scope_key(uami_id) not in index.by_key:
                # attached from a subscription we cannot read
                seen.add(pid.lower())
                keep(_identity(index, pid, cid or "", last_segment(uami_id), IdentityKind.USER, uami_id, None))
    return found


def join_identities(
    directory: list[DirectoryIdentity] | None,
    resources: list[ArmResource] | ResourceIndex,
    wanted: set[str] | None,
    *,
    arm_only: bool = True,
) -> list[ManagedIdentity]:
    """Graph's managed identities (``directory``; None when it could not be read) joined with the ARM resources
    that own or use them (a list, or indexed already), plus (``arm_only``) those ARM shows and Graph did not list;
    only those of the ``wanted`` subscriptions (None: all). Sorted by name. (:class:`IdentityJoin` in one go.)"""
    join = IdentityJoin(resources if isinstance(resources, ResourceIndex) else ResourceIndex(resources), wanted)
    join.add_directory(directory or [])
    return join.identities(arm_only=arm_only)


# --- role assignments ----------------------------------------------------------------------------------------------


def custom_role_subscriptions(
    raw_assignments: dict[str, RoleAssignment], read_in: dict[str, str], known: dict[str, RoleDefinition]
) -> dict[str, str]:
    """subscription -> a role definition GUID its assignments reference that is not ``known`` (a custom role). An
    assignment's subscription is its scope's, or (above every subscription) the one ``read_in`` says (by its key)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for key, ra in raw_assignments.items():
        rdid = ra.role_definition_id
        if rdid in seen:
            continue
        seen.add(rdid)
        g = definition_guid(rdid)
        if g not in known:
            sub = subscription_of(ra.scope) or read_in.get(key, "")
            if sub:
                out.setdefault(sub, g)
    return out


class Resolver:
    """Fills in an assignment's role name and privilege, with each role definition id looked up once (a tenant
    has tens of thousands of assignments and a few dozen distinct roles)."""

    def __init__(self, definitions: dict[str, RoleDefinition]) -> None:
        self.definitions = definitions
        self._by_id: dict[str, RoleDefinition | None] = {}

    def definition(self, role_definition_id: str) -> RoleDefinition | None:
        try:
            return self._by_id[role_definition_id]
        except KeyError:
            rd = self._by_id[role_definition_id] = self.definitions.get(definition_guid(role_definition_id))
            return rd

    def fill(self, ra: RoleAssignment) -> RoleAssignment:
        """``ra`` itself, its role name and privilege filled in: for an assignment the load owns and has not shown
        resolved yet (a second copy of 150,000 of them was the join's largest allocation)."""
        rd = self.definition(ra.role_definition_id)
        if rd is not None:
            ra.role_name, ra.privilege, ra.privilege_reason = rd.role_name, rd.privilege, rd.privilege_reason
        return ra

    def resolve(self, ra: RoleAssignment, via: Via | None = None) -> RoleAssignment:
        """``via``: the group the right comes through (None: the principal's own assignment)."""
        rd = self.definition(ra.role_definition_id)
        return RoleAssignment(
            id=ra.id,
            scope=ra.scope,
            role_definition_id=ra.role_definition_id,
            principal_id=ra.principal_id,
            principal_type=ra.principal_type,
            role_name=rd.role_name if rd else ra.role_name,
            scope_level=ra.scope_level,  # (the Backend fills it in as it reads each assignment)
            privilege=rd.privilege if rd else ra.privilege,
            created_on=ra.created_on,
            privilege_reason=rd.privilege_reason if rd else ra.privilege_reason,
            condition=ra.condition,
            condition_version=ra.condition_version,
            description=ra.description,
            created_by=ra.created_by,
            created_by_name=ra.created_by_name,
            via=via,
        )


def inherited_at(assignment: RoleAssignment, scope: str) -> bool:
    """Whether ``assignment`` reaches ``scope`` from above (the portal's IAM blade: "inherited" relative to the
    scope one looks at, e.g. an identity's own resource), not assigned at ``scope`` itself."""
    return is_inherited(assignment.scope, scope)


def members_by_group(memberships: dict[str, tuple[str, ...]], principals: set[str]) -> dict[str, list[str]]:
    """group id (lower) -> the ``principals`` (lower ids) that are members of it, transitively."""
    out: dict[str, list[str]] = {}
    for pid, group_ids in memberships.items():
        if pid in principals:
            for gid in group_ids:
                out.setdefault(gid.lower(), []).append(pid)
    return out


def _via(group_id: str, groups: dict[str, Group]) -> Via:
    group = groups.get(group_id.lower())
    return Via(group.id if group else group_id, group.display_name if group else "")


@dataclass
class Joined:
    role_assignments: dict[str, list[RoleAssignment]]  # principal id (lower) -> its assignments, resolved
    orphan_candidates: dict[str, list[RoleAssignment]]  # candidate principal id -> its assignments, unresolved
    apps: list[ResourceApp]  # their app roles classified
    apps_by_id: dict[str, ResourceApp]  # service principal id (lower) ->


class AssignmentGroups:
    """Role assignments grouped by principal (lower id) as they are taken, each filled in from its role (when
    known by then: the built-in ones are) and each principal's in :func:`assignment_order`: in the CPU worker while
    a load reads on, so that its final join (:func:`join_assignments`) looks each identity's up instead of passing
    over 150,000 assignments after the last page. Not thread-safe: one load feeds it from its CPU worker."""

    def __init__(self) -> None:
        self.by_principal: dict[str, list[RoleAssignment]] = {}
        self.unfilled: list[RoleAssignment] = []  # whose role was not known when grouped (custom roles)
        self._filled: dict[str, tuple[str, Privilege, str]] = {}  # role definition id -> what fills it in

    def add(self, assignments: list[RoleAssignment], definitions: dict[str, RoleDefinition]) -> None:
        by_principal, filled, unfilled = self.by_principal, self._filled, self.unfilled
        resolver: Resolver | None = None
        grown: set[str] = set()
        for ra in assignments:
            pid = ra.principal_id.lower()
            items = by_principal.get(pid)
            if items is None:
                items = by_principal[pid] = [ra]
            else:
                items.append(ra)
                grown.add(pid)
            # (per role definition id, once: what fills an assignment in. 150,000 assignments share a few dozen
            # roles: Resolver.fill per assignment was a third of the final join)
            fill = filled.get(ra.role_definition_id)
            if fill is None:
                resolver = resolver or Resolver(definitions)
                rd = resolver.definition(ra.role_definition_id)
                if rd is None:
                    unfilled.append(ra)
                    continue
                fill = filled[ra.role_definition_id] = (rd.role_name, rd.privilege, rd.privilege_reason)
            ra.role_name, ra.privilege, ra.privilege_reason = fill
        key = _Order().key  # (one per batch: its keys of scopes, lowercase copies, are let go with it)
        for pid in grown:
            by_principal[pid].sort(key=key)

    def fill_rest(self, definitions: dict[str, RoleDefinition]) -> None:
        """Fill in those grouped before their role was known (now ``definitions`` has it), and sort their
        principals' again."""
        if not self.unfilled:
            return
        resolver, again = Resolver(definitions), set()
        for ra in self.unfilled:
            resolver.fill(ra)
            again.add(ra.principal_id.lower())
        self.unfilled = []
        key, by_principal = _Order().key, self.by_principal
        for pid in again:
            by_principal[pid].sort(key=key)


def join_assignments(
    raw_assignments: dict[str, RoleAssignment],
    identities: list[ManagedIdentity],
    definitions: dict[str, RoleDefinition],
    raw_apps: list[ResourceApp],
    candidates: set[str],
    groups: dict[str, Group] | None = None,
    memberships: dict[str, tuple[str, ...]] | None = None,
    grouped: AssignmentGroups | None = None,
) -> Joined:
    """Every assignment resolved (role name, privilege) and grouped by identity: an identity's own, and those of
    the groups it is a member of (``memberships``: principal id (lower) -> group ids, transitive), each with its
    ``via``; those of the orphan ``candidates`` (principal ids, lowercase) grouped apart. The apps' roles
    classified. ``grouped``: the ``raw_assignments`` grouped as they were taken (else grouped here); its lists
    become the identities' (it is used up)."""
    apps = [classified_app(a) for a in raw_apps]
    apps_by_id = {a.id.lower(): a for a in apps}
    if grouped is None:
        grouped = AssignmentGroups()
        grouped.add(list(raw_assignments.values()), definitions)
    grouped.fill_rest(definitions)
    by_principal = grouped.by_principal
    principals = {(pid := lowered(i.principal_id)): pid for i in identities}  # (its key: the identity's own string)
    members = members_by_group(memberships or {}, set(principals))
    groups = groups or {}
    resolver = Resolver(definitions)
    role_assignments: dict[str, list[RoleAssignment]] = {}
    for pid, key in principals.items():
        items = by_principal.get(pid)
        if items is not None:
            role_assignments[key] = items
    again: set[str] = set()
    for gid, holders in members.items():
        held = by_principal.get(gid)
        if not held or gid in principals:
            continue
        via = _via(held[0].principal_id, groups)
        for holder in holders:
            mine = role_assignments.get(holder)
            if mine is None:
                mine = role_assignments[holder] = []
            mine.extend(resolver.resolve(ra, via) for ra in held)
            again.add(holder)
    unknown = {
        pid: by_principal[pid]
        for pid in candidates
        if pid in by_principal and pid not in principals and not members.get(pid)
    }
    key = _Order().key
    for holder in again:
        role_assignments[holder].sort(key=key)
    return Joined(role_assignments, unknown, apps, apps_by_id)


def assignment_order(a: RoleAssignment) -> tuple[int, str, str, bool]:
    return (-a.privilege.rank, a.role_name.lower(), scope_key(a.scope), a.via is not None)


class _Order:
    """:func:`assignment_order` for many assignments: the same order, its parts made once per (privilege, role
    name) and per scope instead of once per assignment."""

    def __init__(self) -> None:
        self.roles: dict[tuple[Privilege, str], tuple[int, str]] = {}
        self.scopes: dict[str, str] = {}

    def key(self, a: RoleAssignment) -> tuple[tuple[int, str], str, bool]:
        role = self.roles.get((a.privilege, a.role_name))
        if role is None:
            role = self.roles[(a.privilege, a.role_name)] = (-a.privilege.rank, a.role_name.lower())
        scope = self.scopes.get(a.scope)
        if scope is None:
            scope = self.scopes[a.scope] = scope_key(a.scope)
        return (role, scope, a.via is not None)


def orphan_candidates(
    assigned_service_principals: set[str], identities: list[ManagedIdentity], apps: list[ResourceApp]
) -> set[str]:
    """The assigned service principals (lowercase ids) that are neither identities nor resource apps."""
    known = {i.principal_id.lower() for i in identities} | {a.id.lower() for a in apps}
    return assigned_service_principals - known


def orphaned_assignments(
    candidates: dict[str, list[RoleAssignment]], definitions: dict[str, RoleDefinition], existing: set[str] | None
) -> list[RoleAssignment]:
    """The assignments of service principals that no longer exist (``existing``: which of the ``candidates``
    getByIds found; None when it was not asked or could not be read: then nothing is called orphaned)."""
    if existing is None:
        return []
    resolver = Resolver(definitions)
    orphans = [resolver.resolve(ra) for pid in sorted(candidates) if pid not in existing for ra in candidates[pid]]
    orphans.sort(key=lambda a: (scope_key(a.scope), a.role_name.lower()))
    return orphans


# --- role classification ---------------------------------------------------------------------------------------


def classified_role(role: RoleDefinition) -> RoleDefinition:
    """The role definition with its privilege and the reason (a level it already carries is never lowered)."""
    verdict = role_verdict(role)
    if role.privilege.rank > verdict.level.rank:
        return role
    return replace(role, privilege=verdict.level, privilege_reason=verdict.reason)


def classified_directory_role(role: DirectoryRoleDefinition) -> DirectoryRoleDefinition:
    """The directory role with its privilege and the reason (a level it already carries is never lowered)."""
    verdict = directory_role_verdict(role)
    if role.privilege.rank > verdict.level.rank:
        return role
    return replace(role, privilege=verdict.level, privilege_reason=verdict.reason)


# --- directory roles -----------------------------------------------------------------------------------------------


def directory_roles_by_identity(
    assignments: list[DirectoryRoleAssignment],
    definitions: dict[str, DirectoryRoleDefinition],
    identities: list[ManagedIdentity],
    groups: dict[str, Group] | None = None,
    memberships: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, list[DirectoryRoleAssignment]]:
    """Each identity's directory roles (principal id (lower) ->), resolved (role name, privilege and reason from the
    classified ``definitions``, by id (lower)) and sorted: its own, and those of the groups it is a member of
    (only role-assignable groups can hold one; Entra enforces it), each with its ``via``."""
    principals = {i.principal_id.lower() for i in identities}
    members = members_by_group(memberships or {}, principals)
    groups = groups or {}
    out: dict[str, list[DirectoryRoleAssignment]] = {}
    seen: set[tuple[str, str]] = set()
    for a in assignments:
        pid = a.principal_id.lower()
        if pid in principals:
            holders, via = [pid], None
        elif pid in members:
            holders, via = members[pid], _via(a.principal_id, groups)
        else:
            continue
        rd = definitions.get(a.role_definition_id.lower())
        for holder in holders:
            if (holder, a.id) in seen:
                continue
            seen.add((holder, a.id))
            out.setdefault(holder, []).append(
                DirectoryRoleAssignment(
                    id=a.id,
                    principal_id=a.principal_id,
                    role_definition_id=a.role_definition_id,
                    role_name=rd.display_name if rd else a.role_name,
                    directory_scope_id=a.directory_scope_id,
                    privilege=rd.privilege if rd else a.privilege,
                    privilege_reason=rd.privilege_reason if rd else a.privilege_reason,
                    via=via,
                    created=a.created,
                )
            )
    for items in out.values():
        items.sort(key=lambda r: (-r.privilege.rank, r.role_name.lower(), r.directory_scope_id, r.via is not None))
    return out
