"""Plans (one intended change, previewable before it is applied) and Changes (their outcome).

A plan carries everything the confirmation dialog shows, including the equivalent ``az`` and PowerShell
commands, every value quoted for the shell it targets (see :func:`sh_quote` and :func:`ps_quote`).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from tui.services.errors import MituiError
from tui.services.models import (
    AppRole,
    AppRoleAssignment,
    DirectoryRoleAssignment,
    DirectoryRoleDefinition,
    ManagedIdentity,
    Privilege,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
)
from tui.services.scopes import scope_level

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"


class PlanAction(StrEnum):
    ASSIGN_ROLE = "assign-role"
    REMOVE_ROLE = "remove-role"
    GRANT_APP_ROLE = "grant-app-role"
    REVOKE_APP_ROLE = "revoke-app-role"
    GRANT_DIRECTORY_ROLE = "grant-directory-role"
    REMOVE_DIRECTORY_ROLE = "remove-directory-role"
    # the identity's life (tui.services.lifecycle)
    ENABLE_SYSTEM_IDENTITY = "enable-system-identity"
    DISABLE_SYSTEM_IDENTITY = "disable-system-identity"
    CREATE_USER_IDENTITY = "create-user-identity"
    DELETE_USER_IDENTITY = "delete-user-identity"
    ATTACH_USER_IDENTITY = "attach-user-identity"
    DETACH_USER_IDENTITY = "detach-user-identity"
    ADD_FEDERATED_CREDENTIAL = "add-federated-credential"
    REMOVE_FEDERATED_CREDENTIAL = "remove-federated-credential"
    # Automation Accounts (tui.services.automation_plans)
    IMPORT_MODULE = "import-module"
    CREATE_RUNBOOK = "create-runbook"

    @property
    def adds(self) -> bool:
        return self in (
            PlanAction.ASSIGN_ROLE,
            PlanAction.GRANT_APP_ROLE,
            PlanAction.GRANT_DIRECTORY_ROLE,
            PlanAction.ENABLE_SYSTEM_IDENTITY,
            PlanAction.CREATE_USER_IDENTITY,
            PlanAction.ATTACH_USER_IDENTITY,
            PlanAction.ADD_FEDERATED_CREDENTIAL,
            PlanAction.IMPORT_MODULE,
            PlanAction.CREATE_RUNBOOK,
        )

    @property
    def is_lifecycle(self) -> bool:
        """A change of the identity itself (it appears, goes, or changes hands), not of its rights."""
        return self.value in _LIFECYCLE_VERBS

    @property
    def is_automation(self) -> bool:
        """A change in an Automation Account (a module imported, a runbook written), not of an identity's rights."""
        return self.value in _AUTOMATION_VERBS

    @property
    def is_directory_role(self) -> bool:
        return self in (PlanAction.GRANT_DIRECTORY_ROLE, PlanAction.REMOVE_DIRECTORY_ROLE)

    @property
    def verb(self) -> str:
        return {
            "assign-role": "Assign role",
            "remove-role": "Remove role assignment",
            "grant-app-role": "Grant app role",
            "revoke-app-role": "Revoke app role",
            "grant-directory-role": "Grant directory role",
            "remove-directory-role": "Remove directory role",
            **_LIFECYCLE_VERBS,
            **_AUTOMATION_VERBS,
        }[self.value]


_LIFECYCLE_VERBS = {
    "enable-system-identity": "Turn on system-assigned identity",
    "disable-system-identity": "Turn off system-assigned identity",
    "create-user-identity": "Create user-assigned identity",
    "delete-user-identity": "Delete user-assigned identity",
    "attach-user-identity": "Attach user-assigned identity",
    "detach-user-identity": "Detach user-assigned identity",
    "add-federated-credential": "Add federated credential",
    "remove-federated-credential": "Remove federated credential",
}

_AUTOMATION_VERBS = {"import-module": "Import module", "create-runbook": "Create runbook"}


