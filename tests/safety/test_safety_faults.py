"""Under throttling and network faults the inventory is exactly what it is without them; a fault that outlasts
the retries is reported with what is missing (exit code 3, one line on stderr, "problems" in the output), never
silently dropped.

Faults are counted by the sandbox tenant itself (``/_emulator/stats`` → ``faults``); the totals go to
``FAULT_TALLY`` and are printed at the end of the module (for the closing note)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from safety_helpers import (
    ROOT,
    clean_env,
    connection_flags,
    identity_env,
    run_inventory,
    start_served,
    stats,
    stop_served,
)

from tui.commands.common import EXIT_PARTIAL
from tui.commands.inventory import to_json
from tui.emulator.server import Connection

session_loop = pytest.mark.asyncio(loop_scope="session")

FAULT_TALLY: Counter[str] = Counter()
# seeds whose first requests draw several faults of every kind (the demo inventory is only ~14 requests)
CLI_SEEDS = (18, 43, 78)
SESSION_SEEDS = (19, 59)


@pytest.fixture(scope="module", autouse=True)
def _print_tally() -> object:
    yield
    print(f"\n[safety] faults injected and survived: {sum(FAULT_TALLY.values())} {dict(FAULT_TALLY)}")


def _popen_inventory(conn: Connection, state: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "inventory", *connection_flags(conn), *args],
        cwd=ROOT,
        env=clean_env(identity_env(conn), state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_inventory_under_faults_equals_the_clean_one(tmp_path: Path) -> None:
    """`mitui inventory --format json` against `mitui emulator --fault-rate 0.2 --seed N` (subprocesses)."""
    servers = [start_served(tmp_path / "clean")]
    servers += [
        start_served(tmp_path / f"seed-{seed}", "--fault-rate", "0.2", "--seed", str(seed)) for seed in CLI_SEEDS
    ]
    try:
        runs = [_popen_inventory(conn, tmp_path, "--format", "json") for _, conn in servers]
        outputs = [p.communicate(timeout=240) for p in runs]
        for p, (_out, err) in zip(runs, outputs, strict=True):
            assert p.returncode == 0, err[-2000:]
            assert err == ""
        clean = json.loads(outputs[0][0])
        assert clean["problems"] == [] and len(clean["identities"]) >= 20
        injected = []
        for (_, conn), (out, _) in zip(servers[1:], outputs[1:], strict=True):
            faulty = json.loads(out)
            assert faulty == clean  # nothing lost, nothing duplicated, nothing reordered
            faults = stats(conn)["faults"]
            injected.append(sum(faults.values()))
            FAULT_TALLY.update(faults)
        assert all(n >= 3 for n in injected), injected  # every seed really injected faults (and they were survived)
        assert {"429", "500", "503", "drop"} <= set(FAULT_TALLY), FAULT_TALLY
        assert stats(servers[0][1])["faults"] == {}
    finally:
        for proc, _ in servers:
            stop_served(proc)


@session_loop
@pytest.mark.parametrize("seed", SESSION_SEEDS)
async def test_session_inventory_under_faults_equals_the_clean_one(emulator_factory, session_for, seed: int) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    clean = to_json(await session.load_inventory())
    stats(emu, reset=True)
    emu.set_faults(0.2, seed=seed)  # 429 with Retry-After, 500, 503 and dropped connections
    try:
        faulty = to_json(await session.load_inventory())
    finally:
        emu.set_faults(0.0)
    faults = stats(emu)["faults"]
    assert sum(faults.values()) >= 2, faults
    FAULT_TALLY.update(faults)
    assert faulty["problems"] == []
    assert faulty == clean


@session_loop
@pytest.mark.parametrize(
    ("routes", "kind", "missing"),
    [
        (("$batch",), "500", "App role grants"),  # Graph: every batched read of the grants fails
        (("/servicePrincipals",), "drop", "Managed identities from Microsoft Graph"),
    ],
)
async def test_a_fault_past_the_retries_is_reported(
    emulator_factory, session_for, routes: tuple[str, ...], kind: str, missing: str
) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    clean = await session.load_inventory()
    emu.set_faults(1.0, seed=0, kinds=(kind,), routes=routes)
    try:
        partial = await session.load_inventory()
    finally:
        emu.set_faults(0.0)
    assert partial.problems, "a failed read was silently dropped"
    assert any(p.startswith(missing) for p in partial.problems), partial.problems
    # what could be read is still there
    assert {s.id for s in partial.subscriptions} == {s.id for s in clean.subscriptions}
    assert stats(emu)["faults"].get(kind, 0) >= 2


def test_cli_partial_result_is_marked_and_exits_3(emulator_factory, tmp_path: Path) -> None:
    """A fault past the retries: the output is written, marked incomplete in every format, ONE line on stderr,
    exit code 3."""
    emu = emulator_factory()
    conn = emu.connection
    emu.set_faults(1.0, seed=0, kinds=("500",), routes=("$batch",))
    runs = {
        fmt: _popen_inventory(conn, tmp_path, "--format", fmt, "--output", str(tmp_path / f"inv.{fmt}"))
        for fmt in ("json", "csv", "table")
    }
    for fmt, proc in runs.items():
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == EXIT_PARTIAL, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err
        # (the first problem is named; which of the failing reads fails first is a race)
        assert lines[0].startswith("mitui inventory: error: incomplete")
        assert "App role grants" in lines[0] or "listed in the output" in lines[0]
        text = (tmp_path / f"inv.{fmt}").read_text()
        if fmt == "json":
            data = json.loads(text)
            assert any(p.startswith("App role grants") for p in data["problems"])
            assert data["identities"]
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(text)))
            problems = [r for r in rows if r["rightType"] == "problem"]
            assert problems and all(p["identity"] == "(could not be read)" for p in problems)
            # every $batch read fails (grants, group members): which is listed first is a race
            assert any(p["right"].startswith("App role grants") for p in problems)
        else:
            assert "Could not be read:" in text and "App role grants" in text
    FAULT_TALLY.update({f"{k} (past the retries, reported)": v for k, v in stats(emu)["faults"].items()})


def test_cli_total_outage_is_one_line(tmp_path: Path) -> None:
    """Every ARM and Graph request answered 503: `mitui inventory` gives up after its retries with one line."""
    proc, conn = start_served(tmp_path / "down", "--fault-rate", "1.0", "--seed", "4")
    try:
        result = run_inventory([*connection_flags(conn), "--format", "json"], identity_env(conn), tmp_path)
    finally:
        stop_served(proc)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout == ""
