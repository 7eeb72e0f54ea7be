"""The listings' cached JSON text never goes stale: a write through the API, or a change made to the tenant's
objects directly (as a test or the builder does), is visible in the very next listing."""

from __future__ import annotations

import json
import ssl
import uuid
from typing import Any

import aiohttp
from graph_support import MICROSOFT_GRAPH_APP_ID, raw_client

from tui.emulator.arm.shapes import ROLE_ASSIGNMENT_FIELDS, role_assignment_text
from tui.emulator.server import Emulator
from tui.emulator.tenant import RoleAssignment
from tui.emulator.text_cache import TextCache, snapshot

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
API = "api-version=2022-04-01"


async def _arm(emu: Emulator, method: str, path: str, body: object = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {emu.token_for()}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            emu.connection.arm + path,
            data=data,
            headers=headers,
            ssl=ssl.create_default_context(cafile=emu.connection.ca_file),
        ) as r,
    ):
        text = await r.text()
        return r.status, json.loads(text) if text else None


async def _list(emu: Emulator, path: str) -> list[dict]:
    items: list[dict] = []
    url: str | None = path
    while url:
        status, body = await _arm(emu, "GET", url)
        assert status == 200, body
        items += body["value"]
        url = body.get("nextLink", "").removeprefix(emu.connection.arm) or None
    return items


def _sub(emu: Emulator) -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Sandbox One")


async def test_role_assignment_writes_and_edits_show_in_the_next_listing(emulator_factory, small_tenant) -> None:
    emu = emulator_factory(small_tenant())
    sub = _sub(emu)
    listing = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments?{API}"
    before = await _list(emu, listing)  # every assignment's text is now cached
    principal = next(sp for sp in emu.tenant.service_principals.values() if sp.display_name == "id-core")
    name = str(uuid.uuid4())
    path = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{name}?{API}"
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
            "principalId": principal.id,
            "principalType": "ServicePrincipal",
            "description": "first",
        }
    }
    status, created = await _arm(emu, "PUT", path, body)
    assert status == 201, created
    after_put = await _list(emu, listing)
    assert len(after_put) == len(before) + 1
    assert [ra for ra in after_put if ra["name"] == name] == [created]

    # changed in place (not through the API): the next listing has the new text
    emu.tenant.role_assignments[name].description = 'second ü "quoted"'
    (edited,) = [ra for ra in await _list(emu, listing) if ra["name"] == name]
    assert edited["properties"]["description"] == 'second ü "quoted"'

    status, _ = await _arm(emu, "DELETE", path)
    assert status == 200
    assert await _list(emu, listing) == before


async def test_resource_edits_show_in_the_next_listing(emulator_factory, small_tenant) -> None:
    emu = emulator_factory(small_tenant())
    listing = f"/subscriptions/{_sub(emu)}/resources?api-version=2021-04-01"
    first = {r["name"]: r for r in await _list(emu, listing)}
    assert "tags" not in first["aa-core"]
    account = next(r for r in emu.tenant.resources.values() if r.name == "aa-core")
    uami = next(r for r in emu.tenant.resources.values() if r.name == "id-core")
    account.tags["owner"] = "ops"  # the same dict, changed in place
    old_principal, uami.principal_id = uami.principal_id, str(uuid.uuid4())  # what the account's identity block shows
    second = {r["name"]: r for r in await _list(emu, listing)}
    assert second["aa-core"]["tags"] == {"owner": "ops"}
    assert second["aa-core"]["identity"]["userAssignedIdentities"][uami.id]["principalId"] == uami.principal_id
    assert uami.principal_id != old_principal
    account.system_principal_id = None
    third = {r["name"]: r for r in await _list(emu, listing)}
    assert third["aa-core"]["identity"]["type"] == "UserAssigned"


