"""Every flow of the TUI, driven with Pilot on the real sandbox tenant (Contoso demo, started in-process).

Each test gets a fresh tenant. What a test checks afterwards is the emulator's own tenant state (its truth) and
its request statistics, never a value the UI computed.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Static
from tui_pilot import DemoTenant, make_app

import tui
from tui.config import Config
from tui.pilot import settle, until_loaded
from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.error import ErrorScreen
from tui.screens.grant_app_role import AppRolePickerScreen
from tui.screens.help import HelpScreen
from tui.screens.main.screen import MainScreen
from tui.services.errors import ReadOnlyRefused
from tui.widgets.details import TAB_APP_ROLES, TAB_ROLES, IdentityDetails
from tui.widgets.virtual_table import VirtualTable

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # built-in role GUIDs are the same in every tenant
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


# --- the tenant's truth -------------------------------------------------------------------------------------------
def identity_sp(tenant: Any, name: str) -> Any:
    return next(
        sp
        for sp in tenant.service_principals.values()
        if sp.service_principal_type == "ManagedIdentity" and sp.display_name == name
    )


def identities_in(tenant: Any, subscription_name: str) -> int:
    sub = next(s for s in tenant.subscriptions.values() if s.display_name == subscription_name)
    return sum(
        1
        for r in tenant.resources.values()
        if r.subscription_id.lower() == sub.subscription_id.lower()
        and (r.system_principal_id or r.is_user_assigned_identity)
    )


def assignments_of(tenant: Any, principal_id: str) -> set[tuple[str, str]]:
    """(role definition GUID, scope lower) of every role assignment the principal holds."""
    return {
        (a.role_definition_name, a.scope.lower())
        for a in tenant.role_assignments.values()
        if a.principal_id.lower() == principal_id.lower()
    }


def grants_of(tenant: Any, principal_id: str) -> set[str]:
    return {g.app_role_id for g in tenant.app_role_assignments.values() if g.principal_id == principal_id}


def graph_role_id(tenant: Any, value: str) -> str:
    graph = tenant.service_principal_by_app_id(GRAPH_APP_ID)
    return next(r["id"] for r in graph.app_roles if r["value"] == value)


# --- driving the UI ---------------------------------------------------------------------------------------------
async def select_identity(app: Any, pilot: Any, name: str) -> MainScreen:
    """Filter the identity list down to ``name`` and put the cursor on it."""
    screen: MainScreen = app.screen
    await pilot.press("slash", *name, "enter")
    await pilot.pause()
    table = screen.query_one("#identities", VirtualTable)
    names = [row.data.identity.name for row in table.visible_rows]
    assert name in names, names
    table.move_to_key(next(r.key for r in table.visible_rows if r.data.identity.name == name))
    await pilot.pause()
    assert screen.selected_identity().name == name
    return screen


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


def plain(widget: Any) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


# --- browse -------------------------------------------------------------------------------------------------------
async def test_browse_subscriptions_identities_and_details(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        table = screen.query_one("#identities", VirtualTable)
        managed = [sp for sp in tenant.service_principals.values() if sp.service_principal_type == "ManagedIdentity"]
        assert table.row_count == len(managed)

        # the subscriptions pane: pick Contoso Production -> only its identities
        await pilot.press("escape")  # from the table to the subscriptions
        subscriptions = screen.query_one("#subscriptions")
        assert screen.focused is subscriptions
        production = next(
            i for i, o in enumerate(subscriptions._options) if o.prompt.plain.startswith("Contoso Production")
        )
        subscriptions.highlighted = production
        await pilot.press("enter")
        await pilot.pause()
        assert screen.focused is table
        assert table.row_count == identities_in(tenant, "Contoso Production")
        assert all(row.data.identity.subscription_id for row in table.visible_rows)

        # an identity -> its details, from the tenant's truth
        await select_identity(app, pilot, "id-orders-shared")
        sp = identity_sp(tenant, "id-orders-shared")
        details = screen.query_one(IdentityDetails)
        overview = plain(details.query_one("#overview"))
        assert sp.id in overview and sp.app_id in overview
        assert "Used by" in overview
        roles = details.query_one("#roles-table")
        assert roles.row_count == len(assignments_of(tenant, sp.id))
        assert set(details.role_rows) == {
            a.id for a in tenant.role_assignments.values() if a.principal_id.lower() == sp.id
        }
        # enter drills into the details
        await pilot.press("enter")
        assert screen.focused is not None and details in screen.focused.ancestors_with_self


async def test_federated_credentials_load_on_demand(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-github-deploy")
        details = screen.query_one(IdentityDetails)
        details.tabs.active = "tab-federated"
        await settle(app, pilot)
        truth = [f for f in demo.emulator.tenant.federated_credentials.values() if "id-github-deploy" in f.identity_id]
        assert truth
        assert details.query_one("#federated-table").row_count == len(truth)


# --- filter -------------------------------------------------------------------------------------------------------
async def test_filter_kind_priv_and_a_malformed_filter(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        table = screen.query_one("#identities", VirtualTable)
        total = table.row_count

        await pilot.press("slash")
        await type_text(pilot, "kind:user")
        await pilot.pause()
        user_assigned = sum(1 for r in tenant.resources.values() if r.is_user_assigned_identity)
        assert table.row_count == user_assigned
        assert all(row.data.identity.kind.value == "user-assigned" for row in table.visible_rows)

        await pilot.press(*["backspace"] * len("kind:user"))
        await type_text(pilot, "priv:critical")
        await pilot.pause()
        names = {row.data.identity.name for row in table.visible_rows}
        assert "aa-dev" in names  # Owner of Contoso Development (the demo's documented escalation)
        assert all(row.data.top is not None and row.data.top.value == "critical" for row in table.visible_rows)
        assert 0 < len(names) < total

        await pilot.press(*["backspace"] * len("priv:critical"))
        await type_text(pilot, "kind:robot")
        await pilot.pause()
        error = screen.query_one("#filter-error")
        assert error.display and "Unknown kind" in plain(error)
        assert app.is_running
        await pilot.press(*["backspace"] * len("robot"))
        await type_text(pilot, "system")
        await pilot.pause()
        assert not error.display
        assert table.row_count == total - user_assigned

        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert not error.display and table.row_count == total


# --- assign ---------------------------------------------------------------------------------------------------------
async def test_every_right_says_why(demo: DemoTenant) -> None:
    """The details name each right's reason, and the identity's highest right with its reason; the role picker
    says why the highlighted role has its level, and so does the confirmation."""
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        await select_identity(app, pilot, "aa-ops-prod")
        details = screen.query_one(IdentityDetails)
        rights = [*details.role_rows.values(), *details.app_role_rows.values()]
        assert rights and all(r.privilege_reason for r in rights)
        roles = details.query_one("#roles-table")
        for row_key in roles.rows:
            cell = roles.get_cell(row_key, "why").plain.rstrip("…")  # (a long reason is cut to the column)
            assert cell and details.role_rows[row_key.value].privilege_reason.startswith(cell)
        top = max(rights, key=lambda r: r.privilege.rank)
        overview = plain(details.query_one("#overview"))
        assert "Highest right" in overview and top.privilege_reason[:40] in " ".join(overview.split())

        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerScreen)
        await type_text(pilot, "Owner")
        await pilot.pause()
        assert app.screen.table.current.data.role_name == "Owner"
        why = plain(app.screen.query_one("#picker-why"))
        assert "CRITICAL" in why and "Microsoft.Authorization/roleAssignments/write" in why
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")  # the first suggested scope
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        summary = " ".join(plain(app.screen.query_one("#confirm-summary")).split())
        assert "Why" in summary and "Microsoft.Authorization/roleAssignments/write" in summary


async def _assign(app: Any, pilot: Any, identity: str, role: str) -> ConfirmScreen:
    """Drive a, the role search, enter, the scope picker's first suggestion; stop at the confirmation dialog."""
    await select_identity(app, pilot, identity)
    await pilot.press("a")
    await settle(app, pilot)
    assert isinstance(app.screen, RolePickerScreen)
    await type_text(pilot, role)
    await pilot.pause()
    assert app.screen.table.current.data.role_name == role
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, ScopePickerScreen)
    await pilot.press("enter")  # the first suggestion: the identity's own resource
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmScreen)
    return app.screen


