"""Azure RBAC as ARM evaluates it: a caller's rights come from its own role assignments.

A role assignment at a scope applies to that scope and everything below it (root ``/`` → management
groups, the tenant root group first → subscription → resource group → resource). A permission block grants an
action when one of its ``actions`` matches and none of its ``notActions`` does (``*`` is a wildcard, comparison
ignores case); a role grants it when any block does.

Look-ups are indexed by principal, by exact scope and by subscription, so that a tenant with tens of thousands
of assignments answers in microseconds. The index follows the tenant: ARM routes call :func:`added` /
:func:`removed` when they change assignments; anything else that changes ``tenant.role_assignments`` directly
calls :func:`invalidate` (a change of their count is noticed on its own).
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Iterable

from tui.emulator.tenant import RoleAssignment, RoleDefinition, Tenant, arm_key, subscription_of

_Entry = tuple[str, RoleAssignment]  # (arm_key(scope), assignment)


def scope_ancestors(scope_key: str) -> list[str]:
    """``/subscriptions/s/resourcegroups/g`` → ``["/", "/subscriptions", "/subscriptions/s", ...itself]``."""
    parts = [p for p in scope_key.split("/") if p]
    return ["/" + "/".join(parts[:i]) for i in range(len(parts) + 1)]


def is_at_or_below(scope_key: str, ancestor_key: str) -> bool:
    return ancestor_key == "/" or scope_key == ancestor_key or scope_key.startswith(ancestor_key + "/")


def ancestors_in(tenant: Tenant, scope_key: str) -> list[str]:
    """:func:`scope_ancestors` with the management groups above the scope in between (root ``/``, then the
    tenant root group down to the nearest group, then the scope's path)."""
    if not tenant.management_groups:
        return scope_ancestors(scope_key)
    mg = tenant.management_group_of_scope(scope_key)
    chain = [arm_key(g.id) for g in reversed(tenant.management_group_chain(mg))]
    if scope_key.startswith("/providers/microsoft.management/"):
        return ["/", *chain]
    path = scope_ancestors(scope_key)
    return [path[0], *chain, *path[1:]]


def is_within(tenant: Tenant, scope_key: str, ancestor_key: str) -> bool:
    """:func:`is_at_or_below`, management groups included."""
    if is_at_or_below(scope_key, ancestor_key):
        return True
    return bool(tenant.management_groups) and ancestor_key in ancestors_in(tenant, scope_key)


class RbacIndex:
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.by_principal: dict[str, list[_Entry]] = defaultdict(list)
        self.by_scope: dict[str, list[_Entry]] = defaultdict(list)
        self.by_subscription: dict[str, list[_Entry]] = defaultdict(list)  # "" = above every subscription
        self.count = 0
        for ra in list(tenant.role_assignments.values()):
            self.add(ra)

    def add(self, ra: RoleAssignment) -> None:
        entry = (arm_key(ra.scope), ra)
        self.by_principal[ra.principal_id.lower()].append(entry)
        self.by_scope[entry[0]].append(entry)
        self.by_subscription[(subscription_of(ra.scope) or "").lower()].append(entry)
        self.count += 1

    def remove(self, ra: RoleAssignment) -> None:
        key = arm_key(ra.scope)
        for table, k in (
            (self.by_principal, ra.principal_id.lower()),
            (self.by_scope, key),
            (self.by_subscription, (subscription_of(ra.scope) or "").lower()),
        ):
            entries = table.get(k)
            if entries:
                entries[:] = [e for e in entries if e[1] is not ra]
        self.count -= 1


_indexes: weakref.WeakKeyDictionary[Tenant, RbacIndex] = weakref.WeakKeyDictionary()


def index_of(tenant: Tenant) -> RbacIndex:
    idx = _indexes.get(tenant)
    if idx is None or idx.count != len(tenant.role_assignments):
        with tenant.lock:
            idx = RbacIndex(tenant)
            _indexes[tenant] = idx
    return idx


def invalidate(tenant: Tenant) -> None:
    _indexes.pop(tenant, None)


def added(tenant: Tenant, ra: RoleAssignment) -> None:
    """Call after putting ``ra`` into ``tenant.role_assignments``."""
    idx = _indexes.get(tenant)
    if idx is not None:
        idx.add(ra)


def removed(tenant: Tenant, ra: RoleAssignment) -> None:
    """Call after taking ``ra`` out of ``tenant.role_assignments``."""
    idx = _indexes.get(tenant)
    if idx is not None:
        idx.remove(ra)


# --- permissions ---------------------------------------------------------------------------------------------
_compiled: dict[tuple[str, int], list[tuple[re.Pattern[str] | None, re.Pattern[str] | None]]] = {}


def _pattern(globs: Iterable[str]) -> re.Pattern[str] | None:
    parts = [".*".join(re.escape(p) for p in g.split("*")) for g in globs if g]
    if not parts:
        return None
    return re.compile("^(?:" + "|".join(parts) + ")$", re.IGNORECASE)


def _blocks(role: RoleDefinition) -> list[tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
    key = (role.name, id(role.permissions))
    blocks = _compiled.get(key)
    if blocks is None:
        blocks = [
            (_pattern(p.get("actions") or []), _pattern(p.get("notActions") or [])) for p in role.permissions or []
        ]
        if len(_compiled) > 10_000:
            _compiled.clear()
        _compiled[key] = blocks
    return blocks


def role_grants(role: RoleDefinition, action: str) -> bool:
    for allow, deny in _blocks(role):
        if allow is not None and allow.match(action) and not (deny is not None and deny.match(action)):
            return True
    return False


def _role_of(tenant: Tenant, ra: RoleAssignment) -> RoleDefinition | None:
    return tenant.role_definitions.get(ra.role_definition_name)


def assignments_of(tenant: Tenant, principal_id: str) -> list[RoleAssignment]:
    return [ra for _, ra in index_of(tenant).by_principal.get(principal_id.lower(), [])]


def _entries_of(tenant: Tenant, principal_id: str) -> list[_Entry]:
    """The role assignments a principal acts with: its own, and those of every group it is in (nested too)."""
    by_principal = index_of(tenant).by_principal
    own = by_principal.get(principal_id.lower(), [])
    if not tenant.groups:
        return own
    via = [e for g in tenant.groups_of(principal_id, transitive=True) for e in by_principal.get(g.id, [])]
    return own + via if via else own


def allowed(tenant: Tenant, principal_id: str, action: str, scope: str) -> bool:
    """Whether ``principal_id`` may perform ``action`` at ``scope``, from its role assignments (and those of its
    groups) at or above it."""
    target = arm_key(scope)
    above = set(ancestors_in(tenant, target))
    for key, ra in _entries_of(tenant, principal_id):
        if key in above or is_at_or_below(target, key):
            role = _role_of(tenant, ra)
            if role is not None and role_grants(role, action):
                return True
    return False


def has_any_right_in(tenant: Tenant, principal_id: str, scope: str) -> bool:
    """Whether the principal holds any role assignment (itself or through a group) at, above or below ``scope``
    (what makes a subscription or a resource group visible in ARM's lists)."""
    target = arm_key(scope)
    # (is_within, each way, with the scope's ancestors worked out once instead of per assignment: a caller with
    # hundreds of assignments listing 200 subscriptions took a quarter of a second)
    above = {target, *ancestors_in(tenant, target)}
    under_group = bool(tenant.management_groups) and target.startswith("/providers/microsoft.management/")
    for key, _ra in _entries_of(tenant, principal_id):
        if key in above or is_at_or_below(key, target) or (under_group and is_within(tenant, key, target)):
            return True
    return False


def roles_granting(tenant: Tenant, action: str, scope: str) -> list[str]:
    """The names of the roles assignable at ``scope`` that grant ``action`` (built-in first), for messages."""
    target = arm_key(scope)
    builtin, custom = [], []
    for role in tenant.role_definitions.values():
        scopes_ok = any(is_at_or_below(target, arm_key(s)) for s in role.assignable_scopes or ["/"])
        if scopes_ok and role_grants(role, action):
            (builtin if role.role_type == "BuiltInRole" else custom).append(role.role_name)
    return sorted(builtin) + sorted(custom)


def assignments_around(tenant: Tenant, scope: str, *, below: bool = True) -> list[RoleAssignment]:
    """Role assignments at ``scope`` and above it, and (``below``) under it, as ARM lists them at a scope."""
    idx = index_of(tenant)
    target = arm_key(scope)
    out = [ra for anc in ancestors_in(tenant, target) for _, ra in idx.by_scope.get(anc, ())]
    if below and target.startswith("/providers/microsoft.management/") and tenant.management_groups:
        # every group and subscription under the management group
        out += [
            ra
            for key, entries in idx.by_scope.items()
            if key != target
            for _, ra in entries
            if is_within(tenant, key, target)
        ]
        below = False
    if below:
        sub = subscription_of(scope)
        if sub is None:
            pools: Iterable[list[_Entry]] = idx.by_subscription.values()
        else:
            pools = [idx.by_subscription.get(sub.lower(), [])]
        prefix = target.rstrip("/") + "/"
        for pool in pools:
            out += [ra for key, ra in pool if key.startswith(prefix)]
    if len(set(map(id, out))) != len(out):  # an assignment indexed twice: keep its first place only
        seen: set[int] = set()
        out = [ra for ra in out if not (id(ra) in seen or seen.add(id(ra)))]
    return out
