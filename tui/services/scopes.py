"""ARM scopes: their level, their parent, and whether one contains another (case-insensitive, as ARM compares)."""

from __future__ import annotations

import dataclasses
import sys

from tui.services.errors import InvalidInput
from tui.services.models import RoleDefinition, ScopeLevel

_intern = sys.intern


def lowered(text: str) -> str:
    """``text.lower()``, or ``text`` itself when it is lowercase already: the principal ids (Graph's GUIDs are)
    that key a dozen dictionaries per identity, one string each instead of a copy per dictionary."""
    return text if text.islower() else text.lower()


def scope_key(scope: str) -> str:
    """The case-insensitive key of an ARM id or scope ("/" for the root)."""
    low = (scope or "").lower()
    if low[:1] == "/" and low[-1:] != "/" and "//" not in low:
        return low  # already in key form (ids as ARM sends them): no split and join
    return "/" + "/".join(p for p in low.split("/") if p)


_ROOT, _MG, _SUB, _RG, _RES = (
    ScopeLevel.ROOT,
    ScopeLevel.MANAGEMENT_GROUP,
    ScopeLevel.SUBSCRIPTION,
    ScopeLevel.RESOURCE_GROUP,
    ScopeLevel.RESOURCE,
)


def scope_level(scope: str) -> ScopeLevel:
    s = (scope or "").strip("/")
    if not s:
        return _ROOT
    if "//" in s:
        s = "/".join(p for p in s.split("/") if p)
    head = s[: s.find("/")] if "/" in s else s
    head = head.lower()
    if head == "subscriptions":
        slashes = s.count("/")  # the number of segments, less one (no split: tens of thousands are asked per load)
        if slashes <= 1:
            return _SUB
        if slashes <= 3 and s.split("/", 3)[2].lower() == "resourcegroups":
            return _RG
        return _RES
    if head == "providers":
        parts = s.split("/", 3)
        if len(parts) >= 3 and parts[1].lower() == "microsoft.management" and parts[2].lower() == "managementgroups":
            return _MG
        return _ROOT
    return _RES


def contains(outer: str, inner: str) -> bool:
    """True when ``inner`` is ``outer`` or below it. Management groups and the root contain everything
    (their descendants are not known from an id alone)."""
    if scope_level(outer) in (ScopeLevel.ROOT, ScopeLevel.MANAGEMENT_GROUP):
        return True
    o, i = scope_key(outer), scope_key(inner)
    return i == o or i.startswith(o + "/")


def is_inherited(scope: str, resource_id: str) -> bool:
    """True when an assignment at ``scope`` reaches ``resource_id`` from above (not at the resource itself)."""
    return bool(resource_id) and scope_key(scope) != scope_key(resource_id) and contains(scope, resource_id)


def subscription_of(scope: str) -> str | None:
    s = scope or ""
    if s[:15].lower() == "/subscriptions/" and "//" not in s:  # ids as ARM sends them: no split (asked per item)
        end = s.find("/", 15)
        sub = s[15:] if end < 0 else s[15:end]
        return _intern(sub.lower()) or None  # (a few hundred subscriptions, named by 200,000 items)
    parts = [p for p in s.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return parts[1].lower()
    return None


def resource_group_of(scope: str) -> str | None:
    s = scope or ""
    if s[:15].lower() == "/subscriptions/" and "//" not in s:  # ids as ARM sends them: split only the head
        parts = s[1:].split("/", 4)
        if len(parts) >= 4 and parts[2].lower() == "resourcegroups" and parts[3]:
            return _intern(parts[3])  # (named by every identity of the group: one string)
        return None
    parts = [p for p in s.split("/") if p]
    if len(parts) >= 4 and parts[0].lower() == "subscriptions" and parts[2].lower() == "resourcegroups":
        return parts[3]
    return None


def subscription_and_group(scope: str) -> tuple[str | None, str | None]:
    """(:func:`subscription_of`, :func:`resource_group_of`) of ``scope``, its head split once for both (asked per
    identity made, 40,000 and more in a load at 200:40000)."""
    s = scope or ""
    if s[:15].lower() == "/subscriptions/" and "//" not in s:
        parts = s[1:].split("/", 4)
        group = parts[3] if len(parts) >= 4 and parts[2].lower() == "resourcegroups" and parts[3] else None
        return _intern(parts[1].lower()) or None, _intern(group) if group else None
    return subscription_of(s), resource_group_of(s)


def last_segment(scope: str) -> str:
    parts = [p for p in (scope or "").split("/") if p]
    return parts[-1] if parts else "/"


def resource_type_of(resource_id: str) -> str | None:
    """``Microsoft.Web/sites`` for ``/subscriptions/../providers/Microsoft.Web/sites/app`` (nested types joined)."""
    s = resource_id or ""
    if s[:1] == "/" and s[-1:] != "/" and "//" not in s:
        # ids as ARM sends them (asked per identity whose resource is not read yet, 40,000 at 200:40000): one
        # search for the last provider segment and one split of what follows it, not a split and lowercase copy of
        # every segment. A last segment "providers" has nothing after it: no type
        low = s.lower()
        at = low.rfind("/providers/")
        if at < 0 or low.endswith("/providers"):
            return None
        rest = s[at + 11 :].split("/")
        return "/".join([rest[0], *rest[1::2]]) if len(rest) >= 3 else None
    parts = [p for p in s.split("/") if p]
    low = [p.lower() for p in parts]
    if "providers" not in low:
        return None
    i = len(low) - 1 - low[::-1].index("providers")
    rest = parts[i + 1 :]
    if len(rest) < 3:
        return None
    namespace, pairs = rest[0], rest[1:]
    types = [pairs[j] for j in range(0, len(pairs), 2)]
    return "/".join([namespace, *types])


def role_at(role: RoleDefinition, scope: str) -> RoleDefinition:
    """``role`` as it is assigned at ``scope``: refused (InvalidInput) when the role is not assignable there (a custom
    role's assignable scopes); its id in the form ARM takes at that scope (read at one subscription, a role goes
    to another subscription with that subscription's id, to a management group with the tenant-wide
    ``/providers/Microsoft.Authorization/roleDefinitions/{guid}``)."""
    if not any(contains(assignable, scope) for assignable in role.assignable_scopes or ("/",)):
        raise InvalidInput(
            f"{role.role_name} cannot be assigned at {scope}",
            f"it is assignable at {', '.join(role.assignable_scopes)}",
        )
    guid = role.id.rstrip("/").rsplit("/", 1)[-1]
    own = subscription_of(role.id)
    target = subscription_of(scope)
    if own is None or own == target:
        return role
    tail = f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    return dataclasses.replace(role, id=(f"/subscriptions/{target}{tail}" if target else tail))
