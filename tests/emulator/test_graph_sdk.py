"""Microsoft Graph v1.0 through the real msgraph-sdk GraphServiceClient, over HTTPS trusting only the emulator's
CA, signed in by the real azure-identity ManagedIdentityCredential (IDENTITY_ENDPOINT + IDENTITY_HEADER).
Expected values are read from the tenant object, never hard-coded. Raw bodies are validated against the Graph
schema subset in tests/data/graph."""

from __future__ import annotations

import contextlib
import importlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from azure.identity.aio import ManagedIdentityCredential
from graph_support import MICROSOFT_GRAPH_APP_ID, make_graph_client, raw_client, validate_collection, validate_graph

from tui.emulator.builder import TenantBuilder
from tui.emulator.catalog import CONTOSO_HR_API_ROLES
from tui.emulator.server import Emulator
from tui.emulator.tenant import ServicePrincipal, Tenant


def _query(**kwargs: Any) -> Any:
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.service_principals.service_principals_request_builder import (
        ServicePrincipalsRequestBuilder,
    )

    eventual = kwargs.pop("eventual", False)
    params = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(**kwargs)
    config = RequestConfiguration(query_parameters=params)
    if eventual:
        config.headers.add("ConsistencyLevel", "eventual")
    return config


def _sp_named(tenant: Tenant, name: str) -> ServicePrincipal:
    found = [sp for sp in tenant.service_principals.values() if sp.display_name == name]
    assert len(found) == 1, name
    return found[0]


def _graph_sp(tenant: Tenant) -> ServicePrincipal:
    sp = tenant.service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
    assert sp is not None
    return sp


@pytest.fixture
def graph_for(managed_identity_env: Callable[[Emulator], None]):
    """``async with graph_for(emulator) as client``: a GraphServiceClient signed in, through the real
    ManagedIdentityCredential, as the emulator's default caller; closed afterwards."""

    @contextlib.asynccontextmanager
    async def open_client(emulator: Emulator, **kwargs: Any) -> AsyncIterator[Any]:
        managed_identity_env(emulator)
        async with ManagedIdentityCredential() as credential:
            client = make_graph_client(emulator, credential, **kwargs)
            try:
                yield client
            finally:
                await client.request_adapter._http_client.aclose()  # noqa: SLF001 - the adapter owns no close()

    return open_client


async def _all_pages(client: Any, page: Any) -> list[Any]:
    items = list(page.value)
    while page.odata_next_link:
        page = await client.service_principals.with_url(page.odata_next_link).get()
        items += page.value
    return items


# --- reads --------------------------------------------------------------------------------------------------------
async def test_managed_identities_list_with_filter_select_count_and_paging(demo_emulator, graph_for):
    async with graph_for(demo_emulator) as client:
        tenant = demo_emulator.tenant
        expected = {
            sp.id for sp in tenant.service_principals.values() if sp.service_principal_type == "ManagedIdentity"
        }
        select = ["id", "appId", "displayName", "servicePrincipalType", "alternativeNames"]
        first = await client.service_principals.get(
            request_configuration=_query(
                filter="servicePrincipalType eq 'ManagedIdentity'", select=select, top=5, count=True, eventual=True
            )
        )
        assert first.odata_count == len(expected)
        assert len(first.value) == 5 and first.odata_next_link.startswith(demo_emulator.connection.graph + "/v1.0/")
        items = await _all_pages(client, first)
        assert [sp.id for sp in items] == list(dict.fromkeys(sp.id for sp in items)), "a page repeated an item"
        assert {sp.id for sp in items} == expected
        for sp in items:
            model = tenant.service_principals[sp.id]
            assert sp.app_id == model.app_id and sp.display_name == model.display_name
            assert sp.alternative_names == model.alternative_names
            assert sp.app_roles is None, "$select must leave out appRoles"


