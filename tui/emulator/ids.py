"""The ids and type names the sandbox tenant shares with Azure, in one place: well-known application and tenant ids,
and the ARM resource types that its routes, shapes and tenants speak of."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

# --- well-known ids ----------------------------------------------------------------------------------------------
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
MICROSOFT_SERVICES_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # the owner of Microsoft's first-party apps
MANAGED_IDENTITY_SPN_PREFIX = "https://identity.azure.net/"

# --- resource types that ARM's routes serve ----------------------------------------------------------------------
RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups"
UAMI_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
SYSTEM_IDENTITY_TYPE = "Microsoft.ManagedIdentity/Identities"
RA_TYPE = "Microsoft.Authorization/roleAssignments"
RD_TYPE = "Microsoft.Authorization/roleDefinitions"

# --- resource types the tenants hold -----------------------------------------------------------------------------
AUTOMATION = "Microsoft.Automation/automationAccounts"
RUNBOOK = "Microsoft.Automation/automationAccounts/runbooks"
SITES = "Microsoft.Web/sites"
PLAN = "Microsoft.Web/serverFarms"
LOGIC = "Microsoft.Logic/workflows"
VM = "Microsoft.Compute/virtualMachines"
VMSS = "Microsoft.Compute/virtualMachineScaleSets"
AKS = "Microsoft.ContainerService/managedClusters"
ACR = "Microsoft.ContainerRegistry/registries"
VAULT = "Microsoft.KeyVault/vaults"
STORAGE = "Microsoft.Storage/storageAccounts"
SQL = "Microsoft.Sql/servers"
SQLDB = "Microsoft.Sql/servers/databases"
VNET = "Microsoft.Network/virtualNetworks"
LAW = "Microsoft.OperationalInsights/workspaces"
RSV = "Microsoft.RecoveryServices/vaults"
DATA_FACTORY = "Microsoft.DataFactory/factories"
CONTAINER_APP = "Microsoft.App/containerApps"


# --- ids as Azure forms them -------------------------------------------------------------------------------------
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def is_guid(value: object) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


def seeded_guid(seed: str) -> str:
    """``tenant.new_guid(seed)`` (a UUID5), computed without building UUID objects: builders draw tens of
    thousands of ids."""
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + ("mitui-sandbox:" + seed).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def app_role_assignment_id(principal_id: str, entropy: bytes) -> str:
    """Graph's opaque 43-character appRoleAssignment id: base64url of the principal id's bytes (little-endian,
    as Graph does) followed by 16 more bytes, without padding."""
    raw = uuid.UUID(principal_id).bytes_le + entropy[:16]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def directory_role_assignment_id(role_definition_id: str, principal_id: str) -> str:
    """Graph's id of a tenant-wide directory role assignment: the role's and the principal's GUIDs (little-endian
    bytes) in unpadded base64url, then ``-1`` (e.g. ``lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1`` is Global
    Administrator 62e90394-... held by ace08ec9-..., api-reference/v1.0/api/rbacapplication-list-roleassignments.md)."""
    raw = uuid.UUID(role_definition_id).bytes_le + uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "-1"
