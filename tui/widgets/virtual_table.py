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

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any, ClassVar

from rich.cells import cell_len
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
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from tui.widgets.safe_text import truncate


def scrollbar_thumb(size: int, virtual_size: int, window_size: int, position: float) -> tuple[int, int] | None:
    """Where Textual's vertical scrollbar draws its thumb, in eighths of a cell (``ScrollBarRender.render_bar``'s
    arithmetic), or None for no thumb: two scrollbars with the same thumb look the same."""
    window = window_size if window_size < virtual_size else 0
    if not (window and size and virtual_size and size != virtual_size):
        return None
    eighths = len(ScrollBarRender.VERTICAL_BARS)
    thumb = max(1, window / (virtual_size / size))
    offset = (size - thumb) * (position / (virtual_size - window))
    start = int(offset * eighths)
    return start, start + ceil(thumb * eighths)


NEAR = 2048  # rows looked at on each side of a row's old place before an index of every key is made to find it


def _near(rows: list[Row], key: str, near: int) -> int | None:
    """The index of the row with ``key`` within :data:`NEAR` rows of ``near``, the closest first; None if not there."""
    count = len(rows)
    for step in range(NEAR):
        after, before = near + step, near - step
        if after < count and rows[after].key == key:
            return after
        if 0 <= before < count and rows[before].key == key:
            return before
        if after >= count and before < 0:
            return None
    return None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # fixed width; for flex columns, the minimum
    flex: int = 0  # share of the spare width
    drop: int = 0  # 0 = never dropped; higher numbers are dropped first when narrow
    align: str = "left"  # "left" | "right"


