"""`i`: incident mode (issue #14) on the loaded inventory: what is wrong (Findings), what changed (Changes) and who
can touch a scope (Access). Enter on a row goes back to the identity in the main list. Nothing here asks Azure: it
is all computed from the inventory already loaded, so it opens at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from tui.services.access import access_at
from tui.services.changes import timeline
from tui.services.errors import InvalidInput
from tui.services.filtering import since_cutoff
from tui.services.findings import IDLE_DAYS, findings, sort_findings, usage_findings
from tui.services.models import Inventory, Privilege
from tui.services.usage import UsageReport
from tui.widgets.badges import privilege_badge
from tui.widgets.details import short_scope
from tui.widgets.filter_input import FilterInput
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row, VirtualTable

TAB_FINDINGS, TAB_CHANGES, TAB_ACCESS = "incident-findings", "incident-changes", "incident-access"

FINDING_COLUMNS = (
    Column("severity", "Severity", 10),
    Column("kind", "Kind", 19),
    Column("name", "Identity", 20, flex=1),
    Column("right", "Right", 18, flex=1),
    Column("scope", "Scope", 18, flex=1, drop=2),
    Column("detail", "Detail", 20, flex=2, drop=1),
)
CHANGE_COLUMNS = (
    Column("when", "When (UTC)", 16),
    Column("privilege", "Privilege", 10),
    Column("name", "Identity", 20, flex=1),
    Column("right", "Right", 20, flex=1),
    Column("by", "By", 14, flex=1, drop=1),
    Column("where", "Where", 18, flex=1, drop=2),
)
ACCESS_COLUMNS = (
    Column("privilege", "Privilege", 10),
    Column("name", "Identity", 20, flex=1),
    Column("role", "Role", 20, flex=1),
    Column("how", "How", 22, flex=1),  # ("inherited, via group <name>")
    Column("at", "Assigned at", 18, flex=1, drop=1),
)


class IncidentScreen(Screen[str | None]):
    """Dismisses with the principal id of the row chosen with enter (None with escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="incident-back"),
        Binding("1", "tab('incident-findings')", "Findings", id="incident-findings", tooltip="What is wrong"),
        Binding("2", "tab('incident-changes')", "Changes", id="incident-changes", tooltip="What changed, newest first"),
        Binding("3", "tab('incident-access')", "Who can touch", id="incident-access", tooltip="Rights at a scope"),
        Binding("slash", "search", "Search", id="incident-search", tooltip="Narrow the list / change the window"),
    ]

    DEFAULT_CSS = """
    IncidentScreen #incident-tabs { height: 1fr; }
    IncidentScreen TabPane { padding: 0 1; }
    IncidentScreen VirtualTable { height: 1fr; }
    IncidentScreen .incident-status { color: $text-muted; height: 1; }
    """

    def __init__(self, inventory: Inventory, redactor: Redactor, scope: str = "") -> None:
        super().__init__()
        self.inventory = inventory
        self.redactor = redactor
        self.scope = scope

    def compose(self) -> ComposeResult:
        with TabbedContent(initial=TAB_FINDINGS, id="incident-tabs"):
            with TabPane("1 Findings", id=TAB_FINDINGS), Vertical():
                yield FilterInput(placeholder="search findings (kind, identity, right...)", id="findings-filter")
                yield Static("", id="findings-status", classes="incident-status")
                yield VirtualTable(FINDING_COLUMNS, empty_text="No findings.", id="findings")
            with TabPane("2 Changes", id=TAB_CHANGES), Vertical():
                yield Input(value="7d", placeholder="since: 24h, 7d, 2w or a date", id="changes-since")
                yield Static("", id="changes-status", classes="incident-status")
                yield VirtualTable(CHANGE_COLUMNS, empty_text="No change in that window.", id="changes")
            with TabPane("3 Who can touch", id=TAB_ACCESS), Vertical():
                yield Input(value=self.scope, placeholder="an ARM id: /subscriptions/…/resourceGroups/…", id="scope")
                yield Static("", id="access-status", classes="incident-status")
                yield VirtualTable(ACCESS_COLUMNS, empty_text="Give a scope above.", id="access")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._fill_findings()
        self._fill_changes("7d")
        if self.scope:
            self._fill_access(self.scope)
        self.query_one("#findings", VirtualTable).focus()

    # --- filling ----------------------------------------------------------------------------------------------
    def _fill_findings(self) -> None:
        red = self.redactor
        found = findings(self.inventory)
        usage = self.inventory.usage
        if isinstance(usage, UsageReport):  # read after the load (the Last used column): idle and unused rights too
            idle_days = getattr(getattr(self.app, "config", None), "idle_days", IDLE_DAYS)
            found = sort_findings(found + usage_findings(self.inventory, usage, idle_days))
        rows = [
            Row(
                key=f"{n}",
                cells=(
                    privilege_badge(f.severity),
                    Text(f.kind),
                    safe_text(red.name(f.name), 60),
                    safe_text(f.right, 60),
                    safe_text(red.id(short_scope(f.scope)), 80),
                    safe_text(f.detail, 200, style="dim"),
                ),
                search=f"{f.kind} {f.name} {f.right} {f.scope} {f.severity.value}".lower(),
                data=f.principal_id,
            )
            for n, f in enumerate(found)
        ]
        self.query_one("#findings", VirtualTable).set_rows(rows)
        counts = {level: sum(1 for f in found if f.severity is level) for level in Privilege}
        self.query_one("#findings-status", Static).update(
            f"{len(found)} findings: {counts[Privilege.CRITICAL]} critical, {counts[Privilege.HIGH]} high, "
            f"{counts[Privilege.NORMAL]} normal  (enter: go to the identity)"
        )

    def _fill_changes(self, since_text: str) -> None:
        status = self.query_one("#changes-status", Static)
        try:
            since = since_cutoff(since_text.strip() or "7d", datetime.now(UTC))
        except InvalidInput as err:
            status.update(safe_text(err.one_line(), style="red"))
            return
        red = self.redactor
        found = timeline(self.inventory, since)
        rows = [
            Row(
                key=f"{n}",
                cells=(
                    Text(f"{c.when:%Y-%m-%d %H:%M}"),
                    privilege_badge(c.right.privilege),
                    safe_text(red.name(c.identity.name), 60),
                    safe_text(f"{c.kind} {c.name}", 60),
                    safe_text(red.name(c.actor), 40),
                    safe_text(red.id(short_scope(c.where)), 80),
                ),
                data=c.identity.principal_id,
            )
            for n, c in enumerate(found)
        ]
        self.query_one("#changes", VirtualTable).set_rows(rows, keep_cursor=False)
        status.update(f"{len(found)} rights created since {since:%Y-%m-%d %H:%M} UTC, newest first")

    def _fill_access(self, scope: str) -> None:
        status = self.query_one("#access-status", Static)
        try:
            found = access_at(self.inventory, scope.strip())
        except InvalidInput as err:
            status.update(safe_text(err.one_line(), style="red"))
            return
        red = self.redactor
        rows = [
            Row(
                key=f"{n}",
                cells=(
                    privilege_badge(a.right.privilege),
                    safe_text(red.name(a.identity.name), 60),
                    safe_text(a.right.role_name, 60),
                    safe_text(a.how, 80),
                    safe_text(red.id(short_scope(a.right.scope)), 80),
                ),
                data=a.identity.principal_id,
            )
            for n, a in enumerate(found)
        ]
        self.query_one("#access", VirtualTable).set_rows(rows, keep_cursor=False)
        names = {a.identity.principal_id for a in found}
        status.update(f"{len(names)} identities with {len(found)} Azure roles that apply there")

    # --- events -----------------------------------------------------------------------------------------------
    @on(Input.Changed, "#findings-filter")
    def _search_findings(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        table = self.query_one("#findings", VirtualTable)
        table.set_filter((lambda row: all(w in row.search for w in words)) if words else None)

    @on(Input.Submitted, "#changes-since")
    def _since(self, event: Input.Submitted) -> None:
        self._fill_changes(event.value)
        self.query_one("#changes", VirtualTable).focus()

    @on(Input.Submitted, "#scope")
    def _scope(self, event: Input.Submitted) -> None:
        self._fill_access(event.value)
        self.query_one("#access", VirtualTable).focus()

    @on(Input.Submitted, "#findings-filter")
    def _search_done(self, event: Input.Submitted) -> None:
        self.query_one("#findings", VirtualTable).focus()

    @on(VirtualTable.Selected)
    def _chosen(self, event: VirtualTable.Selected) -> None:
        row = event.control.current
        if row is not None and row.data:
            self.dismiss(str(row.data))

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or ""
        target = {TAB_FINDINGS: "#findings", TAB_CHANGES: "#changes", TAB_ACCESS: "#access"}.get(pane)
        if pane == TAB_ACCESS and not self.query_one("#access", VirtualTable).row_count:
            target = "#scope"
        if target:
            self.query_one(target).focus()

    def action_tab(self, tab: str) -> None:
        self.query_one("#incident-tabs", TabbedContent).active = tab

    def action_search(self) -> None:
        tab = self.query_one("#incident-tabs", TabbedContent).active
        self.query_one({TAB_FINDINGS: "#findings-filter", TAB_CHANGES: "#changes-since"}.get(tab, "#scope")).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            tab = self.query_one("#incident-tabs", TabbedContent).active
            self.query_one({TAB_FINDINGS: "#findings", TAB_CHANGES: "#changes"}.get(tab, "#access")).focus()
            return
        self.dismiss(None)
