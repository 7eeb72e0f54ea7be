"""The rule tables of :mod:`tui.services.privilege`, data only, each entry in our own words.

Every entry names what the right lets its holder do. The engine reads these tables; the principles they
follow are written in :mod:`tui.services.privilege`'s docstring. Sources the entries were checked against:

* MS-RBAC: Microsoft's built-in role and resource provider operation lists (learn.microsoft.com, "Azure
  built-in roles" and "Azure permissions"), and the built-in role definitions shipped in the emulator;
* MS-PRIV: Microsoft's "privileged" built-in role category (the Privileged administrator roles tab);
* AT: emiliensocchi/azure-tiering (https://github.com/emiliensocchi/azure-tiering, commit 5edc675, GPL-3.0;
  read as a reference, nothing copied, see NOTICE): attack-path tiers for Azure roles and Microsoft Graph
  application permissions, with the shortest path of each. ``scripts/compare_tiering.py`` measures agreement;
* GRAPH-PL: Microsoft Graph's own ``privilegeLevel`` of each permission (tui/data/app-role-privilege.json);
* ENTRAOPS: Cloud-Architekt/EntraOps' classification of app roles (tier 0 = control plane).
"""

from __future__ import annotations

# --- Azure control plane ------------------------------------------------------------------------------------

# Operations that open a path to rights beyond those granted. (operation, what it lets the holder do)
CRITICAL_ACTIONS: tuple[tuple[str, str], ...] = (
    # change who may do what
    ("Microsoft.Authorization/roleAssignments/write", "assigns any role, Owner included, to anyone"),
    ("Microsoft.Authorization/roleDefinitions/write", "widens roles that are already assigned"),
    ("Microsoft.Authorization/elevateAccess/action", "makes a Global Administrator owner of every subscription"),
    (
        "Microsoft.Authorization/policyDefinitions/write",
        "rewrites policies whose remediation deploys as the assignment's managed identity",
    ),
    (
        "Microsoft.Authorization/policySetDefinitions/write",
        "rewrites policy initiatives whose remediation deploys as the assignment's managed identity",
    ),
    # run code or deploy as a managed identity
    ("Microsoft.Compute/virtualMachines/runCommand/action", "runs code as the identities of the VMs in scope"),
    ("Microsoft.Compute/virtualMachines/runCommands/write", "runs code as the identities of the VMs in scope"),
    (
        "Microsoft.Compute/virtualMachines/extensions/write",
        "installs VM extensions (e.g. Custom Script) that run code as the VMs' identities",
    ),
    (
        "Microsoft.Compute/virtualMachineScaleSets/extensions/write",
        "installs extensions that run code as the scale sets' identities",
    ),
    (
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action",
        "runs code as the identities of the scale sets in scope",
    ),
    (
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write",
        "runs code as the identities of the scale sets in scope",
    ),
    (
        "Microsoft.HybridCompute/machines/extensions/write",
        "installs extensions that run code on Arc machines, as their identities",
    ),
    ("Microsoft.HybridCompute/machines/runCommands/write", "runs code on Arc machines, as their identities"),
    (
        "Microsoft.Automation/automationAccounts/runbooks/write",
        "writes runbooks that run as the Automation account's identity",
    ),
    (
        "Microsoft.Automation/automationAccounts/runbooks/draft/write",
        "writes runbooks that run as the Automation account's identity",
    ),
    (
        "Microsoft.Automation/automationAccounts/modules/write",
        "imports modules whose code runs inside every runbook, as the account's identity",
    ),
    (
        "Microsoft.Automation/automationAccounts/sourceControls/write",
        "syncs runbooks from a repository the holder chooses; they run as the account's identity",
    ),
    (
        "Microsoft.Web/sites/write",
        "changes web and function apps (startup command, settings), which run as their identities",
    ),
    (
        "Microsoft.Web/sites/config/write",
        "changes app settings and startup of web and function apps, which run as their identities",
    ),
    (
        "Microsoft.Web/sites/config/list/action",
        "reads app settings and publishing credentials, enough to deploy code that runs as the app's identity",
    ),
    (
        "Microsoft.Web/sites/publishxml/action",
        "downloads the publishing profile and deploys code that runs as the app's identity",
    ),
    ("Microsoft.Web/sites/publish/action", "deploys code to web and function apps, run as their identities"),
    ("Microsoft.Web/sites/slots/publish/action", "deploys code to deployment slots, run as the app's identity"),
    (
        "Microsoft.Web/sites/sourcecontrols/write",
        "deploys code from a repository the holder chooses, run as the app's identity",
    ),
    (
        "Microsoft.Web/sites/extensions/write",
        "deploys site extensions (and code) that run as the app's identity",
    ),
    ("Microsoft.Web/sites/functions/write", "deploys functions that run as the function app's identity"),
    ("Microsoft.Web/sites/slots/write", "changes deployment slots, which run as the app's identity"),
    ("Microsoft.Web/sites/slots/config/write", "changes slot settings and startup, run as the app's identity"),
    (
        "Microsoft.Logic/workflows/write",
        "writes Logic App workflows that call any API as the workflow's identity",
    ),
    (
        "Microsoft.App/containerApps/write",
        "deploys container images that run as the container app's identity",
    ),
    ("Microsoft.App/jobs/write", "deploys container jobs that run as the job's identity"),
    (
        "Microsoft.App/containerApps/getAuthToken/action",
        "opens a console in the container app's replicas, which hold its identity",
    ),
    (
        "Microsoft.ContainerInstance/containerGroups/write",
        "deploys containers that run as the container group's identity",
    ),
    (
        "Microsoft.ContainerInstance/containerGroups/containers/exec/action",
        "runs commands inside containers, as the container group's identity",
    ),
    (
        "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
        "gets the cluster-admin kubeconfig: any workload, any secret, the cluster's identities",
    ),
    (
        "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
        "gets the user kubeconfig; on clusters with local accounts it is cluster-admin",
    ),
    (
        "Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
        "gets cluster-admin kubeconfigs through access profiles",
    ),
    (
        "Microsoft.ContainerService/managedClusters/runCommand/action",
        "runs commands in the cluster as cluster-admin",
    ),
    (
        "Microsoft.ContainerService/managedClusters/write",
        "changes the cluster's sign-in (local accounts, Kubernetes RBAC) and its identities",
    ),
    (
        "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write",
        "binds Azure services the holder controls to the cluster's trusted-access roles",
    ),
    ("Microsoft.Batch/batchAccounts/pools/write", "defines Batch pools whose start tasks run as the pool's identity"),
    (
        "Microsoft.MachineLearningServices/workspaces/jobs/write",
        "submits machine-learning jobs that run as the compute's identity",
    ),
    (
        "Microsoft.DataFactory/factories/pipelines/write",
        "writes pipelines whose activities call any API as the factory's identity",
    ),
    (
        "Microsoft.DesktopVirtualization/hostpools/retrieveRegistrationToken/action",
        "registers machines the holder controls as session hosts, where users sign in and leave their tokens",
    ),
    (
        "Microsoft.DesktopVirtualization/applicationgroups/applications/write",
        "publishes programs that users start on session hosts, as themselves",
    ),
    # take over an identity
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
        "attaches user-assigned identities to compute the holder controls, and acts as them",
    ),
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
        "trusts an outside token issuer for the identity, and signs in as it",
    ),
)

