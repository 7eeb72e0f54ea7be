"""The identity list's filter language.

``word`` free words (all must match, case-insensitive substring of name / principal id / client id /
resource group / kind); ``"two words"`` a quoted phrase; qualifiers ``kind:user|system``,
``priv:critical|high|normal`` (the identity's effective privilege: its own, or the highest of the identities it
can act as, see tui.services.escalation), ``esc:yes|no`` (whether the effective privilege is above its own),
``sub:<id or name part>``,
``rg:<name part>``, ``type:<resource type part>``, ``since:<24h|7d|30m|2w|2026-11-30|"2026-11-30T08:00Z">`` (a right
of the identity, role assignment, directory role or app role grant, was created since then, UTC; those whose
creation time Azure does not give never match), ``scope:<ARM id>`` (an Azure role of the identity applies there:
assigned at it or above, see tui.services.access); a qualifier's value may be quoted (``rg:"my group"``).
Inside quotes, ``\\"`` and ``\\\\`` escape. Anything else raises :class:`InvalidInput` with a clear message.

Every filter rule lives here, also those the identity list answers from what it computed once per row (the
lowercased text free words match, the highest privilege) and the subscriptions pane's choice: the screen only
asks :func:`row_filter` for its predicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

from tui.services.access import checked_scope, rights_reaching
from tui.services.errors import InvalidInput
from tui.services.escalation import escalation_of
from tui.services.models import IdentityKind, Inventory, ManagedIdentity, Privilege

QUALIFIERS = ("kind", "priv", "esc", "sub", "rg", "type", "since", "scope")
_ESC = {"yes": True, "no": False}
_KINDS = {
    "user": IdentityKind.USER,
    "user-assigned": IdentityKind.USER,
    "system": IdentityKind.SYSTEM,
    "system-assigned": IdentityKind.SYSTEM,
}
_PRIVS = {"critical": Privilege.CRITICAL, "high": Privilege.HIGH, "normal": Privilege.NORMAL}
MAX_FILTER_LENGTH = 1000
GRAPH_ONLY = "graph-only"  # the subscriptions pane's "Not visible in ARM": identities whose subscription ARM hides


def tokens(text: str, qualifiers: tuple[str, ...] = QUALIFIERS) -> list[tuple[str | None, str]]:
    """(qualifier or None, value) pairs; a qualifier other than ``qualifiers`` is InvalidInput."""
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
            if key not in qualifiers:
                raise InvalidInput(
                    f"Unknown filter {head!r}",
                    "use free words, or one of " + ", ".join(f"{q}:" for q in qualifiers),
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
    return {
        "kind": "kind:user",
        "priv": "priv:critical",
        "esc": "esc:yes",
        "sub": "sub:prod",
        "rg": "rg:web",
        "type": "type:sites",
        "since": "since:24h",
        "scope": "scope:/subscriptions/<id>/resourceGroups/<name>",
        "by": "by:alex",
    }.get(key, f"{key}:text")


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

    @cached_property
    def lowered_words(self) -> tuple[str, ...]:
        return tuple(w.lower() for w in self.words)

    @cached_property
    def cutoffs(self) -> dict[str, datetime]:
        """Each ``since:`` value's moment, worked out once (relative ones from when the filter is first used)."""
        now = datetime.now(UTC)
        return {v: since_cutoff(v, now) for k, v in self.qualifiers if k == "since"}

    def matches(
        self,
        identity: ManagedIdentity,
        inventory: Inventory | None = None,
        *,
        search: str | None = None,
        top: Privilege | None = None,
        escalates: bool | None = None,
    ) -> bool:
        """Whether the filter keeps ``identity``. ``search`` (its :func:`search_text`), ``top`` (its effective
        privilege) and ``escalates`` when the caller has them already, else they are worked out here."""
        text = search_text(identity) if search is None else search
        if not all(w in text for w in self.lowered_words):
            return False
        for key, value in self.qualifiers:
            v = value.lower()
            if key == "kind":
                if _KINDS[v] is not identity.kind:
                    return False
            elif key == "priv":
                if (_highest(identity, inventory) if top is None else top) is not _PRIVS[v]:
                    return False
            elif key == "esc":
                if (_escalates(identity, inventory) if escalates is None else escalates) is not _ESC[v]:
                    return False
            elif key == "rg":
                if v not in (identity.resource_group or "").lower():
                    return False
            elif key == "type":
                if v not in (identity.resource_type or "").lower():
                    return False
            elif key == "sub":
                if not _sub_matches(identity, inventory, v):
                    return False
            elif key == "since":
                if not _has_right_since(identity, inventory, self.cutoffs[value]):
                    return False
            elif key == "scope" and (inventory is None or not rights_reaching(inventory, identity, value)):
                return False
        return True


