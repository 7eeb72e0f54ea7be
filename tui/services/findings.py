"""What is wrong (issue #14): findings from the loaded inventory alone, no request per identity.

Each finding has a stable ``kind``, a severity (a :class:`Privilege`), the identity or principal it is about, the
right and the scope. The kinds:

* ``orphaned-assignment``: a role assignment whose principal no longer exists (it keeps its rights for whoever
  gets the id back, and it counts against the subscription's limit): as severe as the role.
* ``unused-identity``: a user-assigned identity attached to no resource: as severe as its highest right (an
  identity nobody uses has no reason to hold any), normal when it holds none.
* ``critical-right``: a critical right held by an identity (role assignment, directory role or app role grant).
* ``broad-scope``: a critical Azure role assigned at a subscription, management group or the root: every
  resource below is in reach.
* ``recent-right``: a right created in the last ``recent`` (7 days unless told): the first question of an
  incident is what changed.

With usage (tui.services.usage, read only when asked for: ``mitui findings --usage``):

* ``idle-identity``: no sign-in and no Azure operation in the last N days (``idle_days``, 90 unless told) while
  holding a high or critical right. Only when both sources were read: unknown is never idle.
* ``unused-right``: a high or critical Azure role assignment that no operation inside its scope, allowed by its
  role, exercised in the window (Activity Log read). Each carries the coverage it was computed from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tui.services.filtering import parse_time
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    ScopeLevel,
    right_name,
)
from tui.services.usage import OK, UsageReport, iso

KINDS = (
    "orphaned-assignment",
    "unused-identity",
    "idle-identity",
    "unused-right",
    "critical-right",
    "broad-scope",
    "recent-right",
)
BROAD = (ScopeLevel.SUBSCRIPTION, ScopeLevel.MANAGEMENT_GROUP, ScopeLevel.ROOT)
RECENT = timedelta(days=7)
IDLE_DAYS = 90
USAGE_KINDS = ("idle-identity", "unused-right")  # only with usage (usage_findings); the others from the inventory


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    severity: Privilege
    principal_id: str
    name: str  # the identity's name; for an orphan, what is known of the principal (its id)
    right: str  # the role, directory role or app role ("" for an unused identity without rights)
    scope: str  # the ARM scope, the directory scope ("/" tenant-wide) or the resource app's name
    detail: str  # one line for the admin: what it is and why it matters
    created_on: str | None = None
    coverage: dict[str, str] | None = None  # usage findings: the sources they were computed from


def _scope_of(right: RoleAssignment | DirectoryRoleAssignment | AppRoleAssignment) -> str:
    if isinstance(right, RoleAssignment):
        return right.scope
    if isinstance(right, DirectoryRoleAssignment):
        return right.directory_scope_id
    return right.resource_display_name or right.resource_id


def _via(right: RoleAssignment | DirectoryRoleAssignment | AppRoleAssignment) -> str:
    via = getattr(right, "via", None)
    return f" through group {via.group_name or via.group_id}" if via is not None else ""


def _identity_findings(inv: Inventory, identity: ManagedIdentity, since: datetime) -> Iterable[Finding]:
    pid, name = identity.principal_id, identity.name
    rights = list(inv.rights_of(identity))
    if identity.kind is IdentityKind.USER and not identity.used_by:
        top = inv.highest_right(identity)
        held = f"; it holds {right_name(top)} ({top.privilege.value})" if top is not None else ""
        yield Finding(
            "unused-identity",
            top.privilege if top is not None else Privilege.NORMAL,
            pid,
            name,
            right_name(top) if top is not None else "",
            identity.resource_id,
            f"user-assigned identity attached to no resource{held} (a federated credential may still use it)",
        )
    for right in rights:
        label, scope, via = right_name(right), _scope_of(right), _via(right)
        if right.privilege is Privilege.CRITICAL:
            yield Finding("critical-right", right.privilege, pid, name, label, scope, f"{right.privilege_reason}{via}")
            if isinstance(right, RoleAssignment) and right.scope_level in BROAD:
                yield Finding(
                    "broad-scope",
                    right.privilege,
                    pid,
                    name,
                    label,
                    scope,
                    f"critical role at the {right.scope_level.value}: every resource below is in reach{via}",
                )
        created = parse_time(right.created_on)
        if created is not None and created >= since:
            by = getattr(right, "created_by_name", None) or getattr(right, "created_by", None)
            yield Finding(
                "recent-right",
                right.privilege,
                pid,
                name,
                label,
                scope,
                f"created {created:%Y-%m-%d %H:%M} UTC" + (f" by {by}" if by else "") + via,
                right.created_on,
            )


def findings(inv: Inventory, now: datetime | None = None, recent: timedelta = RECENT) -> list[Finding]:
    """Every finding of the inventory, the most severe first (then by kind, name and right)."""
    since = (now or datetime.now(UTC)) - recent
    out: list[Finding] = []
    for ra in inv.orphaned_role_assignments:
        out.append(
            Finding(
                "orphaned-assignment",
                ra.privilege,
                ra.principal_id,
                ra.principal_id,
                ra.role_name or ra.role_definition_id,
                ra.scope,
                f"assigned to a {ra.principal_type or 'principal'} that no longer exists: remove it",
                ra.created_on,
            )
        )
    for identity in inv.identities:
        out.extend(_identity_findings(inv, identity, since))
    order = {kind: i for i, kind in enumerate(KINDS)}
    out.sort(key=lambda f: (-f.severity.rank, order[f.kind], f.name.lower(), f.right.lower(), f.scope.lower()))
    return out


def usage_findings(inv: Inventory, report: UsageReport, idle_days: int = IDLE_DAYS) -> list[Finding]:
    """``idle-identity`` and ``unused-right`` from a usage report (see the module's docstring)."""
    out: list[Finding] = []
    idle_since = report.end - timedelta(days=idle_days)
    activity_ok = report.coverage.get("activityLog") == OK
    for identity in inv.identities:
        usage = report.of(identity)
        top = inv.highest_right(identity)
        if top is None or top.privilege.rank < Privilege.HIGH.rank:
            continue
        if usage.known and (usage.last_used is None or usage.last_used < idle_since):
            last = iso(usage.last_used) or f"not in the last {max(report.days, idle_days)} days"
            out.append(
                Finding(
                    "idle-identity",
                    top.privilege,
                    identity.principal_id,
                    identity.name,
                    right_name(top),
                    _scope_of(top),
                    f"no sign-in and no Azure operation in {idle_days} days (last used: {last}) while holding "
                    f"{right_name(top)} ({top.privilege.value}): remove its rights or the identity",
                    coverage=dict(usage.coverage),
                )
            )
        if not activity_ok:
            continue
        for ra in inv.role_assignments.get(identity.principal_id.lower(), []):
            if ra.privilege.rank < Privilege.HIGH.rank or ra.via is not None:
                continue
            if report.right_last_used.get(ra.id.lower()) is None:
                out.append(
                    Finding(
                        "unused-right",
                        ra.privilege,
                        identity.principal_id,
                        identity.name,
                        ra.role_name or ra.role_definition_id,
                        ra.scope,
                        f"no operation its role allows was performed inside its scope in {report.days} days "
                        "(reads and data-plane use are not recorded by Azure)",
                        ra.created_on,
                        coverage={"activityLog": report.coverage.get("activityLog", "")},
                    )
                )
    return out


def sort_findings(out: list[Finding]) -> list[Finding]:
    order = {kind: i for i, kind in enumerate(KINDS)}
    out.sort(key=lambda f: (-f.severity.rank, order[f.kind], f.name.lower(), f.right.lower(), f.scope.lower()))
    return out


def at_or_above(items: Iterable[Finding], level: Privilege) -> list[Finding]:
    return [f for f in items if f.severity.rank >= level.rank]