# Operations that allow lateral movement (secrets, keys, data) but no new rights by themselves.
HIGH_ACTIONS: tuple[tuple[str, str], ...] = (
    (
        "Microsoft.KeyVault/vaults/write",
        "changes a vault's access policies, and so reads its secrets, keys and certificates",
    ),
    (
        "Microsoft.KeyVault/vaults/accessPolicies/write",
        "grants itself access to a vault's secrets, keys and certificates",
    ),
    (
        "Microsoft.ContainerRegistry/registries/push/write",
        "pushes images that compute pulls and runs, as its identities, when it next deploys",
    ),
    (
        "Microsoft.Storage/storageAccounts/objectReplicationPolicies/write",
        "replicates blobs to another storage account, one the holder may read",
    ),
    (
        "Microsoft.Solutions/applications/listTokens/action",
        "gets access tokens of managed applications' identities",
    ),
    (
        "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/"
        "provisionInstantItemRecovery/action",
        "mounts backups of VMs and reads their files",
    ),
    (
        "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/"
        "restore/action",
        "restores backups where the holder can read them",
    ),
    ("Microsoft.Compute/disks/beginGetAccess/action", "downloads managed disks and reads their files"),
    ("Microsoft.Compute/snapshots/beginGetAccess/action", "downloads disk snapshots and reads their files"),
    (
        "Microsoft.Automation/automationAccounts/jobs/write",
        "starts existing runbooks, which run as the account's identity (their code decides what they do)",
    ),
    (
        "Microsoft.Automation/automationAccounts/webhooks/write",
        "creates webhooks that start existing runbooks as the account's identity",
    ),
    (
        "Microsoft.Logic/workflows/triggers/run/action",
        "runs existing workflows, which act as the workflow's identity",
    ),
    (
        "Microsoft.Authorization/policyAssignments/write",
        "assigns policies, whose remediation runs as the identity the assignment names",
    ),
    (
        "Microsoft.PolicyInsights/remediations/write",
        "starts policy remediations, which deploy as the assignment's identity",
    ),
)

