"""The ids and type names the sandbox tenant shares with Azure, in one place: well-known application and tenant ids,
and the ARM resource types that its routes, shapes and tenants speak of."""

from __future__ import annotations

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
