"""What the service layer needs from Azure: a Protocol of async reads and writes returning domain models.

tui/azure/backend.py implements it over the real SDKs. Every method raises only tui.services.errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tui.services.automation_models import AutomationAccount, ImportedModule, Runbook
from tui.services.automation_models import RuntimeEnvironment as AutomationRuntime
from tui.services.automation_models import Schedule as AutomationSchedule
from tui.services.models import (
    AppRoleAssignment,
    Caller,
    DirectoryRoleAssignment,
    DirectoryRoleDefinition,
    FederatedCredential,
    Group,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Subscription,
)

if TYPE_CHECKING:
    from datetime import datetime

    from tui.services.usage_records import DirectoryChange, Operation, SignIn

GET_BY_IDS_MAX = 1000  # object ids one directoryObjects/getByIds takes (Graph refuses more)


@dataclass  # (read by the ten thousand, never changed: not frozen, whose __init__ is ~7x dearer)
class DirectoryIdentity:
    """A managed identity's service principal as Graph lists it."""

    principal_id: str
    client_id: str
    display_name: str
    resource_id: str  # from alternativeNames ("" when absent)
    user_assigned: bool  # alternativeNames isExplicit=True


@dataclass  # (read by the ten thousand, never changed: not frozen, whose __init__ is ~7x dearer)
class ArmResource:
    """A resource as ARM lists it, with its identity block (if any)."""

    id: str
    name: str
    type: str
    location: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    system_principal_id: str | None = None
    # ARM id of each attached user-assigned identity -> (principal id, client id)
    user_assigned: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # set for user-assigned identities read from Microsoft.ManagedIdentity (principal id, client id)
    principal_id: str | None = None
    client_id: str | None = None

    @property
    def is_user_assigned_identity(self) -> bool:
        return self.type.lower() == "microsoft.managedidentity/userassignedidentities"


@dataclass(frozen=True)
class DirectoryObject:
    """A directory object as ``getByIds`` answers it: what it is, its name, and for a group what makes it one."""

    id: str
    kind: str  # its @odata.type without the namespace: "user", "servicePrincipal", "group", ...
    display_name: str = ""
    security_enabled: bool = False  # (groups)
    is_assignable_to_role: bool = False  # (groups)
    account_enabled: bool = True  # (users, service principals: false when Entra refuses it a token)

    def as_group(self) -> Group:
        return Group(self.id, self.display_name, self.security_enabled, self.is_assignable_to_role)


@dataclass(frozen=True)
class DirectoryRoleListing:
    """The tenant's directory role assignments whose principal is a service principal or a group (unresolved: role
    names and privileges come from the definitions), and the groups among those principals."""

    assignments: list[DirectoryRoleAssignment] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)


@dataclass(frozen=True)
class Written:
    """The result of a write: what the service answered, and its request ids."""

    value: RoleAssignment | AppRoleAssignment | DirectoryRoleAssignment | ArmResource | FederatedCredential | None
    request_ids: tuple[str, ...] = ()


