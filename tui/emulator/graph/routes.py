"""Graph v1.0's routes (below ``/v1.0``): URL patterns -> handlers by method, as ARM's (:mod:`tui.emulator.routing`).
A segment parameter stops at ``/`` and ``'`` (``servicePrincipals(appId='...')``)."""

from __future__ import annotations

from functools import partial

from tui.emulator.graph import app_role_assignments as grants
from tui.emulator.graph import directory, groups, reports, role_management
from tui.emulator.graph import service_principals as sps
from tui.emulator.graph.batch import batch
from tui.emulator.graph.call import BETA, V1
from tui.emulator.routing import Route, pattern_of


def url(template: str, handlers: dict) -> Route:
    return Route(V1 + template, pattern_of(template, segment="[^/']+"), handlers)


def _sides() -> list[Route]:
    out = []
    for side in ("appRoleAssignments", "appRoleAssignedTo"):
        out += [
            url(
                f"/servicePrincipals/{{sp_id}}/{side}",
                {
                    "GET": partial(grants.list_assignments, side=side),
                    "POST": partial(grants.create_assignment, side=side),
                },
            ),
            url(
                f"/servicePrincipals/{{sp_id}}/{side}/{{assignment_id}}",
                {
                    "GET": partial(grants.get_assignment, side=side),
                    "DELETE": partial(grants.delete_assignment, side=side),
                },
            ),
        ]
    return out


SERVICE_PRINCIPAL = {
    "GET": sps.get_service_principal,
    "PATCH": sps.patch_service_principal,
    "DELETE": sps.delete_service_principal,
}

ROUTES: list[Route] = [
    url("/servicePrincipals", {"GET": sps.list_service_principals}),
    url("/servicePrincipals/$count", {"GET": sps.count_service_principals}),
    url("/servicePrincipals(appId='{app_id}')", SERVICE_PRINCIPAL),
    url("/servicePrincipals/{sp_id}", SERVICE_PRINCIPAL),
    *_sides(),
    url("/servicePrincipals/{sp_id}/memberOf", {"GET": groups.list_member_of}),
    url("/servicePrincipals/{sp_id}/memberOf/{cast}", {"GET": groups.list_member_of}),
    url("/servicePrincipals/{sp_id}/transitiveMemberOf", {"GET": groups.list_transitive_member_of}),
    url("/servicePrincipals/{sp_id}/transitiveMemberOf/{cast}", {"GET": groups.list_transitive_member_of}),
    url("/groups", {"GET": groups.list_groups}),
    url("/groups/{group_id}", {"GET": groups.get_group}),
    url("/groups/{group_id}/members", {"GET": groups.list_members}),
    url("/groups/{group_id}/members/$ref", {"POST": groups.add_member}),
    url("/groups/{group_id}/members/{member_id}/$ref", {"DELETE": groups.remove_member}),
    url("/groups/{group_id}/members/{cast}", {"GET": groups.list_members}),
    url("/groups/{group_id}/transitiveMembers", {"GET": groups.list_transitive_members}),
    url("/groups/{group_id}/transitiveMembers/{cast}", {"GET": groups.list_transitive_members}),
    url("/roleManagement/directory/roleDefinitions", {"GET": role_management.list_role_definitions}),
    url("/roleManagement/directory/roleDefinitions/{definition_id}", {"GET": role_management.get_role_definition}),
    url(
        "/roleManagement/directory/roleAssignments",
        {"GET": role_management.list_role_assignments, "POST": role_management.create_role_assignment},
    ),
    url(
        "/roleManagement/directory/roleAssignments/{assignment_id}",
        {"GET": role_management.get_role_assignment, "DELETE": role_management.delete_role_assignment},
    ),
    url("/directoryObjects/getByIds", {"POST": directory.get_by_ids}),
    url("/directoryObjects/{object_id}", {"GET": directory.get_directory_object}),
    url("/me", {"GET": directory.get_me}),
    url("/users/{user_id}", {"GET": directory.get_user}),
    url("/$batch", {"POST": batch}),
    url("/auditLogs/directoryAudits", {"GET": reports.list_directory_audits}),
]


def beta(template: str, handlers: dict) -> Route:
    return Route(BETA + template, pattern_of(template, segment="[^/']+"), handlers)


# Graph beta: only what mitui reads there (sign-in activity and sign-in events, which v1.0 does not serve)
BETA_ROUTES: list[Route] = [
    beta("/reports/servicePrincipalSignInActivities", {"GET": reports.list_sign_in_activities}),
    beta("/auditLogs/signIns", {"GET": reports.list_sign_ins}),
    beta("/auditLogs/directoryAudits", {"GET": reports.list_directory_audits}),
]
