"""Findings (issue #14) from hand-built inventories: each kind, its severity, and what is not a finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.services.findings import KINDS, USAGE_KINDS, at_or_above, findings
from tui.services.models import (
    AppRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    ScopeLevel,
    Via,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg"
SITE = f"{RG}/providers/Microsoft.Web/sites/web1"


def _user(name: str, used_by: tuple[str, ...] = ()) -> ManagedIdentity:
    rid = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    return ManagedIdentity(f"p-{name}", f"c-{name}", name, IdentityKind.USER, rid, used_by=used_by)


def _system(name: str) -> ManagedIdentity:
    return ManagedIdentity(f"p-{name}", f"c-{name}", name, IdentityKind.SYSTEM, SITE, used_by=(SITE,))


def _ra(
    who: str, role: str, scope: str, level: Privilege, *, created: str | None = None, **kw: object
) -> RoleAssignment:
    return RoleAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{who}{role}",
        scope=scope,
        role_definition_id=f"/providers/Microsoft.Authorization/roleDefinitions/{role}",
        principal_id=who,
        role_name=role,
        scope_level=ScopeLevel.RESOURCE_GROUP if scope == RG else ScopeLevel.SUBSCRIPTION,
        privilege=level,
        privilege_reason=f"{role} reason",
        created_on=created,
        **kw,  # type: ignore[arg-type]
    )


def test_each_kind_with_its_severity() -> None:
    web, spare, idle = _system("web"), _user("spare"), _user("idle")
    recent = (NOW - timedelta(days=2)).isoformat()
    old = (NOW - timedelta(days=40)).isoformat()
    inv = Inventory(
        "t",
        "AzureCloud",
        identities=[web, spare, idle],
        role_assignments={
            "p-web": [
                _ra("p-web", "Owner", SUB, Privilege.CRITICAL, created=old),
                _ra("p-web", "Reader", RG, Privilege.NORMAL, created=recent, created_by_name="Alex Admin"),
            ],
            "p-spare": [_ra("p-spare", "Key Vault Secrets User", RG, Privilege.HIGH, created=old)],
        },
        app_role_assignments={
            "p-web": [
                AppRoleAssignment(
                    "g1", "p-web", "graph", "r1", app_role_value="Mail.Send", privilege=Privilege.HIGH, created=recent
                )
            ]
        },
        orphaned_role_assignments=[_ra("gone", "Contributor", SUB, Privilege.CRITICAL)],
    )
    got = {(f.kind, f.name, f.right): f for f in findings(inv, NOW)}
    assert set(got) == {
        ("orphaned-assignment", "gone", "Contributor"),
        ("critical-right", "web", "Owner"),
        ("broad-scope", "web", "Owner"),
        ("recent-right", "web", "Reader"),
        ("recent-right", "web", "Mail.Send"),
        ("unused-identity", "spare", "Key Vault Secrets User"),
        ("unused-identity", "idle", ""),
    }
    assert got[("unused-identity", "spare", "Key Vault Secrets User")].severity is Privilege.HIGH
    assert got[("unused-identity", "idle", "")].severity is Privilege.NORMAL
    assert got[("orphaned-assignment", "gone", "Contributor")].severity is Privilege.CRITICAL
    assert "by Alex Admin" in got[("recent-right", "web", "Reader")].detail
    ordered = findings(inv, NOW)
    assert [f.severity.rank for f in ordered] == sorted((f.severity.rank for f in ordered), reverse=True)
    assert {f.kind for f in ordered} == set(KINDS) - set(USAGE_KINDS)  # (those need usage: test_usage.py)
    assert [f.kind for f in at_or_above(ordered, Privilege.CRITICAL)] == [
        "orphaned-assignment",
        "critical-right",
        "broad-scope",
    ]
    # a wider window makes the old rights recent too
    wide = {(f.kind, f.right) for f in findings(inv, NOW, recent=timedelta(days=60))}
    assert ("recent-right", "Owner") in wide and ("recent-right", "Key Vault Secrets User") in wide


def test_a_critical_right_through_a_group_says_so_and_attached_identities_are_used() -> None:
    web = _system("web")
    shared = _user("shared", used_by=(SITE,))
    via = Via("g-1", "sg-owners")
    inv = Inventory(
        "t",
        "AzureCloud",
        identities=[web, shared],
        role_assignments={"p-shared": [_ra("g-1", "Owner", RG, Privilege.CRITICAL, via=via)]},
    )
    got = findings(inv, NOW)
    assert [(f.kind, f.name) for f in got] == [("critical-right", "shared")]  # an RG is not a broad scope
    assert got[0].detail.endswith("through group sg-owners")


def test_nothing_wrong_is_no_finding() -> None:
    web = _system("web")
    inv = Inventory(
        "t", "AzureCloud", identities=[web], role_assignments={"p-web": [_ra("p-web", "Reader", RG, Privilege.NORMAL)]}
    )
    assert findings(inv, NOW) == []
