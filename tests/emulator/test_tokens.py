"""Token endpoints of the sandbox tenant, reached by the real azure-identity credentials, and the tokens."""

from __future__ import annotations

import base64
import json
import ssl
import time

import aiohttp
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity.aio import ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential

from tui.emulator.tokens import DEMO_CLIENT_SECRET, TokenError, TokenIssuer

ARM_SCOPE = "https://management.azure.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_managed_identity_credential_signs_in_the_admin_by_default(demo_emulator, managed_identity_env):
    managed_identity_env(demo_emulator)
    async with ManagedIdentityCredential() as cred:
        token = await cred.get_token(ARM_SCOPE)
    claims = claims_of(token.token)
    admin = demo_emulator.tenant.users[demo_emulator.tenant.admin_user_id]
    assert claims["oid"] == admin.id and claims["idtyp"] == "user" and claims["upn"] == admin.user_principal_name
    assert claims["tid"] == demo_emulator.tenant.tenant_id
    assert claims["aud"] == "https://management.azure.com"
    assert claims["iss"] == f"https://sts.windows.net/{demo_emulator.tenant.tenant_id}/"
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] <= int(time.time())
    assert token.expires_on == claims["exp"]


async def test_managed_identity_by_client_id_object_id_and_resource_id(demo_emulator, managed_identity_env):
    managed_identity_env(demo_emulator)
    tenant = demo_emulator.tenant
    uami = next(r for r in tenant.resources.values() if r.is_user_assigned_identity)
    for kwargs in (
        {"client_id": uami.client_id},
        {"identity_config": {"object_id": uami.principal_id}},
        {"identity_config": {"mi_res_id": uami.id}},
    ):
        async with ManagedIdentityCredential(**kwargs) as cred:
            token = await cred.get_token(GRAPH_SCOPE)
        claims = claims_of(token.token)
        assert claims["oid"] == uami.principal_id and claims["appid"] == uami.client_id, kwargs
        assert claims["idtyp"] == "app" and claims["xms_mirid"].lower() == uami.id.lower()
        assert claims["aud"] == "https://graph.microsoft.com"


async def test_graph_token_carries_the_app_roles_the_identity_holds(demo_emulator, managed_identity_env):
    managed_identity_env(demo_emulator)
    tenant = demo_emulator.tenant
    graph = next(sp for sp in tenant.service_principals.values() if sp.app_id == "00000003-0000-0000-c000-000000000000")
    values = {r["id"]: r["value"] for r in graph.app_roles}
    grant = next(g for g in tenant.app_role_assignments.values() if g.resource_id == graph.id)
    holder = tenant.service_principals[grant.principal_id]
    expected = sorted(
        {
            values[g.app_role_id]
            for g in tenant.app_role_assignments.values()
            if g.principal_id == holder.id and g.resource_id == graph.id
        }
    )
    async with ManagedIdentityCredential(client_id=holder.app_id) as cred:
        graph_token = await cred.get_token(GRAPH_SCOPE)
        arm_token = await cred.get_token(ARM_SCOPE)
    assert claims_of(graph_token.token)["roles"] == expected
    assert "roles" not in claims_of(arm_token.token)


async def test_unknown_client_id_is_refused(demo_emulator, managed_identity_env):
    managed_identity_env(demo_emulator)
    async with ManagedIdentityCredential(client_id="11111111-2222-3333-4444-555555555555") as cred:
        with pytest.raises(ClientAuthenticationError):
            await cred.get_token(ARM_SCOPE)


async def test_default_azure_credential_reaches_the_identity_endpoint(demo_emulator, managed_identity_env):
    managed_identity_env(demo_emulator)
    async with DefaultAzureCredential(
        exclude_cli_credential=True, exclude_developer_cli_credential=True, exclude_powershell_credential=True
    ) as cred:
        token = await cred.get_token(ARM_SCOPE)
    assert claims_of(token.token)["oid"] == demo_emulator.tenant.admin_user_id


async def test_imds_flavour_through_pod_identity_authority_host(demo_emulator, monkeypatch):
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "AZURE_CLIENT_ID", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", demo_emulator.connection.pod_identity_authority_host)
    async with ManagedIdentityCredential() as cred:
        token = await cred.get_token(ARM_SCOPE)
    assert claims_of(token.token)["oid"] == demo_emulator.tenant.admin_user_id


