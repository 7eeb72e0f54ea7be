"""The JSON shapes Graph answers with, one serialiser per shape."""

from __future__ import annotations

import operator
import uuid
import weakref
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from tui.emulator.tenant import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    Group,
    ServicePrincipal,
    Tenant,
    User,
    new_guid,
)
from tui.emulator.text_cache import TextCache
from tui.emulator.wire import dumps

# --- serialization ----------------------------------------------------------------------------------------------
SP_PROPERTIES = [
    "id",
    "deletedDateTime",
    "accountEnabled",
    "alternativeNames",
    "appDisplayName",
    "appDescription",
    "appId",
    "applicationTemplateId",
    "appOwnerOrganizationId",
    "appRoleAssignmentRequired",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "homepage",
    "loginUrl",
    "logoutUrl",
    "notes",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint",
    "replyUrls",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "samlSingleSignOnSettings",
    "addIns",
    "appRoles",
    "info",
    "keyCredentials",
    "oauth2PermissionScopes",
    "passwordCredentials",
    "resourceSpecificApplicationPermissions",
    "verifiedPublisher",
]
USER_PROPERTIES = [
    "id",
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
]
SP_FILTER_PROPS: dict[str, tuple[str, bool]] = {
    p.lower(): (p, many)
    for p, many in (
        ("id", False),
        ("appId", False),
        ("displayName", False),
        ("servicePrincipalType", False),
        ("accountEnabled", False),
        ("appOwnerOrganizationId", False),
        ("servicePrincipalNames", True),
        ("tags", True),
        ("alternativeNames", True),
        ("appDisplayName", False),
        ("description", False),
    )
}


def _sign_in_audience(sp: ServicePrincipal, tenant: Tenant) -> str | None:
    if sp.service_principal_type == "ManagedIdentity":
        return None
    return "AzureADMyOrg" if sp.app_owner_organization_id == tenant.tenant_id else "AzureADMultipleOrgs"


def _none(sp: ServicePrincipal, tenant: Tenant) -> None:
    return None


def _empty(sp: ServicePrincipal, tenant: Tenant) -> list:
    return []


