"""Grant an app role: Microsoft Graph by default (ctrl+o picks another resource app), then a searchable list of
its application roles (value, privilege, description)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.screens.picker import PickerScreen
from tui.screens.resource_app_search import ResourceAppSearchScreen
from tui.services.errors import MituiError
from tui.services.models import AppRole, ManagedIdentity, ResourceApp
from tui.widgets.badges import privilege_badge, privilege_why
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row

if TYPE_CHECKING:
    from tui.services.session import Session

APP_ROLE_COLUMNS = (
    Column("value", "App role", 24, flex=1),
    Column("privilege", "Privilege", 10),
    Column("description", "Description", 20, flex=2, drop=1),
)


def app_role_rows(app: ResourceApp) -> list[Row]:
    roles = [r for r in app.app_roles if r.is_application_role and r.is_enabled]
    return [
        Row(
            key=role.id.lower(),
            cells=(safe_text(role.value), privilege_badge(role.privilege), safe_text(role.description)),
            search=f"{role.value} {role.display_name} {role.description} {role.privilege.value}".lower(),
            data=role,
        )
        for role in sorted(roles, key=lambda r: r.value.lower())
    ]


def app_label(app: ResourceApp | None, redactor: Redactor, hint: str = "ctrl+o: another app") -> Text:
    label = Text("Resource app  ", style="bold")
    if app is None:
        label.append("loading…", style="dim")
        return label
    label.append_text(safe_text(redactor.name(app.display_name), 50))
    label.append("  ")
    label.append_text(safe_text(redactor.id(app.app_id), 36, style="dim"))
    if hint:
        label.append(f"   {hint}", style="dim")
    return label


class AppRolePickerScreen(PickerScreen[tuple[ResourceApp, AppRole]]):
    COLUMNS = APP_ROLE_COLUMNS
    PLACEHOLDER = "search app roles (e.g. mail.send, directory, critical)"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "other_app", "Other app", id="other-resource-app", tooltip="Pick another resource app"),
    ]

    def __init__(self, session: Session, identity: ManagedIdentity, redactor: Redactor | None = None) -> None:
        redactor = redactor or Redactor()
        title = Text("Grant app role", style="bold")
        title.append(" → ")
        title.append_text(safe_text(redactor.name(identity.name), 50, style="bold"))
        super().__init__(title, redactor)
        self.session = session
        self.identity = identity
        self.resource: ResourceApp | None = None

    def compose_top(self):  # type: ignore[no-untyped-def]
        yield Static(app_label(None, self.redactor), id="resource-app")

    def on_mount(self) -> None:
        super().on_mount()
        self.set_status("Loading Microsoft Graph's app roles…")
        self.load()

    @work(exclusive=True, group="resource-app", description="load")
    async def load(self, app_id: str | None = None) -> None:
        try:
            app = await (self.session.resource_app(app_id) if app_id else self.session.resource_app())
        except MituiError as exc:
            self.set_items([], empty_text="Could not load the app roles.")
            self.set_status(f"{exc.title}. {exc.hint}", style="red")
            return
        self.show_app(app)

    def show_app(self, app: ResourceApp) -> None:
        self.resource = app
        self.query_one("#resource-app", Static).update(app_label(app, self.redactor))
        rows = app_role_rows(app)
        self.set_items(rows, empty_text="This app has no application roles." if not rows else "Nothing matches.")

    def action_other_app(self) -> None:
        def picked(app: ResourceApp | None) -> None:
            if app is not None:
                if app.app_roles:
                    self.show_app(app)
                else:
                    self.load(app.app_id)

        self.app.push_screen(ResourceAppSearchScreen(self.session, self.redactor), picked)

    def why(self, item: AppRole) -> Text:
        return privilege_why(item.privilege, item.privilege_reason)

    def chosen(self, item: Any) -> None:
        if self.resource is not None:
            self.dismiss((self.resource, item))
