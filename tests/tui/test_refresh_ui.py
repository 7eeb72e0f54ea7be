"""A refresh shows what changed: after a change made in mitui, only what it touched is read back and its row is
marked; `r` reads everything, keeps the old table until the new one is ready, and marks the rows whose rights
changed (here: changed by someone else, behind mitui's back)."""

from __future__ import annotations

import pytest
from textual.widgets import Static
from tui_pilot import DemoTenant, make_app

from tui.pilot import until_loaded
from tui.screens.main.rows import identity_cells
from tui.widgets.safe_text import Redactor
from tui.widgets.virtual_table import VirtualTable

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _status(screen) -> str:  # noqa: ANN001
    return str(screen.query_one("#status", Static).render())


async def test_r_marks_the_rows_whose_rights_changed_elsewhere(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        table = screen.query_one("#identities", VirtualTable)
        assert all(row.data.change is None for row in table.rows)  # the first load marks nothing
        before = screen.inventory
        ident = next(i for i in before.identities if i.name == "id-dev-tests")
        other = next(i for i in before.identities if i.name == "id-orders-shared")
        scope = next(s.scope for s in before.subscriptions if s.display_name == "Contoso Development")

        # another admin (the same tenant, another session's writes) adds a right to one, removes one from another
        session = screen.session
        reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
        assert (await session.apply(await session.plan_role_assignment(ident, reader, scope))).outcome == "applied"
        gone = before.roles_of(other)[0]
        assert (await session.apply(await session.plan_role_removal(other, gone))).outcome == "applied"

        await pilot.press("r")
        screen = await until_loaded(app, pilot)
        assert screen.inventory is not before
        marked = {row.data.identity.name: row.data.change for row in table.rows if row.data.change is not None}
        assert marked == {"id-dev-tests": (1, 0), "id-orders-shared": (0, 1)}
        assert "1 right(s) added, 1 removed on 2 identities" in _status(screen)
        cells = identity_cells(Redactor())
        row = next(r for r in table.rows if r.data.identity.name == "id-dev-tests")
        assert cells(row)[0].plain == "id-dev-tests +1"

        await pilot.press("r")  # nothing changed since: nothing marked
        screen = await until_loaded(app, pilot)
        assert all(row.data.change is None for row in table.rows)
        assert "no right changed" in _status(screen)


async def test_a_change_made_in_mitui_is_read_back_and_its_row_marked(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        inv = screen.inventory
        ident = next(i for i in inv.identities if i.name == "id-dev-tests")
        scope = next(s.scope for s in inv.subscriptions if s.display_name == "Contoso Development")
        session = screen.session
        reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
        plan = await session.plan_role_assignment(ident, reader, scope)
        assert (await session.apply(plan)).outcome == "applied"
        screen.reread([plan])  # what the flows do after Apply
        screen = await until_loaded(app, pilot)
        table = screen.query_one("#identities", VirtualTable)
        marked = {row.data.identity.name: row.data.change for row in table.rows if row.data.change is not None}
        assert marked == {"id-dev-tests": (1, 0)}
        assert "read back in 1 request: 1 right(s) added, 0 removed on 1 identity" in _status(screen)


def _listings(demo: DemoTenant) -> dict[str, int]:
    """The listings a load reads (a refresh without reloading reads none of them)."""
    listings = (
        "GET /subscriptions",
        "GET /subscriptions/{subscriptionId}/resources",
        "GET /{scope}/providers/Microsoft.Authorization/roleAssignments",
        "GET /{scope}/providers/Microsoft.Authorization/roleDefinitions",
        "GET /v1.0/servicePrincipals",
    )
    return {route: n for route, n in demo.emulator.stats.snapshot()["byRoute"].items() if route in listings}


async def test_a_role_applied_through_the_keys_updates_its_row_keeping_cursor_and_filter(demo: DemoTenant) -> None:
    from textual.widgets import Input

    from tui.pilot import settle
    from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen
    from tui.screens.confirm import ConfirmScreen

    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        loaded = screen.inventory
        table = screen.query_one("#identities", VirtualTable)
        await pilot.press("slash", *"dev", "enter")  # a filter that keeps several identities
        await pilot.pause()
        shown = [row.key for row in table.visible_rows]
        target = next(r for r in table.visible_rows if r.data.identity.name == "id-dev-tests")
        assert 1 < len(shown) < len(table.rows) and shown.index(target.key) > 0
        table.move_to_key(target.key)
        await pilot.pause()
        before = target.data.roles

        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerScreen)
        await pilot.press(*"Reader")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ScopePickerScreen)
        await pilot.press("enter")  # the identity's own resource
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        demo.emulator.stats.reset()
        await pilot.press("tab", "enter")  # Apply
        screen = await until_loaded(app, pilot)

        row = table.current
        assert row is not None and row.key == target.key  # the cursor stayed on the identity
        assert [r.key for r in table.visible_rows] == shown  # the filter too
        assert screen.query_one("#filter", Input).value == "dev"
        assert row.data.roles == before + 1 and row.data.change == (1, 0)
        assert identity_cells(Redactor())(row)[0].plain == "id-dev-tests +1"
        assert "read back with the write itself: 1 right(s) added" in _status(screen)
        assert _listings(demo) == {}  # nothing was loaded again
        assert screen.inventory is not loaded  # (every row's privilege was computed again, after)
        full = await screen.session.load_inventory()  # the tenant's truth, read anew
        assert row.data.roles == len(full.roles_of(row.data.identity))


