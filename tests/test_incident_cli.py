"""`mitui findings` and `mitui access` end to end on the built-in sandbox tenant: subprocesses, as a pipeline or an
incident script would run them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mitui_processes import ROOT, clean_env

from tui.emulator.tenants.demo import build_demo_tenant


def _findings(args: list[str], state: Path, command: str = "findings") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "--demo", command, *args],
        cwd=ROOT,
        env=clean_env({}, state),
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict:
    result = _findings(["--format", "json"], tmp_path_factory.mktemp("findings"))
    assert result.returncode == 4, result.stderr  # the demo tenant has findings: a pipeline stops
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_findings_match_the_tenant(doc: dict) -> None:
    tenant = build_demo_tenant()
    by_kind: dict[str, list[dict]] = {}
    for f in doc["findings"]:
        assert set(f) == {"kind", "severity", "principalId", "name", "right", "scope", "detail", "createdOn"}
        by_kind.setdefault(f["kind"], []).append(f)
    # the deleted function app's and identity's assignments, left behind
    assert len(by_kind["orphaned-assignment"]) == 3  # two service principals, one user
    attached = {uid.lower() for r in tenant.resources.values() for uid in r.user_assigned_identity_ids}
    unused = {r.name for r in tenant.resources.values() if r.is_user_assigned_identity and r.id.lower() not in attached}
    assert {f["name"] for f in by_kind["unused-identity"]} == unused
    assert any(f["name"] == "aa-dev" and f["right"] == "Owner" for f in by_kind["broad-scope"])
    assert any(f["name"] == "app-aks-dashboard" for f in by_kind["critical-right"])
    severities = [{"critical": 2, "high": 1, "normal": 0}[f["severity"]] for f in doc["findings"]]
    assert severities == sorted(severities, reverse=True)


def test_fail_on_and_formats(tmp_path: Path) -> None:
    assert _findings(["--fail-on", "critical", "--format", "csv"], tmp_path).returncode == 4
    result = _findings(["--format", "csv", "--recent-days", "0"], tmp_path)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(not r["detail"].startswith(("=", "+", "-", "@")) for r in rows)
    assert "recent-right" not in {r["kind"] for r in rows}
    table = _findings([], tmp_path)
    assert table.returncode == 4 and table.stdout.splitlines()[0].endswith("normal")
    assert "\x1b" not in table.stdout
    bad = _findings(["--fail-on", "scary"], tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_access_at_a_key_vault(tmp_path: Path) -> None:
    """Who can touch kv-contoso-prod: those assigned at it, and those whose rights are inherited from its resource
    group and subscription (the tenant's truth, computed here from the demo tenant's assignments)."""
    tenant = build_demo_tenant()
    vault = next(r for r in tenant.resources.values() if r.name == "kv-contoso-prod")
    result = _findings(["--scope", vault.id, "--format", "json"], tmp_path, command="access")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["scope"] == vault.id
    got = {(a["name"], a["roleName"], a["how"].split(",")[0], a["assignedAt"].lower()) for a in doc["access"]}
    group, sub = vault.id.lower().split("/providers/")[0], f"/subscriptions/{vault.subscription_id}".lower()
    assert ("aa-ops-prod", "Key Vault Secrets Officer", "here", vault.id.lower()) in got
    assert ("aa-ops-prod", "Contributor", "inherited", sub) in got
    assert ("id-orders-shared", "Storage Blob Data Reader", "inherited", group) in got
    # the management group above Contoso Production
    assert ("aa-shared-patching", "Owner") in {(a["name"], a["roleName"]) for a in doc["access"]}
    # nothing assigned below the vault's resource group or in another subscription
    assert all(
        vault.id.lower() == a["assignedAt"].lower()
        or vault.id.lower().startswith(a["assignedAt"].lower() + "/")
        or a["assignedAt"].lower().startswith("/providers/microsoft.management/managementgroups/")
        for a in doc["access"]
    )
    bad = _findings(["--scope", "kv-contoso-prod"], tmp_path, command="access")
    assert bad.returncode == 2 and "Not an ARM scope" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_changes_newest_first(tmp_path: Path) -> None:
    result = _findings(["--since", "30d", "--format", "json"], tmp_path, command="changes")
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)["changes"]
    assert changes and [c["when"] for c in changes] == sorted((c["when"] for c in changes), reverse=True)
    assert any(c["name"] == "aa-identity-sync" and c["privilege"] == "critical" for c in changes)
    critical = _findings(["--since", "30d", "--min-privilege", "critical", "--format", "json"], tmp_path, "changes")
    assert {c["privilege"] for c in json.loads(critical.stdout)["changes"]} == {"critical"}
    bad = _findings(["--since", "yesterday"], tmp_path, command="changes")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
