"""Under throttling and network faults the inventory is exactly what it is without them."""

from __future__ import annotations

import pytest
from service_helpers import emulator_stats

from tui.commands.inventory import to_json
from tui.emulator.faults import FaultPlan

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("seed", [6, 10])
async def test_inventory_survives_faults(emulator_factory, session_for, seed: int) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    emu.stats.reset()
    clean = to_json(await session.load_inventory())
    assert emulator_stats(emu)["total"] > 0
    emu.stats.reset()
    emu.set_faults(0.2, seed=seed)  # 429 with Retry-After, 500, 503 and dropped connections
    try:
        faulty = to_json(await session.load_inventory())
    finally:
        emu.set_faults(0.0)
    # replay the deterministic fault plan over the requests it saw: faults were injected (and survived)
    replay = FaultPlan(rate=0.2, seed=seed)
    injected = sum(replay.next_fault(False) is not None for _ in range(emu.faults._counter))
    assert injected >= 1
    assert faulty["problems"] == []
    assert faulty == clean
