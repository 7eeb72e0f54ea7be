"""Writes: nothing duplicated, nothing lost, every failure in the audit log.

What tests/services/test_apply.py already covers is not repeated here (a stale plan applied again, lost
responses of an assignment and a grant, an ARM 403 in the audit log). Added: two plans for the same right
applied at the same time, lost responses of removals and revocations, a Graph 403 and a write fault past the
retries in the audit log, and the tenant's truth checked after each."""

from __future__ import annotations

import asyncio

import pytest
from safety_helpers import assignments_of, grants_of, stats

from tui.services.errors import PermissionDenied, ServiceError
from tui.services.models import Inventory, ManagedIdentity

pytestmark = pytest.mark.asyncio(loop_scope="session")

GRANT_POST = "POST /v1.0/servicePrincipals/{sp_id}/appRoleAssignments"


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


def _subscription(inv: Inventory, name: str) -> str:
    return next(s.scope for s in inv.subscriptions if s.display_name == name)


async def _setup(session):  # noqa: ANN001, ANN202
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Development") + "/resourceGroups/rg-dev-apps"
    reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "Group.Read.All")
    return ident, scope, reader, graph, role


def _audit_pairs(session) -> list[tuple[dict, dict]]:  # noqa: ANN001
    entries = session.audit.entries()
    intents = {e["operation"]: e for e in entries if e["event"] == "intent"}
    return [(intents[e["operation"]], e) for e in entries if e["event"] == "outcome"]


async def test_two_plans_for_the_same_right_at_once_leave_one(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    ident, scope, reader, graph, role = await _setup(session)
    # two plans made before either is applied (two windows, two admins): both think the right is missing
    assigns = [await session.plan_role_assignment(ident, reader, scope) for _ in range(2)]
    grants = [await session.plan_app_role_grant(ident, graph, role) for _ in range(2)]
    assert not any(p.already_exists for p in assigns + grants)
    changes = await asyncio.gather(*(session.apply(p) for p in (*assigns, *grants)))
    assert sorted(c.outcome for c in changes[:2]) == ["already-there", "applied"], [c.message for c in changes]
    assert sorted(c.outcome for c in changes[2:]) == ["already-there", "applied"], [c.message for c in changes]
    assert len(assignments_of(emu, ident.principal_id, scope)) == 1
    assert len(grants_of(emu, ident.principal_id, role.id)) == 1
    # and the same plans once more: nothing new
    again = [await session.apply(p) for p in (*assigns, *grants)]
    assert {c.outcome for c in again} == {"already-there"}
    assert len(assignments_of(emu, ident.principal_id, scope)) == 1
    assert len(grants_of(emu, ident.principal_id, role.id)) == 1
    # every one of the 8 applies has its intent and outcome
    assert len(_audit_pairs(session)) == 8


async def test_lost_responses_of_removals_are_reconciled(emulator_factory, session_for) -> None:  # noqa: ANN001
    """A removal and a revocation commit, then the connection drops before the answer ("drop-after-commit"; the
    same for an assignment and a grant is in tests/services/test_apply.py)."""
    emu = emulator_factory()
    session = await session_for(emu)
    ident, scope, reader, graph, role = await _setup(session)
    assigned = await session.apply(await session.plan_role_assignment(ident, reader, scope))
    granted = await session.apply(await session.plan_app_role_grant(ident, graph, role))
    inv = await session.load_inventory()
    ra = next(a for a in inv.roles_of(ident) if a.id.lower() == (assigned.assignment_id or "").lower())
    grant = next(g for g in inv.app_roles_of(ident) if g.id == granted.assignment_id)
    removal = await session.plan_role_removal(ident, ra)
    revoke = await session.plan_app_role_revoke(ident, grant)
    stats(emu, reset=True)
    emu.set_faults(1.0, seed=3, kinds=("drop-after-commit",))  # only writes: every one commits, then drops
    try:
        removed = await session.apply(removal)
        revoked = await session.apply(revoke)
    finally:
        emu.set_faults(0.0)
    assert (removed.outcome, revoked.outcome) == ("applied", "applied"), (removed.message, revoked.message)
    assert "read back" in removed.message and "read back" in revoked.message
    assert assignments_of(emu, ident.principal_id, scope) == []
    assert grants_of(emu, ident.principal_id, role.id) == []
    after = stats(emu)
    assert after["faults"] == {"drop-after-commit": 2}, list(after["byRoute"].items())
    # each DELETE was sent once: never blindly again (the SDK's own retry of a DELETE whose answer was lost got 204,
    # and the removal mitui had just made was logged as "already gone")
    assert sum(n for route, n in after["byRoute"].items() if route.startswith("DELETE")) == 2
    assert [o["result"] for _, o in _audit_pairs(session)] == ["applied"] * 4


async def test_a_graph_403_is_audited(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory(caller="Dana Developer")
    session = await session_for(emu)
    inv = await session.load_inventory()
    ident = inv.identities[0]
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "User.Read.All")
    change = await session.apply(await session.plan_app_role_grant(ident, graph, role))
    assert change.outcome == "failed" and isinstance(change.error, PermissionDenied)
    assert grants_of(emu, ident.principal_id, role.id) == [] or all(
        g.id != change.assignment_id for g in grants_of(emu, ident.principal_id, role.id)
    )
    intent, outcome = _audit_pairs(session)[-1]
    assert intent["right"] == outcome["right"] and intent["where"] == outcome["where"] and outcome["result"] == "failed"
    assert "AppRoleAssignment.ReadWrite.All" in outcome["message"]
    assert outcome["requestIds"]  # the failed request can be traced


async def test_a_write_fault_past_the_retries_is_audited_and_not_duplicated(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    ident, _, _, graph, role = await _setup(session)
    plan = await session.plan_app_role_grant(ident, graph, role)
    before = stats(emu)["byRoute"].get(GRANT_POST, 0)
    emu.set_faults(1.0, seed=0, kinds=("500",), routes=(GRANT_POST,))  # every grant POST fails, reads work
    try:
        change = await session.apply(plan)
    finally:
        emu.set_faults(0.0)
    assert change.outcome == "failed" and isinstance(change.error, ServiceError), change.message
    sent = stats(emu)["byRoute"].get(GRANT_POST, 0) - before
    assert sent == session.uncertain_retries + 1  # read back after each failure, sent again only when absent
    assert grants_of(emu, ident.principal_id, role.id) == []
    intent, outcome = _audit_pairs(session)[-1]
    assert intent["event"] == "intent" and outcome["result"] == "failed"
    assert "500" in outcome["message"] and outcome["requestIds"]
    # once the fault is gone, the same plan goes through exactly once
    assert (await session.apply(plan)).outcome == "applied"
    assert len(grants_of(emu, ident.principal_id, role.id)) == 1
