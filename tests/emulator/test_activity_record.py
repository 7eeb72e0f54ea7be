"""The sandbox tenant records what happens, as Azure does: an Activity Log event for every ARM write (with the
caller's claims), read back through azure-mgmt-monitor's ``activity_logs.list``; sign-ins for every token issued to
a service principal and directory audits for Graph writes, read from Graph beta / v1.0 over HTTPS; each source can
be refused (403) for the coverage tests."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import ManagedIdentityCredential

from tui.emulator.activity import CLAIM_OID, operation_of

SPEC = Path(__file__).parent.parent / "data/arm/monitor/2015-04-01/activityLogs_API.excerpt.json"


@pytest.fixture
def sandbox(emulator_factory, small_tenant, managed_identity_env):
    emu = emulator_factory(small_tenant())
    managed_identity_env(emu)
    return emu


def _sub(emu) -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Sandbox One")


def _uami(emu):
    return next(r for r in emu.tenant.resources.values() if r.is_user_assigned_identity)


def _window(hours: int = 1) -> str:
    now = datetime.now(UTC)
    start = (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"eventTimestamp ge '{start}' and eventTimestamp le '{end}'"


def _role(emu, name: str) -> str:
    return next(d.name for d in emu.tenant.role_definitions.values() if d.role_name == name)


async def _assign(emu, arm_kwargs, cred, sub: str, scope: str, role_name: str, principal: str) -> str:
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    params = RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/"
        + _role(emu, role_name),
        principal_id=principal,
        principal_type="ServicePrincipal",
    )
    async with AuthorizationManagementClient(cred, sub, **arm_kwargs(emu)) as client:
        created = await client.role_assignments.create(scope, str(uuid.uuid4()), params)
    return created.id


def test_operation_names_from_paths():
    segs = [
        "subscriptions",
        "s",
        "resourceGroups",
        "rg",
        "providers",
        "Microsoft.Compute",
        "virtualMachines",
        "vm1",
        "restart",
    ]
    assert operation_of("POST", segs) == (
        "Microsoft.Compute/virtualMachines/restart/action",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
    )
    ra = ["subscriptions", "s", "providers", "Microsoft.Authorization", "roleAssignments", "x"]
    assert operation_of("PUT", ra)[0] == "Microsoft.Authorization/roleAssignments/write"
    assert operation_of("DELETE", ra)[0] == "Microsoft.Authorization/roleAssignments/delete"
    assert operation_of("GET", ra) is None


async def test_a_write_by_an_identity_shows_in_the_activity_log_with_its_claims(sandbox, arm_kwargs):
    from azure.mgmt.monitor.aio import MonitorManagementClient

    sub, uami = _sub(sandbox), _uami(sandbox)
    scope = f"/subscriptions/{sub}/resourceGroups/rg-core"
    async with ManagedIdentityCredential() as admin:  # the admin makes the identity Owner of the group
        await _assign(sandbox, arm_kwargs, admin, sub, scope, "Owner", uami.principal_id)
    async with ManagedIdentityCredential(client_id=uami.client_id) as as_identity:  # then acts as the identity
        written = await _assign(sandbox, arm_kwargs, as_identity, sub, scope, "Reader", uami.principal_id)
    async with ManagedIdentityCredential() as admin, MonitorManagementClient(admin, sub, **arm_kwargs(sandbox)) as mon:
        events = [e async for e in mon.activity_logs.list(filter=_window())]
        assert len(events) == 2
        newest = events[0]  # newest first
        assert newest.resource_id.lower() == written.lower()
        assert newest.operation_name.value == "Microsoft.Authorization/roleAssignments/write"
        assert newest.status.value == "Succeeded"
        assert newest.claims[CLAIM_OID] == uami.principal_id
        assert newest.claims["appid"] == uami.client_id
        assert newest.caller == uami.principal_id
        assert events[1].claims[CLAIM_OID] != uami.principal_id  # the admin's
        # the one-of clauses narrow it; $select keeps only what was asked for
        by_group = [e async for e in mon.activity_logs.list(filter=_window() + " and resourceGroupName eq 'rg-core'")]
        assert len(by_group) == 2
        none = [e async for e in mon.activity_logs.list(filter=_window() + " and resourceGroupName eq 'rg-other'")]
        assert none == []
        by_corr = [
            e
            async for e in mon.activity_logs.list(filter=_window() + f" and correlationId eq '{newest.correlation_id}'")
        ]
        assert [e.event_data_id for e in by_corr] == [newest.event_data_id]
        selected = [e async for e in mon.activity_logs.list(filter=_window(), select="eventTimestamp,operationName")]
        assert selected[0].operation_name.value and selected[0].claims is None and selected[0].resource_id is None


async def test_activity_log_pages_and_keeps_90_days(sandbox, arm_kwargs):
    from azure.mgmt.monitor.aio import MonitorManagementClient

    sub = _sub(sandbox)
    rec = sandbox.tenant.activity
    now = datetime.now(UTC).timestamp()
    for i in range(450):
        rec.record_operation(
            tenant_id=sandbox.tenant.tenant_id,
            claims={"oid": "x", "appid": "y"},
            caller="x",
            operation="Microsoft.Compute/virtualMachines/restart/action",
            resource_id=f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}",
            method="POST",
            status_code=202,
            ts=now - 3600 - i,
        )
    rec.record_operation(
        tenant_id=sandbox.tenant.tenant_id,
        claims={},
        caller="x",
        operation="Microsoft.Compute/virtualMachines/write",
        resource_id=f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/old",
        method="PUT",
        status_code=200,
        ts=now - 91 * 86400,
    )
    sandbox.context.stats.reset()
    async with ManagedIdentityCredential() as admin, MonitorManagementClient(admin, sub, **arm_kwargs(sandbox)) as mon:
        events = [e async for e in mon.activity_logs.list(filter=_window(24 * 120))]
    assert len(events) == 450  # the 91-day-old one is gone
    stamps = [e.event_timestamp for e in events]
    assert stamps == sorted(stamps, reverse=True)
    pages = sandbox.context.stats.snapshot()["byRoute"]
    assert sum(v for k, v in pages.items() if "eventtypes/management/values" in k) == 3  # 200 + 200 + 50


@pytest.mark.parametrize(
    "flt",
    [
        "",
        "eventTimestamp le '2026-01-01T00:00:00Z'",
        "eventTimestamp ge 'yesterday'",
        "eventTimestamp ge '2026-01-01T00:00:00Z' and status eq 'Failed'",
        "eventTimestamp ge '2026-01-01T00:00:00Z' and resourceGroupName eq 'a' and correlationId eq 'b'",
        "eventTimestamp ge '2026-01-01T00:00:00Z' or resourceGroupName eq 'a'",
    ],
)
async def test_a_filter_outside_the_grammar_is_a_400_in_arms_shape(sandbox, arm_kwargs, flt):
    from azure.mgmt.monitor.aio import MonitorManagementClient

    async with (
        ManagedIdentityCredential() as admin,
        MonitorManagementClient(admin, _sub(sandbox), **arm_kwargs(sandbox)) as mon,
    ):
        with pytest.raises(HttpResponseError) as err:
            [e async for e in mon.activity_logs.list(filter=flt)]
    assert err.value.status_code == 400
    assert err.value.error.code == "BadRequest" and err.value.error.message


async def test_a_refused_activity_log_is_a_403(sandbox, arm_kwargs):
    from azure.mgmt.monitor.aio import MonitorManagementClient

    sandbox.refuse_usage("activityLog")
    async with (
        ManagedIdentityCredential() as admin,
        MonitorManagementClient(admin, _sub(sandbox), **arm_kwargs(sandbox)) as mon,
    ):
        with pytest.raises(HttpResponseError) as err:
            [e async for e in mon.activity_logs.list(filter=_window())]
    assert err.value.status_code == 403 and err.value.error.code == "AuthorizationFailed"


def _graph(emu, path: str, principal: str | None = None) -> tuple[int, dict]:
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    token = emu.token_for(principal, resource=emu.connection.graph)
    req = urllib.request.Request(emu.connection.graph + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, context=ctx) as resp:  # noqa: S310 - the emulator's https URL
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_token_for_an_identity_is_its_sign_in(sandbox):
    uami = _uami(sandbox)
    sandbox.token_for(uami.principal_id, resource=sandbox.connection.arm + "/")
    q = urllib.parse.quote(f"appId eq '{uami.client_id}'")
    status, body = _graph(sandbox, f"/beta/reports/servicePrincipalSignInActivities?$filter={q}")
    assert status == 200, body
    (row,) = body["value"]
    assert row["appId"] == uami.client_id
    when = datetime.fromisoformat(row["lastSignInActivity"]["lastSignInDateTime"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60
    assert row["applicationAuthenticationClientSignInActivity"]["lastSignInDateTime"]
    # the events: only with the managedIdentity event type, as Graph lists them
    status, body = _graph(sandbox, "/beta/auditLogs/signIns")
    assert status == 200 and body["value"] == []
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    flt = urllib.parse.quote(
        f"signInEventTypes/any(t: t eq 'managedIdentity') and servicePrincipalId eq '{uami.principal_id}' "
        f"and createdDateTime ge {since}"
    )
    status, body = _graph(sandbox, f"/beta/auditLogs/signIns?$filter={flt}")
    assert status == 200, body
    assert len(body["value"]) == 1
    event = body["value"][0]
    assert event["appId"] == uami.client_id and event["signInEventTypes"] == ["managedIdentity"]
    assert event["managedServiceIdentity"]["msiType"] == "userAssigned"
    assert event["resourceDisplayName"] == "Windows Azure Service Management API"


def test_the_sign_in_report_pages_and_shows_a_later_sign_in(sandbox):
    """Its rows are rendered once per change: a page read after a new sign-in shows it."""
    sps = sorted(sandbox.tenant.service_principals.values(), key=lambda sp: sp.app_id)
    assert len(sps) >= 2
    first, second = sps[0], sps[-1]
    sandbox.token_for(first.id, resource=sandbox.connection.arm + "/")
    status, body = _graph(sandbox, "/beta/reports/servicePrincipalSignInActivities?$top=1")
    assert status == 200, body
    seen = [r["appId"] for r in body["value"]]
    while "@odata.nextLink" in body:
        status, body = _graph(sandbox, body["@odata.nextLink"].removeprefix(sandbox.connection.graph))
        assert status == 200, body
        seen += [r["appId"] for r in body["value"]]
    assert first.app_id in seen and second.app_id not in seen
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    sandbox.token_for(second.id, resource=sandbox.connection.arm + "/")
    q = urllib.parse.quote(f"appId eq '{second.app_id}'")
    status, body = _graph(sandbox, f"/beta/reports/servicePrincipalSignInActivities?$filter={q}")
    assert status == 200 and [r["appId"] for r in body["value"]] == [second.app_id]


def test_a_graph_write_leaves_a_directory_audit(emulator_factory):
    sandbox = emulator_factory("demo")
    uami = _uami(sandbox)
    group = next(iter(sandbox.tenant.groups.values()))
    ctx = ssl.create_default_context(cafile=sandbox.connection.ca_file)
    token = sandbox.token_for(None, resource=sandbox.connection.graph)
    body = json.dumps({"@odata.id": f"{sandbox.connection.graph}/v1.0/directoryObjects/{uami.principal_id}"})
    req = urllib.request.Request(
        f"{sandbox.connection.graph}/v1.0/groups/{group.id}/members/$ref",
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, context=ctx) as resp:  # noqa: S310
        assert resp.status == 204
    status, audits = _graph(sandbox, "/v1.0/auditLogs/directoryAudits")
    assert status == 200, audits
    (audit,) = [a for a in audits["value"] if a["targetResources"][0]["id"] == group.id]
    assert audit["activityDisplayName"] == "Add member to group"
    assert audit["initiatedBy"]["user"]["id"] == sandbox.default_caller_id
    assert audit["targetResources"][0]["id"] == group.id


@pytest.mark.parametrize(
    ("source", "path", "code"),
    [
        ("signInActivity", "/beta/reports/servicePrincipalSignInActivities", "Authorization_RequestDenied"),
        ("signIns", "/beta/auditLogs/signIns", "Authorization_RequestDenied"),
        ("directoryAudits", "/v1.0/auditLogs/directoryAudits", "Authorization_RequestDenied"),
    ],
)
@pytest.mark.parametrize("how", ["forbidden", "licence"])
def test_a_refused_graph_source_is_a_403(sandbox, source, path, code, how):
    sandbox.refuse_usage(source, how)
    status, body = _graph(sandbox, path)
    assert status == 403
    expected = code if how == "forbidden" else "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert body["error"]["code"] == expected
    sandbox.refuse_usage(source, None)
    assert _graph(sandbox, path)[0] == 200


def test_events_match_the_specs_eventdata(sandbox):
    import jsonschema

    spec = json.loads(Path(SPEC).read_text())
    body = sandbox.tenant.activity.record_operation(
        tenant_id=sandbox.tenant.tenant_id,
        claims={"oid": "o", "appid": "a", "roles": ["x", "y"], "iat": 1},
        caller="o",
        operation="Microsoft.Compute/virtualMachines/restart/action",
        resource_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
        method="POST",
        status_code=202,
    )
    schema = {"$ref": "#/definitions/EventDataCollection", "definitions": spec["definitions"]}
    jsonschema.Draft4Validator(schema).validate({"value": [body]})
    assert body["resourceType"]["value"] == "Microsoft.Compute/virtualMachines"
    assert body["resourceGroupName"] == "rg" and body["subscriptionId"] == "s"
