"""The rules of an identity's life, checked before anything is sent: names, regions, tags, federated credential
issuers and subjects (with the GitHub Actions and Kubernetes presets), the identity block to send, the api-version
of each resource type, and the equivalent ``az`` and PowerShell commands."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.services.errors import InvalidInput
from tui.services.plans import ps_quote, sh_quote

# Microsoft.ManagedIdentity (ManagedIdentity.json 2024-11-30): identity names, federated credential names
UAMI_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$")
FIC_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$")
# resource group names: letters, digits, underscores, hyphens, periods, parentheses; not ending in a period
GROUP_RE = re.compile(r"^[-\w.()]{1,89}[-\w()]$|^[-\w()]$")
LOCATION_RE = re.compile(r"^[a-z][a-z0-9]{2,39}$")
TAG_KEY_FORBIDDEN = re.compile(r"[<>%&\\?/]")
DEFAULT_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
GIT_REF_RE = re.compile(r"^[^\s~^:?*\[\\]{1,250}$")
K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
K8S_SA_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")

# The api-version mitui sends for a resource's identity PATCH, by resource type (lower case), and how that
# provider's spec spells the two kinds together ("SystemAssigned, UserAssigned" in the older specs). A type not
# listed gets DEFAULT_API_VERSION.
RESOURCE_API_VERSIONS: dict[str, tuple[str, str]] = {
    "microsoft.automation/automationaccounts": ("2023-11-01", "SystemAssigned, UserAssigned"),
    "microsoft.web/sites": ("2023-12-01", "SystemAssigned, UserAssigned"),
    "microsoft.web/sites/slots": ("2023-12-01", "SystemAssigned, UserAssigned"),
    "microsoft.logic/workflows": ("2019-05-01", "SystemAssigned, UserAssigned"),
    "microsoft.compute/virtualmachines": ("2024-07-01", "SystemAssigned, UserAssigned"),
    "microsoft.compute/virtualmachinescalesets": ("2024-07-01", "SystemAssigned, UserAssigned"),
    "microsoft.sql/servers": ("2021-11-01", "SystemAssigned,UserAssigned"),
    "microsoft.storage/storageaccounts": ("2023-05-01", "SystemAssigned,UserAssigned"),
    "microsoft.datafactory/factories": ("2018-06-01", "SystemAssigned,UserAssigned"),
    "microsoft.app/containerapps": ("2024-03-01", "SystemAssigned,UserAssigned"),
    "microsoft.containerregistry/registries": ("2023-07-01", "SystemAssigned, UserAssigned"),
    "microsoft.recoveryservices/vaults": ("2024-04-01", "SystemAssigned, UserAssigned"),
    "microsoft.operationalinsights/workspaces": ("2022-10-01", "SystemAssigned, UserAssigned"),
    "microsoft.keyvault/vaults": ("2023-07-01", "SystemAssigned, UserAssigned"),
}
DEFAULT_API_VERSION = ("2023-11-01", "SystemAssigned, UserAssigned")


def resource_type_of(resource_id: str) -> str:
    """``Provider/type[/child]`` of a resource's ARM id (lower case), "" when it names no resource."""
    parts = resource_id.strip("/").split("/")
    low = [p.lower() for p in parts]
    if "providers" not in low:
        return ""
    i = len(low) - 1 - low[::-1].index("providers")
    rest = low[i + 1 :]
    if len(rest) < 3:
        return ""
    return "/".join([rest[0]] + rest[1::2])


def api_version_of(resource_id: str) -> str:
    return RESOURCE_API_VERSIONS.get(resource_type_of(resource_id), DEFAULT_API_VERSION)[0]


def identity_block(
    resource_id: str, system: bool, user_identity_ids: Sequence[str], detach: Sequence[str] = ()
) -> dict:
    """The ``identity`` to PATCH: the whole state (``type``) with the user-assigned identities to keep (``{}``) and
    those to detach (``None``)."""
    both = RESOURCE_API_VERSIONS.get(resource_type_of(resource_id), DEFAULT_API_VERSION)[1]
    user = bool(user_identity_ids)
    kind = both if system and user else "SystemAssigned" if system else "UserAssigned" if user else "None"
    block: dict = {"type": kind}
    uais: dict = {uid: {} for uid in user_identity_ids}
    uais.update({uid: None for uid in detach})
    if uais and user:
        block["userAssignedIdentities"] = uais
    return block


