"""The Automation view from the keyboard (issue #15), with Pilot on the real sandbox tenant: u opens it; the demo's
aa-app-inventory runbook is not ready; enter on each failing check shows its fix, confirmed (Cancel first) and
applied — the identity turned on, the missing module imported, the Graph permission granted — until the runbook is
ready; n writes a runbook from the identity's snippets. Checked in the tenant's own state."""

from __future__ import annotations

from typing import Any

from test_flows import plain, select_identity, type_text
from textual.widgets import DataTable
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.automation import AutomationScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen


async def _until_read(app: Any, pilot: Any) -> AutomationScreen:
    screen = app.screen
    assert isinstance(screen, AutomationScreen)
    for _ in range(300):
        await settle(app, pilot, 1)
        status = plain(screen.query_one("#automation-status"))
        if ("runbooks ready" in status or "Could not" in status) and not any(w.is_running for w in screen.workers):
            return screen
    raise AssertionError(f"the Automation accounts were never read: {plain(screen.query_one('#automation-status'))}")


def _cells(table: DataTable) -> str:
    return " ".join(str(cell) for n in range(table.row_count) for cell in table.get_row_at(n))


async def _fix(app: Any, pilot: Any, screen: AutomationScreen, check: str) -> ConfirmScreen:
    runbook = screen.selected_runbook()
    assert runbook is not None
    items = screen.checks[runbook.id]
    row = next(n for n, i in enumerate(items) if i.check == check)
    table = screen.query_one("#automation-checks", DataTable)
    table.focus()
    table.move_cursor(row=row)
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)
    dialog = app.screen
    assert isinstance(dialog, ConfirmScreen), type(dialog).__name__
    assert dialog.focused is not None and dialog.focused.id == "confirm-cancel"
    return dialog


async def _apply(app: Any, pilot: Any, dialog: ConfirmScreen) -> AutomationScreen:
    if dialog.needs_typing:
        dialog.query_one("#confirm-typed").focus()
        await type_text(pilot, dialog.plan.right_name)
        await pilot.pause()
        await pilot.press("enter")
    else:
        dialog.query_one("#confirm-apply").focus()
        await pilot.press("enter")
    await settle(app, pilot)
    if type(app.screen).__name__ == "ErrorScreen":
        raise AssertionError(app.screen.error.one_line())
    return await _until_read(app, pilot)


async def test_fix_the_demo_runbook_from_the_keyboard(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        await until_loaded(app, pilot)
        demo.session.import_poll_delays = (0.0,) * 10
        tenant = demo.emulator.tenant
        account = next(r for r in tenant.resources.values() if r.name == "aa-app-inventory")
        await pilot.press("A")
        await settle(app, pilot)
        screen = await _until_read(app, pilot)
        accounts = screen.query_one("#automation-accounts", DataTable)
        accounts.move_cursor(row=accounts.get_row_index(account.id.lower()))
        await settle(app, pilot)
        assert screen.selected_account().name == "aa-app-inventory"
        assert screen.selected_runbook().name == "Export-AppPermissions"
        text = _cells(screen.query_one("#automation-runbooks", DataTable))
        assert "Export-AppPermissions" in text and "PowerShell 7.2" in text and "Daily-0600" in text

        # cancel first: nothing changes
        dialog = await _fix(app, pilot, screen, "Identity")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AutomationScreen) and account.system_principal_id is None

        screen = await _apply(app, pilot, await _fix(app, pilot, screen, "Identity"))
        assert account.system_principal_id
        dialog = await _fix(app, pilot, screen, "Module Microsoft.Graph.Authentication")
        assert "powershellgallery.com/api/v2/package/Microsoft.Graph.Authentication" in plain(
            dialog.query_one("#confirm-summary")
        )
        screen = await _apply(app, pilot, dialog)
        dialog = await _fix(app, pilot, screen, "Graph Application.Read.All")
        assert dialog.plan.right_name == "Application.Read.All"
        screen = await _apply(app, pilot, dialog)

        runbook = screen.selected_runbook()
        assert all(i.ok for i in screen.checks[runbook.id]), screen.checks[runbook.id]
        assert "✓" in _cells(screen.query_one("#automation-runbooks", DataTable))
        actions = [e["action"] for e in demo.session.audit.entries() if e["event"] == "outcome"]
        assert actions == ["enable-system-identity", "import-module", "grant-app-role"]

        await pilot.press("escape")
        await until_loaded(app, pilot)  # something changed: the main list loads again, with the new identity
        names = {row.data.identity.name for row in app.screen.query_one("#identities").rows}
        assert "aa-app-inventory" in names


