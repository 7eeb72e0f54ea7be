"""The hostile tenant (tests/fixtures/hostile-tenant.json): markup, ANSI / OSC escapes, control, bidi and
zero-width characters, emoji and very long strings in every free-text field. The app must show them literally,
act on none of them, and keep working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.main.screen import MainScreen
from tui.widgets.details import TAB_ROLES, IdentityDetails
from tui.widgets.virtual_table import VirtualTable

HOSTILE = str(Path(__file__).resolve().parent.parent / "fixtures" / "hostile-tenant.json")
CONTROL = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)} | {"\u202e", "\u200b", "\ufeff"}


def plain(widget: Any) -> str:
    return widget.render().plain


def _no_controls(text: str) -> bool:
    """No control character other than the line breaks the app itself puts between lines."""
    return not any(c in CONTROL for line in text.split("\n") for c in line)


async def test_hostile_strings_are_shown_literally_and_trigger_nothing(tmp_path: Path) -> None:
    demo = DemoTenant(tenant=HOSTILE, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        header = plain(screen.query_one("#session-header"))
        assert "Eve [@click=app.quit]x[/]" in header  # the signed-in admin's display name, literally

        table = screen.query_one("#identities", VirtualTable)
        assert table.row_count == len(screen.inventory.identities) > 0
        for row in table.rows:
            cells = table.cell_factory(row)
            assert all(_no_controls(cell.plain) for cell in cells)
        names = [row.data.identity.name for row in table.rows]
        assert any("[@click=app.quit]" in n for n in names)

        # click the cell that reads [@click=app.quit]x, twice (highlight, then select): nothing quits
        clicky = next(i for i, row in enumerate(table.visible_rows) if "[@click=app.quit]" in row.data.identity.name)
        table.cursor = 0
        await pilot.pause()
        for _ in range(2):
            await pilot.click("#identities", offset=(3, 1 + clicky))
            await pilot.pause()
        assert app.is_running and app.return_code is None

        # every tab of every identity renders without a control character reaching the screen
        details = screen.query_one(IdentityDetails)
        for position in range(table.row_count):
            table.cursor = position
            await pilot.pause()
            for tab in ("tab-overview", "tab-roles", "tab-app-roles", "tab-federated", "tab-snippets"):
                details.tabs.active = tab
                await settle(app, pilot)
        shown = app.export_screenshot()
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown

        # the custom role with markup in its name: listed literally, assigned through the dialog
        custom = next(r for r in tenant.role_definitions.values() if r.role_type == "CustomRole")
        holder = next(
            row
            for row in table.rows
            if row.data.identity.principal_id in {a.principal_id.lower() for a in tenant.role_assignments.values()}
        )
        table.move_to_key(holder.key)
        details.tabs.active = TAB_ROLES
        await settle(app, pilot)
        listed = [a.role_name for a in details.role_rows.values()]
        assert any("[@click=app.quit]" in name for name in listed), listed

        table.focus()
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerScreen)
        await pilot.press(*"Role [@click")
        await pilot.pause()
        assert app.screen.table.current.data.role_name == custom.role_name
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ScopePickerScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        summary = plain(dialog.query_one("#confirm-summary"))
        assert "Role [@click=app.quit]x[/] \\x1b[31mred\\x1b[0m" in summary
        assert _no_controls(summary) and _no_controls(plain(dialog.query_one("#confirm-commands")))
        if dialog.needs_typing:
            dialog.query_one("#confirm-typed").focus()
            await pilot.press(*custom.role_name)
            await pilot.press("enter")
        else:
            await pilot.press("tab", "enter")
        await until_loaded(app, pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running
        # the outcome notification carries the role's name: literally, with the escapes made visible
        messages = [n.message for n in app._notifications]
        assert any("[@click=app.quit]" in m and "\x1b" not in m for m in messages), messages


async def test_incident_mode_shows_hostile_strings_literally(tmp_path: Path) -> None:
    """Findings, changes and access of the hostile tenant: every cell free of control characters, markup shown
    as text (a role named [@click=app.quit]… quits nothing)."""
    from tui.screens.incident import IncidentScreen

    demo = DemoTenant(tenant=HOSTILE, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        table = screen.query_one("#identities", VirtualTable)
        holder = next(row for row in table.rows if screen.inventory.roles_of(row.data.identity))
        table.move_to_key(holder.key)
        await pilot.press("i")
        await settle(app, pilot)
        incident = app.screen
        assert isinstance(incident, IncidentScreen)
        texts = []
        for tab, table_id in (("1", "#findings"), ("2", "#changes"), ("3", "#access")):
            await pilot.press(tab)
            await settle(app, pilot)
            for row in incident.query_one(table_id, VirtualTable).rows:
                texts.extend(cell.plain for cell in row.cells)
        assert texts and all(_no_controls(t) for t in texts)
        assert any("[@click=app.quit]" in t for t in texts)
        shown = app.export_screenshot()
        assert "\x1b" not in shown and "\u202e" not in shown
        assert app.is_running

        # the Changes filter says back what it was given, literally
        await pilot.press("2", "slash")
        box = incident.query_one("#changes-filter")
        box.value = 'by:"[@click=app.quit]x[/]"'
        await pilot.press("enter")
        await settle(app, pilot)
        said = incident.query_one("#changes-status").render()
        assert "by [@click=app.quit]x[/]" in str(said) and app.is_running

        # the scope browser (b): the subscriptions' names literally, free of control characters
        from tui.screens.scope_browser import ScopeBrowserScreen

        await pilot.press("b")
        await settle(app, pilot)
        browser = app.screen
        assert isinstance(browser, ScopeBrowserScreen)
        labels = [node.label.plain for node in browser.query_one("#scope-tree").root.children]
        assert any("[@click=app.quit]x[/]" in label for label in labels), labels
        assert all(_no_controls(label) for label in labels)
        shown = app.export_screenshot()
        assert "\x1b" not in shown and "\u202e" not in shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is incident and app.is_running


async def test_hostile_groups_and_directory_roles_stay_literal(tmp_path: Path) -> None:
    """The hostile group (markup, escapes, bidi in its name) holds Global Reader and an Azure role with a hostile
    condition and description; id-hostile-shared is its member. Every place that names them shows them literally."""
    from tui.screens.error import ErrorScreen
    from tui.screens.grant_directory_role import DirectoryRolePickerScreen
    from tui.services.models import DirectoryRoleDefinition, Privilege
    from tui.services.plans import directory_role_grant_plan
    from tui.widgets.details import TAB_DIRECTORY_ROLES

    demo = DemoTenant(tenant=HOSTILE, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        group = next(g for g in tenant.groups.values() if "[@click=app.quit]" in g.display_name)
        table = screen.query_one("#identities", VirtualTable)
        member = next(row for row in table.rows if row.data.identity.name == "id-hostile-shared")
        table.move_to_key(member.key)
        await settle(app, pilot)
        details = screen.query_one(IdentityDetails)

        overview = plain(details.query_one("#overview"))
        assert "[bold]x[/] sg [@click=app.quit]quit[/]" in overview and _no_controls(overview)

        details.tabs.active = TAB_DIRECTORY_ROLES
        directory = details.query_one("#directory-roles-table")
        directory.focus()
        await settle(app, pilot)
        assert [a.role_name for a in details.directory_role_rows.values()] == ["Global Reader"]
        key = next(iter(directory.rows))
        via = directory.get_cell(key, "via").plain
        assert "[bold]x[/] sg [@click=app.quit]quit[/]" in via and _no_controls(via)
        line = plain(details.query_one("#directory-roles-detail"))
        assert "Through group [bold]x[/] sg [@click=app.quit]quit[/]" in line and _no_controls(line)

        # the Azure role it holds through the group: its condition and description, literally
        details.tabs.active = TAB_ROLES
        roles = details.query_one("#roles-table")
        roles.focus()
        await settle(app, pilot)
        through = next(k for k, a in details.role_rows.items() if a.via is not None and a.condition)
        roles.move_cursor(row=roles.get_row_index(through))
        await settle(app, pilot)
        line = plain(details.query_one("#roles-detail"))
        assert "StringEquals '[bold]x[/]'" in line and "[bold red]via group[/]" in line and _no_controls(line)

        # removing the directory role from the member is refused, naming the group literally
        details.tabs.active = TAB_DIRECTORY_ROLES
        directory.focus()
        await settle(app, pilot)
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorScreen)
        title = plain(app.screen.query_one("#error-title"))
        assert "[bold]x[/] sg [@click=app.quit]quit[/]" in title and _no_controls(title)
        await pilot.press("escape")
        await settle(app, pilot)
        assert any(a.principal_id == group.id for a in tenant.directory_role_assignments.values())

        # a directory role whose name is markup (a custom role): literal in the picker and the confirmation
        hostile = DirectoryRoleDefinition(
            id="11111111-2222-3333-4444-555555555555",
            display_name="Role [@click=app.quit]x[/] \x1b[31mred\x1b[0m",
            description="[link=https://evil.example/steal]click me[/link]",
            is_built_in=False,
            privilege=Privilege.CRITICAL,
            privilege_reason="[bold]why[/]",
        )
        identity = screen.selected_identity()
        picked: list[Any] = []
        app.push_screen(DirectoryRolePickerScreen(identity, [hostile]), picked.append)
        await settle(app, pilot)
        picker = app.screen
        shown = picker.table.current.cells
        assert "Role [@click=app.quit]x[/] \\x1b[31mred\\x1b[0m" in shown[0].plain
        assert "[link=https://evil.example/steal]click me[/link]" in shown[3].plain
        assert "[bold]why[/]" in plain(picker.query_one("#picker-why"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert picked == [hostile]
        dialog = ConfirmScreen(directory_role_grant_plan(identity, hostile, None))
        app.push_screen(dialog)
        await settle(app, pilot)
        summary = plain(dialog.query_one("#confirm-summary"))
        assert "Role [@click=app.quit]x[/] \\x1b[31mred\\x1b[0m" in summary and _no_controls(summary)
        prompt = plain(dialog.query_one("#confirm-type-prompt"))
        assert "[@click=app.quit]" in prompt and _no_controls(prompt)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, MainScreen)