async def test_app_role_grants_show_in_the_next_listing(emulator_factory) -> None:
    emu = emulator_factory("demo")  # its own: this test renames a principal
    tenant = emu.tenant
    graph = tenant.service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
    assert graph is not None
    identity = next(sp for sp in tenant.service_principals.values() if sp.display_name == "id-legacy-unused")
    role = next(r["id"] for r in graph.app_roles if r["value"] == "User.Read.All")
    async with raw_client(emu) as client:

        async def granted() -> list[str]:
            ids, url = [], f"/servicePrincipals/{graph.id}/appRoleAssignedTo?$top=999"
            while url:
                body = (await client.get(url)).json()
                ids += [g["id"] for g in body["value"] if g["principalId"] == identity.id]
                url = body.get("@odata.nextLink")
            return ids

        assert await granted() == []
        r = await client.post(
            f"/servicePrincipals/{identity.id}/appRoleAssignments",
            json={"principalId": identity.id, "resourceId": graph.id, "appRoleId": role},
        )
        assert r.status_code == 201, r.text
        grant = r.json()["id"]
        assert await granted() == [grant]
        identity.display_name = "id-renamed"  # the grant's text shows the principal's name: it follows
        body = (await client.get(f"/servicePrincipals/{graph.id}/appRoleAssignedTo?$top=999")).json()
        assert [g["principalDisplayName"] for g in body["value"] if g["id"] == grant] == ["id-renamed"]
        r = await client.delete(f"/servicePrincipals/{graph.id}/appRoleAssignedTo/{grant}")
        assert r.status_code == 204
        assert await granted() == []


def test_text_cache_encodes_again_when_the_key_changes() -> None:
    calls: list[str] = []
    item = {"v": "a"}

    def encode(d: dict) -> str:
        calls.append(d["v"])
        return json.dumps(d)

    cache: TextCache[dict] = TextCache(encode, lambda d: d["v"])
    assert cache.text(item) == cache.text(item) == '{"v": "a"}'
    assert calls == ["a"]
    item["v"] = "b"
    assert cache.text(item) == '{"v": "b"}'
    assert calls == ["a", "b"]


def test_a_snapshot_of_a_nested_mapping_equals_nothing() -> None:
    flat = {"a": "1", "b": 2}
    assert snapshot(flat) == snapshot(dict(flat))
    nested = {"a": {"b": "c"}}
    assert snapshot(nested) != snapshot(nested)
    assert snapshot(None) is None


def test_entries_of_items_that_are_gone_are_dropped() -> None:
    items = [{"v": str(i)} for i in range(1100)]
    live = {"n": 0}
    cache: TextCache[dict] = TextCache(json.dumps, lambda d: d["v"], lambda: live["n"])
    texts = [cache.text(d) for d in items]  # "none of them exists any more": cleared once past 1000
    assert len(cache) < len(items)
    assert texts == [json.dumps(d) for d in items] == [cache.text(d) for d in items]
    keep: TextCache[dict] = TextCache(json.dumps, lambda d: d["v"])
    keep.warm(items)
    assert len(keep) == len(items)


def test_items_that_count_their_edits_are_checked_again_only_after_an_edit() -> None:
    ras = [RoleAssignment(str(i), "/subscriptions/s", f"/roleDefinitions/{i}", "p") for i in range(3)]
    checked: list[str] = []

    def key(ra: RoleAssignment) -> tuple:
        checked.append(ra.name)
        return ROLE_ASSIGNMENT_FIELDS(ra)

    cache: TextCache[RoleAssignment, str] = TextCache(role_assignment_text, key, edits=lambda: RoleAssignment.last_edit)
    first = cache.texts(ras)
    assert first == [role_assignment_text(ra) for ra in ras] and checked == ["0", "1", "2"]
    assert cache.texts(ras) == first and checked == ["0", "1", "2"]  # nothing edited: no snapshot taken
    ras[1].description = "edited"  # any edit: each item is checked once more, and the edited one encoded afresh
    second = cache.texts(ras)
    assert second[1] == role_assignment_text(ras[1]) != first[1] and second[::2] == first[::2]
    assert checked == ["0", "1", "2"] * 2
    assert cache.texts(ras) == second and len(checked) == 6
    plain: TextCache[RoleAssignment, str] = TextCache(role_assignment_text, key)  # no edit count: always checked
    plain.texts(ras), plain.texts(ras)
    assert len(checked) == 12
