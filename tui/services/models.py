"""The domain, in the admin's words. Plain, immutable data: no Textual, no Azure SDK.

Every string that comes from Azure (names, tags, descriptions) is untrusted: these models carry it as it
came; the UI decides how to render it (always as plain text).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.services.escalation import Escalation

# The models a load builds by the ten thousand (identities, role assignments, app role grants) are plain dataclasses
# hashable by value, not frozen ones: a frozen dataclass's __init__ sets each field through object.__setattr__, about
# seven times dearer (≈0.3 s of CPU per load at 10 000 identities). They are immutable by convention all the same:
# nothing assigns to their fields (but the load, which fills in the role assignments it owns, their creator's name,
# role name and privilege, before it hands the inventory out); derive a changed copy with dataclasses.replace.


class IdentityKind(StrEnum):
    SYSTEM = "system-assigned"
    USER = "user-assigned"


_PRIVILEGE_RANK = {"critical": 2, "high": 1, "normal": 0}


class Privilege(StrEnum):
    """How much harm a right can do. Ordered: critical > high > normal."""

    CRITICAL = "critical"  # can take over the tenant or the subscription (escalation paths, Owner, RBAC writes)
    HIGH = "high"  # broad write or read of sensitive data
    NORMAL = "normal"

    def __init__(self, value: str) -> None:
        # A plain attribute, not a property: sort keys of tens of thousands of rights read it, and an Enum property
        # (like ``.value``) costs a descriptor call each time (~3 us: 0.2 s of a 10,000-identity inventory).
        self.rank: int = _PRIVILEGE_RANK[value]


class ScopeLevel(StrEnum):
    ROOT = "root"
    MANAGEMENT_GROUP = "management group"
    SUBSCRIPTION = "subscription"
    RESOURCE_GROUP = "resource group"
    RESOURCE = "resource"


@dataclass(frozen=True)
class Subscription:
    id: str  # the subscription GUID
    display_name: str
    state: str = "Enabled"
    tenant_id: str | None = None

    @property
    def scope(self) -> str:
        return f"/subscriptions/{self.id}"


@dataclass(frozen=True)
class Caller:
    """The signed-in principal, as read from its token."""

    object_id: str
    tenant_id: str
    display_name: str = ""
    kind: str = "user"  # "user" | "servicePrincipal" | "managedIdentity"


@dataclass(unsafe_hash=True, slots=True)  # (built by the ten thousand: see above)
class ManagedIdentity:
    principal_id: str  # Entra object id of its service principal
    client_id: str  # appId
    name: str
    kind: IdentityKind
    # system-assigned: the ARM id of the resource that owns it; user-assigned: the identity's own ARM id.
    resource_id: str
    subscription_id: str | None = None
    resource_group: str | None = None
    location: str | None = None
    # ARM ids of the resources that use it (for system-assigned: the owner alone)
    used_by: tuple[str, ...] = ()
    # resource type of the owner (system-assigned) or "Microsoft.ManagedIdentity/userAssignedIdentities"
    resource_type: str | None = None
    # False when only Graph knows it (the caller cannot see its resource in ARM)
    visible_in_arm: bool = True
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RoleDefinition:
    id: str  # as ARM returns it
    name: str  # the GUID
    role_name: str
    description: str = ""
    role_type: str = "BuiltInRole"  # or "CustomRole"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    assignable_scopes: tuple[str, ...] = ("/",)
    privilege: Privilege = Privilege.NORMAL
    privilege_reason: str = ""  # the action that decided the privilege, and what it lets the holder do
    # some of its permissions hold only under a condition (ABAC in the definition itself: e.g. which roles it may
    # assign); its actions, flattened above, then say more than it grants
    conditional: bool = False


@dataclass(frozen=True, slots=True)
class Via:
    """The group a right comes through (the identity is a member of it, directly or through other groups)."""

    group_id: str
    group_name: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """A Microsoft Entra group, as far as rights through membership go."""

    id: str
    display_name: str = ""
    security_enabled: bool = True
    # a role-assignable group (isAssignableToRole): the only kind that can hold directory roles
    is_assignable_to_role: bool = False


@dataclass(unsafe_hash=True, slots=True)  # (built by the ten thousand: see above)
class RoleAssignment:
    id: str  # full ARM id of the assignment (its GUID name is the last segment: ``name``)
    scope: str
    role_definition_id: str
    principal_id: str
    principal_type: str = "ServicePrincipal"
    role_name: str = ""  # resolved from the definitions; "" when unknown
    scope_level: ScopeLevel = ScopeLevel.SUBSCRIPTION
    privilege: Privilege = Privilege.NORMAL
    created_on: str | None = None  # ISO 8601, as ARM sends it
    privilege_reason: str = ""  # its role's (see RoleDefinition)
    # ABAC condition that narrows what the role allows (e.g. which roles an RBAC Administrator may assign)
    condition: str | None = None
    condition_version: str | None = None
    description: str | None = None
    created_by: str | None = None  # object id of who created it, as ARM sends it
    created_by_name: str | None = None  # resolved from Graph where known
    via: Via | None = None  # None: assigned to the identity itself; else the group it holds the right through
    principal_name: str | None = None  # (actors, orphans) its principal's display name, from getByIds

    @property
    def name(self) -> str:
        """Its GUID, the last segment of its id: read from there, not kept beside it (150,000 assignments kept
        ~13 MB of names)."""
        return self.id.rpartition("/")[2]

    @property
    def inherited(self) -> bool:
        """Held through a group (not assigned to the identity itself). Whether the scope is above the one an
        admin is looking at is :func:`inherited_at`'s question, asked relative to that scope."""
        return self.via is not None


