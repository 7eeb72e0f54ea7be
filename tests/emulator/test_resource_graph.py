"""Azure Resource Graph in the sandbox: the real azure-mgmt-resourcegraph client against the spec's shapes, the KQL
subset mitui sends, paging by $skipToken, and the service's error for anything else."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import ManagedIdentityCredential
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from tui.emulator import rbac
from tui.emulator.arm import kql, resource_graph
from tui.emulator.server import Emulator
from tui.emulator.tenant import arm_key, subscription_of

pytestmark = pytest.mark.asyncio(loop_scope="session")
RA_READ = "Microsoft.Authorization/roleAssignments/read"


@pytest.fixture(autouse=True)
def no_quota(demo_emulator: Emulator) -> Iterator[None]:
    """These tests send query after query to see what the answers hold; the quota they would run into has tests
    of its own (test_query_quota.py)."""
    kept, demo_emulator.query_quota.queries = demo_emulator.query_quota.queries, 0
    yield
    demo_emulator.query_quota.queries = kept


@pytest.fixture
def credential(demo_emulator: Emulator, managed_identity_env: Callable[[Emulator], None]) -> ManagedIdentityCredential:
    managed_identity_env(demo_emulator)
    return ManagedIdentityCredential()


async def _caller(credential: ManagedIdentityCredential, emulator: Emulator) -> str:
    """The object id the ARM token carries (whose rights decide what Resource Graph answers)."""
    token = (await credential.get_token(f"{emulator.connection.arm}/.default")).token
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["oid"]


def _visible(emulator: Emulator, caller: str) -> list[str]:
    t = emulator.tenant
    return sorted(
        s
        for s, sub in t.subscriptions.items()
        if rbac.has_any_right_in(t, caller, f"/subscriptions/{sub.subscription_id}")
    )


RA_QUERY = (
    "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' "
    "| project id, name, type, properties"
)


async def _query(client: ResourceGraphClient, query: str, subs: list[str] | None, **options: Any) -> Any:
    return await client.resources(
        QueryRequest(subscriptions=subs, query=query, options=QueryRequestOptions(**options) if options else None)
    )


@pytest.mark.parametrize("forgotten", [False, True], ids=["snapshot", "snapshot-forgotten"])
async def test_role_assignments_of_subscriptions_page_by_skip_token(
    demo_emulator: Emulator,
    arm_kwargs: Callable[[Emulator], dict[str, Any]],
    credential: ManagedIdentityCredential,
    forgotten: bool,
) -> None:
    """Every row once, page by page; also when the sandbox no longer keeps the first page's snapshot (a token
    older than the snapshots kept: the query runs again from where the token says)."""
    t = demo_emulator.tenant
    caller = await _caller(credential, demo_emulator)
    subs = _visible(demo_emulator, caller)[:2]
    truth = {
        ra.id.lower()
        for ra in t.role_assignments.values()
        if (subscription_of(ra.scope) or "").lower() in subs and rbac.allowed(t, caller, RA_READ, ra.scope)
    }
    assert len(truth) > 7
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        seen: list[str] = []
        token = None
        pages = 0
        while True:
            if forgotten:
                resource_graph._SNAPSHOTS._kept.clear()
            page = await _query(client, RA_QUERY, subs, top=7, skip_token=token, result_format="objectArray")
            pages += 1
            assert page.count == len(page.data) <= 7
            assert page.total_records == len(truth)
            for row in page.data:
                assert row["type"] == "microsoft.authorization/roleassignments"
                assert set(row) == {"id", "name", "type", "properties"}
                assert row["properties"]["principalId"]
            seen += [row["id"].lower() for row in page.data]
            token = page.skip_token
            if not token:
                break
    assert len(seen) == len(set(seen))
    assert set(seen) == truth
    assert pages == -(-len(truth) // 7)


async def test_identity_resources_and_table_format(
    demo_emulator: Emulator, arm_kwargs: Callable[[Emulator], dict[str, Any]], credential: ManagedIdentityCredential
) -> None:
    t = demo_emulator.tenant
    sub = _visible(demo_emulator, await _caller(credential, demo_emulator))[0]
    query = (
        "Resources | where isnotempty(identity) or type =~ 'Microsoft.ManagedIdentity/userAssignedIdentities' "
        "| project id, name, type, identity"
    )
    truth = {
        r.id.lower()
        for r in t.resources.values()
        if r.subscription_id.lower() == sub
        and (r.system_principal_id or r.user_assigned_identity_ids or r.is_user_assigned_identity)
    }
    assert truth
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        page = await _query(client, query, [sub], top=1000)
        assert {row["id"].lower() for row in page.data} == truth
        assert all(row["type"] == row["type"].lower() for row in page.data)
        table = await _query(client, query, [sub], top=1000, result_format="table")
    assert [c["name"] for c in table.data["columns"]] == ["id", "name", "type", "identity"]
    assert {row[0].lower() for row in table.data["rows"]} == truth


async def test_assignments_above_the_subscriptions_at_the_tenant_scope(
    demo_emulator: Emulator, arm_kwargs: Callable[[Emulator], dict[str, Any]], credential: ManagedIdentityCredential
) -> None:
    t = demo_emulator.tenant
    caller = await _caller(credential, demo_emulator)
    # what applies to a subscription whose assignments the caller may read (ARM lists it there), or readable itself
    reach = {
        a
        for s in t.subscriptions.values()
        if rbac.allowed(t, caller, RA_READ, f"/subscriptions/{s.subscription_id}")
        for a in rbac.ancestors_in(t, f"/subscriptions/{s.subscription_id}")
    }
    truth = {
        ra.id.lower()
        for ra in t.role_assignments.values()
        if subscription_of(ra.scope) is None
        and (arm_key(ra.scope) in reach or rbac.allowed(t, caller, RA_READ, ra.scope))
    }
    assert truth  # the demo tenant has some at management groups and the root
    query = RA_QUERY.replace("| project", "and subscriptionId == '' | project")
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        page = await _query(client, query, None, top=1000)
    assert {row["id"].lower() for row in page.data} == truth


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ("resources | summarize count() by type", "summarize"),
        ("securityresources | project id", "securityresources"),
        ("resources | where name matches regex 'x'", "matches"),
        ("resources | where nosuchcolumn == 'x'", "nosuchcolumn"),
        ("resources | where name == ", "<EOF>"),
    ],
)
async def test_queries_outside_the_subset_are_refused_as_the_service_does(
    demo_emulator: Emulator,
    arm_kwargs: Callable[[Emulator], dict[str, Any]],
    credential: ManagedIdentityCredential,
    query: str,
    token: str,
) -> None:
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        with pytest.raises(HttpResponseError) as caught:
            await _query(client, query, None)
    err = caught.value
    assert err.status_code == 400
    assert err.error is not None and err.error.code == "BadRequest"
    body = err.response.json()["error"]
    assert [d["code"] for d in body["details"]] == ["InvalidQuery", "ParserFailure"]
    assert body["details"][1]["token"] == token


async def test_top_out_of_range_and_foreign_skip_token_are_refused(
    demo_emulator: Emulator, arm_kwargs: Callable[[Emulator], dict[str, Any]], credential: ManagedIdentityCredential
) -> None:
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        with pytest.raises(HttpResponseError) as caught:
            await _query(client, "resources | project id", None, top=1001)
        assert caught.value.status_code == 400
        first = await _query(client, RA_QUERY, None, top=1)
        assert first.skip_token
        with pytest.raises(HttpResponseError) as caught:
            await _query(client, "resources | project id", None, top=1, skip_token=first.skip_token)
        assert caught.value.status_code == 400


async def test_the_spec_examples_are_answered_in_the_spec_shape(
    demo_emulator: Emulator,
    arm_kwargs: Callable[[Emulator], dict[str, Any]],
    credential: ManagedIdentityCredential,
    arm_schema: Callable[[str, str, Any], None],
) -> None:
    """resourcegraph.json's first-page example (``contains``, ``project``, ``$top`` and ``$skip``) on a demo
    subscription, then its next page by the answer's ``$skipToken``: each answer is a QueryResponse."""
    examples = Path(__file__).parent.parent / "data" / "arm" / "resourcegraph" / "2022-10-01" / "examples"
    first = json.loads((examples / "ResourcesFirstPageQuery.json").read_text())["parameters"]
    sub = _visible(demo_emulator, await _caller(credential, demo_emulator))[0]
    request = {**first["query"], "subscriptions": [sub], "query": first["query"]["query"].replace("'test'", "'-'")}
    bodies: list[Any] = []

    def keep(response: Any) -> None:
        bodies.append(response.http_response.json())

    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        page = await client.resources(request, raw_response_hook=keep)
        assert page.skip_token and page.count == 3 and page.total_records > 3
        again = {**request, "options": {"$skipToken": page.skip_token}}
        nxt = await client.resources(again, raw_response_hook=keep)
    for body in bodies:
        arm_schema("resourcegraph", "QueryResponse", body)
        for row in body["data"]:
            assert set(row) == {"id", "name", "type", "location"} and "-" in row["name"]
    assert not {r["id"] for r in bodies[0]["data"]} & {r["id"] for r in bodies[1]["data"]}
    assert nxt.total_records == page.total_records


