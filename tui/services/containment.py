"""Containment (issue #14): every right an identity holds directly, removed in one reviewed plan, and the restore
file that puts them back.

Pure: the Session (tui.services.session) reads what exists and applies; this module builds the plan from what the
inventory knows, writes and reads the restore file, and sums up the outcome item by item.

The restore file is JSON, private (mode 0600), in the state directory next to the audit log. It holds exactly what
recreates each right: for a role assignment its scope, role definition id, principal id, condition and description;
for an app role grant the resource app's service principal id (and appId) and the app role id; for a directory role
its role definition id and directory scope.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.services.errors import InvalidInput
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    right_name,
)
from tui.services.odata import arm_id, guid
from tui.services.plans import Change, Plan, PlanAction, directory_scope_name
from tui.services.privilege import highest

RESTORE_FORMAT = "mitui-restore/1"

KIND_ROLE, KIND_DIRECTORY_ROLE, KIND_APP_ROLE = "Azure role", "directory role", "app role"
KIND_ATTACHMENT = "attached to"


def kind_of(plan: Plan) -> str:
    """What the admin calls the right a plan item is about."""
    if plan.action in (PlanAction.DETACH_USER_IDENTITY, PlanAction.ATTACH_USER_IDENTITY):
        return KIND_ATTACHMENT
    if plan.is_role:
        return KIND_ROLE
    return KIND_DIRECTORY_ROLE if plan.action.is_directory_role else KIND_APP_ROLE


def where_of(plan: Plan) -> str:
    """Where the right applies: the ARM scope, the resource app, or the directory scope."""
    if plan.action.is_directory_role:
        return directory_scope_name(plan.target)
    return plan.target


@dataclass(frozen=True)
class HeldThroughGroup:
    """A right the identity holds through a group: not removable here (it is the group's, for every member)."""

    kind: str
    right_name: str
    where: str
    group_id: str
    group_name: str
    privilege: Privilege

    @property
    def advice(self) -> str:
        return f"not removable here: remove the identity from group {self.group_name or self.group_id}"


@dataclass(frozen=True)
class ContainmentPlan:
    """One reviewed plan: a removal per right held directly, and the rights held through groups (left alone)."""

    identity: ManagedIdentity
    items: tuple[Plan, ...]
    through_groups: tuple[HeldThroughGroup, ...] = ()

    @property
    def privilege(self) -> Privilege:
        return highest(p.privilege for p in self.items)

    @property
    def to_remove(self) -> tuple[Plan, ...]:
        """The items still there (the rest is already gone)."""
        return tuple(p for p in self.items if not p.nothing_to_do)


# --- the rights to remove -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rights:
    """An identity's rights as the inventory knows them, split: held directly (to remove) and through groups."""

    roles: tuple[RoleAssignment, ...] = ()
    directory_roles: tuple[DirectoryRoleAssignment, ...] = ()
    app_roles: tuple[AppRoleAssignment, ...] = ()
    through_groups: tuple[HeldThroughGroup, ...] = ()


def rights_to_contain(inventory: Inventory, identity: ManagedIdentity) -> Rights:
    roles: list[RoleAssignment] = []
    directory: list[DirectoryRoleAssignment] = []
    grants: list[AppRoleAssignment] = []
    groups: list[HeldThroughGroup] = []
    for right in inventory.rights_of(identity):
        if right.via is not None:
            kind = (
                KIND_ROLE
                if isinstance(right, RoleAssignment)
                else KIND_DIRECTORY_ROLE
                if isinstance(right, DirectoryRoleAssignment)
                else KIND_APP_ROLE
            )
            where = (
                right.scope
                if isinstance(right, RoleAssignment)
                else directory_scope_name(right.directory_scope_id)
                if isinstance(right, DirectoryRoleAssignment)
                else right.resource_display_name
            )
            groups.append(
                HeldThroughGroup(
                    kind, right_name(right), where, right.via.group_id, right.via.group_name, right.privilege
                )
            )
        elif isinstance(right, RoleAssignment):
            roles.append(right)
        elif isinstance(right, DirectoryRoleAssignment):
            directory.append(right)
        else:
            grants.append(right)
    return Rights(tuple(roles), tuple(directory), tuple(grants), tuple(groups))


def attached_resources(identity: ManagedIdentity) -> list[str]:
    """The resources a user-assigned identity is attached to (as the inventory knows them; not itself)."""
    if identity.kind is not IdentityKind.USER:
        return []
    own = identity.resource_id.lower()
    return [rid for rid in identity.used_by if rid.lower() != own]


# --- the restore file -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreRole:
    scope: str
    role_definition_id: str
    role_name: str = ""
    condition: str | None = None
    condition_version: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class RestoreGrant:
    resource_id: str  # the resource app's service principal id
    app_role_id: str
    resource_app_id: str = ""  # its appId
    resource_name: str = ""
    app_role_value: str = ""


@dataclass(frozen=True)
class RestoreDirectoryRole:
    role_definition_id: str
    directory_scope_id: str = "/"
    role_name: str = ""


@dataclass(frozen=True)
class RestoreFile:
    tenant_id: str
    identity: ManagedIdentity
    roles: tuple[RestoreRole, ...] = ()
    app_roles: tuple[RestoreGrant, ...] = ()
    directory_roles: tuple[RestoreDirectoryRole, ...] = ()
    mitui_version: str = ""
    created: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # the resources a user-assigned identity was detached from (restore attaches it again)
    detached_resources: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.roles) + len(self.app_roles) + len(self.directory_roles) + len(self.detached_resources)


