"""Who can act as an identity, people and apps included, and orphans of any principal type: from the demo tenant
through the real SDKs, with the management-group rights that come inherited in the subscriptions' listings."""

from __future__ import annotations

from tui.emulator.server import Emulator
from tui.services.escalation import who_can_act_as
from tui.services.session import Session


async def test_people_and_groups_who_can_act_as_identities(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    by_name = {i.name: i for i in inv.identities}
    actors = {(a.principal_name, a.role_name, a.principal_type) for a in inv.actors}
    assert ("Omar Operator", "Automation Contributor", "User") in actors
    assert ("sg-orders-operators", "Managed Identity Operator", "Group") in actors
    assert not any(a.principal_id.lower() in {i.principal_id.lower() for i in inv.identities} for a in inv.actors)
    ops = {(p.via[0], p.role_name, p.reason) for p in who_can_act_as(inv, by_name["aa-ops-prod"])}
    assert ("Omar Operator", "Automation Contributor", "User") in ops
    orders = {(p.via[0], p.reason) for p in who_can_act_as(inv, by_name["id-orders-shared"])}
    assert {("Priya Platform", "User"), ("sg-orders-operators", "Group")} <= orders
    # Omar's right is on aa-ops-prod only: not on another account's identity
    assert "Omar Operator" not in {p.via[0] for p in who_can_act_as(inv, by_name["aa-identity-sync"])}
    # the break-glass Owner at mg-contoso is an identity's right, inherited into Production's listing
    patching = inv.roles_of(by_name["aa-shared-patching"])
    assert any(a.role_name == "Owner" and a.scope.endswith("/managementGroups/mg-contoso") for a in patching)


async def test_a_deleted_users_assignment_is_orphaned(demo_emulator: Emulator, demo_session: Session) -> None:
    inv = await demo_session.load_inventory()
    t = demo_emulator.tenant
    users = [a for a in inv.orphaned_role_assignments if a.principal_type == "User"]
    assert [a.role_name for a in users] == ["Contributor"]
    assert t.principal(users[0].principal_id) is None
    # existing users and groups are never called orphans
    assert all(t.directory_object(a.principal_id) is None for a in inv.orphaned_role_assignments)
