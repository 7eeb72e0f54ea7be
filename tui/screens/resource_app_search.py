"""Find a resource app (an API that exposes app roles) other than Microsoft Graph, by name or app id."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.services.errors import MituiError
from tui.services.models import ResourceApp
from tui.widgets.safe_text import Redactor, safe_text

if TYPE_CHECKING:
    from tui.services.session import Session


class ResourceAppSearchScreen(ModalScreen[ResourceApp | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="app-search-cancel"),
        Binding("down", "to_results", "Results", show=False),
    ]

    def __init__(self, session: Session, redactor: Redactor | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.session = session
        self.redactor = redactor or Redactor()
        self.results: list[ResourceApp] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="app-search-dialog", classes="dialog"):
            yield Static(Text("Resource app", style="bold"), classes="dialog-title")
            yield Input(placeholder="name or app id, then enter (e.g. graph, key vault)", id="app-search")
            yield Static("", id="app-search-status")
            yield OptionList(id="app-results")

    def on_mount(self) -> None:
        self.query_one("#app-search", Input).focus()

    @on(Input.Submitted, "#app-search")
    def _search(self, event: Input.Submitted) -> None:
        self.search(event.value.strip())

    @work(exclusive=True, group="app-search", description="search")
    async def search(self, text: str) -> None:
        status = self.query_one("#app-search-status", Static)
        status.update(Text("Searching…", style="dim"))
        try:
            apps = await self.session.search_resource_apps(text)
        except MituiError as exc:
            status.update(safe_text(f"{exc.title}. {exc.hint}", style="red"))
            return
        self.results = list(apps)
        results = self.query_one("#app-results", OptionList)
        results.clear_options()
        for index, app in enumerate(self.results):
            prompt = safe_text(self.redactor.name(app.display_name), 50, style="bold")
            prompt.append(f"  {len([r for r in app.app_roles if r.is_application_role])} app roles  ", style="dim")
            prompt.append_text(safe_text(self.redactor.id(app.app_id), 36, style="dim"))
            results.add_option(Option(prompt, id=f"app-{index}"))
        status.update(Text(f"{len(self.results)} found" if self.results else "Nothing found.", style="dim"))
        if self.results:
            results.highlighted = 0

    def action_to_results(self) -> None:
        if self.results:
            self.query_one("#app-results", OptionList).focus()

    @on(OptionList.OptionSelected, "#app-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.results[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