# An operation whose verb names one of these (after "list", "get", "regenerate", ...) hands out a secret:
# listKeys, listSecrets, listCredentials, listConnectionStrings, regenerateKey, listAccountSas, ...
SECRET_WORDS: tuple[str, ...] = (
    "key",
    "secret",
    "credential",
    "connectionstring",
    "password",
    "sas",
    "token",
    "callbackurl",
    "publishingprofile",
)

# Resource types that are operation status or region metadata; wildcards over them are harmless.
METADATA_TYPES: frozenset[str] = frozenset({"locations", "operationresults", "operationstatuses", "operations"})

# --- data planes --------------------------------------------------------------------------------------------

# Data actions that open a path to rights beyond those granted. (data action, what it lets the holder do)
CRITICAL_DATA_ACTIONS: tuple[tuple[str, str], ...] = (
    (
        "Microsoft.Compute/virtualMachines/loginAsAdmin/action",
        "signs in to the VMs in scope as administrator, and so acts as their identities",
    ),
    (
        "Microsoft.Compute/virtualMachines/login/action",
        "signs in to the VMs in scope, and so requests tokens as their identities",
    ),
    ("Microsoft.HybridCompute/machines/login/action", "signs in to Arc machines, and acts as their identities"),
    ("Microsoft.HybridCompute/machines/loginAsAdmin/action", "signs in to Arc machines as administrator"),
    ("Microsoft.App/containerApps/exec/action", "runs commands in the container app, as its identity"),
)
# Kubernetes (AKS, fleets, Arc clusters): writing these runs workloads (as the cluster's identities) or
# changes who may do what inside the cluster.
KUBERNETES_DATA_PREFIXES: tuple[str, ...] = (
    "Microsoft.ContainerService/managedClusters/",
    "Microsoft.ContainerService/fleets/",
    "Microsoft.Kubernetes/connectedClusters/",
)
KUBERNETES_CRITICAL: tuple[tuple[str, str], ...] = (
    ("pods/write", "starts pods, which run as the cluster's workload and node identities"),
    ("pods/exec/action", "runs commands in pods, as their identities"),
    ("apps/deployments/write", "deploys workloads, which run as the cluster's workload and node identities"),
    ("apps/daemonsets/write", "runs a workload on every node, with the node's identity"),
    ("batch/jobs/write", "runs jobs, which run as the cluster's workload and node identities"),
    ("serviceaccounts/impersonate/action", "acts as any service account of the cluster"),
    ("rbac.authorization.k8s.io/clusterrolebindings/write", "grants itself cluster-admin"),
    ("rbac.authorization.k8s.io/rolebindings/write", "grants itself any role in a namespace"),
)

# Data actions that read secrets or sensitive content, probed first so that a wildcard (e.g. Key Vault
# Administrator's "Microsoft.KeyVault/vaults/*") is named by what it reads.
HIGH_DATA_ACTIONS: tuple[tuple[str, str], ...] = (
    ("Microsoft.KeyVault/vaults/secrets/getSecret/action", "reads Key Vault secrets"),
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", "reads blobs, which may hold any data"),
    ("Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read", "reads file shares"),
    ("Microsoft.ServiceBus/namespaces/messages/receive/action", "receives Service Bus messages"),
    ("Microsoft.EventHub/namespaces/messages/receive/action", "receives Event Hubs events"),
    ("Microsoft.ContainerService/managedClusters/secrets/read", "reads Kubernetes secrets"),
    ("Microsoft.AppConfiguration/configurationStores/keyValues/read", "reads configuration values"),
    (
        "Microsoft.Dashboard/grafana/ActAsGrafanaAdmin/action",
        "administers Grafana, whose data sources hold credentials to other services",
    ),
)

