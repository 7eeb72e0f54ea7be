"""`i`: incident mode (issue #14) on the loaded inventory: what is wrong (Findings), what changed (Changes) and who
can touch a scope (Access). Enter on a row goes back to the identity in the main list. Nothing here asks Azure: it
is all computed from the inventory already loaded, in the CPU worker thread (tui.services.offload) so that a big
tenant never holds the event loop; each table shows a loading indicator until its rows arrive."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from tui.services.access import access_at, checked_scope
from tui.services.changes import changes_matching, parse_change_filter
from tui.services.errors import InvalidInput
from tui.services.findings import IDLE_DAYS, findings, sort_findings, usage_findings
from tui.services.models import Inventory, Privilege
from tui.services.odata import arm_id
from tui.services.offload import off_loop
from tui.services.usage import UsageReport
from tui.widgets.badges import privilege_badge
from tui.widgets.details import short_scope
from tui.widgets.filter_input import FilterInput
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row, VirtualTable

if TYPE_CHECKING:
    from tui.services.session import Session

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


CHANGES_HINT = "24h, 7d or a date; priv:high (at or above); by:NAME (who made it); other words narrow"


# --- rows (plain data: built in the CPU worker thread) -----------------------------------------------------------
def finding_rows(inventory: Inventory, red: Redactor, idle_days: int = IDLE_DAYS) -> tuple[list[Row], str]:
    found = findings(inventory)
    usage = inventory.usage
    if isinstance(usage, UsageReport):  # read after the load (the Last used column): idle and unused rights too
        found = sort_findings(found + usage_findings(inventory, usage, idle_days))
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
    counts = {level: sum(1 for f in found if f.severity is level) for level in Privilege}
    status = (
        f"{len(found)} findings: {counts[Privilege.CRITICAL]} critical, {counts[Privilege.HIGH]} high, "
        f"{counts[Privilege.NORMAL]} normal  (enter: go to the identity)"
    )
    return rows, status


def change_rows(inventory: Inventory, red: Redactor, text: str) -> tuple[list[Row], str]:
    """The timeline the filter ``text`` asks for; InvalidInput when it cannot be read."""
    wanted = parse_change_filter(text, datetime.now(UTC))
    found = changes_matching(inventory, wanted)
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
    window = f"since {wanted.since:%Y-%m-%d %H:%M} UTC" if wanted.since else "at any time"
    level = f", {wanted.at_least.value} or above" if wanted.at_least is not Privilege.NORMAL else ""
    actor = f", by {wanted.actor}" if wanted.actor else ""
    return rows, f"{len(found)} rights created {window}{level}{actor}, newest first"


def access_rows(inventory: Inventory, red: Redactor, scope: str) -> tuple[list[Row], str]:
    """Who can touch ``scope``; InvalidInput when it is not an ARM scope."""
    found = access_at(inventory, scope.strip())
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
    names = {a.identity.principal_id for a in found}
    return rows, f"{len(names)} identities with {len(found)} Azure roles that apply there"


class IncidentScreen(Screen[str | None]):
    """Dismisses with the principal id of the row chosen with enter (None with escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="incident-back"),
        Binding("1", "tab('incident-findings')", "Findings", id="incident-findings", tooltip="What is wrong"),
        Binding("2", "tab('incident-changes')", "Changes", id="incident-changes", tooltip="What changed, newest first"),
        Binding("3", "tab('incident-access')", "Who can touch", id="incident-access", tooltip="Rights at a scope"),
        Binding(
            "b",
            "browse",
            "Browse scopes",
            id="incident-browse",
            tooltip="Who can touch: choose the scope in the tenant's tree (management groups, subscriptions, ...)",
        ),
        Binding(
            "slash",
            "search",
            "Filter",
            id="incident-search",
            tooltip="Filter the list; on Changes: 24h / 7d / a date, priv:high, by:NAME",
        ),
    ]

    DEFAULT_CSS = """
    IncidentScreen #incident-tabs { height: 1fr; }
    IncidentScreen TabPane { padding: 0 1; }
    IncidentScreen VirtualTable { height: 1fr; }
    IncidentScreen .incident-status { color: $text-muted; height: 1; }
    """

    def __init__(
        self, inventory: Inventory, redactor: Redactor, scope: str = "", session: Session | None = None
    ) -> None:
        """``session``: to browse the tenant's scopes (`b`); without one, the scope is typed."""
        super().__init__()
        self.inventory = inventory
        self.redactor = redactor
        self.scope = scope
        self.session = session
        self._serial: dict[str, int] = {}  # per table, the latest fill's number

    def compose(self) -> ComposeResult:
        with TabbedContent(initial=TAB_FINDINGS, id="incident-tabs"):
            with TabPane("1 Findings", id=TAB_FINDINGS), Vertical():
                yield FilterInput(placeholder="search findings (kind, identity, right...)", id="findings-filter")
                yield Static("", id="findings-status", classes="incident-status")
                yield VirtualTable(FINDING_COLUMNS, empty_text="No findings.", id="findings")
            with TabPane("2 Changes", id=TAB_CHANGES), Vertical():
                yield FilterInput(value="7d", placeholder=CHANGES_HINT, id="changes-filter")
                yield Static("", id="changes-status", classes="incident-status")
                yield VirtualTable(CHANGE_COLUMNS, empty_text="No change in that window.", id="changes")
            with TabPane("3 Who can touch", id=TAB_ACCESS), Vertical():
                yield Input(value=self.scope, placeholder="an ARM id: /subscriptions/…/resourceGroups/…", id="scope")
                yield Static("", id="access-status", classes="incident-status")
                yield VirtualTable(ACCESS_COLUMNS, empty_text="Give a scope above.", id="access")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        inv, red = self.inventory, self.redactor
        idle_days = getattr(getattr(self.app, "config", None), "idle_days", IDLE_DAYS)
        self.fill("#findings", partial(finding_rows, inv, red, idle_days))
        self.fill("#changes", partial(change_rows, inv, red, "7d"))
        if self.scope:
            self.fill("#access", partial(access_rows, inv, red, self.scope))

    # --- filling ----------------------------------------------------------------------------------------------
    @work(exclusive=False, group="incident", description="fill")
    async def fill(self, table_id: str, build: Callable[[], tuple[list[Row], str]], focus: bool = False) -> None:
        """``build()`` in the CPU worker thread, then its rows into ``table_id`` and its words into the status line
        (a newer fill of the same table wins); InvalidInput goes to the status line, the rows stay as they were.
        Once filled, the table takes the focus when its tab is showing (a loading widget cannot take it), unless
        the admin is typing in a box; ``focus``: even then (the box was just submitted)."""
        table = self.query_one(table_id, VirtualTable)
        status = self.query_one(f"#{STATUS[table_id]}", Static)
        self._serial[table_id] = serial = self._serial.get(table_id, 0) + 1
        table.loading = True
        try:
            rows, said = await off_loop(build)
        except InvalidInput as err:
            if serial == self._serial[table_id]:
                table.loading = False
                status.update(safe_text(err.one_line(), style="red"))
            return
        if serial != self._serial[table_id]:
            return  # a newer fill of this table is under way
        table.set_rows(rows, keep_cursor=False)
        table.loading = False
        status.update(safe_text(said))
        if self.query_one("#incident-tabs", TabbedContent).active == TAB[table_id] and (
            focus or not isinstance(self.focused, Input)
        ):
            table.focus()

    # --- events -----------------------------------------------------------------------------------------------
    @on(Input.Changed, "#findings-filter")
    def _search_findings(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        table = self.query_one("#findings", VirtualTable)
        table.set_filter((lambda row: all(w in row.search for w in words)) if words else None)

    @on(Input.Submitted, "#changes-filter")
    def _changes(self, event: Input.Submitted) -> None:
        try:
            parse_change_filter(event.value, datetime.now(UTC))  # (cheap: a filter it cannot read stays in the box)
        except InvalidInput as err:
            self.query_one("#changes-status", Static).update(safe_text(err.one_line(), style="red"))
            return
        self.fill("#changes", partial(change_rows, self.inventory, self.redactor, event.value), focus=True)

    @on(Input.Submitted, "#scope")
    def _scope(self, event: Input.Submitted) -> None:
        self.fill("#access", partial(access_rows, self.inventory, self.redactor, event.value), focus=True)

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.session is not None if action == "browse" else True

    def action_browse(self) -> None:
        """The tenant's scopes in a tree (or a pasted id); the one chosen goes to Who can touch."""
        from tui.screens.scope_browser import ScopeBrowserScreen

        if self.session is None:
            return
        self.action_tab(TAB_ACCESS)
        current = self.query_one("#scope", Input).value.strip()
        suggested = [(current, "the scope shown")] if current else []

        async def check(text: str) -> str:
            return checked_scope(arm_id(text.strip()))  # (no request: the answer comes from the inventory)

        def chosen(scope: str | None) -> None:
            if scope:
                self.query_one("#scope", Input).value = scope
                self.fill("#access", partial(access_rows, self.inventory, self.redactor, scope), focus=True)

        title = Text("Who can touch: choose a scope", style="bold")
        subscriptions = self.inventory.subscriptions
        browser = ScopeBrowserScreen(self.session, title, suggested, subscriptions, check, self.redactor)
        self.app.push_screen(browser, chosen)

    def action_search(self) -> None:
        tab = self.query_one("#incident-tabs", TabbedContent).active
        self.query_one({TAB_FINDINGS: "#findings-filter", TAB_CHANGES: "#changes-filter"}.get(tab, "#scope")).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            tab = self.query_one("#incident-tabs", TabbedContent).active
            self.query_one({TAB_FINDINGS: "#findings", TAB_CHANGES: "#changes"}.get(tab, "#access")).focus()
            return
        self.dismiss(None)


STATUS = {"#findings": "findings-status", "#changes": "changes-status", "#access": "access-status"}
TAB = {"#findings": TAB_FINDINGS, "#changes": TAB_CHANGES, "#access": TAB_ACCESS}
