"""The assign flow's scope picker reaches the whole tenant (issue #14): the identity's own subscription, the
tenant's other subscriptions, the management groups, and a pasted ARM id (checked: a malformed id or a scope that
does not exist is refused in the picker, and nothing is planned). An assignment at a management group goes through
the plan and its confirmation to the sandbox tenant, with the real SDK over HTTP."""

from __future__ import annotations

from typing import Any

from test_flows import READER, assignments_of, identity_sp, plain, select_identity, type_text
from textual.widgets import Input, Static, Tree
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.error import ErrorScreen
from tui.screens.main.screen import MainScreen

MGS = "/providers/Microsoft.Management/managementGroups"


async def _to_scope_picker(app: Any, pilot: Any, identity: str, role: str) -> ScopePickerScreen:
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
    return app.screen


def _node(tree: Tree, text: str) -> Any:
    """The visible node whose label starts with ``text``."""
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.label.plain.startswith(text):
            return node
    raise AssertionError(
        f"no node {text!r} in {[tree.get_node_at_line(i).label.plain for i in range(tree.last_line + 1)]}"
    )


async def test_tree_offers_every_subscription_and_the_management_groups(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-tests")
        picker = await _to_scope_picker(app, pilot, "id-dev-tests", "Reader")
        tree = picker.query_one("#scope-tree", Tree)
        tops = [node.label.plain.split("  ")[0] for node in tree.root.children]
        own = next(s for s in screen.inventory.subscriptions if s.id.lower() == sp.alternative_names[1].split("/")[2])
        assert tops[0] == own.display_name  # the identity's own subscription first, opened
        assert set(tops[1:-1]) == {s.display_name for s in screen.inventory.subscriptions} - {own.display_name}
        assert len(tops) > 3
        assert tops[-1] == "Management groups"
        assert tree.root.children[0].is_expanded and tree.root.children[0].children  # its resource groups

        # the management groups: the tenant root group, below it mg-contoso, below that mg-contoso-platform
        tree.focus()
        groups = tree.root.children[-1]
        tree.move_cursor(groups)
        await pilot.press("space")
        await settle(app, pilot)
        root = _node(tree, "Tenant Root Group")
        tree.move_cursor(root)
        await pilot.press("space")
        await settle(app, pilot)
        contoso = _node(tree, "Contoso  management group")
        below_root = {c.label.plain.split("  ")[0] for c in root.children}
        direct = {s.display_name for s in tenant.subscriptions.values() if not s.management_group}
        assert below_root == {"Contoso", *direct}
        tree.move_cursor(contoso)
        await pilot.press("space")
        await settle(app, pilot)
        below = {c.label.plain.split("  ")[0] for c in contoso.children}
        assert "Contoso Platform [shared]" in below  # (its name has markup-like brackets: shown literally)
        assert {"Contoso Production", "Contoso Development"} <= below
        assert isinstance(app.screen, ScopePickerScreen)

        # Alex holds no right at mg-contoso: ARM refuses (403) before anything is planned, shown as such
        tree.move_cursor(contoso)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert "AuthorizationFailed" in " ".join(plain(w) for w in app.screen.query(Static))
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and demo.writes() == 0

        # the landing zone group, which Alex owns: the plan and its confirmation name it and its level
        picker = await _to_scope_picker(app, pilot, "id-dev-tests", "Reader")
        tree = picker.query_one("#scope-tree", Tree)
        tree.focus()
        for label in ("Management groups", "Tenant Root Group", "Contoso  management group"):
            tree.move_cursor(_node(tree, label))
            await pilot.press("space")
            await settle(app, pilot)
        tree.move_cursor(_node(tree, "Contoso Landing Zone"))
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        landing = f"{MGS}/mg-contoso-landing"
        summary = " ".join(plain(dialog.query_one("#confirm-summary")).split())
        assert landing in summary and "management group" in summary
        commands = plain(dialog.query_one("#confirm-commands"))
        assert f"--scope {landing}" in commands
        assert f"--role {READER}" in commands
        assert (READER, landing.lower()) not in assignments_of(tenant, sp.id)
        await pilot.press("tab", "enter")  # Apply (Reader: no name to type)
        await until_loaded(app, pilot)
        assert (READER, landing.lower()) in assignments_of(tenant, sp.id)


async def test_pasted_id_is_checked_before_it_is_chosen(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 48)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-tests")
        before = assignments_of(tenant, sp.id)
        picker = await _to_scope_picker(app, pilot, "id-dev-tests", "Reader")
        status = picker.query_one("#scope-status", Static)
        box = picker.query_one("#scope-paste", Input)
        other = next(s for s in tenant.subscriptions.values() if s.display_name == "Contoso Shared Services")

        async def paste(text: str) -> None:
            await pilot.press("slash")  # from the suggestions: to the paste box
            assert picker.focused is box
            box.value = ""
            await pilot.press(*text, "enter")
            await settle(app, pilot)

        for bad, says in (
            ("/subscriptions/not-a-guid/resourceGroups/rg", "Not a valid scope"),
            (f"/subscriptions/{other.subscription_id}/resourceGroups/rg-nope", "No such scope"),
            (f"/subscriptions/{other.subscription_id}/resourceGroups", "Not an ARM scope"),
            (f"{MGS}/mg-nope", "Not allowed"),  # (ARM asks for the right first: a group one cannot see is 403)
        ):
            await paste(bad)
            assert app.screen is picker, bad  # refused in the picker: nothing planned
            assert says in str(status.render()), (bad, str(status.render()))
            await pilot.press("escape")  # out of the box, back to the suggestions
            assert app.screen is picker

        # a group of another subscription, pasted: the plan is at it, with that subscription's role id
        rg = f"/subscriptions/{other.subscription_id}/resourceGroups/{next(iter(_groups_of(tenant, other)))}"
        await paste(rg)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        summary = " ".join(plain(dialog.query_one("#confirm-summary")).split())
        assert rg in summary and "resource group" in summary
        commands = plain(dialog.query_one("#confirm-commands"))
        assert f"--role {READER}" in commands and f"--scope {rg}" in commands
        await pilot.press("enter")  # Cancel
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert assignments_of(tenant, sp.id) == before
        assert demo.writes() == 0


def _groups_of(tenant: Any, sub: Any) -> list[str]:
    return sorted(
        rg.name for rg in tenant.resource_groups.values() if rg.subscription_id.lower() == sub.subscription_id.lower()
    )
