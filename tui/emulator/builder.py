"""Build a sandbox tenant step by step, keeping the invariants Azure keeps.

``TenantBuilder`` is used by the demo tenant, the generated (``--scale``) tenants and the JSON fixtures, and by
the ARM/Graph routes for changes at run time (``TenantBuilder(tenant=existing, seed=None)`` then works on a live
tenant and draws random ids). With a seed, every id is derived from the seed and the object's natural key, so
the same seed builds the same tenant byte for byte.

Invariants kept here:

* a system- or user-assigned identity creates its managed-identity service principal (``ManagedIdentity``,
  ``alternativeNames`` ``["isExplicit=False|True", "<ARM id>"]``, ``servicePrincipalNames`` ``[appId,
  "https://identity.azure.net/<base64>"]``, no app roles);
* :func:`remove_resource` deletes a resource with its system-assigned identity (and its child resources); the
  identity's role assignments stay behind, orphaned, as in Azure; its Graph app role grants go with it;
* a role assignment names an existing role definition; (scope, role, principal) is unique;
* an app role grant names an app role the resource service principal defines; (principal, resource, role) is
  unique; its id is an opaque 43-character string that starts with the principal id, as in Graph.

Methods raise ``ValueError`` with a plain message for anything Azure would refuse (``LookupError`` subclasses
``KeyError`` are avoided so that messages read well).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from tui.emulator import catalog
from tui.emulator.builder_entra import EntraBuilder, Principal
from tui.emulator.ids import (
    MANAGED_IDENTITY_SPN_PREFIX,
    MICROSOFT_GRAPH_APP_ID,
    UAMI_TYPE,
    is_guid,
    seeded_guid,
)
from tui.emulator.tenant import (
    FederatedCredential,
    Group,
    ManagementGroup,
    Resource,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    ServicePrincipal,
    Subscription,
    Tenant,
    User,
    arm_key,
    new_guid,
)

DEFAULT_LOCATION = "westeurope"
_BASE_NAIVE = datetime(2024, 3, 4, 9, 0, 0)  # UTC
_GROUP_NAME = re.compile(r"[-\w._()]+")
_FORBIDDEN_IN_NAMES = re.compile(r"[<>%&\\?/\x00-\x1f\x7f-\x9f]")


ScopeLike = str | Subscription | ResourceGroup | Resource | ManagementGroup


def scope_of(scope: ScopeLike) -> str:
    """The ARM scope string of a subscription, resource group, resource, or a scope given as a string."""
    if isinstance(scope, Subscription):
        return f"/subscriptions/{scope.subscription_id}"
    if isinstance(scope, ResourceGroup | Resource | ManagementGroup):
        return scope.id
    return scope


def format_time(moment: datetime) -> str:
    """ARM and Graph timestamps: ISO 8601 UTC with seven fractional digits, e.g. 2024-03-04T09:00:00.0000000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


