"""Escalation through the identities one can act as (issue #18), from a loaded Inventory alone (no request).

Identity A can ACT AS identity B when A holds a role assignment at one of B's hosts, or at a scope above it,
whose role grants an operation that runs code or deploys as that host's identities (RUN_AS below, per
resource type), or that takes B over: for a user-assigned B, writing a federated identity credential on it.
B's hosts: a system-assigned identity's resource; a user-assigned identity's own resource and every resource
it is attached to (``used_by``). A can also act as a user-assigned B when it may attach B to compute it controls:
``userAssignedIdentities/assign/action`` on B together with the right to create or change some compute (DEPLOY)
anywhere (Managed Identity Operator on B plus Virtual Machine Contributor somewhere, say).

An identity's EFFECTIVE privilege is the highest of its own and of every identity it can reach, transitively
(cycles included). Computed once per load (see :func:`escalations`): the cost grows with the hosts plus the
assignments, not with the edges between them (a Contributor of a subscription can act as every identity in it).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from tui.services.joins import UAMI_TYPE, definition_guid
from tui.services.models import (
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    right_name,
)
from tui.services.privilege import role_grants
from tui.services.scopes import lowered, scope_key, scope_level

# The operations that run code or deploy as the identities of a resource of the type (lowercase type ->).
RUN_AS: dict[str, tuple[str, ...]] = {
    "microsoft.compute/virtualmachines": (
        "Microsoft.Compute/virtualMachines/runCommand/action",
        "Microsoft.Compute/virtualMachines/runCommands/write",
        "Microsoft.Compute/virtualMachines/extensions/write",
    ),
    "microsoft.compute/virtualmachinescalesets": (
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action",
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write",
        "Microsoft.Compute/virtualMachineScaleSets/extensions/write",
    ),
    "microsoft.hybridcompute/machines": (
        "Microsoft.HybridCompute/machines/runCommands/write",
        "Microsoft.HybridCompute/machines/extensions/write",
    ),
    "microsoft.automation/automationaccounts": (
        "Microsoft.Automation/automationAccounts/runbooks/write",
        "Microsoft.Automation/automationAccounts/runbooks/draft/write",
        "Microsoft.Automation/automationAccounts/jobs/write",
    ),
    "microsoft.web/sites": (
        "Microsoft.Web/sites/config/write",
        "Microsoft.Web/sites/publish/action",
        "Microsoft.Web/sites/extensions/write",
        "Microsoft.Web/sites/write",
    ),
    "microsoft.logic/workflows": ("Microsoft.Logic/workflows/write",),
    "microsoft.containerservice/managedclusters": (
        "Microsoft.ContainerService/managedClusters/runCommand/action",
        "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
    ),
    # taking a user-assigned identity over: trust a token issuer of one's own
    UAMI_TYPE.lower(): ("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",),
    # (and attaching it to compute one controls: ASSIGN with DEPLOY, below)
}


UAMI_KEY = UAMI_TYPE.lower()
# Attaching a user-assigned identity to compute one controls: the identity's assign action on it, plus the right to
# create or change some compute (anywhere) that takes user-assigned identities and runs the holder's code.
ASSIGN = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
DEPLOY: tuple[str, ...] = (
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachineScaleSets/write",
    "Microsoft.Web/sites/write",
    "Microsoft.Logic/workflows/write",
    "Microsoft.Automation/automationAccounts/write",
    "Microsoft.App/containerApps/write",
    "Microsoft.App/jobs/write",
    "Microsoft.ContainerInstance/containerGroups/write",
)


@dataclass(frozen=True)
class EscalationPath:
    via: tuple[str, ...]  # the names of the identities acted as, in order
    role_name: str  # the first step's role ...
    scope: str  # ... and its scope
    privilege: Privilege
    reason: str

    @property
    def through(self) -> str:
        return f"{self.role_name} at {self.scope}"


@dataclass(frozen=True, slots=True)
class Escalation:
    own: Privilege
    effective: Privilege
    paths: tuple[EscalationPath, ...] = field(default=())  # the shortest path to the effective level, when above own

    @property
    def escalates(self) -> bool:
        return self.effective.rank > self.own.rank


def resource_type(arm_id: str) -> str:
    """The lowercase type of a resource from its ARM id ("" when not a resource id)."""
    low = arm_id.lower()
    at = low.rfind("/providers/")
    if at < 0:
        return ""
    rest = low[at + len("/providers/") :].strip("/").split("/")
    return sys.intern("/".join([rest[0], *rest[1::2]])) if len(rest) >= 3 else ""  # (a few dozen types)


def _hosts(identity: ManagedIdentity) -> list[str]:
    ids = [identity.resource_id]
    if identity.kind is IdentityKind.USER:
        ids.extend(identity.used_by)
    return [i for i in dict.fromkeys(ids) if i]


ANYWHERE = "*"  # the bucket of assignments at the root or a management group: above every host


def _ancestors(key: str) -> tuple[str, ...]:
    """The key itself, the resource group and subscription above it, and ANYWHERE (parent resources are not
    walked). (Found by position, not split and joined: asked for every host of a load.)"""
    if not key.startswith("/subscriptions/"):
        return (key, ANYWHERE)
    end = key.find("/", 15)  # after the subscription id
    if end < 0:
        return (key, ANYWHERE)
    # (the group's and the subscription's keys interned: shared by every host in them)
    if key.startswith("/resourcegroups/", end):
        group_end = key.find("/", end + 16)
        if group_end > 0:
            return (key, sys.intern(key[:group_end]), sys.intern(key[:end]), ANYWHERE)
    return (key, sys.intern(key[:end]), ANYWHERE)


def _bucket(scope: str) -> str:
    top = scope_level(scope) in (ScopeLevel.ROOT, ScopeLevel.MANAGEMENT_GROUP)
    return ANYWHERE if top else scope_key(scope)


class _Index:
    """Built once per inventory: every identity's hosts, and the role assignments that run code on hosts, by
    (scope key, host type). Assignments whose role runs nothing are not in it (most of them)."""

    def __init__(self, inv: Inventory) -> None:
        self.by_id = {lowered(i.principal_id): i for i in inv.identities}
        # principal -> (host type, the scopes at and above the host where someone could act as it (_ancestors));
        # filled in once the buckets are known (below)
        self.hosts: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self._below: dict[str, list[tuple[str, str]]] | None = None
        self._runs: dict[str, tuple[tuple[str, str], ...]] = {}  # role guid -> the (host type, operation) it runs
        self._roles: dict[str, tuple[bool, bool]] = {}  # role guid -> (assigns identities, deploys compute)
        self.definitions = inv.role_definitions
        self.deployers: set[str] = set()  # who can create or change some compute (and attach identities to it)
        # (bucket, host type) -> (principal, assignment): one pair per assignment, shared by the types it runs on
        self.acting: dict[tuple[str, str], list[tuple[str, RoleAssignment]]] = defaultdict(list)
        assigning: list[tuple[str, RoleAssignment]] = []
        for apid, assignments in inv.role_assignments.items():
            if apid not in self.by_id:
                continue
            for ra in assignments:
                guid = definition_guid(ra.role_definition_id)
                assigns, deploys = self._kind(guid)
                if deploys:
                    self.deployers.add(apid)
                if assigns:
                    assigning.append((apid, ra))
                if found := self.runs(guid):
                    bucket, pair = _bucket(ra.scope), (apid, ra)
                    for rtype, _op in found:
                        self.acting[(bucket, rtype)].append(pair)
        for pair in assigning:
            if pair[0] in self.deployers:
                self.acting[(_bucket(pair[1].scope), UAMI_KEY)].append(pair)
        # the users', groups' and apps' acting assignments (inv.actors) the same way: (bucket, host type) -> their
        # positions in inv.actors, so that "who can act as this?" looks up the identity's hosts instead of
        # walking every actor on each selection (the index is built with the escalations, off the event loop)
        self.actors: dict[tuple[str, str], list[int]] = defaultdict(list)
        judged: dict[str, set[str]] = {}
        for position, ra in enumerate(inv.actors):
            guid = definition_guid(ra.role_definition_id)
            types = judged.get(guid)
            if types is None:
                types = judged[guid] = _actor_ops(inv, ra)
            bucket = _bucket(ra.scope)
            for rtype in types:
                self.actors[(bucket, rtype)].append(position)
        # a host's own scope is kept only where some assignment that acts is held at it (most hosts: none); the
        # group's and subscription's are interned: 40,000 lowercased resource ids were 10 MB kept for nothing
        # (the hosts in one resource group share one tuple of scopes above them, one (type, scopes) pair and, most
        # with one host, the whole tuple: 40,000 identities held ~11 MB of tuples that said the same few things)
        buckets = {bucket for bucket, _ in self.acting} | {bucket for bucket, _ in self.actors}
        shared: dict[tuple, tuple] = {}
        for pid, identity in self.by_id.items():
            hosts = []
            for key in map(scope_key, _hosts(identity)):
                above = _ancestors(key)
                scopes = above if key in buckets else shared.setdefault(above[1:], above[1:])
                pair = (resource_type(key), scopes)
                hosts.append(shared.setdefault(pair, pair))
            own = tuple(hosts)
            self.hosts[pid] = shared.setdefault(own, own)

    def runs(self, guid: str) -> tuple[tuple[str, str], ...]:
        """The (host type, operation) pairs the role runs code with."""
        found = self._runs.get(guid)
        if found is None:
            role = self.definitions.get(guid)
            found = self._runs[guid] = (
                ()
                if role is None
                else tuple((rtype, op) for rtype, ops in RUN_AS.items() if (op := _first_granted(role, ops)))
            )
        return found

    def _kind(self, guid: str) -> tuple[bool, bool]:
        found = self._roles.get(guid)
        if found is None:
            role = self.definitions.get(guid)
            found = self._roles[guid] = (
                (False, False)
                if role is None
                else (role_grants(role, ASSIGN) is not None, _first_granted(role, DEPLOY) is not None)
            )
        return found

    def operations(self, apid: str, ra: RoleAssignment) -> dict[str, str]:
        """Host type -> the operation by which ``apid``, through ``ra``, acts as the identities of such hosts."""
        guid = definition_guid(ra.role_definition_id)
        ops = dict(self.runs(guid))
        if self._kind(guid)[0] and apid in self.deployers:
            ops[UAMI_KEY] = ASSIGN
        return ops

    @property
    def below(self) -> dict[str, list[tuple[str, str]]]:
        """Scope key -> the (host type, principal) of every host at or under it (built on first use: only
        :func:`can_act_as` needs it)."""
        if self._below is None:
            self._below = defaultdict(list)
            for pid, hosts in self.hosts.items():
                for rtype, above in hosts:
                    host = (rtype, pid)  # (one tuple, under each scope above the host)
                    for anc in above:
                        self._below[anc].append(host)
        return self._below

    def reach(self, apid: str, inv: Inventory) -> dict[str, tuple[RoleAssignment, str]]:
        """Whom ``apid`` can act as directly: principal -> (the assignment, the operation)."""
        out: dict[str, tuple[RoleAssignment, str]] = {}
        for ra in inv.role_assignments.get(apid, ()):
            ops = self.operations(apid, ra)
            if not ops:
                continue
            for rtype, target in self.below.get(_bucket(ra.scope), ()):
                if target != apid and target not in out and rtype in ops:
                    out[target] = (ra, ops[rtype])
        return out


def _first_granted(role: RoleDefinition, operations: tuple[str, ...]) -> str | None:
    return next((op for op in operations if role_grants(role, op)), None)


def _index(inv: Inventory) -> _Index:
    if not isinstance(inv.acting_index, _Index):
        inv.acting_index = _Index(inv)
    return inv.acting_index


def _path(
    index: _Index, inv: Inventory, start: str, parents: dict[str, tuple[str, RoleAssignment]], level: Privilege
) -> EscalationPath:
    """The chain of parents from ``start`` to an identity holding ``level`` itself."""
    via, node = [], start
    first: RoleAssignment | None = None
    while node in parents:
        node, ra = parents[node]
        first = first or ra
        via.append(index.by_id[node].name)
    assert first is not None
    return EscalationPath(tuple(via), first.role_name, first.scope, level, _top_right(inv, index.by_id[node]))


def _top_right(inv: Inventory, identity: ManagedIdentity) -> str:
    """``Owner: <why Owner is critical>``: the identity's highest right, named, and its reason."""
    right = inv.highest_right(identity)
    if right is None:
        return ""
    name = right_name(right)
    return f"{name}: {right.privilege_reason}" if name else right.privilege_reason