@dataclass(frozen=True)
class Plan:
    action: PlanAction
    identity: ManagedIdentity
    right_name: str  # role name, or app role value
    right_id: str  # role definition id, or app role id
    # the scope (ARM id) for roles; the resource app's display name for app roles; the directory scope ("/": the
    # whole tenant) for directory roles
    target: str
    target_id: str  # scope, the resource app's service principal id, or the directory scope id
    scope_level: ScopeLevel | None
    privilege: Privilege
    already_exists: bool  # assign/grant: an identical assignment is there; remove/revoke: False when it's gone
    existing_id: str | None  # the id of the assignment concerned (remove/revoke, or the existing one)
    az_command: str
    powershell_command: str
    resource_app_id: str = ""  # app roles: the resource app's appId
    right_description: str = ""
    privilege_reason: str = ""  # why the right has its privilege
    # role assignments: the ABAC condition that narrows it and the assignment's description (a restore puts them back)
    condition: str | None = None
    condition_version: str | None = None
    assignment_description: str | None = None
    # lifecycle plans: what the confirmation shows besides (label, value), what will be lost with the change, and
    # what the writer sends (name -> value: see tui.services.lifecycle)
    details: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.params if k == name), default)

    @property
    def is_role(self) -> bool:
        return self.action in (PlanAction.ASSIGN_ROLE, PlanAction.REMOVE_ROLE)

    @property
    def nothing_to_do(self) -> bool:
        """Assign/grant of something already there, or remove/revoke of something already gone."""
        return self.already_exists if self.action.adds else not self.already_exists

    @property
    def requires_typed_confirmation(self) -> bool:
        """Adding a critical right, or taking away an identity that holds high or critical rights: the user must type
        ``right_name`` to confirm."""
        if self.action in (PlanAction.DELETE_USER_IDENTITY, PlanAction.DISABLE_SYSTEM_IDENTITY):
            return self.privilege is not Privilege.NORMAL
        return self.action.adds and self.privilege is Privilege.CRITICAL

    def summary(self) -> list[tuple[str, str]]:
        ident = self.identity
        rows = [
            ("Action", self.action.verb),
            ("Identity", ident.name),
            ("Kind", ident.kind.value),
        ]
        if ident.principal_id:
            rows.append(("Principal ID", ident.principal_id))
        if self.action.is_lifecycle or self.action.is_automation:
            rows += list(self.details)
            if self.action.adds:
                rows.append(("Status", "already in place — nothing to do" if self.already_exists else "new"))
            else:
                rows.append(("Status", "will be removed" if self.already_exists else "already gone — nothing to do"))
            return rows
        if self.is_role:
            rows += [("Role", self.right_name), ("Scope", self.target)]
            if self.scope_level:
                rows.append(("Scope level", self.scope_level.value))
            if self.condition:
                rows.append(("Condition", self.condition))
            if self.assignment_description:
                rows.append(("Description", self.assignment_description))
        elif self.action.is_directory_role:
            rows += [("Role", self.right_name), ("Scope", directory_scope_name(self.target))]
            if self.right_description:
                rows.append(("Description", self.right_description))
        else:
            rows += [("App role", self.right_name), ("Resource app", self.target)]
            if self.right_description:
                rows.append(("Description", self.right_description))
        rows.append(("Privilege", self.privilege.value))
        if self.privilege_reason:
            rows.append(("Why", self.privilege_reason))
        if self.action.adds:
            rows.append(("Status", "already assigned — nothing to do" if self.already_exists else "new"))
        else:
            rows.append(
                ("Status", "exists — will be removed" if self.already_exists else "already gone — nothing to do")
            )
        return rows


Outcome = Literal["applied", "already-there", "failed", "refused"]


@dataclass(frozen=True)
class Change:
    plan: Plan
    outcome: Outcome
    assignment_id: str | None
    message: str
    request_ids: tuple[str, ...] = ()
    error: MituiError | None = field(default=None, compare=False)  # the error behind a "failed" outcome
    # the right as the write read it back (a role assignment made): a refresh need not read it again
    right: object | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.outcome in ("applied", "already-there")


# --- quoting --------------------------------------------------------------------------------------------------

_PS_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell treats all of these as single quotes


def sh_quote(value: str) -> str:
    """A POSIX-shell word for ``value`` (nothing inside is expanded)."""
    return shlex.quote(value)


def ps_quote(value: str) -> str:
    """A PowerShell single-quoted string for ``value`` (nothing inside is expanded; quotes doubled)."""
    return "'" + "".join(c * 2 if c in _PS_QUOTES else c for c in value) + "'"


def directory_scope_name(directory_scope_id: str) -> str:
    """``/`` is the whole tenant; any other directory scope (an administrative unit, an object) as Graph names it."""
    return "tenant" if directory_scope_id.strip() in ("", "/") else directory_scope_id


def _guid_of(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1]


# --- commands -------------------------------------------------------------------------------------------------


def az_role_assign(
    principal_id: str,
    role_definition_id: str,
    scope: str,
    condition: str | None = None,
    condition_version: str | None = None,
    description: str | None = None,
) -> str:
    command = (
        f"az role assignment create --assignee-object-id {sh_quote(principal_id)} "
        f"--assignee-principal-type ServicePrincipal --role {sh_quote(_guid_of(role_definition_id))} "
        f"--scope {sh_quote(scope)}"
    )
    if condition:
        command += f" --condition {sh_quote(condition)} --condition-version {sh_quote(condition_version or '2.0')}"
    if description:
        command += f" --description {sh_quote(description)}"
    return command


