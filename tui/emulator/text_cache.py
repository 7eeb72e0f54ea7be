"""JSON text of listed items, encoded once and reused while the item stays the same.

A large inventory lists tens of thousands of role assignments, and encoding them was most of the sandbox tenant's
CPU: the CPU that the real Azure spends on its own machines, and the emulator on the admin's. The cache keeps each
item's text next to a snapshot of what the text is made of (``key(item)``, e.g. all of a role assignment's fields);
an item whose snapshot differs, or a new item, is encoded afresh. So a change is visible in the next listing
however it was made (a route, the builder, a test that edits the tenant), and nothing needs to invalidate the cache.

Taking the snapshot of every item of every page was itself most of a listing's CPU. For a class that counts its
edits (``tenant.Edited``: role assignments), ``edits()`` gives the number of its latest edit, and an item checked
against its snapshot since that number is taken as it is, without a new snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")  # what is kept per item: its text, or the texts of its parts

_SCALARS = frozenset({str, int, float, bool, type(None)})


def snapshot(mapping: dict | None) -> Hashable:
    """A copy of a flat ``mapping`` to keep in a key; for one that holds a container (which could change in place,
    unseen by the copy), a key that equals nothing, so that the item is encoded afresh each time."""
    if mapping is None:
        return None
    if _SCALARS.issuperset(map(type, mapping.values())):
        return tuple(mapping.items())
    return object()


class TextCache(Generic[T, V]):
    """``encode(item)``, remembered per item (by identity) while ``key(item)`` stays equal.

    ``edits()``, for items whose class counts its edits, is the number of the latest edit of any of them: an entry
    checked at that number is not checked again until another edit. ``live()`` tells how many items exist; entries
    of items that are gone are dropped (the whole cache is cleared) once the cache holds more than twice that many,
    plus some slack (without ``live``, entries stay)."""

    def __init__(
        self,
        encode: Callable[[T], V],
        key: Callable[[T], Hashable],
        live: Callable[[], int] | None = None,
        edits: Callable[[], int] | None = None,
    ) -> None:
        self._encode = encode
        self._key = key
        self._live = live
        self._edits = edits
        # id(item) -> (item, its snapshot, its text, the edit number it was last checked at, or -1)
        self._entries: dict[int, tuple[T, Hashable, V, int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def text(self, item: T) -> V:
        edit = self._edits() if self._edits is not None else -1
        key = self._key(item)
        entry = self._entries.get(id(item))
        if entry is not None and entry[0] is item and entry[1] == key:
            if entry[3] != edit:
                self._entries[id(item)] = (item, key, entry[2], edit)
            return entry[2]
        text = self._encode(item)
        if entry is None and self._live is not None and len(self._entries) > 2 * self._live() + 1000:
            self._entries.clear()
        self._entries[id(item)] = (item, key, text, edit)  # the item is kept: its id cannot be reused while cached
        return text

    def texts(self, items: Iterable[T]) -> list[V]:
        """``[self.text(item) for item in items]``, in one loop (a page holds up to a thousand items)."""
        entries, key_of = self._entries, self._key
        edit = self._edits() if self._edits is not None else None  # (None: never equal to an entry's number)
        out = []
        for item in items:
            entry = entries.get(id(item))
            if entry is not None and entry[0] is item:
                if entry[3] == edit:  # checked since the latest edit
                    out.append(entry[2])
                    continue
                if edit is None and entry[1] == key_of(item):
                    out.append(entry[2])
                    continue
            out.append(self.text(item))  # (checks it against its snapshot, and marks it checked at this edit)
        return out

    def warm(self, items: Iterable[T]) -> None:
        """Encode ``items`` now (at start-up, so that the first listing does not pay for it)."""
        for item in items:
            self.text(item)