@dataclass(slots=True)
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
        self._index_of: dict[str, int] | None = None  # row key → index into _rows, made when first needed
        self._predicate: Callable[[Row], bool] | None = None
        self._rank: Callable[[Row], Any] | None = None
        self._columns_cache: tuple[int, list[tuple[Column, int]]] | None = None
        # drawn rows by (key, width), unstyled (each keeps its styled copies): a filter keystroke repaints the whole
        # page, mostly of rows drawn before, now in other places (zebra stripes, cursor)
        # (about 10 screens: a filter typed and erased again shows a few hundred rows; each Strip is ten objects the
        # garbage collector walks, so a bigger cache costs every full collection)
        self._line_cache: LRUCache[tuple[str, int], Strip] = LRUCache(512)
        # filter results by the caller's key, until the rows change: typing narrows the last one, erasing finds it
        self._views: LRUCache[Hashable, list[int]] = LRUCache(64)
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
        current = self._cursor_row() if keep_cursor else None
        self._rows = rows
        self._index_of = None
        self._line_cache.clear()
        self._views.clear()
        self._apply_filter(current)

    def _cursor_row(self) -> tuple[str, int] | None:
        """(the cursor's row's key, its index in the rows), to find it again once the rows or the view change."""
        if 0 <= self.cursor < len(self._view):
            index = self._view[self.cursor]
            return self._rows[index].key, index
        return None

    def row_of(self, key: str) -> Row | None:
        """The row with ``key`` (shown or filtered out), or None."""
        index = self._index().get(key)
        return self._rows[index] if index is not None else None

    def _index(self) -> dict[str, int]:
        """Row key → its index in the rows, made when first needed after the rows change."""
        if self._index_of is None:
            self._index_of = {row.key: index for index, row in enumerate(self._rows)}
        return self._index_of

    def replace_rows(self, rows: Iterable[Row]) -> int:
        """Put each of ``rows`` in the place of the row with its key (a key not in the table is skipped); how many
        were replaced. For a change to a few rows among thousands: no pass over the rows, and only their lines are
        repainted; the cursor, the scroll and the filter stay. Whether a replaced row still passes the filter is
        not tested again (the next :meth:`set_rows` or :meth:`set_filter` does)."""
        index_of = self._index()
        replaced = 0
        for row in rows:
            index = index_of.get(row.key)
            if index is None:
                continue
            self._rows[index] = row
            replaced += 1
            drawn = self._line_cache.keys()  # (an LRUCache: not iterable itself)
            for cached in [k for k in drawn if k[0] == row.key]:
                self._line_cache.discard(cached)
            try:
                position = self._view.index(index)
            except ValueError:
                continue  # filtered out: nothing on screen changes
            line = position - round(self.scroll_y) + 1  # (line 0 is the header)
            if 0 < line < self.size.height:
                self.refresh(Region(0, line, self.size.width, 1))
        return replaced

    def set_filter(
        self,
        predicate: Callable[[Row], bool] | None,
        rank: Callable[[Row], Any] | None = None,
        *,
        key: Hashable | None = None,
        within: Hashable | None = None,
    ) -> None:
        """Show only the rows ``predicate`` keeps; ``rank`` (optional) orders them, best first (stable).

        ``key`` names this filter (predicate and rank) so that its result is kept until the rows change: set the
        same key again (a backspace back to an earlier filter) and no row is tested. ``within`` names an earlier
        filter whose rows are known to include every row this one keeps (a word typed further): only those rows
        are tested, when that result is still kept."""
        current = self._cursor_row()
        self._predicate = predicate
        self._rank = rank
        self._apply_filter(current, key, within)

    def move_to_key(self, key: str) -> bool:
        position = self._position_of(key)
        if position < 0:
            return False
        self.cursor = position
        return True

    def _position_of(self, key: str, near: int = -1) -> int:
        """Where the row with ``key`` is in the view, or -1. ``near``: the index it had in the rows; when it is still
        there or close by (the filter changed, the rows grew around it) no index of every key is made to find it
        (40,000 rows: a few ms of the event loop each time the rows grow while loading)."""
        rows = self._rows
        index = _near(rows, key, near) if near >= 0 else None
        if index is None:
            index = self._index().get(key)
        if index is None:
            return -1
        try:
            return self._view.index(index)
        except ValueError:
            return -1

    def _filtered(self, key: Hashable | None, within: Hashable | None) -> list[int]:
        """Indices of the rows the current predicate keeps, in order (the rank's, else the rows'). Shared with
        the cache: never modified in place."""
        predicate, rank, rows = self._predicate, self._rank, self._rows
        if predicate is None and rank is None:
            return list(range(len(rows)))
        if key is not None and (known := self._views.get(key)) is not None:
            return known
        candidates = self._views.get(within) if within is not None else None
        if predicate is None:
            view = list(range(len(rows)))
        elif candidates is not None:
            view = [i for i in candidates if predicate(rows[i])]
        else:
            view = [i for i, row in enumerate(rows) if predicate(row)]
        if rank is not None:
            if candidates is not None:
                view.sort()  # the rows' order first, so that ties rank as in a pass over every row
            view.sort(key=lambda i: rank(rows[i]))
        if key is not None:
            self._views[key] = view
        return view

    def _apply_filter(
        self, keep: tuple[str, int] | None, key: Hashable | None = None, within: Hashable | None = None
    ) -> None:
        """Show the rows the filter keeps; the cursor on ``keep`` (:meth:`_cursor_row`) when it is still shown."""
        self._view = self._filtered(key, within)
        self._set_virtual_size(Size(self.scrollable_content_region.width, len(self._view) + 1))
        position = 0
        if keep is not None:
            position = max(0, self._position_of(*keep))
        old = self.cursor
        self.set_reactive(VirtualTable.cursor, min(position, max(0, len(self._view) - 1)))
        self._scroll_cursor_into_view()
        self.refresh()
        if old != self.cursor or keep is None or self.current is None or self.current.key != keep[0]:
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
            self._update_scrollbar(size.height)
            self.refresh()
        else:
            self.virtual_size = size

    def _update_scrollbar(self, virtual_height: int) -> None:
        """Tell the vertical scrollbar the new row count; repaint it only when its thumb moves or changes size.
        With thousands of rows the thumb is one cell at the top for most filters, and a scrollbar repaint costs
        about as much as the table's (its segments carry mouse meta, so none of Textual's style caches apply)."""
        if not self.show_vertical_scrollbar:
            return
        bar = self.vertical_scrollbar
        window = self.container_size.height - self.scrollbar_size_horizontal
        height = bar.size.height
        before = scrollbar_thumb(height, bar.window_virtual_size, bar.window_size, bar.position)
        after = scrollbar_thumb(height, virtual_height, window, bar.position)
        if before == after and bar.window_size == window:
            bar.set_reactive(ScrollBar.window_virtual_size, virtual_height)
        else:
            bar.window_virtual_size = virtual_height
            bar.window_size = window
            bar.refresh()

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

    def _content(self, cells: Sequence[Text], layout: list[tuple[Column, int]], width: int) -> Strip:
        """The cells laid out in exactly ``width`` cells, with no line style: the row's style (plain, zebra,
        cursor) is applied per line by ``Strip.apply_style``, which keeps each styled copy. Adjacent segments of
        the same style are merged, so the line costs Textual fewer segments to post-process on every repaint."""
        console = self.app.console
        segments: list[Segment] = [Segment(" ")]
        for index, (column, column_width) in enumerate(layout):
            cell = cells[index] if index < len(cells) else Text()
            plain = cell.plain
            width_of = cell_len(plain)
            if not cell.spans and not cell.style and width_of <= column_width:
                # most cells: plain text that fits, one segment (what Text.render would give, without the copy)
                pad = column_width - width_of
                rendered: Iterable[Segment] = (Segment(plain),)
            else:
                text = cell.copy()
                truncate(text, column_width)
                pad = column_width - text.cell_len
                rendered = text.render(console)  # Text.render leaves out the Text's own style: apply it here
                if text.style:
                    rendered = Segment.apply_style(rendered, console.get_style(text.style))
            # padding is plain (unstyled) so a badge's background covers the badge, not the whole column
            if pad > 0 and column.align == "right":
                segments.append(Segment(" " * pad))
            segments.extend(rendered)
            trailing = (pad if pad > 0 and column.align != "right" else 0) + (1 if index < len(layout) - 1 else 0)
            if trailing:
                segments.append(Segment(" " * trailing))
        return Strip(Segment.simplify(segments)).adjust_cell_length(width)

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
            return self._content(labels, layout, width).apply_style(base + header)
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
        cache_key = (row.key, width)
        content = self._line_cache.get(cache_key)
        if content is None:
            if not row.cells and self.cell_factory is not None:
                row.cells = tuple(self.cell_factory(row))
            shown_keys = {column.key for column, _ in layout}
            cells = [cell for column, cell in zip(self.columns, row.cells, strict=False) if column.key in shown_keys]
            content = self._content(cells, layout, width)
            self._line_cache[cache_key] = content
        return content.apply_style(style)
