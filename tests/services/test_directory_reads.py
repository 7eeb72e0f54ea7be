"""Directory roles and rights through groups, read from the sandbox tenant through the real SDKs (issue #13): the
inventory's answer equals the tenant's truth (its directory role assignments, its groups' transitive members, its
ARM assignments' conditions and creators), and a caller that may not read the directory still gets the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tui.emulator.server import Emulator
from tui.emulator.tenant import Tenant
from tui.emulator.tenants.demo import ONLY_READER_CONDITION
from tui.services.models import Inventory, ManagedIdentity, Privilege

pytestmark = pytest.mark.asyncio(loop_scope="session")
HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile-tenant.json"


def _by_name(inv: Inventory) -> dict[str, ManagedIdentity]:
    return {i.name: i for i in inv.identities}


def _group_id(tenant: Tenant, name: str) -> str:
    return next(g.id for g in tenant.groups.values() if g.display_name == name)


def _directory_truth(tenant: Tenant, principals: set[str]) -> dict[str, set[tuple[str, str | None]]]:
    """principal -> {(role definition id, the group it comes through or None)}, from the tenant itself."""
    truth: dict[str, set[tuple[str, str | None]]] = {}
    for pid in principals:
        holders = {pid: None} | {g.id: g.id for g in tenant.groups_of(pid, transitive=True)}
        for a in tenant.directory_role_assignments.values():
            if a.principal_id.lower() in holders:
                truth.setdefault(pid, set()).add((a.role_definition_id.lower(), holders[a.principal_id.lower()]))
    return truth


async def test_directory_roles_and_group_rights_of_the_demo(demo_emulator: Emulator, demo_session: Any) -> None:
    inv = await demo_session.load_inventory()
    t = demo_emulator.tenant
    assert inv.problems == []
    ids = _by_name(inv)

    # every directory role of every identity, own and through its groups, as the tenant holds them
    principals = {i.principal_id.lower() for i in inv.identities}
    got = {
        pid: {(d.role_definition_id.lower(), d.via.group_id.lower() if d.via else None) for d in lst}
        for pid, lst in inv.directory_role_assignments.items()
    }
    assert got == _directory_truth(t, principals)

    def roles(name: str) -> list[tuple[str, Privilege, str | None]]:
        return [
            (d.role_name, d.privilege, d.via.group_name if d.via else None) for d in inv.directory_roles_of(ids[name])
        ]

    assert roles("id-tenant-bootstrap") == [("Global Administrator", Privilege.CRITICAL, None)]
    assert inv.highest_privilege(ids["id-tenant-bootstrap"]) is Privilege.CRITICAL
    assert [r[0] for r in roles("aa-exchange-mail")] == ["Exchange Administrator"]
    assert roles("sql-contoso-prod") == [("Directory Readers", Privilege.NORMAL, None)]
    assert roles("id-github-deploy") == [("Application Administrator", Privilege.CRITICAL, "sg-app-admins")]
    assert inv.directory_role_definitions["62e90394-69f5-4237-9190-012177145e10"].privilege is Privilege.CRITICAL

    # Owner of Contoso Production only through sg-platform-owners
    deploy = ids["id-platform-deploy"]
    owners_id = _group_id(t, "sg-platform-owners")
    prod = next(s for s in t.subscriptions.values() if s.display_name == "Contoso Production")
    owner = [a for a in inv.roles_of(deploy) if a.role_name == "Owner"]
    assert len(owner) == 1 and owner[0].scope.lower() == f"/subscriptions/{prod.subscription_id}".lower()
    assert owner[0].via is not None and owner[0].via.group_id.lower() == owners_id
    assert owner[0].via.group_name == "sg-platform-owners"
    assert owner[0].privilege is Privilege.CRITICAL and inv.highest_privilege(deploy) is Privilege.CRITICAL
    assert not any(a.via is None and a.role_name == "Owner" for a in inv.roles_of(deploy))
    assert [(g.id.lower(), g.display_name, g.is_assignable_to_role) for g in inv.groups_of(deploy)] == [
        (owners_id, "sg-platform-owners", True)
    ]
    # memberships are the tenant's (transitive), in the groups that hold a right
    holding = {a.principal_id.lower() for a in t.role_assignments.values()} | {
        a.principal_id.lower() for a in t.directory_role_assignments.values()
    }
    truth = {pid: {g.id for g in t.groups_of(pid, transitive=True) if g.id in holding} for pid in principals}
    assert {pid: set(gids) for pid, gids in inv.memberships.items()} == {p: g for p, g in truth.items() if g}
    assert len(inv.memberships) >= 2

    # createdBy resolved to the creator's name; the condition and description kept
    alex = t.users[t.admin_user_id]
    assert owner[0].created_by == alex.id and owner[0].created_by_name == alex.display_name
    rbac_admin = next(
        a for a in inv.roles_of(ids["aa-identity-sync"]) if a.role_name == "Role Based Access Control Administrator"
    )
    assert rbac_admin.condition == ONLY_READER_CONDITION and rbac_admin.condition_version == "2.0"
    assert rbac_admin.description and "Reader only" in rbac_admin.description
    creators = {ra.id.lower(): t.directory_object(ra.created_by) for ra in t.role_assignments.values() if ra.created_by}
    named = [(a.created_by_name, creators[a.id.lower()]) for lst in inv.role_assignments.values() for a in lst]
    assert len(named) == sum(len(lst) for lst in inv.role_assignments.values()), "every assignment has a creator"
    assert all(creator is not None and name == creator.display_name for name, creator in named)
    assert {name for name, _ in named} >= {"Alex Admin", "Dana Developer"}


async def test_a_caller_that_may_not_read_the_directory_gets_the_rest(emulator_factory: Any, session_for: Any) -> None:
    # id-dev-ci holds Application.Read.All and Contributor on Contoso Development: no RoleManagement.Read.Directory,
    # no Directory.Read.All, no directory role
    emu = emulator_factory(caller="id-dev-ci")
    session = await session_for(emu)
    inv = await session.load_inventory()
    assert inv.identities and inv.role_assignments
    refused = [p for p in inv.problems if p.startswith("Directory role")]
    assert len(refused) == 2, inv.problems
    assert all("403" in p or "denied" in p.lower() or "privileges" in p.lower() for p in refused), refused
    assert inv.directory_role_assignments == {}


async def test_group_members_unreadable_is_a_problem_not_a_failure(emulator_factory: Any, session_for: Any) -> None:
    emu = emulator_factory()
    session = await session_for(emu)
    emu.set_faults(1.0, kinds=("500",), routes=("$batch",))
    try:
        inv = await session.load_inventory()
    finally:
        emu.set_faults(0.0)
    assert any(p.startswith("Group members") for p in inv.problems), inv.problems
    deploy = _by_name(inv)["id-platform-deploy"]
    assert inv.memberships == {} and not any(a.via for a in inv.roles_of(deploy))
    assert inv.directory_roles_of(_by_name(inv)["id-tenant-bootstrap"]), "the direct directory roles still load"


async def test_hostile_group_names_come_through_literally(emulator_factory: Any, session_for: Any) -> None:
    emu = emulator_factory(str(HOSTILE))
    session = await session_for(emu)
    inv = await session.load_inventory()
    hostile = next(g for g in emu.tenant.groups.values() if "[@click=app.quit]" in g.display_name)
    assert inv.groups[hostile.id].display_name == hostile.display_name
    vias = [
        r.via
        for lst in (*inv.role_assignments.values(), *inv.directory_role_assignments.values())
        for r in lst
        if r.via
    ]
    assert vias and all(v.group_name == hostile.display_name for v in vias)
    assert any(d.role_name == "Global Reader" for lst in inv.directory_role_assignments.values() for d in lst)
