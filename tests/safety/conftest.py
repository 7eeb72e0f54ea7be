"""Fixtures for the safety tests: sessions over the real SDKs against a sandbox tenant, and `mitui` subprocesses.

* ``safe_session(emulator, read_only=False)``: a Session connected exactly as `mitui --arm-endpoint ...
  --credential managed-identity --ca-file ...` would (real SDK clients, real HTTPS), with small retry delays.
* ``served_emulator(*flags)``: a `mitui emulator` subprocess with those flags; its Connection.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from safety_helpers import start_served, stop_served

from tui.azure.connect import ConnectOptions, connect
from tui.emulator.server import Connection, Emulator
from tui.services.session import Session


@pytest.fixture
async def safe_session(
    tmp_path: Path, managed_identity_env: Callable[[Emulator], None]
) -> AsyncIterator[Callable[..., Awaitable[Session]]]:
    opened: list[Session] = []

    async def open_session(emulator: Emulator, *, read_only: bool = False, **backend_kwargs: Any) -> Session:
        managed_identity_env(emulator)
        options = ConnectOptions(
            arm_endpoint=emulator.connection.arm,
            credential="managed-identity",
            ca_file=emulator.connection.ca_file,
            read_only=read_only,
            audit_log=str(tmp_path / f"audit-{len(opened)}.jsonl"),
        )
        session = await connect(options, **backend_kwargs)
        session.principal_retry_delays = (0.05, 0.1)
        opened.append(session)
        return session

    yield open_session
    for s in opened:
        await s.close()


@pytest.fixture
def served_emulator(tmp_path: Path) -> Iterator[Callable[..., Connection]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*flags: str) -> Connection:
        proc, conn = start_served(tmp_path / f"served-{len(procs)}", *flags)
        procs.append(proc)
        return conn

    yield start
    for p in procs:
        stop_served(p)