async def test_the_row_shows_the_writes_own_answer_before_it_is_read_back(demo: DemoTenant) -> None:
    """The flows hand Session.apply the screen's ``write_answered``: the touched row counts the new role from the
    PUT's answer alone (no refresh asked for yet), the other rows untouched; the refresh then confirms it."""
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        loaded = screen.inventory
        table = screen.query_one("#identities", VirtualTable)
        ident = next(i for i in loaded.identities if i.name == "id-dev-tests")
        scope = next(s.scope for s in loaded.subscriptions if s.display_name == "Contoso Development")
        session = screen.session
        reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
        plan = await session.plan_role_assignment(ident, reader, scope)
        rows = {row.key: row for row in table.rows}
        key = ident.principal_id.lower()
        demo.emulator.stats.reset()

        change = await session.apply(plan, landed=screen.write_answered)  # what the flows do on Apply
        await pilot.pause()
        assert change.outcome == "applied"
        row = table.row_of(key)
        assert row is not rows[key] and row.data.roles == rows[key].data.roles + 1 and row.data.change == (1, 0)
        assert all(r is rows[r.key] for r in table.rows if r.key != key)  # no other row was made again
        assert screen.inventory is loaded and not screen.is_loading  # nothing reloaded
        assert _listings(demo) == {}

        screen.reread([plan], [change])  # what the flows do next
        screen = await until_loaded(app, pilot)
        assert table.row_of(key).data.roles == row.data.roles and table.row_of(key).data.change == (1, 0)
        assert _listings(demo) == {}
        full = await session.load_inventory()
        assert row.data.roles == len(full.roles_of(ident))


async def test_apply_starts_the_write_before_the_dialog_closes_and_cancel_never_does(demo: DemoTenant) -> None:
    from tui.screens.confirm import ConfirmScreen

    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        ident = next(i for i in screen.inventory.identities if i.name == "id-dev-tests")
        scope = next(s.scope for s in screen.inventory.subscriptions if s.display_name == "Contoso Development")
        session = screen.session
        roles = {r.role_name: r for r in await session.role_definitions(scope)}
        calls: list[str] = []

        def on_apply() -> None:
            calls.append(type(app.screen).__name__)  # which screen is shown as the write starts

        for keys, role, expected in (
            (("enter",), "Reader", []),  # Cancel has the focus
            (("escape",), "Reader", []),
            (("tab", "enter"), "Reader", ["ConfirmScreen"]),  # Apply: called once, the dialog still shown
            ((*"Owner", "enter"), "Owner", ["ConfirmScreen"]),  # a critical role's name typed, then enter
        ):
            calls.clear()
            plan = await session.plan_role_assignment(ident, roles[role], scope)
            dialog = ConfirmScreen(plan, on_apply=on_apply)
            results: list[bool | None] = []
            app.push_screen(dialog, results.append)
            await pilot.pause()
            if role == "Owner":
                dialog.query_one("#confirm-typed").focus()
                await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
            assert calls == expected and results == [bool(expected)], (keys, calls, results)
            assert app.screen is screen
