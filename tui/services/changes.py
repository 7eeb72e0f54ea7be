"""What changed (issue #14): the identities' rights as a timeline, newest first, with who made each change, from
the loaded inventory. Azure keeps creation times for role assignments (``createdOn``, ``createdBy``) and app role
grants (``createdDateTime``); Graph v1.0 gives none for directory role assignments, so those are not in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from tui.services.errors import InvalidInput
from tui.services.filtering import looks_like_time, parse_time, privilege_named, since_cutoff, tokens
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    right_name,
)


@dataclass(frozen=True)
class Change:  # (not slotted: ``search`` is cached on it)
    when: datetime
    identity: ManagedIdentity
    right: RoleAssignment | AppRoleAssignment | DirectoryRoleAssignment
    actor: str  # who created it: a name where Graph knows it, else the object id ("" when Azure does not say)

    @property
    def kind(self) -> str:
        if isinstance(self.right, RoleAssignment):
            return "role"
        return "appRole" if isinstance(self.right, AppRoleAssignment) else "directoryRole"

    @property
    def name(self) -> str:
        return right_name(self.right)

    @cached_property
    def search(self) -> str:
        """What free words match, lowercased: the identity, the right, where it is, who made it."""
        return f"{self.identity.name} {self.kind} {self.name} {self.where} {self.actor}".lower()

    @property
    def where(self) -> str:
        r = self.right
        if isinstance(r, RoleAssignment):
            return r.scope
        if isinstance(r, AppRoleAssignment):
            return r.resource_display_name or r.resource_id
        return r.directory_scope_id


def _actor(right: RoleAssignment | AppRoleAssignment | DirectoryRoleAssignment) -> str:
    if isinstance(right, RoleAssignment):
        return right.created_by_name or right.created_by or ""
    return ""


def timeline(
    inv: Inventory,
    since: datetime | None = None,
    *,
    at_least: Privilege = Privilege.NORMAL,
    actor: str = "",
) -> list[Change]:
    """Every right created since ``since`` (all when None), at or above ``at_least``, made by an actor whose name
    or id contains ``actor`` (case-insensitive); newest first. A right held through a group appears once per
    member identity (the change reached each)."""
    who = actor.lower()
    out: list[Change] = []
    for identity in inv.identities:
        for right in inv.rights_of(identity):
            when = parse_time(right.created_on)
            if when is None or (since is not None and when < since) or right.privilege.rank < at_least.rank:
                continue
            by = _actor(right)
            if who and who not in by.lower():
                continue
            out.append(Change(when, identity, right, by))
    out.sort(key=lambda c: (c.when, c.identity.name.lower()), reverse=True)
    return out


CHANGE_QUALIFIERS = ("since", "priv", "by")
MAX_CHANGE_FILTER = 500


@dataclass(frozen=True)
class ChangeFilter:
    """The Changes view's filter: ``24h`` / ``7d`` / a date (or ``since:``) the window, ``priv:high`` at or above a
    level, ``by:NAME`` the actor, other words matched in the identity, the right, where and who."""

    since: datetime | None = None
    at_least: Privilege = Privilege.NORMAL
    actor: str = ""
    words: tuple[str, ...] = ()


def parse_change_filter(text: str, now: datetime) -> ChangeFilter:
    """The filter ``text`` (the identity list's syntax: quotes, ``key:value``), with :func:`since_cutoff` for the
    window and the ``priv:`` levels of the identity list; InvalidInput with a clear message on anything else."""
    if len(text) > MAX_CHANGE_FILTER:
        raise InvalidInput("Filter too long", f"at most {MAX_CHANGE_FILTER} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise InvalidInput("Control characters in filter", "type plain text")
    since, at_least, actor, words = None, Privilege.NORMAL, "", []
    for key, value in tokens(text, CHANGE_QUALIFIERS):
        if key == "since" or (key is None and looks_like_time(value)):
            since = since_cutoff(value, now)
        elif key == "priv":
            at_least = privilege_named(value)
        elif key == "by":
            actor = value.strip()
        else:
            words.append(value.lower())
    return ChangeFilter(since, at_least, actor, tuple(words))


def changes_matching(inv: Inventory, wanted: ChangeFilter) -> list[Change]:
    """:func:`timeline` with the filter's window, level and actor, then its words."""
    found = timeline(inv, wanted.since, at_least=wanted.at_least, actor=wanted.actor)
    if wanted.words:
        found = [c for c in found if all(w in c.search for w in wanted.words)]
    return found
