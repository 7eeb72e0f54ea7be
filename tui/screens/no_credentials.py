"""Instead of a traceback when nobody is signed in: how to sign in, and the demo one key away."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.services.errors import MituiError
from tui.widgets.safe_text import safe_text

HOW_TO_SIGN_IN = (
    ("Azure CLI", "az login", "then run mitui again (add --tenant <id> if you have several tenants)"),
    (
        "Environment",
        "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)",
        "a service principal; mitui --credential environment",
    ),
    (
        "Managed identity",
        "mitui --credential managed-identity",
        "on an Azure VM, App Service, Container App or Automation account (AZURE_CLIENT_ID picks a user-assigned one)",
    ),
    ("No browser", "mitui --credential device-code", "sign in with a code on another device"),
    ("Other clouds", "mitui --cloud usgov | china, or --arm-endpoint URL", "national and custom clouds"),
)


class NoCredentialsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "demo", "Try the demo", id="open-demo", tooltip="Open the built-in sandbox tenant"),
        Binding("r", "retry", "Retry", id="retry-sign-in", tooltip="Try signing in again"),
    ]

    def __init__(self, error: MituiError, demo_available: bool = True) -> None:
        super().__init__()
        self.error = error
        self.demo_available = demo_available

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="no-credentials"):
            yield Static(safe_text(self.error.title, style="bold"), id="signin-title")
            if self.error.hint:
                yield Static(safe_text(self.error.hint), id="signin-hint")
            if self.demo_available:
                demo = Text()
                demo.append("\nNo account at hand? Press ")
                demo.append(" d ", style="reverse bold")
                demo.append(" to open the built-in sandbox tenant (mitui --demo).")
                yield Static(demo, id="signin-demo")
            guide = Text()
            guide.append("\nmitui signs in the way the Azure CLI and SDKs do. Any one of these works:\n")
            for label, command, note in HOW_TO_SIGN_IN:
                guide.append(f"\n{label}: ", style="bold")
                guide.append(note, style="dim")
                guide.append("\n    ")
                guide.append(command, style="bold cyan")
            guide.append("\n\nmitui needs Reader on the subscriptions to list identities and roles, and a Graph read ")
            guide.append("permission (e.g. Directory Readers) to list managed identities tenant-wide.")
            yield Static(guide, id="signin-guide")
        yield Footer(compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo" and not self.demo_available:
            return None
        return True

    def action_demo(self) -> None:
        self.app.open_demo()  # type: ignore[attr-defined]

    def action_retry(self) -> None:
        self.app.retry_connect()  # type: ignore[attr-defined]
