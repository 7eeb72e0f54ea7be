"""Granting and removing Entra directory roles: plan, apply, audit, through the real msgraph-sdk against a fresh
sandbox tenant (Graph ``/roleManagement/directory/roleAssignments``)."""

from __future__ import annotations

import json

import pytest
from service_helpers import emulator_stats, writes_in

from tui.emulator.tenant import DirectoryRoleAssignment as TenantAssignment
from tui.services.directory_roles import builtin_directory_roles
from tui.services.errors import InvalidInput, PermissionDenied, ReadOnlyRefused
from tui.services.models import DirectoryRoleAssignment, DirectoryRoleDefinition, Inventory, ManagedIdentity, Via
from tui.services.plans import PlanAction, sh_quote
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"  # Entra's template ids are the same in every tenant
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


def _role(role_id: str) -> DirectoryRoleDefinition:
    return next(r for r in builtin_directory_roles() if r.id == role_id)


def _held(emulator, principal_id: str, role_id: str) -> list[TenantAssignment]:  # noqa: ANN001
    return [
        a
        for a in emulator.tenant.directory_role_assignments.values()
        if a.principal_id.lower() == principal_id.lower() and a.role_definition_id.lower() == role_id
    ]


async def test_grant_then_again_then_remove(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    assert _held(emu, ident.principal_id, GLOBAL_ADMINISTRATOR) == []

    plan = await session.plan_directory_role_grant(ident, _role(GLOBAL_ADMINISTRATOR))
    assert plan.action is PlanAction.GRANT_DIRECTORY_ROLE and not plan.already_exists
    assert plan.right_name == "Global Administrator" and plan.privilege.value == "critical"
    assert plan.requires_typed_confirmation and plan.privilege_reason
    assert ("Scope", "tenant") in plan.summary()
    assert plan.az_command.startswith("az rest --method POST --uri ")
    assert f"{session.graph_url}/v1.0/roleManagement/directory/roleAssignments" in plan.az_command
    body = json.loads(plan.az_command.split("--body ", 1)[1].strip("'"))
    assert body == {
        "principalId": ident.principal_id,
        "roleDefinitionId": GLOBAL_ADMINISTRATOR,
        "directoryScopeId": "/",
    }
    assert plan.powershell_command == (
        f"New-MgRoleManagementDirectoryRoleAssignment -PrincipalId '{ident.principal_id}' "
        f"-RoleDefinitionId '{GLOBAL_ADMINISTRATOR}' -DirectoryScopeId '/'"
    )

    change = await session.apply(plan)
    assert change.outcome == "applied", change.message
    made = _held(emu, ident.principal_id, GLOBAL_ADMINISTRATOR)
    assert len(made) == 1 and made[0].directory_scope_id == "/"
    assert change.assignment_id == made[0].id and change.request_ids

    # the same (stale) plan again: Graph answers 400 (a conflicting object), reported as already there
    again = await session.apply(plan)
    assert again.outcome == "already-there" and again.assignment_id == made[0].id
    assert len(_held(emu, ident.principal_id, GLOBAL_ADMINISTRATOR)) == 1

    # a fresh plan knows it is there: nothing is sent
    fresh = await session.plan_directory_role_grant(ident, _role(GLOBAL_ADMINISTRATOR))
    assert fresh.already_exists and fresh.existing_id == made[0].id
    before = writes_in(emulator_stats(emu))
    assert (await session.apply(fresh)).outcome == "already-there"
    assert writes_in(emulator_stats(emu)) == before

    held = DirectoryRoleAssignment(
        id=made[0].id,
        principal_id=ident.principal_id,
        role_definition_id=GLOBAL_ADMINISTRATOR,
        role_name="Global Administrator",
    )
    removal = await session.plan_directory_role_removal(ident, held)
    assert removal.action is PlanAction.REMOVE_DIRECTORY_ROLE and removal.already_exists
    assert removal.az_command == (
        "az rest --method DELETE --uri "
        + sh_quote(f"{session.graph_url}/v1.0/roleManagement/directory/roleAssignments/{made[0].id}")
    )
    assert removal.powershell_command == (
        f"Remove-MgRoleManagementDirectoryRoleAssignment -UnifiedRoleAssignmentId '{made[0].id}'"
    )
    assert (await session.apply(removal)).outcome == "applied"
    assert _held(emu, ident.principal_id, GLOBAL_ADMINISTRATOR) == []
    assert (await session.apply(removal)).outcome == "already-there"  # Graph's 404: already gone
    assert not (await session.plan_directory_role_removal(ident, held)).already_exists

    entries = session.audit.entries()
    outcomes = [e for e in entries if e["event"] == "outcome"]
    assert [e["action"] for e in outcomes] == [
        "grant-directory-role",
        "grant-directory-role",
        "grant-directory-role",
        "remove-directory-role",
        "remove-directory-role",
    ]
    assert [e["result"] for e in outcomes] == ["applied", "already-there", "already-there", "applied", "already-there"]
    assert outcomes[0]["right"] == {"name": "Global Administrator", "id": GLOBAL_ADMINISTRATOR, "privilege": "critical"}
    assert outcomes[0]["where"] == {"target": "/", "targetId": "/"} and outcomes[0]["requestIds"]


async def test_backend_reads_what_it_wrote(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    backend = session.backend
    written = await backend.create_directory_role_assignment(ident.principal_id, DIRECTORY_READERS)
    assert isinstance(written.value, DirectoryRoleAssignment) and written.request_ids
    truth = _held(emu, ident.principal_id, DIRECTORY_READERS)
    assert len(truth) == 1 and written.value.id == truth[0].id
    assert written.value.role_definition_id == DIRECTORY_READERS and written.value.directory_scope_id == "/"
    listed = await backend.list_directory_role_assignments_of(ident.principal_id)
    assert [(a.id, a.role_definition_id, a.directory_scope_id) for a in listed] == [
        (truth[0].id, DIRECTORY_READERS, "/")
    ]
    gone = await backend.delete_directory_role_assignment(truth[0].id)
    assert gone.value is None and gone.request_ids
    assert await backend.list_directory_role_assignments_of(ident.principal_id) == []


async def test_403_names_privileged_role_administrator(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory(caller="Dana Developer")  # (no directory role)
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = inv.identities[0]
    change = await session.apply(await session.plan_directory_role_grant(ident, _role(DIRECTORY_READERS)))
    assert change.outcome == "failed" and isinstance(change.error, PermissionDenied)
    assert "directory role" in change.error.title
    assert "Privileged Role Administrator" in change.error.hint
    assert _held(emu, ident.principal_id, DIRECTORY_READERS) == []


async def test_a_role_held_through_a_group_is_not_removed_from_the_identity(demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    ident = _identity(inv, "id-github-deploy")
    through = DirectoryRoleAssignment(
        id="x",
        principal_id="00000000-0000-0000-0000-000000000001",
        role_definition_id="9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        role_name="Application Administrator",
        via=Via("00000000-0000-0000-0000-000000000001", "sg-app-admins"),
    )
    with pytest.raises(InvalidInput) as info:
        await demo_session.plan_directory_role_removal(ident, through)
    assert "sg-app-admins" in info.value.title and "id-github-deploy" in info.value.hint


async def test_read_only_sends_nothing(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu, read_only=True)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    plan = await session.plan_directory_role_grant(ident, _role(DIRECTORY_READERS))
    before = emulator_stats(emu)
    with pytest.raises(ReadOnlyRefused):
        await session.apply(plan)
    with pytest.raises(ReadOnlyRefused):  # the backend itself refuses too
        await session.backend.create_directory_role_assignment(ident.principal_id, DIRECTORY_READERS)
    assert writes_in(emulator_stats(emu)) == writes_in(before) == 0
    assert [e.get("result") for e in session.audit.entries() if e["event"] == "outcome"] == ["refused"]


async def test_lost_responses_are_reconciled_not_duplicated(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    plan = await session.plan_directory_role_grant(ident, _role(DIRECTORY_READERS))
    emu.set_faults(1.0, seed=1, kinds=("drop-after-commit",))  # every write commits, then the connection drops
    try:
        granted = await session.apply(plan)
    finally:
        emu.set_faults(0.0)
    assert granted.outcome == "applied", granted.message
    assert len(_held(emu, ident.principal_id, DIRECTORY_READERS)) == 1