class Backend(Protocol):
    cloud_name: str
    tenant_id: str
    caller: Caller
    graph_url: str  # e.g. "https://graph.microsoft.com" (no /v1.0)
    arm_url: str

    def set_retry_listener(self, listener: Callable[[str], None] | None) -> None:
        """Call ``listener`` with a short description each time a request fails and is retried."""
        ...

    def set_wait_listener(self, listener: Callable[[str], None] | None) -> None:
        """Call ``listener`` with a short description each time reads wait for a quota to come back (Resource
        Graph's queries per user and window)."""
        ...

    # --- reads --------------------------------------------------------------------------------------------------
    async def list_subscriptions(self) -> list[Subscription]: ...

    async def list_managed_identity_principals(
        self, on_page: Callable[[list[DirectoryIdentity]], None] | None = None
    ) -> list[DirectoryIdentity]:
        """Every managed identity's service principal (tenant-wide); ``on_page`` is given each page as it lands."""
        ...

    def read_identities_ahead(self) -> None:
        """Ask for the first page of :meth:`list_managed_identity_principals` now, for the next listing to take
        (a screen about to load the inventory: the page's round trip overlaps the screen's first paint)."""
        ...

    async def list_resource_apps(self) -> list[ResourceApp]:
        """Every service principal that exposes app roles to applications (tenant-wide)."""
        ...

    async def list_user_assigned_identities(self, subscription_id: str) -> list[ArmResource]: ...

    async def list_resources(self, subscription_id: str) -> list[ArmResource]:
        """Every resource of the subscription (its identity block parsed when present)."""
        ...

    async def list_role_assignments(self, subscription_id: str) -> list[RoleAssignment]:
        """All assignments that apply in the subscription (at, below and above it): one listing, every page.
        Each comes with its ``scope_level`` filled in (the inventory relies on it)."""
        ...

    async def query_identity_resources(self, subscription_ids: list[str]) -> list[ArmResource]:
        """Through Azure Resource Graph: the resources of these subscriptions that carry an identity block, and the
        user-assigned identities (every page; requests grow with the rows, not with the subscriptions)."""
        ...

    async def query_role_assignments(self, subscription_ids: list[str] | None) -> list[RoleAssignment]:
        """Through Azure Resource Graph: the role assignments at and below these subscriptions; None: those above
        every subscription (management groups, the tenant root). Each with its ``scope_level``."""
        ...

    async def query_subscription_groups(self, subscription_ids: list[str]) -> dict[str, list[str]]:
        """Through Azure Resource Graph: subscription id (lower) -> the names (lower) of the management groups above
        it, nearest first."""
        ...

    async def list_role_assignments_for_principal(self, scope: str, principal_id: str) -> list[RoleAssignment]: ...

    async def get_role_assignment(self, assignment_id: str) -> RoleAssignment | None: ...

    async def list_role_definitions(self, scope: str, role_type: str | None = None) -> list[RoleDefinition]:
        """Definitions assignable at scope; role_type "BuiltInRole" / "CustomRole" filters."""
        ...

    async def list_app_role_assignments(self, principal_ids: list[str]) -> dict[str, list[AppRoleAssignment]]:
        """The grants held by each principal (identity side; batched)."""
        ...

    async def list_app_role_assigned_to(self, resource_ids: list[str]) -> list[AppRoleAssignment]:
        """Every grant of each resource app's roles (resource side; batched)."""
        ...

    async def get_resource_app(self, app_id: str) -> ResourceApp | None: ...

    async def search_resource_apps(self, text: str) -> list[ResourceApp]: ...

    async def existing_object_ids(self, object_ids: list[str]) -> set[str]:
        """Which of these directory object ids still exist (getByIds), lower-case."""
        ...

    async def list_directory_role_assignments_of(self, principal_id: str) -> list[DirectoryRoleAssignment]:
        """The directory roles assigned to this principal itself (not through its groups), unresolved: one filtered
        listing (planning and reading back a directory role write)."""
        ...

    async def get_directory_objects(self, object_ids: list[str]) -> dict[str, DirectoryObject]:
        """The directory objects (users, service principals, groups...) these ids name, by id (lower); one
        ``getByIds`` per :data:`GET_BY_IDS_MAX` ids. An id that names nothing (deleted) is absent."""
        ...

    async def list_directory_role_definitions(self) -> list[DirectoryRoleDefinition]:
        """Entra's role definitions (built-in and custom), unclassified: one listing."""
        ...

    async def list_directory_role_assignments(self) -> DirectoryRoleListing:
        """Every directory role assignment of the tenant held by a service principal or a group: one paged
        listing, with the principal expanded (what it is; a group's name)."""
        ...

    async def list_group_service_principal_members(self, group_ids: list[str]) -> dict[str, list[str]]:
        """group id (lower) -> the ids (lower) of the service principals that are its members, directly or through
        nested groups; 20 groups per Graph ``$batch``."""
        ...

    async def list_federated_credentials(self, identity_resource_id: str) -> list[FederatedCredential]: ...

    async def child_scopes(self, scope: str) -> list[tuple[str, str, ScopeLevel]]: ...

    # --- Automation (tui.services.automation) ----------------------------------------------------------------------
    async def list_automation_accounts(self, subscription_id: str) -> list[AutomationAccount]:
        """The subscription's Automation Accounts with their identities (runbooks and the rest not read)."""
        ...

    async def list_automation_runbooks(self, account_id: str) -> list[Runbook]: ...

    async def get_runbook_content(self, runbook_id: str) -> str | None:
        """The published text of a runbook; None when it has none."""
        ...

    async def get_runbook_draft(self, runbook_id: str) -> str | None: ...

    async def list_automation_modules(self, account_id: str, environment: str | None = None) -> list[ImportedModule]:
        """The account's modules, or (``environment``) the packages of that runtime environment."""
        ...

    async def get_automation_module(
        self, account_id: str, name: str, environment: str | None = None
    ) -> ImportedModule | None: ...

    async def list_automation_runtime_environments(self, account_id: str) -> list[AutomationRuntime]: ...

    async def list_automation_schedules(self, account_id: str) -> list[AutomationSchedule]: ...

    async def list_automation_job_schedules(self, account_id: str) -> list[tuple[str, str]]:
        """(runbook name, schedule name) of every job schedule of the account."""
        ...

    async def import_automation_module(
        self, account_id: str, name: str, content_uri: str, environment: str | None = None
    ) -> Written:
        """Start importing a module (or a runtime environment's package) from ``content_uri``; it provisions
        asynchronously (poll :meth:`get_automation_module`)."""
        ...

    async def create_runbook(
        self, account_id: str, name: str, runbook_type: str, environment: str, description: str = ""
    ) -> Written: ...

    async def replace_runbook_draft(self, runbook_id: str, content: str) -> Written: ...

    async def publish_runbook(self, runbook_id: str) -> Written: ...

    # --- writes -------------------------------------------------------------------------------------------------
    async def create_role_assignment(
        self,
        scope: str,
        name: str,
        role_definition_id: str,
        principal_id: str,
        *,
        condition: str | None = None,
        condition_version: str | None = None,
        description: str | None = None,
    ) -> Written: ...

    async def delete_role_assignment(self, assignment_id: str) -> Written: ...

    async def create_app_role_assignment(self, principal_id: str, resource_id: str, app_role_id: str) -> Written: ...

    async def delete_app_role_assignment(self, principal_id: str, assignment_id: str) -> Written: ...

    async def create_directory_role_assignment(
        self, principal_id: str, role_definition_id: str, directory_scope_id: str = "/"
    ) -> Written: ...

    async def delete_directory_role_assignment(self, assignment_id: str) -> Written: ...

    # --- the identity's life (tui.services.lifecycle) -------------------------------------------------------------
    async def resource_api_version(self, resource_id: str) -> str:
        """The api-version to read and change this resource with (its provider's; discovered once per type)."""
        ...

    async def get_resource(self, resource_id: str, api_version: str | None = None) -> ArmResource | None:
        """A resource with its identity block as ARM has it now (None: it does not exist)."""
        ...

    async def update_resource_identity(
        self, resource_id: str, identity: dict, api_version: str | None = None
    ) -> Written:
        """``PATCH`` the resource's ``identity`` (``userAssignedIdentities`` merged by ARM; a None value detaches);
        ``value`` is the resource as ARM answers it."""
        ...

    async def get_user_assigned_identity(self, identity_id: str) -> ArmResource | None: ...

    async def create_user_assigned_identity(
        self, subscription_id: str, resource_group: str, name: str, location: str, tags: dict[str, str]
    ) -> Written: ...

    async def delete_user_assigned_identity(self, identity_id: str) -> Written: ...

    async def create_federated_credential(
        self, identity_id: str, name: str, issuer: str, subject: str, audiences: list[str]
    ) -> Written: ...

    async def delete_federated_credential(self, identity_id: str, name: str) -> Written: ...

    # --- usage (tui.services.usage): raise MituiError when the source is refused or unlicensed
    async def list_activity_log(self, subscription_id: str, start: datetime, end: datetime) -> list[Operation]:
        """The subscription's Activity Log events between ``start`` and ``end``, newest first."""
        ...

    async def list_sign_in_activities(self) -> dict[str, datetime | None]:
        """Client id (lower) -> last sign-in of every service principal Entra has a sign-in activity for."""
        ...

    async def list_sign_ins(self, principal_id: str, start: datetime) -> list[SignIn]: ...

    async def list_directory_changes(self, principal_id: str, start: datetime) -> list[DirectoryChange]: ...

    async def close(self) -> None: ...
