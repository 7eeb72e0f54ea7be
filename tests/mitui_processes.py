"""Running mitui as a user's script would: `mitui emulator` in a subprocess, and an environment free of the
machine's own Azure credentials and CA settings. Shared by the CLI and safety tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tui.emulator.server import Connection

ROOT = Path(__file__).resolve().parents[1]


def clean_env(extra: dict[str, str] | None = None, state: Path | None = None) -> dict[str, str]:
    """The environment without any Azure credential or CA settings of the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))}
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR"):
        env.pop(name, None)
    if state is not None:
        env["XDG_STATE_HOME"] = str(state / "xdg-state")
        env["XDG_CACHE_HOME"] = str(state / "xdg-cache")
        env["XDG_CONFIG_HOME"] = str(state / "xdg-config")
    env.update(extra or {})
    return env


def start_served(state: Path, *flags: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """Start `mitui emulator --state-dir STATE *flags` and wait for its connection.json."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "emulator", "--state-dir", str(state), *flags],
        cwd=ROOT,
        env=clean_env(state=state),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    conn_file = state / "connection.json"
    deadline = time.monotonic() + 60
    while not conn_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.stderr.read() if proc.stderr else b""
            raise RuntimeError("mitui emulator did not start: " + err.decode()[-2000:])
        time.sleep(0.05)
    return proc, Connection.from_json(conn_file.read_text())


def stop_served(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
