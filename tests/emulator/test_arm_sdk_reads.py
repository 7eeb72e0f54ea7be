"""ARM reads through the real async SDK clients, over HTTPS trusting only the generated CA, signed in by the
real azure-identity ManagedIdentityCredential (IDENTITY_ENDPOINT + IDENTITY_HEADER). Every response body is
validated against the copied OpenAPI schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from azure.identity.aio import ManagedIdentityCredential

from tui.emulator import rbac
from tui.emulator.server import Emulator
from tui.emulator.tenant import arm_key


class Bodies:
    """Collects the raw JSON body of every response (``raw_response_hook``)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __call__(self, response: Any) -> None:
        self.items.append(json.loads(response.http_response.text()))


@pytest.fixture
def credential(demo_emulator: Emulator, managed_identity_env: Callable[[Emulator], None]):
    managed_identity_env(demo_emulator)
    return ManagedIdentityCredential()


def _admin_subscriptions(emu: Emulator) -> dict[str, str]:
    return {s.display_name: s.subscription_id for s in emu.tenant.subscriptions.values()}


async def test_subscriptions_list_shows_only_those_the_caller_holds_a_role_on(
    demo_emulator, credential, arm_kwargs, arm_schema
):
    from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

    hook = Bodies()
    async with credential, SubscriptionClient(credential, **arm_kwargs(demo_emulator)) as client:
        subs = [s async for s in client.subscriptions.list(raw_response_hook=hook)]
        one = await client.subscriptions.get(subs[0].subscription_id, raw_response_hook=hook)
    names = {s.display_name for s in subs}
    all_names = set(_admin_subscriptions(demo_emulator))
    assert "Contoso Production" in names and "Contoso Shared Services" in names
    assert "Contoso Finance" in all_names and "Contoso Finance" not in names
    assert one.subscription_id == subs[0].subscription_id
    assert one.tenant_id == demo_emulator.tenant.tenant_id
    arm_schema("subscriptions", "SubscriptionListResult", hook.items[0])
    arm_schema("subscriptions", "Subscription", hook.items[1])


async def test_subscription_without_any_role_is_forbidden(demo_emulator, credential, arm_kwargs, arm_schema):
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

    finance = _admin_subscriptions(demo_emulator)["Contoso Finance"]
    async with credential, SubscriptionClient(credential, **arm_kwargs(demo_emulator)) as client:
        with pytest.raises(HttpResponseError) as err:
            await client.subscriptions.get(finance)
    assert err.value.status_code == 403
    assert err.value.error.code == "AuthorizationFailed"
    assert finance in err.value.message


async def test_resource_groups_and_resources_with_identity_blocks(demo_emulator, credential, arm_kwargs, arm_schema):
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    prod = _admin_subscriptions(demo_emulator)["Contoso Production"]
    hook = Bodies()
    async with credential, ResourceManagementClient(credential, prod, **arm_kwargs(demo_emulator)) as client:
        groups = [g async for g in client.resource_groups.list(raw_response_hook=hook)]
        group = await client.resource_groups.get(groups[0].name, raw_response_hook=hook)
        resources = [r async for r in client.resources.list(raw_response_hook=hook)]
        in_group = [r async for r in client.resources.list_by_resource_group(groups[0].name)]
    arm_schema("resources", "ResourceGroupListResult", hook.items[0])
    arm_schema("resources", "ResourceGroup", hook.items[1])
    for page in hook.items[2:]:
        arm_schema("resources", "ResourceListResult", page)
    assert group.id == groups[0].id
    expected = [r for r in demo_emulator.tenant.resources.values() if r.subscription_id == prod]
    assert sorted(r.id.lower() for r in resources) == sorted(r.id.lower() for r in expected)
    assert {r.id.lower() for r in in_group} <= {r.id.lower() for r in resources}
    assert all(arm_key(r.id).startswith(arm_key(group.id) + "/") for r in in_group if group.name == groups[0].name)
    by_id = {r.id.lower(): r for r in resources}
    for res in expected:
        got = by_id[res.id.lower()]
        if res.system_principal_id:
            assert got.identity is not None and got.identity.principal_id == res.system_principal_id
        for uid in res.user_assigned_identity_ids:
            uami = demo_emulator.tenant.resource(uid)
            assert uami is not None
            assert got.identity.user_assigned_identities[uami.id].principal_id == uami.principal_id
        if not res.system_principal_id and not res.user_assigned_identity_ids:
            assert got.identity is None