async def test_assign_role_confirm_writes_it_to_the_tenant(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-tests")
        resource_id = sp.alternative_names[1]
        assert (READER, resource_id.lower()) not in assignments_of(tenant, sp.id)

        dialog = await _assign(app, pilot, "id-dev-tests", "Reader")
        assert dialog.focused.id == "confirm-cancel"  # Cancel has the focus
        assert "az role assignment create" in plain(dialog.query_one("#confirm-commands"))
        await pilot.press("tab", "enter")  # to Apply, press it
        screen = await until_loaded(app, pilot)
        assert (READER, resource_id.lower()) in assignments_of(tenant, sp.id)
        # the panes refreshed: the new assignment is listed
        assert any(a.role_name == "Reader" for a in screen.query_one(IdentityDetails).role_rows.values())


async def test_assign_role_cancel_changes_nothing(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        before = {k: (a.scope, a.role_definition_id, a.principal_id) for k, a in tenant.role_assignments.items()}
        demo.emulator.stats.reset()
        await _assign(app, pilot, "id-dev-tests", "Reader")
        await pilot.press("enter")  # Cancel has the focus
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        after = {k: (a.scope, a.role_definition_id, a.principal_id) for k, a in tenant.role_assignments.items()}
        assert after == before
        assert demo.writes() == 0, demo.emulator.stats.snapshot()


async def test_critical_role_needs_its_name_typed(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-tests")
        dialog = await _assign(app, pilot, "id-dev-tests", "Owner")
        apply = dialog.query_one("#confirm-apply")
        assert apply.disabled
        box = dialog.query_one("#confirm-typed")
        box.focus()
        await type_text(pilot, "owner")  # wrong case: not the name
        await pilot.pause()
        assert apply.disabled
        await pilot.press(*["backspace"] * 5)
        await type_text(pilot, "Owner")
        await pilot.pause()
        assert not apply.disabled
        await pilot.press("enter")
        await until_loaded(app, pilot)
        assert any(guid == OWNER for guid, _ in assignments_of(tenant, sp.id))


async def test_permission_denied_shows_an_error_dialog(demo: DemoTenant) -> None:
    """Alex is only Reader on Contoso Shared Services: the write is refused with 403, shown in a dialog."""
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-backup-operator")
        before = assignments_of(tenant, sp.id)
        await _assign(app, pilot, "id-backup-operator", "Reader")
        await pilot.press("tab", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorScreen), type(app.screen)
        error = app.screen.error
        assert type(error).__name__ == "PermissionDenied"
        assert plain(app.screen.query_one("#error-title"))
        assert assignments_of(tenant, sp.id) == before
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running


# --- grant and remove ------------------------------------------------------------------------------------------------
async def test_grant_app_role(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-tests")
        wanted = graph_role_id(tenant, "User.Read.All")
        assert wanted not in grants_of(tenant, sp.id)
        await select_identity(app, pilot, "id-dev-tests")
        await pilot.press("g")
        await settle(app, pilot)
        assert isinstance(app.screen, AppRolePickerScreen)
        await type_text(pilot, "User.Read.All")
        await pilot.pause()
        assert app.screen.table.current.data.value == "User.Read.All"
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        if dialog.needs_typing:
            dialog.query_one("#confirm-typed").focus()
            await type_text(pilot, "User.Read.All")
            await pilot.press("enter")
        else:
            await pilot.press("tab", "enter")
        await until_loaded(app, pilot)
        assert wanted in grants_of(tenant, sp.id)


async def test_remove_role_assignment_and_revoke_app_role(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-hr-onboarding")
        await select_identity(app, pilot, "id-hr-onboarding")
        details = screen.query_one(IdentityDetails)

        # remove the first role assignment listed
        details.tabs.active = TAB_ROLES
        details.query_one("#roles-table").focus()
        await pilot.pause()
        target = details.selected_role_assignment()
        assert target is not None
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("tab", "enter")
        screen = await until_loaded(app, pilot)
        assert target.name.lower() not in tenant.role_assignments

        # revoke its first app role grant
        details = screen.query_one(IdentityDetails)
        details.tabs.active = TAB_APP_ROLES
        details.query_one("#app-roles-table").focus()
        await pilot.pause()
        grant = details.selected_app_role_assignment()
        assert grant is not None and grant.id in tenant.app_role_assignments
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("tab", "enter")
        await until_loaded(app, pilot)
        assert grant.id not in tenant.app_role_assignments
        assert sp.id  # the identity itself is untouched
        assert identity_sp(tenant, "id-hr-onboarding").id == sp.id


# --- read-only ------------------------------------------------------------------------------------------------------
async def test_read_only_hides_writes_and_the_service_refuses_them(tmp_path: Any) -> None:
    demo = DemoTenant(read_only=True, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        assert "READ-ONLY" in plain(screen.query_one("#session-header"))
        await select_identity(app, pilot, "id-dev-tests")
        active = {b.binding.action for b in screen.active_bindings.values()}
        assert not active & {"assign_role", "grant_app_role", "remove"}
        demo.emulator.stats.reset()
        for key in ("a", "g", "delete"):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen)
        # the service refuses too, whatever path calls it
        session = demo.session
        identity = screen.selected_identity()
        roles = await session.role_definitions(f"/subscriptions/{identity.subscription_id}")
        reader = next(r for r in roles if r.role_name == "Reader")
        plan = await session.plan_role_assignment(identity, reader, identity.resource_id)
        with pytest.raises(ReadOnlyRefused):
            await session.apply(plan)
        assert demo.writes() == 0


# --- no credentials -------------------------------------------------------------------------------------------------
async def test_no_credentials_screen_then_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from tui.azure.connect import ConnectOptions, connect
    from tui.screens.no_credentials import NoCredentialsScreen

    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)

    async def environment_only() -> Any:
        return await connect(ConnectOptions(credential="environment"))

    demo = DemoTenant(state_dir=tmp_path)
    app = make_app(environment_only)
    app.demo_factory = demo
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, NoCredentialsScreen), type(app.screen)
        assert type(app.connect_error).__name__ == "SignInRequired"
        assert plain(app.screen.query_one("#signin-title"))
        await pilot.press("d")
        await until_loaded(app, pilot)
        assert app.session is demo.session


async def test_unreachable_endpoint_is_explained() -> None:
    from tui.azure.connect import ConnectOptions, connect
    from tui.screens.no_credentials import NoCredentialsScreen

    async def nowhere() -> Any:
        return await connect(ConnectOptions(arm_endpoint="https://127.0.0.1:9", credential="environment"))

    app = make_app(nowhere)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, NoCredentialsScreen)
        assert app.connect_error is not None and app.connect_error.title
        assert app.is_running


# --- keys, help, palette, copy, config -----------------------------------------------------------------------------
async def test_help_lists_keys_and_a_remapped_key_works(demo: DemoTenant) -> None:
    config = Config(keymap={"assign-role": "ctrl+a"})
    app = make_app(demo, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-dev-tests")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: key for key, _, binding_id, _ in app.screen.rows if binding_id}
        assert rows["assign-role"] == "^a"
        for binding_id in ("filter", "grant-app-role", "remove", "copy-id", "app-roles", "refresh", "help", "quit"):
            assert binding_id in rows
        title = app.screen.query_one(".dialog-title", Static).render()
        assert f"mitui {tui.version()}" in str(title)  # which mitui this is, for a bug report
        await pilot.press("escape")
        await pilot.press("a")  # the old key no longer assigns
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+a")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerScreen)


async def test_command_palette_runs_an_action(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-dev-tests")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Assign role")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerScreen)


async def test_copy_principal_id(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-orders-shared")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # the first choice: principal id
        await pilot.pause()
        assert app.clipboard == identity_sp(demo.emulator.tenant, "id-orders-shared").id


async def test_broken_config_is_a_notification_not_a_crash(demo: DemoTenant, tmp_path: Any) -> None:
    from tui.config import load_config

    file = tmp_path / "config.toml"
    file.write_text('theme = "no-such-theme"\n[keymap\n')
    app = make_app(demo, config=load_config(file))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until_loaded(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any("not valid TOML" in m for m in messages)
        assert app.theme == "textual-dark"


async def test_redact_masks_names_and_ids(demo: DemoTenant) -> None:
    app = make_app(demo, redact=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await until_loaded(app, pilot)
        shown = app.export_screenshot()
        tenant = demo.emulator.tenant
        for sp in tenant.service_principals.values():
            if sp.service_principal_type == "ManagedIdentity":
                assert sp.id not in shown and sp.display_name not in shown
        assert tenant.tenant_id not in shown


# --- app roles screen -----------------------------------------------------------------------------------------------
async def test_app_roles_screen_shows_who_holds_each_role(demo: DemoTenant) -> None:
    from tui.screens.app_roles import AppRolesScreen

    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AppRolesScreen)
        tenant = demo.emulator.tenant
        graph = tenant.service_principal_by_app_id(GRAPH_APP_ID)
        application_roles = [r for r in graph.app_roles if "Application" in r["allowedMemberTypes"]]
        table = screen.query_one("#app-roles", VirtualTable)
        assert table.row_count == len(application_roles)

        def holders_of(role_id: str) -> set[str]:
            return {
                g.principal_id
                for g in tenant.app_role_assignments.values()
                if g.resource_id == graph.id and g.app_role_id == role_id
            }

        # the list is ordered by how many hold each role; check the first few against the tenant
        for position in range(3):
            table.cursor = position
            await pilot.pause()
            role_id = table.current.data.id
            shown = {key.value for key in screen.query_one("#holders").rows}
            assert {g.principal_id for g in screen.holders.get(role_id.lower(), [])} == holders_of(role_id)
            assert len(shown) == len(holders_of(role_id))
        # search narrows the list
        await pilot.press("slash", *"RoleManagement")
        await pilot.pause()
        assert 0 < table.row_count < len(application_roles)
        assert all("rolemanagement" in row.search for row in table.visible_rows)
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_escalation_through_identities_one_can_act_as(demo: DemoTenant) -> None:
    """id-ops-scheduler may only start jobs on aa-ops-prod (its own rights: high), but the jobs run as
    aa-ops-prod: its badge says critical with an arrow, `esc:yes` keeps it, and the details name the path."""
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        table = screen.query_one("#identities", VirtualTable)
        rows = {row.data.identity.name: row.data for row in table.visible_rows}
        scheduler = rows["id-ops-scheduler"]
        assert scheduler.top is not None and scheduler.top.value == "critical" and scheduler.escalates
        assert not rows["aa-ops-prod"].escalates  # (critical on its own)

        await pilot.press("slash")
        await type_text(pilot, "esc:yes")
        await pilot.pause()
        escalating = {row.data.identity.name for row in table.visible_rows}
        assert "id-ops-scheduler" in escalating and "aa-ops-prod" not in escalating
        assert all(row.data.escalates for row in table.visible_rows)
        await pilot.press("escape")
        await pilot.pause()

        await select_identity(app, pilot, "id-ops-scheduler")
        overview = " ".join(plain(screen.query_one(IdentityDetails).query_one("#overview")).split())
        assert "Effective CRITICAL" in overview
        assert "Escalation aa-ops-prod CRITICAL" in overview
        assert "through Contoso Job Starter on rg-automation-prod/automationAccounts/aa-ops-prod" in overview
        assert "Can act as aa-ops-prod" in overview

        await select_identity(app, pilot, "aa-ops-prod")  # who can act as it: the job starter among others
        overview = " ".join(plain(screen.query_one(IdentityDetails).query_one("#overview")).split())
        assert "Acted as by" in overview and "id-ops-scheduler HIGH through Contoso Job Starter" in overview
        # people too: a user holding Automation Contributor on the account, said to be a user
        assert "Omar Operator (user) CRITICAL through Automation Contributor" in overview

        await select_identity(app, pilot, "func-dev-scheduler")  # critical on its own, and can act as aa-dev
        overview = " ".join(plain(screen.query_one(IdentityDetails).query_one("#overview")).split())
        assert "Effective" not in overview
        assert "Can act as aa-dev CRITICAL through Automation Contributor on rg-dev-automation" in overview


async def test_incident_mode_answers_in_three_keys(demo: DemoTenant) -> None:
    """i: findings (what is wrong), 2: changes (what changed), 3: who can touch the selected identity's resource;
    enter goes back to the identity of the row."""
    from tui.screens.incident import IncidentScreen
    from tui.services.access import access_at
    from tui.services.findings import findings, usage_findings

    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        await select_identity(app, pilot, "aa-ops-prod")
        inventory = screen.inventory
        await pilot.press("i")
        await settle(app, pilot)
        incident = app.screen
        assert isinstance(incident, IncidentScreen)
        table = incident.query_one("#findings", VirtualTable)
        usage = usage_findings(inventory, inventory.usage) if inventory.usage is not None else []  # read after load
        assert table.row_count == len(findings(inventory)) + len(usage) > 0
        kinds = {plain_cells(row)[1] for row in table.visible_rows}
        assert {"orphaned-assignment", "unused-identity", "critical-right", "broad-scope"} <= kinds

        await pilot.press("2")
        await settle(app, pilot)
        changes = incident.query_one("#changes", VirtualTable)
        assert changes.row_count > 0
        whens = [plain_cells(row)[0] for row in changes.visible_rows]
        assert whens == sorted(whens, reverse=True)

        await pilot.press("3")
        await settle(app, pilot)
        access = incident.query_one("#access", VirtualTable)
        aa_ops = next(i for i in inventory.identities if i.name == "aa-ops-prod")
        assert access.row_count == len(access_at(inventory, aa_ops.resource_id)) > 0
        names = {plain_cells(row)[1] for row in access.visible_rows}
        assert {"aa-ops-prod", "id-ops-scheduler"} <= names  # its own Contributor, and the job starter's right

        access.focus()
        key = next(row.key for row in access.visible_rows if plain_cells(row)[1] == "id-ops-scheduler")
        access.move_to_key(key)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert screen.selected_identity() is not None and screen.selected_identity().name == "id-ops-scheduler"


def plain_cells(row: Any) -> list[str]:
    return [cell.plain for cell in row.cells]
