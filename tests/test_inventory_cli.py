"""`mitui inventory` end to end: a subprocess against `mitui emulator` (another subprocess), as a script would
run it inside an Automation runbook (--arm-endpoint, --credential managed-identity), and on the built-in sandbox
tenant (--demo), with the flags before or after the subcommand."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from mitui_processes import ROOT, clean_env, start_served, stop_served

from tui.emulator.server import Connection, Emulator


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Connection, Path]]:
    state = tmp_path_factory.mktemp("mitui-emulator")
    proc, connection = start_served(state)
    try:
        yield connection, state
    finally:
        stop_served(proc)


def _inventory(
    args: list[str], conn: Connection | None, state: Path, before: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """`mitui [BEFORE] inventory ARGS`: flags written before the subcommand go in ``before``."""
    extra = {}
    if conn is not None:
        extra = {"IDENTITY_ENDPOINT": conn.identity_endpoint, "IDENTITY_HEADER": conn.identity_header}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *before, "inventory", *args],
        cwd=ROOT,
        env=clean_env(extra, state),
        capture_output=True,
        text=True,
        timeout=180,
    )


def _connection_flags(conn: Connection) -> list[str]:
    return ["--arm-endpoint", conn.arm, "--credential", "managed-identity", "--ca-file", conn.ca_file]


def test_json_inventory_end_to_end(served: tuple[Connection, Path], tmp_path: Path) -> None:
    conn, state = served
    out = tmp_path / "inventory.json"
    result = _inventory(
        [*_connection_flags(conn), "--format", "json", "--automation", "--output", str(out)], conn, state
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(out.read_text())
    assert data["tenantId"] == conn.tenant_id and data["cloud"] == "MituiSandbox"
    assert len(data["subscriptions"]) == 3
    # the wire value, not an SDK enum's str() ("SubscriptionState.ENABLED")
    assert {s["state"] for s in data["subscriptions"]} == {"Enabled"}
    names = {i["name"]: i for i in data["identities"]}
    assert {"aa-ops-prod", "id-orders-shared", "id-finance-reporting"} <= set(names)
    shared = names["id-orders-shared"]
    assert shared["kind"] == "user-assigned" and len(shared["usedBy"]) == 3
    assert set(shared) == {
        "name",
        "kind",
        "principalId",
        "clientId",
        "resourceId",
        "subscriptionId",
        "resourceGroup",
        "usedBy",
        "roleAssignments",
        "appRoleAssignments",
        "directoryRoleAssignments",
        "groups",
        "effectivePrivilege",
        "escalationPaths",
    }
    assert shared["effectivePrivilege"] == "high" and shared["escalationPaths"] == []
    # high on its own (it may start jobs on aa-ops-prod), critical through aa-ops-prod's identity
    scheduler = names["id-ops-scheduler"]
    assert {r["privilege"] for r in scheduler["roleAssignments"]} == {"high"}
    assert scheduler["effectivePrivilege"] == "critical"
    (path,) = scheduler["escalationPaths"]
    assert path["via"] == ["aa-ops-prod"] and path["privilege"] == "critical"
    assert path["through"].startswith("Contoso Job Starter at ") and path["through"].endswith("/aa-ops-prod")
    assert path["reason"].startswith(("Contributor: ", "RoleManagement.ReadWrite.Directory: "))
    ops = names["aa-ops-prod"]
    grants = {g["appRoleValue"]: g for g in ops["appRoleAssignments"]}
    escalation = grants["RoleManagement.ReadWrite.Directory"]
    assert escalation["privilege"] == "critical"
    assert escalation["privilegeReason"].startswith("RoleManagement.ReadWrite.Directory: ")  # it names the permission
    assert set(ops["roleAssignments"][0]) == {
        "id",
        "roleName",
        "roleDefinitionId",
        "scope",
        "scopeLevel",
        "privilege",
        "privilegeReason",
        "via",
        "condition",
        "conditionVersion",
        "description",
        "createdOn",
        "createdBy",
        "createdByName",
    }
    # every right says why it has its level
    rights = [r for i in data["identities"] for r in i["roleAssignments"] + i["appRoleAssignments"]]
    assert rights and all(r["privilegeReason"] for r in rights)
    owner = next(r for r in rights if r.get("roleName") == "Owner")
    assert owner["privilege"] == "critical" and "roleAssignments/write" in owner["privilegeReason"]
    assert len(data["orphanedRoleAssignments"]) == 3  # two service principals, one user
    # issue #13, read from the tenant: directory roles (own and through a group), Owner through a group, creators
    assert data["problems"] == []
    bootstrap = names["id-tenant-bootstrap"]
    assert [(d["roleName"], d["privilege"], d["via"]) for d in bootstrap["directoryRoleAssignments"]] == [
        ("Global Administrator", "critical", None)
    ]
    assert bootstrap["effectivePrivilege"] == "critical"
    github = names["id-github-deploy"]
    assert [(d["roleName"], d["via"]["groupName"]) for d in github["directoryRoleAssignments"]] == [
        ("Application Administrator", "sg-app-admins")
    ]
    assert [g["displayName"] for g in github["groups"]] == ["sg-app-admins"]
    deploy = names["id-platform-deploy"]
    assert deploy["effectivePrivilege"] == "critical"
    assert [g["displayName"] for g in deploy["groups"]] == ["sg-platform-owners"]
    (owner,) = [r for r in deploy["roleAssignments"] if r["roleName"] == "Owner"]
    assert owner["via"] == {"groupId": deploy["groups"][0]["id"], "groupName": "sg-platform-owners"}
    assert owner["privilege"] == "critical" and owner["createdOn"]
    assert owner["createdBy"] and owner["createdByName"] == "Alex Admin"
    assert {d["roleName"] for d in names["sql-contoso-prod"]["directoryRoleAssignments"]} == {"Directory Readers"}
    # issue #15: every Automation account, its runbooks with their readiness, its modules
    accounts = {a["name"]: a for a in data["automationAccounts"]}
    assert {"aa-ops-prod", "aa-identity-sync", "aa-app-inventory"} <= set(accounts)
    waiting = accounts["aa-app-inventory"]
    assert waiting["identity"]["type"] == "None" and waiting["id"].endswith("/automationAccounts/aa-app-inventory")
    (runbook,) = waiting["runbooks"]
    assert runbook["name"] == "Export-AppPermissions" and runbook["runtime"] == "PowerShell 7.2"
    assert runbook["ready"] is False and runbook["schedules"] == ["Daily-0600"]
    checks = {c["check"]: c for c in runbook["readiness"]}
    assert all(set(c) == {"check", "ok", "detail"} for c in checks.values())
    assert not checks["Identity"]["ok"] and not checks["Module Microsoft.Graph.Authentication"]["ok"]
    assert checks["Module Microsoft.Graph.Applications"]["ok"]
    assert {"name": "Az.Accounts", "version": "2.19.0", "provisioningState": "Succeeded"} in waiting["modules"]
    ready = accounts["aa-identity-sync"]
    assert ready["identity"]["type"] == "SystemAssigned" and ready["identity"]["principalId"]
    assert next(r for r in ready["runbooks"] if r["name"] == "Sync-HRUsers")["ready"] is True


def test_automation_accounts_only_when_asked(served: tuple[Connection, Path]) -> None:
    conn, state = served
    result = _inventory([*_connection_flags(conn), "--format", "json"], conn, state)
    assert result.returncode == 0, result.stderr
    assert "automationAccounts" not in json.loads(result.stdout)


def test_csv_and_table(served: tuple[Connection, Path]) -> None:
    conn, state = served
    sub_json = _inventory([*_connection_flags(conn), "--format", "json"], conn, state)
    sub = json.loads(sub_json.stdout)["subscriptions"][0]["id"]
    result = _inventory([*_connection_flags(conn), "--format", "csv", "--subscription", sub], conn, state)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["subscriptionId"] in (sub, "") for r in rows)
    assert {r["rightType"] for r in rows} <= {"role", "directoryRole", "appRole", "memberOf", "none"}
    assert all(r["privilegeReason"] for r in rows if r["rightType"] in ("role", "directoryRole", "appRole"))
    table = _inventory(_connection_flags(conn), conn, state)
    assert table.returncode == 0 and "managed identities" in table.stdout
    assert "acts as  aa-ops-prod [critical] through Contoso Job Starter" in table.stdout
    assert "\x1b" not in table.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "xml"],
        ["--subscription", "not-a-guid"],
        ["--credential", "telepathy"],
    ],
)
def test_bad_flags_one_line_nonzero(args: list[str], tmp_path: Path) -> None:
    result = _inventory(args, None, tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_unreachable_endpoint_one_line(tmp_path: Path) -> None:
    result = _inventory(["--arm-endpoint", "https://127.0.0.1:9", "--credential", "managed-identity"], None, tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Cannot reach" in result.stderr


def test_untrusted_certificate_one_line(served: tuple[Connection, Path]) -> None:
    conn, state = served
    result = _inventory(["--arm-endpoint", conn.arm, "--credential", "managed-identity"], conn, state)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "not trusted" in result.stderr


def test_failed_sign_in_one_line(served: tuple[Connection, Path]) -> None:
    conn, state = served
    result = _inventory(_connection_flags(conn), None, state)  # no IDENTITY_ENDPOINT: no managed identity here
    assert result.returncode == 1, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Sign-in failed" in result.stderr


def test_connection_flags_before_the_subcommand(served: tuple[Connection, Path]) -> None:
    conn, state = served
    after = _inventory([*_connection_flags(conn), "--format", "json"], conn, state)
    before = _inventory(["--format", "json"], conn, state, before=_connection_flags(conn))
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)
    # written on both sides, the later one wins: a wrong endpoint before, the right one after
    both = _inventory(
        [*_connection_flags(conn), "--format", "json"], conn, state, before=["--arm-endpoint", "https://127.0.0.1:9"]
    )
    assert both.returncode == 0, both.stderr
    assert json.loads(both.stdout)["tenantId"] == conn.tenant_id


@pytest.mark.parametrize("where", ["before", "after"])
def test_demo_inventory_reads_the_sandbox_tenant(where: str, tmp_path: Path, demo_emulator: Emulator) -> None:
    args, before = (["--format", "json"], ["--demo"]) if where == "before" else (["--demo", "--format", "json"], [])
    result = _inventory(args, None, tmp_path, before=before)  # no account, no emulator of ours: the built-in one
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    managed = {
        sp.id: sp.display_name
        for sp in demo_emulator.tenant.service_principals.values()
        if sp.service_principal_type == "ManagedIdentity"
    }
    assert {i["principalId"]: i["name"] for i in data["identities"]} == managed
    assert data["cloud"] == "MituiSandbox"


def _stats(conn: Connection, reset: bool = False) -> dict:
    import ssl
    import urllib.request

    context = ssl.create_default_context(cafile=conn.ca_file)
    url = conn.arm.rstrip("/") + "/_emulator/stats" + ("/reset" if reset else "")
    request = urllib.request.Request(url, method="POST" if reset else "GET")
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.loads(answer.read())


def test_source_resource_graph_gives_the_same_inventory(served: tuple[Connection, Path], tmp_path: Path) -> None:
    conn, state = served
    outputs = {}
    for source in ("arm", "resource-graph"):
        _stats(conn, reset=True)
        out = tmp_path / f"{source}.json"
        result = _inventory(
            [*_connection_flags(conn), "--source", source, "--format", "json", "--output", str(out)], conn, state
        )
        assert result.returncode == 0, result.stderr
        graph_queries = _stats(conn)["byRoute"].get("POST /providers/Microsoft.ResourceGraph/resources", 0)
        assert (graph_queries > 0) == (source == "resource-graph")
        outputs[source] = json.loads(out.read_text())
    assert outputs["resource-graph"] == outputs["arm"]