# Data planes whose content is sensitive: reading it is high. (prefix, the verb that reads there, or "" for
# any read; what a read lets the holder do)
SENSITIVE_READ_DATA: tuple[tuple[str, str, str], ...] = (
    ("Microsoft.KeyVault/vaults/secrets/", "getsecret", "reads Key Vault secrets"),
    ("Microsoft.KeyVault/vaults/certificates/", "", "reads certificates (their keys live as secrets)"),
    ("Microsoft.Storage/storageAccounts/blobServices/", "", "reads blobs, which may hold any data"),
    ("Microsoft.Storage/storageAccounts/fileServices/", "", "reads file shares, which may hold any data"),
    ("Microsoft.Storage/storageAccounts/queueServices/", "", "reads queue messages"),
    ("Microsoft.Storage/storageAccounts/tableServices/", "", "reads table data"),
    ("Microsoft.DocumentDB/", "", "reads Cosmos DB and Garnet cache data"),
    ("Microsoft.ServiceBus/", "receive", "receives Service Bus messages"),
    ("Microsoft.EventHub/", "receive", "receives Event Hubs events"),
    ("Microsoft.Relay/", "listen", "listens on relays"),
    ("Microsoft.AppConfiguration/", "", "reads configuration values, often connection strings"),
    ("Microsoft.ContainerService/managedClusters/secrets/", "", "reads Kubernetes secrets"),
    ("Microsoft.ContainerService/fleets/secrets/", "", "reads Kubernetes secrets"),
    ("Microsoft.Kubernetes/connectedClusters/secrets/", "", "reads Kubernetes secrets"),
)
# A data action whose verb holds one of these words changes something (e.g. "send", "upload", "runAsSuperUser",
# "setSecret"); a verb with none of them and no read word only uses the service (e.g. "analyze", "logstream").
WRITE_WORDS: tuple[str, ...] = (
    "write",
    "delete",
    "send",
    "publish",
    "upload",
    "import",
    "ingest",
    "add",
    "update",
    "move",
    "exec",
    "run",
    "set",
    "take",
    "modify",
    "approve",
    "issue",
    "script",
    "debug",
    "manage",
    "editor",
    "stop",
    "start",
    "purge",
    "restore",
    "create",
    "grant",
)

# --- the reviewed exceptions: what actions cannot tell ------------------------------------------------------

