"""`u`: what one identity did (issue #19): its sign-ins, Azure operations (operation, resource, status, time,
correlation id) and Entra changes, newest first, filterable by time (``since:24h``) and operation (words), with the
coverage of each source and the right-size proposals for its broad rights (`z` dismisses with the first, for the
main screen to plan and confirm).

Read only when opened: the timeline (30 days of sign-ins and audits, 90 of the Activity Log, cached on disk) and the
usage of the inventory for the right-size, in a worker; the screen says it is reading until then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui.services.errors import InvalidInput, MituiError
from tui.services.filtering import since_cutoff
from tui.services.right_size import RightSize, right_size
from tui.services.usage import OK, ActivityCache, Timeline, TimelineEntry, filter_timeline, timeline_of, usage_of
from tui.widgets.details import short_scope
from tui.widgets.filter_input import FilterInput
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row, VirtualTable

if TYPE_CHECKING:
    from tui.services.models import Inventory, ManagedIdentity
    from tui.services.session import Session

NOT_RECORDED = "Reads and data-plane use are not recorded by Azure: they are not here."
READ_DAYS = 30
COLUMNS = (
    Column("time", "Time (UTC)", 19),
    Column("source", "Source", 7),
    Column("operation", "Operation", 24, flex=2),
    Column("target", "Resource / target", 20, flex=2, drop=2),
    Column("status", "Status", 10),
    Column("correlation", "Correlation id", 36, drop=1),
)
SOURCE_STYLE = {"sign-in": "cyan", "azure": "yellow", "entra": "magenta"}


def parse_query(text: str, now: datetime) -> tuple[datetime | None, str]:
    """(since, words) of ``since:24h restart``; InvalidInput for a bad ``since:``."""
    since: datetime | None = None
    words = []
    for token in text.split():
        if token.lower().startswith("since:"):
            since = since_cutoff(token[6:], now)
        else:
            words.append(token)
    return since, " ".join(words)


class ActivityScreen(Screen["RightSize | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="activity-back"),
        Binding("slash", "search", "Filter", id="activity-filter", tooltip="since:1h / 24h / 7d and words"),
        Binding(
            "z",
            "right_size",
            "Right-size",
            id="right-size",
            tooltip="Replace a broad right used narrowly by the least-privileged role at the narrowest scope",
        ),
    ]

    DEFAULT_CSS = """
    ActivityScreen VirtualTable { height: 1fr; }
    ActivityScreen .activity-line { color: $text-muted; height: auto; padding: 0 1; }
    ActivityScreen #activity-title { text-style: bold; padding: 0 1; }
    """

    def __init__(self, session: Session, inventory: Inventory, identity: ManagedIdentity, redactor: Redactor) -> None:
        super().__init__()
        self.session = session
        self.inventory = inventory
        self.identity = identity
        self.redactor = redactor
        self.timeline: Timeline | None = None
        self.proposals: list[RightSize] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(f"Activity of {self.redactor.name(self.identity.name)}", 120), id="activity-title")
            yield Static(NOT_RECORDED, classes="activity-line", id="activity-note")
            yield Static("Reading sign-ins, the Activity Log and directory audits…", classes="activity-line",
                         id="activity-coverage")  # fmt: skip
            yield Static("", classes="activity-line", id="activity-right-size")
            yield FilterInput(value="since:24h", placeholder="since:1h / 24h / 7d / a date, and words", id="activity-q")
            yield VirtualTable(COLUMNS, empty_text="Nothing recorded in that window.", id="activity-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#activity-table", VirtualTable).focus()
        self.read()

    @work(exclusive=True, group="activity", description="read")
    async def read(self) -> None:
        now = datetime.now(UTC)
        cache = ActivityCache(ActivityCache.default_dir())
        try:
            self.timeline = await timeline_of(
                self.inventory, self.session.backend, self.identity, now - timedelta(days=READ_DAYS), cache=cache
            )
        except MituiError as err:
            self.query_one("#activity-coverage", Static).update(safe_text(err.one_line(), 300, style="red"))
            return
        self._fill()
        try:
            report = await usage_of(self.inventory, self.session.backend, cache=cache)
        except MituiError:
            return
        rights = self.inventory.role_assignments.get(self.identity.principal_id.lower(), [])
        self.proposals = [p for p in (right_size(self.inventory, report, self.identity, ra) for ra in rights) if p]
        line = self.query_one("#activity-right-size", Static)
        if self.proposals:
            first = self.proposals[0]
            line.update(
                safe_text(
                    f"Right size ({first.broad.role_name} at {short_scope(first.broad.scope)}): {first.reason}. "
                    "Press z to plan it.",
                    400,
                    style="green",
                )
            )
        else:
            line.update("Right size: nothing to propose (no broad right used narrowly in 90 days, or unknown).")

    def _fill(self) -> None:
        if self.timeline is None:
            return
        query = self.query_one("#activity-q", Input).value
        line = self.query_one("#activity-coverage", Static)
        cover = ", ".join(f"{k}: {v}" for k, v in self.timeline.coverage.items())
        unknown = any(v != OK for v in self.timeline.coverage.values())
        try:
            since, words = parse_query(query, datetime.now(UTC))
        except InvalidInput as err:  # (while typing "since:7d", "since:7" is one of these: the rows stay)
            line.update(safe_text(f"Coverage — {cover} · {err.one_line()}", 500, style="yellow"))
            return
        line.update(safe_text(f"Coverage — {cover}", 400, style="red" if unknown else ""))
        entries = filter_timeline(self.timeline.entries, since, words)
        self.query_one("#activity-table", VirtualTable).set_rows([self._row(n, e) for n, e in enumerate(entries)])

    def _row(self, n: int, e: TimelineEntry) -> Row:
        red = self.redactor
        return Row(
            key=str(n),
            cells=(
                Text(f"{e.time:%Y-%m-%d %H:%M:%S}"),
                Text(e.source, style=SOURCE_STYLE.get(e.source, "")),
                safe_text(e.operation, 120),
                safe_text(red.id(short_scope(e.target)), 200),
                safe_text(e.status, 30, style="red" if e.status.lower().startswith(("fail", "error")) else ""),
                safe_text(e.correlation_id, 40, style="dim"),
            ),
            search=f"{e.operation} {e.target}".lower(),
            data=e,
        )

    @on(Input.Changed, "#activity-q")
    def _query(self, event: Input.Changed) -> None:
        self._fill()

    @on(Input.Submitted, "#activity-q")
    def _query_done(self, event: Input.Submitted) -> None:
        self.query_one("#activity-table", VirtualTable).focus()

    def action_search(self) -> None:
        self.query_one("#activity-q", Input).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_right_size(self) -> None:
        if self.session.read_only:
            self.app.notify("Read-only mode: nothing can be changed.")
        elif self.proposals:
            self.dismiss(self.proposals[0])
        else:
            self.app.notify("Nothing to right-size for this identity (yet: the usage may still be reading).")
