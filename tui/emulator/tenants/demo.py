"""The built-in demo tenant: Contoso, a mid-sized company with a few years of Azure behind it.

Deterministic: every call builds the same tenant with the same ids. Tests and screens must read the truth
from the returned :class:`~tui.emulator.tenant.Tenant`; the table below is a guide for people.

Signed-in admin: **Alex Admin** (alex.admin@contoso.onmicrosoft.com), Entra directory role *Privileged Role
Administrator* (may grant Graph app roles). A second user, **Dana Developer**, holds no directory role.

Subscriptions, with Alex's Azure role there and what they hold:

* **Contoso Production**: Owner (subscription). Automation accounts aa-ops-prod and aa-identity-sync with
  runbooks, web/function/logic apps, a batch VM, AKS (and its node resource group), Key Vault, Storage, SQL,
  a container registry; most user-assigned identities (rg-identities-prod).
  aa-app-inventory (no identity yet) has a runbook that is not ready to run (tenants/demo_automation.py).
* **Contoso Development**: User Access Administrator (subscription). Dev apps, build VM, aa-dev (which is
  Owner of the subscription!), a dev Key Vault, id-dev-ci and id-dev-tests.
* **Contoso Shared Services**: Reader (subscription). Patching automation, hub network, a domain controller
  VM, Log Analytics, a backup vault with id-backup-operator.
* **Contoso Finance**: no role at all (invisible in ARM; its identities show only through Graph).
  func-payroll-export, id-finance-reporting.

User-assigned identities (rg-identities-prod unless said): **id-orders-shared** (shared by app-orders-prod,
func-orders-processor and vm-batch-prod-01), **id-github-deploy** (federated credentials for GitHub Actions
``contoso/orders-service``: branch main and environment production), **id-hr-onboarding** (on
logic-hr-onboarding), **id-aks-prod-controlplane** (on aks-contoso-prod), **aks-contoso-prod-agentpool** (in the
AKS node resource group, on the node pool VMSS), **id-legacy-unused** (attached to nothing), **id-dev-ci**
(Development; federated credential for an Azure DevOps pipeline), **id-dev-tests** (Development),
**id-backup-operator** (Shared Services), **id-finance-reporting** (Finance).

Graph app role grants, among them high-privilege ones: aa-ops-prod holds RoleManagement.ReadWrite.Directory,
AppRoleAssignment.ReadWrite.All and Application.Read.All; aa-identity-sync User.ReadWrite.All,
Group.ReadWrite.All, Directory.Read.All;
func-invoice-mailer Mail.Send; id-hr-onboarding User.Read.All and Contoso HR API Employees.Read.All;
func-payroll-export Contoso HR API Payroll.Export; id-dev-ci Application.Read.All; aa-shared-patching
Device.Read.All; the app "Contoso Reporting Service" User.Read.All and HR API Reports.Read.

Azure role assignments at subscription, resource-group and resource scope; the custom role **Contoso Runbook
Operator**; two orphaned role assignments, left behind by the deleted Function App ``func-legacy-reports``
(Storage Blob Data Reader on stcontosoprod01) and the deleted identity ``id-old-migration`` (Contributor on
Contoso Development). App registrations: Contoso HR API, Contoso Orders API (resource apps with their own app
roles) and Contoso Reporting Service (a client).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.emulator.builder import TenantBuilder, format_time
from tui.emulator.catalog import CONTOSO_HR_API_ROLES, CONTOSO_ORDERS_API_ROLES
from tui.emulator.ids import (
    ACR,
    AKS,
    AUTOMATION,
    LAW,
    LOGIC,
    PLAN,
    RSV,
    RUNBOOK,
    SITES,
    SQL,
    SQLDB,
    STORAGE,
    VAULT,
    VM,
    VMSS,
    VNET,
)
from tui.emulator.tenant import Resource, ResourceGroup, Subscription, Tenant, remove_resource
from tui.emulator.tenants.demo_automation import add_demo_automation
from tui.emulator.tenants.demo_history import add_demo_history

DEMO_SEED = "contoso-demo"


GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def _tags(env: str, owner: str, cost_center: str) -> dict[str, str]:
    return {"env": env, "owner": owner, "costCenter": cost_center}


def build_demo_tenant() -> Tenant:
    b = TenantBuilder(seed=DEMO_SEED)
    graph = b.graph_sp

    alex = b.add_user(
        "Alex Admin",
        "alex.admin@contoso.onmicrosoft.com",
        directory_roles=["Privileged Role Administrator"],
        admin=True,
    )
    dana = b.add_user("Dana Developer", "dana.developer@contoso.onmicrosoft.com")

    hr_api = b.add_application("Contoso HR API", CONTOSO_HR_API_ROLES, identifier_uri="api://contoso-hr")
    orders_api = b.add_application(
        "Contoso Orders API", CONTOSO_ORDERS_API_ROLES, identifier_uri="api://contoso-orders"
    )
    reporting = b.add_application("Contoso Reporting Service")

    prod = b.add_subscription("Contoso Production", tags={"env": "prod"})
    dev = b.add_subscription("Contoso Development", tags={"env": "dev"})
    shared = b.add_subscription("Contoso Shared Services", tags={"env": "shared"})
    finance = b.add_subscription("Contoso Finance", tags={"env": "prod", "department": "finance"})

    b.assign_role(alex, "Owner", prod)
    b.assign_role(alex, "User Access Administrator", dev)
    b.assign_role(alex, "Reader", shared)
    b.assign_role(dana, "Contributor", dev)

    # --- Contoso Production ---------------------------------------------------------------------------------
    p = _tags("prod", "platform-team", "CC-1042")
    rg_ids = b.add_resource_group(prod, "rg-identities-prod", tags=p)
    rg_auto = b.add_resource_group(prod, "rg-automation-prod", tags=p)
    rg_web = b.add_resource_group(prod, "rg-web-prod", tags=_tags("prod", "orders-team", "CC-2210"))
    rg_data = b.add_resource_group(prod, "rg-data-prod", tags=p)
    rg_aks = b.add_resource_group(prod, "rg-aks-prod", tags=p)
    rg_mc = b.add_resource_group(prod, "MC_rg-aks-prod_aks-contoso-prod_westeurope")

    id_orders = b.add_user_assigned_identity(rg_ids, "id-orders-shared", tags=_tags("prod", "orders-team", "CC-2210"))
    id_github = b.add_user_assigned_identity(rg_ids, "id-github-deploy", tags={"purpose": "ci-cd"})
    id_hr = b.add_user_assigned_identity(rg_ids, "id-hr-onboarding", tags={"owner": "hr-it"})
    id_aks_cp = b.add_user_assigned_identity(rg_ids, "id-aks-prod-controlplane")
    b.add_user_assigned_identity(rg_ids, "id-legacy-unused", tags={"note": "scheduled for removal"})
    id_kubelet = b.add_user_assigned_identity(rg_mc, "aks-contoso-prod-agentpool")

    b.add_federated_credential(
        id_github, "github-orders-main", GITHUB_ISSUER, "repo:contoso/orders-service:ref:refs/heads/main"
    )
    b.add_federated_credential(
        id_github, "github-orders-production", GITHUB_ISSUER, "repo:contoso/orders-service:environment:production"
    )

    aa_ops = b.add_resource(
        rg_auto,
        AUTOMATION,
        "aa-ops-prod",
        system_identity=True,
        tags=p,
        properties={"sku": {"name": "Basic"}, "state": "Ok"},
    )
    for rb, kind in (
        ("Rotate-StorageKeys", "PowerShell72"),
        ("Stop-IdleVMs", "PowerShell"),
        ("Grant-AppPermissions", "Python3"),
    ):
        _runbook(b, aa_ops, rb, kind)
    aa_sync = b.add_resource(
        rg_auto,
        AUTOMATION,
        "aa-identity-sync",
        system_identity=True,
        tags=p,
        properties={"sku": {"name": "Basic"}, "state": "Ok"},
    )
    _runbook(b, aa_sync, "Sync-HRUsers", "PowerShell72")
    _runbook(b, aa_sync, "Disable-LeaversAccounts", "PowerShell")

    b.add_resource(rg_web, PLAN, "asp-web-prod", kind="linux", sku={"name": "P1v3", "tier": "PremiumV3"})
    app_orders = b.add_resource(
        rg_web,
        SITES,
        "app-orders-prod",
        kind="app,linux",
        system_identity=True,
        user_identities=[id_orders],
        tags=rg_web.tags,
    )
    func_orders = b.add_resource(
        rg_web,
        SITES,
        "func-orders-processor",
        kind="functionapp,linux",
        system_identity=True,
        user_identities=[id_orders],
        tags=rg_web.tags,
    )
    func_mailer = b.add_resource(
        rg_web, SITES, "func-invoice-mailer", kind="functionapp", system_identity=True, tags=rg_web.tags
    )
    logic_approvals = b.add_resource(
        rg_web, LOGIC, "logic-order-approvals", system_identity=True, tags=rg_web.tags, properties={"state": "Enabled"}
    )
    b.add_resource(
        rg_web,
        LOGIC,
        "logic-hr-onboarding",
        user_identities=[id_hr],
        tags={"owner": "hr-it"},
        properties={"state": "Enabled"},
    )
    func_legacy = b.add_resource(rg_web, SITES, "func-legacy-reports", kind="functionapp", system_identity=True)

    kv_prod = b.add_resource(
        rg_data,
        VAULT,
        "kv-contoso-prod",
        tags=p,
        properties={"enableRbacAuthorization": True, "sku": {"family": "A", "name": "standard"}},
    )
    st_prod = b.add_resource(
        rg_data, STORAGE, "stcontosoprod01", kind="StorageV2", sku={"name": "Standard_GRS"}, tags=p
    )
    st_logs = b.add_resource(rg_data, STORAGE, "stcontosologs", kind="StorageV2", sku={"name": "Standard_LRS"}, tags=p)
    sql = b.add_resource(rg_data, SQL, "sql-contoso-prod", system_identity=True, tags=p)
    b.add_resource(rg_data, SQLDB, "orders", parent=sql, sku={"name": "S1", "tier": "Standard"})
    b.add_resource(
        rg_data,
        VM,
        "vm-batch-prod-01",
        system_identity=True,
        user_identities=[id_orders],
        tags=p,
        properties={"hardwareProfile": {"vmSize": "Standard_D4s_v5"}},
    )

    acr = b.add_resource(rg_aks, ACR, "crcontosoprod", sku={"name": "Premium"}, tags=p)
    aks = b.add_resource(
        rg_aks,
        AKS,
        "aks-contoso-prod",
        user_identities=[id_aks_cp],
        tags=p,
        properties={
            "kubernetesVersion": "1.30.6",
            "nodeResourceGroup": rg_mc.name,
            "identityProfile": {"kubeletidentity": {"resourceId": id_kubelet.id}},
        },
    )
    b.add_resource(
        rg_mc,
        VMSS,
        "aks-nodepool1-31418592-vmss",
        user_identities=[id_kubelet],
        sku={"name": "Standard_D4s_v5", "capacity": 3},
    )
    b.add_resource(rg_mc, VNET, "aks-vnet-31418592")

    # --- Contoso Development --------------------------------------------------------------------------------
    d = _tags("dev", "orders-team", "CC-2210")
    rg_dev_apps = b.add_resource_group(dev, "rg-dev-apps", "northeurope", tags=d)
    rg_dev_vms = b.add_resource_group(dev, "rg-dev-vms", "northeurope", tags=d)
    rg_dev_auto = b.add_resource_group(dev, "rg-dev-automation", "northeurope", tags=d)
    rg_dev_ids = b.add_resource_group(dev, "rg-dev-identities", "northeurope", tags=d)

    id_dev_ci = b.add_user_assigned_identity(rg_dev_ids, "id-dev-ci", tags={"purpose": "ci-cd"})
    id_dev_tests = b.add_user_assigned_identity(rg_dev_ids, "id-dev-tests")
    b.add_federated_credential(
        id_dev_ci,
        "ado-orders-pipeline",
        "https://vstoken.dev.azure.com/4f9c1c0e-2b7d-4d7e-9a53-0c9d1f2e3a4b",
        "sc://contoso/orders/dev-service-connection",
    )
    id_old = b.add_user_assigned_identity(rg_dev_ids, "id-old-migration")

    func_dev = b.add_resource(rg_dev_apps, SITES, "func-dev-sandbox", kind="functionapp", system_identity=True, tags=d)
    b.add_resource(
        rg_dev_apps,
        SITES,
        "app-orders-dev",
        kind="app,linux",
        system_identity=True,
        user_identities=[id_dev_tests],
        tags=d,
    )
    b.add_resource(
        rg_dev_apps, LOGIC, "logic-dev-smoke-tests", system_identity=True, tags=d, properties={"state": "Disabled"}
    )
    kv_dev = b.add_resource(rg_dev_apps, VAULT, "kv-contoso-dev", tags=d, properties={"enableRbacAuthorization": True})
    b.add_resource(rg_dev_apps, STORAGE, "stcontosodev01", kind="StorageV2", sku={"name": "Standard_LRS"}, tags=d)
    vm_build = b.add_resource(
        rg_dev_vms,
        VM,
        "vm-dev-build01",
        system_identity=True,
        tags=d,
        properties={"hardwareProfile": {"vmSize": "Standard_D8s_v5"}},
    )
    b.add_resource(rg_dev_vms, VM, "vm-dev-jumpbox", tags=d)
    b.add_resource(rg_dev_vms, VNET, "vnet-dev", tags=d)
    aa_dev = b.add_resource(rg_dev_auto, AUTOMATION, "aa-dev", system_identity=True, tags=d)
    _runbook(b, aa_dev, "Cleanup-DevResources", "PowerShell72")

    # --- Contoso Shared Services ------------------------------------------------------------------------------
    s = _tags("shared", "infra-team", "CC-1000")
    rg_mon = b.add_resource_group(shared, "rg-monitoring", tags=s)
    rg_net = b.add_resource_group(shared, "rg-network-hub", tags=s)
    rg_backup = b.add_resource_group(shared, "rg-backup", tags=s)
    id_backup = b.add_user_assigned_identity(rg_backup, "id-backup-operator", tags=s)
    b.add_resource(rg_mon, LAW, "log-contoso-shared", tags=s)
    aa_patch = b.add_resource(rg_mon, AUTOMATION, "aa-shared-patching", system_identity=True, tags=s)
    _runbook(b, aa_patch, "Patch-WindowsServers", "PowerShell")
    vnet_hub = b.add_resource(rg_net, VNET, "vnet-hub", tags=s)
    b.add_resource(rg_net, VAULT, "kv-contoso-shared", tags=s)
    vm_dc = b.add_resource(rg_net, VM, "vm-shared-dc01", system_identity=True, tags=s)
    b.add_resource(rg_backup, RSV, "rsv-contoso-shared", user_identities=[id_backup], tags=s)

    # --- Contoso Finance (Alex has no Azure role here) --------------------------------------------------------
    f = _tags("prod", "finance-it", "CC-3300")
    rg_fin = b.add_resource_group(finance, "rg-finance-apps", tags=f)
    id_fin = b.add_user_assigned_identity(rg_fin, "id-finance-reporting", tags=f)
    func_payroll = b.add_resource(
        rg_fin, SITES, "func-payroll-export", kind="functionapp", system_identity=True, tags=f
    )
    st_fin = b.add_resource(rg_fin, STORAGE, "stcontosofinance", kind="StorageV2", tags=f)

    # --- Azure role assignments ------------------------------------------------------------------------------
    runbook_operator = b.add_custom_role(
        "Contoso Runbook Operator",
        "Start, stop and read runbooks and their jobs in Contoso's automation accounts.",
        [
            "Microsoft.Automation/automationAccounts/read",
            "Microsoft.Automation/automationAccounts/runbooks/read",
            "Microsoft.Automation/automationAccounts/jobs/*",
        ],
        assignable_scopes=[prod, dev],
    )
    b.assign_role(dana, "Reader", rg_web)
    b.assign_role(dana, runbook_operator, rg_auto)
    b.assign_role(aa_ops, "Contributor", prod)
    b.assign_role(aa_ops, "Key Vault Secrets Officer", kv_prod)
    b.assign_role(aa_sync, "Reader", prod)
    b.assign_role(aa_sync, runbook_operator, rg_auto)
    b.assign_role(app_orders, "Key Vault Secrets User", kv_prod)
    b.assign_role(app_orders, "Storage Blob Data Contributor", st_prod)
    b.assign_role(func_orders, "Storage Queue Data Contributor", st_prod)
    b.assign_role(func_mailer, "Key Vault Secrets User", kv_prod)
    b.assign_role(logic_approvals, "Storage Table Data Contributor", st_prod)
    b.assign_role(sql, "Storage Blob Data Contributor", st_logs)
    b.assign_role(id_orders, "Key Vault Secrets User", kv_prod)
    b.assign_role(id_orders, "Storage Blob Data Reader", rg_data)
    b.assign_role(id_github, "Contributor", rg_web)
    b.assign_role(id_github, "AcrPush", acr)
    b.assign_role(id_hr, "Key Vault Secrets User", kv_prod)
    b.assign_role(id_aks_cp, "Network Contributor", rg_aks)
    b.assign_role(id_aks_cp, "Managed Identity Operator", id_kubelet)
    b.assign_role(id_kubelet, "AcrPull", acr)
    b.assign_role(func_legacy, "Storage Blob Data Reader", st_prod)
    b.assign_role(aa_dev, "Owner", dev)
    b.assign_role(func_dev, "Contributor", rg_dev_apps)
    b.assign_role(vm_build, "Reader", dev)
    b.assign_role(vm_build, "AcrPush", acr)
    b.assign_role(id_dev_ci, "Contributor", dev)
    b.assign_role(id_dev_ci, "User Access Administrator", rg_dev_apps)
    b.assign_role(id_dev_tests, "Key Vault Secrets User", kv_dev)
    b.assign_role(id_old, "Contributor", dev)
    b.assign_role(aa_patch, "Virtual Machine Contributor", shared)
    b.assign_role(aa_patch, "Log Analytics Contributor", rg_mon)
    b.assign_role(vm_dc, "Reader", vnet_hub)
    b.assign_role(id_backup, "Backup Contributor", shared)
    b.assign_role(func_payroll, "Storage Blob Data Contributor", st_fin)
    b.assign_role(id_fin, "Reader", finance)

    _acting_as_others(b, prod, rg_ids, rg_aks, rg_data, rg_dev_apps, aa_ops, aa_dev, aks)

    # --- Microsoft Graph and line-of-business app role grants --------------------------------------------------
    for principal, resource_sp, value in (
        (aa_ops, graph, "RoleManagement.ReadWrite.Directory"),
        (aa_ops, graph, "AppRoleAssignment.ReadWrite.All"),
        (aa_ops, graph, "Application.Read.All"),
        (aa_sync, graph, "User.ReadWrite.All"),
        (aa_sync, graph, "Group.ReadWrite.All"),
        (aa_sync, graph, "Directory.Read.All"),
        (func_mailer, graph, "Mail.Send"),
        (id_hr, graph, "User.Read.All"),
        (id_hr, hr_api, "Employees.Read.All"),
        (func_payroll, hr_api, "Payroll.Export"),
        (id_dev_ci, graph, "Application.Read.All"),
        (aa_patch, graph, "Device.Read.All"),
        (app_orders, orders_api, "Orders.Read.All"),
        (func_orders, orders_api, "Orders.Write"),
        (reporting, graph, "User.Read.All"),
        (reporting, hr_api, "Reports.Read"),
    ):
        b.grant_app_role(principal, resource_sp, value)

    # --- history: things deleted, leaving orphaned role assignments behind ------------------------------------
    remove_resource(b.tenant, func_legacy.id)
    remove_resource(b.tenant, id_old.id)

    add_demo_automation(b, rg_auto, aa_ops, aa_sync)
    _add_directory_roles_and_groups(b)
    _add_management_groups_and_human_actors(b)
    tenant = b.build()
    add_demo_history(tenant)
    return tenant


def _acting_as_others(
    b: TenantBuilder,
    prod: Subscription,
    rg_ids: ResourceGroup,
    rg_aks: ResourceGroup,
    rg_data: ResourceGroup,
    rg_dev_apps: ResourceGroup,
    aa_ops: Resource,
    aa_dev: Resource,
    aks: Resource,
) -> None:
    """Identities whose danger lies in what they can run code as (issue #18's rules):

    * **id-ops-scheduler** holds only the custom role *Contoso Job Starter* (start jobs) on aa-ops-prod: its own
      rights are high, but the jobs run as aa-ops-prod, which is Contributor of Contoso Production and holds
      RoleManagement.ReadWrite.Directory: effectively critical.
    * **func-dev-scheduler** is Automation Contributor on aa-dev, whose identity is Owner of Contoso Development.
    * **app-aks-dashboard** holds *Azure Kubernetes Service Cluster Admin Role* on aks-contoso-prod.
    * **id-vm-maintenance** holds the custom role *Contoso VM Command Runner* (run command) on rg-data-prod, where
      vm-batch-prod-01 runs with id-orders-shared attached.
    """
    job_starter = b.add_custom_role(
        "Contoso Job Starter",
        "Start runbook jobs in Contoso's automation accounts and read their output.",
        [
            "Microsoft.Automation/automationAccounts/read",
            "Microsoft.Automation/automationAccounts/runbooks/read",
            "Microsoft.Automation/automationAccounts/jobs/write",
            "Microsoft.Automation/automationAccounts/jobs/read",
            "Microsoft.Automation/automationAccounts/jobs/output/read",
        ],
        assignable_scopes=[prod],
    )
    command_runner = b.add_custom_role(
        "Contoso VM Command Runner",
        "Run maintenance commands on Contoso's virtual machines.",
        ["Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/runCommand/action"],
        assignable_scopes=[prod],
    )
    scheduler = b.add_user_assigned_identity(rg_ids, "id-ops-scheduler", tags={"owner": "platform-team"})
    b.assign_role(scheduler, job_starter, aa_ops)
    maintenance = b.add_user_assigned_identity(rg_ids, "id-vm-maintenance", tags={"owner": "infra-team"})
    b.assign_role(maintenance, command_runner, rg_data)
    func_scheduler = b.add_resource(
        rg_dev_apps, SITES, "func-dev-scheduler", kind="functionapp", system_identity=True, tags={"env": "dev"}
    )
    b.assign_role(func_scheduler, "Automation Contributor", aa_dev)
    dashboard = b.add_resource(
        rg_aks, SITES, "app-aks-dashboard", kind="app,linux", system_identity=True, tags={"env": "prod"}
    )
    b.assign_role(dashboard, "Azure Kubernetes Service Cluster Admin Role", aks)


def _runbook(b: TenantBuilder, account: Resource, name: str, runbook_type: str) -> Resource:
    return b.add_resource(
        f"/subscriptions/{account.subscription_id}/resourceGroups/{account.resource_group}",
        RUNBOOK,
        name,
        parent=account,
        tags=dict(account.tags),
        properties={"runbookType": runbook_type, "state": "Published", "logVerbose": False, "logProgress": False},
    )


# --- Entra directory roles, groups and recent changes (issue #13) -------------------------------------------------
# Role assignment with a condition: RBAC Administrator that may only assign or remove Reader (the delegation
# pattern of "Delegate Azure role assignment management to others with conditions").
READER_ROLE_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ONLY_READER_CONDITION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
    f"{{{READER_ROLE_ID}}})) AND ((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/delete'}})) OR "
    "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
    f"{{{READER_ROLE_ID}}}))"
)


def _days_ago(days: int, hour: int = 9) -> str:
    """A time ``days`` before today (UTC), so that "what changed in the last 24 hours / 7 days" finds something."""
    today = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return format_time(today - timedelta(days=days))


def _named(b: TenantBuilder, name: str) -> Resource:
    found = [r for r in b.tenant.resources.values() if r.name == name]
    assert len(found) == 1, name
    return found[0]


def _add_directory_roles_and_groups(b: TenantBuilder) -> None:
    """Identities with Entra directory roles, security groups that carry rights, a conditioned RBAC Administrator,
    and role assignments created in the last 30 days by named users.

    * aa-exchange-mail (Automation, Exchange Online runbooks): Exchange Administrator;
    * sql-contoso-prod's identity: Directory Readers (Azure SQL's Entra authentication);
    * id-tenant-bootstrap: Global Administrator (critical);
    * sg-platform-owners (role-assignable): Owner of Contoso Production; its member id-platform-deploy holds
      Owner there only through the group; Dana Developer is a member too;
    * sg-app-admins (role-assignable): Application Administrator; member id-github-deploy;
    * aa-identity-sync: Role Based Access Control Administrator on Contoso Development, constrained to Reader.
    """
    t = b.tenant
    alex = t.users[t.admin_user_id]
    dana = next(u for u in t.users.values() if u.display_name == "Dana Developer")
    prod = next(s for s in t.subscriptions.values() if s.display_name == "Contoso Production")
    dev = next(s for s in t.subscriptions.values() if s.display_name == "Contoso Development")
    rg_auto = f"/subscriptions/{prod.subscription_id}/resourceGroups/rg-automation-prod"
    rg_ids = f"/subscriptions/{prod.subscription_id}/resourceGroups/rg-identities-prod"

    aa_mail = b.add_resource(
        rg_auto, AUTOMATION, "aa-exchange-mail", system_identity=True, tags=_tags("prod", "messaging-team", "CC-1042")
    )
    b.assign_directory_role(aa_mail, "Exchange Administrator")
    b.assign_directory_role(_named(b, "sql-contoso-prod"), "Directory Readers")
    bootstrap = b.add_user_assigned_identity(rg_ids, "id-tenant-bootstrap", tags={"purpose": "tenant setup"})
    b.assign_directory_role(bootstrap, "Global Administrator")

    deploy = b.add_user_assigned_identity(rg_ids, "id-platform-deploy", tags={"owner": "platform-team"})
    owners = b.add_group(
        "sg-platform-owners",
        description="Platform team: owners of the production subscription",
        is_assignable_to_role=True,
        members=[deploy, dana],
    )
    b.assign_role(owners, "Owner", prod, created_on=_days_ago(12), created_by=alex.id)
    app_admins = b.add_group(
        "sg-app-admins",
        description="Manages app registrations for CI/CD",
        is_assignable_to_role=True,
        members=[_named(b, "id-github-deploy")],
    )
    b.assign_directory_role(app_admins, "Application Administrator")

    b.assign_role(
        _named(b, "aa-identity-sync"),
        "Role Based Access Control Administrator",
        dev,
        description="May assign and remove Reader only (delegated to the identity-sync runbooks)",
        condition=ONLY_READER_CONDITION,
        created_on=_days_ago(3),
        created_by=alex.id,
    )
    b.assign_role(deploy, "Reader", dev, created_on=_days_ago(0, hour=0), created_by=dana.id)
    b.assign_role(aa_mail, "Reader", rg_auto, created_on=_days_ago(27), created_by=alex.id)


def _add_management_groups_and_human_actors(b: TenantBuilder) -> None:
    """The hierarchy above the subscriptions, people who can act as identities, and a deleted user's leftovers.

    * management groups: Tenant Root Group → **mg-contoso** ("Contoso": Production, Development) →
      **mg-contoso-platform** ("Contoso Platform [shared]": Shared Services), and **mg-contoso-landing** (no
      subscription yet; Alex is its Owner); Finance stays below the root;
    * aa-shared-patching holds **Owner at mg-contoso** (a break-glass automation, granted yesterday by Alex:
      critical, at a broad scope, recent); id-backup-operator Reader at mg-contoso-platform;
    * **Omar Operator** (user): Automation Contributor on aa-ops-prod (he can run code as its identity);
      **Priya Platform** (user) and the group **sg-orders-operators** (member: Priya): Managed Identity Operator
      on id-orders-shared (they can use that identity);
    * **Former Employee** (a deleted user) leaves an orphaned User assignment: Contributor on rg-automation-prod.
    """
    t = b.tenant
    alex = t.users[t.admin_user_id]
    subs = {s.display_name: s for s in t.subscriptions.values()}
    contoso = b.add_management_group("mg-contoso", "Contoso")
    platform = b.add_management_group("mg-contoso-platform", "Contoso Platform [shared]", parent=contoso)
    for name in ("Contoso Production", "Contoso Development"):
        b.move_subscription(subs[name], contoso)
    b.move_subscription(subs["Contoso Shared Services"], platform)
    b.assign_role(
        _named(b, "aa-shared-patching"),
        "Owner",
        contoso,
        description="Break-glass patching automation",
        created_on=_days_ago(1),
        created_by=alex.id,
    )
    b.assign_role(_named(b, "id-backup-operator"), "Reader", platform, created_on=_days_ago(40), created_by=alex.id)
    # where new subscriptions land before they are placed; Alex owns it (a right at a group that holds no
    # subscription yet: nothing inherits it, and the admin can assign roles at a management group)
    landing = b.add_management_group("mg-contoso-landing", "Contoso Landing Zone", parent=contoso)
    b.assign_role(alex, "Owner", landing, created_on=_days_ago(60))

    prod = subs["Contoso Production"].subscription_id
    omar = b.add_user("Omar Operator", "omar.operator@contoso.onmicrosoft.com")
    priya = b.add_user("Priya Platform", "priya.platform@contoso.onmicrosoft.com")
    operators = b.add_group("sg-orders-operators", description="Operate the orders identities", members=[priya])
    b.assign_role(omar, "Automation Contributor", _named(b, "aa-ops-prod"), created_on=_days_ago(5))
    orders = _named(b, "id-orders-shared")
    b.assign_role(priya, "Managed Identity Operator", orders, created_on=_days_ago(9))
    b.assign_role(operators, "Managed Identity Operator", orders, created_on=_days_ago(9))

    former = b.add_user("Former Employee", "former.employee@contoso.onmicrosoft.com")
    b.assign_role(former, "Contributor", f"/subscriptions/{prod}/resourceGroups/rg-automation-prod")
    del t.users[former.id]
    t.forget_objects([former.id])
