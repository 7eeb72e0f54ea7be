"""What every sandbox tenant is born with: Azure's built-in role definitions, Microsoft Graph's application
permissions (app roles), and a few other resource apps.

The data lives in ``tui/emulator/data/`` as compact gzip'd JSON (see ``data/README.md`` and ``NOTICE`` for its
origin and licence). It is read once per process and cached; callers get fresh lists (the objects inside are
shared and must be treated as read-only: built-in roles and Microsoft's app roles never change in a tenant).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from tui.emulator.ids import MICROSOFT_GRAPH_APP_ID, MICROSOFT_SERVICES_TENANT_ID
from tui.emulator.tenant import RoleDefinition

"""The tenant that owns Microsoft's first-party applications (their ``appOwnerOrganizationId``)."""

_DATA = "tui.emulator.data"


def _load(name: str) -> list:
    raw = resources.files(_DATA).joinpath(name).read_bytes()
    return json.loads(gzip.decompress(raw))


@cache
def _builtin_roles() -> tuple[RoleDefinition, ...]:
    return tuple(
        RoleDefinition(
            name=r["name"],
            role_name=r["roleName"],
            description=r["description"],
            role_type="BuiltInRole",
            permissions=r["permissions"],
            assignable_scopes=r["assignableScopes"],
            created_on=r["createdOn"],
            updated_on=r["updatedOn"],
        )
        for r in _load("azure-builtin-roles.json.gz")
    )


def builtin_role_definitions() -> list[RoleDefinition]:
    """Azure's 928 built-in role definitions (as ``az role definition list`` shows them), sorted by name."""
    return list(_builtin_roles())


@cache
def _graph_app_roles() -> tuple[dict, ...]:
    return tuple(_load("msgraph-app-roles.json.gz"))


def graph_app_roles() -> list[dict]:
    """The 716 app roles (application permissions) of the Microsoft Graph service principal, Graph-shaped
    (``allowedMemberTypes, description, displayName, id, isEnabled, origin, value``), sorted by value."""
    return list(_graph_app_roles())


@cache
def _graph_app_roles_by_value() -> dict[str, dict]:
    return {r["value"]: r for r in _graph_app_roles()}


def graph_app_role(value: str) -> dict:
    """One Microsoft Graph app role by its value, e.g. ``"User.Read.All"`` (KeyError if Graph has none)."""
    return _graph_app_roles_by_value()[value]


@cache
def _entra_roles() -> tuple[dict, ...]:
    text = resources.files("tui.data").joinpath("entra-roles.json").read_text("utf-8")
    return tuple(json.loads(text)["value"])


def entra_role_definitions() -> list[dict]:
    """Entra ID's built-in directory roles as Graph v1.0 returns them (unifiedRoleDefinition dicts, sorted by
    displayName; ``tui/data/entra-roles.json``). Shared objects: read-only."""
    return list(_entra_roles())


@cache
def _entra_roles_by_key() -> dict[str, dict]:
    roles = _entra_roles()
    return {r["id"]: r for r in roles} | {r["displayName"].lower(): r for r in roles}


def entra_role(key: str) -> dict | None:
    """A built-in directory role by id (= template id) or display name (case-insensitive), or None."""
    return _entra_roles_by_key().get(key.lower())


@dataclass(frozen=True)
class ResourceApp:
    """A resource application whose service principal every tenant (or the demo) carries."""

    app_id: str
    display_name: str
    owner_tenant_id: str | None  # None: owned by the tenant itself (a line-of-business app)
    service_principal_names: tuple[str, ...]
    # Graph-shaped appRole dicts; may be empty (the app exposes delegated scopes only)
    app_roles: tuple[dict, ...] = field(default_factory=tuple)


def microsoft_graph() -> ResourceApp:
    return ResourceApp(
        app_id=MICROSOFT_GRAPH_APP_ID,
        display_name="Microsoft Graph",
        owner_tenant_id=MICROSOFT_SERVICES_TENANT_ID,
        service_principal_names=(
            f"{MICROSOFT_GRAPH_APP_ID}/ags.windows.net",
            MICROSOFT_GRAPH_APP_ID,
            "https://canary.graph.microsoft.com",
            "https://graph.microsoft.com",
            "https://ags.windows.net",
            "https://graph.microsoft.us",
            "https://graph.microsoft.com/",
            "https://dod-graph.microsoft.us",
        ),
        app_roles=_graph_app_roles(),
    )


# Microsoft first-party resource apps (app ids and owner from merill/microsoft-info MicrosoftApps.json). They
# expose only delegated scopes to customers, so they carry no app roles here: we do not invent Microsoft's roles.
FIRST_PARTY_APPS: tuple[ResourceApp, ...] = (
    ResourceApp(
        "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "Windows Azure Service Management API",
        MICROSOFT_SERVICES_TENANT_ID,
        (
            "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "https://management.azure.com/",
            "https://management.core.windows.net/",
        ),
    ),
    ResourceApp(
        "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
        "Azure Key Vault",
        MICROSOFT_SERVICES_TENANT_ID,
        ("cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "https://vault.azure.net"),
    ),
    ResourceApp(
        "e406a681-f3d4-42a8-90b6-c2b029497af1",
        "Azure Storage",
        MICROSOFT_SERVICES_TENANT_ID,
        ("e406a681-f3d4-42a8-90b6-c2b029497af1", "https://storage.azure.com"),
    ),
)


def app_role(
    value: str, display_name: str, description: str, *, role_id: str, member_types: tuple[str, ...] = ("Application",)
) -> dict:
    """A Graph-shaped appRole of an app the tenant defines itself (``origin`` "Application")."""
    return {
        "allowedMemberTypes": list(member_types),
        "description": description,
        "displayName": display_name,
        "id": role_id,
        "isEnabled": True,
        "origin": "Application",
        "value": value,
    }


# A line-of-business API with authored app roles, so that "another resource app" is real in the demo. Ids are
# fixed GUIDs (an app's roles keep their ids across tenants because they are defined on the app registration).
CONTOSO_HR_API_ROLES: tuple[dict, ...] = (
    app_role(
        "Employees.Read.All",
        "Read all employee records",
        "Allows the app to read every employee record, including salary band and manager chain.",
        role_id="5f3c1c1e-8d8b-4f0e-9a52-1b0c7d8e6a01",
    ),
    app_role(
        "Employees.ReadWrite.All",
        "Read and write all employee records",
        "Allows the app to create, change and delete employee records.",
        role_id="5f3c1c1e-8d8b-4f0e-9a52-1b0c7d8e6a02",
    ),
    app_role(
        "Payroll.Export",
        "Export payroll",
        "Allows the app to export the monthly payroll file to the bank interface.",
        role_id="5f3c1c1e-8d8b-4f0e-9a52-1b0c7d8e6a03",
    ),
    app_role(
        "Reports.Read",
        "Read HR reports",
        "Allows users and apps to read aggregated HR reports.",
        role_id="5f3c1c1e-8d8b-4f0e-9a52-1b0c7d8e6a04",
        member_types=("User", "Application"),
    ),
)

CONTOSO_ORDERS_API_ROLES: tuple[dict, ...] = (
    app_role(
        "Orders.Read.All",
        "Read all orders",
        "Allows the app to read all customer orders.",
        role_id="7a2d4e61-3c1f-4b7a-8e0d-2f9c6b5a4d01",
    ),
    app_role(
        "Orders.Write",
        "Create and change orders",
        "Allows the app to create and change customer orders.",
        role_id="7a2d4e61-3c1f-4b7a-8e0d-2f9c6b5a4d02",
    ),
)
