"""Wire JSON -> domain models: one converter per model, for ARM's and Graph's JSON as they send it.

The listings convert tens of thousands of items per load (in the CPU worker thread, page by page): each converter
reads each field once, with no SDK model in between. Whatever a field holds, the models get text (untrusted: the
UI renders it as plain text)."""

from __future__ import annotations

from sys import intern
from typing import Any

from tui.services.backend import ArmResource, DirectoryIdentity, DirectoryObject
from tui.services.directory_roles import definition_from_graph
from tui.services.models import (
    AppRole,
    AppRoleAssignment,
    DirectoryRoleAssignment,
    DirectoryRoleDefinition,
    FederatedCredential,
    Group,
    Privilege,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Subscription,
)
from tui.services.scopes import scope_level


def _s(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)  # noqa: E721 - exact str: fast path


def _tags(tags: Any) -> tuple[tuple[str, str], ...]:
    if not tags:
        return ()
    items = tags.items() if isinstance(tags, dict) else dict(tags).items()
    out = [(k if type(k) is str else str(k), v if type(v) is str else _s(v)) for k, v in items]  # noqa: E721
    if len(out) > 1:
        out.sort()
    return tuple(out)


def _properties(item: dict) -> dict:
    props = item.get("properties")
    return props if isinstance(props, dict) else {}


# --- ARM ---------------------------------------------------------------------------------------------------------


def subscription(s: dict) -> Subscription:
    return Subscription(
        id=_s(s.get("subscriptionId")),
        display_name=_s(s.get("displayName")),
        state=_s(s.get("state")) or "Enabled",
        tenant_id=_s(s.get("tenantId")) or None,
    )


def resource(r: dict) -> ArmResource:
    """A resource, with its identity block; a user-assigned identity also with its own principal and client id."""
    ident = r.get("identity")
    system_pid = None
    users: dict[str, tuple[str | None, str | None]] = {}
    if isinstance(ident, dict):
        kind = _s(ident.get("type")).lower().replace(" ", "")
        if "systemassigned" in kind or ident.get("principalId"):
            system_pid = _s(ident.get("principalId")) or None
        for uid, v in (ident.get("userAssignedIdentities") or {}).items():
            v = v if isinstance(v, dict) else {}
            users[str(uid)] = (_s(v.get("principalId")) or None, _s(v.get("clientId")) or None)
    props = r.get("properties")
    pid = cid = None
    if isinstance(props, dict):
        pid, cid = props.get("principalId"), props.get("clientId")
    return ArmResource(
        id=_s(r.get("id")),
        name=_s(r.get("name")),
        type=_s(r.get("type")),
        location=_s(r.get("location")) or None,
        tags=_tags(r.get("tags")),
        system_principal_id=system_pid,
        user_assigned=users,
        principal_id=pid,
        client_id=cid,
    )


def scope_item(g: dict) -> tuple[str, str, ScopeLevel]:
    """A management group as ARM lists it: (its id, its display name, its level)."""
    gid = _s(g.get("id"))
    return gid, _s(_properties(g).get("displayName")) or _s(g.get("name")), scope_level(gid)


def descendant(d: dict) -> tuple[str, str, ScopeLevel, str]:
    """A management group's descendant (a group or a subscription): (id, display name, level, its parent's id)."""
    parent = _properties(d).get("parent")
    return (*scope_item(d), _s(parent.get("id")) if isinstance(parent, dict) else "")


def role_assignment(ra: dict) -> RoleAssignment:
    """An assignment as ARM sends it: its role name and privilege come later (from the definitions)."""
    props = ra.get("properties")
    get = props.get if isinstance(props, dict) else {}.get
    scope = _s(get("scope"))
    return RoleAssignment(
        id=_s(ra.get("id")),
        scope=scope,
        role_definition_id=_s(get("roleDefinitionId")),
        principal_id=_s(get("principalId")),
        principal_type=_s(get("principalType") or "ServicePrincipal"),
        scope_level=scope_level(scope),
        created_on=_s(get("createdOn")) or None,  # as ARM sends it (ISO 8601)
        condition=_s(get("condition")) or None,
        condition_version=_s(get("conditionVersion")) or None,
        description=_s(get("description")) or None,
        created_by=_s(get("createdBy")) or None,  # an object id (its name: getByIds)
    )


def role_definition(rd: dict) -> RoleDefinition:
    """A role definition, its permissions flattened (its privilege is classified by the service layer)."""
    props = _properties(rd)
    perms = [p for p in props.get("permissions") or [] if isinstance(p, dict)]
    return RoleDefinition(
        id=_s(rd.get("id")),
        name=_s(rd.get("name")),
        role_name=_s(props.get("roleName")),
        description=_s(props.get("description")),
        role_type=_s(props.get("type")) or "BuiltInRole",
        actions=tuple(a for p in perms for a in (p.get("actions") or [])),
        not_actions=tuple(a for p in perms for a in (p.get("notActions") or [])),
        data_actions=tuple(a for p in perms for a in (p.get("dataActions") or [])),
        not_data_actions=tuple(a for p in perms for a in (p.get("notDataActions") or [])),
        assignable_scopes=tuple(props.get("assignableScopes") or ()),
        conditional=any(p.get("condition") for p in perms),
    )


