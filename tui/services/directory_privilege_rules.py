"""The rule tables for Microsoft Entra directory roles, read by :mod:`tui.services.privilege` (data only, each entry in
our own words): the Azure and app-role tables are in :mod:`tui.services.privilege_rules`, whose docstring lists the
sources named here (MS-PRIV, AT, ...)."""

from __future__ import annotations

# Directory role actions (``rolePermissions[].allowedResourceActions``) are ``namespace/entity[/property set]/verb``;
# ``allEntities``, ``allProperties`` and ``allTasks`` stand for any entity, property set and verb. A rule below is
# such an action (or a family of them, written with the same wildcards: a family of writes, its reads excluded);
# a role whose actions include one of them, or are included in one, is at the rule's level. Sources, besides those of
# privilege_rules: MS-ENTRA, Microsoft's "Microsoft Entra built-in roles" permissions reference (learn.microsoft.com),
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
