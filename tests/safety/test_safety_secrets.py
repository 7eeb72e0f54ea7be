"""Secrets: no token (nor the managed-identity header secret) in logs, the audit log, exports or error messages.

In-process, the Session's own tokens are known exactly (its credential caches them) and every log record of the
SDKs at DEBUG is captured; in a subprocess, every output is searched for anything shaped like a JWT."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from safety_helpers import connection_flags, identity_env, run_inventory

from tui.azure.connect import ConnectOptions, connect
from tui.commands.inventory import render
from tui.services.errors import MituiError

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")
LOGGERS = ("azure", "httpx", "httpcore", "msgraph", "kiota_http", "kiota_abstractions", "msal", "aiohttp", "tui")


def _assert_clean(where: str, text: str, secrets: list[str]) -> None:
    for s in secrets:
        assert s not in text, f"a secret leaked into {where}"
    assert not JWT.search(text), f"a token-shaped string in {where}: {JWT.search(text)}"
    assert "Bearer ey" not in text


@pytest.mark.asyncio(loop_scope="session")
async def test_no_token_in_logs_audit_exports_or_errors(
    emulator_factory, managed_identity_env, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    emu = emulator_factory()
    dana = emulator_factory(caller="Dana Developer")  # her writes fail with 403: error messages are produced
    texts: dict[str, str] = {}
    secrets: list[str] = [emu.connection.identity_header, dana.connection.identity_header]
    for e in (emu, dana):
        managed_identity_env(e)
        session = await connect(
            ConnectOptions(
                arm_endpoint=e.connection.arm,
                credential="managed-identity",
                ca_file=e.connection.ca_file,
                audit_log=str(tmp_path / f"audit-{len(texts)}.jsonl"),
            )
        )
        session.principal_retry_delays = (0.01,)
        try:
            cloud = session.backend.cloud
            for scope in (cloud.arm_scope, cloud.graph_scope):
                secrets.append((await session.backend.credential.get_token(scope)).token)
            inv = await session.load_inventory()
            for fmt in ("json", "csv", "table"):
                texts[f"{fmt} export"] = texts.get(f"{fmt} export", "") + render(inv, fmt)
            ident = next(i for i in inv.identities if i.name == "id-legacy-unused")
            sub = next(s.scope for s in inv.subscriptions if s.display_name == "Contoso Development")
            reader = next(r for r in await session.role_definitions(sub) if r.role_name == "Reader")
            graph = await session.resource_app()
            role = next(r for r in graph.app_roles if r.value == "User.Read.All")
            changes = [
                await session.apply(await session.plan_role_assignment(ident, reader, sub)),
                await session.apply(await session.plan_app_role_grant(ident, graph, role)),
            ]
            texts["change messages"] = texts.get("change messages", "") + "\n".join(
                f"{c.outcome} {c.message} {c.error!r} {c.error.one_line() if c.error else ''}" for c in changes
            )
            if e is dana:
                assert {c.outcome for c in changes} == {"failed"}
            try:
                await session.resource_app("00000000-0000-0000-0000-000000000001")
            except MituiError as err:
                texts["error messages"] = texts.get("error messages", "") + f"{err!r} {err.one_line()}"
            texts["audit log"] = texts.get("audit log", "") + session.audit.path.read_text()
        finally:
            await session.close()
    # a rejected sign-in's message
    managed_identity_env(emu)
    import os

    os.environ["IDENTITY_HEADER"] = "wrong-" + emu.connection.identity_header
    secrets.append(os.environ["IDENTITY_HEADER"])
    with pytest.raises(MituiError) as failed:
        await connect(
            ConnectOptions(
                arm_endpoint=emu.connection.arm, credential="managed-identity", ca_file=emu.connection.ca_file
            )
        )
    texts["sign-in error"] = f"{failed.value!r} {failed.value.one_line()} {failed.value.hint}"
    texts["logs"] = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert len(caplog.records) > 10  # the SDKs did log (at DEBUG): the check below has something to check
    assert sum(1 for s in secrets if JWT.match(s)) == 4  # the four tokens really were captured
    for where, text in texts.items():
        _assert_clean(where, text, secrets)


def test_no_token_in_cli_outputs(emulator_factory, tmp_path: Path) -> None:  # noqa: ANN001
    emu = emulator_factory()
    conn = emu.connection
    out_file = tmp_path / "inventory.json"
    env = {**identity_env(conn), "AZURE_LOG_LEVEL": "debug"}  # even when the user turns the SDK's logging up
    runs = [
        run_inventory([*connection_flags(conn), "--format", "json", "--output", str(out_file)], env, tmp_path),
        run_inventory([*connection_flags(conn), "--format", "table"], env, tmp_path),
        run_inventory(connection_flags(conn), identity_env(conn, header="wrong-header"), tmp_path),
    ]
    assert [r.returncode for r in runs] == [0, 0, 1]
    secrets = [conn.identity_header, "wrong-header"]
    for i, r in enumerate(runs):
        _assert_clean(f"run {i} stdout", r.stdout, secrets)
        _assert_clean(f"run {i} stderr", r.stderr, secrets)
    _assert_clean("the output file", out_file.read_text(), secrets)
    # the runs' state, cache and config dirs: no token cache, no log with one (the emulator's own dir is not mitui's)
    for f in [p for d in tmp_path.glob("xdg-*") for p in d.rglob("*")]:
        if f.is_file() and f.stat().st_size < 5_000_000:
            _assert_clean(str(f), f.read_text(errors="replace"), secrets)