def restore_file_of(plan: ContainmentPlan, tenant_id: str) -> RestoreFile:
    """What the removals of ``plan`` take away (the items still there), as a restore file."""
    roles, grants, directory, detached = [], [], [], []
    for p in plan.to_remove:
        if p.action is PlanAction.DETACH_USER_IDENTITY:
            detached.append(p.target_id)
        elif p.action is PlanAction.REMOVE_ROLE:
            roles.append(
                RestoreRole(
                    p.target_id, p.right_id, p.right_name, p.condition, p.condition_version, p.assignment_description
                )
            )
        elif p.action is PlanAction.REVOKE_APP_ROLE:
            grants.append(RestoreGrant(p.target_id, p.right_id, p.resource_app_id, p.target, p.right_name))
        elif p.action is PlanAction.REMOVE_DIRECTORY_ROLE:
            directory.append(RestoreDirectoryRole(p.right_id, p.target_id or "/", p.right_name))
    return RestoreFile(
        tenant_id, plan.identity, tuple(roles), tuple(grants), tuple(directory), detached_resources=tuple(detached)
    )


def restore_json(restore: RestoreFile, version: str) -> dict[str, Any]:
    ident = restore.identity
    pid = ident.principal_id
    return {
        "format": RESTORE_FORMAT,
        "mitui": version,
        "created": restore.created or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tenantId": restore.tenant_id,
        "identity": {
            "name": ident.name,
            "principalId": pid,
            "clientId": ident.client_id,
            "kind": ident.kind.value,
            "resourceId": ident.resource_id,
        },
        "roleAssignments": [
            {
                "scope": r.scope,
                "roleDefinitionId": r.role_definition_id,
                "roleName": r.role_name,
                "principalId": pid,
                "condition": r.condition,
                "conditionVersion": r.condition_version,
                "description": r.description,
            }
            for r in restore.roles
        ],
        "appRoleAssignments": [
            {
                "resourceId": g.resource_id,
                "resourceAppId": g.resource_app_id,
                "resourceDisplayName": g.resource_name,
                "appRoleId": g.app_role_id,
                "appRoleValue": g.app_role_value,
                "principalId": pid,
            }
            for g in restore.app_roles
        ],
        "directoryRoleAssignments": [
            {
                "roleDefinitionId": d.role_definition_id,
                "roleName": d.role_name,
                "directoryScopeId": d.directory_scope_id,
                "principalId": pid,
            }
            for d in restore.directory_roles
        ],
        "detachedResources": list(restore.detached_resources),
    }


