"""Under throttling and network faults the TUI loads the same panes as without them, showing the retries
(issue 6).

The sandbox tenant answers a fifth of ARM and Graph requests with 429 (Retry-After), 500, 503 or a dropped
connection; the app, through the real SDK clients, must end with exactly the rows and counts of a clean load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tui_pilot import DemoTenant, make_app

from tui.pilot import until_loaded
from tui.services.session import Session


class FaultyDemoTenant(DemoTenant):
    """The demo tenant with faults switched on once the session has signed in (sign-in has its own tests)."""

    def __init__(self, state_dir: Path, fault_rate: float, seed: int) -> None:
        super().__init__(state_dir=state_dir)
        self.fault_rate, self.seed = fault_rate, seed

    async def __call__(self) -> Session:
        session = await super().__call__()
        self.emulator.set_faults(self.fault_rate, seed=self.seed)
        return session


def _what_the_table_shows(screen: Any) -> list[tuple[str, ...]]:
    from tui.widgets.virtual_table import VirtualTable

    table = screen.query_one("#identities", VirtualTable)
    rows = []
    for row in table.visible_rows:
        shown = row.data  # what the row was drawn from: the identity and its counts
        rows.append((shown.identity.principal_id, shown.identity.name, str(shown.roles), str(shown.app_roles)))
    return sorted(rows)


async def _load(factory: DemoTenant) -> tuple[list[tuple[str, ...]], list[str], list[str]]:
    app = make_app(factory)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        shown = _what_the_table_shows(screen)
        problems = list(screen.inventory.problems)
        retries = list(screen.retries_shown)
    return shown, problems, retries


@pytest.mark.parametrize("seed", [6, 14])
async def test_the_same_panes_load_under_a_fifth_of_requests_failing(tmp_path: Path, seed: int) -> None:
    clean, clean_problems, clean_retries = await _load(DemoTenant(state_dir=tmp_path / "clean"))
    faulty = FaultyDemoTenant(tmp_path / "faulty", fault_rate=0.2, seed=seed)
    shown, problems, retries = await _load(faulty)
    injected = faulty.emulator.faults.injected_snapshot()

    assert clean and not clean_problems
    assert sum(injected.values()) > 0, "the emulator injected no fault: the test would prove nothing"
    assert problems == [], f"faults within the retry budget must not lose anything: {problems}"
    assert shown == clean
    # the user saw the retries happen (a status line per retried request), and none on the clean load
    assert clean_retries == []
    assert retries, f"{sum(injected.values())} faults injected but no retry shown"


class ResourceGraphDemoTenant(DemoTenant):
    """The demo tenant read through Resource Graph, whose query quota is small (3 queries per caller in 0.5 s)."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(
            state_dir=state_dir, emulator_kwargs={"resource_graph_quota": 3, "resource_graph_window_s": 0.5}
        )

    async def __call__(self) -> Session:
        session = await super().__call__()
        session.source = "resource-graph"
        return session


async def test_within_resource_graphs_query_quota_the_same_panes_load_and_the_wait_is_said(tmp_path: Path) -> None:
    clean, _, _ = await _load(DemoTenant(state_dir=tmp_path / "clean"))
    factory = ResourceGraphDemoTenant(tmp_path / "graph")
    app = make_app(factory)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        shown, problems, waits = _what_the_table_shows(screen), list(screen.inventory.problems), screen.waits_shown
        retries = list(screen.retries_shown)
    assert shown == clean and problems == [] and retries == []
    assert waits and all("query quota is spent" in w for w in waits)
    served = factory.emulator.stats.snapshot()["byRoute"]
    assert served["POST /providers/Microsoft.ResourceGraph/resources"] > 3  # (more than one window's worth)
