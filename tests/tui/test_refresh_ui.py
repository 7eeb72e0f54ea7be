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