async def test_a_refused_query_answers_the_spec_error_shape(
    demo_emulator: Emulator,
    arm_kwargs: Callable[[Emulator], dict[str, Any]],
    credential: ManagedIdentityCredential,
    arm_schema: Callable[[str, str, Any], None],
) -> None:
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        with pytest.raises(HttpResponseError) as caught:
            await _query(client, "resources | take 5", None)
    arm_schema("resourcegraph", "ErrorResponse", caught.value.response.json())


async def test_subscriptions_with_their_management_groups(
    demo_emulator: Emulator, arm_kwargs: Callable[[Emulator], dict[str, Any]], credential: ManagedIdentityCredential
) -> None:
    t = demo_emulator.tenant
    subs = _visible(demo_emulator, await _caller(credential, demo_emulator))
    query = (
        "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
        "| project subscriptionId, chain = properties.managementGroupAncestorsChain"
    )
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        page = await _query(client, query, subs, top=1000)
    got = {row["subscriptionId"].lower(): [g["name"] for g in row["chain"]] for row in page.data}
    assert set(got) == set(subs)
    for sub in subs:
        mg = t.management_group_of_scope(f"/subscriptions/{sub}")
        assert got[sub] == [g.name for g in t.management_group_chain(mg)]  # nearest first, the root group last
    assert any(got.values())  # the demo's subscriptions sit under management groups