def escalations(inv: Inventory) -> dict[str, Escalation]:
    """Every identity's own and effective privilege, with the shortest path to the effective level (principal id
    (lower) ->). Per level (critical, then high): a breadth-first walk back from the identities that hold it, each
    (scope, host type) bucket of run-code assignments opened once, so the walk costs the hosts plus the
    assignments, never their product."""
    index = _index(inv)
    own = {pid: inv.highest_privilege(i) for pid, i in index.by_id.items()}
    effective = dict(own)
    chosen: dict[str, dict[str, tuple[str, RoleAssignment]]] = {}
    for level in (Privilege.CRITICAL, Privilege.HIGH):
        frontier = [pid for pid, lv in own.items() if lv.rank >= level.rank]
        reached = set(frontier)
        opened: set[tuple[str, str]] = set()
        parents: dict[str, tuple[str, RoleAssignment]] = {}
        while frontier:
            following = []
            for b in frontier:
                for rtype, above in index.hosts[b]:
                    for anc in above:
                        bucket = (anc, rtype)
                        if bucket in opened:
                            continue
                        opened.add(bucket)
                        for a, ra in index.acting.get(bucket, ()):
                            if a not in reached:
                                reached.add(a)
                                parents[a] = (b, ra)
                                following.append(a)
                                if effective[a].rank < level.rank:
                                    effective[a] = level
            frontier = following
        chosen[level.value] = parents
    result: dict[str, Escalation] = {}
    plain: dict[tuple[Privilege, Privilege], Escalation] = {}  # (one verdict per pair of levels, when no path)
    for pid, level in own.items():
        top = effective[pid]
        if top.rank > level.rank:
            result[pid] = Escalation(level, top, (_path(index, inv, pid, chosen[top.value], top),))
        else:
            result[pid] = plain.get((level, top)) or plain.setdefault((level, top), Escalation(level, top))
    return result


