"""Every plan and apply path through the real SDKs against a fresh sandbox tenant."""

from __future__ import annotations

import json
import os
import stat

import pytest
from service_helpers import emulator_stats, writes_in

import tui
from tui.emulator.tenant import arm_key
from tui.services.errors import PermissionDenied, ReadOnlyRefused
from tui.services.models import Inventory, ManagedIdentity
from tui.services.plans import PlanAction
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


async def _role(session: Session, scope: str, name: str):  # noqa: ANN202
    return next(r for r in await session.role_definitions(scope) if r.role_name == name)


def _assignments(emulator, principal_id: str, scope: str) -> list:  # noqa: ANN001
    return [
        ra
        for ra in emulator.tenant.role_assignments.values()
        if ra.principal_id.lower() == principal_id.lower() and arm_key(ra.scope) == arm_key(scope)
    ]


def _grants(emulator, principal_id: str, app_role_id: str) -> list:  # noqa: ANN001
    return [
        g
        for g in emulator.tenant.app_role_assignments.values()
        if g.principal_id.lower() == principal_id.lower() and g.app_role_id.lower() == app_role_id.lower()
    ]


def _subscription(inv: Inventory, name: str) -> str:
    return next(s.scope for s in inv.subscriptions if s.display_name == name)


async def test_assign_then_again_then_remove(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Development")
    reader = await _role(session, scope, "Reader")

    plan = await session.plan_role_assignment(ident, reader, scope)
    assert plan.action is PlanAction.ASSIGN_ROLE and not plan.already_exists
    assert "--assignee-principal-type ServicePrincipal" in plan.az_command
    change = await session.apply(plan)
    assert change.outcome == "applied", change.message
    assert change.request_ids
    made = _assignments(emu, ident.principal_id, scope)
    assert len(made) == 1 and made[0].principal_type == "ServicePrincipal"
    assert change.assignment_id and change.assignment_id.lower() == made[0].id.lower()

    # the same (stale) plan again: Azure answers 409, reported as already there; still one assignment
    again = await session.apply(plan)
    assert again.outcome == "already-there"
    assert len(_assignments(emu, ident.principal_id, scope)) == 1

    # a fresh plan knows it exists: nothing is sent
    fresh = await session.plan_role_assignment(ident, reader, scope)
    assert fresh.already_exists and fresh.existing_id
    before = writes_in(emulator_stats(emu))
    assert (await session.apply(fresh)).outcome == "already-there"
    assert writes_in(emulator_stats(emu)) == before

    inv = await session.load_inventory()
    assignment = next(a for a in inv.roles_of(ident) if a.id.lower() == made[0].id.lower())
    removal = await session.plan_role_removal(ident, assignment)
    assert removal.already_exists
    assert (await session.apply(removal)).outcome == "applied"
    assert _assignments(emu, ident.principal_id, scope) == []
    assert (await session.apply(removal)).outcome == "already-there"

    entries = session.audit.entries()
    assert [e["event"] for e in entries].count("intent") == [e["event"] for e in entries].count("outcome") == 5
    assert {e.get("result") for e in entries if e["event"] == "outcome"} == {"applied", "already-there"}
    assert {e["mitui"] for e in entries} == {tui.version()}  # each line says which mitui wrote it


async def test_grant_then_again_then_revoke(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "User.Read.All")

    plan = await session.plan_app_role_grant(ident, graph, role)
    assert not plan.already_exists and "appRoleAssignments" in plan.az_command
    assert "New-MgServicePrincipalAppRoleAssignment" in plan.powershell_command
    change = await session.apply(plan)
    assert change.outcome == "applied", change.message
    assert len(_grants(emu, ident.principal_id, role.id)) == 1
    again = await session.apply(plan)
    assert again.outcome == "already-there"
    assert len(_grants(emu, ident.principal_id, role.id)) == 1

    inv = await session.load_inventory()
    grant = next(g for g in inv.app_roles_of(ident) if g.app_role_id == role.id)
    assert grant.app_role_value == "User.Read.All"
    revoke = await session.plan_app_role_revoke(ident, grant)
    assert revoke.already_exists
    assert (await session.apply(revoke)).outcome == "applied"
    assert _grants(emu, ident.principal_id, role.id) == []
    assert (await session.apply(revoke)).outcome == "already-there"


async def test_critical_rights_need_typed_confirmation(demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Development")
    owner = await _role(demo_session, scope, "Owner")
    plan = await demo_session.plan_role_assignment(ident, owner, scope)
    assert plan.privilege.value == "critical" and plan.requires_typed_confirmation
    graph = await demo_session.resource_app()
    rm = next(r for r in graph.app_roles if r.value == "RoleManagement.ReadWrite.Directory")
    assert (await demo_session.plan_app_role_grant(ident, graph, rm)).requires_typed_confirmation


async def test_arm_403_says_which_right_and_roles(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Shared Services")  # the admin is only Reader here
    plan = await session.plan_role_assignment(ident, await _role(session, scope, "Reader"), scope)
    change = await session.apply(plan)
    assert change.outcome == "failed"
    assert isinstance(change.error, PermissionDenied)
    assert "roleAssignments/write" in change.error.title
    assert "Owner" in change.error.hint and "User Access Administrator" in change.error.hint
    assert _assignments(emu, ident.principal_id, scope) == []
    outcome = session.audit.entries()[-1]
    assert outcome["event"] == "outcome" and outcome["result"] == "failed"


async def test_graph_403_names_the_permission(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory(caller="Dana Developer")
    session = await session_for(emu)
    assert session.caller.display_name == "Dana Developer"
    inv = await session.load_inventory()
    ident = (
        next(i for i in inv.identities if i.name == "id-legacy-unused")
        if any(i.name == "id-legacy-unused" for i in inv.identities)
        else inv.identities[0]
    )
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "User.Read.All")
    change = await session.apply(await session.plan_app_role_grant(ident, graph, role))
    assert change.outcome == "failed" and isinstance(change.error, PermissionDenied)
    assert "AppRoleAssignment.ReadWrite.All" in change.error.hint
    assert "Privileged Role Administrator" in change.error.hint


async def test_read_only_sends_nothing(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu, read_only=True)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Development")
    plan = await session.plan_role_assignment(ident, await _role(session, scope, "Reader"), scope)
    graph = await session.resource_app()
    grant = await session.plan_app_role_grant(
        ident, graph, next(r for r in graph.app_roles if r.value == "User.Read.All")
    )
    before = emulator_stats(emu)
    for p in (plan, grant):
        with pytest.raises(ReadOnlyRefused):
            await session.apply(p)
    # whatever path calls it: the backend itself refuses too, before anything leaves the process
    backend = session.backend
    with pytest.raises(ReadOnlyRefused):
        await backend.create_role_assignment(
            scope, "0b4a1b7e-1f7c-4a3e-9d59-3f8a2d1f7c11", plan.right_id, ident.principal_id
        )
    with pytest.raises(ReadOnlyRefused):
        await backend.create_app_role_assignment(ident.principal_id, graph.id, grant.right_id)
    after = emulator_stats(emu)
    assert writes_in(after) == writes_in(before) == 0
    results = [e.get("result") for e in session.audit.entries() if e["event"] == "outcome"]
    assert results == ["refused", "refused"]


async def test_audit_log_has_no_token_and_is_private(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Development")
    await session.apply(await session.plan_role_assignment(ident, await _role(session, scope, "Reader"), scope))
    path = session.audit.path
    text = path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    token = await session.backend.credential.get_token(session.backend.cloud.arm_scope)
    assert token.token not in text and "eyJ" not in text
    entries = [json.loads(line) for line in text.splitlines()]
    intent, outcome = entries
    assert intent["event"] == "intent" and outcome["event"] == "outcome"
    assert intent["operation"] == outcome["operation"]
    assert outcome["who"]["objectId"] == session.caller.object_id
    assert outcome["identity"]["principalId"] == ident.principal_id
    assert outcome["where"]["target"] == scope and outcome["result"] == "applied" and outcome["requestIds"]


async def test_lost_responses_are_reconciled_not_duplicated(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = _subscription(inv, "Contoso Development")
    plan = await session.plan_role_assignment(ident, await _role(session, scope, "Reader"), scope)
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "User.Read.All")
    grant = await session.plan_app_role_grant(ident, graph, role)

    emu.set_faults(1.0, seed=1, kinds=("drop-after-commit",))  # every write commits, then the connection drops
    try:
        assigned = await session.apply(plan)
        granted = await session.apply(grant)
    finally:
        emu.set_faults(0.0)
    assert assigned.outcome == "applied", assigned.message
    assert granted.outcome == "applied", granted.message
    assert len(_assignments(emu, ident.principal_id, scope)) == 1
    assert len(_grants(emu, ident.principal_id, role.id)) == 1
