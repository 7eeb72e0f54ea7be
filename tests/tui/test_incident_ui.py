"""Incident mode's Changes view, driven with Pilot on the sandbox tenant: `/` opens its filter (the window, priv:,
by: and words), a filter it cannot read says why and keeps the rows; every table is filled off the event loop and
shows its rows once its worker is done."""

from __future__ import annotations

from datetime import UTC, datetime

from test_flows import plain, plain_cells, type_text
from textual.widgets import Input, Static
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.help import HelpScreen
from tui.screens.incident import IncidentScreen
from tui.services.changes import changes_matching, parse_change_filter
from tui.services.models import Privilege
from tui.widgets.virtual_table import VirtualTable


async def _filter_changes(app, pilot, incident: IncidentScreen, text: str) -> None:  # noqa: ANN001
    await pilot.press("slash")
    box = incident.query_one("#changes-filter", Input)
    assert incident.focused is box
    box.value = ""
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_changes_filter_by_window_privilege_and_actor(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        inventory = screen.inventory
        await pilot.press("i", "2")
        await settle(app, pilot)
        incident = app.screen
        assert isinstance(incident, IncidentScreen)
        table = incident.query_one("#changes", VirtualTable)
        status = incident.query_one("#changes-status", Static)
        week = changes_matching(inventory, parse_change_filter("7d", datetime.now(UTC)))
        assert table.row_count == len(week) > 0 and not table.loading  # the default window, filled by its worker

        everything = changes_matching(inventory, parse_change_filter("", datetime.now(UTC)))
        await _filter_changes(app, pilot, incident, "2000-01-01")
        assert table.row_count == len(everything) > len(week)  # a date: every change since
        assert incident.focused is table  # enter went back to the rows

        await _filter_changes(app, pilot, incident, "2000-01-01 priv:high")
        shown = [plain_cells(row) for row in table.visible_rows]
        assert shown and all(cells[1].strip() in ("HIGH", "CRITICAL") for cells in shown), shown
        wanted = [c for c in everything if c.right.privilege.rank >= Privilege.HIGH.rank]
        assert len(shown) == len(wanted) < len(everything)
        assert "high or above" in plain(status)

        await _filter_changes(app, pilot, incident, "2000-01-01 by:alex")
        shown = [plain_cells(row) for row in table.visible_rows]
        assert shown and all("alex" in cells[4].lower() for cells in shown), shown
        assert len(shown) == sum(1 for c in everything if "alex" in c.actor.lower()) < len(everything)
        assert "by alex" in plain(status)

        before = [plain_cells(row) for row in table.visible_rows]
        await _filter_changes(app, pilot, incident, "priv:extreme")
        assert "Unknown privilege" in plain(status)
        assert [plain_cells(row) for row in table.visible_rows] == before  # the rows stay as they were
        assert incident.focused is incident.query_one("#changes-filter")  # to be corrected there
        await pilot.press("escape")
        assert incident.focused is table

        # the filter's key is in F1 help, named for what it does here
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        does = next(does for _key, does, binding_id, _on in app.screen.rows if binding_id == "incident-search")
        assert "priv:high" in does and "by:NAME" in does, does


async def test_who_can_touch_browses_the_tenant_or_takes_a_pasted_id(demo: DemoTenant) -> None:
    from textual.widgets import Tree

    from tui.screens.scope_browser import ScopeBrowserScreen
    from tui.services.access import access_at

    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        inventory = screen.inventory
        await pilot.press("i", "b")  # from any tab: to Who can touch, and its scope browser
        await settle(app, pilot)
        browser = app.screen
        assert isinstance(browser, ScopeBrowserScreen)
        tree = browser.query_one("#scope-tree", Tree)
        tops = [node.label.plain.split("  ")[0] for node in tree.root.children]
        assert tops == [*(s.display_name for s in inventory.subscriptions), "Management groups"]
        tree.focus()
        for label in ("Management groups", "Tenant Root Group"):
            tree.move_cursor(next(n for n in _visible(tree) if n.label.plain.startswith(label)))
            await pilot.press("space")
            await settle(app, pilot)
        tree.move_cursor(next(n for n in _visible(tree) if n.label.plain.startswith("Contoso  management group")))
        await pilot.press("enter")
        await settle(app, pilot)

        incident = app.screen
        assert isinstance(incident, IncidentScreen)
        mg = "/providers/Microsoft.Management/managementGroups/mg-contoso"
        assert incident.query_one("#scope", Input).value == mg
        access = incident.query_one("#access", VirtualTable)
        assert access.row_count == len(access_at(inventory, mg)) > 0
        assert incident.focused is access
        rows = [plain_cells(row) for row in access.visible_rows]
        assert ["aa-shared-patching", "Owner", "here"] in [cells[1:4] for cells in rows]

        # a pasted id: checked (a malformed one is refused in the browser), then shown
        await pilot.press("b")
        await settle(app, pilot)
        browser = app.screen
        assert isinstance(browser, ScopeBrowserScreen)
        await pilot.press("slash")
        await type_text(pilot, "/subscriptions/nope")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is browser and "Not a valid scope" in plain(browser.query_one("#scope-status"))
        aa = next(i for i in inventory.identities if i.name == "aa-ops-prod")
        box = browser.query_one("#scope-paste", Input)
        box.value = aa.resource_id
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is incident
        assert access.row_count == len(access_at(inventory, aa.resource_id)) > 0


def _visible(tree) -> list:  # noqa: ANN001
    return [tree.get_node_at_line(line) for line in range(tree.last_line + 1)]
