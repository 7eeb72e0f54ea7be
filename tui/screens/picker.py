"""A searchable list in a dialog: type to narrow it, arrows to move, enter to choose, escape to go back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from tui.widgets.filter_input import FilterInput
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row, VirtualTable

T = TypeVar("T")


class PickerScreen(ModalScreen[T], Generic[T]):
    """Subclasses set COLUMNS / TITLE_TEXT and call :meth:`set_items` once the items have loaded."""

    COLUMNS: ClassVar[Sequence[Column]] = ()
    PLACEHOLDER: ClassVar[str] = "type to search"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="picker-cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(self, title: Text, redactor: Redactor | None = None) -> None:
        super().__init__(classes="dialog-screen picker-screen")
        self.title_text = title
        self.redactor = redactor or Redactor()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog"):
            yield Static(self.title_text, classes="dialog-title", id="picker-title")
            yield from self.compose_top()
            yield FilterInput(placeholder=self.PLACEHOLDER, id="picker-search")
            yield VirtualTable(self.COLUMNS, empty_text="Loading…", id="picker-table")
            yield Static("", id="picker-why")
            yield Static("", id="picker-status")
        yield Footer(compact=True)

    def compose_top(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one("#picker-search", Input).focus()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#picker-table", VirtualTable)

    def set_items(self, rows: list[Row], status: str = "", empty_text: str = "Nothing matches.") -> None:
        self.table.empty_text = empty_text
        self.table.set_rows(rows, keep_cursor=False)
        self._filter(self.query_one("#picker-search", Input).value)
        if status:
            self.set_status(status)

    def set_status(self, status: str, style: str = "dim") -> None:
        self.query_one("#picker-status", Static).update(safe_text(status, style=style))

    @on(Input.Changed, "#picker-search")
    def _changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, value: str) -> None:
        words = value.lower().split()
        if not words:
            self.table.set_filter(None)
        else:
            phrase = " ".join(words)

            def rank(row: Row) -> int:
                # the name column first: exact name, then a name that starts with it, then a name containing it
                name = row.cells[0].plain.lower() if row.cells else row.search
                if name == phrase:
                    return 0
                if name.startswith(phrase):
                    return 1
                return 2 if phrase in name else 3

            self.table.set_filter(lambda row: all(word in row.search for word in words), rank)
        shown, total = self.table.row_count, len(self.table.rows)
        if total:
            self.set_status(f"{shown} of {total}")

    def why(self, item: Any) -> Text | None:
        """A line about the highlighted item under the list (None: nothing to say)."""
        return None

    @on(VirtualTable.Highlighted, "#picker-table")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        line = self.why(event.row.data) if event.row is not None else None
        box = self.query_one("#picker-why", Static)
        box.display = line is not None
        box.update(line or "")

    @on(Input.Submitted, "#picker-search")
    def _submitted(self, event: Input.Submitted) -> None:
        self._choose()

    @on(VirtualTable.Selected, "#picker-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        self._choose()

    def _choose(self) -> None:
        row = self.table.current
        if row is not None:
            self.chosen(row.data)

    def chosen(self, item: Any) -> None:
        self.dismiss(item)

    def action_move(self, step: int) -> None:
        self.table.cursor += step

    def action_cancel(self) -> None:
        self.dismiss(None)  # type: ignore[arg-type]
