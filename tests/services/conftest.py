"""Sessions connected to a sandbox tenant through tui.azure.connect, exactly as `mitui --arm-endpoint ...
--credential managed-identity --ca-file ...` would: real SDK clients over real HTTPS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tui.azure.connect import ConnectOptions, connect
from tui.emulator.server import Emulator
from tui.services.session import Session

SessionFactory = Callable[..., Awaitable[Session]]


@pytest.fixture
async def session_for(
    tmp_path: Path, managed_identity_env: Callable[[Emulator], None]
) -> AsyncIterator[SessionFactory]:
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
async def demo_session(demo_emulator: Emulator, session_for: SessionFactory) -> Session:
    return await session_for(demo_emulator)
