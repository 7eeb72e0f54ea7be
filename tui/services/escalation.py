"""Escalation through the identities one can act as (issue #18), from a loaded Inventory alone (no request).

Identity A can ACT AS identity B when A holds a role assignment at one of B's hosts, or at a scope above it,
whose role grants an operation that runs code or deploys as that host's identities (RUN_AS below, per
resource type), or that takes B over: for a user-assigned B, writing a federated identity credential on it.
B's hosts: a system-assigned identity's resource; a user-assigned identity's own resource and every resource
it is attached to (``used_by``). (``userAssignedIdentities/assign/action`` together with a run-code right
elsewhere is not followed: attaching B to a compute is covered once B is attached.)

An identity's EFFECTIVE privilege is the highest of its own and of every identity it can reach, transitively
(cycles included). Computed once per load: the hosts are indexed by every scope above them, each assignment's
scope is looked up once, and the levels rise along the reverse edges by a work list (a level rises at most twice).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tui.services.joins import UAMI_TYPE, definition_guid
from tui.services.models import IdentityKind, Inventory, ManagedIdentity, Privilege, RoleDefinition, ScopeLevel
from tui.services.privilege import role_grants
from tui.services.scopes import scope_key, scope_level

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
}


@dataclass(frozen=True)
class Edge:
    """A can act as ``target`` through ``role_name`` at ``scope`` (``action`` is the operation granted)."""

    target: str  # principal id (lower)
    role_name: str
    scope: str
    action: str


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


@dataclass(frozen=True)
class Escalation:
    own: Privilege
    effective: Privilege
    paths: tuple[EscalationPath, ...] = field(default=())  # the ones that raise the level above ``own``
    reach: tuple[EscalationPath, ...] = field(default=())  # every identity it can act as directly (one step)

    @property
    def escalates(self) -> bool:
        return self.effective.rank > self.own.rank


def resource_type(arm_id: str) -> str:
    """The lowercase type of a resource from its ARM id ("" when not a resource id)."""
    parts = [p for p in arm_id.lower().split("/") if p]
    if "providers" not in parts:
        return ""
    i = len(parts) - 1 - parts[::-1].index("providers")
    rest = parts[i + 1 :]
    return "/".join([rest[0], *rest[1::2]]) if len(rest) >= 3 else ""


def _hosts(identity: ManagedIdentity) -> list[str]:
    ids = [identity.resource_id]
    if identity.kind is IdentityKind.USER:
        ids.extend(identity.used_by)
    return [i for i in dict.fromkeys(ids) if i]


def _ancestors(key: str) -> list[str]:
    """The key itself and the resource group and subscription above it (parent resources are not walked)."""
    parts = key.split("/")  # "", "subscriptions", id, "resourcegroups", name, ...
    out = [key]
    if len(parts) > 5 and parts[3] == "resourcegroups":
        out.append("/".join(parts[:5]))
    if len(parts) > 3 and parts[1] == "subscriptions":
        out.append("/".join(parts[:3]))
    return out


def acts_as(inv: Inventory) -> dict[str, list[Edge]]:
    """Who can act as whom: principal id (lower) -> the edges out of it."""
    below: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # scope key -> (host key, type, principal)
    everything: list[tuple[str, str, str]] = []
    for b in inv.identities:
        pid = b.principal_id.lower()
        for host in _hosts(b):
            key = scope_key(host)
            entry = (key, resource_type(key), pid)
            everything.append(entry)
            for anc in _ancestors(key):
                below[anc].append(entry)
    grants: dict[tuple[str, str], str | None] = {}
    definitions = inv.role_definitions
    edges: dict[str, list[Edge]] = {}
    for a in inv.identities:
        apid = a.principal_id.lower()
        out: dict[str, Edge] = {}
        for ra in inv.role_assignments.get(apid, ()):
            role: RoleDefinition | None = definitions.get(definition_guid(ra.role_definition_id))
            if role is None:
                continue
            top = scope_level(ra.scope) in (ScopeLevel.ROOT, ScopeLevel.MANAGEMENT_GROUP)
            for _host, rtype, target in everything if top else below.get(scope_key(ra.scope), ()):
                if target == apid or target in out:
                    continue
                probe = (role.name.lower(), rtype)
                if probe not in grants:
                    grants[probe] = next((op for op in RUN_AS.get(rtype, ()) if role_grants(role, op)), None)
                action = grants[probe]
                if action is not None:
                    out[target] = Edge(target, ra.role_name or role.role_name, ra.scope, action)
        if out:
            edges[apid] = list(out.values())
    return edges


def escalations(inv: Inventory) -> dict[str, Escalation]:
    """Every identity's own and effective privilege, with its escalation paths (principal id (lower) ->)."""
    by_id = {i.principal_id.lower(): i for i in inv.identities}
    own = {pid: inv.highest_privilege(i) for i in inv.identities if (pid := i.principal_id.lower())}
    edges = acts_as(inv)
    reverse: dict[str, list[str]] = defaultdict(list)
    for src, out in edges.items():
        for e in out:
            reverse[e.target].append(src)
    effective = dict(own)
    best: dict[str, str] = {}  # principal -> the neighbour its effective level came from
    work = list(own)
    while work:
        b = work.pop()
        for a in reverse.get(b, ()):
            if effective[b].rank > effective[a].rank:
                effective[a] = effective[b]
                best[a] = b
                work.append(a)
    result: dict[str, Escalation] = {}
    for pid, level in own.items():
        paths, reach = [], []
        for e in edges.get(pid, ()):
            target = by_id[e.target]
            right = inv.highest_right(target)
            reach.append(
                EscalationPath(
                    (target.name,),
                    e.role_name,
                    e.scope,
                    effective[e.target],
                    right.privilege_reason if right is not None else "",
                )
            )
            if effective[e.target].rank <= level.rank:
                continue
            via, seen, node = [by_id[e.target].name], {pid, e.target}, e.target
            while node in best and best[node] not in seen and effective[node].rank > own[node].rank:
                node = best[node]
                seen.add(node)
                via.append(by_id[node].name)
            right = inv.highest_right(by_id[node])
            reason = right.privilege_reason if right is not None else ""
            paths.append(EscalationPath(tuple(via), e.role_name, e.scope, effective[e.target], reason))
        paths.sort(key=lambda p: (-p.privilege.rank, p.via))
        reach.sort(key=lambda p: (-p.privilege.rank, p.via))
        result[pid] = Escalation(level, effective[pid], tuple(paths), tuple(reach))
    return result


def escalation_of(inv: Inventory, identity: ManagedIdentity) -> Escalation:
    """The identity's Escalation; the whole inventory's are computed on the first call and kept on it."""
    if not inv.escalations and inv.identities:
        inv.escalations.update(escalations(inv))
    level = inv.highest_privilege(identity)
    return inv.escalations.get(identity.principal_id.lower()) or Escalation(level, level)
