"""Typing in the filter box, letter by letter and back: the table keeps each filter's rows and tests only the rows
of the filter before it when a letter narrows it (see tui.services.filtering.row_filter and VirtualTable.set_filter). At
every keystroke the rows shown must be exactly what a fresh pass of the filter language over the whole inventory
keeps (tui.services.filtering), in the table's order."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList
from tui_pilot import DemoTenant, make_app

from tui.pilot import until_loaded
from tui.screens.main.rows import ALL_SUBSCRIPTIONS, identity_rows
from tui.services.errors import InvalidInput
from tui.services.filtering import GRAPH_ONLY, IdentityFilter, narrows, parse_filter, row_filter
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


async def test_the_rows_answer_every_rule_as_a_full_pass_does(demo: DemoTenant) -> None:
    """row_filter answers free words and priv: from what each row computed once; every filter and every choice of
    the subscriptions pane must keep exactly what IdentityFilter.matches keeps over the whole inventory."""
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
    inventory = screen.inventory
    rows = identity_rows(inventory)
    known = {s.id.lower() for s in inventory.subscriptions}
    choices: list[str | None] = [None, GRAPH_ONLY, *sorted(known)]
    assert any((i.subscription_id or "").lower() not in known for i in inventory.identities)  # GRAPH_ONLY is tried
    texts = ["", "dev", "DEV aa", "priv:critical", "priv:high", "priv:normal", "kind:user", "kind:system dev"]
    texts += ["rg:orders", "type:sites", "sub:prod", 'priv:critical "ops"', "e priv:normal kind:user"]
    for text in texts:
        parsed = parse_filter(text)
        for subscription in choices:
            keep = row_filter(None if parsed.is_empty else parsed, subscription, inventory)
            got = {row.key for row in rows if keep is None or keep(row)}
            want = {
                i.principal_id.lower()
                for i in inventory.identities
                if parsed.matches(i, inventory)
                and (
                    subscription is None
                    or (
                        (i.subscription_id or "").lower() not in known
                        if subscription == GRAPH_ONLY
                        else (i.subscription_id or "").lower() == subscription
                    )
                )
            }
            assert got == want, (text, subscription)
            if subscription is None and text.startswith("priv:") and " " not in text:
                assert want, f"the demo tenant has no {text} identity to keep"
        assert (row_filter(parsed, None, inventory) is None) == parsed.is_empty
