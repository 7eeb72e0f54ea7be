"""The Activity view (`u` on an identity, issue #19): its timeline newest first with coverage and the note that reads
are not recorded, a filter by time and words, and the right-size applied with the keyboard only: confirm the narrow
right, then the removal of the broad one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_flows import select_identity, type_text
from test_hostile import HOSTILE, _no_controls
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.activity import NOT_RECORDED, ActivityScreen
from tui.screens.confirm import ConfirmScreen
from tui.widgets.virtual_table import VirtualTable


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


async def _open(app: Any, pilot: Any, name: str) -> ActivityScreen:
    await until_loaded(app, pilot)
    await select_identity(app, pilot, name)
    await pilot.press("u")
    for _ in range(100):
        await settle(app, pilot, 1)
        screen = app.screen
        if (
            isinstance(screen, ActivityScreen)
            and screen.timeline is not None
            and "Right size" in str(screen.query_one("#activity-right-size").render())
        ):
            return screen
    raise AssertionError("the Activity view did not finish reading")


def _cells(screen: ActivityScreen) -> list[list[str]]:
    return [[c.plain for c in row.cells] for row in screen.query_one("#activity-table", VirtualTable).visible_rows]


async def test_activity_view_filters_and_right_sizes_with_the_keyboard(tmp_path: Path) -> None:
    demo = DemoTenant(state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open(app, pilot, "aa-ops-prod")
        assert NOT_RECORDED in str(screen.query_one("#activity-note").render())
        assert "activityLog: ok" in str(screen.query_one("#activity-coverage").render())
        assert _cells(screen) == []  # nothing in the last 24 hours
        await pilot.press("slash", *["backspace"] * 9)
        await type_text(pilot, "since:7d restart")
        await pilot.press("enter")
        await settle(app, pilot)
        rows = _cells(screen)
        assert rows and all(r[2] == "Microsoft.Compute/virtualMachines/restart/action" for r in rows)
        times = [r[0] for r in rows]
        assert times == sorted(times, reverse=True)
        assert "vm-batch-prod-01" in str(screen.query_one("#activity-right-size").render())
        broad = next(
            a
            for a in demo.emulator.tenant.role_assignments.values()
            if a.principal_id == screen.identity.principal_id and a.scope.count("/") == 2
        )
        await pilot.press("z")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)  # the narrow right first, Cancel focused
        await pilot.press("tab", "enter")
        await settle(app, pilot, 5)
        assert isinstance(app.screen, ConfirmScreen)  # then the removal of the broad one
        await pilot.press("tab", "enter")
        await settle(app, pilot, 5)
        held = [a for a in demo.emulator.tenant.role_assignments.values() if a.principal_id == broad.principal_id]
        assert broad.name not in {a.name for a in held}
        assert any("virtualmachines/vm-batch-prod-01" in a.scope.lower() for a in held)


async def test_escape_changes_nothing_and_read_only_cannot_right_size(tmp_path: Path) -> None:
    demo = DemoTenant(read_only=True, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open(app, pilot, "aa-ops-prod")
        await pilot.press("z")
        await settle(app, pilot)
        assert app.screen is screen  # read-only: nothing to confirm
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ActivityScreen)
        assert demo.writes() == 0


async def test_hostile_operations_and_resources_stay_literal(tmp_path: Path) -> None:
    demo = DemoTenant(tenant=HOSTILE, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        main = await until_loaded(app, pilot)
        table = main.query_one("#identities", VirtualTable)
        row = next(iter(table.rows))
        identity = row.data.identity
        tenant = demo.emulator.tenant
        hostile = "[@click=app.quit]x[/]\x1b[31m\u202eevil/action"
        tenant.activity.record_operation(
            tenant_id=tenant.tenant_id,
            claims={"oid": identity.principal_id, "appid": identity.client_id},
            caller=identity.principal_id,
            operation=hostile,
            resource_id=f"/subscriptions/{main.inventory.subscriptions[0].id}/resourceGroups/[bold]rg\x07/x",
            method="POST",
            status_code=200,
        )
        table.move_to_key(row.key)
        await pilot.press("u")
        for _ in range(100):
            await settle(app, pilot, 1)
            if isinstance(app.screen, ActivityScreen) and _cells(app.screen):
                break
        texts = [c for r in _cells(app.screen) for c in r]
        assert any("[@click=app.quit]" in t for t in texts) and all(_no_controls(t) for t in texts)
        assert app.is_running


async def test_last_used_column_and_the_used_filter(tmp_path: Path) -> None:
    from tui.services.usage import UsageReport

    demo = DemoTenant(state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(180, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        await settle(app, pilot)  # the usage is read after the rows are shown
        assert isinstance(screen.inventory.usage, UsageReport)
        # its progress was said, subscription by subscription, up to every readable one; then the status is clean
        shown = screen.usage_progress_shown
        readable = len(screen.inventory.subscriptions)
        assert shown and shown[-1][0] == shown[-1][1] and 0 < shown[-1][1] <= readable, shown
        assert [d for d, _ in shown] == sorted(d for d, _ in shown)
        assert "last use" not in str(screen.query_one("#status").render())
        table = screen.query_one("#identities", VirtualTable)
        by_name = {row.data.identity.name: row for row in table.rows}
        column = [c.key for c in table.columns].index("last_used")
        await settle(app, pilot)
        assert table.cell_factory(by_name["aa-dev"])[column].plain == "never"
        assert table.cell_factory(by_name["app-orders-prod"])[column].plain == "<1h"
        await pilot.press("slash")
        await type_text(pilot, "used:never")
        await pilot.press("enter")
        await settle(app, pilot)
        names = {row.data.identity.name for row in table.visible_rows}
        assert "aa-dev" in names and "app-orders-prod" not in names
        await pilot.press("escape", "slash")
        await type_text(pilot, "used:<24h")
        await pilot.press("enter")
        await settle(app, pilot)
        names = {row.data.identity.name for row in table.visible_rows}
        assert "app-orders-prod" in names and "aa-dev" not in names


async def test_unknown_usage_shows_a_question_mark_and_matches_no_used_filter(tmp_path: Path) -> None:
    demo = DemoTenant(state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(180, 48)) as pilot:
        await pilot.pause()
        screen = await until_loaded(app, pilot)
        demo.emulator.refuse_usage("signInActivity", "licence")
        screen.read_usage(screen.inventory)
        await settle(app, pilot)
        table = screen.query_one("#identities", VirtualTable)
        column = [c.key for c in table.columns].index("last_used")
        assert all(table.cell_factory(row)[column].plain.endswith("?") for row in table.rows)
        await pilot.press("slash")
        await type_text(pilot, "used:never")
        await pilot.press("enter")
        await settle(app, pilot)
        assert list(table.visible_rows) == []


async def test_incident_findings_include_idle_and_unused_once_usage_is_read(tmp_path: Path) -> None:
    from tui.screens.incident import IncidentScreen

    demo = DemoTenant(state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(180, 48)) as pilot:
        await until_loaded(app, pilot)
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, IncidentScreen)
        rows = [[c.plain for c in row.cells] for row in app.screen.query_one("#findings", VirtualTable).rows]
        assert ["idle-identity", "aa-dev"] in [r[1:3] for r in rows]
        assert any(r[1] == "unused-right" for r in rows)
