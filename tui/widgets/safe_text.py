"""Untrusted text, made safe to show: the one place every string from Azure passes through on its way to the screen.

Everything a tenant holds (names, tags, descriptions, display names, custom role names) is free text that an
attacker may control. Textual renders a plain ``str`` as markup in most widgets, so ``[@click=app.quit]`` would
become a live action and ``\\x1b]52;...`` could reach the terminal. The rules, applied here and only here:

- no markup interpretation: the result is a :class:`rich.text.Text` built from the plain string;
- ESC / CSI / OSC sequences and other control characters are shown as visible escapes (``\\x1b``), never sent;
- bidi overrides / isolates and zero-width characters are shown as ``<U+202E>``-style escapes, so a
  right-to-left override cannot disguise a name and an invisible character cannot make two names look alike;
- very long strings are cut with an ellipsis where a cell needs it.

``redact`` masks ids and names for screen sharing (``mitui --redact``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

# Characters that change how the following text is laid out or shown, without being visible themselves.
_INVISIBLE = {
    0x00AD,  # soft hyphen
    0x034F,  # combining grapheme joiner
    0x061C,  # Arabic letter mark
    0x115F,
    0x1160,
    0x17B4,
    0x17B5,
    0x180E,
    0x200B,  # zero width space
    0x200C,  # zero width non-joiner
    0x200D,  # zero width joiner
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    0x202A,  # LRE
    0x202B,  # RLE
    0x202C,  # PDF
    0x202D,  # LRO
    0x202E,  # RLO
    0x2060,  # word joiner
    0x2061,
    0x2062,
    0x2063,
    0x2064,
    0x2066,  # LRI
    0x2067,  # RLI
    0x2068,  # FSI
    0x2069,  # PDI
    0x3164,  # Hangul filler
    0xFEFF,  # BOM / zero width no-break space
    0xFFA0,
    0xFFF9,
    0xFFFA,
    0xFFFB,
}

_ESCAPE_STYLE = Style(dim=True, italic=True)
ELLIPSIS = "…"


def _escape_char(ch: str) -> str | None:
    """The visible stand-in for ``ch``, or None when ``ch`` is fine to show as it is."""
    code = ord(ch)
    if ch == "\t":
        return " "
    if code < 0x20 or 0x7F <= code < 0xA0:  # C0 / DEL / C1 controls (0x9b is a one-byte CSI)
        return f"\\x{code:02x}"
    if code in _INVISIBLE or 0x2028 <= code <= 0x2029 or 0xE0000 <= code <= 0xE007F:
        return f"<U+{code:04X}>"
    return None


_NEEDS_WORK = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def _is_pictograph(ch: str) -> bool:
    return ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) <= 0x27BF


def _joins_emoji(raw: str, index: int) -> bool:
    """A zero-width joiner inside an emoji sequence (👩‍💻) is part of the picture, not a trick."""
    if raw[index] != "\u200d" or index == 0 or index + 1 >= len(raw):
        return False
    before = raw[index - 1]
    if before == "\ufe0f" and index >= 2:
        before = raw[index - 2]
    return _is_pictograph(before) and _is_pictograph(raw[index + 1])


def clean(value: object) -> str:
    """``value`` as a plain one-line string with every control / invisible character replaced by a visible escape.

    Use it where a plain ``str`` is needed (search keys, the clipboard preview, a tab id); use :func:`safe_text`
    for anything rendered."""
    text = "" if value is None else str(value)
    if not _NEEDS_WORK.search(text):
        return text
    out: list[str] = []
    for index, ch in enumerate(text):
        stand_in = None if _joins_emoji(text, index) else _escape_char(ch)
        out.append(ch if stand_in is None else stand_in)
    return "".join(out)


def safe_text(value: object, max_width: int | None = None, style: str | Style = "") -> Text:
    """A :class:`Text` that shows ``value`` literally: no markup, escapes visible, at most ``max_width`` cells."""
    raw = "" if value is None else str(value)
    text = Text(style=style, no_wrap=max_width is not None, end="")
    if _NEEDS_WORK.search(raw):
        plain: list[str] = []
        for index, ch in enumerate(raw):
            stand_in = None if _joins_emoji(raw, index) else _escape_char(ch)
            if stand_in is None:
                plain.append(ch)
                continue
            if plain:
                text.append("".join(plain))
                plain = []
            text.append(stand_in, _ESCAPE_STYLE if stand_in != " " else None)
        if plain:
            text.append("".join(plain))
    else:
        text.append(raw)
    if max_width is not None:
        truncate(text, max_width)
    return text


def truncate(text: Text, max_width: int) -> Text:
    """Cut ``text`` in place to ``max_width`` cells, ending in an ellipsis when anything was cut."""
    if max_width <= 0:
        text.truncate(0)
        return text
    if cell_len(text.plain) > max_width:
        text.truncate(max_width - 1, overflow="crop")
        while cell_len(text.plain) > max_width - 1:  # wide characters: crop by cells, not characters
            text.right_crop(1)
        text.append(ELLIPSIS)
    return text


def fit(value: str, max_width: int) -> str:
    """A plain string cut to ``max_width`` cells with an ellipsis (for already-cleaned strings)."""
    if cell_len(value) <= max_width:
        return value
    if max_width <= 0:
        return ""
    out = value[: max_width - 1]
    while cell_len(out) > max_width - 1:
        out = out[:-1]
    return out + ELLIPSIS


def _mask(value: str, prefix: str) -> str:
    digest = hashlib.sha256(value.lower().encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:6]}"


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Redactor:
    """Masks ids and names for screen sharing; a no-op unless ``enabled``.

    Masks are stable (the same id always gives the same mask) so rows can still be told apart."""

    enabled: bool = False

    def name(self, value: str | None) -> str:
        if not value:
            return ""
        return _mask(value, "name") if self.enabled else value

    def id(self, value: str | None) -> str:
        """A GUID, or an ARM id / scope (each GUID and each segment after a collection name is masked)."""
        if not value:
            return ""
        if not self.enabled:
            return value
        if value.startswith("/"):
            parts = value.split("/")
            masked = []
            for i, part in enumerate(parts):
                if i > 0 and i % 2 == 0 and part and parts[i - 1].lower() not in ("providers",):
                    masked.append(_mask(part, "x"))
                else:
                    masked.append(part)
            return "/".join(masked)
        return _GUID.sub(lambda m: _mask(m.group(0), "id"), value) if _GUID.search(value) else _mask(value, "id")

    def text(self, value: str | None) -> str:
        """Free text that may name things (tags, descriptions): GUIDs inside are masked."""
        if not value:
            return ""
        if not self.enabled:
            return value
        return _GUID.sub(lambda m: _mask(m.group(0), "id"), value)
