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

# --- Microsoft Entra directory roles ------------------------------------------------------------------------

# Directory role actions (``rolePermissions[].allowedResourceActions``) are ``namespace/entity[/property set]/verb``;
# ``allEntities``, ``allProperties`` and ``allTasks`` stand for any entity, property set and verb. A rule below is
# such an action (or a family of them, written with the same wildcards: a family of writes, its reads excluded);
# a role whose actions include one of them, or are included in one, is at the rule's level. Sources, besides the
# ones above: MS-ENTRA, Microsoft's "Microsoft Entra built-in roles" permissions reference (learn.microsoft.com),
# which describes each action; the built-in definitions in tui/data/entra-roles.json.

# A path to Global Administrator, or to rights beyond those granted. (action or family, what it lets the holder do)
CRITICAL_DIRECTORY_ACTIONS: tuple[tuple[str, str], ...] = (
    # change who may do what
    (
        "microsoft.directory/roleAssignments/allProperties/allTasks",
        "assigns any directory role, Global Administrator included",
    ),
    ("microsoft.directory/roleDefinitions/allProperties/allTasks", "widens custom directory roles already assigned"),
    (
        "microsoft.directory/directoryRoles/allProperties/allTasks",
        "adds members to any directory role (the directory roles API), Global Administrator included",
    ),
    (
        "microsoft.directory/scopedRoleMemberships/allProperties/allTasks",
        "assigns directory roles over administrative units",
    ),
    (
        "microsoft.directory/privilegedIdentityManagement/allProperties/allTasks",
        "assigns, activates and approves privileged directory roles and groups through PIM",
    ),
    # act as an application
    (
        "microsoft.directory/applications/credentials/update",
        "adds credentials to applications and acts as them, with their rights",
    ),
    (
        "microsoft.directory/servicePrincipals/credentials/update",
        "adds credentials to service principals and acts as them, with their rights",
    ),
    (
        "microsoft.directory/applications/owners/update",
        "makes itself owner of applications, adds credentials and acts as them",
    ),
    (
        "microsoft.directory/servicePrincipals/owners/update",
        "makes itself owner of service principals, adds credentials and acts as them",
    ),
    (
        "microsoft.directory/servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin",
        "consents to any permission for the whole tenant, Microsoft Graph's included",
    ),
    (
        "microsoft.directory/oAuth2PermissionGrants/allProperties/allTasks",
        "grants delegated permissions on behalf of every user",
    ),
    ("microsoft.directory/oAuth2PermissionGrants/create", "grants delegated permissions on behalf of every user"),
    (
        "microsoft.directory/oAuth2PermissionGrants/basic/update",
        "widens delegated permission grants made on behalf of every user",
    ),
    (
        "microsoft.directory/permissionGrantPolicies/allProperties/allTasks",
        "decides which permissions may be consented to, RoleManagement.ReadWrite.Directory included",
    ),
    (
        "microsoft.directory/entitlementManagement/allProperties/allTasks",
        "hands out access packages that grant groups and roles, without approval",
    ),
    (
        "microsoft.directory/administrativeUnits/allProperties/allTasks",
        "takes administrators out of restricted administrative units, so that their sign-in can be reset",
    ),
    (
        "microsoft.commerce.tenantRelationships/customerDelegatedAdminPrivileges/allProperties/allTasks",
        "manages the admin rights delegated to partners, whose users then act as administrators here",
    ),
    # take over users (sign in as them)
    (
        "microsoft.directory/users/password/update",
        "resets passwords of users (those who hold Azure, app or, for some "
        "roles, administrator rights) and signs in as them",
    ),
    (
        "microsoft.directory/users/authenticationMethods/allTasks",
        "adds sign-in methods (a Temporary Access Pass, a phone) to users and signs in as them",
    ),
    (
        "microsoft.directory/lifecycleWorkflows/workflows/allProperties/allTasks",
        "runs workflow tasks that issue Temporary Access Passes to users, and signs in as them",
    ),
    (
        "microsoft.directory/users/userPrincipalName/update",
        "renames users into dynamic groups that hold privileged rights",
    ),
    (
        "microsoft.directory/users/basic/update",
        "changes user attributes that decide dynamic group membership, and so privileged rights",
    ),
    ("microsoft.directory/users/disable", "disables accounts, administrators' included: decides who may sign in"),
    ("microsoft.directory/users/delete", "deletes accounts, administrators' included: decides who may sign in"),
    # group membership carries Azure, app and directory rights
    (
        "microsoft.directory/groups/members/update",
        "adds itself or a principal it controls to groups that hold privileged rights",
    ),
    (
        "microsoft.directory/groups/owners/update",
        "makes itself owner of groups that hold privileged rights, and adds members",
    ),
    (
        "microsoft.directory/groups/dynamicMembershipRule/update",
        "rewrites the rule of dynamic groups that hold privileged rights so that they include principals it controls",
    ),
    (
        "microsoft.directory/groups.security/members/update",
        "adds itself or a principal it controls to security groups that hold privileged rights",
    ),
    (
        "microsoft.directory/groups.security/owners/update",
        "makes itself owner of security groups that hold privileged rights, and adds members",
    ),
    (
        "microsoft.directory/groups.security/dynamicMembershipRule/update",
        "rewrites the rule of dynamic security groups that hold privileged rights",
    ),
    (
        "microsoft.directory/groups.unified/members/update",
        "adds itself or a principal it controls to Microsoft 365 groups, which can hold Azure and app rights",
    ),
    (
        "microsoft.directory/groups.unified/owners/update",
        "makes itself owner of Microsoft 365 groups, which can hold Azure and app rights, and adds members",
    ),
    (
        "microsoft.directory/groupsAssignableToRoles/allProperties/update",
        "changes role-assignable groups, whose members hold directory roles",
    ),
    # decide how everyone signs in
    (
        "microsoft.directory/conditionalAccessPolicies/allProperties/allTasks",
        "decides who may sign in at all: can "
        "lock out every administrator, break-glass accounts included, or drop MFA for the accounts it targets",
    ),
    (
        "microsoft.directory/userCredentialPolicies/allProperties/allTasks",
        "turns on weaker sign-in methods (e.g. Temporary Access Pass) for every user, administrators included",
    ),
    (
        "microsoft.directory/organization/strongAuthentication/allTasks",
        "changes the tenant's multi-factor authentication settings, administrators' included",
    ),
    (
        "microsoft.directory/domains/federation/update",
        "federates a domain with an identity provider it controls, and forges sign-ins for the domain's users",
    ),
    (
        "microsoft.directory/domains/federationConfiguration/allProperties/allTasks",
        "federates a domain with an identity provider it controls, and forges sign-ins for the domain's users",
    ),
    (
        "microsoft.directory/hybridAuthenticationPolicy/allProperties/allTasks",
        "changes pass-through authentication "
        "and seamless single sign-on, through which on-premises servers vouch for sign-ins",
    ),
    # run code where administrators sign in
    (
        "microsoft.intune/allEntities/allTasks",
        "deploys scripts and apps to Intune-managed devices, administrators' included, and takes their tokens",
    ),
    # (last: the roles that hold it hold a more telling rule above, but for Directory Writers and Identity Governance)
    (
        "microsoft.directory/servicePrincipals/appRoleAssignedTo/update",
        "grants app roles of any API to principals it controls, privileged application permissions included",
    ),
)