async def test_raw_identity_endpoint_errors(demo_emulator):
    conn = demo_emulator.connection
    url = f"{conn.identity_endpoint}?api-version=2019-08-01&resource=https://management.azure.com"
    imds = f"{conn.pod_identity_authority_host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x"
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as r:
            assert r.status == 400
        async with s.get(url, headers={"X-IDENTITY-HEADER": "wrong"}) as r:
            assert r.status == 401
        async with s.get(
            url + "&client_id=00000000-0000-0000-0000-000000000000", headers={"X-IDENTITY-HEADER": conn.identity_header}
        ) as r:
            assert r.status == 400
        async with s.get(url, headers={"X-IDENTITY-HEADER": conn.identity_header}) as r:
            body = await r.json()
            assert (
                r.status == 200
                and body["token_type"] == "Bearer"
                and body["resource"] == "https://management.azure.com"
            )
            assert body["expires_on"].isdigit()
        async with s.get(imds) as r:
            assert r.status == 400 and (await r.json())["error"] == "invalid_request"
        async with s.get(imds, headers={"Metadata": "true"}) as r:
            body = await r.json()
            assert r.status == 200 and body["expires_in"].isdigit() and body["resource"] == "x"


async def test_client_credentials_flow_with_client_secret_credential(emulator_factory, small_tenant):
    from tui.emulator.builder import TenantBuilder

    tenant = small_tenant()
    app = TenantBuilder(tenant=tenant, seed="apps").add_application("Sandbox Reporting")
    tenant.client_secrets[app.app_id.lower()] = ["s3cret-value"]
    emu = emulator_factory(tenant)
    conn = emu.connection
    kwargs = {"authority": conn.login, "connection_verify": conn.ca_file}
    for secret in ("s3cret-value", DEMO_CLIENT_SECRET):
        async with ClientSecretCredential(conn.tenant_id, app.app_id, secret, **kwargs) as cred:
            token = await cred.get_token(ARM_SCOPE)
        claims = claims_of(token.token)
        assert claims["oid"] == app.id and claims["appid"] == app.app_id and claims["idtyp"] == "app"
    async with ClientSecretCredential(conn.tenant_id, app.app_id, "wrong", **kwargs) as cred:
        with pytest.raises(ClientAuthenticationError) as err:
            await cred.get_token(ARM_SCOPE)
    assert "AADSTS7000215" in str(err.value)
    async with ClientSecretCredential(conn.tenant_id, "99999999-2222-3333-4444-555555555555", "x", **kwargs) as cred:
        with pytest.raises(ClientAuthenticationError) as err:
            await cred.get_token(ARM_SCOPE)
    assert "AADSTS700016" in str(err.value)


async def test_openid_configuration_for_any_tenant_segment(demo_emulator):
    conn = demo_emulator.connection
    ctx = ssl.create_default_context(cafile=conn.ca_file)
    async with aiohttp.ClientSession() as s:
        for seg in (conn.tenant_id, "organizations", "common"):
            async with s.get(f"{conn.login}/{seg}/v2.0/.well-known/openid-configuration", ssl=ctx) as r:
                assert r.status == 200
                doc = await r.json()
            assert doc["token_endpoint"] == f"{conn.login}/{seg}/oauth2/v2.0/token"


def test_tokens_cannot_be_forged_and_expire(small_tenant):
    tenant = small_tenant()
    issuer = TokenIssuer(tenant)
    admin = tenant.users[tenant.admin_user_id]
    token, claims = issuer.issue(admin, "https://management.azure.com", now=1_000_000)
    assert issuer.verify(token, now=1_000_100)["oid"] == admin.id
    with pytest.raises(TokenError) as expired:
        issuer.verify(token, now=1_000_000 + 3600)
    assert expired.value.code == "ExpiredAuthenticationToken"
    head, payload, sig = token.split(".")
    forged_claims = dict(claims, oid="00000000-0000-0000-0000-000000000000")
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
    for bad in (f"{head}.{forged}.{sig}", "not-a-token", f"{head}.{payload}.", token + "x"):
        with pytest.raises(TokenError):
            issuer.verify(bad, now=1_000_100)
    other = TokenIssuer(tenant)
    with pytest.raises(TokenError):
        other.verify(token, now=1_000_100)


async def test_a_disabled_identity_gets_no_token(demo_emulator, managed_identity_env):
    """Entra refuses a token to a disabled service principal, a managed identity's too (AADSTS7000112)."""
    managed_identity_env(demo_emulator)
    tenant = demo_emulator.tenant
    uami = next(r for r in tenant.resources.values() if r.is_user_assigned_identity)
    sp = tenant.service_principals[uami.principal_id.lower()]
    sp.account_enabled = False
    try:
        async with ManagedIdentityCredential(client_id=uami.client_id) as cred:
            with pytest.raises(ClientAuthenticationError, match="AADSTS7000112"):
                await cred.get_token(GRAPH_SCOPE)
    finally:
        sp.account_enabled = True
    async with ManagedIdentityCredential(client_id=uami.client_id) as cred:
        assert claims_of((await cred.get_token(GRAPH_SCOPE)).token)["oid"] == uami.principal_id
