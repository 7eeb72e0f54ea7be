"""`c`: pick which id to copy (principal, client, resource, assignment); copied with OSC 52."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.safe_text import Redactor, safe_text


class CopyIdScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="copy-cancel")]

    def __init__(self, choices: list[tuple[str, str]], redactor: Redactor | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.choices = choices
        self.redactor = redactor or Redactor()

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-dialog", classes="dialog"):
            yield Static(Text("Copy which id?", style="bold"), classes="dialog-title")
            options = []
            for index, (label, value) in enumerate(self.choices):
                prompt = Text(f"{label:<20}", style="bold")
                prompt.append_text(safe_text(self.redactor.id(value), 70))
                options.append(Option(prompt, id=f"copy-{index}"))
            yield OptionList(*options, id="copy-options")
            yield Static(Text("enter copies (OSC 52: most terminals put it on the clipboard)", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        label, value = self.choices[event.option_index]
        self.app.copy_to_clipboard(value)
        self.app.say(f"Copied the {label.lower()} to the clipboard.", timeout=3)  # type: ignore[attr-defined]
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