async def test_rows_follow_changes_made_to_the_tenant_directly(
    demo_emulator: Emulator, arm_kwargs: Callable[[Emulator], dict[str, Any]], credential: ManagedIdentityCredential
) -> None:
    """The rows the sandbox keeps (worked out at start-up) are never stale: a resource that loses its identity
    leaves the identity query's answer, a changed tag and a changed assignment show in the very next query."""
    t = demo_emulator.tenant
    sub = _visible(demo_emulator, await _caller(credential, demo_emulator))[0]
    query = "resources | where isnotempty(identity) | project id, tags, identity"
    res = next(r for r in t.resources.values() if r.subscription_id.lower() == sub and r.system_principal_id)
    ra = next(a for a in t.role_assignments.values() if (subscription_of(a.scope) or "").lower() == sub)
    kept = (res.system_principal_id, dict(res.tags), ra.description)
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        try:
            before = await _query(client, query, [sub], top=1000)
            assert res.id.lower() in {row["id"].lower() for row in before.data}
            res.tags["owner"] = "changed-here"
            ra.description = "changed-here"
            after = {row["id"].lower(): row for row in (await _query(client, query, [sub], top=1000)).data}
            assert after[res.id.lower()]["tags"]["owner"] == "changed-here"
            rows = (await _query(client, RA_QUERY, [sub], top=1000)).data
            assert next(r for r in rows if r["id"].lower() == ra.id.lower())["properties"]["description"] == (
                "changed-here"
            )
            res.system_principal_id = None
            gone = await _query(client, query, [sub], top=1000)
            if not res.user_assigned_identity_ids:
                assert res.id.lower() not in {row["id"].lower() for row in gone.data}
        finally:
            res.system_principal_id, ra.description = kept[0], kept[2]
            res.tags.clear()
            res.tags.update(kept[1])


@pytest.mark.parametrize(
    ("where", "read"),
    [
        ("type =~ 'microsoft.authorization/roleassignments' and subscriptionId == ''", {""}),
        ("subscriptionId == 'AB' and not(subscriptionId == 'x')", {"ab"}),
        ("subscriptionId == 'a' | where subscriptionId =~ 'b'", set()),
        ("not(subscriptionId == 'x')", None),
        ("subscriptionId == 'a' or type == 'b'", None),
        ("properties.subscriptionId == 'a'", None),
        ("isnotempty(identity)", None),
    ],
)
async def test_a_query_for_some_subscriptions_reads_only_theirs(where: str, read: set[str] | None) -> None:
    """Only a ``subscriptionId ==`` that every row must meet narrows what is read (the rows are still tested):
    one under ``not`` or ``or``, or a field of an object, does not."""
    q = kql.parse(f"authorizationresources | where {where}", resource_graph.TABLE_COLUMNS)
    assert q.subscriptions == (None if read is None else frozenset(read))
    extended = kql.parse(
        "resources | extend subscriptionId = name | where subscriptionId == 'a'",
        {"resources": resource_graph.TABLE_COLUMNS["resources"]},
    )
    assert extended.subscriptions is None


@pytest.mark.parametrize(
    "query",
    [
        RA_QUERY,
        "authorizationresources | project properties, id",
        "resources | where isnotempty(identity) | project id, name, type, location, tags, identity",
        "resources | project identity, label = name, tags",
        "resources | project id, principal = identity.principalId",  # (a member: made as a dict, the same answer)
    ],
)
async def test_rows_joined_from_kept_texts_are_the_rows_the_query_makes(
    query: str,
    demo_emulator: Emulator,
    arm_kwargs: Callable[[Emulator], dict[str, Any]],
    credential: ManagedIdentityCredential,
) -> None:
    """The sandbox joins a row of kept columns from texts it keeps per item; the table format makes every row from
    the query's own evaluation: both give the same values, the columns in the projected order."""
    sub = _visible(demo_emulator, await _caller(credential, demo_emulator))[0]
    async with ResourceGraphClient(credential, **arm_kwargs(demo_emulator)) as client:
        objects = (await _query(client, query, [sub], top=1000)).data
        table = (await _query(client, query, [sub], top=1000, result_format="table")).data
    names = [c["name"] for c in table["columns"]]
    assert objects and len(objects) == len(table["rows"])
    assert all(list(row) == names for row in objects)
    assert [[row[n] for n in names] for row in objects] == table["rows"]