async def test_a_runbook_from_the_identitys_snippets(demo: DemoTenant) -> None:
    from tui.screens.identity_life import FormScreen

    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        await until_loaded(app, pilot)
        await select_identity(app, pilot, "aa-ops-prod")
        await pilot.press("A")
        await settle(app, pilot)
        screen = await _until_read(app, pilot)
        assert screen.selected_account().name == "aa-ops-prod"  # opened on the selected identity's account
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        summary = plain(dialog.query_one("#confirm-summary"))
        assert "Az.Accounts, Az.Resources, Microsoft.Graph.Authentication, Microsoft.Graph.Applications" in summary
        await _apply(app, pilot, dialog)
        state = demo.emulator.tenant.automation[next(k for k in demo.emulator.tenant.automation if "aa-ops-prod" in k)]
        published = state.texts["list-identityrights"].published
        arm = demo.session.arm_url
        assert "Connect-AzAccount -Identity" in published and "Connect-MgGraph -Identity" in published
        assert f"-ARMEndpoint '{arm}/'" in published  # the session's own endpoints, not the public cloud's


async def test_help_lists_the_automation_key(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: key for key, _, binding_id, _ in app.screen.rows if binding_id}
        assert rows["automation"] == "A"


async def test_hostile_names_and_texts_are_shown_literally(demo: DemoTenant) -> None:
    """A runbook's name, a module's error and a runbook's text come from Azure: shown as plain text, never markup."""
    from tui.emulator.automation import ImportedPackage
    from tui.emulator.builder import TenantBuilder
    from tui.emulator.ids import RUNBOOK

    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        account = next(r for r in tenant.resources.values() if r.name == "aa-app-inventory")
        hostile = "[bold red]pwn[/] \x1b[31m"
        group = f"/subscriptions/{account.subscription_id}/resourceGroups/{account.resource_group}"
        TenantBuilder(seed=None, tenant=tenant, with_catalog=False).add_resource(
            group, RUNBOOK, "Run-Hostile", parent=account, properties={"runbookType": hostile, "state": "Published"}
        )
        state = next(v for k, v in tenant.automation.items() if k.endswith("aa-app-inventory"))
        state.modules["evil"] = ImportedPackage(
            "Evil", "1.0", provisioning_state="Failed", error_code="X", error_message=hostile
        )
        await pilot.press("A")
        await settle(app, pilot)
        screen = await _until_read(app, pilot)
        accounts = screen.query_one("#automation-accounts", DataTable)
        accounts.move_cursor(row=accounts.get_row_index(account.id.lower()))
        await settle(app, pilot)
        cells = _cells(screen.query_one("#automation-runbooks", DataTable))
        assert "[bold red]pwn[/]" in cells and "\x1b" not in cells
        modules = _cells(screen.query_one("#automation-modules", DataTable))
        assert "Failed" in modules and "Evil" in modules


async def test_read_only_hides_the_fixes_and_sends_nothing(tmp_path) -> None:  # noqa: ANN001
    demo = DemoTenant(read_only=True, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        await until_loaded(app, pilot)
        await pilot.press("A")
        await settle(app, pilot)
        screen = await _until_read(app, pilot)
        assert screen.check_action("fix", ()) is False and screen.check_action("new_runbook", ()) is False
        before = demo.writes()
        accounts = screen.query_one("#automation-accounts", DataTable)
        accounts.move_cursor(row=0)  # aa-app-inventory: its first check fails and offers a fix
        await settle(app, pilot)
        assert screen.selected_check() is not None and not screen.selected_check().ok
        table = screen.query_one("#automation-checks", DataTable)
        table.focus()
        await pilot.press("enter", "n")
        await settle(app, pilot)
        assert isinstance(app.screen, AutomationScreen) and demo.writes() == before
