"""The built-in demo tenant keeps the promises the issue and the TUI rely on. Truth is read from the Tenant."""

from __future__ import annotations

import base64
import dataclasses
import re
import uuid
from collections import Counter

import pytest

from tui.emulator.catalog import builtin_role_definitions, graph_app_roles
from tui.emulator.ids import MICROSOFT_GRAPH_APP_ID
from tui.emulator.tenant import Tenant, arm_key, remove_resource, subscription_of
from tui.emulator.tenants.demo import build_demo_tenant

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HIGH_PRIVILEGE = {
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Mail.Send",
    "Group.ReadWrite.All",
}


@pytest.fixture(scope="module")
def demo() -> Tenant:
    return build_demo_tenant()


def _scope_level(scope: str) -> str:
    parts = [p for p in scope.split("/") if p]
    return {2: "subscription", 4: "group"}.get(len(parts), "resource" if len(parts) > 4 else "root")


def test_catalog_is_complete() -> None:
    roles = builtin_role_definitions()
    assert len(roles) == 928 and len({r.name for r in roles}) == 928
    owner = next(r for r in roles if r.role_name == "Owner")
    assert owner.name == "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" and owner.permissions[0]["actions"] == ["*"]
    assert sum(1 for r in roles if any(p["dataActions"] for p in r.permissions)) > 300
    app_roles = graph_app_roles()
    assert len(app_roles) == 716 and all(GUID.match(r["id"]) for r in app_roles)
    assert {"allowedMemberTypes", "description", "displayName", "id", "isEnabled", "origin", "value"} == set(
        app_roles[0]
    )


def test_admin_holds_different_rights_in_different_subscriptions(demo: Tenant) -> None:
    admin = demo.users[demo.admin_user_id]
    assert "Privileged Role Administrator" in admin.directory_roles
    assert len(demo.subscriptions) >= 3
    held: dict[str, set[str]] = {s: set() for s in demo.subscriptions}
    for ra in demo.role_assignments.values():
        if ra.principal_id == admin.id and _scope_level(ra.scope) == "subscription":
            held[subscription_of(ra.scope)].add(demo.role_definitions[ra.role_definition_name].role_name)
    kinds = sorted(frozenset(v) for v in held.values())
    assert {"Owner"} in kinds and {"User Access Administrator"} in kinds and {"Reader"} in kinds
    assert len({frozenset(v) for v in held.values()}) >= 3


def test_resources_are_many_and_varied(demo: Tenant) -> None:
    plain = [r for r in demo.resources.values() if not r.is_user_assigned_identity]
    assert len(plain) >= 30
    types = Counter(r.type for r in plain)
    for needed in (
        "Microsoft.Automation/automationAccounts",
        "Microsoft.Automation/automationAccounts/runbooks",
        "Microsoft.Web/sites",
        "Microsoft.Logic/workflows",
        "Microsoft.Compute/virtualMachines",
        "Microsoft.ContainerService/managedClusters",
        "Microsoft.KeyVault/vaults",
        "Microsoft.Storage/storageAccounts",
    ):
        assert types[needed] >= 1, needed
    kinds = {r.kind for r in plain if r.type == "Microsoft.Web/sites"}
    assert any("functionapp" in (k or "") for k in kinds) and any((k or "").startswith("app") for k in kinds)
    accounts = [r for r in plain if r.type == "Microsoft.Automation/automationAccounts"]
    # every account has its identity but aa-app-inventory, whose identity the newcomer turns on (issue #15)
    assert [r.name for r in accounts if not r.system_principal_id] == ["aa-app-inventory"]
    runbooks = [r for r in plain if r.type.endswith("/runbooks")]
    assert all(any(arm_key(r.id).startswith(arm_key(a.id) + "/") for a in accounts) for r in runbooks)


def test_user_assigned_identities_shared_unused_and_federated(demo: Tenant) -> None:
    uamis = [r for r in demo.resources.values() if r.is_user_assigned_identity]
    assert len(uamis) >= 8
    users = Counter(arm_key(i) for r in demo.resources.values() for i in r.user_assigned_identity_ids)
    assert any(users[arm_key(u.id)] >= 3 for u in uamis), "one identity shared by several resources"
    assert any(users[arm_key(u.id)] == 0 for u in uamis), "one identity attached to nothing"
    federated = {
        arm_key(f.identity_id)
        for f in demo.federated_credentials.values()
        if f.issuer == "https://token.actions.githubusercontent.com"
    }
    assert federated and federated <= {arm_key(u.id) for u in uamis}
    for key in users:
        assert key in demo.resources, "attached identities exist"


def test_every_managed_identity_has_its_service_principal(demo: Tenant) -> None:
    for res in demo.resources.values():
        for pid, cid, explicit in (
            (res.system_principal_id, res.system_client_id, "False"),
            (res.principal_id, res.client_id, "True"),
        ):
            if not pid:
                continue
            sp = demo.service_principals[pid]
            assert sp.service_principal_type == "ManagedIdentity" and sp.app_id == cid
            assert sp.alternative_names[0] == f"isExplicit={explicit}"
            assert arm_key(sp.alternative_names[1]) == arm_key(res.id)
            assert sp.service_principal_names[0] == cid
            token = sp.service_principal_names[1].removeprefix("https://identity.azure.net/")
            assert token != sp.service_principal_names[1] and base64.b64decode(token, validate=True)
            assert sp.app_roles == []
    mis = [sp for sp in demo.service_principals.values() if sp.service_principal_type == "ManagedIdentity"]
    owned = {r.system_principal_id for r in demo.resources.values()} | {r.principal_id for r in demo.resources.values()}
    assert {sp.id for sp in mis} <= owned, "no managed identity without its resource"