def ps_role_assign(
    principal_id: str,
    role_definition_id: str,
    scope: str,
    condition: str | None = None,
    condition_version: str | None = None,
    description: str | None = None,
) -> str:
    command = (
        f"New-AzRoleAssignment -ObjectId {ps_quote(principal_id)} "
        f"-RoleDefinitionId {ps_quote(_guid_of(role_definition_id))} -Scope {ps_quote(scope)}"
    )
    if condition:
        command += f" -Condition {ps_quote(condition)} -ConditionVersion {ps_quote(condition_version or '2.0')}"
    if description:
        command += f" -Description {ps_quote(description)}"
    return command


def az_role_remove(assignment_id: str) -> str:
    return f"az role assignment delete --ids {sh_quote(assignment_id)}"


def ps_role_remove(principal_id: str, role_definition_id: str, scope: str) -> str:
    return (
        f"Remove-AzRoleAssignment -ObjectId {ps_quote(principal_id)} "
        f"-RoleDefinitionId {ps_quote(_guid_of(role_definition_id))} -Scope {ps_quote(scope)}"
    )


def az_app_role_grant(graph_url: str, principal_id: str, resource_id: str, app_role_id: str) -> str:
    uri = f"{graph_url.rstrip('/')}/v1.0/servicePrincipals/{principal_id}/appRoleAssignments"
    body = json.dumps({"principalId": principal_id, "resourceId": resource_id, "appRoleId": app_role_id})
    return (
        f"az rest --method POST --uri {sh_quote(uri)} --headers Content-Type=application/json --body {sh_quote(body)}"
    )


def ps_app_role_grant(principal_id: str, resource_id: str, app_role_id: str) -> str:
    return (
        f"New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId {ps_quote(principal_id)} "
        f"-PrincipalId {ps_quote(principal_id)} -ResourceId {ps_quote(resource_id)} -AppRoleId {ps_quote(app_role_id)}"
    )


def az_app_role_revoke(graph_url: str, principal_id: str, assignment_id: str) -> str:
    uri = f"{graph_url.rstrip('/')}/v1.0/servicePrincipals/{principal_id}/appRoleAssignments/{assignment_id}"
    return f"az rest --method DELETE --uri {sh_quote(uri)}"


def ps_app_role_revoke(principal_id: str, assignment_id: str) -> str:
    return (
        f"Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId {ps_quote(principal_id)} "
        f"-AppRoleAssignmentId {ps_quote(assignment_id)}"
    )


def az_directory_role_grant(graph_url: str, principal_id: str, role_definition_id: str, scope: str) -> str:
    uri = f"{graph_url.rstrip('/')}/v1.0/roleManagement/directory/roleAssignments"
    body = json.dumps({"principalId": principal_id, "roleDefinitionId": role_definition_id, "directoryScopeId": scope})
    return (
        f"az rest --method POST --uri {sh_quote(uri)} --headers Content-Type=application/json --body {sh_quote(body)}"
    )


def ps_directory_role_grant(principal_id: str, role_definition_id: str, scope: str) -> str:
    return (
        f"New-MgRoleManagementDirectoryRoleAssignment -PrincipalId {ps_quote(principal_id)} "
        f"-RoleDefinitionId {ps_quote(role_definition_id)} -DirectoryScopeId {ps_quote(scope)}"
    )


def az_directory_role_remove(graph_url: str, assignment_id: str) -> str:
    uri = f"{graph_url.rstrip('/')}/v1.0/roleManagement/directory/roleAssignments/{assignment_id}"
    return f"az rest --method DELETE --uri {sh_quote(uri)}"


def ps_directory_role_remove(assignment_id: str) -> str:
    return f"Remove-MgRoleManagementDirectoryRoleAssignment -UnifiedRoleAssignmentId {ps_quote(assignment_id)}"


# --- plan builders (pure: the session looks up what exists and passes it in) --------------------------------


def role_assignment_plan(
    identity: ManagedIdentity,
    role: RoleDefinition,
    scope: str,
    existing: RoleAssignment | None,
    *,
    condition: str | None = None,
    condition_version: str | None = None,
    description: str | None = None,
) -> Plan:
    """``condition`` / ``description``: the assignment's own (a restore recreates the assignment as it was)."""
    condition_version = (condition_version or "2.0") if condition else None
    extra = (condition, condition_version, description)
    return Plan(
        action=PlanAction.ASSIGN_ROLE,
        identity=identity,
        right_name=role.role_name,
        right_id=role.id,
        target=scope,
        target_id=scope,
        scope_level=scope_level(scope),
        privilege=role.privilege,
        privilege_reason=role.privilege_reason,
        already_exists=existing is not None,
        existing_id=existing.id if existing else None,
        az_command=az_role_assign(identity.principal_id, role.id, scope, *extra),
        powershell_command=ps_role_assign(identity.principal_id, role.id, scope, *extra),
        right_description=role.description,
        condition=condition,
        condition_version=condition_version,
        assignment_description=description,
    )