# A service principal's properties as Graph v1.0 returns them, in Graph's order: each one computed on its own, so
# that a listing with $select computes only what it returns.
_SP_JSON: dict[str, Callable[[ServicePrincipal, Tenant], Any]] = {
    "id": lambda sp, t: sp.id,
    "deletedDateTime": _none,
    "accountEnabled": lambda sp, t: sp.account_enabled,
    "alternativeNames": lambda sp, t: list(sp.alternative_names),
    "appDisplayName": lambda sp, t: None if sp.service_principal_type == "ManagedIdentity" else sp.display_name,
    "appDescription": _none,
    "appId": lambda sp, t: sp.app_id,
    "applicationTemplateId": _none,
    "appOwnerOrganizationId": lambda sp, t: sp.app_owner_organization_id,
    "appRoleAssignmentRequired": lambda sp, t: False,
    "description": _none,
    "disabledByMicrosoftStatus": _none,
    "displayName": lambda sp, t: sp.display_name,
    "homepage": _none,
    "loginUrl": _none,
    "logoutUrl": _none,
    "notes": _none,
    "notificationEmailAddresses": _empty,
    "preferredSingleSignOnMode": _none,
    "preferredTokenSigningKeyThumbprint": _none,
    "replyUrls": _empty,
    "servicePrincipalNames": lambda sp, t: list(sp.service_principal_names),
    "servicePrincipalType": lambda sp, t: sp.service_principal_type,
    "signInAudience": _sign_in_audience,
    "tags": lambda sp, t: list(sp.tags),
    "tokenEncryptionKeyId": _none,
    "samlSingleSignOnSettings": _none,
    "addIns": _empty,
    "appRoles": lambda sp, t: [dict(r) for r in sp.app_roles],
    "info": lambda sp, t: {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    },
    "keyCredentials": _empty,
    "oauth2PermissionScopes": _empty,
    "passwordCredentials": _empty,
    "resourceSpecificApplicationPermissions": _empty,
    "verifiedPublisher": lambda sp, t: {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
}


def sp_json(sp: ServicePrincipal, tenant: Tenant) -> dict[str, Any]:
    """A service principal as Graph v1.0 returns it (full property set, defaults where the tenant has none)."""
    return {name: get(sp, tenant) for name, get in _SP_JSON.items()}


def sp_json_selected(sp: ServicePrincipal, tenant: Tenant, select: list[str] | None) -> dict[str, Any]:
    """``select_fields(sp_json(sp, tenant), select)``, computing only the selected properties."""
    if select is None:
        return sp_json(sp, tenant)
    return {name: _SP_JSON[name](sp, tenant) for name in select if name in _SP_JSON}


def user_json(user: User) -> dict[str, Any]:
    given, _, surname = user.display_name.partition(" ")
    return {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": given or None,
        "jobTitle": None,
        "mail": user.user_principal_name,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": surname or None,
        "userPrincipalName": user.user_principal_name,
    }


def assignment_json(grant: AppRoleAssignment, tenant: Tenant) -> dict[str, Any]:
    principal_name, principal_type, resource_name = _assignment_parties(grant, tenant)
    return {
        "id": grant.id,
        "deletedDateTime": None,
        "appRoleId": grant.app_role_id,
        "createdDateTime": grant.created_date_time or None,
        "principalDisplayName": principal_name,
        "principalId": grant.principal_id,
        "principalType": principal_type,
        "resourceDisplayName": resource_name,
        "resourceId": grant.resource_id,
    }


def assignment_text(grant: AppRoleAssignment, tenant: Tenant) -> str:
    """The JSON text of :func:`assignment_json` (what a listing caches per grant, see :func:`grant_texts`)."""
    return dumps(assignment_json(grant, tenant))


def _assignment_parties(grant: AppRoleAssignment, tenant: Tenant) -> tuple[str | None, str, str | None]:
    """(principalDisplayName, principalType, resourceDisplayName): what a grant's text holds of other objects."""
    principal = tenant.principal(grant.principal_id)
    resource = tenant.service_principals.get(grant.resource_id)
    return (
        principal.display_name if principal else None,
        "User" if isinstance(principal, User) else "ServicePrincipal",
        resource.display_name if resource else None,
    )


def _assignment_key(grant: AppRoleAssignment, tenant: Tenant) -> tuple:
    return (*_GRANT_FIELDS(grant), *_assignment_parties(grant, tenant))


_GRANT_FIELDS = operator.attrgetter(*(f.name for f in fields(AppRoleAssignment)))  # all strings
_grant_texts: weakref.WeakKeyDictionary[Tenant, TextCache[AppRoleAssignment, str]] = weakref.WeakKeyDictionary()


def grant_texts(tenant: Tenant) -> TextCache[AppRoleAssignment, str]:
    """The tenant's app role assignments as JSON text, kept while each one (and the names it shows) is unchanged."""
    cache = _grant_texts.get(tenant)
    if cache is None:
        cache = _grant_texts[tenant] = TextCache(
            lambda g: assignment_text(g, tenant),
            lambda g: _assignment_key(g, tenant),
            lambda: len(tenant.app_role_assignments),
        )
    return cache


# --- groups, directory roles (api-reference/v1.0/resources/group.md, unifiedroleassignment.md, directoryrole.md) ---
GROUP_PROPERTIES = [
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "creationOptions",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "theme",
    "visibility",
    "onPremisesProvisioningErrors",
    "serviceProvisioningErrors",
]
_GROUP_EMPTY_LISTS = {
    "creationOptions",
    "proxyAddresses",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "onPremisesProvisioningErrors",
    "serviceProvisioningErrors",
}


def _security_identifier(object_id: str) -> str:
    """Entra's SID of a cloud object: S-1-12-1- and the object id's four little-endian 32-bit words."""
    raw = uuid.UUID(object_id).bytes_le
    return "S-1-12-1-" + "-".join(str(int.from_bytes(raw[i : i + 4], "little")) for i in range(0, 16, 4))


def group_json(group: Group) -> dict[str, Any]:
    known = {
        "id": group.id,
        "createdDateTime": group.created_date_time or None,
        "description": group.description,
        "displayName": group.display_name,
        "groupTypes": list(group.group_types),
        "isAssignableToRole": True if group.is_assignable_to_role else None,
        "mailEnabled": group.mail_enabled,
        "mailNickname": group.mail_nickname,
        "renewedDateTime": group.created_date_time or None,
        "securityEnabled": group.security_enabled,
        "securityIdentifier": _security_identifier(group.id),
    }
    return {k: known.get(k, [] if k in _GROUP_EMPTY_LISTS else None) for k in GROUP_PROPERTIES}


ROLE_DEFINITION_PROPERTIES = [
    "id",
    "description",
    "displayName",
    "isBuiltIn",
    "isEnabled",
    "isPrivileged",
    "resourceScopes",
    "templateId",
    "version",
    "rolePermissions",
    "inheritsPermissionsFrom",
]
ROLE_ASSIGNMENT_PROPERTIES = ["id", "principalId", "resourceScope", "directoryScopeId", "roleDefinitionId"]


def role_definition_json(role: dict) -> dict[str, Any]:
    """A built-in unifiedRoleDefinition (the catalog's dict, copied)."""
    out = {k: role[k] for k in ROLE_DEFINITION_PROPERTIES if k in role}
    out["rolePermissions"] = [dict(p) for p in role.get("rolePermissions", [])]
    if "inheritsPermissionsFrom" in role:
        out["inheritsPermissionsFrom"] = [dict(r) for r in role["inheritsPermissionsFrom"]]
    return out


def role_assignment_json(assignment: DirectoryRoleAssignment) -> dict[str, Any]:
    """A unifiedRoleAssignment as api-reference/v1.0/api/rbacapplication-list-roleassignments.md shows it."""
    return {
        "id": assignment.id,
        "principalId": assignment.principal_id,
        "resourceScope": assignment.directory_scope_id,
        "directoryScopeId": assignment.directory_scope_id,
        "roleDefinitionId": assignment.role_definition_id,
    }


def directory_role_json(role: dict, tenant: Tenant) -> dict[str, Any]:
    """The activated directoryRole of a built-in role in ``tenant`` (its id is the tenant's, not the template's)."""
    return {
        "id": new_guid(f"{tenant.tenant_id}:directoryRole:{role['templateId']}"),
        "deletedDateTime": None,
        "description": role.get("description"),
        "displayName": role.get("displayName"),
        "roleTemplateId": role["templateId"],
    }


def directory_object_json(obj: User | ServicePrincipal | Group, tenant: Tenant) -> dict[str, Any]:
    """A member or group as a directoryObject collection item: ``@odata.type`` first."""
    if isinstance(obj, Group):
        return {"@odata.type": "#microsoft.graph.group", **group_json(obj)}
    if isinstance(obj, User):
        return {"@odata.type": "#microsoft.graph.user", **user_json(obj)}
    return {"@odata.type": "#microsoft.graph.servicePrincipal", **sp_json(obj, tenant)}
