"""Snapshot tests (pytest-textual-snapshot) of the main screens on the demo tenant, at 80×24 and 160×48.

Deterministic: the demo tenant's ids derive from its seed, nothing on screen shows a clock, and every step waits
for the workers. Update after looking at the result: ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.widgets.virtual_table import VirtualTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


async def _on(pilot: Any, name: str) -> None:
    app = pilot.app
    await until_loaded(app, pilot)
    table = app.screen.query_one("#identities", VirtualTable)
    table.move_to_key(next(row.key for row in table.rows if row.data.identity.name == name))
    table.focus()
    await settle(app, pilot)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await _on(pilot, "aa-ops-prod")

    assert snap_compare(make_app(DemoTenant(state_dir=tmp_path)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_role_picker(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await _on(pilot, "id-orders-shared")
        await pilot.press("a")
        await settle(pilot.app, pilot)
        await pilot.press(*"key", "space", *"vault")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(DemoTenant(state_dir=tmp_path)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_confirmation_dialog(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await _on(pilot, "id-dev-tests")
        await pilot.press("a")
        await settle(pilot.app, pilot)
        await pilot.press(*"Owner", "enter")
        await settle(pilot.app, pilot)
        await pilot.press("enter")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(DemoTenant(state_dir=tmp_path)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_app_roles_screen(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await until_loaded(pilot.app, pilot)
        await pilot.press("p")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(DemoTenant(state_dir=tmp_path)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_automation_screen(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    from tui.screens.automation import AutomationScreen

    async def run_before(pilot: Any) -> None:
        await _on(pilot, "id-orders-shared")  # not an account's identity: the view opens on the first account
        await pilot.press("A")
        for _ in range(300):
            await settle(pilot.app, pilot, 1)
            screen = pilot.app.screen
            if isinstance(screen, AutomationScreen) and screen.accounts and not screen.workers:
                break
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(DemoTenant(state_dir=tmp_path)), terminal_size=size, run_before=run_before)
