"""Entra directory roles and groups through the real msgraph-sdk client (and raw HTTP for $batch), and ARM role
assignments whose principal is a group through the real azure-mgmt-authorization client. Expected values come
from the tenant object and from the examples of microsoft-graph-docs api-reference/v1.0 (ids of built-in roles,
the assignment id format, error messages)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import ManagedIdentityCredential
from graph_support import make_graph_client, raw_client

from tui.emulator import catalog
from tui.emulator.ids import directory_role_assignment_id
from tui.emulator.server import Emulator
from tui.emulator.tenant import Group, Tenant

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def graph_for(managed_identity_env: Callable[[Emulator], None]):
    @contextlib.asynccontextmanager
    async def open_client(emulator: Emulator) -> AsyncIterator[Any]:
        managed_identity_env(emulator)
        async with ManagedIdentityCredential() as credential:
            client = make_graph_client(emulator, credential)
            try:
                yield client
            finally:
                await client.request_adapter._http_client.aclose()  # noqa: SLF001 - the adapter owns no close()

    return open_client


def _config(builder: Any, **kwargs: Any) -> Any:
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    return RequestConfiguration(query_parameters=builder(**kwargs))


def _identity(tenant: Tenant, name: str) -> str:
    found = [sp.id for sp in tenant.service_principals.values() if sp.display_name == name]
    assert len(found) == 1, name
    return found[0]


def _group(tenant: Tenant, name: str) -> Group:
    return next(g for g in tenant.groups.values() if g.display_name == name)


# --- the data -------------------------------------------------------------------------------------------------
def test_built_in_roles_carry_entras_ids() -> None:
    roles = catalog.entra_role_definitions()
    assert len(roles) >= 100
    by_name = {r["displayName"]: r for r in roles}
    assert by_name["Global Administrator"]["id"] == GLOBAL_ADMINISTRATOR
    assert by_name["Privileged Role Administrator"]["id"] == PRIVILEGED_ROLE_ADMINISTRATOR
    assert by_name["Directory Readers"]["id"] == DIRECTORY_READERS
    assert by_name["Exchange Administrator"]["id"] == EXCHANGE_ADMINISTRATOR
    assert all(r["id"] == r["templateId"] and r["isBuiltIn"] and r["resourceScopes"] == ["/"] for r in roles)
    assert by_name["Global Administrator"]["isPrivileged"] is True
    assert (
        "microsoft.directory/users/password/update"
        in by_name["Helpdesk Administrator"]["rolePermissions"][0]["allowedResourceActions"]
    )


def test_assignment_ids_follow_graphs_format() -> None:
    # api-reference/v1.0/api/rbacapplication-list-roleassignments.md, example 1
    assert (
        directory_role_assignment_id(GLOBAL_ADMINISTRATOR, "ace08ec9-aa11-4ada-9145-addf0398233e")
        == "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1"
    )


# --- reads through the SDK ---------------------------------------------------------------------------------------
async def test_role_definitions_list_filter_and_get(demo_emulator, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.role_management.directory.role_definitions.role_definitions_request_builder import (
        RoleDefinitionsRequestBuilder,
    )

    q = RoleDefinitionsRequestBuilder.RoleDefinitionsRequestBuilderGetQueryParameters
    async with graph_for(demo_emulator) as client:
        defs = client.role_management.directory.role_definitions
        everything = await defs.get()
        assert len(everything.value) == len(catalog.entra_role_definitions())
        named = await defs.get(
            _config(q, filter="displayName eq 'Exchange Administrator'", select=["id", "displayName"])
        )
        assert [(r.id, r.display_name) for r in named.value] == [(EXCHANGE_ADMINISTRATOR, "Exchange Administrator")]
        assert named.value[0].role_permissions is None, "$select leaves out rolePermissions"
        one = await defs.by_unified_role_definition_id(GLOBAL_ADMINISTRATOR).get()
        assert one.display_name == "Global Administrator" and one.is_built_in and one.role_permissions
        with pytest.raises(ODataError) as err:
            await defs.by_unified_role_definition_id(str(uuid.uuid4())).get()
        assert err.value.response_status_code == 404 and err.value.error.code == "Request_ResourceNotFound"


async def test_role_assignments_filter_expand_and_paging(demo_emulator, graph_for):
    from msgraph.generated.role_management.directory.role_assignments.role_assignments_request_builder import (
        RoleAssignmentsRequestBuilder,
    )

    q = RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters
    tenant = demo_emulator.tenant
    mail = _identity(tenant, "aa-exchange-mail")
    sql = _identity(tenant, "sql-contoso-prod")
    async with graph_for(demo_emulator) as client:
        ras = client.role_management.directory.role_assignments
        mine = await ras.get(_config(q, filter=f"principalId eq '{mail}'", expand=["roleDefinition"]))
        assert [(a.principal_id, a.role_definition_id) for a in mine.value] == [(mail, EXCHANGE_ADMINISTRATOR)]
        assert mine.value[0].directory_scope_id == "/"
        assert mine.value[0].role_definition.display_name == "Exchange Administrator"
        both = await ras.get(_config(q, filter=f"principalId in ('{mail}', '{sql}')"))
        assert {a.role_definition_id for a in both.value} == {EXCHANGE_ADMINISTRATOR, DIRECTORY_READERS}
        gas = await ras.get(_config(q, filter=f"roleDefinitionId eq '{GLOBAL_ADMINISTRATOR}'", expand=["principal"]))
        holders = {a.principal_id for a in gas.value}
        assert holders == {
            a.principal_id
            for a in tenant.directory_role_assignments.values()
            if a.role_definition_id == GLOBAL_ADMINISTRATOR
        }
        assert _identity(tenant, "id-tenant-bootstrap") in holders
        assert all(a.principal.id == a.principal_id for a in gas.value)
        first = await ras.get(_config(q, top=2))
        items = list(first.value)
        page = first
        while page.odata_next_link:
            page = await ras.with_url(page.odata_next_link).get()
            items += page.value
        assert len(first.value) == 2 and first.odata_next_link
        assert sorted(a.id for a in items) == sorted(tenant.directory_role_assignments)


async def test_groups_members_and_transitive_member_of(demo_emulator, graph_for):
    from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder

    q = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters
    tenant = demo_emulator.tenant
    owners = _group(tenant, "sg-platform-owners")
    deploy = _identity(tenant, "id-platform-deploy")
    async with graph_for(demo_emulator) as client:
        listed = await client.groups.get(_config(q, filter="isAssignableToRole eq true"))
        assert {g.id for g in listed.value} == {g.id for g in tenant.groups.values() if g.is_assignable_to_role}
        got = await client.groups.by_group_id(owners.id).get()
        assert got.display_name == "sg-platform-owners" and got.is_assignable_to_role and got.security_enabled
        members = await client.groups.by_group_id(owners.id).members.get()
        assert [m.id for m in members.value] == owners.members
        assert {m.odata_type for m in members.value} == {"#microsoft.graph.servicePrincipal", "#microsoft.graph.user"}
        sps = await client.groups.by_group_id(owners.id).members.graph_service_principal.get()
        assert [m.id for m in sps.value] == [deploy]
        of = await client.service_principals.by_service_principal_id(deploy).transitive_member_of.get()
        assert [(o.odata_type, o.id) for o in of.value] == [("#microsoft.graph.group", owners.id)]
        github = _identity(tenant, "id-github-deploy")
        of = await client.service_principals.by_service_principal_id(github).transitive_member_of.get()
        kinds = {o.odata_type: o for o in of.value}
        assert kinds["#microsoft.graph.directoryRole"].display_name == "Application Administrator"
        assert kinds["#microsoft.graph.directoryRole"].role_template_id == "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
        direct = await client.service_principals.by_service_principal_id(github).member_of.get()
        assert [o.odata_type for o in direct.value] == ["#microsoft.graph.group"], "the role is the group's"


# --- writes through the SDK ----------------------------------------------------------------------------------------
async def test_grant_duplicate_and_remove_a_directory_role(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment

    emu = emulator_factory()
    tenant = emu.tenant
    target = _identity(tenant, "id-legacy-unused")
    body = UnifiedRoleAssignment(principal_id=target, role_definition_id=DIRECTORY_READERS, directory_scope_id="/")
    async with graph_for(emu) as client:
        ras = client.role_management.directory.role_assignments
        created = await ras.post(body)
        assert created.id == directory_role_assignment_id(DIRECTORY_READERS, target)
        assert created.id in tenant.directory_role_assignments
        with pytest.raises(ODataError) as err:
            await ras.post(body)
        assert err.value.response_status_code == 400 and err.value.error.code == "Request_BadRequest"
        assert err.value.error.message.startswith("A conflicting object")
        ghost = UnifiedRoleAssignment(
            principal_id=str(uuid.uuid4()), role_definition_id=DIRECTORY_READERS, directory_scope_id="/"
        )
        with pytest.raises(ODataError) as err:
            await ras.post(ghost)
        assert err.value.response_status_code == 404 and err.value.error.code == "Request_ResourceNotFound"
        await ras.by_unified_role_assignment_id(created.id).delete()
        assert created.id not in tenant.directory_role_assignments
        with pytest.raises(ODataError) as err:
            await ras.by_unified_role_assignment_id(created.id).delete()
        assert err.value.response_status_code == 404


async def test_a_reader_may_not_grant_directory_roles(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment

    emu = emulator_factory(caller="Dana Developer")
    target = _identity(emu.tenant, "id-legacy-unused")
    async with graph_for(emu) as client:
        with pytest.raises(ODataError) as err:
            await client.role_management.directory.role_assignments.post(
                UnifiedRoleAssignment(
                    principal_id=target, role_definition_id=GLOBAL_ADMINISTRATOR, directory_scope_id="/"
                )
            )
        assert err.value.response_status_code == 403 and err.value.error.code == "Authorization_RequestDenied"
    assert not any(a.principal_id == target for a in emu.tenant.directory_role_assignments.values())


async def test_add_and_remove_a_group_member_by_ref(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.reference_create import ReferenceCreate

    emu = emulator_factory()
    tenant = emu.tenant
    group = _group(tenant, "sg-platform-owners")
    target = _identity(tenant, "id-legacy-unused")
    ref = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{target}")
    async with graph_for(emu) as client:
        members = client.groups.by_group_id(group.id).members
        await members.ref.post(ref)
        assert target in group.members
        assert group in tenant.groups_of(target)
        with pytest.raises(ODataError) as err:
            await members.ref.post(ref)
        assert err.value.response_status_code == 400
        assert err.value.error.message == (
            "One or more added object references already exist for the following modified properties: 'members'."
        )
        await members.by_directory_object_id(target).ref.delete()
        assert target not in group.members
        with pytest.raises(ODataError) as err:
            await members.by_directory_object_id(target).ref.delete()
        assert err.value.response_status_code == 404


# --- $batch ---------------------------------------------------------------------------------------------------------
async def test_directory_reads_and_writes_inside_batch(emulator_factory):
    emu = emulator_factory()
    tenant = emu.tenant
    target = _identity(tenant, "id-legacy-unused")
    ids = [_identity(tenant, "aa-exchange-mail"), target]
    in_list = ",".join(f"'{i}'" for i in ids)
    requests = [
        {"id": "defs", "method": "GET", "url": "/roleManagement/directory/roleDefinitions?$select=id,displayName"},
        {
            "id": "ras",
            "method": "GET",
            "url": f"/roleManagement/directory/roleAssignments?$filter=principalId in ({in_list})",
        },
        {
            "id": "grant",
            "method": "POST",
            "url": "/roleManagement/directory/roleAssignments",
            "headers": JSON,
            "body": {"principalId": target, "roleDefinitionId": EXCHANGE_ADMINISTRATOR, "directoryScopeId": "/"},
        },
        {"id": "groups", "method": "GET", "url": "/groups?$select=id,displayName"},
        {"id": "of", "method": "GET", "url": f"/servicePrincipals/{ids[0]}/transitiveMemberOf"},
        {"id": "missing", "method": "GET", "url": f"/groups/{uuid.uuid4()}"},
    ]
    async with raw_client(emu) as http:
        response = await http.post("/$batch", json={"requests": requests})
    assert response.status_code == 200, response.text
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert len(by_id["defs"]["body"]["value"]) == len(catalog.entra_role_definitions())
    assert [a["principalId"] for a in by_id["ras"]["body"]["value"]] == [ids[0]]
    assert by_id["grant"]["status"] == 201
    assert by_id["grant"]["body"]["id"] == directory_role_assignment_id(EXCHANGE_ADMINISTRATOR, target)
    assert {g["id"] for g in by_id["groups"]["body"]["value"]} == set(tenant.groups)
    assert by_id["of"]["body"]["value"][0]["@odata.type"] == "#microsoft.graph.directoryRole"
    assert by_id["missing"]["status"] == 404
    assert by_id["missing"]["body"]["error"]["code"] == "Request_ResourceNotFound"


# --- ARM: role assignments to groups ---------------------------------------------------------------------------------
async def test_arm_assigns_to_a_group_and_rights_flow_through_it(emulator_factory, managed_identity_env, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    emu = emulator_factory()
    tenant = emu.tenant
    managed_identity_env(emu)
    sub = next(s.subscription_id for s in tenant.subscriptions.values() if s.display_name == "Contoso Development")
    scope = f"/subscriptions/{sub}"
    group = _group(tenant, "sg-app-admins")
    params = RoleAssignmentCreateParameters(
        role_definition_id=f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
        principal_id=group.id,
        principal_type="Group",  # the SDK's default is "User", which ARM refuses for a group
        description="owners through a group",
        condition="@Resource[Microsoft.Storage/storageAccounts:name] StringEquals 'x'",
        condition_version="2.0",
    )
    async with (
        ManagedIdentityCredential() as credential,
        AuthorizationManagementClient(credential, sub, **arm_kwargs(emu)) as client,
    ):
        name = str(uuid.uuid4())
        created = await client.role_assignments.create(scope, name, params)
        assert created.principal_type == "Group" and created.principal_id == group.id
        assert created.description == "owners through a group" and created.condition_version == "2.0"
        assert created.created_by == tenant.admin_user_id and created.created_on is not None
        listed = [a async for a in client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{group.id}'")]
        assert [a.name for a in listed] == [name] and listed[0].condition == params.condition
        member = group.members[0]
        through = [a async for a in client.role_assignments.list_for_scope(scope, filter=f"assignedTo('{member}')")]
        assert name in {a.name for a in through}
        with pytest.raises(HttpResponseError) as err:
            await client.role_assignments.create(
                scope,
                str(uuid.uuid4()),
                RoleAssignmentCreateParameters(
                    role_definition_id=params.role_definition_id, principal_id=group.id, principal_type="User"
                ),
            )
        assert err.value.error.code == "UnmatchedPrincipalType"


async def test_hostile_group_names_come_back_literally(emulator_factory):
    from pathlib import Path

    hostile = Path(__file__).resolve().parent.parent / "fixtures" / "hostile-tenant.json"
    emu = emulator_factory(str(hostile))
    group = next(iter(emu.tenant.groups.values()))
    assert "[bold]x[/]" in group.display_name and "\x1b[31m" in group.display_name
    async with raw_client(emu) as http:
        listed = (await http.get("/groups")).json()["value"]
        members = (await http.get(f"/groups/{group.id}/members")).json()["value"]
        of = (await http.get(f"/servicePrincipals/{members[0]['id']}/transitiveMemberOf")).json()["value"]
    assert [g["displayName"] for g in listed] == [group.display_name]
    assert listed[0]["description"] == "[link=https://evil.example]owners[/link]"
    assert {o["displayName"] for o in of} == {group.display_name, "Global Reader"}


# --- transitive members (group-list-transitivemembers.md) ---------------------------------------------------------
async def test_transitive_service_principal_members_need_the_advanced_query(emulator_factory, graph_for):
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import GetByIdsPostRequestBody
    from msgraph.generated.groups.item.transitive_members.graph_service_principal.graph_service_principal_request_builder import (  # noqa: E501
        GraphServicePrincipalRequestBuilder,
    )

    emu = emulator_factory()
    tenant = emu.tenant
    owners = _group(tenant, "sg-platform-owners")
    # sg-outer holds aa-identity-sync and sg-inner, which holds aa-exchange-mail and a user
    outer = Group(id=str(uuid.uuid4()), display_name="sg-outer", mail_nickname="sgouter")
    inner = Group(id=str(uuid.uuid4()), display_name="sg-inner", mail_nickname="sginner")
    tenant.groups[outer.id] = outer
    tenant.groups[inner.id] = inner
    sync = _identity(tenant, "aa-identity-sync")
    mail = _identity(tenant, "aa-exchange-mail")
    assert tenant.add_member(outer, sync) and tenant.add_member(outer, inner.id) and tenant.add_member(inner, mail)
    assert tenant.add_member(inner, tenant.admin_user_id)
    q = GraphServicePrincipalRequestBuilder.GraphServicePrincipalRequestBuilderGetQueryParameters
    async with graph_for(emu) as client:
        sps = client.groups.by_group_id(outer.id).transitive_members.graph_service_principal
        config = RequestConfiguration(query_parameters=q(select=["id"], count=True))
        config.headers.add("ConsistencyLevel", "eventual")
        found = await sps.get(config)
        assert [m.id for m in found.value] == [sync, mail], "nested members too, service principals only"
        assert found.odata_count == 2
        # the cast without the advanced query: Graph answers an empty collection, not an error
        bare = await sps.get(RequestConfiguration(query_parameters=q(select=["id"])))
        assert bare.value == []
        everything = await client.groups.by_group_id(outer.id).transitive_members.get()
        assert [(m.odata_type, m.id) for m in everything.value] == [
            ("#microsoft.graph.servicePrincipal", sync),
            ("#microsoft.graph.group", inner.id),
            ("#microsoft.graph.servicePrincipal", mail),
            ("#microsoft.graph.user", tenant.admin_user_id),
        ]
        mine = await client.groups.by_group_id(owners.id).transitive_members.get()
        assert [m.id for m in mine.value] == owners.members
        # getByIds names groups too (its default type is every directory object)
        got = await client.directory_objects.get_by_ids.post(GetByIdsPostRequestBody(ids=[owners.id, sync]))
        assert {(o.odata_type, o.id) for o in got.value} == {
            ("#microsoft.graph.group", owners.id),
            ("#microsoft.graph.servicePrincipal", sync),
        }


async def test_transitive_members_inside_batch_with_the_header(emulator_factory):
    emu = emulator_factory()
    owners = _group(emu.tenant, "sg-platform-owners")
    deploy = _identity(emu.tenant, "id-platform-deploy")
    url = f"/groups/{owners.id}/transitiveMembers/microsoft.graph.servicePrincipal?$select=id&$count=true"
    payload = {
        "requests": [
            {"id": "1", "method": "GET", "url": url, "headers": {"ConsistencyLevel": "eventual"}},
            {"id": "2", "method": "GET", "url": url},
            {"id": "3", "method": "GET", "url": f"/groups/{uuid.uuid4()}/transitiveMembers"},
        ]
    }
    async with raw_client(emu) as http:
        resp = await http.post("/$batch", json=payload, headers=JSON)
    answers = {r["id"]: r for r in resp.json()["responses"]}
    assert answers["1"]["status"] == 200 and answers["1"]["body"]["value"] == [{"id": deploy}]
    assert answers["1"]["body"]["@odata.count"] == 1
    assert answers["2"]["status"] == 400, "$count without ConsistencyLevel: eventual"
    assert answers["3"]["status"] == 404 and answers["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
