"""Shown while the session factory signs in (a second or two; longer for a device-code sign-in)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static


class ConnectingScreen(Screen[None]):
    DEFAULT_CSS = """
    ConnectingScreen { align: center middle; }
    ConnectingScreen #connecting-text { width: auto; padding: 1 2; }
    ConnectingScreen LoadingIndicator { height: 3; width: 30; }
    """

    def __init__(self, message: str = "Signing in…") -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(self.message, id="connecting-text", markup=False)
            yield LoadingIndicator()
        yield Footer(compact=True)