# --- input ----------------------------------------------------------------------------------------------------


def identity_name(text: str) -> str:
    name = (text or "").strip()
    if not UAMI_NAME_RE.match(name):
        raise InvalidInput(
            "Not a valid identity name",
            "3 to 128 letters, digits, hyphens or underscores, starting with a letter or digit",
        )
    return name


def group_name(text: str) -> str:
    name = (text or "").strip()
    if not GROUP_RE.match(name):
        raise InvalidInput(
            "Not a valid resource group name",
            "1 to 90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period",
        )
    return name


def location(text: str) -> str:
    """A region as ARM names it: ``West Europe`` and ``westeurope`` are both ``westeurope``."""
    loc = (text or "").strip().lower().replace(" ", "")
    if not LOCATION_RE.match(loc):
        raise InvalidInput("Not a valid region", f"a region such as westeurope or eastus, got {text[:40]!r}")
    return loc


def tags(text: str) -> dict[str, str]:
    """``key=value, key2=value2`` (an empty text: no tags)."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise InvalidInput("Not a valid tag", f"write tags as key=value, separated by commas; got {part[:40]!r}")
        key, value = (s.strip() for s in part.split("=", 1))
        if not key or len(key) > 512 or TAG_KEY_FORBIDDEN.search(key) or len(value) > 256:
            raise InvalidInput(
                "Not a valid tag",
                f"a tag name has 1-512 characters without <>%&\\?/, a value at most 256: {key[:40]!r}",
            )
        if any(not c.isprintable() for c in key + value):
            raise InvalidInput("Not a valid tag", "control characters are not allowed in tags")
        out[key] = value
    if len(out) > 50:
        raise InvalidInput("Too many tags", "a resource may have at most 50 tags")
    return out


@dataclass(frozen=True)
class FederatedCredentialInput:
    name: str
    issuer: str
    subject: str
    audience: str = DEFAULT_AUDIENCE


def issuer_url(text: str) -> str:
    issuer = (text or "").strip()
    parts = urlsplit(issuer)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or " " in issuer:
        raise InvalidInput("Not a valid issuer", f"an https:// URL without query or fragment, got {issuer[:80]!r}")
    return issuer


def federated_credential(name: str, issuer: str, subject: str, audience: str = "") -> FederatedCredentialInput:
    fic_name = (name or "").strip()
    if not FIC_NAME_RE.match(fic_name):
        raise InvalidInput(
            "Not a valid federated credential name",
            "3 to 120 letters, digits, hyphens or underscores, starting with a letter or digit",
        )
    subject = (subject or "").strip()
    if not subject or len(subject) > 600 or any(not c.isprintable() for c in subject):
        raise InvalidInput("Not a valid subject", "1 to 600 printable characters")
    audience = (audience or "").strip() or DEFAULT_AUDIENCE
    if len(audience) > 600 or any(not c.isprintable() or c.isspace() for c in audience):
        raise InvalidInput("Not a valid audience", "at most 600 characters, no spaces")
    return FederatedCredentialInput(fic_name, issuer_url(issuer), subject, audience)


def github_actions(name: str, repository: str, branch: str = "", environment: str = "") -> FederatedCredentialInput:
    """GitHub Actions: ``repo:ORG/REPO:ref:refs/heads/BRANCH`` or ``repo:ORG/REPO:environment:ENV``."""
    repo = (repository or "").strip()
    if not GITHUB_REPO_RE.match(repo):
        raise InvalidInput("Not a valid GitHub repository", f"write it as ORG/REPO, got {repo[:60]!r}")
    branch, environment = (branch or "").strip(), (environment or "").strip()
    if bool(branch) == bool(environment):
        raise InvalidInput("Give a branch or an environment", "exactly one of them: the token's subject names it")
    if environment:
        if not GIT_REF_RE.match(environment):
            raise InvalidInput("Not a valid environment name", environment[:60])
        subject = f"repo:{repo}:environment:{environment}"
    else:
        if not GIT_REF_RE.match(branch):
            raise InvalidInput("Not a valid branch name", branch[:60])
        subject = f"repo:{repo}:ref:refs/heads/{branch.removeprefix('refs/heads/')}"
    return federated_credential(name, GITHUB_ISSUER, subject)


def kubernetes(name: str, issuer: str, namespace: str, service_account: str) -> FederatedCredentialInput:
    """Kubernetes (AKS workload identity): the cluster's OIDC issuer URL, ``system:serviceaccount:NS:SA``."""
    ns, sa = (namespace or "").strip(), (service_account or "").strip()
    if not K8S_NAME_RE.match(ns):
        raise InvalidInput("Not a valid namespace", "lower-case letters, digits and hyphens, at most 63")
    if not K8S_SA_RE.match(sa):
        raise InvalidInput("Not a valid service account name", "lower-case letters, digits, hyphens and periods")
    return federated_credential(name, issuer, f"system:serviceaccount:{ns}:{sa}")