async def test_service_principal_by_app_id_carries_graphs_real_app_roles(demo_emulator, graph_for):
    async with graph_for(demo_emulator) as client:
        graph = await client.service_principals_with_app_id(MICROSOFT_GRAPH_APP_ID).get()
        model = _graph_sp(demo_emulator.tenant)
        assert graph.id == model.id and graph.display_name == "Microsoft Graph"
        assert len(graph.app_roles) == len(model.app_roles) == 716
        by_value = {r.value: r for r in graph.app_roles}
        assert str(by_value["RoleManagement.ReadWrite.Directory"].id) == "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
        assert str(by_value["User.Read.All"].id) == "df021288-bdef-4463-88db-98f22de89214"
        assert all(r.allowed_member_types for r in graph.app_roles)


async def test_system_and_user_assigned_identities_look_as_in_entra(demo_emulator, graph_for):
    async with graph_for(demo_emulator) as client:
        tenant = demo_emulator.tenant
        system_res = next(r for r in tenant.resources.values() if r.system_principal_id)
        user_res = next(r for r in tenant.resources.values() if r.is_user_assigned_identity)
        system = await client.service_principals.by_service_principal_id(system_res.system_principal_id).get()
        user = await client.service_principals.by_service_principal_id(user_res.principal_id).get()
        for sp, res, explicit in ((system, system_res, "False"), (user, user_res, "True")):
            assert sp.service_principal_type == "ManagedIdentity"
            assert sp.alternative_names[0] == f"isExplicit={explicit}"
            assert sp.alternative_names[1].lower() == res.id.lower()
            assert sp.service_principal_names[0] == sp.app_id
            assert sp.service_principal_names[1].startswith("https://identity.azure.net/")
            assert sp.app_roles == []
        assert system.app_id == system_res.system_client_id and user.app_id == user_res.client_id


async def test_raw_service_principal_bodies_validate_against_the_graph_schema(demo_emulator):
    tenant = demo_emulator.tenant
    async with raw_client(demo_emulator) as http:
        listing = (await http.get("/servicePrincipals", params={"$top": "999"})).json()
        validate_collection("microsoft.graph.servicePrincipal", listing)
        assert len(listing["value"]) == len(tenant.service_principals)
        one = (await http.get(f"/servicePrincipals/{_graph_sp(tenant).id}")).json()
        validate_graph("microsoft.graph.servicePrincipal", one)
        for role in one["appRoles"]:
            validate_graph("microsoft.graph.appRole", role)
        grants = (await http.get(f"/servicePrincipals/{_graph_sp(tenant).id}/appRoleAssignedTo")).json()
        validate_collection("microsoft.graph.appRoleAssignment", grants)
        assert grants["value"], "the demo grants Graph app roles"


async def test_app_role_assignments_both_sides_match_the_tenant(demo_emulator, graph_for):
    async with graph_for(demo_emulator) as client:
        tenant = demo_emulator.tenant
        graph = _graph_sp(tenant)
        from kiota_abstractions.base_request_configuration import RequestConfiguration

        builder_module = importlib.import_module(
            "msgraph.generated.service_principals.item.app_role_assigned_to.app_role_assigned_to_request_builder"
        )
        AppRoleAssignedToRequestBuilder = builder_module.AppRoleAssignedToRequestBuilder  # noqa: N806

        params = AppRoleAssignedToRequestBuilder.AppRoleAssignedToRequestBuilderGetQueryParameters(top=4)
        page = await client.service_principals.by_service_principal_id(graph.id).app_role_assigned_to.get(
            request_configuration=RequestConfiguration(query_parameters=params)
        )
        items = list(page.value)
        while page.odata_next_link:
            page = await (
                client.service_principals.by_service_principal_id(graph.id)
                .app_role_assigned_to.with_url(page.odata_next_link)
                .get()
            )
            items += page.value
        expected = {g.id for g in tenant.app_role_assignments.values() if g.resource_id == graph.id}
        assert {a.id for a in items} == expected and len(items) == len(expected)
        for a in items:
            grant = tenant.app_role_assignments[a.id]
            assert str(a.principal_id) == grant.principal_id and str(a.app_role_id) == grant.app_role_id
            assert a.resource_display_name == "Microsoft Graph" and a.principal_type == "ServicePrincipal"
            assert len(a.id) == 43

        holder = next(g.principal_id for g in tenant.app_role_assignments.values() if g.resource_id == graph.id)
        mine = await client.service_principals.by_service_principal_id(holder).app_role_assignments.get()
        assert {a.id for a in mine.value} == {
            g.id for g in tenant.app_role_assignments.values() if g.principal_id == holder
        }