async def test_resources_filter_and_top_paging(demo_emulator, credential, arm_kwargs, arm_schema):
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    prod = _admin_subscriptions(demo_emulator)["Contoso Production"]
    hook = Bodies()
    async with credential, ResourceManagementClient(credential, prod, **arm_kwargs(demo_emulator)) as client:
        uamis = [
            r
            async for r in client.resources.list(
                filter="resourceType eq 'Microsoft.ManagedIdentity/userAssignedIdentities'"
            )
        ]
        paged = [r async for r in client.resources.list(top=3, raw_response_hook=hook)]
        everything = [r async for r in client.resources.list()]
        named = [r async for r in client.resources.list(filter=f"name eq '{uamis[0].name}'")]
        with_identity = [r async for r in client.resources.list(filter="identity eq 'SystemAssigned'")]
    assert uamis and all(r.type == "Microsoft.ManagedIdentity/userAssignedIdentities" for r in uamis)
    assert [r.id for r in named] == [uamis[0].id]
    assert with_identity and all("SystemAssigned" in r.identity.type for r in with_identity)
    assert [r.id for r in paged] == [r.id for r in everything]
    assert len(hook.items) == -(-len(everything) // 3)  # pages of $top=3 each, all followed
    assert all(len(p["value"]) <= 3 for p in hook.items)
    assert hook.items[0]["nextLink"].startswith(demo_emulator.connection.arm + "/")


async def test_user_assigned_identities_federated_credentials_and_system_identity(
    demo_emulator, credential, arm_kwargs, arm_schema
):
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient

    tenant = demo_emulator.tenant
    prod = _admin_subscriptions(demo_emulator)["Contoso Production"]
    hook = Bodies()
    async with credential, ManagedServiceIdentityClient(credential, prod, **arm_kwargs(demo_emulator)) as client:
        by_sub = [i async for i in client.user_assigned_identities.list_by_subscription(raw_response_hook=hook)]
        github = next(i for i in by_sub if i.name == "id-github-deploy")
        rg = github.id.split("/")[4]
        by_rg = [i async for i in client.user_assigned_identities.list_by_resource_group(rg, raw_response_hook=hook)]
        got = await client.user_assigned_identities.get(rg, github.name, raw_response_hook=hook)
        fics = [f async for f in client.federated_identity_credentials.list(rg, github.name, raw_response_hook=hook)]
        fic = await client.federated_identity_credentials.get(rg, github.name, fics[0].name, raw_response_hook=hook)
        with_system = next(r for r in tenant.resources.values() if r.system_principal_id and r.subscription_id == prod)
        system = await client.system_assigned_identities.get_by_scope(with_system.id, raw_response_hook=hook)
    arm_schema("msi", "IdentityListResult", hook.items[0])
    arm_schema("msi", "IdentityListResult", hook.items[1])
    arm_schema("msi", "Identity", hook.items[2])
    arm_schema("msi", "FederatedIdentityCredentialListResult", hook.items[3])
    arm_schema("msi", "FederatedIdentityCredential", hook.items[4])
    arm_schema("msi", "SystemAssignedIdentity", hook.items[5])
    expected = [r for r in tenant.resources.values() if r.is_user_assigned_identity and r.subscription_id == prod]
    assert sorted(i.id.lower() for i in by_sub) == sorted(r.id.lower() for r in expected)
    assert {i.id for i in by_rg} <= {i.id for i in by_sub}
    uami = tenant.resource(github.id)
    assert got.principal_id == uami.principal_id and got.client_id == uami.client_id
    assert got.tenant_id == tenant.tenant_id
    assert len(fics) >= 1 and fic.issuer == fics[0].issuer and fic.audiences == ["api://AzureADTokenExchange"]
    assert system.principal_id == with_system.system_principal_id
    assert system.client_id == with_system.system_client_id


async def test_role_definitions_filter_and_get(demo_emulator, credential, arm_kwargs, arm_schema):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient

    prod = _admin_subscriptions(demo_emulator)["Contoso Production"]
    scope = f"/subscriptions/{prod}"
    hook = Bodies()
    async with credential, AuthorizationManagementClient(credential, prod, **arm_kwargs(demo_emulator)) as client:
        readers = [
            d async for d in client.role_definitions.list(scope, filter="roleName eq 'Reader'", raw_response_hook=hook)
        ]
        custom = [d async for d in client.role_definitions.list(scope, filter="type eq 'CustomRole'")]
        reader = await client.role_definitions.get(scope, readers[0].name, raw_response_hook=hook)
        by_id = await client.role_definitions.get_by_id(readers[0].id)
    arm_schema("roledefinitions", "RoleDefinitionListResult", hook.items[0])
    arm_schema("roledefinitions", "RoleDefinition", hook.items[1])
    assert [d.role_name for d in readers] == ["Reader"]
    assert readers[0].name == "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    assert readers[0].id == f"/subscriptions/{prod}/providers/Microsoft.Authorization/roleDefinitions/{readers[0].name}"
    assert reader.id == readers[0].id and by_id.id == readers[0].id
    assert reader.permissions[0].actions == ["*/read"]
    assert custom and all(d.role_type == "CustomRole" for d in custom)


async def test_role_assignments_listing_filters(demo_emulator, credential, arm_kwargs, arm_schema):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient

    tenant = demo_emulator.tenant
    prod = _admin_subscriptions(demo_emulator)["Contoso Production"]
    sub_scope = f"/subscriptions/{prod}"
    hook = Bodies()
    async with credential, AuthorizationManagementClient(credential, prod, **arm_kwargs(demo_emulator)) as client:
        all_sub = [a async for a in client.role_assignments.list_for_subscription(raw_response_hook=hook)]
        at_scope = [a async for a in client.role_assignments.list_for_scope(sub_scope, filter="atScope()")]
        some = next(a for a in all_sub if "/resourcegroups/" in a.scope.lower())
        rg = some.scope.split("/")[4]
        for_rg = [a async for a in client.role_assignments.list_for_resource_group(rg)]
        mine = [
            a
            async for a in client.role_assignments.list_for_scope(
                sub_scope, filter=f"principalId eq '{some.principal_id}'"
            )
        ]
        assigned = [
            a
            async for a in client.role_assignments.list_for_scope(
                sub_scope, filter=f"assignedTo('{some.principal_id}')"
            )
        ]
        one = await client.role_assignments.get(some.scope, some.name, raw_response_hook=hook)
        by_id = await client.role_assignments.get_by_id(some.id)
    arm_schema("authorization", "RoleAssignmentListResult", hook.items[0])
    arm_schema("authorization", "RoleAssignment", hook.items[-1])
    above = set(rbac.ancestors_in(tenant, arm_key(sub_scope)))  # the root, its management groups, itself
    assert any(k.startswith("/providers/microsoft.management/") for k in above), "Production is below mg-contoso"
    expected = [
        ra
        for ra in tenant.role_assignments.values()
        if ra.scope.lower().startswith(sub_scope.lower()) or arm_key(ra.scope) in above
    ]
    assert sorted(a.name for a in all_sub) == sorted(ra.name for ra in expected)
    assert any("/managementGroups/" in a.scope for a in all_sub), "inherited from a management group"
    assert at_scope and all(arm_key(a.scope) in above for a in at_scope)
    assert all(arm_key(a.scope) in above or arm_key(a.scope).startswith(arm_key(some.scope)) for a in for_rg)
    assert some.name in {a.name for a in for_rg}
    # assignedTo() adds the assignments of the principal's groups to its own (principalId eq gives its own only)
    groups = {g.id for g in tenant.groups_of(some.principal_id, transitive=True)}
    via_groups = {a.name for a in all_sub if a.principal_id.lower() in groups}
    assert {a.name for a in assigned} == {a.name for a in mine} | via_groups
    assert all(a.principal_id == some.principal_id for a in mine) and some.name in {a.name for a in mine}
    assert one.id == some.id == by_id.id
    # ids recur byte-identical: the assignment's role definition id is the definition's id at that scope
    rd_guid = one.role_definition_id.rsplit("/", 1)[1]
    assert (
        one.role_definition_id == f"/subscriptions/{prod}/providers/Microsoft.Authorization/roleDefinitions/{rd_guid}"
    )


async def test_metadata_endpoints_describe_the_sandbox_cloud(demo_emulator):
    import ssl

    import aiohttp

    ctx = ssl.create_default_context(cafile=demo_emulator.connection.ca_file)
    conn = demo_emulator.connection
    async with aiohttp.ClientSession() as session:
        for path in ("/metadata/endpoints?api-version=2022-09-01", "//metadata/endpoints?api-version=2022-09-01"):
            async with session.get(conn.arm + path, ssl=ctx) as resp:
                assert resp.status == 200
                assert resp.content_type == "application/json"
                meta = await resp.json()
            assert meta["resourceManager"] == conn.arm + "/"
            assert meta["authentication"]["loginEndpoint"] == conn.login
            assert conn.arm + "/" in meta["authentication"]["audiences"]
            assert meta["microsoftGraphResourceId"] == conn.graph + "/"
            assert meta["suffixes"]["keyVaultDns"] == "vault.azure.net"
