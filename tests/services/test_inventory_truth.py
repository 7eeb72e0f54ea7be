"""The inventory read through the real SDKs equals the sandbox tenant's truth."""

from __future__ import annotations

import pytest

from tui.emulator.rbac import ancestors_in
from tui.emulator.server import Emulator
from tui.emulator.tenant import Tenant, arm_key
from tui.services.joins import inherited_at
from tui.services.models import IdentityKind, Privilege
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _visible_subscriptions(emulator: Emulator, session: Session) -> set[str]:
    # the admin can read a subscription when any of their role assignments applies there
    t = emulator.tenant
    caller = session.caller.object_id.lower()
    subs = set()
    for ra in t.role_assignments.values():
        if ra.principal_id.lower() == caller:
            parts = [p for p in ra.scope.split("/") if p]
            if len(parts) >= 2:
                subs.add(parts[1].lower())
            else:
                subs.update(s.lower() for s in t.subscriptions)
    return subs


def _truth_identities(t: Tenant) -> dict[str, tuple[str, str, str]]:
    """principal id -> (kind, resource id key, client id) for every managed-identity service principal."""
    out = {}
    for sp in t.service_principals.values():
        if sp.service_principal_type != "ManagedIdentity":
            continue
        explicit = any(n.lower() == "isexplicit=true" for n in sp.alternative_names)
        rid = next(n for n in sp.alternative_names if n.startswith("/"))
        out[sp.id.lower()] = ("user-assigned" if explicit else "system-assigned", arm_key(rid), sp.app_id)
    return out


async def test_identities_equal_the_tenant(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    assert inv.problems == []
    truth = _truth_identities(demo_emulator.tenant)
    got = {i.principal_id.lower(): (i.kind.value, arm_key(i.resource_id), i.client_id) for i in inv.identities}
    assert got == truth
    visible = _visible_subscriptions(demo_emulator, demo_session)
    for i in inv.identities:
        assert i.visible_in_arm == (i.subscription_id in visible), i.name
    # Finance is invisible in ARM: its identities still appear, from Graph
    assert any(not i.visible_in_arm for i in inv.identities)
    assert {s.id for s in inv.subscriptions} == {s for s in demo_emulator.tenant.subscriptions if s in visible}


async def test_used_by_equals_the_tenant(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    t = demo_emulator.tenant
    visible = _visible_subscriptions(demo_emulator, demo_session)
    for i in inv.identities:
        if i.kind is IdentityKind.USER and i.visible_in_arm:
            users = {
                arm_key(r.id)
                for r in t.resources.values()
                if any(arm_key(u) == arm_key(i.resource_id) for u in r.user_assigned_identity_ids)
                and r.subscription_id.lower() in visible
            }
            assert {arm_key(u) for u in i.used_by} == users, i.name
        if i.kind is IdentityKind.SYSTEM and i.visible_in_arm:
            assert [arm_key(u) for u in i.used_by] == [arm_key(i.resource_id)]


async def test_role_assignments_equal_the_tenant(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    t = demo_emulator.tenant
    visible = _visible_subscriptions(demo_emulator, demo_session)
    principals = {i.principal_id.lower(): i for i in inv.identities}
    # an identity's own assignments, and those of every group it is a member of (transitively, per the tenant)
    holders: dict[str, set[str]] = {}  # principal id -> the identities whose right it is
    for pid in principals:
        holders.setdefault(pid, set()).add(pid)
        for g in t.groups_of(pid, transitive=True):
            holders.setdefault(g.id.lower(), set()).add(pid)
    truth: dict[str, set[str]] = {}
    # a management group's assignments come inherited in the listings of the subscriptions below it
    below_mg = {key for s in visible for key in ancestors_in(t, f"/subscriptions/{s}") if key.startswith("/providers/")}
    for ra in t.role_assignments.values():
        parts = [p for p in ra.scope.split("/") if p]
        sub = parts[1].lower() if len(parts) >= 2 else None
        if parts[:1] == ["providers"]:
            sub = next(iter(visible)) if arm_key(ra.scope) in below_mg else "(no visible subscription below)"
        for pid in holders.get(ra.principal_id.lower(), ()) if (sub is None or sub in visible) else ():
            truth.setdefault(pid, set()).add(ra.id.lower())
    got = {pid: {a.id.lower() for a in lst} for pid, lst in inv.role_assignments.items()}
    assert got == truth
    assert any(a.via for lst in inv.role_assignments.values() for a in lst), "the demo holds rights through groups"
    for pid, lst in inv.role_assignments.items():
        ident = principals[pid]
        for a in lst:
            rd = t.role_definitions[a.role_definition_id.rsplit("/", 1)[-1].lower()]
            assert a.role_name == rd.role_name
            assert (
                inherited_at(a, ident.resource_id)
                == (
                    arm_key(a.scope) != arm_key(ident.resource_id)
                    and arm_key(ident.resource_id).startswith(arm_key(a.scope) + "/")
                )
                or arm_key(a.scope) in below_mg
            )  # a management group above its subscription
    by_name = {i.name: i for i in inv.identities}
    owner = [a for a in inv.roles_of(by_name["aa-dev"]) if a.role_name == "Owner"]
    assert owner and owner[0].privilege is Privilege.CRITICAL
    assert inherited_at(owner[0], by_name["aa-dev"].resource_id)


async def test_app_role_grants_equal_the_tenant(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    t = demo_emulator.tenant
    principals = {i.principal_id.lower() for i in inv.identities}
    truth: dict[str, set[tuple[str, str]]] = {}
    for g in t.app_role_assignments.values():
        if g.principal_id.lower() in principals:
            sp = t.service_principals[g.resource_id.lower()]
            value = next(r["value"] for r in sp.app_roles if r["id"].lower() == g.app_role_id.lower())
            truth.setdefault(g.principal_id.lower(), set()).add((g.id, value))
    got = {pid: {(g.id, g.app_role_value) for g in lst} for pid, lst in inv.app_role_assignments.items()}
    assert got == truth
    by_name = {i.name: i for i in inv.identities}
    ops = {g.app_role_value: g.privilege for g in inv.app_roles_of(by_name["aa-ops-prod"])}
    assert ops["RoleManagement.ReadWrite.Directory"] is Privilege.CRITICAL
    assert ops["AppRoleAssignment.ReadWrite.All"] is Privilege.CRITICAL


async def test_orphans_equal_the_tenant(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    t = demo_emulator.tenant
    visible = _visible_subscriptions(demo_emulator, demo_session)
    truth = {
        ra.id.lower()
        for ra in t.role_assignments.values()
        if t.directory_object(ra.principal_id) is None  # any principal type: a deleted user's too
        and ra.scope.split("/")[2].lower() in visible
    }
    assert truth, "the demo tenant has orphaned assignments"
    assert {a.id.lower() for a in inv.orphaned_role_assignments} == truth


async def test_subscription_filter_and_unknown_subscription(demo_emulator: Emulator, demo_session: Session) -> None:
    full = await demo_session.load_inventory()
    sub = full.subscriptions[0].id
    inv = await demo_session.load_inventory([sub, "00000000-0000-0000-0000-000000000001"])
    assert [s.id for s in inv.subscriptions] == [sub]
    assert inv.identities and all(i.subscription_id == sub for i in inv.identities)
    assert any("00000000-0000-0000-0000-000000000001" in p for p in inv.problems)


async def test_progress_is_reported(demo_session: Session) -> None:
    seen = []
    await demo_session.load_inventory(progress=seen.append)
    steps = {p.step for p in seen}
    assert {"subscriptions", "subscriptions read", "identities", "app role grants", "done"} <= steps
