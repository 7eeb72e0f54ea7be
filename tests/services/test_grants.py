"""App role grants joined to their apps and identities (tui.services.grants), on data built by hand."""

from __future__ import annotations

from tui.services.grants import PreparedGrants, classified_app, grants_by_identity, resolve_grant
from tui.services.models import AppRole, AppRoleAssignment, IdentityKind, ManagedIdentity, Privilege, ResourceApp

SYSTEM_PID = "aaaaaaaa-0000-0000-0000-000000000001"
SUB = "11111111-1111-1111-1111-111111111111"
SITE = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/func-orders"


def test_grants_are_resolved_deduplicated_and_kept_for_known_identities_only() -> None:
    graph = ResourceApp(
        id="graph-sp",
        app_id="00000003-0000-0000-c000-000000000000",
        display_name="Microsoft Graph",
        app_roles=(
            AppRole(id="r1", value="User.Read.All", privilege=Privilege.HIGH),
            AppRole(id="r2", value="RoleManagement.ReadWrite.Directory", privilege=Privilege.CRITICAL),
        ),
    )
    identity = ManagedIdentity(
        principal_id=SYSTEM_PID, client_id="c", name="n", kind=IdentityKind.SYSTEM, resource_id=SITE
    )

    def grant(gid: str, role: str, principal: str = SYSTEM_PID) -> AppRoleAssignment:
        return AppRoleAssignment(id=gid, principal_id=principal, resource_id="GRAPH-SP", app_role_id=role)

    grants = [grant("g1", "r1"), grant("g2", "r2"), grant("g1", "r1"), grant("g3", "r1", "stranger")]
    out, count = grants_by_identity(grants, [identity], {"graph-sp": graph})
    assert count == 2
    assert [(g.id, g.app_role_value, g.privilege) for g in out[SYSTEM_PID]] == [
        ("g2", "RoleManagement.ReadWrite.Directory", Privilege.CRITICAL),
        ("g1", "User.Read.All", Privilege.HIGH),
    ]
    assert out[SYSTEM_PID][0].resource_display_name == "Microsoft Graph"
    assert resolve_grant(grants[0], None) is grants[0]  # an unknown app: left as it came
    # (made by position: each field where the model has it)
    assert resolve_grant(grant("g9", "r2"), graph) == AppRoleAssignment(
        id="g9", principal_id=SYSTEM_PID, resource_id="GRAPH-SP", app_role_id="r2",
        resource_display_name="Microsoft Graph", resource_app_id=graph.app_id,
        app_role_value="RoleManagement.ReadWrite.Directory", privilege=Privilege.CRITICAL,
    )  # fmt: skip
    # joined before the identities are known (the resource side, read early), then looked up: the same answer
    prepared = PreparedGrants.of(grants, [graph])  # (its roles classified, as the load's join does)
    assert prepared.of_identities([identity]) == grants_by_identity(
        grants, [identity], {"graph-sp": classified_app(graph)}
    )
    assert [g.id for g in prepared.of_identities([identity])[0][SYSTEM_PID]] == ["g2", "g1"]
    assert set(prepared.by_principal) == {SYSTEM_PID, "stranger"}
    assert prepared.of_identities([]) == ({}, 0)
