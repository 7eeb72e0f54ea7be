"""Who can touch this (issue #14): access_at and the scope: filter on hand-built inventories."""

from __future__ import annotations

import pytest

from tui.services.access import access_at
from tui.services.errors import InvalidInput
from tui.services.filtering import parse_filter
from tui.services.models import IdentityKind, Inventory, ManagedIdentity, Privilege, RoleAssignment, ScopeLevel, Via

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
OTHER = "/subscriptions/00000000-0000-0000-0000-000000000002"
RG = f"{SUB}/resourceGroups/rg"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv1"
MG = "/providers/Microsoft.Management/managementGroups/contoso"


def _system(name: str) -> ManagedIdentity:
    rid = f"{RG}/providers/Microsoft.Web/sites/{name}"
    return ManagedIdentity(f"p-{name}", f"c-{name}", name, IdentityKind.SYSTEM, rid, used_by=(rid,))


def _ra(who: str, role: str, scope: str, level: ScopeLevel, privilege: Privilege, via: Via | None = None):
    return RoleAssignment(
        f"{scope}/ra/{who}{role}",
        scope,
        role,
        who,
        role_name=role,
        scope_level=level,
        privilege=privilege,
        via=via,
    )


def _inventory() -> Inventory:
    a, b, c, d = (_system(n) for n in "abcd")
    return Inventory(
        "t",
        "AzureCloud",
        identities=[a, b, c, d],
        role_assignments={
            "p-a": [_ra("p-a", "Key Vault Secrets User", VAULT, ScopeLevel.RESOURCE, Privilege.HIGH)],
            "p-b": [_ra("g1", "Owner", SUB, ScopeLevel.SUBSCRIPTION, Privilege.CRITICAL, Via("g1", "sg-owners"))],
            "p-c": [_ra("p-c", "Reader", OTHER, ScopeLevel.SUBSCRIPTION, Privilege.NORMAL)],
            "p-d": [_ra("p-d", "Reader", MG, ScopeLevel.MANAGEMENT_GROUP, Privilege.NORMAL)],
        },
    )


def test_here_inherited_through_a_group_and_not_elsewhere() -> None:
    got = [(x.identity.name, x.right.role_name, x.how) for x in access_at(_inventory(), VAULT)]
    assert got == [
        ("b", "Owner", "inherited, via group sg-owners"),
        ("a", "Key Vault Secrets User", "here"),
        ("d", "Reader", "inherited"),
    ]
    assert [x.identity.name for x in access_at(_inventory(), RG)] == ["b", "d"]  # (a's right is below the RG)


def test_scope_filter_and_bad_scopes() -> None:
    inv = _inventory()
    f = parse_filter(f"scope:{VAULT}")
    assert [i.name for i in inv.identities if f.matches(i, inv)] == ["a", "b", "d"]
    for bad in ("scope:kv1", "scope:/nope"):
        with pytest.raises(InvalidInput):
            parse_filter(bad)
    with pytest.raises(InvalidInput):
        access_at(inv, "rg")
