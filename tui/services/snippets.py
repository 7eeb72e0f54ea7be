"""Ready-to-paste code that runs *as* a managed identity (in a runbook, a Function, a VM), filled in."""

from __future__ import annotations

from tui.services.models import IdentityKind, ManagedIdentity
from tui.services.plans import ps_quote, sh_quote

# cloud name -> (Az PowerShell -Environment, Connect-MgGraph -Environment, az cloud name, Graph URL, ARM URL)
_CLOUDS: dict[str, tuple[str, str, str, str, str]] = {
    "AzureCloud": ("AzureCloud", "Global", "AzureCloud", "https://graph.microsoft.com", "https://management.azure.com"),
    "AzureUSGovernment": (
        "AzureUSGovernment",
        "USGov",
        "AzureUSGovernment",
        "https://graph.microsoft.us",
        "https://management.usgovcloudapi.net",
    ),
    "AzureChinaCloud": (
        "AzureChinaCloud",
        "China",
        "AzureChinaCloud",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://management.chinacloudapi.cn",
    ),
}


# The modules each PowerShell snippet needs imported in the runbook's runtime (tui.services.automation_rules).
SNIPPET_MODULES: dict[str, tuple[str, ...]] = {
    "Az PowerShell": ("Az.Accounts", "Az.Resources"),
    "Graph token": ("Microsoft.Graph.Authentication", "Microsoft.Graph.Applications"),
}
CUSTOM_ENVIRONMENT = "mitui"  # the name the snippets give a cloud that is not one of the three above


def runbook_snippets(
    identity: ManagedIdentity, cloud_name: str, graph_url: str | None = None, arm_url: str | None = None
) -> dict[str, str]:
    """Snippets by title: "Az PowerShell", "Graph token" (Microsoft Graph PowerShell), "IDENTITY_ENDPOINT", az CLI,
    Python. A user-assigned identity is selected by its client id; a system-assigned one needs nothing. With the
    session's own endpoints (``graph_url`` / ``arm_url``) that are not the cloud's, the PowerShell snippets first
    register them as an environment of their own (a custom cloud, the sandbox)."""
    az_env, mg_env, az_cloud, default_graph, default_arm = _CLOUDS.get(cloud_name, _CLOUDS["AzureCloud"])
    graph = (graph_url or default_graph).rstrip("/")
    arm = (arm_url or default_arm).rstrip("/")
    user = identity.kind is IdentityKind.USER
    cid = identity.client_id
    az_setup = mg_setup = ""
    if arm != default_arm:
        az_env = CUSTOM_ENVIRONMENT
        az_setup = f"Add-AzEnvironment -Name {ps_quote(az_env)} -ARMEndpoint {ps_quote(arm + '/')} | Out-Null\n"
    if graph != default_graph:
        mg_env = CUSTOM_ENVIRONMENT
        mg_setup = (
            f"Add-MgEnvironment -Name {ps_quote(mg_env)} -GraphEndpoint {ps_quote(graph)} "
            "-AzureADEndpoint 'https://login.microsoftonline.com' | Out-Null\n"
        )
    env_ps = f" -Environment {ps_quote(az_env)}" if az_env != "AzureCloud" else ""
    mg_env_ps = f" -Environment {ps_quote(mg_env)}" if mg_env != "Global" else ""

    az_ps = f"# needs {', '.join(SNIPPET_MODULES['Az PowerShell'])}\n{az_setup}"
    az_ps += f"Connect-AzAccount -Identity{' -AccountId ' + ps_quote(cid) if user else ''}{env_ps}\n"
    az_ps += "$token = Get-AzAccessToken -ResourceTypeName MSGraph -AsSecureString\n"
    az_ps += "Get-AzRoleAssignment -ObjectId " + ps_quote(identity.principal_id)

    mg = f"# needs {', '.join(SNIPPET_MODULES['Graph token'])}\n{mg_setup}"
    mg += f"Connect-MgGraph -Identity{' -ClientId ' + ps_quote(cid) if user else ''}{mg_env_ps} -NoWelcome\n"
    mg += "Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId " + ps_quote(identity.principal_id)

    client_q = f"&client_id={cid}" if user else ""
    endpoint = (
        f"$resource = {ps_quote(graph + '/')}\n"
        f'$uri = "$($env:IDENTITY_ENDPOINT)?api-version=2019-08-01&resource=$resource{client_q}"\n'
        "$headers = @{ 'X-IDENTITY-HEADER' = $env:IDENTITY_HEADER }\n"
        "$token = (Invoke-RestMethod -Method Get -Uri $uri -Headers $headers).access_token"
    )
    curl = (
        'curl -s -H "X-IDENTITY-HEADER: $IDENTITY_HEADER" '
        f'"$IDENTITY_ENDPOINT?api-version=2019-08-01&resource={graph}/{client_q}"'
    )
    az = "" if az_cloud == "AzureCloud" else f"az cloud set --name {sh_quote(az_cloud)}\n"
    az += f"az login --identity{' --client-id ' + sh_quote(cid) if user else ''}\n"
    az += f"az role assignment list --all --assignee {sh_quote(identity.principal_id)}"
    py = (
        "from azure.identity import ManagedIdentityCredential\n"
        f"credential = ManagedIdentityCredential({'client_id=' + repr(cid) if user else ''})\n"
        f"token = credential.get_token({(graph + '/.default')!r}).token\n"
        f"arm_token = credential.get_token({(arm + '/.default')!r}).token"
    )
    return {
        "Az PowerShell": az_ps,
        "Graph token": mg,
        "IDENTITY_ENDPOINT": endpoint,
        "IDENTITY_ENDPOINT (curl)": curl,
        "az CLI": az,
        "Python": py,
    }


def seed_runbook(
    identity: ManagedIdentity, cloud_name: str, graph_url: str | None = None, arm_url: str | None = None
) -> str:
    """A PowerShell 7.2 runbook made of the identity's snippets: sign in to Azure and to Microsoft Graph as the
    identity and list what it may do (its Azure roles, its Graph app role grants)."""
    snippets = runbook_snippets(identity, cloud_name, graph_url, arm_url)
    modules = ", ".join(m for title in ("Az PowerShell", "Graph token") for m in SNIPPET_MODULES[title])
    return (
        "<#\n.SYNOPSIS\n    Lists what this Automation account's managed identity may do (written by mitui).\n"
        f"    Needs the modules {modules}.\n#>\n"
        f"{snippets['Az PowerShell']}\n\n{snippets['Graph token']}\n"
    )
