"""`mitui inventory --usage`, `mitui findings --usage` and `mitui activity` end to end on the built-in sandbox tenant
(subprocesses, as a script would run them)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mitui_processes import ROOT, clean_env


def _mitui(args: list[str], state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "--demo", *args],
        cwd=ROOT,
        env=clean_env({}, state),
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> dict:
    state = tmp_path_factory.mktemp("usage")
    result = _mitui(["inventory", "--usage", "--format", "json"], state)
    assert result.returncode == 0, result.stderr
    assert list((state / "xdg-cache" / "mitui" / "activity").glob("*.jsonl"))  # cached, for the next read
    return json.loads(result.stdout)


def test_inventory_usage_per_identity_and_right(inventory: dict) -> None:
    assert inventory["usageCoverage"] == {"signInActivity": "ok", "activityLog": "ok"}
    by_name = {i["name"]: i for i in inventory["identities"]}
    for item in inventory["identities"]:
        assert set(item["usage"]) == {"lastSignIn", "lastActivity", "coverage"}
        assert all("lastUsed" in ra for ra in item["roleAssignments"])
    assert by_name["aa-dev"]["usage"]["lastSignIn"] is None and by_name["aa-dev"]["usage"]["lastActivity"] is None
    ops = by_name["aa-ops-prod"]
    contributor = next(ra for ra in ops["roleAssignments"] if ra["roleName"] == "Contributor")
    assert contributor["lastUsed"] and ops["usage"]["lastActivity"] == contributor["lastUsed"]
    assert by_name["app-orders-prod"]["usage"]["lastSignIn"]


def test_inventory_table_with_usage(tmp_path: Path) -> None:
    table = _mitui(["inventory", "--usage"], tmp_path).stdout
    block = table.split("\naa-ops-prod ", 1)[1].split("\n\n", 1)[0]
    assert "used     last sign-in 20" in block and "signInActivity ok, activityLog ok" in block
    assert "last used 20" in block  # its Contributor, by the restarts


def test_inventory_csv_with_usage(tmp_path: Path) -> None:
    result = _mitui(["inventory", "--usage", "--format", "csv"], tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[-4:] == ["lastSignIn", "lastActivity", "coverage", "lastUsed"]
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["identity"], []).append(row)
    assert all(r["coverage"] == "" for r in by_name.pop("(orphaned)", []))  # no identity: no usage
    for name, mine in by_name.items():
        # the identity's usage on each of its rows, as the JSON has it
        assert len({(r["lastSignIn"], r["lastActivity"], r["coverage"]) for r in mine}) == 1, name
        assert json.loads(mine[0]["coverage"]) == {"signInActivity": "ok", "activityLog": "ok"}
        assert all(r["lastUsed"] == "" for r in mine if r["rightType"] != "role")
    dev = by_name["aa-dev"]
    assert dev[0]["lastSignIn"] == "" and dev[0]["lastActivity"] == ""
    assert next(r for r in dev if r["right"] == "Owner")["lastUsed"] == ""  # never exercised
    ops = by_name["aa-ops-prod"]
    contributor = next(r for r in ops if r["right"] == "Contributor")
    assert contributor["lastUsed"] and contributor["lastUsed"] == ops[0]["lastActivity"]  # by its restarts
    assert by_name["app-orders-prod"][0]["lastSignIn"].startswith("20")
    # without --usage, the columns are not there
    plain = _mitui(["inventory", "--format", "csv"], tmp_path / "plain")
    assert next(csv.reader(io.StringIO(plain.stdout)))[-1] == "scopeLevel"


def test_without_usage_nothing_is_read_or_added(tmp_path: Path) -> None:
    result = _mitui(["inventory", "--format", "json"], tmp_path)
    doc = json.loads(result.stdout)
    assert "usageCoverage" not in doc and all("usage" not in i for i in doc["identities"])
    assert not (tmp_path / "xdg-cache" / "mitui" / "activity").exists()


def test_findings_with_usage(tmp_path: Path) -> None:
    result = _mitui(["findings", "--usage", "--format", "json"], tmp_path)
    assert result.returncode == 4, result.stderr
    doc = json.loads(result.stdout)
    assert doc["usageCoverage"] == {"signInActivity": "ok", "activityLog": "ok"}
    kinds = {(f["kind"], f["name"]) for f in doc["findings"]}
    assert ("idle-identity", "aa-dev") in kinds and ("unused-right", "aa-dev") in kinds
    assert ("idle-identity", "app-orders-prod") not in kinds
    idle = next(f for f in doc["findings"] if f["kind"] == "idle-identity")
    assert idle["coverage"] == {"signInActivity": "ok", "activityLog": "ok"}
    # a shorter idle window: nothing is idle that was used within it, and the config's idle_days is the default
    config = tmp_path / "config.toml"
    config.write_text("idle_days = 1\n")
    short = json.loads(_mitui(["--config", str(config), "findings", "--usage", "--format", "json"], tmp_path).stdout)
    idle_names = {f["name"] for f in short["findings"] if f["kind"] == "idle-identity"}
    assert {"aa-dev", "aa-ops-prod"} <= idle_names  # aa-ops-prod: last used two days ago
    assert "id-dev-ci" not in idle_names  # its last deployment, 20 hours ago


def test_activity_of_one_identity(tmp_path: Path) -> None:
    result = _mitui(["activity", "--identity", "id-github-deploy", "--since", "1h", "--format", "json"], tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["coverage"] == {"signIns": "ok", "activityLog": "ok", "directoryAudits": "ok"}
    assert "not recorded" in doc["note"]
    ops = [e["operation"] for e in doc["activity"] if e["source"] == "azure"]
    assert ops == ["Microsoft.Web/sites/restart/action", "Microsoft.Web/sites/write"]  # newest first
    times = [e["time"] for e in doc["activity"]]
    assert times == sorted(times, reverse=True)
    rows = list(csv.DictReader(io.StringIO(_mitui(["activity", "--identity", "id-github-deploy", "--since", "1h",
                                                   "--format", "csv"], tmp_path).stdout)))  # fmt: skip
    assert [r["operation"] for r in rows if r["source"] == "azure"] == ops
    table = _mitui(["activity", "--identity", "id-github-deploy", "--since", "24h"], tmp_path).stdout
    assert "Reads and data-plane use are not recorded by Azure." in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--identity", "nobody"], "no managed identity"),
        (["--identity", "aa-dev", "--since", "yesterday-ish"], "since"),
    ],
)
def test_activity_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = _mitui(["activity", *args], tmp_path)
    assert result.returncode in (1, 2)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr.lower()


@pytest.mark.parametrize(
    ("refused", "source"), [("signInActivity:licence", "signInActivity"), ("activityLog", "activityLog")]
)
def test_a_refused_source_is_reported_unknown(tmp_path: Path, refused: str, source: str) -> None:
    from mitui_processes import start_served, stop_served

    proc, conn = start_served(tmp_path / "emulator", "--refuse-usage", refused)
    try:
        flags = ["--arm-endpoint", conn.arm, "--credential", "managed-identity", "--ca-file", conn.ca_file]
        env = clean_env(
            {"IDENTITY_ENDPOINT": conn.identity_endpoint, "IDENTITY_HEADER": conn.identity_header}, tmp_path
        )

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "tui.cli", *args, *flags],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
            )  # fmt: skip

        inv = run("inventory", "--usage", "--format", "json")
        assert inv.returncode == 0, inv.stderr
        doc = json.loads(inv.stdout)
        assert doc["usageCoverage"][source].startswith("unavailable: ")
        assert all(i["usage"]["coverage"][source].startswith("unavailable") for i in doc["identities"])
        table = list(csv.DictReader(io.StringIO(run("inventory", "--usage", "--format", "csv").stdout)))
        mine = [r for r in table if not r["identity"].startswith("(")]
        assert mine and all(json.loads(r["coverage"])[source].startswith("unavailable: ") for r in mine)
        found = json.loads(run("findings", "--usage", "--format", "json").stdout)
        kinds = {f["kind"] for f in found["findings"]}
        assert "idle-identity" not in kinds  # unknown is never idle
        assert ("unused-right" in kinds) == (source != "activityLog")
        if source == "activityLog":
            act = run("activity", "--identity", "aa-ops-prod", "--since", "7d", "--format", "json")
            assert act.returncode == 3 and "activityLog" in act.stderr
            assert json.loads(act.stdout)["coverage"]["activityLog"].startswith("unavailable")
    finally:
        stop_served(proc)
