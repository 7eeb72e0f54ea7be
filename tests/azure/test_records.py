"""The big listings' typed records (tui/azure/records.py) give the same models as the plain-JSON converters
(tui/azure/wire.py): on the sandbox's own pages, read over HTTPS, and on pages shaped oddly on purpose."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Callable

import pytest

from tui.azure import records, wire
from tui.azure.demo import connect_emulator
from tui.azure.paging import arm_body, decode_page, read_ahead
from tui.azure.resource_graph import decode_rows
from tui.emulator.server import Emulator


def both(body: bytes, recs: records.Records, link: str = "nextLink", fits: bool = False) -> tuple[list, str | None]:
    """The page read through the records and as plain JSON: the same models (``fits``: and the records took it,
    without falling back to plain JSON)."""
    if fits:
        records.decode(body, recs, ("value", link))  # (raises Misfit otherwise)
    (fast, fast_link), (plain, plain_link) = decode_page(body, recs, link), decode_page(body, recs.plain, link)
    assert fast == plain and (fast_link or None) == (plain_link or None)
    return fast, fast_link


@pytest.mark.asyncio(loop_scope="session")
async def test_the_sandboxs_pages_read_the_same_both_ways(demo_emulator: Emulator, tmp_path) -> None:  # noqa: ANN001
    from azure.core.rest import HttpRequest

    session = await connect_emulator(demo_emulator, audit_log=str(tmp_path / "a.jsonl"))
    backend = session.backend
    try:
        client = backend.arm.subscriptions()
        seen = {"assignments": 0, "resources": 0, "user-assigned": 0, "condition": 0, "tags": 0}
        for sub in await backend.list_subscriptions():
            for url, params, recs, what in (
                (f"/subscriptions/{sub.id}/providers/Microsoft.Authorization/roleAssignments", "2022-04-01",
                 records.ROLE_ASSIGNMENTS, "assignments"),
                (f"/subscriptions/{sub.id}/resources", "2021-04-01", records.RESOURCES, "resources"),
            ):  # fmt: skip
                request = HttpRequest("GET", url, params={"api-version": params})
                items, _ = both(await arm_body(backend, client, request), recs, fits=True)
                seen[what] += len(items)
                if what == "assignments":
                    seen["condition"] += sum(1 for a in items if a.condition)
                else:
                    seen["user-assigned"] += sum(1 for r in items if r.user_assigned)
                    seen["tags"] += sum(1 for r in items if len(r.tags) > 1)
        assert all(seen.values()), seen  # (every kind of field was compared at least once)

        graph = await backend.get_resource_app("00000003-0000-0000-c000-000000000000")
        assert graph is not None
        grants = await backend.list_app_role_assigned_to([graph.id])  # (through $batch, decoded into records)
        assert grants and all(g.principal_display_name and g.created for g in grants)
        body = json.dumps({"value": [_grant_json(g) for g in grants]}).encode()
        assert both(body, records.APP_ROLE_GRANTS, "@odata.nextLink", fits=True)[0] == grants

        identities = await backend.list_managed_identity_principals()
        assert identities and any(i.user_assigned for i in identities) and all(i.resource_id for i in identities)
        body = json.dumps({"value": [_sp_json(i) for i in identities]}).encode()
        assert both(body, records.MANAGED_IDENTITIES, "@odata.nextLink", fits=True)[0] == identities
    finally:
        await session.close()


def _grant_json(g) -> dict:  # noqa: ANN001
    return {
        "id": g.id, "deletedDateTime": None, "appRoleId": g.app_role_id, "createdDateTime": g.created,
        "principalDisplayName": g.principal_display_name, "principalId": g.principal_id,
        "principalType": "ServicePrincipal", "resourceDisplayName": g.resource_display_name,
        "resourceId": g.resource_id,
    }  # fmt: skip


def _sp_json(i) -> dict:  # noqa: ANN001
    names = [i.resource_id, *(["isExplicit=True"] if i.user_assigned else ["isExplicit=False"])]
    return {"id": i.principal_id, "appId": i.client_id, "displayName": i.display_name, "alternativeNames": names}


ODD_ASSIGNMENTS = [
    {"id": "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a", "name": "a"},  # no properties
    {"id": "x", "name": "b", "properties": {"scope": "/", "principalType": None, "createdBy": ""}},
    {"id": "y", "name": "[bold]c[/]", "properties": {"scope": "/providers/Microsoft.Management/managementGroups/m",
                                                     "description": "\x1b[31mred", "condition": ""}},
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "recs"),
    [
        ({"value": ODD_ASSIGNMENTS, "nextLink": "https://next"}, records.ROLE_ASSIGNMENTS),
        # a principal id as a number: not the records' shape, read as plain JSON (wire makes it text)
        ({"value": [{"id": "z", "properties": {"principalId": 12}}]}, records.ROLE_ASSIGNMENTS),
        ({"value": [{"id": "r", "tags": {"b": "2", "a": "1"}, "identity": {"type": "SystemAssigned, UserAssigned",
          "principalId": "p", "userAssignedIdentities": {"/u1": {"principalId": "q"}, "/u2": None}}}]},
         records.RESOURCES),
        ({"value": [{"id": "r", "tags": {"n": 1}, "properties": ["a list"]}]}, records.RESOURCES),  # misfits
        ({"value": [{"id": "r", "identity": {"type": "None"}, "properties": {"principalId": "p", "clientId": "c"}}]},
         records.RESOURCES),
        ({"value": [{"id": "s", "alternativeNames": ["isExplicit=True", "/subscriptions/x/r"]}, {}], "nextLink": ""},
         records.MANAGED_IDENTITIES),
        ({"value": [{"id": "g", "principalId": "p", "appRoleId": "r", "principalDisplayName": "[b]x[/b]"}, {},
                    {"id": "h", "createdDateTime": None, "resourceDisplayName": ""}], "@odata.nextLink": "n"},
         records.APP_ROLE_GRANTS),
        ({"value": [{"id": "g", "principalId": ["not", "text"]}]}, records.APP_ROLE_GRANTS),  # a misfit
        ({"value": []}, records.RESOURCES),
        ({}, records.ROLE_ASSIGNMENTS),
    ],
)  # fmt: skip
def test_odd_pages_read_the_same_both_ways(page: dict, recs: records.Records) -> None:
    both(json.dumps(page).encode(), recs)


def test_resource_graph_rows_read_the_same_both_ways() -> None:
    body = json.dumps({"data": ODD_ASSIGNMENTS, "$skipToken": "t1", "totalRecords": 3}).encode()
    fast = decode_rows(body, records.ROLE_ASSIGNMENTS)
    assert fast == decode_rows(body, wire.role_assignment) and fast[1] == "t1" and len(fast[0]) == 3


def test_a_page_that_is_not_json_is_an_error_either_way() -> None:
    for recs in (records.ROLE_ASSIGNMENTS, records.ROLE_ASSIGNMENTS.plain):
        with pytest.raises(ValueError):
            decode_page(b"{not json", recs, "nextLink")
    with pytest.raises(ValueError):
        decode_page(b"[1, 2]", records.RESOURCES.plain, "nextLink")


def test_repeated_strings_are_shared() -> None:
    """150,000 assignments share a few thousand scopes and role ids: each repeated string is kept once."""
    props = {"scope": "/subscriptions/s1", "roleDefinitionId": "/r/1", "principalType": "ServicePrincipal"}
    page = {"value": [{"id": f"a{i}", "properties": dict(props)} for i in range(3)]}
    items, _ = decode_page(json.dumps(page).encode(), records.ROLE_ASSIGNMENTS, "nextLink")
    assert items[0].scope is items[2].scope and items[0].role_definition_id is items[1].role_definition_id


def test_the_next_link_is_read_from_the_top_level_only() -> None:
    hostile = '"@odata.nextLink":"https://evil.example/steal"'
    page = {"value": [{"id": "1", "displayName": hostile, "tags": {"@odata.nextLink": "https://evil.example"}}]}
    assert records.next_link(json.dumps(page).encode(), "@odata.nextLink") is None
    page["@odata.nextLink"] = "https://graph.example/next"
    assert records.next_link(json.dumps(page).encode(), "@odata.nextLink") == "https://graph.example/next"
    assert records.next_link(b"<html>", "nextLink") is None
    assert records.next_link(b'{"nextLink": 7}', "nextLink") is None


@pytest.mark.parametrize("spaced", [False, True])
def test_the_next_link_is_read_from_the_end_or_the_head_of_a_page_but_never_from_an_item(spaced: bool) -> None:
    """next_link's quick reads: ARM's link ends the page, Graph's and Resource Graph's come before the items. An
    item ending the page with a field of the link's name (a tag), or a link that is null, is no link."""

    def encoded(page: dict) -> bytes:
        return json.dumps(page, indent=2 if spaced else None).encode()

    items = [{"id": str(i), "tags": {"env": "prod"}} for i in range(3)]
    assert records.link_at_end(encoded({"value": items, "nextLink": "https://arm/next"}), "nextLink") == (
        "https://arm/next"
    )
    last = [*items, {"id": "x", "tags": {"nextLink": "https://evil.example/steal"}}]
    assert records.link_at_end(encoded({"value": last}), "nextLink") is None
    assert records.next_link(encoded({"value": last}), "nextLink") is None
    assert records.next_link(encoded({"value": last, "nextLink": None}), "nextLink") is None
    assert records.next_link(encoded({"value": last, "nextLink": "https://arm/2"}), "nextLink") == "https://arm/2"
    graph = {"totalRecords": 9, "count": 3, "$skipToken": "t2", "data": last}  # (Resource Graph's order)
    assert records.link_in_head(encoded(graph), "$skipToken") == "t2" == records.next_link(encoded(graph), "$skipToken")
    assert records.next_link(encoded({"count": 3, "data": [{"$skipToken": "evil"}]}), "$skipToken") is None


