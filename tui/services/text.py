"""Untrusted text made safe for a terminal, a CSV cell or a log line: nothing in it can act on the terminal."""

from __future__ import annotations

import unicodedata

# Bidirectional controls (can reorder what the reader sees) and zero-width characters (hide text).
_INVISIBLE = {
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
}


def plain(text: object, limit: int | None = None) -> str:
    """Control characters (C0, C1, DEL: ESC, OSC, BEL, CR, ...), bidi overrides and zero-width characters
    shown as visible escapes (``\\x1b``, ``\\u202e``); everything else kept. Optionally cut to ``limit``."""
    s = "" if text is None else str(text)
    out = []
    for c in s:
        o = ord(c)
        if o < 0x20 or 0x7F <= o < 0xA0:
            out.append(f"\\x{o:02x}")
        elif c in _INVISIBLE or unicodedata.category(c) == "Cs":
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    result = "".join(out)
    if limit is not None and len(result) > limit:
        result = result[: max(0, limit - 1)] + "…"
    return result


def csv_cell(text: object) -> str:
    """A CSV cell that no spreadsheet will run as a formula."""
    s = plain(text)
    if s[:1] in ("=", "+", "-", "@", "\t", "\r"):
        s = "'" + s
    return s
