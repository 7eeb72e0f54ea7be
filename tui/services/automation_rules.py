"""What a runbook's commands need, in one place: the module each cmdlet comes from, and the Microsoft Graph
application permission (app role) each Graph cmdlet needs, least privileged first.

Read from a runbook's text by :func:`commands_of` (PowerShell cmdlets are ``Verb-Noun``; comments and strings are
skipped). Sources: the module manifests of Az and Microsoft.Graph (which module exports a cmdlet), and each Graph
API's "Permissions" table (least privileged application permission first; the others that also suffice after it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GALLERY_PACKAGE_URL = "https://www.powershellgallery.com/api/v2/package/"
# The versions mitui imports when it fixes a missing module (the Gallery's current ones for each runtime).
MODULE_VERSIONS: dict[str, str] = {
    "Az.Accounts": "4.0.2",
    "Az.Resources": "7.8.0",
    "Az.Compute": "9.0.0",
    "Az.KeyVault": "6.3.1",
    "Az.Storage": "8.1.0",
    "Microsoft.Graph.Authentication": "2.25.0",
    "Microsoft.Graph.Applications": "2.25.0",
    "Microsoft.Graph.Users": "2.25.0",
    "Microsoft.Graph.Groups": "2.25.0",
    "Microsoft.Graph.Identity.DirectoryManagement": "2.25.0",
}

# (cmdlet prefix, module): the first prefix that a cmdlet starts with names its module (longest prefixes first).
CMDLET_MODULES: tuple[tuple[str, str], ...] = (
    ("Connect-AzAccount", "Az.Accounts"),
    ("Disconnect-AzAccount", "Az.Accounts"),
    ("Get-AzAccessToken", "Az.Accounts"),
    ("Get-AzContext", "Az.Accounts"),
    ("Set-AzContext", "Az.Accounts"),
    ("Get-AzSubscription", "Az.Accounts"),
    ("Invoke-AzRestMethod", "Az.Accounts"),
    ("Get-AzRoleAssignment", "Az.Resources"),
    ("New-AzRoleAssignment", "Az.Resources"),
    ("Remove-AzRoleAssignment", "Az.Resources"),
    ("Get-AzRoleDefinition", "Az.Resources"),
    ("Get-AzResourceGroup", "Az.Resources"),
    ("New-AzResourceGroup", "Az.Resources"),
    ("Get-AzResource", "Az.Resources"),
    ("Get-AzADServicePrincipal", "Az.Resources"),
    ("Get-AzADApplication", "Az.Resources"),
    ("Get-AzADUser", "Az.Resources"),
    ("Get-AzADGroup", "Az.Resources"),
    ("Get-AzVM", "Az.Compute"),
    ("Start-AzVM", "Az.Compute"),
    ("Stop-AzVM", "Az.Compute"),
    ("Get-AzKeyVault", "Az.KeyVault"),
    ("Set-AzKeyVaultSecret", "Az.KeyVault"),
    ("Get-AzStorageAccount", "Az.Storage"),
    ("New-AzStorageAccountKey", "Az.Storage"),
    ("Get-AzStorage", "Az.Storage"),
    ("Connect-MgGraph", "Microsoft.Graph.Authentication"),
    ("Disconnect-MgGraph", "Microsoft.Graph.Authentication"),
    ("Invoke-MgGraphRequest", "Microsoft.Graph.Authentication"),
    ("Get-MgContext", "Microsoft.Graph.Authentication"),
    ("Get-MgServicePrincipal", "Microsoft.Graph.Applications"),
    ("New-MgServicePrincipal", "Microsoft.Graph.Applications"),
    ("Update-MgServicePrincipal", "Microsoft.Graph.Applications"),
    ("Get-MgApplication", "Microsoft.Graph.Applications"),
    ("Update-MgApplication", "Microsoft.Graph.Applications"),
    ("Get-MgUser", "Microsoft.Graph.Users"),
    ("Update-MgUser", "Microsoft.Graph.Users"),
    ("New-MgUser", "Microsoft.Graph.Users"),
    ("Get-MgGroup", "Microsoft.Graph.Groups"),
    ("New-MgGroupMember", "Microsoft.Graph.Groups"),
    ("Get-MgDirectoryRole", "Microsoft.Graph.Identity.DirectoryManagement"),
    ("Get-MgDevice", "Microsoft.Graph.Identity.DirectoryManagement"),
)

# cmdlet prefix -> the app roles that let it run as an application, least privileged first.
GRAPH_PERMISSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Get-MgServicePrincipalAppRoleAssignment",
        ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    ),
    ("New-MgServicePrincipalAppRoleAssignment", ("AppRoleAssignment.ReadWrite.All",)),
    (
        "Get-MgServicePrincipal",
        ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    ),
    ("New-MgServicePrincipal", ("Application.ReadWrite.All",)),
    ("Update-MgServicePrincipal", ("Application.ReadWrite.All",)),
    (
        "Get-MgApplication",
        ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    ),
    ("Update-MgApplication", ("Application.ReadWrite.All",)),
    ("Get-MgUser", ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")),
    ("Update-MgUser", ("User.ReadWrite.All", "Directory.ReadWrite.All")),
    ("New-MgUser", ("User.ReadWrite.All", "Directory.ReadWrite.All")),
    ("Get-MgGroup", ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All")),
    ("New-MgGroupMember", ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")),
    ("Get-MgDirectoryRole", ("RoleManagement.Read.Directory", "Directory.Read.All")),
    ("Get-MgDevice", ("Device.Read.All", "Directory.Read.All")),
)

# Modules that must be there and imported for a runbook's runtime to sign in as the identity at all.
SIGN_IN_MODULES = {"Connect-AzAccount": "Az.Accounts", "Connect-MgGraph": "Microsoft.Graph.Authentication"}

_CMDLET = re.compile(r"\b([A-Z][a-z]+-(?:Az|Mg)[A-Za-z]+)\b")
_COMMENT_BLOCK = re.compile(r"<#.*?#>", re.S)
_COMMENT_LINE = re.compile(r"(?m)#.*$")
_STRINGS = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def commands_of(text: str) -> list[str]:
    """The Az and Microsoft Graph cmdlets the text calls, in order of first use (comments and strings skipped)."""
    code = _STRINGS.sub("''", _COMMENT_LINE.sub("", _COMMENT_BLOCK.sub("", text)))
    return list(dict.fromkeys(m.group(1) for m in _CMDLET.finditer(code)))


def module_of(cmdlet: str) -> str | None:
    low = cmdlet.lower()
    found = [(p, m) for p, m in CMDLET_MODULES if low.startswith(p.lower())]
    return max(found, key=lambda pm: len(pm[0]))[1] if found else None


def permissions_of(cmdlet: str) -> tuple[str, ...]:
    """The app roles (least privileged first) any one of which lets ``cmdlet`` run; () when it needs none known."""
    low = cmdlet.lower()
    found = [(p, roles) for p, roles in GRAPH_PERMISSIONS if low.startswith(p.lower())]
    return max(found, key=lambda pr: len(pr[0]))[1] if found else ()


def gallery_link(module: str, version: str | None = None) -> str:
    return f"{GALLERY_PACKAGE_URL}{module}/{version or MODULE_VERSIONS.get(module, '')}".rstrip("/")


@dataclass(frozen=True)
class Needs:
    """What a runbook's text needs: modules (with the cmdlets that need each), and Graph permissions."""

    modules: dict[str, tuple[str, ...]]  # module -> the cmdlets that need it
    permissions: dict[str, tuple[str, ...]]  # cmdlet -> the app roles that suffice (least first)


def needs_of(text: str) -> Needs:
    modules: dict[str, list[str]] = {}
    perms: dict[str, tuple[str, ...]] = {}
    for cmd in commands_of(text):
        module = module_of(cmd)
        if module:
            modules.setdefault(module, []).append(cmd)
        roles = permissions_of(cmd)
        if roles:
            perms[cmd] = roles
    return Needs({m: tuple(c) for m, c in modules.items()}, perms)