class TenantBuilder(EntraBuilder):
    """Creates a :class:`Tenant` (or changes an existing one) through the operations an admin would perform.

    ``seed`` None draws random ids and stamps the current time (for changes at run time); any other value
    derives ids and timestamps deterministically.
    """

    def __init__(
        self,
        tenant_id: str | None = None,
        seed: str | int | None = "contoso",
        *,
        default_domain: str = "contoso.onmicrosoft.com",
        tenant: Tenant | None = None,
        with_catalog: bool = True,
    ) -> None:
        self.seed = None if seed is None else str(seed)
        self._used_keys: set[str] = set()
        self._clock = 0
        self._roles_by_name: dict[str, RoleDefinition] | None = None
        self._ra_index: set[tuple[str, str, str]] = set()  # (scope key, role guid, principal id lower)
        self._grant_index: set[tuple[str, str, str]] = set()  # (principal, resource, app role id)
        self._app_roles_of: dict[str, dict[str, dict]] = {}  # resource sp id -> {value or id: app role}
        if tenant is not None:
            self.tenant = tenant
            self._ra_index = {
                (arm_key(ra.scope), ra.role_definition_name, ra.principal_id.lower())
                for ra in tenant.role_assignments.values()
            }
            self._grant_index = {
                (g.principal_id, g.resource_id, g.app_role_id.lower()) for g in tenant.app_role_assignments.values()
            }
            return
        tid = tenant_id or self._guid("tenant", "")
        self.tenant = Tenant(tenant_id=tid, admin_user_id="", default_domain=default_domain)
        if with_catalog:
            for rd in catalog.builtin_role_definitions():
                self.tenant.role_definitions[rd.name] = rd
            self.microsoft_graph = self.add_resource_app(catalog.microsoft_graph())
            for app in catalog.FIRST_PARTY_APPS:
                self.add_resource_app(app)

    # --- ids and time ---------------------------------------------------------------------------------------
    def _key(self, kind: str, key: str) -> str:
        base = f"{self.seed}:{kind}:{key}"
        candidate, n = base, 1
        while candidate in self._used_keys:
            n += 1
            candidate = f"{base}#{n}"
        self._used_keys.add(candidate)
        return candidate

    def _guid(self, kind: str, key: str) -> str:
        if self.seed is None:
            return new_guid()
        return seeded_guid(self._key(kind, key))

    def _digest(self, kind: str, key: str) -> bytes:
        if self.seed is None:
            return uuid.uuid4().bytes + uuid.uuid4().bytes
        return hashlib.sha256(self._key(kind, key).encode()).digest()

    def _now(self) -> str:
        if self.seed is None:
            return format_time(datetime.now(UTC))
        self._clock += 1
        moment = _BASE_NAIVE + timedelta(minutes=37 * self._clock, microseconds=self._clock * 1234)
        return moment.isoformat(timespec="microseconds") + "0Z"

    # --- principals -----------------------------------------------------------------------------------------
    @property
    def graph_sp(self) -> ServicePrincipal:
        sp = self.tenant.service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
        if sp is None:
            raise ValueError("the tenant has no Microsoft Graph service principal")
        return sp

    def add_user(
        self,
        display_name: str,
        user_principal_name: str | None = None,
        *,
        directory_roles: Iterable[str] = (),
        admin: bool = False,
    ) -> User:
        """An Entra user. The first user (or the one marked ``admin``) is the tenant's admin: the principal
        every token endpoint signs in by default."""
        upn = user_principal_name or (".".join(display_name.lower().split()) + "@" + self.tenant.default_domain)
        if any(u.user_principal_name.lower() == upn.lower() for u in self.tenant.users.values()):
            raise ValueError(f"a user with the name {upn!r} already exists")
        user = User(
            id=self._guid("user", upn.lower()),
            display_name=display_name,
            user_principal_name=upn,
        )
        self.tenant.users[user.id] = user
        for role in directory_roles:
            self.assign_directory_role(user, role)
        if admin or not self.tenant.admin_user_id:
            self.tenant.admin_user_id = user.id
        return user

    def add_resource_app(self, app: catalog.ResourceApp) -> ServicePrincipal:
        """The service principal of a resource application (Microsoft Graph, a first-party or a tenant's app)."""
        if self.tenant.service_principal_by_app_id(app.app_id) is not None:
            raise ValueError(f"a service principal for appId {app.app_id} already exists")
        sp = ServicePrincipal(
            id=self._guid("sp", app.app_id),
            app_id=app.app_id,
            display_name=app.display_name,
            service_principal_type="Application",
            service_principal_names=list(app.service_principal_names),
            app_roles=[dict(r) for r in app.app_roles],
            app_owner_organization_id=app.owner_tenant_id or self.tenant.tenant_id,
        )
        self.tenant.service_principals[sp.id] = sp
        return sp

    def add_application(
        self,
        display_name: str,
        app_roles: Sequence[dict] = (),
        *,
        app_id: str | None = None,
        identifier_uri: str | None = None,
        tags: Iterable[str] = ("WindowsAzureActiveDirectoryIntegratedApp",),
    ) -> ServicePrincipal:
        """An app registration of the tenant and its service principal. ``app_roles`` items need ``value``
        and may give ``displayName``, ``description``, ``allowedMemberTypes``, ``id`` (else derived)."""
        app_id = app_id or self._guid("app", display_name)
        roles = []
        seen: set[str] = set()
        for r in app_roles:
            value = r.get("value")
            if not isinstance(value, str) or not value:
                raise ValueError(f"app role of {display_name!r} needs a non-empty 'value'")
            if value in seen:
                raise ValueError(f"app role value {value!r} occurs twice in {display_name!r}")
            seen.add(value)
            role_id = r.get("id") or self._guid("approle", f"{app_id}:{value}")
            if not is_guid(role_id):
                raise ValueError(f"app role id {role_id!r} of {display_name!r} is not a GUID")
            roles.append(
                catalog.app_role(
                    value,
                    r.get("displayName", value),
                    r.get("description", ""),
                    role_id=role_id,
                    member_types=tuple(r.get("allowedMemberTypes", ("Application",))),
                )
            )
        names = [app_id] + ([identifier_uri] if identifier_uri else [f"api://{app_id}"])
        sp = self.add_resource_app(catalog.ResourceApp(app_id, display_name, None, tuple(names), tuple(roles)))
        sp.tags = list(tags)
        return sp

    # --- ARM containers ---------------------------------------------------------------------------------------
    def add_subscription(
        self,
        display_name: str,
        *,
        subscription_id: str | None = None,
        tags: dict[str, str] | None = None,
        state: str = "Enabled",
    ) -> Subscription:
        sid = subscription_id or self._guid("subscription", display_name)
        if sid in self.tenant.subscriptions:
            raise ValueError(f"subscription {sid} already exists")
        sub = Subscription(subscription_id=sid, display_name=display_name, state=state, tags=dict(tags or {}))
        self.tenant.subscriptions[sid] = sub
        return sub

    def add_management_group(
        self, name: str, display_name: str, *, parent: ManagementGroup | None = None
    ) -> ManagementGroup:
        """A management group below ``parent`` (default: the tenant root group, created with the first group:
        its name is the tenant id, its display name "Tenant Root Group", as Azure names it)."""
        t = self.tenant
        if parent is None:
            parent = t.management_group(t.tenant_id)
            if parent is None:
                parent = ManagementGroup(t.tenant_id, "Tenant Root Group", None, self._now(), t.admin_user_id or None)
                t.management_groups[parent.name.lower()] = parent
        if t.management_group(name) is not None:
            raise ValueError(f"management group {name} already exists")
        mg = ManagementGroup(name, display_name, parent.name, self._now(), t.admin_user_id or None)
        t.management_groups[name.lower()] = mg
        return mg

    def move_subscription(self, sub: Subscription, mg: ManagementGroup) -> None:
        """Place ``sub`` below the management group ``mg``."""
        sub.management_group = mg.name

    def add_resource_group(
        self,
        subscription: Subscription | str,
        name: str,
        location: str = DEFAULT_LOCATION,
        *,
        tags: dict[str, str] | None = None,
    ) -> ResourceGroup:
        sid = subscription.subscription_id if isinstance(subscription, Subscription) else subscription
        if sid not in self.tenant.subscriptions:
            raise ValueError(f"subscription {sid} does not exist")
        if not _GROUP_NAME.fullmatch(name) or len(name) > 90 or name.endswith("."):
            raise ValueError(f"invalid resource group name {name!r} (ARM allows 1-90 letters, digits, -_.() )")
        group = ResourceGroup(subscription_id=sid, name=name, location=location, tags=dict(tags or {}))
        if arm_key(group.id) in self.tenant.resource_groups:
            raise ValueError(f"resource group {name!r} already exists in subscription {sid}")
        self.tenant.resource_groups[arm_key(group.id)] = group
        return group

    def _group(self, group: ResourceGroup | str) -> ResourceGroup:
        if isinstance(group, ResourceGroup):
            return group
        found = self.tenant.resource_groups.get(arm_key(group))
        if found is None:
            raise ValueError(f"resource group {group!r} does not exist")
        return found

    # --- resources and identities -------------------------------------------------------------------------------
    def add_resource(
        self,
        group: ResourceGroup | str,
        type: str,  # noqa: A002 - ARM's word
        name: str,
        *,
        system_identity: bool = False,
        user_identities: Iterable[Resource | str] = (),
        tags: dict[str, str] | None = None,
        location: str | None = None,
        kind: str | None = None,
        sku: dict | None = None,
        properties: dict | None = None,
        parent: Resource | None = None,
    ) -> Resource:
        """A resource of any ``type`` (``Provider/type``). With ``parent``, a child resource: ``type`` is the
        child's full type (``Microsoft.Automation/automationAccounts/runbooks``) and its id and name nest."""
        rg = self._group(group)
        if not name or len(name) > 260 or _FORBIDDEN_IN_NAMES.search(name):
            raise ValueError(f"invalid resource name {name!r} (ARM forbids control characters and <>%&\\?/)")
        if parent is not None:
            child_segment = type.rsplit("/", 1)[-1]
            rid = f"{parent.id}/{child_segment}/{name}"
            full_name = f"{parent.name}/{name}"
        else:
            if type.count("/") != 1:
                raise ValueError(f"invalid resource type {type!r} (expected 'Provider/type')")
            rid = f"{rg.id}/providers/{type}/{name}"
            full_name = name
        if arm_key(rid) in self.tenant.resources:
            raise ValueError(f"resource {rid} already exists")
        res = Resource(
            id=rid,
            name=full_name,
            type=type,
            location=location or rg.location,
            subscription_id=rg.subscription_id,
            resource_group=rg.name,
            tags=dict(tags or {}),
            kind=kind,
            sku=sku,
            properties=dict(properties or {}),
        )
        self.tenant.resources[arm_key(rid)] = res
        if system_identity:
            self.enable_system_identity(res)
        for uami in user_identities:
            self.attach_user_identity(res, uami)
        return res

    def enable_system_identity(self, resource: Resource) -> ServicePrincipal:
        """Turn on the system-assigned identity of ``resource`` (creates its service principal)."""
        if resource.system_principal_id:
            existing = self.tenant.service_principals.get(resource.system_principal_id)
            if existing is not None:
                return existing
        sp = self._managed_identity_sp(resource, explicit=False)
        resource.system_principal_id = sp.id
        resource.system_client_id = sp.app_id
        return sp

    def add_user_assigned_identity(
        self,
        group: ResourceGroup | str,
        name: str,
        *,
        location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> Resource:
        uami = self.add_resource(group, UAMI_TYPE, name, location=location, tags=tags)
        sp = self._managed_identity_sp(uami, explicit=True)
        uami.principal_id = sp.id
        uami.client_id = sp.app_id
        uami.properties = {
            "isolationScope": "None",
            "tenantId": self.tenant.tenant_id,
            "principalId": sp.id,
            "clientId": sp.app_id,
        }
        return uami

    def _managed_identity_sp(self, resource: Resource, *, explicit: bool) -> ServicePrincipal:
        oid = self._guid("mi-object", resource.id.lower())
        app_id = self._guid("mi-client", resource.id.lower())
        token = base64.b64encode(self._digest("mi-spn", resource.id.lower())).decode()
        # Graph shows the ARM id with a lower-case "resourcegroups" segment.
        alt_id = re.sub(r"/resourceGroups/", "/resourcegroups/", resource.id, count=1, flags=re.IGNORECASE)
        sp = ServicePrincipal(
            id=oid,
            app_id=app_id,
            display_name=resource.name.rsplit("/", 1)[-1] if not explicit else resource.name,
            service_principal_type="ManagedIdentity",
            alternative_names=[f"isExplicit={explicit}", alt_id],
            service_principal_names=[app_id, MANAGED_IDENTITY_SPN_PREFIX + token],
        )
        self.tenant.service_principals[sp.id] = sp
        return sp

    def _uami(self, uami: Resource | str) -> Resource:
        found = uami if isinstance(uami, Resource) else self.tenant.resource(uami)
        if found is None or not found.is_user_assigned_identity:
            raise ValueError(f"user-assigned identity {getattr(uami, 'id', uami)!r} does not exist")
        return found

    def attach_user_identity(self, resource: Resource, uami: Resource | str) -> None:
        """Attach a user-assigned identity to a resource (one identity may serve many resources)."""
        found = self._uami(uami)
        if found is resource:
            raise ValueError("an identity cannot be attached to itself")
        if not any(arm_key(i) == arm_key(found.id) for i in resource.user_assigned_identity_ids):
            resource.user_assigned_identity_ids.append(found.id)

    def add_federated_credential(
        self,
        uami: Resource | str,
        name: str,
        issuer: str,
        subject: str,
        audiences: Sequence[str] = ("api://AzureADTokenExchange",),
    ) -> FederatedCredential:
        identity = self._uami(uami)
        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}", name):
            raise ValueError(f"invalid federated credential name {name!r}")
        fic = FederatedCredential(
            identity_id=identity.id, name=name, issuer=issuer, subject=subject, audiences=list(audiences)
        )
        key = arm_key(f"{identity.id}/federatedIdentityCredentials/{name}")
        if key in self.tenant.federated_credentials:
            raise ValueError(f"federated credential {name!r} already exists on {identity.name!r}")
        self.tenant.federated_credentials[key] = fic
        return fic

    # --- Azure RBAC ---------------------------------------------------------------------------------------------
    def role_definition(self, role: str | RoleDefinition) -> RoleDefinition:
        """A role definition by GUID, by its ARM id, or by role name (case-insensitive)."""
        if isinstance(role, RoleDefinition):
            return role
        guid = role.rsplit("/", 1)[-1].lower()
        found = self.tenant.role_definitions.get(guid)
        if found is not None:
            return found
        if self._roles_by_name is None or len(self._roles_by_name) != len(self.tenant.role_definitions):
            self._roles_by_name = {rd.role_name.lower(): rd for rd in self.tenant.role_definitions.values()}
        found = self._roles_by_name.get(role.lower())
        if found is None:
            raise ValueError(f"role definition {role!r} does not exist")
        return found

    def add_custom_role(
        self,
        role_name: str,
        description: str,
        actions: Sequence[str],
        *,
        not_actions: Sequence[str] = (),
        data_actions: Sequence[str] = (),
        not_data_actions: Sequence[str] = (),
        assignable_scopes: Sequence[ScopeLike] = (),
        role_id: str | None = None,
    ) -> RoleDefinition:
        if any(rd.role_name.lower() == role_name.lower() for rd in self.tenant.role_definitions.values()):
            raise ValueError(f"a role named {role_name!r} already exists")
        scopes = [scope_of(s) for s in assignable_scopes] or [f"/subscriptions/{s}" for s in self.tenant.subscriptions]
        now = self._now()
        rd = RoleDefinition(
            name=(role_id or self._guid("customrole", role_name)).lower(),
            role_name=role_name,
            description=description,
            role_type="CustomRole",
            permissions=[
                {
                    "actions": list(actions),
                    "notActions": list(not_actions),
                    "dataActions": list(data_actions),
                    "notDataActions": list(not_data_actions),
                }
            ],
            assignable_scopes=scopes,
            created_on=now,
            updated_on=now,
        )
        self.tenant.role_definitions[rd.name] = rd
        return rd

    def assign_role(
        self,
        principal: Principal | Resource | Group | str,
        role: str | RoleDefinition,
        scope: ScopeLike,
        *,
        principal_type: str | None = None,
        description: str | None = None,
        name: str | None = None,
        created_by: str | None = None,
        condition: str | None = None,
        created_on: str | None = None,
    ) -> RoleAssignment:
        """Assign ``role`` at ``scope``. ``principal`` is a User, a ServicePrincipal, a user-assigned identity
        (its Resource), a resource with a system-assigned identity, or an object id (which need not exist:
        that is how a fixture writes an orphan)."""
        pid, ptype = self._principal_id(principal)
        ptype = principal_type or ptype
        rd = self.role_definition(role)
        scope_str = scope_of(scope)
        index_key = (arm_key(scope_str), rd.name, pid.lower())
        scope_key, _, pid_key = index_key
        if index_key in self._ra_index:
            raise ValueError(f"{rd.role_name!r} is already assigned to {pid} at {scope_str}")
        ra_name = (name or self._guid("roleassignment", f"{scope_key}|{rd.name}|{pid_key}")).lower()
        if ra_name in self.tenant.role_assignments:
            raise ValueError(f"role assignment {ra_name} already exists")
        now = created_on or self._now()
        ra = RoleAssignment(
            name=ra_name,
            scope=scope_str,
            role_definition_id=rd.id_at(scope_str),
            principal_id=pid,
            principal_type=ptype,
            description=description,
            condition=condition,
            condition_version="2.0" if condition else None,
            created_on=now,
            updated_on=now,
            created_by=created_by or self.tenant.admin_user_id or None,
            updated_by=created_by or self.tenant.admin_user_id or None,
        )
        self.tenant.role_assignments[ra.name] = ra
        self._ra_index.add(index_key)
        return ra

    def _principal_id(self, principal: Principal | Resource | Group | str) -> tuple[str, str]:
        if isinstance(principal, Group):
            return principal.id, "Group"
        if isinstance(principal, User):
            return principal.id, "User"
        if isinstance(principal, ServicePrincipal):
            return principal.id, "ServicePrincipal"
        if isinstance(principal, Resource):
            pid = principal.principal_id if principal.is_user_assigned_identity else principal.system_principal_id
            if not pid:
                raise ValueError(f"resource {principal.id} has no identity")
            return pid, "ServicePrincipal"
        if not is_guid(principal):
            raise ValueError(f"principal id {principal!r} is not a GUID")
        found = self.tenant.directory_object(principal)
        kind = "User" if isinstance(found, User) else "Group" if isinstance(found, Group) else "ServicePrincipal"
        return principal, kind

    def build(self) -> Tenant:
        """The tenant. Without any user, an admin ("Sandbox Admin", Global Administrator) is added first."""
        if not self.tenant.admin_user_id:
            self.add_user(
                "Sandbox Admin",
                f"admin@{self.tenant.default_domain}",
                directory_roles=["Global Administrator"],
                admin=True,
            )
        return self.tenant
