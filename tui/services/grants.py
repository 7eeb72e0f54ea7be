"""App role grants joined to their apps and identities: pure functions of the data read, run in the CPU worker.

A grant read from Graph names its app role by id; the resource app's roles (classified once) fill in its value,
description and privilege. Grants read before the identities are known are prepared (:class:`PreparedGrants`) so that
what is left once they are is a look-up per identity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui.services.models import AppRole, AppRoleAssignment, ManagedIdentity, ResourceApp
from tui.services.privilege import Verdict, app_role_verdict
from tui.services.scopes import lowered


def resource_apps(apps: list[ResourceApp]) -> list[ResourceApp]:
    """The apps that expose app roles to applications (the resource side of grants)."""
    return [a for a in apps if any(r.is_application_role for r in a.app_roles)]


def classified_app_role(app_id: str, role: AppRole) -> AppRole:
    """The app role with its privilege and the reason (a level it already carries is never lowered)."""
    verdict = app_role_verdict(app_id, role.value)
    if role.privilege.rank > verdict.level.rank:
        return role
    return replace(role, privilege=verdict.level, privilege_reason=verdict.reason)


def classified_app(app: ResourceApp) -> ResourceApp:
    """The app with each app role's privilege classified."""
    return replace(app, app_roles=tuple(classified_app_role(app.app_id, r) for r in app.app_roles))


def resolve_grant(g: AppRoleAssignment, app: ResourceApp | None) -> AppRoleAssignment:
    """Fill in the app role's value, description and privilege from the resource app."""
    if app is None:
        return g
    role = app.role(g.app_role_id)
    verdict = Verdict(role.privilege, role.privilege_reason) if role else app_role_verdict(app.app_id, g.app_role_value)
    # (by position, the model's field order: made by the ten thousand)
    return AppRoleAssignment(
        g.id,
        g.principal_id,
        g.resource_id,
        g.app_role_id,
        g.principal_display_name,
        g.resource_display_name or app.display_name,
        app.app_id,
        role.value if role else g.app_role_value,
        role.description if role else g.app_role_description,
        verdict.level,
        g.created,
        verdict.reason,
    )


def grant_order(a: AppRoleAssignment) -> tuple[int, str, str]:
    """How an identity's grants are listed: the most privileged first, then by app and role."""
    return (-a.privilege.rank, a.resource_display_name.lower(), a.app_role_value.lower())


def grants_by_principal(
    grants: list[AppRoleAssignment], apps_by_id: dict[str, ResourceApp], principals: dict[str, str] | None = None
) -> dict[str, list[AppRoleAssignment]]:
    """Each principal's grants, resolved, each once, and sorted, by principal id (lower; ``principals``: only those,
    keyed by its value: the identity's own string)."""
    out: dict[str, list[AppRoleAssignment]] = {}
    seen: set[str] = set()
    for g in grants:
        pid = g.principal_id.lower()
        if (principals is not None and pid not in principals) or g.id in seen:
            continue
        seen.add(g.id)
        key = principals[pid] if principals is not None else pid
        out.setdefault(key, []).append(resolve_grant(g, apps_by_id.get(g.resource_id.lower())))
    for items in out.values():
        if len(items) > 1:
            items.sort(key=grant_order)
    return out


def grants_by_identity(
    grants: list[AppRoleAssignment], identities: list[ManagedIdentity], apps_by_id: dict[str, ResourceApp]
) -> tuple[dict[str, list[AppRoleAssignment]], int]:
    """(each identity's grants, resolved and sorted, by principal id (lower); how many)."""
    principals = {(pid := lowered(i.principal_id)): pid for i in identities}  # (its key: the identity's own string)
    out = grants_by_principal(grants, apps_by_id, principals)
    return out, sum(len(items) for items in out.values())


@dataclass
class PreparedGrants:
    """App role grants read before the identities are known, joined as far as they can be without them: the apps'
    roles classified, each grant resolved, grouped by principal (lower id) and sorted. What is left when the
    identities are known (:meth:`of_identities`) is a look-up per principal, not a resolve per grant."""

    apps_by_id: dict[str, ResourceApp]
    by_principal: dict[str, list[AppRoleAssignment]]

    @classmethod
    def of(cls, grants: list[AppRoleAssignment], raw_apps: list[ResourceApp]) -> PreparedGrants:
        apps_by_id = {a.id.lower(): classified_app(a) for a in raw_apps}
        return cls(apps_by_id, grants_by_principal(grants, apps_by_id))

    def of_identities(self, identities: list[ManagedIdentity]) -> tuple[dict[str, list[AppRoleAssignment]], int]:
        """:func:`grants_by_identity` of the grants prepared."""
        out: dict[str, list[AppRoleAssignment]] = {}
        by_principal = self.by_principal
        for i in identities:
            pid = lowered(i.principal_id)
            items = by_principal.get(pid)
            if items is not None:
                out[pid] = items
        return out, sum(len(items) for items in out.values())
