"""The sandbox tenant's state: one consistent model that the ARM, Graph and token routes all read and change.

Nothing here speaks HTTP. Routes translate between the wire formats and these objects; the model keeps the
invariants that Azure keeps (a system-assigned identity lives and dies with its resource, ids recur
byte-identical, a role assignment's principal may disappear and leave the assignment orphaned).

All ids are GUID strings in lower case unless Azure itself keeps a caller's casing (a role assignment's
``principal_id`` keeps the case it was created with). ARM resource ids keep the casing they were created with;
lookups compare them case-insensitively through :func:`arm_key`.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from tui.emulator.automation import AutomationState

from tui.emulator.activity import ActivityRecord


def arm_key(resource_id: str) -> str:
    """The case-insensitive key of an ARM id or scope (ARM compares ids without regard to case)."""
    if resource_id[:1] == "/" and resource_id[-1:] != "/" and "//" not in resource_id:
        return resource_id.lower()  # already in the key's form but for the case (the common case, and fast)
    return "/" + "/".join(p for p in resource_id.lower().split("/") if p)


def new_guid(seed: str | None = None) -> str:
    """A GUID: random, or derived deterministically from ``seed`` (so fixtures recur byte-identical)."""
    if seed is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "mitui-sandbox:" + seed))


@dataclass
class User:
    """An Entra user (the admin who runs mitui is one)."""

    id: str
    display_name: str
    user_principal_name: str
    # Entra directory roles held, by display name, e.g. "Privileged Role Administrator", "Global Reader".
    directory_roles: list[str] = field(default_factory=list)


@dataclass
class ServicePrincipal:
    """An Entra service principal: a resource app (Microsoft Graph), an app, or a managed identity."""

    id: str  # object id (= principal id)
    app_id: str  # client id
    display_name: str
    service_principal_type: Literal["Application", "ManagedIdentity", "Legacy", "SocialIdp"] = "Application"
    # For managed identities: ["isExplicit=True|False", "<ARM resource id>"].
    alternative_names: list[str] = field(default_factory=list)
    service_principal_names: list[str] = field(default_factory=list)
    # Graph-shaped appRole objects ({allowedMemberTypes, description, displayName, id, isEnabled, origin, value}).
    app_roles: list[dict] = field(default_factory=list)
    app_owner_organization_id: str | None = None
    account_enabled: bool = True
    directory_roles: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    state: str = "Enabled"
    tags: dict[str, str] = field(default_factory=dict)
    management_group: str | None = None  # the name of its parent management group (None: no hierarchy)


MG_PREFIX = "/providers/Microsoft.Management/managementGroups/"


@dataclass
class ManagementGroup:
    """A management group: ``name`` is its id (the tenant root group's name is the tenant id), ``parent`` the
    name of its parent (None for the tenant root group)."""

    name: str
    display_name: str
    parent: str | None = None
    updated_time: str = ""
    updated_by: str | None = None

    @property
    def id(self) -> str:
        return MG_PREFIX + self.name


@dataclass
class ResourceGroup:
    subscription_id: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass
class Resource:
    """Any ARM resource. A user-assigned identity is a Resource of type
    ``Microsoft.ManagedIdentity/userAssignedIdentities`` with ``principal_id`` / ``client_id`` set."""

    id: str  # full ARM id, as created
    name: str
    type: str  # e.g. "Microsoft.Automation/automationAccounts"
    location: str
    subscription_id: str
    resource_group: str
    tags: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    sku: dict | None = None
    properties: dict = field(default_factory=dict)
    # identity block: system-assigned principal (None when the resource has none) and attached UAMI ids.
    system_principal_id: str | None = None
    system_client_id: str | None = None
    user_assigned_identity_ids: list[str] = field(default_factory=list)
    # set for user-assigned identities (the resource *is* an identity)
    principal_id: str | None = None
    client_id: str | None = None

    @property
    def is_user_assigned_identity(self) -> bool:
        return self.type.lower() == "microsoft.managedidentity/userassignedidentities"


@dataclass
class FederatedCredential:
    identity_id: str  # ARM id of the user-assigned identity
    name: str
    issuer: str
    subject: str
    audiences: list[str] = field(default_factory=lambda: ["api://AzureADTokenExchange"])


@dataclass
class RoleDefinition:
    name: str  # the GUID
    role_name: str
    description: str
    role_type: Literal["BuiltInRole", "CustomRole"]
    permissions: list[dict]  # [{actions, notActions, dataActions, notDataActions}]
    assignable_scopes: list[str] = field(default_factory=lambda: ["/"])
    created_on: str | None = None
    updated_on: str | None = None

    def id_at(self, scope: str) -> str:
        """The id ARM gives this definition when listed at ``scope`` (subscription form below a subscription)."""
        sub = subscription_of(scope)
        prefix = f"/subscriptions/{sub}" if sub else ""
        return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{self.name}"


_edit_numbers = itertools.count(1)


class Edited:
    """Tells when an instance of the class last changed: every field set (at creation too) gives the class's
    ``last_edit`` a new, higher number. A cache of what such objects look like then knows in one comparison that
    none has changed since it last looked (``TextCache``'s ``edits``). Only for classes whose fields all hold values
    that cannot change in place (strings, numbers, None): an edit inside a list or a dict would not be counted."""

    last_edit: ClassVar[int] = 0

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        type(self).last_edit = next(_edit_numbers)  # (next() on a count is atomic: no two edits share a number)


@dataclass
class RoleAssignment(Edited):
    """An Azure role assignment; its fields are all strings or None (:class:`Edited` counts its edits)."""

    name: str  # the GUID chosen by the client
    scope: str  # as created
    role_definition_id: str  # as ARM returns it: /subscriptions/{sub}/providers/.../roleDefinitions/{guid}
    principal_id: str  # keeps the caller's casing
    principal_type: str = "ServicePrincipal"
    description: str | None = None
    condition: str | None = None
    condition_version: str | None = None
    created_on: str = ""
    updated_on: str = ""
    created_by: str | None = None
    updated_by: str | None = None

    @property
    def id(self) -> str:
        return f"{self.scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{self.name}"

    @property
    def role_definition_name(self) -> str:
        return self.role_definition_id.rsplit("/", 1)[-1].lower()


@dataclass
class AppRoleAssignment:
    id: str  # opaque 43-character string
    principal_id: str  # the service principal (or user/group) granted the role
    resource_id: str  # the resource app's service principal object id
    app_role_id: str
    created_date_time: str = ""


@dataclass
class Group:
    """An Entra group. Members are object ids (users, service principals, groups), in the order they were added.
    Only a role-assignable group (``isAssignableToRole``, set at creation) may hold a directory role."""

    id: str
    display_name: str
    description: str | None = None
    mail_nickname: str = ""
    security_enabled: bool = True
    mail_enabled: bool = False
    group_types: list[str] = field(default_factory=list)
    is_assignable_to_role: bool = False
    created_date_time: str = ""
    members: list[str] = field(default_factory=list)


@dataclass
class DirectoryRoleAssignment:
    """An Entra directory role held by a principal (Graph's unifiedRoleAssignment of the directory provider)."""

    id: str  # Graph's opaque id, e.g. "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1"
    principal_id: str  # user, service principal or role-assignable group
    role_definition_id: str  # the role's template id (built-in roles: id == templateId)
    directory_scope_id: str = "/"


def subscription_of(scope: str) -> str | None:
    parts = [p for p in scope.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return parts[1]
    return None


class Tenant:
    """The whole sandbox tenant. Routes hold ``tenant.lock`` while they read several collections that must agree,
    and always while they change anything."""

    def __init__(self, tenant_id: str, admin_user_id: str, default_domain: str = "contoso.onmicrosoft.com"):
        self.tenant_id = tenant_id
        self.admin_user_id = admin_user_id  # the principal every token endpoint signs in by default
        self.default_domain = default_domain
        self.lock = threading.RLock()
        self.activity = ActivityRecord()  # what happened: Activity Log, sign-ins, directory audits
        self.users: dict[str, User] = {}
        self.service_principals: dict[str, ServicePrincipal] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.management_groups: dict[str, ManagementGroup] = {}  # name (lower) -> group
        self.resource_groups: dict[str, ResourceGroup] = {}  # arm_key(id) -> group
        self.resources: dict[str, Resource] = {}  # arm_key(id) -> resource
        self.federated_credentials: dict[str, FederatedCredential] = {}  # arm_key(fic id) -> credential
        self.role_definitions: dict[str, RoleDefinition] = {}  # guid (lower) -> definition
        self.role_assignments: dict[str, RoleAssignment] = {}  # guid (lower) -> assignment
        self.app_role_assignments: dict[str, AppRoleAssignment] = {}  # id -> grant
        self.groups: dict[str, Group] = {}  # object id (lower) -> group
        self.directory_role_assignments: dict[str, DirectoryRoleAssignment] = {}  # id -> assignment
        # Automation Accounts' modules, runtime environments, schedules and runbook texts (tui.emulator.automation)
        self.automation: dict[str, AutomationState] = {}  # arm_key(account id) -> its state
        self._member_of: dict[str, set[str]] = {}  # member object id (lower) -> ids of the groups it is directly in
        # client secrets the login authority accepts, by app id (lower); see tokens.DEMO_CLIENT_SECRET too
        self.client_secrets: dict[str, list[str]] = {}
        # Entra is eventually consistent: a service principal created while serving is invisible to app-role
        # grants and to role assignments without principalType for this many seconds (0 = at once).
        self.replication_delay_s: float = 0.0
        self.principal_created_at: dict[str, float] = {}  # object id (lower) -> time.monotonic() at creation

    # --- look-ups -------------------------------------------------------------------------------------------
    def principal(self, object_id: str) -> User | ServicePrincipal | None:
        key = object_id.lower()
        return self.users.get(key) or self.service_principals.get(key)

    def directory_object(self, object_id: str) -> User | ServicePrincipal | Group | None:
        """A user, service principal or group by object id."""
        key = object_id.lower()
        return self.users.get(key) or self.service_principals.get(key) or self.groups.get(key)

    # --- group membership -----------------------------------------------------------------------------------
    def add_member(self, group: Group, member_id: str) -> bool:
        """Add ``member_id`` to ``group``; False when it is a member already."""
        key = member_id.lower()
        if key in self._member_of.get(group.id, ()) or group.id in self._member_of.get(key, ()):
            return False
        group.members.append(key)
        self._member_of.setdefault(key, set()).add(group.id)
        return True

    def remove_member(self, group: Group, member_id: str) -> bool:
        """Take ``member_id`` out of ``group``; False when it was not a member."""
        key = member_id.lower()
        held = self._member_of.get(key)
        if not held or group.id not in held:
            return False
        held.discard(group.id)
        group.members.remove(key)
        return True

    def groups_of(self, object_id: str, *, transitive: bool = False) -> list[Group]:
        """The groups ``object_id`` is a direct member of, or (``transitive``) a member of through nesting too,
        nearest first."""
        out: list[Group] = []
        seen: set[str] = set()
        frontier = [object_id.lower()]
        while frontier:
            nxt: list[str] = []
            for oid in frontier:
                for gid in sorted(self._member_of.get(oid, ())):
                    if gid not in seen and gid in self.groups:
                        seen.add(gid)
                        out.append(self.groups[gid])
                        nxt.append(gid)
            frontier = nxt if transitive else []
        return out

    def forget_objects(self, object_ids: Iterable[str]) -> None:
        """Deleted objects leave every group they were in, and their directory role assignments go."""
        keys = {oid.lower() for oid in object_ids}
        for key in keys:
            for gid in self._member_of.pop(key, set()):
                group = self.groups.get(gid)
                if group is not None and key in group.members:
                    group.members.remove(key)
        if self.directory_role_assignments:
            for aid in [a.id for a in self.directory_role_assignments.values() if a.principal_id in keys]:
                del self.directory_role_assignments[aid]

    def replicating(self, object_id: str) -> bool:
        """True while a principal created at run time has not yet replicated through the directory."""
        created = self.principal_created_at.get(object_id.lower())
        return created is not None and time.monotonic() - created < self.replication_delay_s

    def service_principal_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        app_id = app_id.lower()
        for sp in self.service_principals.values():
            if sp.app_id.lower() == app_id:
                return sp
        return None

    def resource(self, resource_id: str) -> Resource | None:
        return self.resources.get(arm_key(resource_id))

    # --- management groups ----------------------------------------------------------------------------------
    def management_group(self, name: str) -> ManagementGroup | None:
        return self.management_groups.get(name.lower())

    def management_group_chain(self, name: str | None) -> list[ManagementGroup]:
        """The management group ``name`` and its ancestors, the tenant root group last."""
        out: list[ManagementGroup] = []
        while name is not None and len(out) <= len(self.management_groups):
            mg = self.management_groups.get(name.lower())
            if mg is None:
                break
            out.append(mg)
            name = mg.parent
        return out

    def management_group_of_scope(self, scope_key: str) -> str | None:
        """The management group name of a scope key: the group itself for a management group scope, the
        subscription's parent for a scope in a subscription; None otherwise."""
        if scope_key.startswith("/providers/microsoft.management/managementgroups/"):
            return scope_key.split("/")[4] if scope_key.count("/") == 4 else None
        sub = subscription_of(scope_key)
        if sub is None:
            return None
        found = self.subscriptions.get(sub)
        if found is None:
            found = next((s for s in self.subscriptions.values() if s.subscription_id.lower() == sub), None)
        if found is None:
            return None
        return found.management_group or self.root_management_group()

    def root_management_group(self) -> str | None:
        """The tenant root group's name (the tenant id) once the tenant has management groups: every subscription
        not placed in another group is below it."""
        return self.tenant_id if self.tenant_id.lower() in self.management_groups else None


# --- changes on a live tenant (used by the ARM and Graph routes) -----------------------------------------------
def remove_service_principal(tenant: Tenant, object_id: str) -> ServicePrincipal | None:
    """Delete a service principal from Entra: its app role grants (either side) go with it; Azure role
    assignments naming it stay behind, orphaned."""
    removed = remove_service_principals(tenant, [object_id])
    return removed[0] if removed else None


def remove_service_principals(tenant: Tenant, object_ids: Iterable[str]) -> list[ServicePrincipal]:
    """:func:`remove_service_principal` for many at once (one pass over the grants)."""
    gone = [sp for oid in object_ids if (sp := tenant.service_principals.pop(oid.lower(), None)) is not None]
    ids = {sp.id for sp in gone}
    if ids:
        tenant.forget_objects(ids)
        for gid in [
            g.id for g in tenant.app_role_assignments.values() if g.principal_id in ids or g.resource_id in ids
        ]:
            del tenant.app_role_assignments[gid]
    return gone


def remove_resource(tenant: Tenant, resource_id: str) -> Resource | None:
    """Delete an ARM resource as Azure does. Returns the removed resource, or None when absent.

    * its child resources go with it;
    * its system-assigned identity's service principal is deleted (role assignments stay, orphaned);
    * a user-assigned identity takes its service principal and federated credentials with it, and is
      detached from the resources that used it.
    """
    removed = remove_resources(tenant, [resource_id])
    return removed[0] if removed else None


def remove_resources(tenant: Tenant, resource_ids: Iterable[str]) -> list[Resource]:
    """:func:`remove_resource` for many at once; returns the resources named (children not included)."""
    keys = [arm_key(r) for r in resource_ids]
    named = [tenant.resources[k] for k in keys if k in tenant.resources]
    if not named:
        return []
    prefixes = tuple(k + "/" for k in keys)
    wanted = set(keys)
    doomed = [k for k in tenant.resources if k in wanted or k.startswith(prefixes)]
    principals: list[str] = []
    uamis: set[str] = set()
    for k in doomed:
        gone = tenant.resources.pop(k)
        if gone.system_principal_id:
            principals.append(gone.system_principal_id)
        if gone.is_user_assigned_identity:
            uamis.add(k)
            if gone.principal_id:
                principals.append(gone.principal_id)
    remove_service_principals(tenant, principals)
    if uamis:
        uami_prefixes = tuple(k + "/" for k in uamis)
        for fk in [f for f in tenant.federated_credentials if f.startswith(uami_prefixes)]:
            del tenant.federated_credentials[fk]
        for other in tenant.resources.values():
            if other.user_assigned_identity_ids:
                other.user_assigned_identity_ids = [
                    i for i in other.user_assigned_identity_ids if arm_key(i) not in uamis
                ]
    return named
