"""The demo tenant's Automation Accounts beyond their resources: runbook texts, modules, runtime-environment packages
and schedules (tui.emulator.automation).

* **aa-app-inventory** (Contoso Production, rg-automation-prod) is the account a newcomer fixes: it has *no*
  identity yet, and its PowerShell 7.2 runbook **Export-AppPermissions** calls ``Connect-MgGraph -Identity`` and
  ``Get-MgServicePrincipal``, but ``Microsoft.Graph.Authentication`` is not imported in its runtime environment
  (``Microsoft.Graph.Applications`` is) and no identity holds ``Application.Read.All``. A daily schedule runs it.
* **aa-identity-sync**'s **Sync-HRUsers** is ready: its modules are imported and its identity holds
  User.ReadWrite.All. **aa-ops-prod**'s **Rotate-StorageKeys** uses only Az cmdlets (the runtime's default Az).
"""

from __future__ import annotations

from tui.emulator.automation import GALLERY_PACKAGE_URL, ImportedPackage, JobSchedule, RunbookText, Schedule
from tui.emulator.automation import account_state as _state
from tui.emulator.builder import TenantBuilder
from tui.emulator.ids import AUTOMATION, RUNBOOK
from tui.emulator.tenant import Resource, ResourceGroup, arm_key

WHEN = "2026-11-20T08:00:00.0000000+00:00"

EXPORT_APP_PERMISSIONS = """<#
.SYNOPSIS
    Lists every enterprise application and the Microsoft Graph application permissions it holds.
    Runs as the Automation account's managed identity.
#>
Connect-MgGraph -Identity -NoWelcome
$graph = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$roles = @{}
$graph.AppRoles | ForEach-Object { $roles[$_.Id] = $_.Value }
Get-MgServicePrincipal -All -Property Id,DisplayName,AppId | ForEach-Object {
    $app = $_
    Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $app.Id |
        Where-Object ResourceId -eq $graph.Id |
        ForEach-Object { [pscustomobject]@{ App = $app.DisplayName; Permission = $roles[$_.AppRoleId] } }
}
"""

SYNC_HR_USERS = """# Copies department and manager from the HR API's export to Entra users.
Connect-MgGraph -Identity -NoWelcome
$changes = Get-AutomationVariable -Name 'HrExportUri' | ForEach-Object { Invoke-RestMethod -Uri $_ }
foreach ($c in $changes) {
    $user = Get-MgUser -UserId $c.userPrincipalName -Property Id,Department
    if ($user.Department -ne $c.department) { Update-MgUser -UserId $user.Id -Department $c.department }
}
"""

ROTATE_STORAGE_KEYS = """# Regenerates key1 of every storage account tagged rotate=true.
Connect-AzAccount -Identity | Out-Null
Get-AzStorageAccount | Where-Object { $_.Tags['rotate'] -eq 'true' } | ForEach-Object {
    New-AzStorageAccountKey -ResourceGroupName $_.ResourceGroupName -Name $_.StorageAccountName -KeyName key1
}
"""


def _gallery(name: str, version: str) -> ImportedPackage:
    return ImportedPackage(
        name,
        version,
        content_uri=f"{GALLERY_PACKAGE_URL}{name}/{version}",
        size_in_bytes=1_048_576,
        creation_time=WHEN,
        last_modified_time=WHEN,
    )


def _publish(b: TenantBuilder, account: Resource, runbook: str, text: str, environment: str) -> Resource:
    res = b.tenant.resources[arm_key(f"{account.id}/runbooks/{runbook}")]
    res.properties.update(runtimeEnvironment=environment, creationTime=WHEN, lastModifiedTime=WHEN)
    _state(b.tenant.automation, arm_key(account.id), WHEN).texts[runbook.lower()] = RunbookText(published=text)
    return res


def add_demo_automation(b: TenantBuilder, rg_auto: ResourceGroup, aa_ops: Resource, aa_sync: Resource) -> Resource:
    """The runbook texts, modules and schedules of the demo's accounts; returns aa-app-inventory."""
    t = b.tenant
    _publish(b, aa_ops, "Rotate-StorageKeys", ROTATE_STORAGE_KEYS, "PowerShell-7.2")
    _publish(b, aa_sync, "Sync-HRUsers", SYNC_HR_USERS, "PowerShell-7.2")
    sync = _state(t.automation, arm_key(aa_sync.id), WHEN)
    env = sync.runtime_environments["powershell-7.2"]
    for name, version in (("Microsoft.Graph.Authentication", "2.25.0"), ("Microsoft.Graph.Users", "2.25.0")):
        env.packages[name.lower()] = _gallery(name, version)

    inventory = b.add_resource(
        rg_auto,
        AUTOMATION,
        "aa-app-inventory",
        tags={"owner": "security-team", "env": "prod"},
        properties={"sku": {"name": "Basic"}, "state": "Ok"},
    )
    b.add_resource(
        rg_auto,
        RUNBOOK,
        "Export-AppPermissions",
        parent=inventory,
        tags=dict(inventory.tags),
        properties={
            "runbookType": "PowerShell72",
            "state": "Published",
            "description": "Lists every enterprise application's Microsoft Graph application permissions.",
            "logVerbose": False,
            "logProgress": False,
        },
    )
    _publish(b, inventory, "Export-AppPermissions", EXPORT_APP_PERMISSIONS, "PowerShell-7.2")
    state = _state(t.automation, arm_key(inventory.id), WHEN)
    pkg = _gallery("Microsoft.Graph.Applications", "2.25.0")
    state.runtime_environments["powershell-7.2"].packages[pkg.name.lower()] = pkg
    state.schedules["daily-0600"] = Schedule("Daily-0600", "2026-11-21T06:00:00+00:00", "Day", 1, creation_time=WHEN)
    jid = "3f1b0c2e-6a0d-4c8e-9f7a-2b5d8e1c4a90"
    state.job_schedules[jid] = JobSchedule(jid, "Export-AppPermissions", "Daily-0600")
    return inventory
