"""Sessions connected to a sandbox tenant through tui.azure.connect, exactly as `mitui --arm-endpoint ...
--credential managed-identity --ca-file ...` would: real SDK clients over real HTTPS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tui.emulator.server import Emulator
from tui.services.session import Session


@pytest.fixture
async def demo_session(demo_emulator: Emulator, session_for: Callable[..., Awaitable[Session]]) -> Session:
    return await session_for(demo_emulator)
