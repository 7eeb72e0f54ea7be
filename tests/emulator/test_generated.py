"""Generated (--scale) tenants: deterministic from the seed, realistic proportions, and fast to build (the build
time of 50:10000 is printed, not asserted: speed belongs to benchmarks)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tui.emulator.tenant import Tenant, arm_key
from tui.emulator.tenants.generated import build_generated_tenant


def _ids(t: Tenant) -> tuple:
    return (
        t.tenant_id,
        list(t.subscriptions),
        list(t.resources),
        [(sp.id, sp.app_id, sp.display_name) for sp in t.service_principals.values()],
        [(ra.name, ra.scope, ra.role_definition_id, ra.principal_id) for ra in t.role_assignments.values()],
        [(g.id, g.principal_id, g.app_role_id) for g in t.app_role_assignments.values()],
    )


def test_same_seed_same_tenant_other_seed_other_tenant() -> None:
    a, b = build_generated_tenant(4, 300, seed=7), build_generated_tenant(4, 300, seed=7)
    assert _ids(a) == _ids(b)
    c = build_generated_tenant(4, 300, seed=8)
    assert set(a.role_assignments).isdisjoint(c.role_assignments)
    assert not set(a.subscriptions) & set(c.subscriptions)


@pytest.fixture(scope="module")
def large() -> Tenant:
    start = time.perf_counter()
    tenant = build_generated_tenant(50, 10000, seed=0)
    print(f"\nbuild_generated_tenant(50, 10000): {time.perf_counter() - start:.2f} s")
    return tenant


def test_large_tenant_has_the_requested_size_and_proportions(large: Tenant) -> None:
    assert len(large.subscriptions) == 50
    mis = [sp for sp in large.service_principals.values() if sp.service_principal_type == "ManagedIdentity"]
    assert len(mis) == 10000
    explicit = Counter(sp.alternative_names[0] for sp in mis)
    assert 0.6 <= explicit["isExplicit=False"] / len(mis) <= 0.8
    per_sub = Counter(g.subscription_id for g in large.resource_groups.values())
    assert min(per_sub.values()) >= 3 and set(per_sub) == set(large.subscriptions)
    assert 3.0 <= len(large.role_assignments) / len(mis) <= 5.0
    assert 0.3 <= len(large.app_role_assignments) / len(mis) <= 0.7
    users = Counter(arm_key(i) for r in large.resources.values() for i in r.user_assigned_identity_ids)
    uamis = [r for r in large.resources.values() if r.is_user_assigned_identity]
    assert sum(1 for u in uamis if users[arm_key(u.id)] >= 2) > len(uamis) * 0.1, "shared identities"
    assert sum(1 for u in uamis if users[arm_key(u.id)] == 0) > len(uamis) * 0.05, "unattached identities"
    orphans = [ra for ra in large.role_assignments.values() if large.principal(ra.principal_id) is None]
    assert 0 < len(orphans) < len(large.role_assignments) * 0.05


def test_large_tenant_is_consistent(large: Tenant) -> None:
    admin = large.admin_user_id
    roles = Counter(ra.role_definition_name for ra in large.role_assignments.values() if ra.principal_id == admin)
    assert len(roles) == 3 and sum(roles.values()) == 50
    for ra in large.role_assignments.values():
        assert ra.role_definition_name in large.role_definitions
    for grant in large.app_role_assignments.values():
        assert grant.principal_id in large.service_principals and grant.resource_id in large.service_principals
    for res in large.resources.values():
        for i in res.user_assigned_identity_ids:
            assert arm_key(i) in large.resources


def test_generated_tenant_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        build_generated_tenant(0, 10)
    with pytest.raises(ValueError):
        build_generated_tenant(1, -1)
    empty = build_generated_tenant(1, 0)
    assert not [sp for sp in empty.service_principals.values() if sp.service_principal_type == "ManagedIdentity"]


async def test_graph_serves_a_generated_tenant_page_by_page(emulator_factory) -> None:
    from graph_support import raw_client

    emu = emulator_factory(scale=(3, 250))
    seen = []
    async with raw_client(emu) as http:
        url = "/servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'&$select=id&$top=100"
        while url:
            body = (await http.get(url)).json()
            seen += [v["id"] for v in body["value"]]
            url = body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == 250
