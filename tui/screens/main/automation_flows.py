"""The main screen's way into the Automation view (issue #15): `A` opens it, on the selected identity's Automation
account when it is one; the main list loads again when anything was changed there."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

AUTOMATION_BINDINGS = [
    Binding(
        "A",
        "automation",
        "Automation",
        id="automation",
        show=False,  # (F1 and the palette list it)
        tooltip="Automation accounts: runbooks and whether each is ready to run as its identity, modules, fixes",
    ),
]


class AutomationActions:
    """A mixin of MainScreen."""

    def action_automation(self: Any) -> None:
        from tui.screens.automation import AutomationScreen

        identity = self.selected_identity()
        focus = identity.resource_id if identity is not None else ""
        if self.inventory is not None and self.inventory.subscriptions:
            subs = [s.id for s in self.inventory.subscriptions]
        else:
            subs = [self.subscription_id] if self.subscription_id else []

        def closed(changed: bool | None) -> None:
            if changed:
                self.load()  # an identity turned on, a permission granted: the identities and their rights changed

        self.app.push_screen(AutomationScreen(self.session, self.redactor, subs, focus), closed)