async def test_search_and_startswith_and_any_filters(demo_emulator, graph_for):
    async with graph_for(demo_emulator) as client:
        tenant = demo_emulator.tenant
        page = await client.service_principals.get(
            request_configuration=_query(search='"displayName:orders"', select=["id", "displayName"], eventual=True)
        )
        expected = {sp.id for sp in tenant.service_principals.values() if "orders" in sp.display_name.lower()}
        assert {sp.id for sp in page.value} == expected and expected
        page = await client.service_principals.get(request_configuration=_query(filter="startswith(displayName,'aa-')"))
        assert {sp.display_name for sp in page.value} == {
            sp.display_name for sp in tenant.service_principals.values() if sp.display_name.startswith("aa-")
        }
        uami = next(r for r in tenant.resources.values() if r.is_user_assigned_identity)
        spn = tenant.service_principals[uami.principal_id].service_principal_names[1]
        page = await client.service_principals.get(
            request_configuration=_query(
                filter=f"servicePrincipalNames/any(c:c eq '{spn}') and appId eq '{uami.client_id}'"
            )
        )
        assert [sp.id for sp in page.value] == [uami.principal_id]
        ids = [uami.principal_id, _graph_sp(tenant).id]
        page = await client.service_principals.get(
            request_configuration=_query(filter=f"id in ('{ids[0]}','{ids[1]}')", select=["id"])
        )
        assert sorted(sp.id for sp in page.value) == sorted(ids)


async def test_get_by_ids_returns_typed_directory_objects(demo_emulator, graph_for):
    from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import GetByIdsPostRequestBody

    async with graph_for(demo_emulator) as client:
        tenant = demo_emulator.tenant
        sp = _graph_sp(tenant)
        missing = str(uuid.uuid4())
        body = GetByIdsPostRequestBody(ids=[tenant.admin_user_id, sp.id, missing])
        result = await client.directory_objects.get_by_ids.post(body)
        kinds = {o.id: o.odata_type for o in result.value}
        assert kinds == {tenant.admin_user_id: "#microsoft.graph.user", sp.id: "#microsoft.graph.servicePrincipal"}
        only_sps = await client.directory_objects.get_by_ids.post(
            GetByIdsPostRequestBody(ids=[tenant.admin_user_id, sp.id], types=["servicePrincipal"])
        )
        assert [o.id for o in only_sps.value] == [sp.id]


