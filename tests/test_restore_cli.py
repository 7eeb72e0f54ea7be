"""`mitui restore FILE`: the restore file a containment wrote, replayed through the command (its flags parsed by the
real parser) against a fresh sandbox tenant over real HTTPS; the identity's rights compared before and after."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tui.azure.connect import ConnectOptions, connect
from tui.cli import parse_args
from tui.commands import restore
from tui.emulator.server import Emulator
from tui.services.joins import definition_guid
from tui.services.models import Inventory
from tui.services.scopes import scope_key
from tui.services.session import Session


def _factory(emulator: Emulator, audit: Path, *, read_only: bool = False) -> Callable[[], Awaitable[Session]]:
    async def open_session() -> Session:
        options = ConnectOptions(
            arm_endpoint=emulator.connection.arm,
            credential="managed-identity",
            ca_file=emulator.connection.ca_file,
            read_only=read_only,
            audit_log=str(audit),
        )
        return await connect(options)

    return open_session


def _rights(inv: Inventory, name: str) -> dict[str, set[tuple]]:
    ident = next(i for i in inv.identities if i.name == name)
    return {
        "roles": {
            (definition_guid(r.role_definition_id), scope_key(r.scope), r.condition, r.description)
            for r in inv.roles_of(ident)
            if r.via is None
        },
        "app roles": {(g.resource_id.lower(), g.app_role_id.lower()) for g in inv.app_roles_of(ident)},
        "directory roles": {
            (d.role_definition_id.lower(), d.directory_scope_id) for d in inv.directory_roles_of(ident)
        },
    }


async def _contain(open_session: Callable[[], Awaitable[Session]], name: str) -> tuple[dict, Path]:
    session = await open_session()
    try:
        inv = await session.load_inventory()
        before = _rights(inv, name)
        ident = next(i for i in inv.identities if i.name == name)
        results = await session.contain(await session.plan_containment(ident, inv))
        assert results.ok and results.restore_file is not None
        return before, results.restore_file
    finally:
        await session.close()


async def _now(open_session: Callable[[], Awaitable[Session]], name: str) -> dict:
    session = await open_session()
    try:
        return _rights(await session.load_inventory(), name)
    finally:
        await session.close()


@pytest.mark.parametrize("name", ["id-dev-ci", "aa-ops-prod"])
def test_restore_puts_back_what_containment_removed(
    emulator_factory, managed_identity_env, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:  # noqa: ANN001
    emu = emulator_factory()
    managed_identity_env(emu)
    open_session = _factory(emu, tmp_path / "audit.jsonl")
    before, path = asyncio.run(_contain(open_session, name))
    assert path.parent == tmp_path
    gone = asyncio.run(_now(open_session, name))
    assert gone == {k: set() for k in before}

    # --dry-run: the plan and its commands, nothing sent
    assert restore.run(parse_args(["restore", str(path), "--dry-run"]), open_session) == 0
    out = capsys.readouterr()
    assert out.err == "" and "az role assignment create" in out.out and "[to add]" in out.out
    assert "New-AzRoleAssignment" in out.out
    assert asyncio.run(_now(open_session, name)) == gone

    # not on a terminal, no --yes: refused with one line
    assert restore.run(parse_args(["restore", str(path)]), open_session) == 2
    err = capsys.readouterr().err
    assert err.startswith("mitui restore: error: not a terminal") and len(err.strip().splitlines()) == 1

    assert restore.run(parse_args(["restore", str(path), "--yes"]), open_session) == 0
    out = capsys.readouterr().out
    assert f"{sum(len(v) for v in before.values())} of {sum(len(v) for v in before.values())} rights are back" in out
    assert asyncio.run(_now(open_session, name)) == before
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    adds = [e for e in audit if e["event"] == "outcome" and e["action"] in ("assign-role", "grant-app-role")]
    assert len(adds) == sum(len(v) for v in before.values()) and {e["result"] for e in adds} == {"applied"}

    # again: everything already there, nothing to do
    assert restore.run(parse_args(["restore", str(path), "--yes"]), open_session) == 0
    assert "already there, skipped" in capsys.readouterr().out


def test_bad_file_other_tenant_and_read_only(
    emulator_factory, managed_identity_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    emu = emulator_factory()
    managed_identity_env(emu)
    open_session = _factory(emu, tmp_path / "audit.jsonl")
    _, path = asyncio.run(_contain(open_session, "id-dev-ci"))

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    assert restore.run(parse_args(["restore", str(bad)]), open_session) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mitui restore: error: Not a mitui restore file: {bad}") and err.count("\n") == 1

    assert restore.run(parse_args(["restore", str(tmp_path / "missing.json")]), open_session) == 1
    assert "Cannot read" in capsys.readouterr().err

    other = tmp_path / "other.json"
    other.write_text(json.dumps({**json.loads(path.read_text()), "tenantId": "00000000-0000-0000-0000-000000000001"}))
    assert restore.run(parse_args(["restore", str(other), "--yes"]), open_session) == 1
    err = capsys.readouterr().err
    assert "is for tenant 00000000-0000-0000-0000-000000000001" in err and err.count("\n") == 1

    read_only = _factory(emu, tmp_path / "audit.jsonl", read_only=True)
    assert restore.run(parse_args(["--read-only", "restore", str(path), "--yes"]), read_only) == 1
    assert "Read-only mode" in capsys.readouterr().err
    assert asyncio.run(_now(open_session, "id-dev-ci")) == {
        "roles": set(),
        "app roles": set(),
        "directory roles": set(),
    }


def test_dispatched_by_the_mitui_command(tmp_path: Path) -> None:
    """`mitui restore` reaches the command through tui.cli and tui.launch (a bad file: one line, exit 1)."""
    import subprocess
    import sys

    from mitui_processes import ROOT, clean_env

    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--demo", "restore", str(bad), "--dry-run"],
        cwd=ROOT,
        env=clean_env({}, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f'mitui restore: error: Not a mitui restore file: {bad} — "format" is not "mitui-restore/1"\n'
