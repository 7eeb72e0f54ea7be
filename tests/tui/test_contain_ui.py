"""Containment in the TUI (issue #14): x on an identity, the whole plan in one screen, Cancel by default, the
identity's name typed to enable Contain, progress and a result per item, failures retried with r. Driven with Pilot
on the real sandbox tenant; what a test checks afterwards is the emulator's own tenant state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_flows import identity_sp, plain, select_identity, type_text
from test_hostile import HOSTILE, _no_controls
from textual.widgets import Button
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.contain import ContainScreen
from tui.screens.help import HelpScreen
from tui.screens.main.screen import MainScreen


def rights_of(tenant: Any, principal_id: str) -> int:
    pid = principal_id.lower()
    return (
        sum(a.principal_id.lower() == pid for a in tenant.role_assignments.values())
        + sum(g.principal_id.lower() == pid for g in tenant.app_role_assignments.values())
        + sum(d.principal_id.lower() == pid for d in tenant.directory_role_assignments.values())
    )


async def _open(app: Any, pilot: Any, name: str) -> ContainScreen:
    await select_identity(app, pilot, name)
    await pilot.press("x")
    await settle(app, pilot)
    assert isinstance(app.screen, ContainScreen)
    return app.screen


async def _until_done(app: Any, pilot: Any, screen: ContainScreen) -> None:
    for _ in range(200):
        await settle(app, pilot, 1)
        if not screen.busy and screen.results is not None:
            return
    raise AssertionError("containment did not finish")


async def test_cancel_is_the_default_and_changes_nothing(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "id-dev-ci")
        before = rights_of(tenant, sp.id)
        demo.emulator.stats.reset()
        dialog = await _open(app, pilot, "id-dev-ci")
        assert dialog.focused.id == "contain-cancel"
        text = plain(dialog.query_one("#contain-plan"))
        assert "Azure role" in text and "app role" in text and "Application.Read.All" in text
        assert dialog.query_one("#contain-apply", Button).disabled
        await pilot.press("enter")  # Cancel
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert rights_of(tenant, sp.id) == before > 0
        assert demo.writes() == 0


async def test_typed_name_contains_then_retry_the_failed(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        sp = identity_sp(tenant, "aa-ops-prod")
        dialog = await _open(app, pilot, "aa-ops-prod")
        apply = dialog.query_one("#contain-apply", Button)
        dialog.query_one("#contain-typed").focus()
        await type_text(pilot, "aa-ops-pro")  # not the name yet
        await pilot.pause()
        assert apply.disabled
        await type_text(pilot, "d")
        await pilot.pause()
        assert not apply.disabled

        # every Graph revocation fails: the RBAC removals go through, the grants are reported failed
        demo.emulator.set_faults(1.0, seed=5, kinds=("500",), routes=("DELETE /v1.0/servicePrincipals",))
        demo.session.uncertain_retries = 0
        await pilot.press("enter")
        await _until_done(app, pilot, dialog)
        demo.emulator.set_faults(0.0)
        results = dialog.results
        assert results is not None and results.failed and not results.ok
        text = plain(dialog.query_one("#contain-plan"))
        assert "failed" in text and "done" in text
        note = plain(dialog.query_one("#contain-note"))
        assert "Restore file:" in note and str(results.restore_file) in note.replace("\n", "")
        assert results.restore_file is not None and results.restore_file.exists()
        assert dialog.query_one("#contain-retry", Button).display
        remaining = {g.principal_id.lower() for g in tenant.app_role_assignments.values()}
        assert sp.id.lower() in remaining

        await pilot.press("r")
        await _until_done(app, pilot, dialog)
        assert dialog.results is not None and dialog.results.ok
        assert "failed" not in plain(dialog.query_one("#contain-plan"))
        await pilot.press("escape")
        screen = await until_loaded(app, pilot)
        assert rights_of(tenant, sp.id) == 0
        # the inventory reloaded: the identity has no right left
        assert screen.inventory is not None
        ident = next(i for i in screen.inventory.identities if i.name == "aa-ops-prod")
        assert list(screen.inventory.rights_of(ident)) == []


async def test_help_lists_contain_and_read_only_hides_it(demo: DemoTenant, tmp_path: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-dev-ci")
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Contain" in app.export_screenshot()
    read_only = DemoTenant(read_only=True, state_dir=tmp_path / "ro")
    app = make_app(read_only)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        await select_identity(app, pilot, "id-dev-ci")
        assert "contain" not in {b.binding.action for b in screen.active_bindings.values()}
        read_only.emulator.stats.reset()
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and read_only.writes() == 0


async def test_hostile_names_stay_literal(tmp_path: Path) -> None:
    demo = DemoTenant(tenant=HOSTILE, state_dir=tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await until_loaded(app, pilot)
        inventory = screen.inventory
        held = [i for i in inventory.identities if list(inventory.rights_of(i))]
        ident = next((i for i in held if "[@click" in i.name), held[0])
        table = screen.query_one("#identities")
        table.move_to_key(ident.principal_id.lower())
        await pilot.pause()
        await pilot.press("x")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ContainScreen)
        texts = [plain(dialog.query_one(s)) for s in ("#contain-title", "#contain-plan", "#contain-type-prompt")]
        assert all(_no_controls(t) for t in texts)
        assert any("[@click=app.quit]" in t for t in texts), texts
        shown = app.export_screenshot()
        assert "\x1b" not in shown and "\u202e" not in shown
        await pilot.press("enter")  # Cancel
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running
