"""`p`: a resource app's app roles (Microsoft Graph by default) and, for each, which identities hold it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tui.screens.grant_app_role import app_label
from tui.screens.resource_app_search import ResourceAppSearchScreen
from tui.services.errors import MituiError
from tui.services.models import AppRoleAssignment, ResourceApp
from tui.widgets.badges import privilege_badge
from tui.widgets.filter_input import FilterInput
from tui.widgets.header import SessionHeader
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row, VirtualTable

if TYPE_CHECKING:
    from tui.services.session import Session

COLUMNS = (
    Column("value", "App role", 22, flex=1),
    Column("privilege", "Privilege", 10),
    Column("holders", "Held by", 7, align="right"),
    Column("description", "Description", 20, flex=2, drop=1),
)


class AppRolesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="app-roles-back"),
        Binding("slash", "search", "Search roles", id="app-roles-search"),
        Binding("o", "other_app", "Other app", id="app-roles-other-app", tooltip="Show another resource app"),
        Binding("r", "refresh", "Refresh", id="app-roles-refresh"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.resource: ResourceApp | None = None
        self.holders: dict[str, list[AppRoleAssignment]] = {}

    @property
    def redactor(self) -> Redactor:
        return getattr(self.app, "redactor", Redactor())

    def compose(self) -> ComposeResult:
        yield SessionHeader()
        yield Static(app_label(None, self.redactor, "o: another app"), id="resource-app")
        with Horizontal(id="app-roles-body"):
            with Vertical(id="app-roles-pane", classes="pane"):
                yield FilterInput(placeholder="search app roles", id="app-roles-filter")
                yield VirtualTable(COLUMNS, empty_text="Loading…", id="app-roles")
            with Vertical(id="holders-pane", classes="pane"):
                yield Static(Text("Held by", style="bold"), id="holders-title", classes="pane-title")
                holders: DataTable[Text] = DataTable(id="holders", cursor_type="row", zebra_stripes=True)
                holders.add_column("Identity", key="name")
                holders.add_column("Principal ID", key="principal")
                yield holders
        yield Static("", id="app-roles-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        session = self.session
        self.query_one(SessionHeader).show(
            cloud=session.cloud_name,
            tenant=session.tenant_id,
            principal=session.caller.display_name or session.caller.object_id,
            demo=bool(session.demo),
            read_only=bool(session.read_only),
            redactor=self.redactor,
        )
        self.query_one("#app-roles", VirtualTable).focus()
        self.load()

    @work(exclusive=True, group="app-roles", description="load")
    async def load(self, app_id: str | None = None) -> None:
        status = self.query_one("#app-roles-status", Static)
        status.update(Text("Loading app roles and their holders…", style="dim"))
        try:
            app = await (self.session.resource_app(app_id) if app_id else self.session.resource_app())
            grants = await self.session.app_role_holders(app)
        except MituiError as exc:
            status.update(safe_text(f"{exc.title}. {exc.hint}", style="red"))
            self.app.show_error(exc)  # type: ignore[attr-defined]
            return
        self.resource = app
        self.holders = {}
        for grant in grants:
            self.holders.setdefault(grant.app_role_id.lower(), []).append(grant)
        self.query_one("#resource-app", Static).update(app_label(app, self.redactor, "o: another app"))
        rows = []
        for role in sorted(app.app_roles, key=lambda r: (-len(self.holders.get(r.id.lower(), [])), r.value.lower())):
            if not role.is_application_role:
                continue
            count = len(self.holders.get(role.id.lower(), []))
            rows.append(
                Row(
                    key=role.id.lower(),
                    cells=(
                        safe_text(role.value),
                        privilege_badge(role.privilege),
                        Text(str(count), style="" if count else "dim"),
                        safe_text(role.description),
                    ),
                    search=f"{role.value} {role.description} {role.privilege.value}".lower(),
                    data=role,
                )
            )
        table = self.query_one("#app-roles", VirtualTable)
        table.empty_text = "No application roles."
        table.set_rows(rows)
        held = sum(1 for r in rows if self.holders.get(r.key))
        status.update(Text(f"{len(rows)} app roles, {held} held, {len(grants)} grants in all", style="dim"))
        self._show_holders()

    @on(VirtualTable.Highlighted, "#app-roles")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_holders()

    def _show_holders(self) -> None:
        table = self.query_one("#holders", DataTable)
        table.clear()
        row = self.query_one("#app-roles", VirtualTable).current
        title = self.query_one("#holders-title", Static)
        if row is None:
            title.update(Text("Held by", style="bold"))
            return
        grants = self.holders.get(row.key, [])
        heading = Text("Held by ", style="bold")
        heading.append_text(safe_text(row.data.value, 40, style="bold"))
        heading.append(f"  ({len(grants)})", style="dim")
        title.update(heading)
        red = self.redactor
        for grant in sorted(grants, key=lambda g: g.principal_display_name.lower()):
            table.add_row(
                safe_text(red.name(grant.principal_display_name) or "(unknown)", 40),
                safe_text(red.id(grant.principal_id), 36),
                key=grant.id,
            )

    @on(Input.Changed, "#app-roles-filter")
    def _filter(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        table = self.query_one("#app-roles", VirtualTable)
        table.set_filter((lambda row: all(w in row.search for w in words)) if words else None)

    @on(Input.Submitted, "#app-roles-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one("#app-roles", VirtualTable).focus()

    def action_search(self) -> None:
        self.query_one("#app-roles-filter", Input).focus()

    def action_other_app(self) -> None:
        def picked(app: ResourceApp | None) -> None:
            if app is not None:
                self.load(app.app_id)

        self.app.push_screen(ResourceAppSearchScreen(self.session, self.redactor), picked)

    def action_refresh(self) -> None:
        self.load(self.resource.app_id if self.resource else None)

    def action_back(self) -> None:
        if self.focused is self.query_one("#app-roles-filter", Input):
            self.query_one("#app-roles", VirtualTable).focus()
            return
        self.app.pop_screen()
