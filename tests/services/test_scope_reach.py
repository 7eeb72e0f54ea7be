"""Assigning beyond the identity's own subscription (issue #14): a management group's children read from ARM, a
pasted scope checked before it is planned, a role's id in the form ARM takes at the chosen scope, a custom role
refused where it is not assignable; an assignment at a management group written through the real SDK."""

from __future__ import annotations

import pytest
from service_helpers import emulator_stats, writes_in

from tui.emulator.tenant import arm_key
from tui.services.errors import InvalidInput, NotFound
from tui.services.models import Inventory, RoleDefinition, ScopeLevel
from tui.services.scopes import role_at

MGS = "/providers/Microsoft.Management/managementGroups"
SUB_A = "/subscriptions/11111111-1111-1111-1111-111111111111"
SUB_B = "/subscriptions/22222222-2222-2222-2222-222222222222"
GUID = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_role_at_rehomes_the_id_and_refuses_where_not_assignable() -> None:
    reader = RoleDefinition(f"{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/{GUID}", GUID, "Reader")
    assert role_at(reader, f"{SUB_A}/resourceGroups/rg").id == reader.id  # same subscription: as read
    assert (
        role_at(reader, f"{SUB_B}/resourceGroups/rg").id
        == f"{SUB_B}/providers/Microsoft.Authorization/roleDefinitions/{GUID}"
    )
    assert role_at(reader, f"{MGS}/mg").id == f"/providers/Microsoft.Authorization/roleDefinitions/{GUID}"
    custom = RoleDefinition(
        f"{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/{GUID}",
        GUID,
        "Custom",
        role_type="CustomRole",
        assignable_scopes=(SUB_A,),
    )
    assert role_at(custom, f"{SUB_A}/resourceGroups/rg").id == custom.id
    for where in (f"{MGS}/mg", SUB_B):
        with pytest.raises(InvalidInput, match="cannot be assigned at"):
            role_at(custom, where)


def _sub(inv: Inventory, name: str) -> str:
    return next(s.scope for s in inv.subscriptions if s.display_name == name)


@pytest.mark.asyncio(loop_scope="session")
async def test_children_check_and_assign_at_a_management_group(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    tenant = emu.tenant
    session = await session_for(emu)  # the demo's admin, Owner of the landing zone group only among the groups
    inv = await session.load_inventory()

    tops = await session.child_scopes("/")
    assert [(s, lvl) for s, _, lvl in tops] == [(f"{MGS}/{tenant.tenant_id}", ScopeLevel.MANAGEMENT_GROUP)]
    below = {name: (scope, lvl) for scope, name, lvl in await session.child_scopes(f"{MGS}/mg-contoso")}
    assert below["Contoso Landing Zone"] == (f"{MGS}/mg-contoso-landing", ScopeLevel.MANAGEMENT_GROUP)
    assert below["Contoso Production"] == (_sub(inv, "Contoso Production"), ScopeLevel.SUBSCRIPTION)
    assert "Contoso Shared Services" not in below  # (below mg-contoso-platform, not directly below mg-contoso)

    ident = next(i for i in inv.identities if i.name == "id-legacy-unused")
    prod = _sub(inv, "Contoso Production")
    assert await session.check_scope(f" {prod}/resourceGroups/rg-automation-prod/ ", ident.principal_id) == (
        f"{prod}/resourceGroups/rg-automation-prod"
    )
    with pytest.raises(NotFound, match="No such scope"):
        await session.check_scope(f"{prod}/resourceGroups/rg-none", ident.principal_id)
    for bad in ("subscriptions/x", "/", f"{prod}/resourceGroups", "/providers/Microsoft.Management"):
        with pytest.raises(InvalidInput):
            await session.check_scope(bad, ident.principal_id)

    landing = f"{MGS}/mg-contoso-landing"
    reader = next(r for r in await session.role_definitions(prod) if r.role_name == "Reader")
    custom = next(r for r in await session.role_definitions(prod) if r.role_type == "CustomRole")
    with pytest.raises(InvalidInput):
        await session.plan_role_assignment(ident, custom, landing)
    plan = await session.plan_role_assignment(ident, reader, landing)
    assert plan.target == landing and plan.scope_level is ScopeLevel.MANAGEMENT_GROUP
    assert plan.right_id == f"/providers/Microsoft.Authorization/roleDefinitions/{reader.name}"
    before = writes_in(emulator_stats(emu))
    change = await session.apply(plan)
    assert change.ok, change
    assert writes_in(emulator_stats(emu)) == before + 1
    made = [
        ra
        for ra in tenant.role_assignments.values()
        if ra.principal_id.lower() == ident.principal_id.lower() and arm_key(ra.scope) == arm_key(landing)
    ]
    assert [ra.role_definition_name for ra in made] == [reader.name]
