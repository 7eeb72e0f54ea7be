"""The demo: the sandbox tenant started in-process, reached exactly as a custom cloud."""

from __future__ import annotations

import asyncio
from typing import Any

from tui.azure.connect import ConnectOptions, connect
from tui.services.session import Session


async def connect_demo(
    read_only: bool = False, *, audit_log: str | None = None, emulator: Any = None, **emulator_kwargs: Any
) -> Session:
    """Start the sandbox tenant (tui.emulator.server.Emulator) and connect to it: arm_endpoint = its ARM URL,
    managed-identity credential through its IDENTITY_ENDPOINT / IDENTITY_HEADER, its CA trusted.
    Closing the session stops the emulator.

    ``emulator``: one built by the caller and not yet started (to look at its stats or tenant while the session
    runs); it is then started and stopped here all the same. Otherwise one is built from ``emulator_kwargs``."""
    if emulator is None:
        from tui.emulator.server import Emulator

        emulator = Emulator(**emulator_kwargs)
    await asyncio.to_thread(emulator.start)
    try:
        session = await connect_emulator(emulator, read_only=read_only, demo=True, audit_log=audit_log)
    except BaseException:
        await asyncio.to_thread(emulator.stop)
        raise
    session.on_close(lambda: asyncio.to_thread(emulator.stop))
    return session


async def connect_emulator(
    emulator: Any, *, read_only: bool = False, demo: bool = False, audit_log: str | None = None, **backend_kwargs: Any
) -> Session:
    """Connect to a running sandbox tenant (anything with a ``.connection``) as a custom cloud."""
    conn = emulator.connection
    options = ConnectOptions(
        arm_endpoint=conn.arm,
        credential="managed-identity",
        ca_file=conn.ca_file,
        read_only=read_only,
        demo=demo,
        audit_log=audit_log,
    )
    env = {"IDENTITY_ENDPOINT": conn.identity_endpoint, "IDENTITY_HEADER": conn.identity_header}
    return await connect(options, env=env, **backend_kwargs)