async def test_the_next_page_is_asked_for_before_this_one_is_decoded() -> None:
    """read_ahead: page 2's request goes out while page 1 is still being decoded; the items come in order, and
    a page whose decode fails leaves no request behind unawaited."""
    events: list[str] = []
    bodies = {None: {"value": [1, 2], "nextLink": "p2"}, "p2": {"value": [3], "nextLink": "p3"}, "p3": {"value": [4]}}

    async def page(link: str | None, _seen: Callable[[str], None]) -> bytes:
        events.append(f"ask {link}")
        await asyncio.sleep(0)
        return json.dumps(bodies[link]).encode()

    async def decoded(body: bytes | None) -> tuple[list, str | None]:
        data = json.loads(body or b"{}")
        await asyncio.sleep(0.01)  # (a decode in the worker thread)
        events.append(f"decoded {data['value']}")
        return data["value"], data.get("nextLink")

    assert await read_ahead(page, decoded, "nextLink") == [1, 2, 3, 4]
    assert events == ["ask None", "ask p2", "decoded [1, 2]", "ask p3", "decoded [3]", "decoded [4]"]

    async def broken(body: bytes | None) -> tuple[list, str | None]:
        raise ValueError("unreadable page")

    with pytest.raises(ValueError, match="unreadable"):
        await read_ahead(page, broken, "nextLink")
    await asyncio.sleep(0.02)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]


