"""What changed (issue #14): the identities' rights as a timeline, newest first, with who made each change, from
the loaded inventory. Azure keeps creation times for role assignments (``createdOn``, ``createdBy``) and app role
grants (``createdDateTime``); Graph v1.0 gives none for directory role assignments, so those are not in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.services.filtering import parse_time
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
class Change:
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