# (prefix, level it stops at, reason, source checked). A broad wildcard or a data action under one of these
# prefixes is judged by the entry, not by the generic rule. Critical probes still apply under every prefix.
EXCEPTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Microsoft.Resources/deployments/",
        "normal",
        "template deployments run with the caller's own rights, resource by resource",
        "MS-RBAC (deployments need the resources' own write); AT tier 3 roles carry it",
    ),
    (
        "Microsoft.Resources/subscriptions/resourceGroups/deployments/",
        "normal",
        "template deployments run with the caller's own rights, resource by resource",
        "MS-RBAC",
    ),
    ("Microsoft.Support/", "normal", "support tickets", "MS-RBAC; AT: Support Request Contributor tier 3"),
    ("Microsoft.Insights/alertRules/", "normal", "classic alert rules", "MS-RBAC; AT tier 3 roles carry it"),
    ("Microsoft.Insights/metricAlerts/", "normal", "metric alerts", "MS-RBAC"),
    ("Microsoft.Insights/activityLogAlerts/", "normal", "activity log alerts", "MS-RBAC"),
    ("Microsoft.Insights/workbooks/", "normal", "monitoring workbooks", "AT: Workbook Contributor tier 2"),
    ("Microsoft.Insights/metricDefinitions/", "normal", "metric definitions", "MS-RBAC"),
    ("Microsoft.Insights/logDefinitions/", "normal", "log definitions", "MS-RBAC"),
    (
        "Microsoft.Insights/Metrics/",
        "normal",
        "publishes or reads metrics, not data",
        "AT: Monitoring Metrics Publisher tier 3",
    ),
    (
        "Microsoft.ContainerService/fleets/listCredentials/",
        "normal",
        "the fleet hub's kubeconfig holds no secret: sign-in goes through Entra ID and the hub's own RBAC",
        "Microsoft's Azure Kubernetes Fleet Manager access docs (hub clusters are Entra-integrated)",
    ),
    (
        "Microsoft.Insights/Telemetry/",
        "normal",
        "publishes telemetry, not data others act on",
        "AT: Monitoring Metrics Publisher tier 3",
    ),
    (
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/",
        "normal",
        "messages, disconnects and signs out user sessions",
        "AT: Desktop Virtualization User Session Operator tier 3",
    ),
    ("Microsoft.AlertsManagement/", "normal", "alert state and rules", "MS-RBAC"),
    ("Microsoft.CostManagement/", "normal", "cost views, budgets and exports", "AT: Cost Management roles tier 3"),
    ("Microsoft.Consumption/", "normal", "usage and budgets", "AT: Cost Management roles tier 3"),
    ("Microsoft.Billing/", "normal", "billing", "AT: Billing Reader tier 3"),
    ("Microsoft.Capacity/", "normal", "reservations", "AT: Reservation Purchaser tier 3"),
    ("Microsoft.Advisor/", "normal", "advisor recommendations", "MS-RBAC"),
    ("Microsoft.ResourceHealth/", "normal", "resource health", "MS-RBAC"),
    ("Microsoft.Resources/tags/", "normal", "tags", "AT: Tag Contributor tier 3"),
    (
        "Microsoft.Blueprint/",
        "normal",
        "blueprints deploy as an identity that must already hold the rights; the service is retired",
        "AT: Blueprint Contributor and Operator tier 3; Microsoft's Blueprints retirement notice (July 2026)",
    ),
    (
        "Microsoft.KeyVault/vaults/keys/",
        "normal",
        "uses keys for cryptography; key material never leaves the vault (release needs an attested host)",
        "AT: Key Vault Crypto Officer and Crypto User tier 3; Key Vault key release docs",
    ),
    (
        "Microsoft.KeyVault/vaults/keyrotationpolicies/",
        "normal",
        "sets when keys rotate; key material never leaves the vault",
        "AT: Key Vault Crypto Officer tier 3",
    ),
    (
        "Microsoft.KeyVault/vaults/secrets/readMetadata/",
        "normal",
        "lists secret names and attributes, not their values",
        "AT: Key Vault Reader tier 3",
    ),
    (
        "Microsoft.Maps/",
        "normal",
        "Azure Maps data: maps, routes, geolocation of public data",
        "MS-RBAC (Azure Maps Data Reader)",
    ),
)

# --- app roles (Microsoft Graph application permissions) ----------------------------------------------------

