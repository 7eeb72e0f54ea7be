"""Helpers for the safety tests: `mitui inventory` subprocesses, the sandbox tenant's statistics and truth."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from mitui_processes import clean_env, start_served, stop_served  # noqa: F401  (re-exported for the safety tests)

from tui.emulator.server import Connection, Emulator
from tui.emulator.tenant import arm_key

ROOT = Path(__file__).resolve().parents[2]
WRITE_METHODS = ("PUT", "PATCH", "DELETE", "POST")
READ_POSTS = ("/directoryObjects/getByIds", "/$batch", "/token", "/_emulator/stats/reset")


def connection_flags(conn: Connection) -> list[str]:
    return ["--arm-endpoint", conn.arm, "--credential", "managed-identity", "--ca-file", conn.ca_file]


def identity_env(conn: Connection, header: str | None = None) -> dict[str, str]:
    return {"IDENTITY_ENDPOINT": conn.identity_endpoint, "IDENTITY_HEADER": header or conn.identity_header}


def run_inventory(
    args: list[str], env: dict[str, str] | None, state: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "inventory", *args],
        cwd=ROOT,
        env=clean_env(env, state),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=timeout,
    )


def stats(conn: Connection | Emulator, reset: bool = False) -> dict[str, Any]:
    c = conn.connection if isinstance(conn, Emulator) else conn
    ctx = ssl.create_default_context(cafile=c.ca_file)
    req = urllib.request.Request(
        c.arm + "/_emulator/stats" + ("/reset" if reset else ""), method="POST" if reset else "GET"
    )
    with urllib.request.urlopen(req, context=ctx) as resp:
        return json.loads(resp.read() or b"{}")


def write_requests(snapshot: dict[str, Any]) -> dict[str, int]:
    """The requests of a stats snapshot that change something (by route): PUT/PATCH/DELETE, and POSTs other
    than the read-only ones (getByIds, $batch of GETs, token requests)."""
    out = {}
    for route, n in snapshot["byRoute"].items():
        method, _, path = route.partition(" ")
        if method in WRITE_METHODS and not (method == "POST" and path.endswith(READ_POSTS)):
            out[route] = n
    return out


def assignments_of(emulator: Emulator, principal_id: str, scope: str | None = None) -> list[Any]:
    return [
        ra
        for ra in emulator.tenant.role_assignments.values()
        if ra.principal_id.lower() == principal_id.lower() and (scope is None or arm_key(ra.scope) == arm_key(scope))
    ]


def grants_of(emulator: Emulator, principal_id: str, app_role_id: str | None = None) -> list[Any]:
    return [
        g
        for g in emulator.tenant.app_role_assignments.values()
        if g.principal_id.lower() == principal_id.lower()
        and (app_role_id is None or g.app_role_id.lower() == app_role_id.lower())
    ]


def single_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Assert the run failed with ONE line on stderr and no traceback; return that line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, (result.returncode, result.stdout[:500], result.stderr[-2000:])
    assert len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Error:" not in lines[0].split("error:", 1)[0]
    return lines[0]


_PS_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell: any of these opens and closes a single-quoted string


def ps_tokens(command: str) -> list[str]:
    """Split a PowerShell command line into tokens as PowerShell's tokenizer reads single-quoted strings: any of the
    five single-quote characters opens and closes one; two in a row inside are one literal quote."""
    tokens, i, n = [], 0, len(command)
    while i < n:
        if command[i] == " ":
            i += 1
            continue
        if command[i] in _PS_QUOTES:
            i += 1
            buf = []
            while True:
                assert i < n, "unterminated string"
                c = command[i]
                if c in _PS_QUOTES:
                    if i + 1 < n and command[i + 1] in _PS_QUOTES:
                        buf.append(c)
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(c)
                i += 1
            assert i >= n or command[i] == " ", "a string ran into the next token"
            tokens.append("".join(buf))
        else:
            j = command.find(" ", i)
            j = n if j < 0 else j
            tokens.append(command[i:j])
            i = j
    return tokens