# Lateral movement: reads of secrets. (action, what it lets the holder do)
HIGH_DIRECTORY_ACTIONS: tuple[tuple[str, str], ...] = (
    (
        "microsoft.directory/bitlockerKeys/key/read",
        "reads BitLocker recovery keys, and so the disks of the devices they protect",
    ),
    ("microsoft.directory/deviceLocalCredentials/password/read", "reads devices' local administrator passwords (LAPS)"),
    (
        "microsoft.directory/servicePrincipals/getPasswordSingleSignOnCredentials",
        "reads the passwords stored for password-based single sign-on",
    ),
)

# What actions cannot tell: (prefix, level its writes stop at, reason, source checked). A write under one of these
# prefixes is judged by the entry, not by the generic rule (any other write is high: a directory role acts across the
# tenant, or across whole administrative units). The critical and high rules above still apply under every prefix.
DIRECTORY_EXCEPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("microsoft.azure.supportTickets/", "normal", "support tickets", "MS-ENTRA; AT tier 2 roles carry it"),
    ("microsoft.office365.supportTickets/", "normal", "support tickets", "MS-ENTRA; AT tier 2 roles carry it"),
    ("microsoft.azure.serviceHealth/", "normal", "service health notices", "MS-ENTRA; Global Reader carries it"),
    ("microsoft.office365.serviceHealth/", "normal", "service health notices", "MS-ENTRA; Global Reader carries it"),
    ("microsoft.office365.messageCenter/", "normal", "Message center posts", "AT: Message Center Reader tier 2"),
    (
        "microsoft.directory/serviceAction/getAvailableExtentionProperties",
        "normal",
        "lists the directory extension properties that exist, a read",
        "MS-ENTRA (Global Reader, Directory Readers)",
    ),
    (
        "microsoft.commerce.billing/",
        "normal",
        "billing and purchases: money, not rights",
        "AT: Billing Administrator tier 1; mitui files Azure billing normal too",
    ),
    (
        "microsoft.hardware.support/",
        "normal",
        "hardware warranty claims and shipping addresses",
        "AT: Microsoft Hardware Warranty Administrator tier 2",
    ),
    (
        "microsoft.directory/loginOrganizationBranding/",
        "normal",
        "the sign-in page's branding",
        "AT: Organizational Branding Administrator tier 2",
    ),
    (
        "microsoft.office365.search/",
        "normal",
        "Microsoft Search answers and settings; results still follow each user's access",
        "AT: Search Administrator and Search Editor tier 2",
    ),
    (
        "microsoft.office365.network/",
        "normal",
        "network locations for Microsoft 365 connectivity",
        "AT: Network Administrator tier 2",
    ),
    ("microsoft.azure.print/", "normal", "printers and their settings", "AT: Printer Administrator tier 2"),
    (
        "microsoft.office365.desktopAnalytics/",
        "normal",
        "Desktop Analytics settings",
        "AT: Desktop Analytics Administrator tier 2",
    ),
    ("microsoft.office365.usageReports/", "normal", "usage reports", "AT: Reports Reader tier 2"),
    ("microsoft.office365.webPortal/", "normal", "the Microsoft 365 admin center's settings pages", "MS-ENTRA"),
    ("microsoft.office365.userCommunication/", "normal", "what's-new messages shown to users", "MS-ENTRA"),
    (
        "microsoft.office365.lockbox/",
        "normal",
        "approves Microsoft engineers' access requests, not its own access",
        "AT: Customer LockBox Access Approver tier 2",
    ),
    (
        "microsoft.insights/",
        "normal",
        "Viva Insights programs and queries over aggregated, de-identified data",
        "AT: Insights Administrator and Insights Business Leader tier 2",
    ),
    ("microsoft.viva.goals/", "normal", "Viva Goals settings", "AT: Viva Goals Administrator tier 1"),
    ("microsoft.viva.pulse/", "normal", "Viva Pulse settings", "AT: Viva Pulse Administrator tier 2"),
    ("microsoft.virtualVisits/", "normal", "Virtual Appointments settings", "AT: Virtual Visits Administrator tier 2"),
    ("microsoft.places/", "normal", "Microsoft Places buildings and desks", "AT: Places Administrator tier 1"),
    ("microsoft.people/users/photo/", "normal", "profile photos", "MS-ENTRA"),
    ("microsoft.directory/users/photo/", "normal", "profile photos", "MS-ENTRA"),
    ("microsoft.directory/contacts/", "normal", "mail contacts, which hold no rights", "MS-ENTRA"),
)