async def test_a_link_the_quick_reads_miss_is_followed_after_the_decode() -> None:
    """A link neither at the end of a page nor before its items (nothing ARM or Graph writes, but the answer is
    untrusted): next_link does not decode the page on the event loop to find it; the full decode does, and the next
    page is asked for then."""
    events: list[str] = []
    bodies = {None: b'{"value": [1, 2], "nextLink": "p2", "count": 2}', "p2": b'{"value": [3]}'}
    assert records.next_link(bodies[None], "nextLink") is None

    async def page(link: str | None, _seen: Callable[[str], None]) -> bytes:
        events.append(f"ask {link}")
        return bodies[link]

    async def decoded(body: bytes | None) -> tuple[list, str | None]:
        data = json.loads(body or b"{}")
        events.append(f"decoded {data['value']}")
        return data["value"], data.get("nextLink")

    assert await read_ahead(page, decoded, "nextLink") == [1, 2, 3]
    assert events == ["ask None", "decoded [1, 2]", "ask p2", "decoded [3]"]


async def test_a_link_seen_in_the_head_of_a_page_asks_for_the_next_one_before_the_body_is_in() -> None:
    """read_ahead with ``seen``: the next page goes out when the page reports its link (as Graph's do, from the head
    of the answer), before the body is in; a wrong hint is dropped and the decoded link followed instead."""
    events: list[str] = []
    bodies = {None: {"value": [1], "nextLink": "p2"}, "p2": {"value": [2], "nextLink": "p3"}, "p3": {"value": [3]}}
    hints = {None: "p2", "p2": "bogus"}  # (page 2's head "says" bogus: the full decode says p3)

    async def page(link: str | None, seen: Callable[[str], None]) -> bytes:
        events.append(f"ask {link}")
        if link == "bogus":
            await asyncio.sleep(1)  # (never answered: it must be cancelled, not awaited)
        await asyncio.sleep(0)
        if link in hints:
            seen(hints[link])
        await asyncio.sleep(0.01)  # (the rest of the body streams in)
        events.append(f"body {link}")
        return json.dumps(bodies[link]).encode()

    async def decoded(body: bytes | None) -> tuple[list, str | None]:
        data = json.loads(body or b"{}")
        return data["value"], data.get("nextLink")

    assert await read_ahead(page, decoded, "nextLink") == [1, 2, 3]
    assert events.index("ask p2") < events.index("body None")  # (p2 asked for before page 1's body was in)
    assert "ask bogus" in events and "body bogus" not in events
    assert events[-2:] == ["ask p3", "body p3"]
    await asyncio.sleep(0)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]


