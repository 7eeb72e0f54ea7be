"""The identities' table widget (tui.widgets.virtual_table) on its own, in a real Textual app: the cursor stays on
its row whatever the rows and the filter become, and finding it again costs no pass over every row when the row is
still where it was (the rows growing as a load's pages land)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.virtual_table import NEAR, Column, Row, VirtualTable


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield VirtualTable([Column("name", "Name", 10, flex=1)], id="t")


def _rows(*keys: str) -> list[Row]:
    return [Row(key=k, search=k) for k in keys]


async def test_the_cursor_stays_on_its_row_as_the_rows_and_the_filter_change() -> None:
    app = _TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one("#t", VirtualTable)
        table.set_rows(_rows("a", "b", "c"))
        assert table.move_to_key("b") and table.current is not None and table.current.key == "b"

        table.set_rows(_rows("a", "b", "c", "d", "e"))  # grown after it: found where it was, no index made
        assert table.current is not None and table.current.key == "b"
        assert table._index_of is None

        table.set_filter(lambda r: r.key != "a")  # the filter changes: the same row, still no index
        assert table.current is not None and table.current.key == "b" and table.cursor == 0
        assert table._index_of is None
        table.set_filter(None)
        assert table.current is not None and table.current.key == "b" and table.cursor == 1

        table.set_rows(_rows("0", "a", "b", "c"))  # a row before it: found close to where it was
        assert table.current is not None and table.current.key == "b" and table.cursor == 2
        assert table._index_of is None
        far = [f"{n:05}" for n in range(NEAR + 10)]  # thousands of rows before it: found by its key, all the same
        table.set_rows(_rows(*far, "a", "b", "c"))
        assert table.current is not None and table.current.key == "b" and table.cursor == len(far) + 1
        assert table._index_of is not None
        table.set_rows(_rows("0", "a", "b", "c"))

        table.set_rows(_rows("0", "a", "c"))  # gone: the cursor goes to the top
        assert table.current is not None and table.current.key == "0" and table.cursor == 0

        table.set_rows(_rows("x", "y"), keep_cursor=False)
        assert table.current is not None and table.current.key == "x"
        await pilot.pause()
