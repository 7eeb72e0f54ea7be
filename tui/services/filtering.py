"""The identity list's filter language.

``word`` free words (all must match, case-insensitive substring of name / principal id / client id /
resource group / kind); ``"two words"`` a quoted phrase; qualifiers ``kind:user|system``,
``priv:critical|high|normal`` (the identity's highest privilege), ``sub:<id or name part>``,
``rg:<name part>``, ``type:<resource type part>``; a qualifier's value may be quoted (``rg:"my group"``).
Inside quotes, ``\\"`` and ``\\\\`` escape. Anything else raises :class:`InvalidInput` with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.services.errors import InvalidInput
from tui.services.models import IdentityKind, Inventory, ManagedIdentity, Privilege

QUALIFIERS = ("kind", "priv", "sub", "rg", "type")
_KINDS = {
    "user": IdentityKind.USER,
    "user-assigned": IdentityKind.USER,
    "system": IdentityKind.SYSTEM,
    "system-assigned": IdentityKind.SYSTEM,
}
_PRIVS = {"critical": Privilege.CRITICAL, "high": Privilege.HIGH, "normal": Privilege.NORMAL}
MAX_FILTER_LENGTH = 1000


def _tokens(text: str) -> list[tuple[str | None, str]]:
    """(qualifier or None, value) pairs."""
    out: list[tuple[str | None, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        key: str | None = None
        # a bare run up to whitespace, a quote or a colon
        start = i
        while i < n and not text[i].isspace() and text[i] not in '":':
            i += 1
        head = text[start:i]
        if i < n and text[i] == ":":
            key = head.lower()
            if key not in QUALIFIERS:
                raise InvalidInput(
                    f"Unknown filter {head!r}",
                    "use free words, or one of " + ", ".join(f"{q}:" for q in QUALIFIERS),
                )
            i += 1
            head = ""
            if i >= n or text[i].isspace():
                raise InvalidInput(f"Empty filter {key}:", f"write a value after {key}:, e.g. {_example(key)}")
        elif head:
            if i < n and text[i] == '"':
                raise InvalidInput("Misplaced quote", f"put a space before the quote after {head!r}")
            out.append((None, head))
            continue
        if i < n and text[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise InvalidInput("Unterminated quote", 'close the quoted text with "')
                c = text[i]
                if c == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    buf.append(text[i + 1])
                    i += 2
                    continue
                if c == '"':
                    i += 1
                    break
                buf.append(c)
                i += 1
            if i < n and not text[i].isspace():
                raise InvalidInput("Misplaced quote", "put a space after the closing quote")
            value = "".join(buf)
        else:
            start = i
            while i < n and not text[i].isspace():
                if text[i] in '":':
                    raise InvalidInput(f"Unexpected {text[i]!r} in filter", 'quote values that contain : or "')
                i += 1
            value = head + text[start:i]
        if key is not None and not value.strip():
            raise InvalidInput(f"Empty filter {key}:", f"write a value after {key}:, e.g. {_example(key)}")
        if key is None and not value:
            continue
        out.append((key, value))
    return out


def _example(key: str) -> str:
    return {"kind": "kind:user", "priv": "priv:critical", "sub": "sub:prod", "rg": "rg:web", "type": "type:sites"}[key]


def _quote(value: str) -> str:
    if value and not any(c.isspace() or c in '":\\' for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class IdentityFilter:
    words: tuple[str, ...] = ()
    qualifiers: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.qualifiers

    def to_text(self) -> str:
        """Canonical text that parses back to an equal filter."""
        parts = [_quote(w) for w in self.words] + [f"{k}:{_quote(v)}" for k, v in self.qualifiers]
        return " ".join(parts)

    __str__ = to_text

    def matches(self, identity: ManagedIdentity, inventory: Inventory | None = None) -> bool:
        hay = " ".join(
            x
            for x in (
                identity.name,
                identity.principal_id,
                identity.client_id,
                identity.resource_group or "",
                identity.kind.value,
            )
        ).lower()
        if not all(w.lower() in hay for w in self.words):
            return False
        for key, value in self.qualifiers:
            v = value.lower()
            if key == "kind":
                if _KINDS[v] is not identity.kind:
                    return False
            elif key == "priv":
                if _highest(identity, inventory) is not _PRIVS[v]:
                    return False
            elif key == "rg":
                if v not in (identity.resource_group or "").lower():
                    return False
            elif key == "type":
                if v not in (identity.resource_type or "").lower():
                    return False
            elif key == "sub" and not _sub_matches(identity, inventory, v):
                return False
        return True


def _highest(identity: ManagedIdentity, inventory: Inventory | None) -> Privilege:
    if inventory is None:
        return Privilege.NORMAL
    return inventory.highest_privilege(identity)


def _sub_matches(identity: ManagedIdentity, inventory: Inventory | None, v: str) -> bool:
    sub_id = (identity.subscription_id or "").lower()
    if not sub_id:
        return False
    if v in sub_id:
        return True
    if inventory is not None:
        return any(s.id.lower() == sub_id and v in s.display_name.lower() for s in inventory.subscriptions)
    return False


def parse_filter(text: str) -> IdentityFilter:
    """Parse the filter text; raises InvalidInput (and nothing else) with a clear message on bad syntax."""
    if not isinstance(text, str):
        raise InvalidInput("Filter is not text")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidInput("Filter too long", f"at most {MAX_FILTER_LENGTH} characters")
    if any((ord(c) < 0x20 and c not in "\t\n\r") or ord(c) == 0x7F for c in text):
        raise InvalidInput("Control characters in filter", "type plain text")
    words: list[str] = []
    quals: list[tuple[str, str]] = []
    for key, value in _tokens(text):
        if key is None:
            words.append(value)
            continue
        low = value.lower()
        if key == "kind" and low not in _KINDS:
            raise InvalidInput(f"Unknown kind {value!r}", "use kind:user or kind:system")
        if key == "priv" and low not in _PRIVS:
            raise InvalidInput(f"Unknown privilege {value!r}", "use priv:critical, priv:high or priv:normal")
        quals.append((key, value))
    return IdentityFilter(tuple(words), tuple(quals))
