"""The confirmation dialog: the whole Plan before anything is sent. Cancel has the focus; critical rights need
their name typed before Apply enables."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.services.plans import PlanAction
from tui.widgets.badges import privilege_badge
from tui.widgets.safe_text import Redactor, safe_text

if TYPE_CHECKING:
    from tui.services.plans import Plan

# the dialog's title: the plan's own words (PlanAction.verb), more precise where they are short
TITLES = {a.value: a.verb for a in PlanAction} | {
    "assign-role": "Assign Azure role",
    "remove-role": "Remove Azure role assignment",
    "import-module": "Import module from the PowerShell Gallery",
}
VERBS = {
    "assign-role": "Assign",
    "remove-role": "Remove",
    "grant-app-role": "Grant",
    "revoke-app-role": "Revoke",
    "grant-directory-role": "Grant",
    "remove-directory-role": "Remove",
    "enable-system-identity": "Turn on",
    "disable-system-identity": "Turn off",
    "create-user-identity": "Create",
    "delete-user-identity": "Delete",
    "attach-user-identity": "Attach",
    "detach-user-identity": "Detach",
    "add-federated-credential": "Add",
    "remove-federated-credential": "Remove",
    "import-module": "Import",
    "create-runbook": "Create",
}


def plan_title(plan: Plan) -> str:
    return TITLES.get(str(plan.action), str(plan.action))


class ConfirmScreen(ModalScreen[bool]):
    """Returns True when the user applies the plan, False otherwise. ``on_apply`` (optional) is called the moment
    Apply is pressed, before the dialog closes (closing it costs a few frames): the write can start at once."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="confirm-cancel")]

    def __init__(
        self, plan: Plan, redactor: Redactor | None = None, on_apply: Callable[[], None] | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.plan = plan
        self.redactor = redactor or Redactor()
        self.on_apply = on_apply

    @property
    def needs_typing(self) -> bool:
        return bool(self.plan.requires_typed_confirmation) and not self._no_op

    @property
    def _no_op(self) -> bool:
        """Assign/grant of something already there, or removal of something already gone: nothing to do."""
        return bool(self.plan.nothing_to_do)

    def _value(self, value: str) -> str:
        plan = self.plan
        if not self.redactor.enabled:
            return value
        if plan.identity.name:
            value = value.replace(plan.identity.name, self.redactor.name(plan.identity.name))
        return self.redactor.text(value)

    def compose(self) -> ComposeResult:
        plan = self.plan
        action = str(plan.action)
        with Vertical(id="confirm-dialog", classes="dialog"):
            title = Text(plan_title(plan), style="bold")
            title.append("  ")
            title.append_text(privilege_badge(plan.privilege))
            yield Static(title, classes="dialog-title", id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                summary = Text()
                for label, value in plan.summary():
                    summary.append(f"{label:<14}", style="bold")
                    summary.append_text(safe_text(self._value(value)))
                    summary.append("\n")
                summary.rstrip()
                yield Static(summary, id="confirm-summary")
                if self._no_op:
                    note = (
                        "Already in place: applying changes nothing."
                        if plan.action.adds
                        else "Already gone: there is nothing to remove."
                    )
                    yield Static(Text(note, style="bold"), id="confirm-exists", classes="-notice")
                warnings = tuple(getattr(plan, "warnings", ()))
                if warnings and not self._no_op:
                    lines = Text()
                    for line in warnings:
                        lines.append("! ", style="bold")
                        lines.append_text(safe_text(self._value(line)))
                        lines.append("\n")
                    lines.rstrip()
                    yield Static(lines, id="confirm-warnings")
                commands = Text()
                commands.append("az\n", style="bold dim")
                commands.append_text(safe_text(self._value(plan.az_command)))
                commands.append("\n\nPowerShell\n", style="bold dim")
                commands.append_text(safe_text(self._value(plan.powershell_command)))
                yield Static(commands, id="confirm-commands")
            if self.needs_typing:
                prompt = Text(
                    "Critical right. Type " if plan.action.adds else "Rights will be lost. Type ", style="bold"
                )
                prompt.append_text(safe_text(plan.right_name, style="bold reverse"))
                prompt.append(" to enable Apply:", style="bold")
                yield Static(prompt, id="confirm-type-prompt")
                yield Input(placeholder="type the name shown above", id="confirm-typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="confirm-cancel", variant="primary")
                yield Button(
                    f"{VERBS.get(action, 'Apply')}",
                    id="confirm-apply",
                    variant="error" if plan.privilege != "normal" or not plan.action.adds else "success",
                    disabled=self.needs_typing,
                )

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "confirm-typed":
            self.query_one("#confirm-apply", Button).disabled = event.value.strip() != self.plan.right_name.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "confirm-typed" and not self.query_one("#confirm-apply", Button).disabled:
            self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-apply" and not event.button.disabled:
            self._apply()
        else:
            self.dismiss(False)

    def _apply(self) -> None:
        if self.on_apply is not None:
            on_apply, self.on_apply = self.on_apply, None  # (once, whatever else arrives before the dialog closes)
            on_apply()
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
