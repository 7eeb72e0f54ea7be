"""The right size of a broad right that was used narrowly (issue #19): the least-privileged built-in role that covers
every operation seen, at the narrowest scope that covers every resource touched, proposed as two plans — assign the
narrow right, then remove the broad one — through the usual plan → confirmation → audit path.

The issue's example: "used only Microsoft.Compute/virtualMachines/restart/action on vm-batch-prod-01: Virtual
Machine Contributor on that VM would do" (mitui proposes a less privileged role there: see below). Nothing is
proposed for a right never used (that is the ``unused-right`` finding: remove it), nor when the Activity Log could
not be read (unknown), nor when nothing narrower covers what was done.

Candidates are ranked by privilege first (least privilege is the point), then by their *fit* to what was done:
a role named for a service it acts on that was not used ("Desktop Virtualization ...", "DevCenter ...") comes after
general ones; then the fewer other providers it may change, and the fewer of its changes fall outside the resource
types used, the better; then its breadth (wildcards, actions). So ``roleAssignments/write`` on a resource group gets
a role-assignment role (Role Based Access Control Administrator), not a role of some service that happens to write
role assignments. A lower privilege still wins over a better fit: a VM restarted and nothing else gets a role that
powers VMs on and off (normal), not Virtual Machine Contributor (critical: it can run commands on the VM). At a
resource's scope, actions on other providers' resources reach nothing anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tui.services.models import Inventory, ManagedIdentity, RoleAssignment, RoleDefinition
from tui.services.privilege import role_grants
from tui.services.usage import OK, UsageReport, exercised, role_of

if TYPE_CHECKING:
    from tui.services.plans import Plan
    from tui.services.session import Session


@dataclass(frozen=True)
class RightSize:
    identity: ManagedIdentity
    broad: RoleAssignment
    role: RoleDefinition  # the narrow role
    scope: str  # the narrow scope
    operations: tuple[str, ...]  # every operation seen, sorted
    resources: tuple[str, ...]  # every resource touched, sorted

    @property
    def reason(self) -> str:
        ops = ", ".join(self.operations[:3]) + (
            f" and {len(self.operations) - 3} more" if len(self.operations) > 3 else ""
        )
        where = _last(self.scope) if len(self.resources) == 1 else f"{len(self.resources)} resources"
        return f"used only {ops} on {where}: {self.role.role_name} on {_last(self.scope)} would do"


def _last(scope: str) -> str:
    parts = [p for p in scope.split("/") if p]
    return parts[-1] if parts else "/"


def narrowest_scope(resource_ids: list[str]) -> str:
    """The narrowest subscription, resource group or resource that holds every resource in ``resource_ids``."""
    split = [[p for p in r.split("/") if p] for r in resource_ids]
    common: list[str] = []
    for segs in zip(*split, strict=False):
        if len({s.lower() for s in segs}) != 1:
            break
        common.append(segs[0])
    if len({r.lower().rstrip("/") for r in resource_ids}) == 1:
        return "/" + "/".join(split[0])
    if len(common) >= 4:
        return "/" + "/".join(common[:4])
    return "/" + "/".join(common[:2]) if len(common) >= 2 else "/"


def _breadth(role: RoleDefinition) -> tuple[int, int, int, int]:
    """How much a role allows (to order candidates, least first): its privilege, whether it allows every action
    (``*``), its wildcards, its actions."""
    every = int(any(a.strip() == "*" for a in role.actions))
    return role.privilege.rank, every, sum(a.count("*") for a in role.actions), len(role.actions)


def _provider(action: str) -> str:
    return action.split("/", 1)[0].lower()


def resource_type(operation: str) -> str:
    """The resource type an operation acts on: ``Microsoft.Compute/virtualMachines/restart/action`` ->
    ``microsoft.compute/virtualmachines`` (lowercase)."""
    parts = operation.lower().split("/")
    return "/".join(parts[:-2] if parts[-1] == "action" and len(parts) > 3 else parts[:-1])


def _words(provider_or_type: str) -> str:
    """What a role's name would say for a provider or resource type: ``microsoft.keyvault`` -> ``keyvault``,
    ``microsoft.compute/virtualmachines`` -> ``virtualmachine``."""
    last = provider_or_type.rsplit("/", 1)[-1].split(".", 1)[-1]
    return last[:-1] if last.endswith("s") and "/" in provider_or_type else last


def fit(role: RoleDefinition, operations: tuple[str, ...]) -> tuple[int, int, int]:
    """How far ``role`` strays from the providers and resource types of ``operations`` (to order candidates, best
    first): what its name says (0: it names a provider or resource type used, as Virtual Machine Contributor or Key
    Vault Contributor do; 1: neither; 2: it names a provider it acts on that was not used, as Desktop Virtualization
    ... does), how many other providers it may change (data actions included), and how many of its changes reach
    other resource types of the providers used."""
    used = {_provider(o) for o in operations}
    types = {resource_type(o) for o in operations}
    name = "".join(c for c in role.role_name.lower() if c.isalnum())
    providers = {_provider(a) for a in (*role.actions, *role.data_actions)} - {"*"}
    if any(p not in used and _words(p) in name for p in providers):
        named = 2
    elif any(_words(t) in name for t in (*used, *types)):
        named = 0
    else:
        named = 1
    changes = [a.lower() for a in role.actions if not a.lower().endswith("/read")]
    foreign = {_provider(a) for a in (*changes, *role.data_actions)} - used - {"*"}
    off_type = sum(1 for a in changes if _provider(a) in used and not any(a.startswith(t + "/") for t in types))
    return named, len(foreign), off_type


def _rank(role: RoleDefinition, operations: tuple[str, ...]) -> tuple[int, ...]:
    privilege, every, *breadth = _breadth(role)
    return privilege, every, *fit(role, operations), *breadth


def best_role(inventory: Inventory, operations: tuple[str, ...], broad: RoleDefinition) -> RoleDefinition | None:
    """The built-in role that allows every one of ``operations`` without a condition, no broader than ``broad``,
    ranked by privilege, then fit, then breadth (the module's docstring); None when there is none."""
    candidates = [
        r
        for r in inventory.role_definitions.values()
        if r.role_type == "BuiltInRole"
        and not r.conditional  # (what it grants depends on a condition: it may not allow what was done)
        and all(role_grants(r, op) for op in operations)
        and _breadth(r) <= _breadth(broad)
    ]
    return min(candidates, key=lambda r: (*_rank(r, operations), r.role_name.lower())) if candidates else None


def right_size(
    inventory: Inventory, report: UsageReport, identity: ManagedIdentity, broad: RoleAssignment
) -> RightSize | None:
    """The proposal for ``broad`` (see the module's docstring), or None."""
    if report.coverage.get("activityLog") != OK or broad.via is not None:
        return None
    role = role_of(inventory, broad)
    used = exercised(broad, role, report.operations_of(identity.principal_id))
    if not used or role is None:
        return None
    operations = tuple(sorted({o.operation for o in used}, key=str.lower))
    resources = tuple(sorted({o.resource_id for o in used}, key=str.lower))
    best = best_role(inventory, operations, role)
    if best is None:
        return None
    scope = narrowest_scope(list(resources))
    if best.name.lower() == role.name.lower() and scope.lower() == broad.scope.lower().rstrip("/"):
        return None  # already the right size
    sub = [p for p in scope.split("/") if p][1]  # the role's id at the new scope's subscription
    best = replace(best, id=f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{best.name}")
    return RightSize(identity, broad, best, scope, operations, resources)


def right_sizes(inventory: Inventory, report: UsageReport) -> list[RightSize]:
    """Every proposal of the inventory (each identity's direct Azure role assignments), most privileged first."""
    out = []
    for identity in inventory.identities:
        for ra in inventory.role_assignments.get(identity.principal_id.lower(), []):
            found = right_size(inventory, report, identity, ra)
            if found is not None:
                out.append(found)
    out.sort(key=lambda p: (-p.broad.privilege.rank, p.identity.name.lower()))
    return out


async def right_size_plans(session: Session, proposal: RightSize) -> list[Plan]:
    """The two plans, in the order they must be applied: assign the narrow right, then remove the broad one (apply the
    second only when the first is done: the identity never loses what it uses)."""
    assign = await session.plan_role_assignment(proposal.identity, proposal.role, proposal.scope)
    remove = await session.plan_role_removal(proposal.identity, proposal.broad)
    return [assign, remove]