# Permissions with a path to Global Administrator (or to taking over the tenant), with the path.
# Checked against AT (tier 0, with its shortest paths) and GRAPH-PL.
ESCALATION_APP_ROLES: dict[str, str] = {
    "RoleManagement.ReadWrite.Directory": "assigns any directory role, Global Administrator included",
    "AppRoleAssignment.ReadWrite.All": "grants any app role, RoleManagement.ReadWrite.Directory to itself included",
    "Application.ReadWrite.All": "adds credentials to any application and acts as it",
    "Application.ReadUpdate.All": "adds credentials to any application and acts as it",
    "Application.ReadWrite.OwnedBy": "adds credentials to the applications it owns, often privileged ones",
    "Directory.ReadWrite.All": "joins groups that hold privileged Azure or app rights, and changes most objects",
    "Group.ReadWrite.All": "adds itself or a user it controls to groups that hold privileged rights",
    "GroupMember.ReadWrite.All": "adds itself or a user it controls to groups that hold privileged rights",
    "User.ReadWrite.All": "changes user attributes that decide dynamic group membership, and so privileged rights",
    "User-PasswordProfile.ReadWrite.All": "resets passwords of users who hold privileged rights",
    "SignInIdentifier.ReadWrite.All": "renames users into dynamic groups that hold privileged rights",
    "AdministrativeUnit.ReadWrite.All": "takes administrators out of restricted administrative units, "
    "so their passwords can be reset",
    "ServicePrincipalEndpoint.ReadWrite.All": "redirects service principal endpoints",
    "DelegatedPermissionGrant.ReadWrite.All": "consents any delegated permission for every user",
    "DelegatedAdminRelationship.ReadWrite.All": "adds users to groups that partner (GDAP) relationships trust",
    "Policy.ReadWrite.PermissionGrant": "allows consent to any permission, RoleManagement included",
    "Policy.ReadWrite.ConditionalAccess": "decides who may sign in at all: can lock out every administrator, "
    "break-glass accounts included, or drop MFA for the accounts it targets",
    "Policy.ReadWrite.AuthenticationMethod": "turns on weaker sign-in methods (e.g. Temporary Access Pass) "
    "for every user, administrators included",
    "Organization.ReadWrite.All": "uploads a trusted root certificate and signs in as any user with it",
    "Domain.ReadWrite.All": "federates a domain and forges sign-ins for its users",
    "Domain-InternalFederation.ReadWrite.All": "changes a domain's federation and forges sign-ins",
    "EntitlementManagement.ReadWrite.All": "hands out access packages that grant privileged roles, without approval",
    "PrivilegedAccess.ReadWrite.AzureAD": "activates or assigns privileged directory roles (PIM, legacy)",
    "PrivilegedAccess.ReadWrite.AzureADGroup": "assigns membership of groups that hold privileged roles (PIM)",
    "PrivilegedAccess.ReadWrite.AzureResources": "activates or assigns privileged Azure roles (PIM, legacy)",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup": "assigns membership of groups that hold privileged roles",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup": "makes anyone eligible for groups that hold privileged "
    "roles",
    "RoleAssignmentSchedule.ReadWrite.Directory": "assigns any directory role through PIM",
    "RoleEligibilitySchedule.ReadWrite.Directory": "makes anyone eligible for any directory role",
    "RoleManagementPolicy.ReadWrite.Directory": "removes approval and MFA from directory role activation",
    "RoleManagementPolicy.ReadWrite.AzureADGroup": "removes approval and MFA from privileged group activation",
    "UserAuthenticationMethod.ReadWrite.All": "adds a sign-in method (e.g. a Temporary Access Pass) to any admin",
    "UserAuthMethod-TAP.ReadWrite.All": "issues a Temporary Access Pass to any admin and signs in as them",
    "UserAuthMethod-HardwareOATH.ReadWrite.All": "adds a hardware token to any admin and signs in as them",
    "UserAuthMethod-Phone.ReadWrite.All": "sets any admin's phone for SMS sign-in and signs in as them",
    "UserAuthMethod-QR.ReadWrite.All": "issues a QR code and PIN to any admin and signs in as them",
    "DeviceManagementRBAC.ReadWrite.All": "grants Intune roles that run scripts on administrators' devices",
    "DeviceManagementScripts.ReadWrite.All": "runs scripts on administrators' Intune-managed devices, "
    "and steals their tokens",
    "DeviceManagementConfiguration.ReadWrite.All": "runs scripts on administrators' Intune-managed devices, "
    "and steals their tokens",
    "SecurityIdentitiesActions.ReadWrite.All": "marks users compromised or disables them, administrators included",
    "User.EnableDisableAccount.All": "disables every account, administrators included: decides who may sign in",
    "User.DeleteRestore.All": "deletes every account, administrators included: decides who may sign in",
}

# Reading these families exposes content or credentials (mail, files, chats, recordings, recovery keys, local
# administrator passwords): high, though Microsoft may rate some of them below 4. Checked against AT tier 1.
SENSITIVE_GRAPH_READS: tuple[str, ...] = (
    "Mail",
    "MailboxItem",
    "MailboxFolder",
    "Files",
    "Sites",
    "Chat",
    "ChannelMessage",
    "Notes",
    "ShortNotes",
    "OnlineMeetingTranscript",
    "OnlineMeetingRecording",
    "OnlineMeetingAiInsight",
    "CallRecordings",
    "CallTranscripts",
    "CallAiInsights",
    "BitlockerKey",
    "DeviceLocalCredential",
    "Group-Conversation",
    "EngagementConversation",
    "EngagementMeetingConversation",
    "AiEnterpriseInteraction",
    "PrintJob",
)
# ... but their "ReadBasic" variants leave the content out (no key, no password, no message): not sensitive.
BASIC_READS_WITHOUT_CONTENT: frozenset[str] = frozenset({"BitlockerKey", "DeviceLocalCredential", "Chat"})
