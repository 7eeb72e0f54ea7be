"""How much harm a right can do: every Azure role and every app role is classified critical / high / normal.

Azure roles are classified from what their actions allow, never from their names, so custom roles are
classified as carefully as built-in ones:

* critical: can change who may do what (write or delete role assignments or definitions, elevate access),
  or can take over a managed identity by name (attach a user-assigned identity to a resource the caller
  controls, or add a federated credential to it) — i.e. every path to the rights of someone else.
  Owner, User Access Administrator, Role Based Access Control Administrator, Managed Identity Operator and
  Managed Identity Contributor are critical.
* high: broad write (``*`` or a wildcard that covers writes, e.g. ``Microsoft.Compute/virtualMachines/*``),
  reading secrets or keys (``listKeys``, Key Vault secrets), running code on machines, or any data action
  (Key Vault, Storage and other data planes). Contributor is high: its ``*`` can attach identities too,
  but Microsoft and every admin already treat it as a privileged broad-write role and it cannot change
  access itself.
* normal: the rest (read-only roles such as Reader).

App roles (application permissions) are classified from:

1. a list of known escalation paths, always critical (a principal holding one can grant itself, or take
   over, a more privileged identity): see :data:`ESCALATION_APP_ROLES` for the list and the reason of each;
2. Microsoft's own ``privilegeLevel`` for Microsoft Graph permissions (4 and above: high);
3. EntraOps' classification as a second opinion: a Control Plane (tier 0) permission is at least high.

Policy.ReadWrite.ConditionalAccess is deliberately high, not critical: it can weaken sign-in policy (defence
evasion) but grants no right by itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from tui.services.models import Privilege, RoleDefinition

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

# Microsoft Graph application permissions that lead to tenant takeover, with the path.
ESCALATION_APP_ROLES: dict[str, str] = {
    "RoleManagement.ReadWrite.Directory": "assign any directory role, Global Administrator included",
    "AppRoleAssignment.ReadWrite.All": "grant any app role, this one's holder included",
    "Application.ReadWrite.All": "add credentials to any application and act as it",
    "Application.ReadWrite.OwnedBy": "add credentials to owned applications, often privileged ones",
    "Directory.ReadWrite.All": "change most directory objects",
    "ServicePrincipalEndpoint.ReadWrite.All": "redirect service principal endpoints",
    "DelegatedPermissionGrant.ReadWrite.All": "consent any delegated permission for every user",
    "Policy.ReadWrite.PermissionGrant": "allow consent to any permission",
    "PrivilegedAccess.ReadWrite.AzureAD": "activate or assign privileged directory roles (PIM)",
    "PrivilegedAccess.ReadWrite.AzureADGroup": "activate or assign privileged group membership (PIM)",
    "PrivilegedAccess.ReadWrite.AzureResources": "activate or assign privileged Azure roles (PIM)",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup": "assign privileged group membership",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup": "make anyone eligible for privileged groups",
    "RoleAssignmentSchedule.ReadWrite.Directory": "assign any directory role through PIM",
    "RoleEligibilitySchedule.ReadWrite.Directory": "make anyone eligible for any directory role",
    "RoleManagementPolicy.ReadWrite.Directory": "remove approval and MFA from directory role activation",
    "RoleManagementPolicy.ReadWrite.AzureADGroup": "remove approval and MFA from privileged group activation",
    "UserAuthenticationMethod.ReadWrite.All": "add a sign-in method (e.g. a Temporary Access Pass) to any admin",
    "Domain.ReadWrite.All": "federate a domain and forge sign-ins for its users",
    "Domain-InternalFederation.ReadWrite.All": "change a domain's federation and forge sign-ins",
}
_ESCALATION_KEYS = {k.lower() for k in ESCALATION_APP_ROLES}


@cache
def _app_role_data() -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    text = resources.files("tui.data").joinpath("app-role-privilege.json").read_text("utf-8")
    data = json.loads(text)
    graph = {k.lower(): int(v) for k, v in data["microsoftGraph"].items()}
    tiers = {app.lower(): {k.lower(): int(v) for k, v in vals.items()} for app, vals in data["entraOpsTier"].items()}
    return graph, tiers


def classify_app_role(resource_app_id: str, value: str) -> Privilege:
    """The privilege of an app role, by the resource app's appId and the role's value."""
    key = (value or "").lower()
    app = (resource_app_id or "").lower()
    graph_levels, tiers = _app_role_data()
    if app == MICROSOFT_GRAPH_APP_ID:
        if key in _ESCALATION_KEYS:
            return Privilege.CRITICAL
        if graph_levels.get(key, 0) >= 4:
            return Privilege.HIGH
    if tiers.get(app, {}).get(key) == 0:
        return Privilege.HIGH
    return Privilege.NORMAL


def microsoft_privilege_level(value: str) -> int | None:
    """Microsoft's own privilegeLevel (1..5) of a Microsoft Graph application permission, when known."""
    return _app_role_data()[0].get((value or "").lower())


