"""ARM's wire details that the SDKs never exercise: raw HTTP against the emulator's ARM listener."""

from __future__ import annotations

import contextlib
import json
import ssl
import uuid

import aiohttp
import pytest

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


@pytest.fixture
def sandbox(emulator_factory, small_tenant):
    return emulator_factory(small_tenant())


class Arm:
    def __init__(self, emu, session: aiohttp.ClientSession, token: str | None):
        self.emu, self.session, self.token = emu, session, token
        self.ssl = ssl.create_default_context(cafile=emu.connection.ca_file)

    async def call(self, method: str, path: str, body: object = None, *, raw: bytes | None = None, headers=None):
        hdrs = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        async with self.session.request(
            method, self.emu.connection.arm + path, data=data, headers=hdrs, ssl=self.ssl
        ) as r:
            text = await r.text()
            return r.status, r.headers, (json.loads(text) if text else None)


@contextlib.asynccontextmanager
async def open_arm(emu):
    async with aiohttp.ClientSession() as session:
        yield Arm(emu, session, emu.token_for())


def _sub(emu) -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Sandbox One")


async def test_headers_case_insensitive_routes_and_empty_filter(sandbox):
    async with open_arm(sandbox) as arm:
        sub = _sub(arm.emu)
        for path in (
            f"/subscriptions/{sub}/resourcegroups?api-version=2025-04-01",
            f"/SUBSCRIPTIONS/{sub}/resourceGroups?api-version=2025-04-01&$filter=",
            f"//subscriptions//{sub}/ResourceGroups?api-version=2025-04-01",
        ):
            status, headers, body = await arm.call("GET", path)
            assert status == 200, path
            assert [g["name"] for g in body["value"]] == ["rg-core"]
            assert headers["Content-Type"].startswith("application/json")
            assert headers["x-ms-request-id"] and headers["x-ms-correlation-request-id"]
            assert int(headers["x-ms-ratelimit-remaining-subscription-reads"]) > 0


async def test_api_version_is_required(sandbox):
    async with open_arm(sandbox) as arm:
        status, _, body = await arm.call("GET", f"/subscriptions/{_sub(arm.emu)}")
        assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"


async def test_authentication_failures_are_401(sandbox):
    async with aiohttp.ClientSession() as session:
        for token, code in ((None, "AuthenticationFailed"), ("garbage", "InvalidAuthenticationToken")):
            status, headers, body = await Arm(sandbox, session, token).call(
                "GET", "/subscriptions?api-version=2022-12-01"
            )
            assert status == 401 and body["error"]["code"] == code
            assert headers["WWW-Authenticate"].startswith("Bearer ")
        graph_token = sandbox.token_for(resource="https://graph.microsoft.com")
        status, _, body = await Arm(sandbox, session, graph_token).call("GET", "/subscriptions?api-version=2022-12-01")
        assert status == 401 and body["error"]["code"] == "InvalidAuthenticationTokenAudience"


async def test_malformed_bodies_are_400_never_500(sandbox):
    async with open_arm(sandbox) as arm:
        scope = f"/subscriptions/{_sub(arm.emu)}"
        url = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?api-version=2022-04-01"
        cases = [
            b"{not json",
            b"[]",
            b"",
            json.dumps({"properties": "x"}).encode(),
            json.dumps({"properties": {"roleDefinitionId": 7, "principalId": "x"}}).encode(),
            json.dumps(
                {
                    "properties": {
                        "roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
                        "principalId": "nope",
                    }
                }
            ).encode(),
            json.dumps(
                {"properties": {"roleDefinitionId": "/x", "principalId": str(uuid.uuid4()), "principalType": "Alien"}}
            ).encode(),
        ]
        for raw in cases:
            status, headers, body = await arm.call("PUT", url, raw=raw)
            assert status == 400, raw
            assert headers["Content-Type"].startswith("application/json") and body["error"]["code"], raw
        status, _, body = await arm.call("PUT", url, raw=b'{"a":"' + b"x" * (1024 * 1024 + 10) + b'"}')
        assert status == 413 and body["error"]["code"] == "RequestEntityTooLarge"
        status, _, body = await arm.call("GET", f"{scope}/resources?api-version=2025-04-01&$filter=name%20gt%20'a'")
        assert status == 400 and body["error"]["code"] == "InvalidFilter"
        status, _, body = await arm.call("GET", f"{scope}/providers/Microsoft.Foo/bars?api-version=2025-04-01")
        assert status == 404 and body["error"]["code"] == "InvalidResourceType"
        status, _, body = await arm.call("POST", f"{scope}?api-version=2022-12-01", {})
        assert status == 405


async def test_unknown_principal_is_400_principal_not_found_without_principal_type(sandbox):
    async with open_arm(sandbox) as arm:
        sub = _sub(arm.emu)
        scope = f"/subscriptions/{sub}"
        pid = str(uuid.uuid4())
        body = {
            "properties": {
                "roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
                "principalId": pid,
            }
        }
        status, _, answer = await arm.call(
            "PUT",
            f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?api-version=2022-04-01",
            body,
        )
        assert status == 400 and answer["error"]["code"] == "PrincipalNotFound"
        assert pid.replace("-", "") in answer["error"]["message"]


async def test_role_assignment_listing_at_resource_scope_includes_inherited(sandbox):
    async with open_arm(sandbox) as arm:
        tenant = arm.emu.tenant
        aa = next(r for r in tenant.resources.values() if r.system_principal_id)
        status, _, body = await arm.call(
            "GET", f"{aa.id}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
        )
        assert status == 200
        scopes = {ra["properties"]["scope"] for ra in body["value"]}
        assert f"/subscriptions/{_sub(arm.emu)}" in scopes  # the admin's Owner, inherited from above
        assert any(s.endswith("/resourceGroups/rg-core") for s in scopes)


async def test_emulator_stats_count_by_route_template_and_reset(sandbox):
    async with aiohttp.ClientSession() as session:
        arm = Arm(sandbox, session, sandbox.token_for())
        status, _, _ = await arm.call("POST", "/_emulator/stats/reset")
        assert status == 200
        sub = _sub(sandbox)
        await arm.call("GET", f"/subscriptions/{sub}/resourcegroups?api-version=2025-04-01")
        await arm.call(
            "GET",
            f"/subscriptions/{sub}/resourceGroups/rg-core/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
        )
        status, _, stats = await Arm(sandbox, session, None).call("GET", "/_emulator/stats")
        assert status == 200
        assert stats["byRoute"] == {
            "GET /subscriptions/{subscriptionId}/resourcegroups": 1,
            "GET /{scope}/providers/Microsoft.Authorization/roleAssignments": 1,
        }
        assert stats["total"] == 2
        status, _, _ = await arm.call("GET", "/_emulator/other")
        assert status == 404