@dataclass(frozen=True)
class AppRole:
    id: str
    value: str
    display_name: str = ""
    description: str = ""
    allowed_member_types: tuple[str, ...] = ("Application",)
    is_enabled: bool = True
    privilege: Privilege = Privilege.NORMAL
    privilege_reason: str = ""  # the permission that decided the privilege, and what it lets the holder do

    @property
    def is_application_role(self) -> bool:
        return "Application" in self.allowed_member_types


@dataclass(frozen=True)
class ResourceApp:
    """A service principal that exposes app roles (Microsoft Graph, or any other API)."""

    id: str  # service principal object id
    app_id: str
    display_name: str
    app_roles: tuple[AppRole, ...] = ()

    def role(self, app_role_id: str) -> AppRole | None:
        return self._roles_by_id.get(app_role_id.lower())

    @cached_property
    def _roles_by_id(self) -> dict[str, AppRole]:
        # Microsoft Graph exposes hundreds of app roles and a large tenant holds thousands of grants to them
        by_id: dict[str, AppRole] = {}
        for r in self.app_roles:
            by_id.setdefault(r.id.lower(), r)
        return by_id


@dataclass(unsafe_hash=True, slots=True)  # (built by the ten thousand: see above)
class AppRoleAssignment:
    id: str
    principal_id: str
    resource_id: str  # the resource app's service principal id
    app_role_id: str
    principal_display_name: str = ""
    resource_display_name: str = ""
    resource_app_id: str = ""
    app_role_value: str = ""  # resolved from the resource app; "" when unknown
    app_role_description: str = ""
    privilege: Privilege = Privilege.NORMAL
    created: str | None = None  # createdDateTime, ISO 8601, as Graph sends it
    privilege_reason: str = ""  # its app role's (see AppRole)
    # (always None: app roles are not inherited through groups for service principals; kept so that every right
    # answers the same questions)
    via: Via | None = None

    @property
    def created_on(self) -> str | None:
        return self.created


@dataclass(frozen=True, slots=True)
class DirectoryRoleDefinition:
    """A Microsoft Entra directory role (Graph's unifiedRoleDefinition), classified by its allowed actions."""

    id: str  # the role definition id (for a built-in role, its template id)
    display_name: str
    description: str = ""
    is_built_in: bool = True
    is_privileged: bool = False  # Microsoft's own flag (isPrivileged)
    # rolePermissions[].allowedResourceActions of the permissions without a condition, flattened: what decides the
    # privilege
    allowed_actions: tuple[str, ...] = ()
    # those of the permissions with a condition ($ResourceIsSelf, $SubjectIsOwner): only on itself or what it owns
    conditional_actions: tuple[str, ...] = ()
    privilege: Privilege = Privilege.NORMAL
    privilege_reason: str = ""  # the action that decided the privilege, and what it lets the holder do


@dataclass(frozen=True, slots=True)
class DirectoryRoleAssignment:
    """A directory role held by a principal (Graph's unifiedRoleAssignment), directly or through a group."""

    id: str
    principal_id: str  # the holder: the identity itself, or the group of ``via``
    role_definition_id: str
    role_name: str = ""  # resolved from the definitions; "" when unknown
    directory_scope_id: str = "/"  # "/" tenant-wide, "/administrativeUnits/{id}", or "/{object id}"
    privilege: Privilege = Privilege.NORMAL
    privilege_reason: str = ""  # its role's (see DirectoryRoleDefinition)
    via: Via | None = None
    created: str | None = None  # when Graph says (unifiedRoleAssignment has no createdDateTime in v1.0)

    @property
    def created_on(self) -> str | None:
        return self.created

    @property
    def inherited(self) -> bool:
        return self.via is not None