def prepare_can_act_as(inv: Inventory) -> None:
    """Build now what :func:`can_act_as` reads (call it in the CPU worker, with the table's rows): built by the
    details pane's first "Can act as", on the event loop, it stalled it ~0.1 s at 40,000 identities after each load
    and each write."""
    _ = _index(inv).below


def can_act_as(inv: Inventory, identity: ManagedIdentity) -> tuple[EscalationPath, ...]:
    """Every identity this one can act as directly, the most privileged first (each with its effective level)."""
    escalation_of(inv, identity)  # (fills the effective levels)
    index = _index(inv)
    out = []
    for target, (ra, _op) in index.reach(identity.principal_id.lower(), inv).items():
        b = index.by_id[target]
        out.append(
            EscalationPath((b.name,), ra.role_name, ra.scope, escalation_of(inv, b).effective, _top_right(inv, b))
        )
    out.sort(key=lambda p: (-p.privilege.rank, p.via))
    return tuple(out)


def acted_as_by(inv: Inventory, identity: ManagedIdentity) -> tuple[EscalationPath, ...]:
    """The managed identities that can act as this one directly (incident mode's "who can act as this?"), each
    with the role and scope that let it and the level of its own rights; the most privileged first."""
    index = _index(inv)
    pid = identity.principal_id.lower()
    found: dict[str, RoleAssignment] = {}
    for rtype, above in index.hosts.get(pid, ()):
        for anc in above:
            for apid, ra in index.acting.get((anc, rtype), ()):
                if apid != pid and apid not in found:
                    found[apid] = ra
    out = []
    for apid, ra in found.items():
        a = index.by_id[apid]
        out.append(EscalationPath((a.name,), ra.role_name, ra.scope, inv.highest_privilege(a), ""))
    out.sort(key=lambda p: (-p.privilege.rank, p.via))
    return tuple(out)


