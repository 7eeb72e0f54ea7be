"""Bad input: every way `mitui inventory` can be pointed wrong gives ONE line on stderr, a non-zero exit and no
traceback; malformed ids given to the Session's planners are refused before anything is sent.

The subprocess cases run concurrently (one `mitui inventory` each) to keep the suite fast; ``BAD_INPUTS`` counts
them for the closing note."""

from __future__ import annotations

import contextlib
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from safety_helpers import ROOT, clean_env, connection_flags, identity_env, stats

from tui.emulator.certs import issue_server_tls
from tui.emulator.server import Connection, Emulator
from tui.services.errors import InvalidInput
from tui.services.models import AppRole, ResourceApp

BAD_INPUTS: list[str] = []
UNKNOWN_SUB = "3b1e7c1e-0000-4000-8000-00000000dead"


@pytest.fixture(scope="module", autouse=True)
def _print_count() -> Iterator[None]:
    yield
    print(f"\n[safety] bad inputs tried: {len(BAD_INPUTS)}")


class _NotAzure(http.server.BaseHTTPRequestHandler):
    """An HTTPS server that is not Azure: HTML for everything, or JSON without the cloud's endpoints."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/json"):
            body, kind = b'{"name": "not a cloud", "authentication": {}}', "application/json"
        else:
            body, kind = b"<html><body>It works!</body></html>", "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _not_azure(tmp: Path) -> Iterator[tuple[str, str]]:
    tls = issue_server_tls(tmp / "not-azure")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAzure)
    server.socket = tls.ssl_context().wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", str(tls.ca_file)
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_inventory_bad_input_is_one_line(emulator_factory, tmp_path: Path) -> None:  # noqa: ANN001
    emu = emulator_factory()
    other = emulator_factory()  # the same tenant, but its tokens are signed with another secret
    nobody = emulator_factory(caller="id-legacy-unused")  # a managed identity with no rights at all
    conn, good = emu.connection, connection_flags(emu.connection)
    env = identity_env(conn)
    with _not_azure(tmp_path) as (not_azure, not_azure_ca):
        cases: dict[str, tuple[list[str], dict[str, str] | None, int | None, str]] = {
            # name: (args, environment, expected exit code (None: any non-zero), text expected in the line)
            "malformed subscription": ([*good, "--subscription", "not-a-guid"], env, 2, "subscription id"),
            "subscription with a quote": ([*good, "--subscription", f"{UNKNOWN_SUB}' or 1 eq 1"], env, 2, "GUID"),
            "empty subscription": ([*good, "--subscription", ""], env, 2, "subscription id"),
            "unknown subscription": ([*good, "--subscription", UNKNOWN_SUB], env, 3, UNKNOWN_SUB),
            "unknown format": ([*good, "--format", "yaml"], env, 2, "format"),
            "unknown cloud": (["--cloud", "mars"], env, 2, "cloud"),
            "closed port": (
                ["--arm-endpoint", f"https://127.0.0.1:{_closed_port()}", "--credential", "managed-identity"],
                env,
                1,
                "Cannot reach",
            ),
            "not a URL": (
                ["--arm-endpoint", "management dot azure", "--credential", "managed-identity"],
                env,
                None,
                "",
            ),
            "Graph given as ARM": (
                ["--arm-endpoint", conn.graph, "--credential", "managed-identity", "--ca-file", conn.ca_file],
                env,
                1,
                "metadata",
            ),
            "login authority given as ARM": (
                ["--arm-endpoint", conn.login, "--credential", "managed-identity", "--ca-file", conn.ca_file],
                env,
                1,
                "metadata",
            ),
            "a web server, not Azure": (
                ["--arm-endpoint", not_azure, "--credential", "managed-identity", "--ca-file", not_azure_ca],
                env,
                1,
                "metadata",
            ),
            "JSON without endpoints": (
                ["--arm-endpoint", not_azure + "/json", "--credential", "managed-identity", "--ca-file", not_azure_ca],
                env,
                1,
                "metadata",
            ),
            "untrusted certificate": (
                ["--arm-endpoint", conn.arm, "--credential", "managed-identity"],
                env,
                1,
                "trust",
            ),
            "the wrong CA": (
                ["--arm-endpoint", conn.arm, "--credential", "managed-identity", "--ca-file", not_azure_ca],
                env,
                1,
                "trust",
            ),
            "CA file missing": (
                ["--arm-endpoint", conn.arm, "--credential", "managed-identity", "--ca-file", str(tmp_path / "no.pem")],
                env,
                None,
                "CA file",
            ),
            "CA file not a certificate": (
                ["--arm-endpoint", conn.arm, "--credential", "managed-identity", "--ca-file", str(ROOT / "README.md")],
                env,
                None,
                "CA file",
            ),
            "no managed identity here": (good, None, 1, "Sign-in failed"),
            "wrong IDENTITY_HEADER": (good, identity_env(conn, header="not-the-header"), 1, "Sign-in failed"),
            "token signed by another tenant": (good, identity_env(other.connection), 1, "token"),
            "caller without rights": (
                connection_flags(nobody.connection),
                identity_env(nobody.connection),
                3,
                "denied",
            ),
        }
        runs = {
            name: subprocess.Popen(
                [sys.executable, "-m", "tui.cli", "inventory", *args],
                cwd=ROOT,
                env=clean_env(extra, tmp_path),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, (args, extra, _, _) in cases.items()
        }
        results = {name: proc.communicate(timeout=180) for name, proc in runs.items()}
    failures = []
    for name, (_, _, code, text) in cases.items():
        out, err = results[name]
        rc = runs[name].returncode
        lines = err.strip().splitlines()
        ok = (
            rc != 0
            and (code is None or rc == code)
            and len(lines) == 1
            and "Traceback" not in err
            and lines[0].startswith("mitui")
            and text.lower() in lines[0].lower()
            and (rc == 3 or out == "")
        )
        if not ok:
            failures.append(f"{name}: exit {rc}, stderr {err[-600:]!r}")
        BAD_INPUTS.append(name)
    assert not failures, "\n".join(failures)


def test_emulator_bad_flags_are_one_line(tmp_path: Path) -> None:
    for flags in (["--replication-delay-s", "-1"], ["--fault-rate", "2"], ["--scale", "x"], ["--caller", "nobody"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", "emulator", "--state-dir", str(tmp_path), *flags],
            cwd=ROOT,
            env=clean_env(state=tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, (flags, result.stderr)
        BAD_INPUTS.append("mitui emulator " + " ".join(flags))


@pytest.mark.asyncio(loop_scope="session")
async def test_planners_refuse_malformed_ids_before_sending(demo_emulator: Emulator, session_for) -> None:  # noqa: ANN001
    session = await session_for(demo_emulator)
    inv = await session.load_inventory()
    ident = next(i for i in inv.identities if i.name == "id-legacy-unused")
    sub = inv.subscriptions[0].scope
    reader = next(r for r in await session.role_definitions(sub) if r.role_name == "Reader")
    graph = await session.resource_app()
    role = graph.app_roles[0]
    bad_scopes = [
        "",
        "subscriptions/x",
        "/subscriptions/not-a-guid",
        f"{sub}/../..",
        f"{sub}?api-version=1",
        f"{sub}#x",
        f"{sub}/resourceGroups/rg\x1b[31m",
        f"{sub}/resourceGroups/a%2F..",
        "/tenants/x",
        f"{sub}\\resourceGroups\\rg",
    ]
    bad_role_ids = ["", "Reader", reader.id + "' or 1 eq 1", reader.id.replace("roleDefinitions", "roleAssignments")]
    bad_role_ids += ["../" + reader.name, f"{sub}/providers/Microsoft.Authorization/roleDefinitions/not-a-guid"]
    bad_guids = ["", "x", "11111111-2222-3333-4444-55555555555", "11111111-2222-3333-4444-555555555555' or 1 eq 1"]
    before = stats(demo_emulator)["total"]
    tried = []
    for scope in bad_scopes:
        tried.append(("scope", scope))
        with pytest.raises(InvalidInput) as err:
            await session.plan_role_assignment(ident, reader, scope)
        assert err.value.title and "\n" not in err.value.one_line()
    for rid in bad_role_ids:
        tried.append(("role id", rid))
        with pytest.raises(InvalidInput):
            await session.plan_role_assignment(ident, replace(reader, id=rid), sub)
    for g in bad_guids:
        tried.append(("app role id", g))
        with pytest.raises(InvalidInput):
            await session.plan_app_role_grant(ident, graph, AppRole(id=g, value=role.value))
        tried.append(("resource app id", g))
        with pytest.raises(InvalidInput):
            await session.plan_app_role_grant(ident, ResourceApp(id=g, app_id=graph.app_id, display_name="x"), role)
        tried.append(("principal id", g))
        with pytest.raises(InvalidInput):
            await session.plan_role_assignment(replace(ident, principal_id=g), reader, sub)
        with pytest.raises(InvalidInput):
            await session.resource_app(g or "x")
    assert stats(demo_emulator)["total"] == before  # nothing was sent
    BAD_INPUTS.extend(f"{kind}: {value!r}" for kind, value in tried)


def test_connection_is_not_needed_for_flag_errors(tmp_path: Path) -> None:
    """Flag errors are reported before any connection is attempted (no emulator at all here)."""
    _ = Connection  # (the type of what the other tests connect to)
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "inventory", "--subscription", "x", "--arm-endpoint", "https://127.0.0.1:9"],
        cwd=ROOT,
        env=clean_env(state=tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    BAD_INPUTS.append("flag error before connecting")
