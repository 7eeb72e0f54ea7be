"""`mitui emulator` as a real subprocess: ready line, connection.json, SDK traffic, clean exit on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from azure.identity.aio import ManagedIdentityCredential

ROOT = Path(__file__).resolve().parents[2]


def _start(state_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "emulator", "--state-dir", str(state_dir), "--arm-port", "0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def test_standalone_emulator_serves_the_sdks_and_stops_cleanly(tmp_path, monkeypatch):
    from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

    proc = _start(tmp_path, "--latency-ms", "0", "--seed", "3")
    try:
        line = proc.stdout.readline()
        assert "ready" in line and str(tmp_path / "connection.json") in line, line
        conn = json.loads((tmp_path / "connection.json").read_text())
        assert set(conn) == {"arm", "graph", "login", "identity_endpoint", "identity_header", "ca_file", "tenant_id"}
        assert conn["ca_file"] == str((tmp_path / "ca.pem").resolve())
        monkeypatch.setenv("IDENTITY_ENDPOINT", conn["identity_endpoint"])
        monkeypatch.setenv("IDENTITY_HEADER", conn["identity_header"])
        monkeypatch.delenv("AZURE_CLIENT_ID", raising=False)
        async with (
            ManagedIdentityCredential() as cred,
            SubscriptionClient(cred, base_url=conn["arm"], connection_verify=conn["ca_file"]) as client,
        ):
            subs = [s async for s in client.subscriptions.list()]
        assert subs and all(s.tenant_id == conn["tenant_id"] for s in subs)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out == ""  # exactly one line when ready, nothing else


def test_bad_flags_answer_one_line_and_exit_2(tmp_path):
    for flags in (["--fault-rate", "2"], ["--scale", "5"], ["--arm-port", "99999"]):
        proc = subprocess.run(
            [sys.executable, "-m", "tui.cli", "emulator", "--state-dir", str(tmp_path), *flags],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, flags
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stdout == ""


def test_unknown_caller_is_refused(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", "emulator", "--state-dir", str(tmp_path), "--caller", "Nobody At All"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Nobody At All" in proc.stderr