# --- errors through the SDK ---------------------------------------------------------------------------------------
async def test_unknown_and_malformed_ids_and_top_over_999(demo_emulator, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    async with graph_for(demo_emulator) as client:
        with pytest.raises(ODataError) as err:
            await client.service_principals.by_service_principal_id(str(uuid.uuid4())).get()
        assert err.value.response_status_code == 404 and err.value.error.code == "Request_ResourceNotFound"
        with pytest.raises(ODataError) as err:
            await client.service_principals.by_service_principal_id("not-a-guid").get()
        assert err.value.response_status_code == 400 and err.value.error.code == "Request_BadRequest"
        with pytest.raises(ODataError) as err:
            await client.service_principals_with_app_id(str(uuid.uuid4())).get()
        assert err.value.response_status_code == 404
        with pytest.raises(ODataError) as err:
            await client.service_principals.get(request_configuration=_query(top=1000))
        assert err.value.response_status_code == 400 and "999" in err.value.error.message


# --- writes -------------------------------------------------------------------------------------------------------
def _assignment(principal_id: str, resource_id: str, app_role_id: str) -> Any:
    from msgraph.generated.models.app_role_assignment import AppRoleAssignment

    return AppRoleAssignment(
        principal_id=uuid.UUID(principal_id), resource_id=uuid.UUID(resource_id), app_role_id=uuid.UUID(app_role_id)
    )


async def test_admin_grants_and_revokes_a_graph_app_role(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    emu = emulator_factory()
    async with graph_for(emu) as client:
        tenant = emu.tenant
        graph = _graph_sp(tenant)
        assert "Privileged Role Administrator" in tenant.users[tenant.admin_user_id].directory_roles
        target = _sp_named(tenant, "id-legacy-unused")
        role = next(r for r in graph.app_roles if r["value"] == "Mail.Send")
        body = _assignment(target.id, graph.id, role["id"])

        created = await client.service_principals.by_service_principal_id(target.id).app_role_assignments.post(body)
        assert len(created.id) == 43 and str(created.app_role_id) == role["id"]
        assert (
            created.principal_display_name == "id-legacy-unused" and created.resource_display_name == "Microsoft Graph"
        )
        assert created.created_date_time is not None
        assert tenant.app_role_assignments[created.id].principal_id == target.id

        with pytest.raises(ODataError) as err:
            await client.service_principals.by_service_principal_id(target.id).app_role_assignments.post(body)
        assert err.value.response_status_code == 400 and err.value.error.code == "Request_BadRequest"
        assert err.value.error.message == "Permission being assigned already exists on the object"

        sides = client.service_principals.by_service_principal_id(graph.id).app_role_assigned_to
        await sides.by_app_role_assignment_id(created.id).delete()
        assert created.id not in tenant.app_role_assignments
        with pytest.raises(ODataError) as err:
            await sides.by_app_role_assignment_id(created.id).delete()
        assert err.value.response_status_code == 404

        again = await sides.post(body)  # the resource side works too
        assert tenant.app_role_assignments[again.id].resource_id == graph.id


async def test_grant_errors_for_unknown_role_principal_and_resource(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    emu = emulator_factory()
    async with graph_for(emu) as client:
        tenant = emu.tenant
        graph = _graph_sp(tenant)
        target = _sp_named(tenant, "id-legacy-unused")
        before = dict(tenant.app_role_assignments)
        requests = client.service_principals.by_service_principal_id(target.id).app_role_assignments
        with pytest.raises(ODataError) as err:
            await requests.post(_assignment(target.id, graph.id, str(uuid.uuid4())))
        assert err.value.response_status_code == 400
        assert err.value.error.message.startswith("Permission being assigned was not found on application")
        with pytest.raises(ODataError) as err:
            await requests.post(_assignment(target.id, str(uuid.uuid4()), graph.app_roles[0]["id"]))
        assert err.value.response_status_code == 404 and err.value.error.code == "Request_ResourceNotFound"
        ghost = str(uuid.uuid4())
        with pytest.raises(ODataError) as err:
            await client.service_principals.by_service_principal_id(ghost).app_role_assignments.post(
                _assignment(ghost, graph.id, graph.app_roles[0]["id"])
            )
        assert err.value.response_status_code == 404
        assert tenant.app_role_assignments == before, "a refused grant must change nothing"


async def test_callers_without_the_right_get_403(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    # a user with no directory role may read but not grant
    emu = emulator_factory(caller="Dana Developer")
    async with graph_for(emu) as client:
        tenant = emu.tenant
        graph, target = _graph_sp(tenant), _sp_named(tenant, "id-legacy-unused")
        listed = await client.service_principals.get(request_configuration=_query(top=3))
        assert len(listed.value) == 3
        with pytest.raises(ODataError) as err:
            await client.service_principals.by_service_principal_id(target.id).app_role_assignments.post(
                _assignment(target.id, graph.id, graph.app_roles[0]["id"])
            )
        assert err.value.response_status_code == 403 and err.value.error.code == "Authorization_RequestDenied"
        assert err.value.error.message == "Insufficient privileges to complete the operation."

    # a managed identity holding only Mail.Send may not even list service principals
    mailer = emulator_factory(caller="func-invoice-mailer")
    async with graph_for(mailer) as client:
        with pytest.raises(ODataError) as err:
            await client.service_principals.get()
        assert err.value.response_status_code == 403 and err.value.error.code == "Authorization_RequestDenied"


async def test_a_managed_identity_with_approleassignment_readwrite_all_may_grant(emulator_factory, graph_for):
    emu = emulator_factory(caller="aa-ops-prod")
    async with graph_for(emu) as client:
        tenant = emu.tenant
        graph, target = _graph_sp(tenant), _sp_named(tenant, "id-legacy-unused")
        role = next(r for r in graph.app_roles if r["value"] == "Directory.Read.All")
        created = await client.service_principals.by_service_principal_id(graph.id).app_role_assigned_to.post(
            _assignment(target.id, graph.id, role["id"])
        )
        assert tenant.app_role_assignments[created.id].app_role_id == role["id"]


def _cloud_app_admin_tenant() -> Tenant:
    b = TenantBuilder(seed="cloud-app-admin")
    b.add_user("Cleo Cloudadmin", "cleo@contoso.onmicrosoft.com", directory_roles=["Cloud Application Administrator"])
    b.add_subscription("Only One")
    hr = b.add_application("Contoso HR API", CONTOSO_HR_API_ROLES)
    client_app = b.add_application("HR Client")
    b.grant_app_role(client_app, hr, "Reports.Read")
    return b.build()


async def test_cloud_application_administrator_may_grant_own_apps_roles_but_not_graphs(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    emu = emulator_factory(_cloud_app_admin_tenant())
    async with graph_for(emu) as client:
        tenant = emu.tenant
        graph, hr, client_app = _graph_sp(tenant), _sp_named(tenant, "Contoso HR API"), _sp_named(tenant, "HR Client")
        employees = next(r for r in hr.app_roles if r["value"] == "Employees.Read.All")
        created = await client.service_principals.by_service_principal_id(hr.id).app_role_assigned_to.post(
            _assignment(client_app.id, hr.id, employees["id"])
        )
        assert created.resource_display_name == "Contoso HR API"
        with pytest.raises(ODataError) as err:
            await client.service_principals.by_service_principal_id(graph.id).app_role_assigned_to.post(
                _assignment(client_app.id, graph.id, graph.app_roles[0]["id"])
            )
        assert err.value.response_status_code == 403


async def test_managed_identity_service_principals_cannot_be_changed(emulator_factory, graph_for):
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.service_principal import ServicePrincipal as SpModel

    emu = emulator_factory()
    async with graph_for(emu) as client:
        target = _sp_named(emu.tenant, "id-legacy-unused")
        item = client.service_principals.by_service_principal_id(target.id)
        with pytest.raises(ODataError) as err:
            await item.patch(SpModel(tags=["changed"]))
        assert err.value.response_status_code == 400
        with pytest.raises(ODataError) as err:
            await item.delete()
        assert err.value.response_status_code == 400
        assert target.id in emu.tenant.service_principals and emu.tenant.service_principals[target.id].tags == []


async def test_graph_response_created_by_the_sdk_validates(emulator_factory):
    emu = emulator_factory()
    tenant = emu.tenant
    graph, target = _graph_sp(tenant), _sp_named(tenant, "id-legacy-unused")
    role = next(r for r in graph.app_roles if r["value"] == "Group.Read.All")
    async with raw_client(emu) as http:
        response = await http.post(
            f"/servicePrincipals/{target.id}/appRoleAssignments",
            content=json.dumps({"principalId": target.id, "resourceId": graph.id, "appRoleId": role["id"]}),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 201
    body = response.json()
    validate_graph("microsoft.graph.appRoleAssignment", body)
    assert response.headers["location"].endswith(body["id"])