_RELATIVE = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_FRACTION = re.compile(r"(\.\d{6})\d+")  # ARM sends up to seven digits; datetime takes six


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time as ARM and Graph send it (``Z`` or an offset; none: UTC), or None when absent or unreadable."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def privilege_named(value: str) -> Privilege:
    """The level ``priv:value`` names (``critical``, ``high``, ``normal``); InvalidInput on anything else."""
    level = _PRIVS.get(value.strip().lower())
    if level is None:
        raise InvalidInput(f"Unknown privilege {value!r}", "use priv:critical, priv:high or priv:normal")
    return level


def looks_like_time(value: str) -> bool:
    """Whether ``value`` reads as a window of :func:`since_cutoff` (``24h``, ``7d``... or a date) rather than a word."""
    text = value.strip().lower()
    return bool(_RELATIVE.match(text) or re.match(r"^\d{4}-\d{2}-\d{2}", text))


def since_cutoff(value: str, now: datetime) -> datetime:
    """The moment ``since:value`` means: ``24h``, ``7d``, ``30m``, ``2w`` before ``now``, or a date or time (UTC).
    Raises InvalidInput with a clear message on anything else."""
    text = value.strip().lower()
    relative = _RELATIVE.match(text)
    if relative:
        try:
            return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        except OverflowError:
            raise InvalidInput(f"Time too far back {value!r}", "use a date instead, e.g. since:2020-01-01") from None
    when = parse_time(value) if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None
    if when is None:
        raise InvalidInput(
            f"Unknown time {value!r}", "use since:24h, since:7d, since:30m, since:2w or a date, e.g. since:2026-11-30"
        )
    return when


def _has_right_since(identity: ManagedIdentity, inventory: Inventory | None, cutoff: datetime) -> bool:
    if inventory is None:
        return False
    for right in inventory.rights_of(identity):
        when = parse_time(right.created_on)
        if when is not None and when >= cutoff:
            return True
    return False


def _highest(identity: ManagedIdentity, inventory: Inventory | None) -> Privilege:
    if inventory is None:
        return Privilege.NORMAL
    return escalation_of(inventory, identity).effective


def _escalates(identity: ManagedIdentity, inventory: Inventory | None) -> bool:
    return inventory is not None and escalation_of(inventory, identity).escalates


def search_text(identity: ManagedIdentity) -> str:
    """What free words match (name, principal id, client id, resource group, kind), lowercased: a list makes it
    once per identity rather than per keystroke."""
    return " ".join(
        (
            identity.name,
            identity.principal_id,
            identity.client_id,
            identity.resource_group or "",
            identity.kind.value,
        )
    ).lower()


class Listed(Protocol):
    """What a list keeps of an identity: the identity, its effective privilege (None: not classified yet) and
    whether that is above its own."""

    identity: ManagedIdentity
    top: Privilege | None
    escalates: bool


class ListedRow(Protocol):
    """A line of the identity list: ``search`` is its :func:`search_text`, ``data`` what it shows."""

    search: str
    data: Any  # a Listed


RowPredicate = Callable[[Any], bool]  # over ListedRow (Any: the hot loop calls it on each row, no checks)