def restore_file_name(identity: ManagedIdentity, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", identity.name)[:60].strip("._") or identity.principal_id
    return f"restore-{safe}-{stamp}.json"


def write_restore_file(restore: RestoreFile, directory: Path, version: str) -> Path:
    """Write ``restore`` under ``directory`` (created 0700), private (0600), never over another file."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(restore_json(restore, version), indent=2, ensure_ascii=True) + "\n"
    base = restore_file_name(restore.identity)
    for n in range(1000):
        path = directory / (base if n == 0 else base.replace(".json", f"-{n}.json"))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        return path
    raise InvalidInput("Cannot write the restore file", f"too many restore files named {base} in {directory}")


def _bad(path: str | os.PathLike[str], why: str) -> InvalidInput:
    return InvalidInput(f"Not a mitui restore file: {path}", why, code="BadRestoreFile")


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _optional(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def _items(doc: dict[str, Any], key: str, path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    items = doc.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _bad(path, f"{key} must be a list of objects")
    return items


def read_restore_file(path: str | os.PathLike[str]) -> RestoreFile:
    """The restore file at ``path``, validated: InvalidInput with one line saying what is wrong otherwise."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"Cannot read {path}", err.strerror or str(err), code="BadRestoreFile") from err
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _bad(path, f"not JSON ({err})") from err
    if not isinstance(doc, dict) or doc.get("format") != RESTORE_FORMAT:
        raise _bad(path, f'"format" is not "{RESTORE_FORMAT}"')
    ident = doc.get("identity")
    if not isinstance(ident, dict):
        raise _bad(path, "no identity")
    try:
        tenant_id = guid(_text(doc, "tenantId"), "tenant id")
        principal_id = guid(_text(ident, "principalId"), "identity principal id")
        kind = IdentityKind(_text(ident, "kind") or IdentityKind.SYSTEM.value)
        identity = ManagedIdentity(
            principal_id=principal_id,
            client_id=_text(ident, "clientId"),
            name=_text(ident, "name") or principal_id,
            kind=kind,
            resource_id=_text(ident, "resourceId"),
        )
        roles, grants, directory = [], [], []
        for item in _items(doc, "roleAssignments", path):
            _same_principal(item, principal_id, path)
            roles.append(
                RestoreRole(
                    arm_id(_text(item, "scope")),
                    arm_id(_text(item, "roleDefinitionId"), "role definition id"),
                    _text(item, "roleName"),
                    _optional(item, "condition"),
                    _optional(item, "conditionVersion"),
                    _optional(item, "description"),
                )
            )
        for item in _items(doc, "appRoleAssignments", path):
            _same_principal(item, principal_id, path)
            grants.append(
                RestoreGrant(
                    guid(_text(item, "resourceId"), "resource app id"),
                    guid(_text(item, "appRoleId"), "app role id"),
                    _text(item, "resourceAppId"),
                    _text(item, "resourceDisplayName"),
                    _text(item, "appRoleValue"),
                )
            )
        for item in _items(doc, "directoryRoleAssignments", path):
            _same_principal(item, principal_id, path)
            directory.append(
                RestoreDirectoryRole(
                    guid(_text(item, "roleDefinitionId"), "directory role id"),
                    _text(item, "directoryScopeId") or "/",
                    _text(item, "roleName"),
                )
            )
        detached = doc.get("detachedResources", [])
        if not isinstance(detached, list) or not all(isinstance(d, str) for d in detached):
            raise _bad(path, "detachedResources must be a list of resource ids")
        detached_resources = tuple(arm_id(d, "resource id") for d in detached)
        if detached_resources and kind is not IdentityKind.USER:
            raise _bad(path, "only a user-assigned identity is detached from resources")
    except ValueError as err:  # (an unknown identity kind)
        raise _bad(path, str(err)) from err
    except InvalidInput as err:
        if err.code == "BadRestoreFile":
            raise
        raise _bad(path, err.one_line()) from err
    return RestoreFile(
        tenant_id,
        identity,
        tuple(roles),
        tuple(grants),
        tuple(directory),
        mitui_version=_text(doc, "mitui"),
        created=_text(doc, "created"),
        detached_resources=detached_resources,
    )


def _same_principal(item: dict[str, Any], principal_id: str, path: str | os.PathLike[str]) -> None:
    given = _text(item, "principalId")
    if given and given.lower() != principal_id.lower():
        raise _bad(path, f"an item names principal {given}, not the identity's {principal_id}")


def check_tenant(restore: RestoreFile, tenant_id: str, path: str | os.PathLike[str] = "the restore file") -> None:
    if restore.tenant_id.lower() != (tenant_id or "").lower():
        raise InvalidInput(
            f"{path} is for tenant {restore.tenant_id}, not the one signed in to ({tenant_id})",
            "sign in to the tenant the file was written for (--tenant)",
            code="OtherTenant",
        )


# --- the outcome ----------------------------------------------------------------------------------------------


def outcome_label(change: Change) -> str:
    """done / already gone (already there, for an add) / failed / refused."""
    if change.outcome == "applied":
        return "done"
    if change.outcome == "already-there":
        return "already there" if change.plan.action.adds else "already gone"
    return change.outcome


@dataclass(frozen=True)
class PlanResults:
    """The changes of a many-item plan, the latest for each item (a retry replaces a failure)."""

    changes: tuple[Change, ...]
    restore_file: Path | None = None

    @property
    def failed(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.ok)

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[outcome_label(c)] = out.get(outcome_label(c), 0) + 1
        return out

    def retried(self, again: Iterable[Change]) -> PlanResults:
        """This outcome with the retried items' new changes in place of their failures."""
        by_plan = {id(c.plan): c for c in again}
        return PlanResults(tuple(by_plan.get(id(c.plan), c) for c in self.changes), self.restore_file)

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{n} {label}" for label, n in counts.items()]
        return ", ".join(parts) if parts else "nothing to do"