@dataclass(frozen=True)
class FederatedCredential:
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Progress:
    """One step of a long read, for the UI's progress display."""

    step: str  # e.g. "subscriptions", "identities", "role assignments"
    done: int
    total: int
    detail: str = ""  # e.g. the subscription just finished


@dataclass
class Inventory:
    """Everything the main screen shows: the tenant's managed identities and what each may do."""

    tenant_id: str
    cloud: str
    caller: Caller | None = None
    subscriptions: list[Subscription] = field(default_factory=list)
    identities: list[ManagedIdentity] = field(default_factory=list)
    role_assignments: dict[str, list[RoleAssignment]] = field(default_factory=dict)  # principal id (lower) ->
    app_role_assignments: dict[str, list[AppRoleAssignment]] = field(default_factory=dict)  # principal id ->
    orphaned_role_assignments: list[RoleAssignment] = field(default_factory=list)
    # What could not be read (a subscription the caller may not list, a fault past the retries): said, not dropped
    problems: list[str] = field(default_factory=list)
    # the role definitions the load read, by GUID (lower): what tui.services.escalation reads the actions from
    role_definitions: dict[str, RoleDefinition] = field(default_factory=dict)
    # principal id (lower) -> its Escalation, filled once by tui.services.escalation.escalation_of
    escalations: dict[str, Escalation] = field(default_factory=dict, repr=False, compare=False)
    # who runs code on whose hosts, indexed once by tui.services.escalation (opaque here)
    acting_index: object = field(default=None, repr=False, compare=False)
    # the usage of the identities (tui.services.usage.UsageReport), once read (only when asked for), else None
    usage: object = field(default=None, repr=False, compare=False)
    # the groups the identities are members of, by id (lower)
    groups: dict[str, Group] = field(default_factory=dict)
    # principal id (lower) -> the ids (lower) of the groups it is a member of, transitively
    memberships: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # principal id (lower) -> its directory roles, direct and through role-assignable groups (``via``)
    directory_role_assignments: dict[str, list[DirectoryRoleAssignment]] = field(default_factory=dict)
    # the directory role definitions the load read, by id (lower), classified
    directory_role_definitions: dict[str, DirectoryRoleDefinition] = field(default_factory=dict)
    # the role assignments of users, groups and other service principals whose role runs code as an identity's host
    # or attaches a user-assigned identity (tui.services.escalation RUN_AS / ASSIGN), with principal_name resolved
    actors: list[RoleAssignment] = field(default_factory=list)

    def roles_of(self, identity: ManagedIdentity) -> list[RoleAssignment]:
        """Its role assignments: its own and those of the groups it is a member of (``via`` says which)."""
        return self.role_assignments.get(identity.principal_id.lower(), [])

    def directory_roles_of(self, identity: ManagedIdentity) -> list[DirectoryRoleAssignment]:
        """Its directory roles: its own and those of the role-assignable groups it is a member of."""
        return self.directory_role_assignments.get(identity.principal_id.lower(), [])

    def groups_of(self, identity: ManagedIdentity) -> list[Group]:
        """The groups it is a member of (transitively), those the load could not name with their id alone."""
        groups = self.groups
        return [groups.get(g) or Group(g) for g in self.memberships.get(identity.principal_id.lower(), ())]

    def app_roles_of(self, identity: ManagedIdentity) -> list[AppRoleAssignment]:
        return self.app_role_assignments.get(identity.principal_id.lower(), [])

    def rights_of(self, identity: ManagedIdentity) -> Iterator[Right]:
        """Every right of the identity: role assignments, directory roles, then app role grants."""
        key = identity.principal_id.lower()
        return chain(
            self.role_assignments.get(key, ()),
            self.directory_role_assignments.get(key, ()),
            self.app_role_assignments.get(key, ()),
        )

    def highest_privilege(self, identity: ManagedIdentity) -> Privilege:
        """The highest privilege over the identity's role assignments, directory roles and app role grants (through
        its groups included; NORMAL when none)."""
        from tui.services.privilege import highest  # (tui.services.privilege imports this module)

        return highest(r.privilege for r in self.rights_of(identity))

    def highest_right(self, identity: ManagedIdentity) -> Right | None:
        """The identity's most privileged right (role assignments first on a tie, then directory roles), or None
        when it has none."""
        return max(self.rights_of(identity), key=lambda r: r.privilege.rank, default=None)


# Any right an identity holds, as the inventory answers it
Right = RoleAssignment | DirectoryRoleAssignment | AppRoleAssignment


def right_name(right: Right) -> str:
    """What the admin calls the right: the role's name, or the app role's value."""
    return right.app_role_value if isinstance(right, AppRoleAssignment) else right.role_name
