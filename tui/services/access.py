"""Who can touch this (issue #14): every managed identity with an Azure role at a scope, assigned there or
inherited from above (resource group, subscription, management group, root), directly or through a group. The
portal's resource -> Access control (IAM) -> Role assignments, for every identity at once, from the loaded
inventory (no request)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.services.errors import InvalidInput
from tui.services.models import Inventory, ManagedIdentity, RoleAssignment
from tui.services.scopes import contains, scope_key


@dataclass(frozen=True)
class Access:
    identity: ManagedIdentity
    right: RoleAssignment
    here: bool  # assigned at the scope itself; else inherited from the scope above where it is assigned

    @property
    def how(self) -> str:
        """``here`` or ``inherited`` (from the scope it is assigned at, above), as the portal's IAM blade says, and
        ``via group <name>`` when held through a group."""
        how = "here" if self.here else "inherited"
        via = self.right.via
        return f"{how}, via group {via.group_name or via.group_id}" if via is not None else how


_SCOPE = re.compile(
    r"^/$|^/providers/microsoft\.management/managementgroups/[^/]+$"
    r"|^/subscriptions/[^/]+(/resourcegroups/[^/]+(/providers/[^/]+(/[^/]+/[^/]+)+)?)?$",
    re.IGNORECASE,
)


def checked_scope(scope: str) -> str:
    """``scope`` when it reads as an ARM scope (``/``, a management group, a subscription, a resource group or a
    resource id), else InvalidInput."""
    s = (scope or "").strip()
    if not _SCOPE.match(s.rstrip("/") or "/"):
        raise InvalidInput(
            f"Not an ARM scope {scope!r}",
            "give an id such as /subscriptions/<id>/resourceGroups/<name>, or a management group's",
        )
    return s


def rights_reaching(inv: Inventory, identity: ManagedIdentity, scope: str) -> list[RoleAssignment]:
    """The identity's role assignments that apply at ``scope`` (assigned there or above)."""
    return [ra for ra in inv.roles_of(identity) if contains(ra.scope, scope)]


def access_at(inv: Inventory, scope: str) -> list[Access]:
    """Every identity's rights at ``scope``: the most privileged first, then by identity and role."""
    key = scope_key(checked_scope(scope))
    out = [
        Access(identity, ra, scope_key(ra.scope) == key)
        for identity in inv.identities
        for ra in rights_reaching(inv, identity, scope)
    ]
    out.sort(key=lambda a: (-a.right.privilege.rank, a.identity.name.lower(), a.right.role_name.lower()))
    return out
