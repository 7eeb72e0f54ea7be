"""Fault injection: 429 + Retry-After, 500, 503, dropped connections and "committed, then dropped" writes."""

from __future__ import annotations

import json
import ssl
import uuid

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError

from tui.emulator.faults import FaultPlan

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_fault_plan_is_deterministic_from_the_seed():
    a = [FaultPlan(rate=0.3, seed=7).next_fault(False) for _ in range(1)]
    plan_a, plan_b, plan_c = FaultPlan(rate=0.3, seed=7), FaultPlan(rate=0.3, seed=7), FaultPlan(rate=0.3, seed=8)
    seq_a = [plan_a.next_fault(False) for _ in range(200)]
    seq_b = [plan_b.next_fault(False) for _ in range(200)]
    seq_c = [plan_c.next_fault(False) for _ in range(200)]
    assert seq_a == seq_b != seq_c
    assert a[0] == seq_a[0]
    share = sum(f is not None for f in seq_a) / len(seq_a)
    assert 0.15 < share < 0.45
    assert "drop-after-commit" not in seq_a  # never on reads


async def test_429_with_retry_after_reaches_the_sdk(emulator_factory, small_tenant, managed_identity_env, arm_kwargs):
    from azure.identity.aio import ManagedIdentityCredential
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    emu = emulator_factory(small_tenant())
    managed_identity_env(emu)
    sub = next(iter(emu.tenant.subscriptions))
    emu.set_faults(1.0, seed=1, kinds=("429",))
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    async with aiohttp.ClientSession() as s:
        async with s.get(
            f"{emu.connection.arm}/subscriptions/{sub}/resourcegroups?api-version=2025-04-01", ssl=ctx
        ) as r:
            assert r.status == 429 and r.headers["Retry-After"] == "1"
            assert (await r.json())["error"]["code"] == "TooManyRequests"
        async with s.get(f"{emu.connection.arm}/_emulator/stats", ssl=ctx) as r:
            assert r.status == 200  # the control route is never faulted
    # token endpoints are never faulted either
    async with (
        ManagedIdentityCredential() as cred,
        ResourceManagementClient(cred, sub, retry_total=0, **arm_kwargs(emu)) as client,
    ):
        with pytest.raises(HttpResponseError) as err:
            await client.resource_groups.get("rg-core")
    assert err.value.status_code == 429
    emu.set_faults(0.0)
    async with ManagedIdentityCredential() as cred, ResourceManagementClient(cred, sub, **arm_kwargs(emu)) as client:
        assert (await client.resource_groups.get("rg-core")).name == "rg-core"


async def test_500_and_503_and_graph_envelope(emulator_factory, small_tenant):
    emu = emulator_factory(small_tenant())
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    token = emu.token_for()
    async with aiohttp.ClientSession() as s:
        for kind, status in (("500", 500), ("503", 503)):
            emu.set_faults(1.0, seed=3, kinds=(kind,))
            async with s.get(
                f"{emu.connection.arm}/subscriptions?api-version=2022-12-01",
                ssl=ctx,
                headers={"Authorization": f"Bearer {token}"},
            ) as r:
                assert r.status == status and (await r.json())["error"]["code"]
            async with s.get(f"{emu.connection.graph}/v1.0/servicePrincipals", ssl=ctx) as r:
                body = await r.json()
                assert r.status == status and r.headers["request-id"]
                assert set(body["error"]) >= {"code", "message", "innerError"}


async def test_dropped_connection_and_committed_then_dropped_write(emulator_factory, small_tenant):
    emu = emulator_factory(small_tenant())
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    hdrs = {"Authorization": f"Bearer {emu.token_for()}", "Content-Type": "application/json"}
    sub = next(iter(emu.tenant.subscriptions))
    scope = f"/subscriptions/{sub}"
    uami = next(r for r in emu.tenant.resources.values() if r.is_user_assigned_identity)
    name = str(uuid.uuid4())
    url = f"{emu.connection.arm}{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"
    body = json.dumps(
        {
            "properties": {
                "roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
                "principalId": uami.principal_id,
                "principalType": "ServicePrincipal",
            }
        }
    )
    async with aiohttp.ClientSession() as s:
        emu.set_faults(1.0, seed=5, kinds=("drop",))
        with pytest.raises(aiohttp.ClientError):
            async with s.put(url, data=body, headers=hdrs, ssl=ctx) as r:
                await r.read()
        assert name not in emu.tenant.role_assignments
        emu.set_faults(1.0, seed=5, kinds=("drop-after-commit",))
        async with s.get(f"{emu.connection.arm}{scope}?api-version=2022-12-01", headers=hdrs, ssl=ctx) as r:
            assert r.status == 200  # reads are never "committed then dropped"
        with pytest.raises(aiohttp.ClientError):
            async with s.put(url, data=body, headers=hdrs, ssl=ctx) as r:
                await r.read()
    assert name in emu.tenant.role_assignments  # the change happened although the answer never came


def test_set_faults_validates_its_arguments(emulator_factory, small_tenant):
    emu = emulator_factory(small_tenant())
    with pytest.raises(ValueError):
        emu.set_faults(1.5)
    with pytest.raises(ValueError):
        emu.set_faults(0.5, kinds=("teapot",))
    emu.set_latency(25)
    assert emu.context.latency_ms == 25


def test_a_transient_fault_lets_the_same_request_through_after_two():
    """The same request sent again (its client request id kept across an SDK's retries) is faulted at most twice in a
    row, so three retries always get through; at rate 1.0 (an outage) every attempt is faulted."""
    flaky = FaultPlan(rate=0.99, seed=2)
    attempts = [flaky.next_fault(False, "GET /x", "req-1") for _ in range(3)]
    assert attempts[0] is not None and attempts[1] is not None and attempts[2] is None
    assert flaky.next_fault(False, "GET /x", "req-2") is not None  # another request draws its own
    outage = FaultPlan(rate=1.0, seed=2)
    assert all(outage.next_fault(False, "GET /x", "req-1") is not None for _ in range(6))
