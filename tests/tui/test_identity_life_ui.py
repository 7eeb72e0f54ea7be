"""The identity's life from the keyboard (issue #15), with Pilot on the real sandbox tenant: m opens what can be done
to the selected identity, n creates a user-assigned identity; every change is confirmed (Cancel first), applied, and
checked in the tenant's own state."""

from __future__ import annotations

from typing import Any

from test_flows import plain, select_identity, type_text
from tui_pilot import DemoTenant, make_app

from tui.pilot import settle, until_loaded
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.identity_life import FormScreen, LifeActionsScreen
from tui.screens.main.screen import MainScreen


def _resource(tenant: Any, name: str) -> Any:
    return next(r for r in tenant.resources.values() if r.name == name)


async def _choose(app: Any, pilot: Any, words: str) -> None:
    assert isinstance(app.screen, LifeActionsScreen)
    await type_text(pilot, words)
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)


async def _apply(app: Any, pilot: Any, typed: str | None = None) -> None:
    dialog = app.screen
    assert isinstance(dialog, ConfirmScreen) and dialog.focused.id == "confirm-cancel"
    if typed is not None:
        dialog.query_one("#confirm-typed").focus()
        await type_text(pilot, typed)
        await pilot.pause()
        await pilot.press("enter")
    else:
        dialog.query_one("#confirm-apply").focus()
        await pilot.press("enter")
    await settle(app, pilot)
    if type(app.screen).__name__ == "ErrorScreen":
        raise AssertionError(app.screen.error.one_line())
    await until_loaded(app, pilot)