def words_match(words: tuple[str, ...]) -> RowPredicate:
    """A row filter: every (lowercase) word is in the row's search text."""
    if len(words) == 1:
        word = words[0]
        return lambda row: word in row.search
    return lambda row: all(w in row.search for w in words)


def row_filter(
    identity_filter: IdentityFilter | None, subscription: str | None, inventory: Inventory | None
) -> RowPredicate | None:
    """The identity list's predicate over its rows (:class:`ListedRow`): ``identity_filter`` and the subscriptions
    pane's choice (``subscription``: a lowercase id, :data:`GRAPH_ONLY`, or None for all); None keeps every row.
    Rows answer the free words from their search text and ``priv:`` from their highest privilege (unclassified
    counts as normal)."""
    if identity_filter is not None and identity_filter.is_empty:
        identity_filter = None
    if subscription is None and identity_filter is None:
        return None
    words_only = None
    if identity_filter is not None and not identity_filter.qualifiers:
        words_only = words_match(identity_filter.lowered_words)
        if subscription is None:
            return words_only  # the hot loop while typing: one short call per row
    known = {s.id.lower() for s in inventory.subscriptions} if inventory is not None else set()
    normal = Privilege.NORMAL

    def keep(row: ListedRow) -> bool:
        listed = row.data
        identity = listed.identity
        if subscription is not None:
            own = (identity.subscription_id or "").lower()
            if subscription == GRAPH_ONLY:
                if own in known:
                    return False
            elif own != subscription:
                return False
        if words_only is not None:
            return words_only(row)
        return identity_filter is None or identity_filter.matches(
            identity, inventory, search=row.search, top=listed.top or normal, escalates=listed.escalates
        )

    return keep


def subscription_counts(identities: list[ManagedIdentity], subscriptions: list[Any]) -> dict[str, int]:
    """Identities per subscription (lowercase id), as the subscriptions pane chooses them; those in no subscription
    that ARM shows under :data:`GRAPH_ONLY`."""
    counts: dict[str, int] = {}
    known = {s.id.lower() for s in subscriptions}
    for identity in identities:
        key = (identity.subscription_id or "").lower()
        key = key if key in known else GRAPH_ONLY
        counts[key] = counts.get(key, 0) + 1
    return counts


FilterKey = tuple[str | None, IdentityFilter | None, int]


def filter_key(subscription: str | None, identity_filter: IdentityFilter | None, inventory: object) -> FilterKey:
    """What names one filtering of one inventory's rows (a list keeps each one's result by it)."""
    return (subscription, identity_filter, id(inventory))


def narrows(before: FilterKey, after: FilterKey) -> bool:
    """Whether every identity the filter ``after`` keeps is kept by ``before`` too (both from :func:`filter_key`):
    the same qualifiers and inventory, the same subscription or all of them before, and each word before inside a
    word after (words are substrings: a row holding ``func`` holds ``fun``)."""
    sub_before, filter_before, inventory_before = before
    sub_after, filter_after, inventory_after = after
    if inventory_before != inventory_after or sub_before not in (None, sub_after):
        return False
    if filter_before is None:
        return True
    if filter_after is None or sorted(filter_before.qualifiers) != sorted(filter_after.qualifiers):
        return False
    words_after = filter_after.lowered_words
    return all(any(w in after for after in words_after) for w in filter_before.lowered_words)


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
    for key, value in tokens(text):
        if key is None:
            words.append(value)
            continue
        low = value.lower()
        if key == "kind" and low not in _KINDS:
            raise InvalidInput(f"Unknown kind {value!r}", "use kind:user or kind:system")
        if key == "priv":
            privilege_named(value)  # (raises on a level it does not know)
        if key == "esc" and low not in _ESC:
            raise InvalidInput(f"Unknown escalation {value!r}", "use esc:yes or esc:no")
        if key == "since":
            since_cutoff(value, datetime.now(UTC))  # (raises on a value it cannot read)
        if key == "scope":
            checked_scope(value)
        quals.append((key, value))
    return IdentityFilter(tuple(words), tuple(quals))