async def test_a_listing_lets_go_of_each_page_once_it_is_decoded() -> None:
    """A page read is let go of as soon as it is decoded, even when what asked for it outlives it and keeps the
    callback it was given (kiota's request options outlive the answer): no body of the pages behind stays alive (but
    for the one just before, a moment: the event loop can hold one a little longer), and at most that one when the
    listing ends (without a garbage collection: no reference cycle holds them)."""

    class Body(bytearray):  # (a page's body that can be watched)
        pass

    count = 6
    kept: list[Callable[[str], None]] = []  # (what outlives each page's request)
    bodies: dict[int, weakref.ref[Body]] = {}
    behind_alive: list[list[int]] = []

    async def page(link: str | None, seen: Callable[[str], None]) -> Body:
        kept.append(seen)
        n = int(link or 0)
        following = str(n + 1) if n + 1 < count else None
        if following:
            seen(following)
        await asyncio.sleep(0)
        body = Body(json.dumps({"value": [n], "nextLink": following}).encode())
        bodies[n] = weakref.ref(body)
        return body

    async def decoded(body: bytes | None) -> tuple[list, str | None]:
        data = json.loads(body or b"{}")
        n = data["value"][0]
        # (the page just before may still be on its way out: the event loop's last callback can hold it a moment)
        behind_alive.append([i for i, ref in bodies.items() if i < n - 1 and ref() is not None])
        return data["value"], data.get("nextLink")

    gc.disable()
    try:
        assert await read_ahead(page, decoded, "nextLink") == list(range(count))
        assert behind_alive == [[]] * count
        assert len([n for n, ref in bodies.items() if ref() is not None]) <= 1
    finally:
        gc.enable()
    assert len(kept) == count


def test_an_app_role_grant_as_graph_sends_it_fills_each_field_of_the_model() -> None:
    """wire.app_role_grant builds the model by position: each of Graph's fields lands where the model has it."""
    from tui.services.models import AppRoleAssignment

    sent = {
        "id": "grant-1", "principalId": "pid-1", "resourceId": "graph-sp", "appRoleId": "role-1",
        "principalDisplayName": "func-orders", "resourceDisplayName": "Microsoft Graph",
        "createdDateTime": "2026-01-02T03:04:05Z",
    }  # fmt: skip
    assert wire.app_role_grant(sent) == AppRoleAssignment(
        id="grant-1", principal_id="pid-1", resource_id="graph-sp", app_role_id="role-1",
        principal_display_name="func-orders", resource_display_name="Microsoft Graph",
        created="2026-01-02T03:04:05Z",
    )  # fmt: skip
    assert wire.app_role_grant({}).created is None


async def test_grants_of_several_pages_read_through_batch_and_records_are_the_tenants(
    emulator_factory, tmp_path
) -> None:  # noqa: ANN001
    """A resource's grants over two pages: the first from the $batch's answer (plain JSON), the next decoded into
    records; each the sandbox's grant, field by field."""
    from tui.emulator.tenants.generated import build_generated_tenant

    tenant = build_generated_tenant(3, 2500, seed=3)
    emulator = emulator_factory(tenant)
    graph = tenant.service_principal_by_app_id("00000003-0000-0000-c000-000000000000")
    assert graph is not None
    truth = {g.id: g for g in tenant.app_role_assignments.values() if g.resource_id == graph.id}
    assert len(truth) > 999
    session = await connect_emulator(emulator, audit_log=str(tmp_path / "a.jsonl"))
    try:
        grants = await session.backend.list_app_role_assigned_to([graph.id])
    finally:
        await session.close()
    assert len(grants) == len(truth) == len({g.id for g in grants})
    for g in grants:
        want = truth[g.id]
        assert (g.principal_id, g.resource_id, g.app_role_id, g.created) == (
            want.principal_id,
            want.resource_id,
            want.app_role_id,
            want.created_date_time or None,
        )
        assert g.principal_display_name == tenant.principal(want.principal_id).display_name
        assert g.resource_display_name == graph.display_name
