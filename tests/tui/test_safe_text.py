"""The one gate for untrusted text: markup, escapes, bidi and zero-width characters, long strings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from tui.widgets.safe_text import Redactor, clean, fit, safe_text

HOSTILE = [
    "[bold]pwned[/bold]",
    "[@click=app.quit]click me[/]",
    "\x1b[31mred\x1b[0m",
    "\x1b]52;c;aGVsbG8=\x07",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "abc\u202edcba",
    "zero\u200bwidth\ufeff",
    "line\nbreak\rreturn\x00nul\x9bcsi",
]


def _rendered(text: str, width: int = 200) -> str:
    console = Console(width=width, record=True, force_terminal=True, color_system="truecolor")
    console.print(safe_text(text))
    return console.export_text()


def test_markup_is_shown_literally() -> None:
    for value in ("[bold]pwned[/bold]", "[@click=app.quit]click me[/]"):
        text = safe_text(value)
        assert text.plain == value
        assert not text.spans  # no style came from the string


def test_escape_sequences_never_reach_the_terminal() -> None:
    for value in HOSTILE:
        plain = safe_text(value).plain
        assert "\x1b" not in plain and "\x07" not in plain and "\x9b" not in plain
        assert "\n" not in plain and "\r" not in plain and "\x00" not in plain
        assert "\x1b" not in _rendered(value).replace("\x1b[", "")  # only the console's own styling remains


def test_escapes_are_made_visible() -> None:
    assert safe_text("\x1b[31mred").plain == "\\x1b[31mred"
    assert safe_text("a\u202eb").plain == "a<U+202E>b"
    assert clean("zero\u200bwidth") == "zero<U+200B>width"
    assert clean("tab\there") == "tab here"


def test_plain_text_is_untouched() -> None:
    for value in ("id-orders-shared", "Überwachung 監視 🚀", "rg-prod (west europe)"):
        assert safe_text(value).plain == value
        assert clean(value) == value


def test_long_strings_are_cut_with_an_ellipsis() -> None:
    text = safe_text("x" * 500, 20)
    assert cell_len(text.plain) == 20 and text.plain.endswith("…")
    wide = safe_text("監" * 50, 11)
    assert cell_len(wide.plain) <= 11 and wide.plain.endswith("…")
    assert fit("abcdef", 4) == "abc…" and fit("abc", 4) == "abc"


@given(st.text(max_size=200), st.integers(min_value=1, max_value=80))
def test_any_string_is_safe_and_fits(value: str, width: int) -> None:
    plain = safe_text(value, width).plain
    assert cell_len(plain) <= width
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in plain)
    assert not any(c in plain for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff")


def test_redactor_masks_ids_and_names_stably() -> None:
    redactor = Redactor(enabled=True)
    guid = "0b5c1a5e-1111-4222-8333-444455556666"
    assert guid not in redactor.id(guid)
    assert redactor.id(guid) == redactor.id(guid.upper())
    scope = f"/subscriptions/{guid}/resourceGroups/rg-secret/providers/Microsoft.Web/sites/app-secret"
    masked = redactor.id(scope)
    assert guid not in masked and "rg-secret" not in masked and "app-secret" not in masked
    assert masked.startswith("/subscriptions/") and "/providers/Microsoft.Web/sites/" in masked
    assert "aa-ops-prod" not in redactor.name("aa-ops-prod")
    assert Redactor().id(scope) == scope and Redactor().name("x") == "x"


def test_emoji_sequences_keep_their_joiners_but_lone_joiners_show() -> None:
    assert safe_text("dev 👩\u200d💻").plain == "dev 👩\u200d💻"
    assert safe_text("🏳️\u200d🌈").plain == "🏳️\u200d🌈"
    assert safe_text("ad\u200dmin").plain == "ad<U+200D>min"
