"""Tenants described in a JSON file, for ``mitui emulator --tenant FILE``. Things refer to each other by name, so
a fixture can be written by hand. Everything is built through :class:`~tui.emulator.builder.TenantBuilder`;
ids are derived from ``tenant.seed`` (default: the file's tenant name), so a fixture always loads the same.

Format (every key but ``subscriptions`` is optional)::

    {
      "tenant": {"id": "<guid>", "domain": "contoso.onmicrosoft.com", "seed": "any text"},
      "users": [{"displayName": "Alex Admin", "userPrincipalName": "alex@contoso.onmicrosoft.com",
                 "directoryRoles": ["Privileged Role Administrator"], "admin": true}],
      "applications": [{"displayName": "Contoso HR API", "appId": "<guid>",
                        "appRoles": [{"value": "Employees.Read.All", "displayName": "...", "description": "...",
                                      "allowedMemberTypes": ["Application"], "id": "<guid>"}]}],
      "subscriptions": [{
        "displayName": "Contoso Production", "id": "<guid>", "tags": {"env": "prod"},
        "resourceGroups": [{
          "name": "rg-web", "location": "westeurope", "tags": {},
          "userAssignedIdentities": [{"name": "id-web", "tags": {},
              "federatedCredentials": [{"name": "gh-main", "issuer": "https://token.actions.githubusercontent.com",
                                        "subject": "repo:contoso/web:ref:refs/heads/main"}]}],
          "resources": [{"name": "func-web", "type": "Microsoft.Web/sites", "kind": "functionapp",
                         "location": "westeurope", "tags": {}, "properties": {}, "sku": {},
                         "systemAssignedIdentity": true, "userAssignedIdentities": ["id-web"],
                         "children": [{"type": "runbooks", "name": "Rotate-Keys", "properties": {}}]}]
        }]
      }],
      "customRoles": [{"roleName": "Runbook Operator", "description": "...", "actions": ["..."],
                       "notActions": [], "dataActions": [], "notDataActions": [],
                       "assignableScopes": ["Contoso Production"]}],
      "roleAssignments": [{"principal": "func-web", "role": "Reader", "scope": "Contoso Production/rg-web",
                           "description": "..."}],
      "appRoleGrants": [{"principal": "id-web", "resource": "Microsoft Graph", "appRole": "User.Read.All"}],
      "groups": [{"displayName": "sg-web-owners", "description": "...", "isAssignableToRole": true,
                  "members": ["id-web", "Alex Admin"]}],
      "directoryRoleAssignments": [{"principal": "id-web", "role": "Directory Readers"},
                                   {"principal": {"group": "sg-web-owners"}, "role": "Global Reader"}],
      "deletedResources": ["Contoso Production/rg-web/func-web"]
    }

References:

* a **principal** is a user (display name or user principal name), an application (display name or appId), a
  user-assigned identity (its name), a resource with a system-assigned identity (its name), a group (its display
  name; groups are built before role assignments and directory roles), or an object id
  (a GUID; it need not exist — that writes an orphaned role assignment). When a name is ambiguous, use the
  object form ``{"user" | "application" | "identity" | "resource": name}`` (``identity``/``resource`` also
  accept ``"Subscription/group/name"``) or ``{"objectId": guid}``;
* a **scope** is ``"/"``, a subscription display name, ``"Subscription/group"``, ``"Subscription/group/resource"``,
  an ARM id (``/subscriptions/...``), or the object form ``{"subscription", "resourceGroup", "resource"}`` (for
  names that contain ``/``);
* a **user-assigned identity** attached to a resource: its name, ``"group/name"``, ``"Subscription/group/name"``
  or its ARM id;
* a **resource app** (``appRoleGrants[].resource``): "Microsoft Graph", an application's display name, or an
  appId.

``deletedResources`` are deleted after everything else is built: their system-assigned identities disappear and
their role assignments stay behind, orphaned.

Every error is a ``ValueError`` whose message starts with the JSON path of the offending value, e.g.
``$.subscriptions[0].resourceGroups[1].resources[2].type: expected "Provider/type", got "web"``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

from tui.emulator.builder import TenantBuilder
from tui.emulator.ids import is_guid
from tui.emulator.tenant import (
    Group,
    Resource,
    ResourceGroup,
    ServicePrincipal,
    Subscription,
    Tenant,
    User,
    remove_resources,
)


class FixtureError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


def load_tenant_file(path: str | os.PathLike) -> Tenant:
    """Read and build the tenant a JSON fixture file describes (``ValueError`` with the JSON path on errors)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise ValueError(f"cannot read tenant file {os.fspath(path)!r}: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"tenant file {os.fspath(path)!r} is not valid JSON: {e}") from e
    return build_tenant_from_dict(data)


def build_tenant_from_dict(data: Any) -> Tenant:
    """Build the tenant a parsed fixture describes (see the module docstring for the format)."""
    return _Loader(data).load()


# --- typed access with JSON paths ------------------------------------------------------------------------------------
def _obj(value: Any, path: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise FixtureError(path, f"expected an object, got {_kind(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise FixtureError(f"{path}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _str(obj: dict, key: str, path: str, *, required: bool = True, default: str | None = None) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise FixtureError(f"{path}.{key}", "required")
        return default
    if not isinstance(value, str) or (required and not value):
        raise FixtureError(f"{path}.{key}", f"expected a non-empty string, got {_kind(value)}")
    return value


def _list(obj: dict, key: str, path: str) -> list:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise FixtureError(f"{path}.{key}", f"expected an array, got {_kind(value)}")
    return value


def _str_list(obj: dict, key: str, path: str) -> list[str]:
    items = _list(obj, key, path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise FixtureError(f"{path}.{key}[{i}]", f"expected a string, got {_kind(item)}")
    return items


def _tags(obj: dict, path: str) -> dict[str, str]:
    value = obj.get("tags", {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise FixtureError(f"{path}.tags", "expected an object of strings")
    return dict(value)


def _dict(obj: dict, key: str, path: str) -> dict | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, dict):
        raise FixtureError(f"{path}.{key}", f"expected an object, got {_kind(value)}")
    return value


def _bool(obj: dict, key: str, path: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise FixtureError(f"{path}.{key}", f"expected true or false, got {_kind(value)}")
    return value


def _guid(obj: dict, key: str, path: str) -> str | None:
    value = _str(obj, key, path, required=False)
    if value is not None and not is_guid(value):
        raise FixtureError(f"{path}.{key}", f"expected a GUID, got {value!r}")
    return value.lower() if value else None


@contextlib.contextmanager
def _at(path: str) -> Iterator[None]:
    """Report the builder's refusals (ValueError) at ``path``."""
    try:
        yield
    except FixtureError:
        raise
    except ValueError as e:
        raise FixtureError(path, str(e)) from None


class _Loader:
    TOP = {
        "tenant",
        "users",
        "applications",
        "subscriptions",
        "customRoles",
        "roleAssignments",
        "appRoleGrants",
        "groups",
        "directoryRoleAssignments",
        "deletedResources",
        "$schema",
        "description",
    }

    def __init__(self, data: Any):
        self.data = _obj(data, "$", self.TOP)
        self.subs: dict[str, Subscription] = {}
        self.groups: dict[tuple[str, str], ResourceGroup] = {}  # (sub name, group name lower)
        self.resources: list[tuple[str, str, Resource]] = []  # (sub name, group name, resource)
        self.apps: dict[str, ServicePrincipal] = {}

    def load(self) -> Tenant:
        tenant_info = _obj(self.data.get("tenant", {}), "$.tenant", {"id", "domain", "seed", "displayName"})
        seed = _str(tenant_info, "seed", "$.tenant", required=False) or _str(
            tenant_info, "domain", "$.tenant", required=False, default="fixture"
        )
        b = TenantBuilder(
            _guid(tenant_info, "id", "$.tenant"),
            seed=seed,
            default_domain=_str(tenant_info, "domain", "$.tenant", required=False, default="contoso.onmicrosoft.com")
            or "contoso.onmicrosoft.com",
        )
        self.b = b
        self._users()
        self._applications()
        self._subscriptions()
        self._custom_roles()
        self._entra_groups()
        self._directory_roles()
        self._role_assignments()
        self._grants()
        deleted = []
        for i, ref in enumerate(_list(self.data, "deletedResources", "$")):
            deleted.append(self._resource_ref(ref, f"$.deletedResources[{i}]").id)
        remove_resources(b.tenant, deleted)
        return b.build()

    # --- sections ---
    def _users(self) -> None:
        for i, raw in enumerate(_list(self.data, "users", "$")):
            path = f"$.users[{i}]"
            u = _obj(raw, path, {"displayName", "userPrincipalName", "directoryRoles", "admin"})
            name = _str(u, "displayName", path)
            upn = _str(u, "userPrincipalName", path, required=False)
            roles = _str_list(u, "directoryRoles", path)
            admin = _bool(u, "admin", path)
            with _at(path):
                self.b.add_user(name, upn, directory_roles=roles, admin=admin)

    def _applications(self) -> None:
        for i, raw in enumerate(_list(self.data, "applications", "$")):
            path = f"$.applications[{i}]"
            a = _obj(raw, path, {"displayName", "appId", "appRoles", "identifierUri"})
            name = _str(a, "displayName", path)
            roles = []
            for j, role in enumerate(_list(a, "appRoles", path)):
                rpath = f"{path}.appRoles[{j}]"
                r = _obj(role, rpath, {"value", "displayName", "description", "allowedMemberTypes", "id"})
                item: dict[str, Any] = {"value": _str(r, "value", rpath)}
                for key in ("displayName", "description"):
                    if key in r:
                        item[key] = _str(r, key, rpath, required=False)
                if "allowedMemberTypes" in r:
                    types = _str_list(r, "allowedMemberTypes", rpath)
                    if not types or set(types) - {"User", "Application"}:
                        raise FixtureError(f"{rpath}.allowedMemberTypes", 'expected "User" and/or "Application"')
                    item["allowedMemberTypes"] = types
                if "id" in r:
                    item["id"] = _guid(r, "id", rpath)
                roles.append(item)
            app_id = _guid(a, "appId", path)
            uri = _str(a, "identifierUri", path, required=False)
            with _at(path):
                sp = self.b.add_application(name, roles, app_id=app_id, identifier_uri=uri)
            self.apps[name.lower()] = sp

    def _subscriptions(self) -> None:
        subs = self.data.get("subscriptions")
        if not isinstance(subs, list):
            raise FixtureError("$.subscriptions", f"required: an array of subscriptions, got {_kind(subs)}")
        for i, raw in enumerate(subs):
            path = f"$.subscriptions[{i}]"
            s = _obj(raw, path, {"displayName", "id", "tags", "state", "resourceGroups"})
            name = _str(s, "displayName", path)
            if name.lower() in self.subs:
                raise FixtureError(f"{path}.displayName", f"duplicate subscription name {name!r}")
            state = _str(s, "state", path, required=False, default="Enabled")
            sid, tags = _guid(s, "id", path), _tags(s, path)
            with _at(path):
                sub = self.b.add_subscription(name, subscription_id=sid, tags=tags, state=state)
            self.subs[name.lower()] = sub
            for j, g in enumerate(_list(s, "resourceGroups", path)):
                self._group(sub, name, g, f"{path}.resourceGroups[{j}]")

    def _group(self, sub: Subscription, sub_name: str, raw: Any, path: str) -> None:
        g = _obj(raw, path, {"name", "location", "tags", "userAssignedIdentities", "resources"})
        name = _str(g, "name", path)
        location = _str(g, "location", path, required=False, default="westeurope")
        tags = _tags(g, path)
        with _at(path):
            group = self.b.add_resource_group(sub, name, location, tags=tags)
        self.groups[(sub_name.lower(), name.lower())] = group
        for k, raw_id in enumerate(_list(g, "userAssignedIdentities", path)):
            ipath = f"{path}.userAssignedIdentities[{k}]"
            ident = _obj(raw_id, ipath, {"name", "location", "tags", "federatedCredentials"})
            iname = _str(ident, "name", ipath)
            iloc = _str(ident, "location", ipath, required=False)
            itags = _tags(ident, ipath)
            with _at(ipath):
                uami = self.b.add_user_assigned_identity(group, iname, location=iloc, tags=itags)
            self.resources.append((sub_name, name, uami))
            for m, raw_fic in enumerate(_list(ident, "federatedCredentials", ipath)):
                fpath = f"{ipath}.federatedCredentials[{m}]"
                fic = _obj(raw_fic, fpath, {"name", "issuer", "subject", "audiences"})
                args = (_str(fic, "name", fpath), _str(fic, "issuer", fpath), _str(fic, "subject", fpath))
                audiences = _str_list(fic, "audiences", fpath) or ["api://AzureADTokenExchange"]
                with _at(fpath):
                    self.b.add_federated_credential(uami, *args, audiences=audiences)
        for k, raw_res in enumerate(_list(g, "resources", path)):
            self._resource(group, sub_name, raw_res, f"{path}.resources[{k}]")

    def _resource(
        self, group: ResourceGroup, sub_name: str, raw: Any, path: str, parent: Resource | None = None
    ) -> None:
        keys = {
            "name",
            "type",
            "kind",
            "location",
            "tags",
            "properties",
            "sku",
            "systemAssignedIdentity",
            "userAssignedIdentities",
            "children",
        }
        r = _obj(raw, path, keys)
        name, rtype = _str(r, "name", path), _str(r, "type", path)
        if parent is not None and "/" not in rtype:
            rtype = f"{parent.type}/{rtype}"
        elif parent is None and rtype.count("/") != 1:
            raise FixtureError(f"{path}.type", f'expected "Provider/type", got {rtype!r}')
        uamis = [
            self._uami_ref(ref, f"{path}.userAssignedIdentities[{n}]", sub_name, group.name)
            for n, ref in enumerate(_str_list(r, "userAssignedIdentities", path))
        ]
        with _at(path):
            res = self.b.add_resource(
                group,
                rtype,
                name,
                kind=_str(r, "kind", path, required=False),
                location=_str(r, "location", path, required=False),
                tags=_tags(r, path),
                properties=_dict(r, "properties", path),
                sku=_dict(r, "sku", path),
                system_identity=_bool(r, "systemAssignedIdentity", path),
                user_identities=uamis,
                parent=parent,
            )
        self.resources.append((sub_name, group.name, res))
        for n, child in enumerate(_list(r, "children", path)):
            self._resource(group, sub_name, child, f"{path}.children[{n}]", parent=res)

    def _custom_roles(self) -> None:
        for i, raw in enumerate(_list(self.data, "customRoles", "$")):
            path = f"$.customRoles[{i}]"
            keys = {
                "roleName",
                "description",
                "actions",
                "notActions",
                "dataActions",
                "notDataActions",
                "assignableScopes",
                "id",
            }
            c = _obj(raw, path, keys)
            scopes = [
                self._scope(s, f"{path}.assignableScopes[{n}]")
                for n, s in enumerate(_list(c, "assignableScopes", path))
            ]
            name, desc = _str(c, "roleName", path), _str(c, "description", path, required=False, default="") or ""
            lists = {k: _str_list(c, k, path) for k in ("actions", "notActions", "dataActions", "notDataActions")}
            rid = _guid(c, "id", path)
            with _at(path):
                self.b.add_custom_role(
                    name,
                    desc,
                    lists["actions"],
                    not_actions=lists["notActions"],
                    data_actions=lists["dataActions"],
                    not_data_actions=lists["notDataActions"],
                    assignable_scopes=scopes,
                    role_id=rid,
                )

    def _role_assignments(self) -> None:
        for i, raw in enumerate(_list(self.data, "roleAssignments", "$")):
            path = f"$.roleAssignments[{i}]"
            a = _obj(raw, path, {"principal", "role", "scope", "description", "principalType", "condition"})
            principal = self._principal(a.get("principal"), f"{path}.principal")
            role = _str(a, "role", path)
            scope = self._scope(a.get("scope"), f"{path}.scope")
            desc = _str(a, "description", path, required=False)
            ptype = _str(a, "principalType", path, required=False)
            condition = _str(a, "condition", path, required=False)
            with _at(path):
                self.b.assign_role(principal, role, scope, description=desc, principal_type=ptype, condition=condition)

    def _entra_groups(self) -> None:
        for i, raw in enumerate(_list(self.data, "groups", "$")):
            path = f"$.groups[{i}]"
            g = _obj(raw, path, {"displayName", "description", "isAssignableToRole", "members"})
            name = _str(g, "displayName", path)
            with _at(path):
                group = self.b.add_group(
                    name,
                    description=_str(g, "description", path, required=False),
                    is_assignable_to_role=_bool(g, "isAssignableToRole", path),
                )
            for j, ref in enumerate(_list(g, "members", path)):
                member = self._principal(ref, f"{path}.members[{j}]")
                with _at(f"{path}.members[{j}]"):
                    self.b.add_group_member(group, member)

    def _directory_roles(self) -> None:
        for i, raw in enumerate(_list(self.data, "directoryRoleAssignments", "$")):
            path = f"$.directoryRoleAssignments[{i}]"
            a = _obj(raw, path, {"principal", "role"})
            principal = self._principal(a.get("principal"), f"{path}.principal")
            with _at(path):
                self.b.assign_directory_role(principal, _str(a, "role", path))

    def _grants(self) -> None:
        for i, raw in enumerate(_list(self.data, "appRoleGrants", "$")):
            path = f"$.appRoleGrants[{i}]"
            g = _obj(raw, path, {"principal", "resource", "appRole"})
            principal = self._principal(g.get("principal"), f"{path}.principal")
            if isinstance(principal, str):
                raise FixtureError(f"{path}.principal", "an app role grant needs an existing principal")
            resource = self._resource_app(_str(g, "resource", path), f"{path}.resource")
            role = _str(g, "appRole", path)
            with _at(path):
                self.b.grant_app_role(principal, resource, role)

    # --- references ---
    def _resource_app(self, ref: str, path: str) -> ServicePrincipal:
        found = self.apps.get(ref.lower()) or self.b.tenant.service_principal_by_app_id(ref)
        if found is None:
            found = next(
                (
                    sp
                    for sp in self.b.tenant.service_principals.values()
                    if sp.service_principal_type == "Application" and sp.display_name.lower() == ref.lower()
                ),
                None,
            )
        if found is None:
            raise FixtureError(path, f"no resource app named {ref!r}")
        return found

    def _principal(self, ref: Any, path: str) -> User | ServicePrincipal | Resource | Group | str:
        if isinstance(ref, dict):
            o = _obj(ref, path, {"user", "application", "identity", "resource", "group", "objectId"})
            if len(o) != 1:
                raise FixtureError(
                    path, "expected exactly one of user, application, identity, resource, group, objectId"
                )
            kind, value = next(iter(o.items()))
            if not isinstance(value, str) or not value:
                raise FixtureError(f"{path}.{kind}", f"expected a non-empty string, got {_kind(value)}")
            candidates = self._principal_candidates(value, {kind})
            if kind == "objectId":
                if not is_guid(value):
                    raise FixtureError(f"{path}.objectId", f"expected a GUID, got {value!r}")
                return value.lower()
        elif isinstance(ref, str) and ref:
            if is_guid(ref):
                return ref.lower()
            candidates = self._principal_candidates(ref, {"user", "application", "identity", "resource", "group"})
        else:
            raise FixtureError(path, f"expected a principal name or object, got {_kind(ref)}")
        if not candidates:
            raise FixtureError(path, f"no user, application or managed identity named {ref!r}")
        if len(candidates) > 1:
            raise FixtureError(path, f"{ref!r} is ambiguous ({len(candidates)} matches): use the object form")
        return candidates[0]

    def _principal_candidates(self, name: str, kinds: set[str]) -> list[Any]:
        low = name.lower()
        out: list[Any] = []
        if "user" in kinds:
            out += [
                u
                for u in self.b.tenant.users.values()
                if low in (u.display_name.lower(), u.user_principal_name.lower())
            ]
        if "application" in kinds:
            out += [sp for key, sp in self.apps.items() if key == low or sp.app_id == low]
        if "group" in kinds:
            out += [g for g in self.b.tenant.groups.values() if g.display_name.lower() == low]
        for sub_name, group_name, res in self.resources:
            full = f"{sub_name}/{group_name}/{res.name}".lower()
            if low not in (res.name.lower(), full):
                continue
            if "identity" in kinds and res.is_user_assigned_identity:
                out.append(res)
            if "resource" in kinds and res.system_principal_id:
                out.append(res)
        return out

    def _uami_ref(self, ref: str, path: str, sub_name: str, group_name: str) -> Resource:
        if ref.startswith("/"):
            found = self.b.tenant.resource(ref)
            if found is None or not found.is_user_assigned_identity:
                raise FixtureError(path, f"no user-assigned identity {ref!r}")
            return found
        parts = ref.split("/")
        if len(parts) == 1:
            parts = [sub_name, group_name, parts[0]]
        elif len(parts) == 2:
            parts = [sub_name, *parts]
        elif len(parts) != 3:
            raise FixtureError(path, f"expected a name, group/name, Subscription/group/name or an ARM id: {ref!r}")
        matches = [
            r
            for s, g, r in self.resources
            if r.is_user_assigned_identity and (s.lower(), g.lower(), r.name.lower()) == tuple(p.lower() for p in parts)
        ]
        if not matches:
            raise FixtureError(path, f"no user-assigned identity {ref!r} (identities must be declared before use)")
        return matches[0]

    def _resource_ref(self, ref: Any, path: str) -> Resource:
        scope = self._scope(ref, path)
        found = self.b.tenant.resource(scope)
        if found is None:
            raise FixtureError(path, f"{ref!r} is not a resource")
        return found

    def _scope(self, ref: Any, path: str) -> str:
        if isinstance(ref, dict):
            o = _obj(ref, path, {"subscription", "resourceGroup", "resource"})
            parts = [o[k] for k in ("subscription", "resourceGroup", "resource") if k in o]
            if not parts or "subscription" not in o or ("resource" in o and "resourceGroup" not in o):
                raise FixtureError(path, "expected subscription[, resourceGroup[, resource]]")
            if not all(isinstance(p, str) and p for p in parts):
                raise FixtureError(path, "scope parts must be non-empty strings")
        elif isinstance(ref, str) and ref:
            if ref == "/":
                return "/"
            if ref.startswith("/subscriptions/") or ref.startswith("/providers/"):
                return ref
            parts = ref.split("/")
            if len(parts) > 3:
                parts = [parts[0], parts[1], "/".join(parts[2:])]
        else:
            raise FixtureError(path, f"expected a scope, got {_kind(ref)}")
        sub = self.subs.get(parts[0].lower())
        if sub is None:
            raise FixtureError(path, f"no subscription named {parts[0]!r}")
        if len(parts) == 1:
            return f"/subscriptions/{sub.subscription_id}"
        group = self.groups.get((parts[0].lower(), parts[1].lower()))
        if group is None:
            raise FixtureError(path, f"no resource group {parts[1]!r} in {parts[0]!r}")
        if len(parts) == 2:
            return group.id
        matches = [
            r
            for s, g, r in self.resources
            if s.lower() == parts[0].lower() and g.lower() == group.name.lower() and r.name.lower() == parts[2].lower()
        ]
        if not matches:
            raise FixtureError(path, f"no resource {parts[2]!r} in {parts[0]}/{parts[1]}")
        return matches[0].id