def acting_rights(
    assignments: Iterable[RoleAssignment],
    definitions: dict[str, RoleDefinition],
    names: dict[str, str],
    resolve: Callable[[RoleAssignment], RoleAssignment],
) -> list[RoleAssignment]:
    """The ``assignments`` (of principals other than managed identities) whose role runs code on some host type
    (RUN_AS) or attaches a user-assigned identity (ASSIGN), ``resolve``d, each with its principal's name from
    ``names`` (object id (lower) ->). Each role is judged once."""
    acting: dict[str, bool] = {}
    out = []
    for ra in assignments:
        guid = definition_guid(ra.role_definition_id)
        acts = acting.get(guid)
        if acts is None:
            role = definitions.get(guid)
            acts = acting[guid] = role is not None and (
                role_grants(role, ASSIGN) is not None or any(_first_granted(role, ops) for ops in RUN_AS.values())
            )
        if acts:
            out.append(replace(resolve(ra), principal_name=names.get(ra.principal_id.lower())))
    out.sort(key=lambda a: (scope_key(a.scope), a.role_name.lower(), a.principal_id.lower()))
    return out


def _actor_ops(inv: Inventory, ra: RoleAssignment) -> set[str]:
    """The host types an actor's assignment acts on (ASSIGN counts alone: a person may deploy compute the
    inventory does not see)."""
    role = inv.role_definitions.get(definition_guid(ra.role_definition_id))
    if role is None:
        return set()
    types = {rtype for rtype, ops in RUN_AS.items() if _first_granted(role, ops)}
    if role_grants(role, ASSIGN) is not None:
        types.add(UAMI_KEY)
    return types


