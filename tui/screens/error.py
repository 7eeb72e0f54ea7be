"""An error, as the admin needs it: what went wrong, what to do about it, and the request id for a ticket."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.services.errors import MituiError
from tui.widgets.safe_text import safe_text


class ErrorScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss_error", "Close", id="error-close"),
    ]

    def __init__(self, error: MituiError) -> None:
        super().__init__(classes="dialog-screen")
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog", classes="dialog -error"):
            yield Static(safe_text(self.error.title, style="bold"), id="error-title", classes="dialog-title")
            if self.error.hint:
                yield Static(safe_text(self.error.hint), id="error-hint")
            details = Text(style="dim")
            if getattr(self.error, "status", None):
                details.append(f"HTTP {self.error.status}  ")
            if getattr(self.error, "code", None):
                details.append_text(safe_text(self.error.code, 60))
                details.append("  ")
            if self.error.request_id:
                details.append("request id ")
                details.append_text(safe_text(self.error.request_id, 60))
            if details.plain:
                yield Static(details, id="error-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="error-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error-ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_error(self) -> None:
        self.dismiss(None)
