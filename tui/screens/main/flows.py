"""The main screen's write flows, each linear: picker → picker → Plan → confirmation → apply → refresh. The screen
runs each in a worker of the "flow" group (MainScreen.assign_role_flow, ...)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from tui import runtime
from tui.services.errors import MituiError
from tui.services.models import Inventory, ManagedIdentity, Subscription

if TYPE_CHECKING:
    from tui.screens.main.screen import MainScreen
    from tui.services.plans import Change, Plan


def subscription_for(inventory: Inventory | None, identity: ManagedIdentity, chosen: str | None) -> Subscription | None:
    """Where to assign a role to ``identity``: its own subscription, else the one chosen in the pane, else the
    first one."""
    if inventory is None or not inventory.subscriptions:
        return None
    wanted = (identity.subscription_id or chosen or "").lower()
    for subscription in inventory.subscriptions:
        if subscription.id.lower() == wanted:
            return subscription
    return inventory.subscriptions[0]


async def assign_role(screen: MainScreen, identity: ManagedIdentity) -> None:
    from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen

    app, session = screen.app, screen.session
    subscription = subscription_for(screen.inventory, identity, screen.subscription_id)
    if subscription is None:
        app.say("No subscription to assign a role in.", "warning")  # type: ignore[attr-defined]
        return
    role = await app.push_screen_wait(RolePickerScreen(session, identity, subscription))
    if role is None:
        return
    others = screen.inventory.subscriptions if screen.inventory is not None else []
    picker = ScopePickerScreen(session, identity, subscription, role, screen.redactor, subscriptions=others)
    scope = await app.push_screen_wait(picker)
    if scope is None:
        return
    await confirm_and_apply(screen, session.plan_role_assignment(identity, role, scope))


async def grant_app_role(screen: MainScreen, identity: ManagedIdentity) -> None:
    from tui.screens.grant_app_role import AppRolePickerScreen

    picked = await screen.app.push_screen_wait(AppRolePickerScreen(screen.session, identity))
    if picked is None:
        return
    app, role = picked
    await confirm_and_apply(screen, screen.session.plan_app_role_grant(identity, app, role))


async def grant_directory_role(screen: MainScreen, identity: ManagedIdentity) -> None:
    from tui.screens.grant_directory_role import DirectoryRolePickerScreen
    from tui.services.directory_roles import assignable_directory_roles

    roles = assignable_directory_roles(screen.inventory)
    role = await screen.app.push_screen_wait(DirectoryRolePickerScreen(identity, roles, screen.redactor))
    if role is None:
        return
    await confirm_and_apply(screen, screen.session.plan_directory_role_grant(identity, role))


async def contain(screen: MainScreen, identity: ManagedIdentity) -> None:
    """The containment plan (every right held directly, each checked now), one screen to confirm and follow it; the
    inventory loads again when anything was removed."""
    from tui.screens.contain import ContainScreen

    app, inventory = screen.app, screen.inventory
    if inventory is None:
        return
    try:
        plan = await screen.session.plan_containment(identity, inventory)
    except MituiError as exc:
        app.show_error(exc)  # type: ignore[attr-defined]
        return
    dialog = ContainScreen(screen.session, plan, screen.redactor, inventory)
    changed = await app.push_screen_wait(dialog)
    if changed:
        screen.reread(dialog.plan.items)  # (the plan as applied; a detach among them loads everything again)
    else:
        app.say("Containment closed.", timeout=3)  # type: ignore[attr-defined]


async def activity(screen: MainScreen, identity: ManagedIdentity) -> None:
    """The Activity view; when it hands back a right-size proposal: confirm and apply the narrow right, and only
    once it is in place confirm and remove the broad one (each its own plan, confirmation and audit line)."""
    from tui.screens.activity import ActivityScreen
    from tui.services.right_size import right_size_plans

    app, inventory = screen.app, screen.inventory
    if inventory is None:
        return
    proposal = await app.push_screen_wait(ActivityScreen(screen.session, inventory, identity, screen.redactor))
    if proposal is None:
        return
    try:
        assign, remove = await right_size_plans(screen.session, proposal)
    except MituiError as exc:
        app.show_error(exc)  # type: ignore[attr-defined]
        return
    first = await confirm_and_apply(screen, _ready(assign))
    if first is None or not first.ok:
        app.say("Right size stopped: the broad right is kept.", timeout=4)  # type: ignore[attr-defined]
        return
    await confirm_and_apply(screen, _ready(remove))


async def _ready(plan: Plan) -> Plan:
    return plan


async def confirm_and_apply(screen: MainScreen, planning: Any) -> Change | None:
    """Show the Plan, apply it once confirmed, say what happened and read back what it touched; the Change (None
    when cancelled or not applied)."""
    from tui.screens.confirm import ConfirmScreen, plan_title

    app = screen.app
    say = app.say  # type: ignore[attr-defined]
    try:
        plan: Plan = await planning
    except MituiError as exc:
        app.show_error(exc)  # type: ignore[attr-defined]
        return None
    applying: list[asyncio.Task[Change]] = []
    quiet = contextlib.ExitStack()

    def start() -> None:
        # on Apply: the write starts before the dialog has closed (its row shows it sooner), and no full collection
        # of the garbage runs until the refresh has begun (one walked the heap for ~0.1 s while the PUT was out)
        quiet.enter_context(runtime.relaxed_gc())
        applying.append(asyncio.ensure_future(screen.session.apply(plan, landed=screen.write_answered)))

    with quiet:
        confirmed = await app.push_screen_wait(ConfirmScreen(plan, screen.redactor, on_apply=start))
        if not confirmed:
            say("Cancelled: nothing was changed.", timeout=3)
            return None
        try:
            # (shielded: a flow cancelled meanwhile leaves the write to finish, its outcome logged)
            change = await (
                asyncio.shield(applying[0]) if applying else screen.session.apply(plan, landed=screen.write_answered)
            )
        except MituiError as exc:
            app.show_error(exc)  # type: ignore[attr-defined]
            screen.load()
            return None
        screen.reread([plan], [change])
        title = plan_title(plan)
        if change.outcome == "applied":
            say(f"{title}: done — {plan.right_name}", title="Applied")
        elif change.outcome == "already-there":
            say(f"{title}: nothing to do — {change.message or 'already in place'}", title="No change")
        else:
            error = getattr(change, "error", None)
            if not isinstance(error, MituiError):
                error = MituiError(f"{title}: {change.outcome}", change.message or "Nothing was changed.")
            app.show_error(error)  # type: ignore[attr-defined]
        return change