# --- commands -------------------------------------------------------------------------------------------------


def az_patch_identity(arm_url: str, resource_id: str, block: dict, api_version: str) -> str:
    uri = f"{arm_url.rstrip('/')}{resource_id}?api-version={api_version}"
    body = json.dumps({"identity": block})
    return f"az rest --method PATCH --uri {sh_quote(uri)} --body {sh_quote(body)}"


def ps_patch_identity(resource_id: str, block: dict, api_version: str) -> str:
    path = f"{resource_id}?api-version={api_version}"
    body = json.dumps({"identity": block})
    return f"Invoke-AzRestMethod -Method PATCH -Path {ps_quote(path)} -Payload {ps_quote(body)}"


def az_identity_create(sub: str, group: str, name: str, loc: str, tag_map: dict[str, str]) -> str:
    command = (
        f"az identity create --subscription {sh_quote(sub)} --resource-group {sh_quote(group)} "
        f"--name {sh_quote(name)} --location {sh_quote(loc)}"
    )
    if tag_map:
        command += " --tags " + " ".join(sh_quote(f"{k}={v}") for k, v in tag_map.items())
    return command


def ps_identity_create(sub: str, group: str, name: str, loc: str, tag_map: dict[str, str]) -> str:
    command = (
        f"New-AzUserAssignedIdentity -SubscriptionId {ps_quote(sub)} -ResourceGroupName {ps_quote(group)} "
        f"-Name {ps_quote(name)} -Location {ps_quote(loc)}"
    )
    if tag_map:
        command += " -Tag @{" + "; ".join(f"{ps_quote(k)}={ps_quote(v)}" for k, v in tag_map.items()) + "}"
    return command


def az_identity_delete(identity_id: str) -> str:
    return f"az identity delete --ids {sh_quote(identity_id)}"


def ps_identity_delete(sub: str, group: str, name: str) -> str:
    return (
        f"Remove-AzUserAssignedIdentity -SubscriptionId {ps_quote(sub)} -ResourceGroupName {ps_quote(group)} "
        f"-Name {ps_quote(name)}"
    )


def az_fic_create(sub: str, group: str, identity: str, fic: FederatedCredentialInput) -> str:
    return (
        f"az identity federated-credential create --subscription {sh_quote(sub)} --resource-group {sh_quote(group)} "
        f"--identity-name {sh_quote(identity)} --name {sh_quote(fic.name)} --issuer {sh_quote(fic.issuer)} "
        f"--subject {sh_quote(fic.subject)} --audiences {sh_quote(fic.audience)}"
    )


def ps_fic_create(sub: str, group: str, identity: str, fic: FederatedCredentialInput) -> str:
    return (
        f"New-AzFederatedIdentityCredential -SubscriptionId {ps_quote(sub)} -ResourceGroupName {ps_quote(group)} "
        f"-IdentityName {ps_quote(identity)} -Name {ps_quote(fic.name)} -Issuer {ps_quote(fic.issuer)} "
        f"-Subject {ps_quote(fic.subject)} -Audience {ps_quote(fic.audience)}"
    )


def az_fic_delete(sub: str, group: str, identity: str, name: str) -> str:
    return (
        f"az identity federated-credential delete --subscription {sh_quote(sub)} --resource-group {sh_quote(group)} "
        f"--identity-name {sh_quote(identity)} --name {sh_quote(name)} --yes"
    )


def ps_fic_delete(sub: str, group: str, identity: str, name: str) -> str:
    return (
        f"Remove-AzFederatedIdentityCredential -SubscriptionId {ps_quote(sub)} -ResourceGroupName {ps_quote(group)} "
        f"-IdentityName {ps_quote(identity)} -Name {ps_quote(name)}"
    )
