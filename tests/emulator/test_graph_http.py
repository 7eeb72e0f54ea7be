"""Microsoft Graph requests the SDK cannot express (malformed bodies, wrong types, raw $batch, query-option
errors), sent as raw HTTPS with a real token. Every refusal is a 4xx in Graph's error envelope, never a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from graph_support import MICROSOFT_GRAPH_APP_ID, assert_graph_error, raw_client, validate_graph
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.emulator.tenant import ServicePrincipal, Tenant

JSON = {"Content-Type": "application/json"}
EVENTUAL = {"ConsistencyLevel": "eventual"}


def _graph(tenant: Tenant) -> ServicePrincipal:
    sp = tenant.service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
    assert sp is not None
    return sp


def _unused_identity(tenant: Tenant) -> ServicePrincipal:
    return next(sp for sp in tenant.service_principals.values() if sp.display_name == "id-legacy-unused")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"a string"',
        b"",
        json.dumps({"principalId": 5, "resourceId": "x", "appRoleId": None}).encode(),
        json.dumps(
            {"principalId": "not-a-guid", "resourceId": str(uuid.uuid4()), "appRoleId": str(uuid.uuid4())}
        ).encode(),
        json.dumps({"resourceId": str(uuid.uuid4())}).encode(),
        '{"principalId": "\udcff"}'.encode("utf-8", "surrogatepass"),
    ],
)
async def test_malformed_grant_bodies_are_400(demo_emulator, body):
    target = _unused_identity(demo_emulator.tenant)
    async with raw_client(demo_emulator) as http:
        response = await http.post(f"/servicePrincipals/{target.id}/appRoleAssignments", content=body, headers=JSON)
    error = assert_graph_error(response, 400, response.json()["error"]["code"])
    assert error["code"] in ("BadRequest", "Request_BadRequest")


async def test_principal_in_body_must_match_the_url(demo_emulator):
    tenant = demo_emulator.tenant
    graph, target = _graph(tenant), _unused_identity(tenant)
    body = {"principalId": graph.id, "resourceId": graph.id, "appRoleId": graph.app_roles[0]["id"]}
    async with raw_client(demo_emulator) as http:
        response = await http.post(f"/servicePrincipals/{target.id}/appRoleAssignments", json=body)
    assert_graph_error(response, 400, "Request_BadRequest")


async def test_unknown_routes_and_methods(demo_emulator):
    async with raw_client(demo_emulator) as http:
        assert_graph_error(await http.get("/devices"), 400, "BadRequest")
        assert_graph_error(await http.put("/servicePrincipals", json={}), 405, "Request_BadRequest")
        sp = _graph(demo_emulator.tenant)
        assert_graph_error(await http.post(f"/servicePrincipals/{sp.id}", json={}), 405, "Request_BadRequest")


@pytest.mark.parametrize(
    ("params", "headers", "status", "code"),
    [
        ({"$top": "1000"}, {}, 400, "Request_BadRequest"),
        ({"$top": "0"}, {}, 400, "Request_BadRequest"),
        ({"$top": "ten"}, {}, 400, "BadRequest"),
        ({"$count": "true"}, {}, 400, "Request_BadRequest"),
        ({"$search": '"displayName:aa"'}, {}, 400, "Request_BadRequest"),
        ({"$search": "displayName:aa"}, EVENTUAL, 400, "Request_BadRequest"),
        ({"$filter": "displayName ne 'x'"}, {}, 400, "Request_UnsupportedQuery"),
        ({"$filter": "endswith(displayName,'prod')"}, EVENTUAL, 400, "Request_UnsupportedQuery"),
        ({"$filter": "displayName eq"}, {}, 400, "BadRequest"),
        ({"$filter": "(displayName eq 'a'"}, {}, 400, "BadRequest"),
        ({"$filter": "color eq 'blue'"}, {}, 400, "Request_UnsupportedQuery"),
        ({"$filter": "displayName gt 'a'"}, {}, 400, "Request_UnsupportedQuery"),
        ({"$select": "id,favouriteColour"}, {}, 400, "Request_BadRequest"),
        ({"$orderby": "displayName"}, {}, 400, "Request_UnsupportedQuery"),
        ({"$skiptoken": "garbage"}, {}, 400, "Request_BadRequest"),
        ({"$unknown": "1"}, {}, 400, "BadRequest"),
    ],
)
async def test_query_option_errors(demo_emulator, params, headers, status, code):
    async with raw_client(demo_emulator) as http:
        response = await http.get("/servicePrincipals", params=params, headers=headers)
    assert_graph_error(response, status, code)


async def test_advanced_queries_with_consistency_level(demo_emulator):
    tenant = demo_emulator.tenant
    async with raw_client(demo_emulator) as http:
        response = await http.get(
            "/servicePrincipals",
            params={
                "$filter": "endswith(displayName,'-prod') and not (servicePrincipalType eq 'Application')",
                "$count": "true",
                "$orderby": "displayName desc",
                "$select": "displayName",
            },
            headers=EVENTUAL,
        )
        count = await http.get("/servicePrincipals/$count", headers=EVENTUAL)
        no_header = await http.get("/servicePrincipals/$count")
    assert response.status_code == 200, response.text
    names = [v["displayName"] for v in response.json()["value"]]
    expected = sorted(
        (
            sp.display_name
            for sp in tenant.service_principals.values()
            if sp.display_name.endswith("-prod") and sp.service_principal_type != "Application"
        ),
        key=str.lower,
        reverse=True,
    )
    assert names == expected and response.json()["@odata.count"] == len(expected) and expected
    assert count.status_code == 200 and int(count.text) == len(tenant.service_principals)
    assert count.headers["content-type"].startswith("text/plain")
    assert_graph_error(no_header, 400, "Request_UnsupportedQuery")


async def test_paging_follows_absolute_next_links_to_the_end(demo_emulator):
    tenant = demo_emulator.tenant
    seen: list[str] = []
    async with raw_client(demo_emulator) as http:
        url = "/servicePrincipals?$select=id&$top=7"
        while url:
            body = (await http.get(url)).json()
            seen += [v["id"] for v in body["value"]]
            url = body.get("@odata.nextLink")
            if url:
                assert url.startswith(demo_emulator.connection.graph + "/v1.0/servicePrincipals?")
    assert len(seen) == len(set(seen)) == len(tenant.service_principals)


async def test_grants_page_through_what_the_first_page_matched_until_the_grants_change(demo_emulator):
    """A next page of a resource's grants pages through its first page's matches (Graph's cursor), and a grant
    removed between two pages is not listed by the next one."""
    tenant = demo_emulator.tenant
    graph = _graph(tenant)
    truth = sorted(g.id for g in tenant.app_role_assignments.values() if g.resource_id == graph.id)
    assert len(truth) >= 6

    async def listing(between=None) -> list[str]:
        seen: list[str] = []
        async with raw_client(demo_emulator) as http:
            url = f"/servicePrincipals/{graph.id}/appRoleAssignedTo?$top=2"
            while url:
                body = (await http.get(url)).json()
                seen += [v["id"] for v in body["value"]]
                url = body.get("@odata.nextLink")
                if between is not None and url:
                    between, act = None, between
                    act()
        return seen

    assert sorted(await listing()) == truth
    first_two = (await listing())[:2]
    last = truth[-1] if truth[-1] not in first_two else truth[0]
    with tenant.lock:
        removed = tenant.app_role_assignments[last]
    seen = await listing(between=lambda: tenant.app_role_assignments.pop(last))
    assert last not in seen and len(seen) == len(set(seen)) == len(truth) - 1
    with tenant.lock:
        tenant.app_role_assignments[last] = removed


async def test_batch_runs_each_request_through_the_same_handlers(emulator_factory):
    emu = emulator_factory()
    tenant = emu.tenant
    graph, target = _graph(tenant), _unused_identity(tenant)
    role = next(r for r in graph.app_roles if r["value"] == "Sites.Read.All")
    grant = {"principalId": target.id, "resourceId": graph.id, "appRoleId": role["id"]}
    requests = [
        {"id": "sp", "method": "GET", "url": f"/servicePrincipals/{target.id}?$select=id,displayName"},
        {
            "id": "grant",
            "method": "POST",
            "url": f"/servicePrincipals/{target.id}/appRoleAssignments",
            "headers": JSON,
            "body": grant,
        },
        {
            "id": "again",
            "method": "POST",
            "url": f"/servicePrincipals/{target.id}/appRoleAssignments",
            "headers": JSON,
            "body": grant,
            "dependsOn": ["grant"],
        },
        {"id": "missing", "method": "GET", "url": f"/servicePrincipals/{uuid.uuid4()}"},
        {"id": "after-missing", "method": "GET", "url": "/me", "dependsOn": ["missing"]},
        {"id": "nowhere", "method": "GET", "url": "/devices"},
        {"id": "versioned", "method": "GET", "url": "/v1.0/servicePrincipals?$top=2&$select=id"},
        {"id": "nested", "method": "POST", "url": "/$batch", "headers": JSON, "body": {"requests": []}},
    ]
    async with raw_client(emu) as http:
        response = await http.post("/$batch", json={"requests": requests})
    assert response.status_code == 200, response.text
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert set(by_id) == {r["id"] for r in requests}
    assert by_id["sp"]["status"] == 200 and by_id["sp"]["body"]["displayName"] == "id-legacy-unused"
    assert by_id["grant"]["status"] == 201
    validate_graph("microsoft.graph.appRoleAssignment", by_id["grant"]["body"])
    assert by_id["grant"]["body"]["id"] in tenant.app_role_assignments
    assert by_id["again"]["status"] == 400
    assert by_id["again"]["body"]["error"]["message"] == "Permission being assigned already exists on the object"
    assert by_id["missing"]["status"] == 404 and by_id["after-missing"]["status"] == 424
    assert by_id["nowhere"]["status"] == 400 and by_id["versioned"]["status"] == 200
    assert len(by_id["versioned"]["body"]["value"]) == 2
    assert by_id["nested"]["status"] in (400, 405)


async def test_batch_applies_the_callers_rights_to_each_request(emulator_factory):
    emu = emulator_factory(caller="Dana Developer")
    tenant = emu.tenant
    graph, target = _graph(tenant), _unused_identity(tenant)
    grant = {"principalId": target.id, "resourceId": graph.id, "appRoleId": graph.app_roles[0]["id"]}
    before = dict(tenant.app_role_assignments)
    async with raw_client(emu) as http:
        response = await http.post(
            "/$batch",
            json={
                "requests": [
                    {
                        "id": "1",
                        "method": "POST",
                        "url": f"/servicePrincipals/{graph.id}/appRoleAssignedTo",
                        "headers": JSON,
                        "body": grant,
                    },
                    {"id": "2", "method": "GET", "url": "/me"},
                ]
            },
        )
    responses = {r["id"]: r for r in response.json()["responses"]}
    assert responses["1"]["status"] == 403
    assert responses["1"]["body"]["error"]["code"] == "Authorization_RequestDenied"
    assert responses["2"]["status"] == 200 and responses["2"]["body"]["displayName"] == "Dana Developer"
    assert tenant.app_role_assignments == before


@pytest.mark.parametrize(
    "payload",
    [
        {"requests": [{"id": str(i), "method": "GET", "url": "/me"} for i in range(21)]},
        {"requests": []},
        {"requests": "all of them"},
        {"requests": [{"id": "1", "method": "GET", "url": "/me"}, {"id": "1", "method": "GET", "url": "/me"}]},
        {"requests": [{"id": "1", "method": "GET"}]},
        {"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["2"]}]},
        {"requests": [{"id": "1", "method": "GET", "url": "/me", "headers": {"a": 1}}]},
        {"requests": [7]},
        [],
    ],
)
async def test_malformed_batches_are_400(demo_emulator, payload):
    async with raw_client(demo_emulator) as http:
        response = await http.post("/$batch", json=payload)
    assert_graph_error(response, 400, "BadRequest")


async def test_batch_of_twenty_is_accepted(demo_emulator):
    async with raw_client(demo_emulator) as http:
        response = await http.post(
            "/$batch", json={"requests": [{"id": str(i), "method": "GET", "url": "/me"} for i in range(20)]}
        )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["responses"]] == [200] * 20


async def test_responses_carry_graph_headers(demo_emulator):
    async with raw_client(demo_emulator) as http:
        response = await http.get("/servicePrincipals", params={"$top": "1"})
    assert response.headers["content-type"].startswith("application/json")
    assert uuid.UUID(response.headers["request-id"])


_FILTER_TOKENS = [*"displayNameq '()/,:anyc0-9$\"", "eq", " and ", " or ", "startswith(", "appId", "not "]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    filter_text=st.lists(st.sampled_from(_FILTER_TOKENS), max_size=14).map("".join),
    search=st.text(max_size=20),
)
async def test_arbitrary_query_text_never_causes_a_server_error(demo_emulator, filter_text, search):
    async with raw_client(demo_emulator) as http:
        first = await http.get("/servicePrincipals", params={"$filter": filter_text, "$select": "id"})
        second = await http.get("/servicePrincipals", params={"$search": search}, headers=EVENTUAL)
    for response in (first, second):
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            assert_graph_error(response, 400, response.json()["error"]["code"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["ids", "types", "requests", "principalId", "resourceId", "appRoleId", "id", "method", "url"]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=8,
    )
)
async def test_arbitrary_json_bodies_never_cause_a_server_error(demo_emulator, body):
    sp = _unused_identity(demo_emulator.tenant)
    async with raw_client(demo_emulator, "Dana Developer") as http:
        for path in ("/directoryObjects/getByIds", "/$batch", f"/servicePrincipals/{sp.id}/appRoleAssignments"):
            response = await http.post(path, json=body)
            assert response.status_code < 500, (path, response.text)
