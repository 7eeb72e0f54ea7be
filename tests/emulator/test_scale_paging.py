"""A generated tenant large enough to page: every listing follows its absolute nextLinks to the full set."""

from __future__ import annotations

import json

from tui.emulator import rbac
from tui.emulator.arm import paging
from tui.emulator.tenant import arm_key


async def test_generated_tenant_pages_role_assignments_and_resources(
    emulator_factory, managed_identity_env, arm_kwargs
):
    from azure.identity.aio import ManagedIdentityCredential
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    emu = emulator_factory(scale=(1, 600), seed=11)
    managed_identity_env(emu)
    tenant = emu.tenant
    sub = next(iter(tenant.subscriptions))
    scope = f"/subscriptions/{sub}"
    above = set(rbac.ancestors_in(tenant, scope.lower()))  # mg-fabrikam's assignments come inherited
    expected_ras = [
        ra
        for ra in tenant.role_assignments.values()
        if ra.scope.lower().startswith(scope.lower()) or arm_key(ra.scope) in above
    ]
    assert any("/managementGroups/" in ra.scope for ra in expected_ras)
    assert len(expected_ras) > paging.ROLE_ASSIGNMENTS_PAGE_SIZE  # the point of this test: more than one page
    pages: list[int] = []
    async with ManagedIdentityCredential() as cred:
        async with AuthorizationManagementClient(cred, sub, **arm_kwargs(emu)) as auth:
            ras = [
                a
                async for a in auth.role_assignments.list_for_subscription(
                    raw_response_hook=lambda r: pages.append(len(json.loads(r.http_response.text())["value"]))
                )
            ]
        async with ResourceManagementClient(cred, sub, **arm_kwargs(emu)) as rm:
            resources = [r async for r in rm.resources.list()]
    assert sorted(a.name for a in ras) == sorted(ra.name for ra in expected_ras)
    assert len(pages) == -(-len(expected_ras) // paging.ROLE_ASSIGNMENTS_PAGE_SIZE)
    assert len(resources) == sum(1 for r in tenant.resources.values() if r.subscription_id == sub)