def test_role_assignments_span_scopes_and_include_an_orphan_and_a_custom_role(demo: Tenant) -> None:
    levels = Counter(_scope_level(ra.scope) for ra in demo.role_assignments.values())
    assert levels["subscription"] and levels["group"] and levels["resource"]
    orphans = [ra for ra in demo.role_assignments.values() if demo.principal(ra.principal_id) is None]
    assert orphans, "an orphaned role assignment (its principal deleted)"
    assert any(ra.principal_type == "User" for ra in orphans), "a deleted user's assignment too"
    custom = [rd for rd in demo.role_definitions.values() if rd.role_type == "CustomRole"]
    assert custom and any(ra.role_definition_name == custom[0].name for ra in demo.role_assignments.values())
    for ra in demo.role_assignments.values():
        assert GUID.match(ra.name) and GUID.match(ra.principal_id)
        assert ra.role_definition_name in demo.role_definitions
        assert ra.role_definition_id == demo.role_definitions[ra.role_definition_name].id_at(ra.scope)
        sub = subscription_of(ra.scope)
        if sub is None:  # a management group's scope
            assert demo.management_group(ra.scope.rsplit("/", 1)[-1]) is not None, ra.scope
            continue
        assert sub in demo.subscriptions
        if _scope_level(ra.scope) != "subscription":
            assert arm_key(ra.scope) in demo.resources or arm_key(ra.scope) in demo.resource_groups


def test_graph_grants_include_high_privilege_and_another_resource_app(demo: Tenant) -> None:
    graph = demo.service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
    assert graph is not None and len(graph.app_roles) == 716
    values = set()
    resources = set()
    for grant in demo.app_role_assignments.values():
        resource = demo.service_principals[grant.resource_id]
        role = next(r for r in resource.app_roles if r["id"] == grant.app_role_id)
        principal = demo.principal(grant.principal_id)
        assert principal is not None
        resources.add(resource.display_name)
        if resource.id == graph.id:
            values.add(role["value"])
        raw = base64.urlsafe_b64decode(grant.id + "=")
        assert len(grant.id) == 43 and str(uuid.UUID(bytes_le=raw[:16])) == grant.principal_id
    assert {"RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All"} <= values
    assert len(values & HIGH_PRIVILEGE) >= 5
    assert len(resources) >= 2, "grants on Microsoft Graph and on a line-of-business API"
    apps = [
        sp
        for sp in demo.service_principals.values()
        if sp.service_principal_type == "Application" and sp.app_owner_organization_id == demo.tenant_id
    ]
    assert len(apps) >= 2 and len(demo.users) >= 2


def test_demo_is_deterministic() -> None:
    def snapshot(t: Tenant) -> tuple:
        return (
            t.tenant_id,
            t.admin_user_id,
            [dataclasses.asdict(x) for x in t.users.values()],
            [dataclasses.asdict(x) for x in t.service_principals.values()],
            [dataclasses.asdict(x) for x in t.subscriptions.values()],
            [dataclasses.asdict(x) for x in t.resources.values()],
            [dataclasses.asdict(x) for x in t.role_assignments.values()],
            [dataclasses.asdict(x) for x in t.app_role_assignments.values()],
            [dataclasses.asdict(x) for x in t.federated_credentials.values()],
        )

    assert snapshot(build_demo_tenant()) == snapshot(build_demo_tenant())


def test_deleting_a_resource_orphans_its_role_assignments_and_drops_its_grants() -> None:
    tenant = build_demo_tenant()
    host = next(
        r
        for r in tenant.resources.values()
        if r.system_principal_id
        and any(g.principal_id == r.system_principal_id for g in tenant.app_role_assignments.values())
        and any(ra.principal_id == r.system_principal_id for ra in tenant.role_assignments.values())
    )
    pid = host.system_principal_id
    assignments = [ra.name for ra in tenant.role_assignments.values() if ra.principal_id == pid]
    children = [k for k in tenant.resources if k.startswith(arm_key(host.id) + "/")]
    assert remove_resource(tenant, host.id) is host
    assert pid not in tenant.service_principals
    assert all(name in tenant.role_assignments for name in assignments)
    assert not any(g.principal_id == pid for g in tenant.app_role_assignments.values())
    assert not any(k in tenant.resources for k in children) and arm_key(host.id) not in tenant.resources
    assert remove_resource(tenant, host.id) is None


def test_deleting_a_shared_user_assigned_identity_detaches_it() -> None:
    tenant = build_demo_tenant()
    users = Counter(arm_key(i) for r in tenant.resources.values() for i in r.user_assigned_identity_ids)
    key, _ = users.most_common(1)[0]
    uami = tenant.resources[key]
    remove_resource(tenant, uami.id)
    assert uami.principal_id not in tenant.service_principals
    assert not any(arm_key(i) == key for r in tenant.resources.values() for i in r.user_assigned_identity_ids)
    assert not any(arm_key(f.identity_id) == key for f in tenant.federated_credentials.values())
