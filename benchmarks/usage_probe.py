"""The usage run: ``tui.services.usage.usage_of`` on the loaded inventory, cold (no cache: sign-in activity and 90
days of Activity Log from every subscription, paged) and then again with the on-disk cache the first run wrote (only
what is newer), each with the requests it cost. The second run decodes the cache files as a new process would (what
this process remembers of them is forgotten first): a later ``mitui inventory --usage`` pays that; the TUI, which
reads the usage again after each load, does not."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.emulator_process import EmulatorProcess, split_requests
from benchmarks.figures import Figures


async def measure_usage(emu: EmulatorProcess, fig: Figures) -> None:
    from tui.azure.connect import ConnectOptions, connect
    from tui.services.activity_cache import forget
    from tui.services.usage import ActivityCache, usage_of

    options = ConnectOptions(
        arm_endpoint=emu.conn["arm"], credential="managed-identity", ca_file=emu.conn["ca_file"], read_only=True
    )
    session = await connect(options, env=emu.env)
    try:
        inventory = await session.load_inventory()
        with tempfile.TemporaryDirectory(prefix="mitui-usage-") as tmp:
            cache = ActivityCache(Path(tmp))
            emu.reset_stats()
            t0 = time.perf_counter()
            report = await usage_of(inventory, session.backend, cache=cache)
            fig.usage_s = time.perf_counter() - t0
            fig.usage_requests = split_requests(emu.stats())[0]
            fig.usage_events = report.events
            for source, state in report.coverage.items():
                if state != "ok":
                    fig.checks.append(f"usage: {source} {state}")
            forget()
            emu.reset_stats()
            t0 = time.perf_counter()
            await usage_of(inventory, session.backend, cache=cache)
            fig.usage_incremental_s = time.perf_counter() - t0
            fig.usage_incremental_requests = split_requests(emu.stats())[0]
    finally:
        await session.close()