def role_removal_plan(identity: ManagedIdentity, assignment: RoleAssignment, still_exists: bool) -> Plan:
    return Plan(
        action=PlanAction.REMOVE_ROLE,
        identity=identity,
        right_name=assignment.role_name or _guid_of(assignment.role_definition_id),
        right_id=assignment.role_definition_id,
        target=assignment.scope,
        target_id=assignment.scope,
        scope_level=scope_level(assignment.scope),
        privilege=assignment.privilege,
        privilege_reason=assignment.privilege_reason,
        already_exists=still_exists,
        existing_id=assignment.id,
        az_command=az_role_remove(assignment.id),
        powershell_command=ps_role_remove(identity.principal_id, assignment.role_definition_id, assignment.scope),
        condition=assignment.condition,
        condition_version=assignment.condition_version,
        assignment_description=assignment.description,
    )


def app_role_grant_plan(
    identity: ManagedIdentity,
    app: ResourceApp,
    role: AppRole,
    existing: AppRoleAssignment | None,
    graph_url: str = DEFAULT_GRAPH_URL,
) -> Plan:
    return Plan(
        action=PlanAction.GRANT_APP_ROLE,
        identity=identity,
        right_name=role.value,
        right_id=role.id,
        target=app.display_name,
        target_id=app.id,
        scope_level=None,
        privilege=role.privilege,
        privilege_reason=role.privilege_reason,
        already_exists=existing is not None,
        existing_id=existing.id if existing else None,
        az_command=az_app_role_grant(graph_url, identity.principal_id, app.id, role.id),
        powershell_command=ps_app_role_grant(identity.principal_id, app.id, role.id),
        resource_app_id=app.app_id,
        right_description=role.description,
    )


def app_role_revoke_plan(
    identity: ManagedIdentity,
    assignment: AppRoleAssignment,
    still_exists: bool,
    graph_url: str = DEFAULT_GRAPH_URL,
) -> Plan:
    return Plan(
        action=PlanAction.REVOKE_APP_ROLE,
        identity=identity,
        right_name=assignment.app_role_value or assignment.app_role_id,
        right_id=assignment.app_role_id,
        target=assignment.resource_display_name or assignment.resource_id,
        target_id=assignment.resource_id,
        scope_level=None,
        privilege=assignment.privilege,
        privilege_reason=assignment.privilege_reason,
        already_exists=still_exists,
        existing_id=assignment.id,
        az_command=az_app_role_revoke(graph_url, identity.principal_id, assignment.id),
        powershell_command=ps_app_role_revoke(identity.principal_id, assignment.id),
        resource_app_id=assignment.resource_app_id,
        right_description=assignment.app_role_description,
    )


def directory_role_grant_plan(
    identity: ManagedIdentity,
    role: DirectoryRoleDefinition,
    existing: DirectoryRoleAssignment | None,
    graph_url: str = DEFAULT_GRAPH_URL,
    scope: str = "/",
) -> Plan:
    return Plan(
        action=PlanAction.GRANT_DIRECTORY_ROLE,
        identity=identity,
        right_name=role.display_name or role.id,
        right_id=role.id,
        target=scope,
        target_id=scope,
        scope_level=None,
        privilege=role.privilege,
        privilege_reason=role.privilege_reason,
        already_exists=existing is not None,
        existing_id=existing.id if existing else None,
        az_command=az_directory_role_grant(graph_url, identity.principal_id, role.id, scope),
        powershell_command=ps_directory_role_grant(identity.principal_id, role.id, scope),
        right_description=role.description,
    )


def directory_role_removal_plan(
    identity: ManagedIdentity,
    assignment: DirectoryRoleAssignment,
    still_exists: bool,
    graph_url: str = DEFAULT_GRAPH_URL,
) -> Plan:
    return Plan(
        action=PlanAction.REMOVE_DIRECTORY_ROLE,
        identity=identity,
        right_name=assignment.role_name or assignment.role_definition_id,
        right_id=assignment.role_definition_id,
        target=assignment.directory_scope_id,
        target_id=assignment.directory_scope_id,
        scope_level=None,
        privilege=assignment.privilege,
        privilege_reason=assignment.privilege_reason,
        already_exists=still_exists,
        existing_id=assignment.id,
        az_command=az_directory_role_remove(graph_url, assignment.id),
        powershell_command=ps_directory_role_remove(assignment.id),
    )