def who_can_act_as(inv: Inventory, identity: ManagedIdentity) -> tuple[EscalationPath, ...]:
    """:func:`acted_as_by` and the users, groups and other service principals (``inv.actors``) who can act as
    this identity: each with the role and scope that let it; ``reason`` names a non-identity's principal type."""
    found = list(acted_as_by(inv, identity))
    index = _index(inv)
    positions: set[int] = set()
    for rtype, above in index.hosts.get(identity.principal_id.lower(), ()):
        for anc in above:
            positions.update(index.actors.get((anc, rtype), ()))
    seen: set[str] = set()
    for position in sorted(positions):
        ra = inv.actors[position]
        if ra.id.lower() not in seen:
            seen.add(ra.id.lower())
            name = ra.principal_name or ra.principal_id
            found.append(EscalationPath((name,), ra.role_name, ra.scope, ra.privilege, ra.principal_type))
    found.sort(key=lambda p: (-p.privilege.rank, p.via))
    return tuple(found)


def escalation_of(inv: Inventory, identity: ManagedIdentity) -> Escalation:
    """The identity's Escalation; the whole inventory's are computed on the first call and kept on it."""
    if not inv.escalations and inv.identities:
        inv.escalations.update(escalations(inv))
    level = inv.highest_privilege(identity)
    return inv.escalations.get(identity.principal_id.lower()) or Escalation(level, level)
