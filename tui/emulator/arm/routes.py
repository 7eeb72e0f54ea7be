"""ARM's routes: URL patterns -> handlers by method, in the style of moto's ``urls.py``.

Paths are matched after a doubled slash is collapsed, case-insensitively. ``{scope}`` is any scope (the tenant
root, a subscription, a resource group, a resource): everything before the path's last ``/providers/``. The
templates are the spec's paths, used for statistics and fault routes.
"""

from __future__ import annotations

import re
from typing import Any

from tui.emulator.arm import (
    activity_logs,
    identities,
    management_groups,
    resource_graph,
    resource_identity,
    resources,
    role_assignments,
    role_definitions,
)
from tui.emulator.arm.automation import ROUTES as AUTOMATION_ROUTES
from tui.emulator.routing import Route, resolve, url

SCOPE = r"(?P<scope>(?:/[^/]+)*?)"
SEGMENT = r"[^/]+"
NAME = rf"(?P<name>{SEGMENT})"
SUB = rf"/subscriptions/(?P<subscriptionId>{SEGMENT})"
RG = rf"{SUB}/resourcegroups/(?P<resourceGroupName>{SEGMENT})"
UAMI = rf"{RG}/providers/microsoft\.managedidentity/userassignedidentities/(?P<resourceName>{SEGMENT})"
# a resource below a group, unless the path's last provider is one the sandbox serves itself
NOT_SERVED_PROVIDER = r"(?!.*/providers/microsoft\.(?:authorization|managedidentity)(?:/(?!providers(?:/|$))[^/]*)*$)"
GENERIC = rf"^{NOT_SERVED_PROVIDER}{RG}/providers/{SEGMENT}/{SEGMENT}/{SEGMENT}(?:/{SEGMENT}/{SEGMENT})*$"

RA = "/providers/Microsoft.Authorization/roleAssignments"
RD = "/providers/Microsoft.Authorization/roleDefinitions"
SYSTEM_IDENTITY = "/providers/Microsoft.ManagedIdentity/identities/default"
UAMIS = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
UAMI_ITEM = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}" + UAMIS + "/{resourceName}"
FICS = UAMI_ITEM + "/federatedIdentityCredentials"
MGS = "/providers/Microsoft.Management/managementGroups"
MG = rf"{MGS.lower()}/(?P<groupId>{SEGMENT})"


def under_scope(tail: str, handlers: dict, *, item: str | None = None) -> Route:
    """A route below any scope: ``/{scope}`` + ``tail`` (+ ``/{item}``, whose value is the ``name`` parameter)."""
    template = "/{scope}" + tail + (f"/{{{item}}}" if item else "")
    return url(template, handlers, pattern=f"^{SCOPE}{re.escape(tail)}" + (f"/{NAME}" if item else "") + "$")


ROUTES: list[Route] = [
    url("/metadata/endpoints", {"GET": resources.get_metadata}, public=True),
    *AUTOMATION_ROUTES,  # before the generic resource route, which would take a runbook for a resource
    url("/tenants", {"GET": resources.list_tenants}),
    url("/subscriptions", {"GET": resources.list_subscriptions}),
    url("/subscriptions/{subscriptionId}", {"GET": resources.get_subscription}, pattern=f"^{SUB}$"),
    url(
        "/providers/Microsoft.ResourceGraph/resources",
        {"POST": resource_graph.query_resources},
        pattern="^/providers/microsoft\\.resourcegraph/resources$",
    ),
    url(MGS, {"GET": management_groups.list_management_groups}, pattern=f"^{MGS.lower()}$"),
    url(MGS + "/{groupId}", {"GET": management_groups.get_management_group}, pattern=f"^{MG}$"),
    url(MGS + "/{groupId}/descendants", {"GET": management_groups.get_descendants}, pattern=f"^{MG}/descendants$"),
    url(
        "/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}",
        {"GET": resources.get_provider},
        pattern=rf"^{SUB}/providers/(?P<resourceProviderNamespace>[^/]+)$",
    ),
    url(
        "/subscriptions/{subscriptionId}/providers/microsoft.insights/eventtypes/management/values",
        {"GET": activity_logs.list_activity_logs},
    ),
    url("/subscriptions/{subscriptionId}/resourcegroups", {"GET": resources.list_resource_groups}),
    url("/subscriptions/{subscriptionId}/resources", {"GET": resources.list_resources}),
    url("/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", {"GET": resources.get_resource_group}),
    url(
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/resources",
        {"GET": resources.list_resources},
    ),
    url(
        "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/"
        "{resourceProviderNamespace}/{parentResourcePath}/{resourceType}/{resourceName}",
        {
            "GET": resources.get_generic_resource,
            "PATCH": resource_identity.patch_generic_resource,
            "PUT": resource_identity.put_generic_resource,
        },
        pattern=GENERIC,
    ),
    url("/subscriptions/{subscriptionId}" + UAMIS, {"GET": identities.list_uamis}, pattern=f"^{SUB}{UAMIS.lower()}$"),
    url(
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}" + UAMIS,
        {"GET": identities.list_uamis},
        pattern=f"^{RG}{UAMIS.lower()}$",
    ),
    url(
        UAMI_ITEM,
        {
            "GET": identities.get_uami,
            "PUT": identities.put_uami,
            "PATCH": identities.patch_uami,
            "DELETE": identities.delete_uami,
        },
        pattern=f"^{UAMI}$",
    ),
    url(FICS, {"GET": identities.list_fics}, pattern=f"^{UAMI}/federatedidentitycredentials$"),
    url(
        FICS + "/{federatedIdentityCredentialResourceName}",
        {"GET": identities.get_fic, "PUT": identities.put_fic, "DELETE": identities.delete_fic},
        pattern=f"^{UAMI}/federatedidentitycredentials/(?P<federatedIdentityCredentialResourceName>{SEGMENT})$",
    ),
    under_scope(SYSTEM_IDENTITY, {"GET": identities.get_system_identity}),
    under_scope(RD, {"GET": role_definitions.list_role_definitions}),
    under_scope(
        RD,
        {
            "GET": role_definitions.get_role_definition,
            "PUT": role_definitions.put_role_definition,
            "DELETE": role_definitions.delete_role_definition,
        },
        item="roleDefinitionId",
    ),
    under_scope(RA, {"GET": role_assignments.list_role_assignments}),
    under_scope(
        RA,
        {
            "GET": role_assignments.get_role_assignment,
            "PUT": role_assignments.put_role_assignment,
            "DELETE": role_assignments.delete_role_assignment,
        },
        item="roleAssignmentName",
    ),
]


def resolve_route(method: str, path: str) -> tuple[Route | None, Any, dict[str, str]]:
    """(route, handler, parameters) for ``method path`` (a doubled slash collapsed already); ``HEAD`` is answered by
    ``GET``. Parameters: ``scope`` as a path (``/`` for the tenant root), ``resourceId`` the whole path of a
    resource."""
    route, handler, params = resolve(ROUTES, method, path)
    if route is None:
        return None, None, params
    if handler is None and method == "HEAD":
        handler = route.handlers.get("GET")
    if "scope" in params:
        params["scope"] = params["scope"] or "/"
    if route.pattern.pattern == GENERIC:
        params["resourceId"] = path
    return route, handler, params