# --- Azure roles --------------------------------------------------------------------------------------------


@cache
def _pattern(action: str) -> re.Pattern[str]:
    # "*" matches anything; a whole "/*/" segment may also match nothing ("a/*/read" grants "a/read").
    body = ".*".join(re.escape(p) for p in action.split("*")).replace("/.*/", "/(?:.*/)?")
    return re.compile("^" + body + "$", re.IGNORECASE)


def _matches(pattern: str, probe: str) -> bool:
    """Case-insensitive wildcard match; a regex is compiled only when the literal prefix already matches."""
    low_pattern, low_probe = pattern.lower(), probe.lower()
    star = low_pattern.find("*")
    if star < 0:
        return low_pattern == low_probe
    prefix = low_pattern[:star]
    if prefix.endswith("/") and low_pattern[star + 1 : star + 2] == "/":
        prefix = prefix[:-1]  # "a/*/read" also grants "a/read"
    return low_probe.startswith(prefix) and bool(_pattern(pattern).match(probe))


def _allows(patterns: Iterable[str], not_patterns: Iterable[str], probe: str) -> str | None:
    """The first pattern that grants ``probe`` (and is not taken back by a not-pattern), or None."""
    if any(_matches(n, probe) for n in not_patterns):
        return None
    return next((p for p in patterns if _matches(p, probe)), None)


_CRITICAL_PROBES = (
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleDefinitions/write",
    "Microsoft.Authorization/elevateAccess/action",
)
# Taking over a managed identity. Critical when the role names Microsoft.ManagedIdentity itself; under a
# bare "*" (Contributor) it counts as broad write (high), see the module docstring.
_IDENTITY_TAKEOVER_PROBES = (
    "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
)
_HIGH_PROBES = (
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Compute/virtualMachines/runCommand/action",
    "Microsoft.Compute/virtualMachines/extensions/write",
    "Microsoft.Web/sites/config/list/action",
    "Microsoft.Automation/automationAccounts/runbooks/write",
)


def classify_role_permissions(
    actions: Iterable[str],
    not_actions: Iterable[str] = (),
    data_actions: Iterable[str] = (),
    not_data_actions: Iterable[str] = (),
) -> Privilege:
    return _classify(tuple(actions), tuple(not_actions), tuple(data_actions))


@cache
def _classify(actions: tuple[str, ...], not_actions: tuple[str, ...], data_actions: tuple[str, ...]) -> Privilege:
    if any(_allows(actions, not_actions, probe) for probe in _CRITICAL_PROBES):
        return Privilege.CRITICAL
    for probe in _IDENTITY_TAKEOVER_PROBES:
        granted_by = _allows(actions, not_actions, probe)
        if granted_by and granted_by.lower().startswith("microsoft.managedidentity/"):
            return Privilege.CRITICAL
    if data_actions:
        return Privilege.HIGH
    if any(_allows(actions, not_actions, probe) for probe in _HIGH_PROBES):
        return Privilege.HIGH
    for action in actions:
        low = action.lower()
        if low.endswith("/listkeys/action") or low.endswith("/listsecrets/action"):
            return Privilege.HIGH
        # a wildcard that covers writes (not "*/read" or "Microsoft.Foo/*/read")
        if "*" in low and not low.endswith("/read") and not low.startswith("microsoft.support/"):
            return Privilege.HIGH
    return Privilege.NORMAL


def classify_role(role: RoleDefinition) -> Privilege:
    return classify_role_permissions(role.actions, role.not_actions, role.data_actions, role.not_data_actions)


def highest(levels: Iterable[Privilege]) -> Privilege:
    """The highest of these privileges (by rank); NORMAL when there is none."""
    return max(levels, key=_rank, default=Privilege.NORMAL)


def _rank(level: Privilege) -> int:
    return level.rank


# Which built-in roles grant a right, for the hint of a 403 ("you need ... at that scope").
_ROLES_FOR_ACTION: tuple[tuple[str, str], ...] = (
    (
        "Microsoft.Authorization/roleAssignments/",
        "Owner, User Access Administrator or Role Based Access Control Administrator",
    ),
    ("Microsoft.Authorization/roleDefinitions/", "Owner or User Access Administrator"),
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/",
        "Managed Identity Contributor, Contributor or Owner",
    ),
    ("Microsoft.ManagedIdentity/userAssignedIdentities/assign/", "Managed Identity Operator, Contributor or Owner"),
    ("Microsoft.ManagedIdentity/", "Managed Identity Contributor, Contributor or Owner"),
)


def roles_granting(action: str) -> str:
    """The built-in roles that grant ``action`` (a human phrase), for error hints."""
    low = action.lower()
    if low.endswith("/read"):
        return "Reader (or any role that includes it, e.g. Contributor or Owner)"
    for prefix, roles in _ROLES_FOR_ACTION:
        if low.startswith(prefix.lower()):
            return roles
    return "Contributor or Owner (or a custom role that includes it)"
