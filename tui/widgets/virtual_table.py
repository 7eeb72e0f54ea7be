"""A table that stays fast with tens of thousands of rows.

Textual's DataTable measures and stores every cell as it is added (about 2 s for 10 000 rows on a small
machine). This table keeps the rows as plain data and draws only the lines on screen (the Line API), so
loading 40 000 identities costs a list assignment, and filtering is a pass over pre-computed lowercase search
keys followed by one repaint.

Cells are :class:`rich.text.Text` made by :func:`tui.widgets.safe_text.safe_text` (never markup).
Columns have a width; ``flex`` columns share what is left; when the table is too narrow, columns with the
highest ``drop`` rank disappear first, so the table works at 80 columns and shows more as it grows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.widgets.safe_text import truncate


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # fixed width; for flex columns, the minimum
    flex: int = 0  # share of the spare width
    drop: int = 0  # 0 = never dropped; higher numbers are dropped first when narrow
    align: str = "left"  # "left" | "right"


@dataclass
class Row:
    key: str
    # The cells, or () to have the table's ``cell_factory`` make them when the row is first drawn (so 40 000
    # rows cost nothing until they scroll into view).
    cells: Sequence[Text] = ()
    search: str = ""  # lowercase text the free-word filter matches against
    data: Any = None  # whatever the screen keeps for this row (a domain object)


class VirtualTable(ScrollView, can_focus=True):
    """Rows drawn on demand; a row cursor; ``Highlighted`` on cursor moves, ``Selected`` on enter / click."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--even-row",
        "virtual-table--empty",
    }

    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        & > .virtual-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .virtual-table--even-row { background: $surface-lighten-1 50%; }
        & > .virtual-table--empty { color: $text-muted; text-style: italic; }
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:dark > .virtual-table--even-row { background: $surface-darken-1 40%; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=False, init=False)

    class Highlighted(Message):
        def __init__(self, table: VirtualTable, row: Row | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Message):
        def __init__(self, table: VirtualTable, row: Row) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        empty_text: str = "Nothing to show",
        cell_factory: Callable[[Row], Sequence[Text]] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.empty_text = empty_text
        self.cell_factory = cell_factory
        self._rows: list[Row] = []
        self._view: list[int] = []  # indices into _rows that pass the filter, in order
        self._predicate: Callable[[Row], bool] | None = None
        self._rank: Callable[[Row], Any] | None = None
        self._columns_cache: tuple[int, list[tuple[Column, int]]] | None = None
        # drawn rows by (key, width, style): a filter keystroke repaints the whole page, mostly of rows drawn before
        self._line_cache: LRUCache[tuple[str, int, Style], Strip] = LRUCache(1024)
        # width, base, even row, cursor: worked out once per repaint instead of once per line
        self._pass: tuple[int, Style, Style, Style] | None = None

    # --- data -------------------------------------------------------------------------------------------------
    @property
    def rows(self) -> list[Row]:
        return self._rows

    @property
    def visible_rows(self) -> list[Row]:
        return [self._rows[i] for i in self._view]

    @property
    def row_count(self) -> int:
        return len(self._view)

    @property
    def current(self) -> Row | None:
        if 0 <= self.cursor < len(self._view):
            return self._rows[self._view[self.cursor]]
        return None

    def set_rows(self, rows: list[Row], keep_cursor: bool = True) -> None:
        """Replace every row (cheap: no per-row widget work). The cursor stays on the same key when it can."""
        current = self.current.key if keep_cursor and self.current else None
        self._rows = rows
        self._line_cache.clear()
        self._apply_filter(current)

    def set_filter(self, predicate: Callable[[Row], bool] | None, rank: Callable[[Row], Any] | None = None) -> None:
        """Show only the rows ``predicate`` keeps; ``rank`` (optional) orders them, best first (stable)."""
        current = self.current.key if self.current else None
        self._predicate = predicate
        self._rank = rank
        self._apply_filter(current)

    def move_to_key(self, key: str) -> bool:
        for position, index in enumerate(self._view):
            if self._rows[index].key == key:
                self.cursor = position
                return True
        return False

    def _apply_filter(self, keep_key: str | None) -> None:
        predicate = self._predicate
        if predicate is None:
            self._view = list(range(len(self._rows)))
        else:
            self._view = [i for i, row in enumerate(self._rows) if predicate(row)]
        if self._rank is not None:
            rank, rows = self._rank, self._rows
            self._view.sort(key=lambda i: rank(rows[i]))
        self._set_virtual_size(Size(self.scrollable_content_region.width, len(self._view) + 1))
        position = 0
        if keep_key is not None:
            for pos, index in enumerate(self._view):
                if self._rows[index].key == keep_key:
                    position = pos
                    break
        old = self.cursor
        self.set_reactive(VirtualTable.cursor, min(position, max(0, len(self._view) - 1)))
        self._scroll_cursor_into_view()
        self.refresh()
        if old != self.cursor or keep_key is None or self.current is None or self.current.key != keep_key:
            self.post_message(self.Highlighted(self, self.current))

    def _set_virtual_size(self, size: Size) -> None:
        """A new row count without a relayout of the screen when the scrollbar stays as it is (shown or hidden):
        a filter keystroke changes the count, and a layout per keystroke costs more than the filtering."""
        old = self.virtual_size
        if size == old:
            return
        height = self.container_size.height
        if height and (old.height > height) == (size.height > height) and old.width == size.width:
            self.set_reactive(VirtualTable.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
        else:
            self.virtual_size = size

    # --- cursor -----------------------------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._view) - 1)) if self._view else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def _scroll_cursor_into_view(self) -> None:
        page = max(1, self.size.height - 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.size.height - 2)

    def action_page_down(self) -> None:
        self.cursor += max(1, self.size.height - 2)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self._view) - 1

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        position = round(self.scroll_y) + offset.y - 1
        if 0 <= position < len(self._view):
            if position == self.cursor:
                self.action_select()
            else:
                self.cursor = position

    def on_resize(self, event: events.Resize) -> None:
        self._columns_cache = None
        self._line_cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._view) + 1)
        self._scroll_cursor_into_view()

    # --- drawing ----------------------------------------------------------------------------------------------
    def column_layout(self, width: int) -> list[tuple[Column, int]]:
        """The columns shown at ``width`` cells and the width of each (one space between columns)."""
        if self._columns_cache and self._columns_cache[0] == width:
            return self._columns_cache[1]
        shown = list(self.columns)

        def needed(cols: list[Column]) -> int:
            return sum(c.width for c in cols) + max(0, len(cols) - 1) + 1

        while needed(shown) > width:
            droppable = [c for c in shown if c.drop > 0]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda c: c.drop))
        spare = width - needed(shown)
        widths: list[tuple[Column, int]] = []
        if spare < 0:  # still too wide with nothing left to drop: flex columns give up cells (down to 6)
            shrink = -spare
            sized = []
            for column in shown:
                cut = min(shrink, max(0, column.width - 6)) if column.flex else 0
                shrink -= cut
                sized.append((column, column.width - cut))
            self._columns_cache = (width, sized)
            return sized
        flex_total = sum(c.flex for c in shown)
        given = 0
        flex_seen = 0
        for column in shown:
            extra = 0
            if column.flex and flex_total:
                flex_seen += column.flex
                extra = spare * flex_seen // flex_total - given
                given += extra
            widths.append((column, column.width + extra))
        self._columns_cache = (width, widths)
        return widths

    def _line(self, cells: Sequence[Text], layout: list[tuple[Column, int]], base: Style) -> Strip:
        console = self.app.console
        segments: list[Segment] = [Segment(" ", base)]
        for index, (column, width) in enumerate(layout):
            cell = cells[index] if index < len(cells) else Text()
            text = cell.copy()
            truncate(text, width)
            pad = width - text.cell_len
            # padding is plain (unstyled) so a badge's background covers the badge, not the whole column
            if pad > 0 and column.align == "right":
                segments.append(Segment(" " * pad))
            rendered = text.render(console)  # Text.render leaves out the Text's own style: apply it here
            segments.extend(Segment.apply_style(rendered, console.get_style(text.style)) if text.style else rendered)
            trailing = (pad if pad > 0 and column.align != "right" else 0) + (1 if index < len(layout) - 1 else 0)
            if trailing:
                segments.append(Segment(" " * trailing))
        strip = Strip(segments)
        return strip.apply_style(base)

    def render_lines(self, crop: Region) -> list[Strip]:
        base = self.rich_style
        even = base + self.get_component_rich_style("virtual-table--even-row")
        cursor = self.get_component_rich_style("virtual-table--cursor")
        self._pass = (self.scrollable_content_region.width, base, even, cursor)
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def render_line(self, y: int) -> Strip:
        known = self._pass
        if known is None:
            base = self.rich_style
            known = (
                self.scrollable_content_region.width,
                base,
                base + self.get_component_rich_style("virtual-table--even-row"),
                self.get_component_rich_style("virtual-table--cursor"),
            )
        width, base, even, cursor = known
        layout = self.column_layout(width)
        if y == 0:
            header = self.get_component_rich_style("virtual-table--header")
            labels = [Text(column.label, style="bold") for column, _ in layout]
            return self._line(labels, layout, base + header).adjust_cell_length(width, base + header)
        position = round(self.scroll_y) + y - 1
        if not self._view:
            if y == 1:
                style = base + self.get_component_rich_style("virtual-table--empty")
                return Strip([Segment(" " + self.empty_text, style)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        if position >= len(self._view):
            return Strip.blank(width, base)
        row = self._rows[self._view[position]]
        style = even if position % 2 == 1 else base
        if position == self.cursor:
            style = style + cursor
        cache_key = (row.key, width, style)
        strip = self._line_cache.get(cache_key)
        if strip is None:
            if not row.cells and self.cell_factory is not None:
                row.cells = tuple(self.cell_factory(row))
            shown_keys = {column.key for column, _ in layout}
            cells = [cell for column, cell in zip(self.columns, row.cells, strict=False) if column.key in shown_keys]
            strip = self._line(cells, layout, style).adjust_cell_length(width, style)
            self._line_cache[cache_key] = strip
        return strip
