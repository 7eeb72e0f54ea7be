"""The right size's choice of role (issue #19): least privilege first, then the fit to the providers and resource
types of what was done, over the built-in roles as the sandbox serves them (Azure's own catalog, read through the
real SDKs). A role named for another service, or one that writes to providers never used, gives way to a general
one of the same privilege."""

from __future__ import annotations

import pytest

from tui.emulator.server import Emulator
from tui.services.models import Privilege
from tui.services.privilege import role_grants
from tui.services.right_size import best_role, fit, resource_type, right_sizes
from tui.services.session import Session
from tui.services.usage import usage_of

pytestmark = pytest.mark.asyncio(loop_scope="session")

RESTART = "Microsoft.Compute/virtualMachines/restart/action"
ASSIGN = "Microsoft.Authorization/roleAssignments/write"


def _role(inventory, name: str):
    return next(r for r in inventory.role_definitions.values() if r.role_name == name)


async def test_resource_types_of_operations() -> None:
    assert resource_type(RESTART) == "microsoft.compute/virtualmachines"
    assert resource_type(ASSIGN) == "microsoft.authorization/roleassignments"
    assert resource_type("Microsoft.Network/networkSecurityGroups/securityRules/delete") == (
        "microsoft.network/networksecuritygroups/securityrules"
    )


async def test_role_assignment_writes_get_a_role_assignment_role(demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    for broad in ("User Access Administrator", "Owner"):
        best = best_role(inv, (ASSIGN,), _role(inv, broad))
        assert best is not None
        # not a service's role that happens to write role assignments (Azure Resilience Management, DevCenter...)
        assert best.role_name == "Role Based Access Control Administrator", broad
    service = _role(inv, "DevCenter Owner")
    assert role_grants(service, ASSIGN) and fit(service, (ASSIGN,))[0] == 2  # named for a provider not used
    assert fit(best, (ASSIGN,)) < fit(service, (ASSIGN,))


async def test_a_vm_restart_gets_the_least_privileged_role_that_powers_vms(demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    best = best_role(inv, (RESTART,), _role(inv, "Contributor"))
    assert best is not None and role_grants(best, RESTART)
    # least privilege wins over a better-named role: Virtual Machine Contributor can run commands on the VM
    assert best.privilege == Privilege.NORMAL
    assert not role_grants(best, "Microsoft.Compute/virtualMachines/runCommand/action")
    vm_contributor = _role(inv, "Virtual Machine Contributor")
    assert vm_contributor.privilege == Privilege.CRITICAL
    assert fit(vm_contributor, (RESTART,))[0] == 0  # named for the resource type used


async def test_among_equals_the_compute_role_wins(demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    ops = (RESTART, "Microsoft.Compute/virtualMachines/write")
    best = best_role(inv, ops, _role(inv, "Contributor"))
    # not Desktop Virtualization Virtual Machine Contributor (another service's) nor Avere Contributor (more providers)
    assert best is not None and best.role_name == "Virtual Machine Contributor"
    others = [r for r in inv.role_definitions.values() if r.role_type == "BuiltInRole" and r is not best
              and all(role_grants(r, o) for o in ops) and r.privilege == best.privilege]  # fmt: skip
    assert others and all(fit(best, ops) <= fit(r, ops) or "*" in r.actions for r in others)


async def test_the_demo_proposals(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    report = await usage_of(inv, demo_session.backend)
    found = {(p.identity.name, p.broad.role_name): p for p in right_sizes(inv, report)}
    ops = found[("aa-ops-prod", "Contributor")]
    assert ops.operations == (RESTART,) and ops.scope.lower().endswith("/virtualmachines/vm-batch-prod-01")
    assert ops.role.privilege == Privilege.NORMAL
    ci = found[("id-dev-ci", "User Access Administrator")]  # its night burst of role assignments
    assert ci.operations == (ASSIGN,) and ci.role.role_name == "Role Based Access Control Administrator"
    assert ci.scope.lower() == ci.broad.scope.lower()  # the resource group it held it on
    deploy = found[("id-github-deploy", "Contributor")]
    assert deploy.role.role_name == "Website Contributor"  # a web app's role, not Logic Apps Standard Operator


async def test_a_role_whose_permissions_hold_under_a_condition_is_never_proposed(demo_session: Session) -> None:
    """Built-in roles that write role assignments only under a condition in their definition (which roles, to
    whom) are read as conditional, and never proposed: their flattened actions say more than they grant."""
    inv = await demo_session.load_inventory()
    conditional = [r for r in inv.role_definitions.values() if r.conditional]
    assert any(role_grants(r, ASSIGN) for r in conditional)  # (the catalog has such roles: the test can fail)
    best = best_role(inv, (ASSIGN,), _role(inv, "Owner"))
    assert best is not None and not best.conditional
    for r in conditional:
        assert best_role(inv, (ASSIGN,), r) is None or not best_role(inv, (ASSIGN,), r).conditional