async def test_turn_off_a_system_identity_warns_and_needs_its_name(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        aa = _resource(tenant, "aa-ops-prod")
        principal = aa.system_principal_id
        await select_identity(app, pilot, "aa-ops-prod")
        await pilot.press("m")
        await settle(app, pilot)
        await _choose(app, pilot, "turn off")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        warnings = " ".join(plain(dialog.query_one("#confirm-warnings")).split())
        assert "Rights lost" in warnings and "Azure role" in warnings
        assert "Invoke-AzRestMethod -Method PATCH" in plain(dialog.query_one("#confirm-commands"))
        assert dialog.plan.privilege.value != "normal"
        assert dialog.query_one("#confirm-apply").disabled  # high or critical rights go: the name must be typed
        await _apply(app, pilot, typed="aa-ops-prod")
        assert aa.system_principal_id is None and principal not in tenant.service_principals
        outcome = demo.session.audit.entries()[-1]
        assert outcome["action"] == "disable-system-identity" and outcome["result"] == "applied"
        assert isinstance(app.screen, MainScreen)
        names = {row.data.identity.name for row in app.screen.query_one("#identities").rows}
        assert "aa-ops-prod" not in names  # loaded again: the identity is gone


async def test_create_a_user_identity_then_trust_github(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        near = _resource(tenant, "id-legacy-unused")
        await select_identity(app, pilot, "id-legacy-unused")
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.focused.id == "form-name"  # subscription, group and region come from the selection
        await type_text(pilot, "id-pilot-made")
        await pilot.press("enter")
        await type_text(pilot, "team=ops")
        await pilot.press("enter")
        await settle(app, pilot)
        await _apply(app, pilot)
        made = _resource(tenant, "id-pilot-made")
        assert made.resource_group == near.resource_group and made.tags == {"team": "ops"}

        await select_identity(app, pilot, "id-pilot-made")
        await pilot.press("m")
        await settle(app, pilot)
        await _choose(app, pilot, "github")
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "gh-main")
        await pilot.press("enter")
        await type_text(pilot, "contoso/orders")
        await pilot.press("enter")
        await type_text(pilot, "main")
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        await _apply(app, pilot)
        fics = [f for f in tenant.federated_credentials.values() if f.identity_id.lower() == made.id.lower()]
        assert [(f.name, f.subject) for f in fics] == [("gh-main", "repo:contoso/orders:ref:refs/heads/main")]

        # and delete it: the plan names the credential that goes with it
        await select_identity(app, pilot, "id-pilot-made")
        await pilot.press("m")
        await settle(app, pilot)
        await _choose(app, pilot, "delete this")
        assert "gh-main" in plain(app.screen.query_one("#confirm-warnings"))
        await _apply(app, pilot)
        assert tenant.resource(made.id) is None
        assert not [f for f in tenant.federated_credentials.values() if f.identity_id.lower() == made.id.lower()]
        actions = [e["action"] for e in demo.session.audit.entries() if e["event"] == "outcome"]
        assert actions == ["create-user-identity", "add-federated-credential", "delete-user-identity"]


async def test_a_bad_name_is_an_error_and_nothing_is_sent(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        before = set(tenant.resources)
        await select_identity(app, pilot, "id-legacy-unused")
        await pilot.press("n")
        await settle(app, pilot)
        await type_text(pilot, "-bad")
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert "ErrorScreen" in type(app.screen).__name__
        assert set(tenant.resources) == before


async def test_help_lists_the_identity_keys(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: key for key, _, binding_id, _ in app.screen.rows if binding_id}
        assert rows["manage-identity"] == "m" and rows["new-identity"] == "n"


async def test_contain_can_also_detach_a_user_identity(demo: DemoTenant) -> None:
    from textual.widgets import Button

    from tui.screens.contain import ContainScreen

    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        uami = _resource(tenant, "id-orders-shared")
        users = [r for r in tenant.resources.values() if uami.id in r.user_assigned_identity_ids]
        assert users
        await select_identity(app, pilot, "id-orders-shared")
        await pilot.press("x")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ContainScreen) and not dialog.detach
        assert "u: also detach" in plain(dialog.query_one("#contain-plan"))
        await pilot.press("u")
        await settle(app, pilot)
        assert dialog.detach
        text = plain(dialog.query_one("#contain-plan"))
        assert all(r.id in text for r in users)
        dialog.query_one("#contain-typed").focus()
        await type_text(pilot, "id-orders-shared")
        await pilot.pause()
        dialog.query_one("#contain-apply", Button).press()
        for _ in range(200):
            await settle(app, pilot, 1)
            if not dialog.busy and dialog.results is not None:
                break
        assert dialog.results is not None and dialog.results.ok, dialog.results.summary()
        assert all(uami.id not in r.user_assigned_identity_ids for r in users)
        assert dialog.results.restore_file is not None


def test_the_menu_masks_names_when_redacting() -> None:
    from tui.screens.main.life_flows import life_actions
    from tui.services.models import FederatedCredential, IdentityKind, ManagedIdentity
    from tui.widgets.safe_text import Redactor

    sub = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-secret"
    uami = ManagedIdentity(
        principal_id="00000000-0000-0000-0000-000000000002",
        client_id="",
        name="id-secret-name",
        kind=IdentityKind.USER,
        resource_id=f"{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-secret-name",
        used_by=(f"{sub}/providers/Microsoft.Web/sites/app-secret-site",),
    )
    credentials = [FederatedCredential("fic-secret", "https://issuer", "repo:secret/repo:ref:refs/heads/main")]
    redactor = Redactor(enabled=True)
    shown = " ".join(f"{a.label} {a.detail}" for a in life_actions(uami, None, credentials, redactor))
    assert "Remove federated credential" in shown and "Detach from resource" in shown
    assert not any(secret in shown for secret in ("id-secret-name", "app-secret-site", "fic-secret", "secret/repo"))


async def test_attach_picks_the_resource_from_a_list(demo: DemoTenant) -> None:
    from tui.screens.identity_life import ResourcePickerScreen

    app = make_app(demo)
    async with app.run_test(size=(140, 44)) as pilot:
        await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        uami = _resource(tenant, "id-legacy-unused")
        target = _resource(tenant, "logic-order-approvals")
        assert uami.id not in target.user_assigned_identity_ids
        await select_identity(app, pilot, "id-legacy-unused")
        await pilot.press("m")
        await settle(app, pilot)
        await _choose(app, pilot, "attach to")
        picker = app.screen
        assert isinstance(picker, ResourcePickerScreen)
        listed = {r.id for r in picker.resources}
        assert target.id in listed and not any("userAssignedIdentities" in r for r in listed)
        await type_text(pilot, "logic-order-approvals")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "can act as id-legacy-unused" in " ".join(plain(dialog.query_one("#confirm-warnings")).split())
        await _apply(app, pilot, typed="id-legacy-unused" if dialog.needs_typing else None)
        assert [u.lower() for u in target.user_assigned_identity_ids] == [uami.id.lower()]
        assert target.system_principal_id  # kept


def test_the_create_form_takes_a_subscription_by_name() -> None:
    from tui.screens.main.life_flows import subscription_id_of
    from tui.services.models import Inventory, Subscription

    inv = Inventory("t", "AzureCloud", subscriptions=[Subscription("11111111-1111-1111-1111-111111111111", "Prod")])
    assert subscription_id_of(inv, " prod ") == "11111111-1111-1111-1111-111111111111"
    assert subscription_id_of(inv, "22222222-2222-2222-2222-222222222222") == "22222222-2222-2222-2222-222222222222"
