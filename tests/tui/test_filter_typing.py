"""Typing in the filter box, letter by letter and back: the table keeps each filter's rows and tests only the rows
of the filter before it when a letter narrows it (see MainScreen._apply_filter and VirtualTable.set_filter). At
every keystroke the rows shown must be exactly what a fresh pass of the filter language over the whole inventory
keeps (tui.services.filtering), in the table's order."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList
from tui_pilot import DemoTenant, make_app

from tui.pilot import until_loaded
from tui.screens.main import ALL_SUBSCRIPTIONS, narrows
from tui.services.errors import InvalidInput
from tui.services.filtering import IdentityFilter, parse_filter
from tui.widgets.virtual_table import VirtualTable


def expected_keys(screen: Any, text: str, subscription: str | None) -> list[str] | None:
    """The principal ids (lowercase) a full pass keeps, in the table's order; None when ``text`` does not parse."""
    try:
        parsed = parse_filter(text)
    except InvalidInput:
        return None
    inventory = screen.inventory
    kept = [
        identity
        for identity in inventory.identities
        if parsed.matches(identity, inventory)
        and (subscription is None or (identity.subscription_id or "").lower() == subscription)
    ]
    kept.sort(key=lambda i: (i.name.lower(), i.principal_id.lower()))
    return [i.principal_id.lower() for i in kept]


async def type_and_check(pilot: Any, screen: Any, keys: list[str], subscription: str | None) -> list[int]:
    """Press each key; after each, compare the table with a full pass. Returns the row counts seen."""
    table = screen.query_one("#identities", VirtualTable)
    box = screen.query_one("#filter")
    counts: list[int] = []
    shown = [row.key for row in table.visible_rows]
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
        want = expected_keys(screen, box.value, subscription)
        got = [row.key for row in table.visible_rows]
        if want is None:  # a filter being typed that does not parse yet: the table keeps the last one
            assert got == shown, f"after {box.value!r}"
        else:
            assert got == want, f"after {box.value!r}"
            shown = got
        counts.append(len(got))
    return counts


def letters(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def test_typing_and_erasing_shows_what_a_full_pass_keeps(demo: DemoTenant) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        total = len(screen.inventory.identities)
        await pilot.press("slash")
        typed = "dev aa"
        counts = await type_and_check(pilot, screen, letters(typed), None)
        assert 0 < min(counts) < max(counts) <= total  # the letters did narrow the table, step by step
        counts += await type_and_check(pilot, screen, ["backspace"] * len(typed), None)
        assert counts[-1] == total
        # qualifiers typed letter by letter: "kind:" and "kind:u" do not parse, the table keeps the last filter
        counts = await type_and_check(pilot, screen, letters("kind:user e"), None)
        assert 0 < counts[-1] < total
        await type_and_check(pilot, screen, ["backspace"] * 2 + letters("sys") + ["backspace"] * 3, None)

        # one subscription, then letters: the subscription's rows narrowed further
        await pilot.press(*["backspace"] * len("kind:user"))
        await pilot.pause()
        options = screen.query_one("#subscriptions", OptionList)
        index = next(i for i in range(options.option_count) if options.get_option_at_index(i).id != ALL_SUBSCRIPTIONS)
        options.highlighted = index
        await pilot.pause()
        chosen = options.get_option_at_index(index).id
        assert screen.subscription_id == chosen
        counts = await type_and_check(pilot, screen, letters("dev"), chosen)
        counts += await type_and_check(pilot, screen, ["backspace"] * 3, chosen)
        assert counts[-1] == len(expected_keys(screen, "", chosen) or [])


def test_narrows() -> None:
    inv = 1
    words = IdentityFilter
    assert narrows((None, None, inv), (None, words(("a",)), inv))
    assert narrows((None, words(("fun",)), inv), (None, words(("func",)), inv))
    assert narrows((None, words(("fun",)), inv), (None, words(("x", "FUNC")), inv))  # any word may hold it
    assert narrows((None, words(("a",)), inv), ("sub1", words(("ab",)), inv))  # all subscriptions → one
    assert not narrows((None, words(("func",)), inv), (None, words(("fun",)), inv))  # erased: wider
    assert narrows((None, words(("a", "b")), inv), (None, words(("ab",)), inv))  # 'ab' holds both
    assert not narrows((None, words(("a", "c")), inv), (None, words(("ab",)), inv))  # 'c' is not in 'ab'
    assert not narrows(("sub1", words(("a",)), inv), ("sub2", words(("a",)), inv))
    assert not narrows(("sub1", None, inv), (None, None, inv))
    assert not narrows((None, words(("a",)), inv), (None, None, inv))
    assert not narrows((None, words(("a",)), inv), (None, words(("a",)), 2))  # another inventory
    kind = (("kind", "user"),)
    assert narrows((None, words(("a",), kind), inv), (None, words(("ab",), kind), inv))
    assert not narrows((None, words(("a",)), inv), (None, words(("a",), kind), inv))  # qualifiers must match
