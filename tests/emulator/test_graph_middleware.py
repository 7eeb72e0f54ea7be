"""The common middlewares in front of the Graph routes: authentication, ids, unknown routes, statistics."""

from __future__ import annotations

import ssl

import aiohttp

from tui.emulator.tokens import TokenIssuer


async def _get(emu, path: str, token: str | None):
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers["client-request-id"] = "c0ffee00-0000-4000-8000-000000000001"
    async with aiohttp.ClientSession() as s, s.get(emu.connection.graph + path, headers=headers, ssl=ctx) as r:
        return r.status, r.headers, await r.json()


async def test_graph_rejects_missing_foreign_expired_and_wrong_audience_tokens(demo_emulator):
    emu = demo_emulator
    admin = emu.tenant.users[emu.tenant.admin_user_id]
    foreign, _ = TokenIssuer(emu.tenant).issue(admin, "https://graph.microsoft.com")
    expired = emu._issuer.sign(dict(emu._issuer.claims_for(admin, "https://graph.microsoft.com", now=1_000_000)))
    cases = {
        None: "Access token is empty.",
        foreign: None,
        expired: "Lifetime validation failed, the token is expired.",
        emu.token_for(resource="https://management.azure.com"): "Access token validation failure. Invalid audience.",
    }
    for token, message in cases.items():
        status, headers, body = await _get(emu, "/v1.0/servicePrincipals", token)
        assert status == 401
        assert body["error"]["code"] == "InvalidAuthenticationToken"
        if message:
            assert body["error"]["message"] == message
        inner = body["error"]["innerError"]
        assert inner["request-id"] == headers["request-id"] and inner["date"]
        assert headers["client-request-id"] == "c0ffee00-0000-4000-8000-000000000001"


async def test_graph_accepts_its_own_url_as_audience_and_answers_unknown_segments_400(demo_emulator):
    emu = demo_emulator
    token = emu.token_for(resource=emu.connection.graph + "/")
    status, headers, body = await _get(emu, "/v1.0/servicePrincipals?$top=1", token)
    assert status == 200 and len(body["value"]) == 1 and headers["request-id"]
    status, _, body = await _get(emu, "/v1.0/noSuchThing", token)
    assert status == 400 and body["error"]["code"] == "BadRequest"
    assert "noSuchThing" in body["error"]["message"]
