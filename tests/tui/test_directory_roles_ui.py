"""Directory roles, rights through groups, when and by whom, in the TUI: the Directory roles tab, the sort key, the
grant and remove flows (issue #13). Driven with Pilot on the real sandbox tenant (Contoso demo, in-process); what a
test checks afterwards is the emulator's own tenant state, never a value the UI computed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from test_flows import identity_sp, plain, select_identity, type_text
from textual.widgets import Static
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.confirm import ConfirmScreen
from tui.screens.error import ErrorScreen
from tui.screens.grant_directory_role import DirectoryRolePickerScreen
from tui.screens.help import HelpScreen
from tui.screens.main.screen import MainScreen
from tui.services.errors import ReadOnlyRefused
from tui.services.filtering import parse_time
from tui.widgets.details import TAB_DIRECTORY_ROLES, TAB_ROLES, IdentityDetails

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"


# --- the tenant's truth ---------------------------------------------------------------------------------------------
def directory_roles_of(tenant: Any, principal_id: str) -> dict[str, str]:
    """assignment id -> role definition id of the directory roles assigned to the principal itself."""
    return {
        a.id: a.role_definition_id
        for a in tenant.directory_role_assignments.values()
        if a.principal_id.lower() == principal_id.lower()
    }


def group_named(tenant: Any, name: str) -> Any:
    return next(g for g in tenant.groups.values() if g.display_name == name)


def user_named(tenant: Any, name: str) -> Any:
    return next(u for u in tenant.users.values() if u.display_name == name)


def details_of(screen: MainScreen) -> IdentityDetails:
    return screen.query_one(IdentityDetails)


async def open_tab(app: Any, pilot: Any, details: IdentityDetails, tab: str, table: str) -> Any:
    details.tabs.active = tab
    found = details.query_one(table)
    found.focus()
    await settle(app, pilot)
    return found


def tab_title(details: IdentityDetails, tab: str) -> str:
    return str(details.tabs.get_tab(tab).label)


# --- the tab ----------------------------------------------------------------------------------------------------------
async def test_directory_roles_tab_direct_and_through_a_group(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        details = details_of(screen)

        await select_identity(app, pilot, "aa-exchange-mail")
        held = directory_roles_of(tenant, identity_sp(tenant, "aa-exchange-mail").id)
        assert len(held) == 1
        assert tab_title(details, TAB_DIRECTORY_ROLES) == f"Directory roles ({len(held)})"
        table = await open_tab(app, pilot, details, TAB_DIRECTORY_ROLES, "#directory-roles-table")
        assert set(details.directory_role_rows) == set(held)
        (key,) = list(table.rows)
        cell = {c: table.get_cell(key, c).plain for c in ("role", "scope", "via", "privilege", "why")}
        assert (cell["role"], cell["scope"], cell["via"]) == ("Exchange Administrator", "tenant", "direct")
        assert cell["privilege"].strip() in ("CRITICAL", "HIGH", "normal") and cell["why"]

        # id-github-deploy holds Application Administrator only through sg-app-admins (role-assignable)
        await select_identity(app, pilot, "id-github-deploy")
        group = group_named(tenant, "sg-app-admins")
        through = directory_roles_of(tenant, group.id)
        assert set(details.directory_role_rows) == set(through)
        table = details.query_one("#directory-roles-table")
        assert [table.get_cell(key, "role").plain for key in table.rows] == ["Application Administrator"]
        assert [table.get_cell(key, "via").plain for key in table.rows] == ["group sg-app-admins"]
        detail = plain(details.query_one("#directory-roles-detail"))
        assert "Through group sg-app-admins" in detail
        overview = " ".join(plain(details.query_one("#overview")).split())
        assert "Member of sg-app-admins role-assignable" in overview


async def test_azure_roles_say_when_by_whom_and_their_condition(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        details = details_of(screen)
        await select_identity(app, pilot, "aa-identity-sync")
        sp = identity_sp(tenant, "aa-identity-sync")
        conditioned = next(
            a for a in tenant.role_assignments.values() if a.principal_id.lower() == sp.id.lower() and a.condition
        )
        table = await open_tab(app, pilot, details, TAB_ROLES, "#roles-table")
        key = next(k for k in table.rows if k.value.lower() == conditioned.id.lower())
        table.move_cursor(row=table.get_row_index(key))
        await settle(app, pilot)
        role = table.get_cell(key, "role").plain
        assert role.startswith("Role Based Access Control Administrator") and role.endswith("⚑")
        days = (datetime.now(UTC).date() - parse_time(conditioned.created_on).date()).days
        assert table.get_cell(key, "created").plain == f"{days}d ago"
        creator = next(u for u in tenant.users.values() if u.id == conditioned.created_by)
        assert table.get_cell(key, "by").plain == creator.display_name
        detail = " ".join(plain(details.query_one("#roles-detail")).split())
        assert f"by {creator.display_name}" in detail
        assert " ".join(conditioned.condition.split()) in detail
        assert conditioned.description in detail


async def test_sort_key_lists_rights_newest_first_and_back(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        details = details_of(screen)
        await select_identity(app, pilot, "aa-identity-sync")  # RBAC Administrator 3 days ago, and older rights
        sp = identity_sp(tenant, "aa-identity-sync")
        truth = [a for a in tenant.role_assignments.values() if a.principal_id.lower() == sp.id.lower()]
        dated = sorted((a for a in truth if a.created_on), key=lambda a: parse_time(a.created_on), reverse=True)
        assert len(dated) >= 3
        by_privilege = list(details.role_rows)
        ranks = [details.role_rows[k].privilege.rank for k in by_privilege]
        assert ranks == sorted(ranks, reverse=True)

        await pilot.press("s")
        await settle(app, pilot)
        newest = list(details.role_rows)
        assert [k.lower() for k in newest[: len(dated)]] == [a.id.lower() for a in dated]

        await pilot.press("s")
        await settle(app, pilot)
        assert list(details.role_rows) == by_privilege


# --- grant ----------------------------------------------------------------------------------------------------------
async def _to_confirmation(app: Any, pilot: Any, identity: str, role: str) -> ConfirmScreen:
    await select_identity(app, pilot, identity)
    await pilot.press("d")
    await settle(app, pilot)
    assert isinstance(app.screen, DirectoryRolePickerScreen)
    await type_text(pilot, role)
    await pilot.pause()
    assert app.screen.table.current.data.display_name == role
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmScreen)
    return app.screen


async def test_grant_global_administrator_needs_its_name_typed(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-tests")
        assert GLOBAL_ADMINISTRATOR not in directory_roles_of(tenant, sp.id).values()

        await select_identity(app, pilot, "id-dev-tests")
        await pilot.press("d")
        await settle(app, pilot)
        picker = app.screen
        assert isinstance(picker, DirectoryRolePickerScreen)
        await type_text(pilot, "Global Administrator")
        await pilot.pause()
        assert picker.table.current.data.id == GLOBAL_ADMINISTRATOR
        why = plain(picker.query_one("#picker-why"))
        assert "CRITICAL" in why
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.focused.id == "confirm-cancel"
        summary = " ".join(plain(dialog.query_one("#confirm-summary")).split())
        assert (
            "Action Grant directory role" in summary
            and "Role Global Administrator" in summary
            and "Scope tenant" in summary
        )
        commands = plain(dialog.query_one("#confirm-commands"))
        assert (
            "az rest --method POST --uri" in commands and "/v1.0/roleManagement/directory/roleAssignments" in commands
        )
        assert (
            f"New-MgRoleManagementDirectoryRoleAssignment -PrincipalId '{sp.id}' -RoleDefinitionId "
            f"'{GLOBAL_ADMINISTRATOR}' -DirectoryScopeId '/'"
        ) in " ".join(commands.split())
        apply = dialog.query_one("#confirm-apply")
        assert apply.disabled
        dialog.query_one("#confirm-typed").focus()
        await type_text(pilot, "global administrator")  # not the name
        await pilot.pause()
        assert apply.disabled
        await pilot.press(*["backspace"] * len("global administrator"))
        await type_text(pilot, "Global Administrator")
        await pilot.pause()
        assert not apply.disabled
        await pilot.press("enter")
        screen = await until_loaded(app, pilot)
        assert GLOBAL_ADMINISTRATOR in directory_roles_of(tenant, sp.id).values()
        # the audit line
        outcome = demo.session.audit.entries()[-1]
        assert outcome["action"] == "grant-directory-role" and outcome["result"] == "applied"
        # the panes refreshed: the new directory role is listed
        await select_identity(app, pilot, "id-dev-tests")
        assert any(r.role_name == "Global Administrator" for r in details_of(screen).directory_role_rows.values())


async def test_grant_cancel_is_the_default_and_changes_nothing(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        before = dict(tenant.directory_role_assignments)
        demo.emulator.stats.reset()
        await _to_confirmation(app, pilot, "id-dev-tests", "Directory Readers")
        await pilot.press("enter")  # Cancel has the focus
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert dict(tenant.directory_role_assignments) == before
        assert demo.writes() == 0, demo.emulator.stats.snapshot()


async def test_granting_a_role_already_held_says_so(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        demo.emulator.stats.reset()
        dialog = await _to_confirmation(app, pilot, "aa-exchange-mail", "Exchange Administrator")
        assert "Already in place" in plain(dialog.query_one("#confirm-exists"))
        await pilot.press("escape")
        await settle(app, pilot)
        assert demo.writes() == 0


# --- remove ---------------------------------------------------------------------------------------------------------
async def test_remove_a_directory_role(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "sql-contoso-prod")
        held = directory_roles_of(tenant, sp.id)
        assert len(held) == 1
        await select_identity(app, pilot, "sql-contoso-prod")
        details = details_of(screen)
        await open_tab(app, pilot, details, TAB_DIRECTORY_ROLES, "#directory-roles-table")
        target = details.selected_directory_role_assignment()
        assert target is not None and target.id in held
        await pilot.press("delete")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.focused.id == "confirm-cancel"
        assert "Remove-MgRoleManagementDirectoryRoleAssignment" in plain(dialog.query_one("#confirm-commands"))
        await pilot.press("tab", "enter")
        await until_loaded(app, pilot)
        assert directory_roles_of(tenant, sp.id) == {}


async def test_a_right_held_through_a_group_is_not_removed_from_the_identity(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        group = group_named(tenant, "sg-app-admins")
        before = directory_roles_of(tenant, group.id)
        demo.emulator.stats.reset()
        await select_identity(app, pilot, "id-github-deploy")
        details = details_of(screen)
        await open_tab(app, pilot, details, TAB_DIRECTORY_ROLES, "#directory-roles-table")
        assert details.selected_directory_role_assignment().via is not None
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorScreen), type(app.screen)
        assert "sg-app-admins" in plain(app.screen.query_one("#error-title"))
        await pilot.press("escape")
        await settle(app, pilot)

        # the same for an Azure role: id-platform-deploy is Owner of Contoso Production only through its group
        await select_identity(app, pilot, "id-platform-deploy")
        table = await open_tab(app, pilot, details, TAB_ROLES, "#roles-table")
        owners = group_named(tenant, "sg-platform-owners")
        key = next(k for k, a in details.role_rows.items() if a.via is not None and a.role_name == "Owner")
        table.move_cursor(row=table.get_row_index(key))
        await settle(app, pilot)
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert "sg-platform-owners" in plain(app.screen.query_one("#error-title"))
        assert directory_roles_of(tenant, group.id) == before
        assert any(a.principal_id.lower() == owners.id.lower() for a in tenant.role_assignments.values())
        assert demo.writes() == 0


# --- read-only, keys --------------------------------------------------------------------------------------------------
async def test_read_only_hides_and_refuses_directory_role_writes(tmp_path: Any) -> None:
    demo = DemoTenant(read_only=True, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        await select_identity(app, pilot, "aa-exchange-mail")
        active = {b.binding.action for b in screen.active_bindings.values()}
        assert "grant_directory_role" not in active and "sort_rights" in active
        demo.emulator.stats.reset()
        details = details_of(screen)
        await open_tab(app, pilot, details, TAB_DIRECTORY_ROLES, "#directory-roles-table")
        for key in ("d", "delete"):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen)
        session = demo.session
        identity = screen.selected_identity()
        plan = await session.plan_directory_role_removal(identity, details.selected_directory_role_assignment())
        with pytest.raises(ReadOnlyRefused):
            await session.apply(plan)
        assert demo.writes() == 0


async def test_keys_are_in_help_and_the_palette(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-dev-tests")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: key for key, _, binding_id, _ in app.screen.rows if binding_id}
        assert rows["grant-directory-role"] == "d" and rows["sort-rights"] == "s"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Directory role")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DirectoryRolePickerScreen)
        title = app.screen.query_one("#picker-title", Static)
        assert "id-dev-tests" in plain(title)