def federated_credential(f: dict) -> FederatedCredential:
    props = _properties(f)
    return FederatedCredential(
        name=_s(f.get("name")),
        issuer=_s(props.get("issuer")),
        subject=_s(props.get("subject")),
        audiences=tuple(_s(a) for a in props.get("audiences") or ()),
    )


# --- Graph -------------------------------------------------------------------------------------------------------


def directory_identity(sp: dict) -> DirectoryIdentity:
    """A managed identity's service principal: ``alternativeNames`` carry its ARM id and ``isExplicit=True``
    (user-assigned)."""
    explicit, resource_id = False, ""
    for n in sp.get("alternativeNames") or ():
        n = n if type(n) is str else str(n)  # noqa: E721 - exact str: fast path
        if not resource_id and n[:1] == "/":
            resource_id = n
        elif not explicit and len(n) == 15 and n.lower() == "isexplicit=true":
            explicit = True
    return DirectoryIdentity(
        principal_id=_s(sp.get("id")),
        client_id=_s(sp.get("appId")),
        display_name=_s(sp.get("displayName")),
        resource_id=resource_id,
        user_assigned=explicit,
    )


def resource_app(sp: dict) -> ResourceApp:
    """A service principal with the app roles it exposes (their privilege is classified by the service layer)."""
    roles = tuple(
        AppRole(
            id=_s(r.get("id")),
            value=_s(r.get("value")),
            display_name=_s(r.get("displayName")),
            description=_s(r.get("description")),
            allowed_member_types=tuple(str(t) for t in (r.get("allowedMemberTypes") or ())),
            is_enabled=r.get("isEnabled") is not False,
        )
        for r in (sp.get("appRoles") or [])
        if isinstance(r, dict)
    )
    return ResourceApp(
        id=_s(sp.get("id")), app_id=_s(sp.get("appId")), display_name=_s(sp.get("displayName")), app_roles=roles
    )


def app_role_grant(g: dict) -> AppRoleAssignment:
    """An app role assignment as Graph sends it: the role's value and privilege come later (from the app)."""
    get = g.get
    # (by position, the model's field order: made by the ten thousand. The identity's own principal id and name,
    # and a few resource apps and their roles, are named by every grant: one string each, not one per grant)
    return AppRoleAssignment(
        _s(get("id")),
        intern(_s(get("principalId"))),
        intern(_s(get("resourceId"))),
        intern(_s(get("appRoleId"))),
        intern(_s(get("principalDisplayName"))),
        intern(_s(get("resourceDisplayName"))),
        "",  # resource_app_id
        "",  # app_role_value
        "",  # app_role_description
        Privilege.NORMAL,
        _s(get("createdDateTime")) or None,
    )


def _kind(item: dict) -> str:
    """A directory object's type from its ``@odata.type`` ("#microsoft.graph.group" -> "group"); "" when absent."""
    return _s(item.get("@odata.type")).rsplit(".", 1)[-1]


def directory_object(o: dict) -> DirectoryObject:
    """A directory object as getByIds (or an expanded ``principal``) sends it."""
    return DirectoryObject(
        id=_s(o.get("id")),
        kind=_kind(o),
        display_name=_s(o.get("displayName")),
        security_enabled=o.get("securityEnabled") is True,
        is_assignable_to_role=o.get("isAssignableToRole") is True,
        account_enabled=o.get("accountEnabled") is not False,
    )


def group(g: dict) -> Group:
    """A group (its @odata.type, if any, is not checked)."""
    return Group(
        id=_s(g.get("id")),
        display_name=_s(g.get("displayName")),
        security_enabled=g.get("securityEnabled") is True,
        is_assignable_to_role=g.get("isAssignableToRole") is True,
    )


def directory_role_definition(rd: dict) -> DirectoryRoleDefinition:
    """An Entra role definition (unifiedRoleDefinition), unclassified."""
    return definition_from_graph(rd)


def directory_role_assignment(a: dict) -> tuple[DirectoryRoleAssignment, DirectoryObject | None]:
    """A unifiedRoleAssignment (its role name and privilege come later, from the definitions), and its expanded
    ``principal`` when sent."""
    principal = a.get("principal")
    assignment = DirectoryRoleAssignment(
        id=_s(a.get("id")),
        principal_id=_s(a.get("principalId")),
        role_definition_id=_s(a.get("roleDefinitionId")),
        directory_scope_id=_s(a.get("directoryScopeId")) or "/",
    )
    return assignment, directory_object(principal) if isinstance(principal, dict) else None
