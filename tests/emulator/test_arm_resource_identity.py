"""A resource's identity changed through ARM (PATCH / PUT of its ``identity``) by the real SDK clients: the system-
assigned identity's service principal appears and disappears in Graph, user-assigned identities are attached and
detached keeping the others, and bad requests change nothing."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import ManagedIdentityCredential

from tui.emulator.builder import TenantBuilder

RESOURCES_API = "2022-09-01"
AUTOMATION_API = "2023-11-01"


@pytest.fixture
def sandbox(emulator_factory, small_tenant, managed_identity_env):
    emu = emulator_factory(small_tenant())
    managed_identity_env(emu)
    return emu


def _sub(emu) -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Sandbox One")


def _res(emu, type_: str):
    return next(r for r in emu.tenant.resources.values() if r.type == type_)


async def test_system_identity_on_and_off_through_patch(sandbox, arm_kwargs):
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient
    from azure.mgmt.resource.resources.aio import ResourceManagementClient
    from azure.mgmt.resource.resources.models import GenericResource, Identity

    t = sandbox.tenant
    kv = _res(sandbox, "Microsoft.KeyVault/vaults")
    assert kv.system_principal_id is None
    sub = _sub(sandbox)
    async with (
        ManagedIdentityCredential() as cred,
        ResourceManagementClient(cred, sub, **arm_kwargs(sandbox)) as rm,
        ManagedServiceIdentityClient(cred, sub, **arm_kwargs(sandbox)) as msi,
    ):
        poller = await rm.resources.begin_update_by_id(
            kv.id, api_version=RESOURCES_API, parameters=GenericResource(identity=Identity(type="SystemAssigned"))
        )
        on = await poller.result()
        assert on.identity.type == "SystemAssigned"
        assert on.identity.tenant_id == t.tenant_id
        principal = on.identity.principal_id
        sp = t.service_principals[principal]
        assert sp.service_principal_type == "ManagedIdentity" and sp.alternative_names[0] == "isExplicit=False"
        assert principal.lower() in t.principal_created_at  # replicates like any principal made while serving
        read = await msi.system_assigned_identities.get_by_scope(kv.id)
        assert read.principal_id == principal and read.client_id == sp.app_id
        # an Azure role assignment of the identity, which outlives it
        t_builder = TenantBuilder(tenant=t, seed=None)
        ra = t_builder.assign_role(kv, "Reader", kv.id)
        poller = await rm.resources.begin_update_by_id(
            kv.id, api_version=RESOURCES_API, parameters=GenericResource(identity=Identity(type="None"))
        )
        off = await poller.result()
        assert off.identity is None
        assert principal not in t.service_principals
        assert ra.name in t.role_assignments  # orphaned, as in Azure
        back = await rm.resources.get_by_id(kv.id, api_version=RESOURCES_API)
        assert back.identity is None


async def test_attach_and_detach_user_identity_keeps_the_others(sandbox, arm_kwargs):
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient
    from azure.mgmt.msi.models import Identity as Uami
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    t = sandbox.tenant
    aa = _res(sandbox, "Microsoft.Automation/automationAccounts")
    system_before = aa.system_principal_id
    first = aa.user_assigned_identity_ids[0]
    sub = _sub(sandbox)
    async with (
        ManagedIdentityCredential() as cred,
        ResourceManagementClient(cred, sub, **arm_kwargs(sandbox)) as rm,
        ManagedServiceIdentityClient(cred, sub, **arm_kwargs(sandbox)) as msi,
    ):
        second = await msi.user_assigned_identities.create_or_update(
            "rg-core", "id-second", Uami(location="westeurope", tags={"team": "ops"})
        )
        body = {"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {second.id: {}}}}
        poller = await rm.resources.begin_update_by_id(aa.id, api_version=AUTOMATION_API, parameters=body)
        after = await poller.result()
        attached = {k.lower(): v for k, v in after.identity.user_assigned_identities.items()}
        assert set(attached) == {first.lower(), second.id.lower()}
        assert attached[second.id.lower()].principal_id == second.principal_id
        assert after.identity.principal_id == system_before  # the system-assigned identity is kept
        # detach the first with null, keeping the second
        body = {"identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {first: None}}}
        after = await (
            await rm.resources.begin_update_by_id(aa.id, api_version=AUTOMATION_API, parameters=body)
        ).result()
        assert [k.lower() for k in after.identity.user_assigned_identities] == [second.id.lower()]
        assert t.resource(first) is not None  # detaching does not delete the identity
        # the msi client lists what was written
        listed = [u.name async for u in msi.user_assigned_identities.list_by_resource_group("rg-core")]
        assert "id-second" in listed
        # PUT sets exactly the map
        body = {"location": aa.location, "identity": {"type": "UserAssigned", "userAssignedIdentities": {first: {}}}}
        put = await (
            await rm.resources.begin_create_or_update_by_id(aa.id, api_version=AUTOMATION_API, parameters=body)
        ).result()
        assert put.identity.type == "UserAssigned" and list(put.identity.user_assigned_identities) == [first]
        assert system_before not in t.service_principals


async def test_bad_identity_requests_change_nothing(sandbox, arm_kwargs):
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    aa = _res(sandbox, "Microsoft.Automation/automationAccounts")
    before = (aa.system_principal_id, list(aa.user_assigned_identity_ids))
    sub = _sub(sandbox)
    missing = (
        f"/subscriptions/{sub}/resourceGroups/rg-core/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope"
    )
    cases = [
        ({"identity": {"type": "Both"}}, "InvalidIdentityType"),
        ({"identity": {"type": "UserAssigned", "userAssignedIdentities": {missing: {}}}}, "FailedIdentityOperation"),
        (
            {"identity": {"type": "UserAssigned", "userAssignedIdentities": {"/not/an/id": {}}}},
            "InvalidUserAssignedIdentityId",
        ),
        ({"identity": {"type": "SystemAssigned", "userAssignedIdentities": {missing: {}}}}, "InvalidIdentityValues"),
        (
            {"identity": {"type": "UserAssigned", "userAssignedIdentities": {aa.user_assigned_identity_ids[0]: None}}},
            "InvalidIdentityValues",
        ),
    ]
    async with ManagedIdentityCredential() as cred, ResourceManagementClient(cred, sub, **arm_kwargs(sandbox)) as rm:
        for body, code in cases:
            with pytest.raises(HttpResponseError) as err:
                await (
                    await rm.resources.begin_update_by_id(aa.id, api_version=AUTOMATION_API, parameters=body)
                ).result()
            assert err.value.status_code == 400 and err.value.error.code == code, body
        nope = aa.id.rsplit("/", 1)[0] + "/aa-nope"
        with pytest.raises(HttpResponseError) as err:
            await (
                await rm.resources.begin_update_by_id(
                    nope, api_version=AUTOMATION_API, parameters={"identity": {"type": "None"}}
                )
            ).result()
        assert err.value.status_code == 404
    assert (aa.system_principal_id, aa.user_assigned_identity_ids) == before


async def test_attaching_needs_the_assign_right(emulator_factory, small_tenant, managed_identity_env, arm_kwargs):
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    t = small_tenant(caller_role=None)
    b = TenantBuilder(tenant=t, seed=None)
    sub = next(s for s in t.subscriptions.values() if s.display_name == "Sandbox One")
    aa = next(r for r in t.resources.values() if r.type == "Microsoft.Automation/automationAccounts")
    b.assign_role(t.admin_user_id, "Contributor", aa.id)  # may write the account, not assign the identity
    other = b.add_user_assigned_identity("/subscriptions/" + sub.subscription_id + "/resourceGroups/rg-core", "id-x")
    emu = emulator_factory(t)
    managed_identity_env(emu)
    body = {"identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {other.id: {}}}}
    async with (
        ManagedIdentityCredential() as cred,
        ResourceManagementClient(cred, sub.subscription_id, **arm_kwargs(emu)) as rm,
    ):
        with pytest.raises(HttpResponseError) as err:
            await (await rm.resources.begin_update_by_id(aa.id, api_version=AUTOMATION_API, parameters=body)).result()
        assert err.value.status_code == 403 and err.value.error.code == "LinkedAuthorizationFailed"
        assert other.id in err.value.message
    assert all(i != other.id for i in aa.user_assigned_identity_ids)
    assert uuid.UUID(aa.system_principal_id)


async def test_providers_get_lists_the_hosted_types(sandbox, arm_kwargs):
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    sub = _sub(sandbox)
    async with ManagedIdentityCredential() as cred, ResourceManagementClient(cred, sub, **arm_kwargs(sandbox)) as rm:
        provider = await rm.providers.get("microsoft.automation")
        assert provider.namespace == "Microsoft.Automation" and provider.registration_state == "Registered"
        types = {t.resource_type: t for t in provider.resource_types}
        assert "automationAccounts" in types and types["automationAccounts"].api_versions
        with pytest.raises(ResourceNotFoundError):
            await rm.providers.get("Contoso.Nothing")
