"""Automation Accounts through the Session against a fresh sandbox tenant (real SDKs over HTTPS): the demo's
runbooks and their readiness, each fix applied as a plan (identity on, module imported and polled, Graph permission
granted) until the runbook is ready; a failed import; a runbook created from text (draft then published), checked
from azure-mgmt-automation; read-only mode; the audit log."""

from __future__ import annotations

import pytest
from azure.identity.aio import ManagedIdentityCredential

from tui.services import automation_rules as rules
from tui.services.automation import is_ready
from tui.services.automation_models import AutomationAccount
from tui.services.errors import InvalidInput, ReadOnlyRefused
from tui.services.plans import PlanAction
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _prod(emu) -> str:  # noqa: ANN001
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Contoso Production")


async def _accounts(session: Session, emu) -> dict[str, AutomationAccount]:  # noqa: ANN001
    subs = [s.subscription_id for s in emu.tenant.subscriptions.values()]
    return {a.name: a for a in await session.automation_accounts(subs)}


def _checks(items) -> dict[str, tuple[bool, bool]]:  # noqa: ANN001
    """check -> (ok, offers a fix)"""
    return {i.check: (i.ok, i.fix is not None) for i in items}


async def test_the_demo_runbooks_and_their_readiness(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    accounts = await _accounts(session, emu)
    # Alex reads Production and Shared (Reader) and Development (User Access Administrator): not Finance
    assert {"aa-ops-prod", "aa-identity-sync", "aa-app-inventory", "aa-dev", "aa-shared-patching"} <= set(accounts)

    inventory = accounts["aa-app-inventory"]
    assert not inventory.has_identity
    [rb] = inventory.runbooks
    assert (rb.name, rb.runbook_type, rb.runtime_environment, rb.schedules) == (
        "Export-AppPermissions",
        "PowerShell72",
        "PowerShell-7.2",
        ("Daily-0600",),
    )
    env = inventory.environment("PowerShell-7.2")
    assert env is not None and [p.name for p in env.packages] == ["Microsoft.Graph.Applications"]
    items = (await session.account_readiness(inventory))[rb.id]
    assert _checks(items) == {
        "Identity": (False, True),
        "Module Microsoft.Graph.Authentication": (False, True),
        "Module Microsoft.Graph.Applications": (True, False),
        "Graph Application.Read.All": (False, False),  # the identity comes first
    }
    assert not is_ready(items)

    sync = accounts["aa-identity-sync"]
    sync_items = (await session.account_readiness(sync))[next(r.id for r in sync.runbooks if r.name == "Sync-HRUsers")]
    assert is_ready(sync_items) and "Graph User.Read.All" in _checks(sync_items)  # User.ReadWrite.All suffices
    ops = accounts["aa-ops-prod"]
    ops_items = (await session.account_readiness(ops))[
        next(r.id for r in ops.runbooks if r.name == "Rotate-StorageKeys")
    ]
    assert _checks(ops_items) == {
        "Identity": (True, False),
        "Module Az.Accounts": (True, False),
        "Module Az.Storage": (True, False),
        "Azure roles": (True, False),  # Contributor of Contoso Production
    }


async def test_fixes_turn_the_runbook_ready(emulator_factory, session_for, arm_kwargs) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    session.import_poll_delays = (0.0,) * 10
    progress: list[str] = []
    session.progress_listener = progress.append
    account = (await _accounts(session, emu))["aa-app-inventory"]
    rb = account.runbooks[0]

    for expected in ("enable-system-identity", "import-module", "grant-app-role"):
        items = (await session.account_readiness(account))[rb.id]
        failing = next(i for i in items if not i.ok and i.fix is not None)
        plan = await session.plan_fix(account, rb, failing)
        assert plan.action.value == expected and not plan.nothing_to_do
        change = await session.apply(plan)
        assert change.outcome == "applied", change.message
        account = await session.reread_account(account)

    assert progress[0] == "Microsoft.Graph.Authentication: import started"
    assert progress[-1] == "Microsoft.Graph.Authentication: Succeeded" and len(progress) >= 4
    items = (await session.account_readiness(account))[rb.id]
    assert is_ready(items), [i for i in items if not i.ok]
    actions = [e["action"] for e in session.audit.entries() if e["event"] == "outcome"]
    assert actions == ["enable-system-identity", "import-module", "grant-app-role"]

    # a real client sees what mitui wrote
    from azure.mgmt.automation.aio import AutomationClient

    async with (
        ManagedIdentityCredential() as cred,
        AutomationClient(cred, _prod(emu), **arm_kwargs(emu)) as client,
    ):
        pkg = await client.package.get(
            "rg-automation-prod", "aa-app-inventory", "PowerShell-7.2", "Microsoft.Graph.Authentication"
        )
        assert pkg.properties.provisioning_state == "Succeeded"
        assert pkg.properties.version == rules.MODULE_VERSIONS["Microsoft.Graph.Authentication"]


async def test_a_failed_import_says_why_and_an_imported_module_is_nothing_to_do(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    session.import_poll_delays = (0.0,) * 10
    account = (await _accounts(session, emu))["aa-app-inventory"]
    plan = await session.plan_import_module(account, "Microsoft.Graph.Authentication", "9.9.9", "PowerShell-7.2")
    assert "powershellgallery.com/api/v2/package/Microsoft.Graph.Authentication/9.9.9" in plan.right_id
    assert "az rest --method put" in plan.az_command and "Invoke-AzRestMethod -Method PUT" in plan.powershell_command
    change = await session.apply(plan)
    assert change.outcome == "failed" and "9.9.9" in change.message
    account = await session.reread_account(account)
    items = (await session.account_readiness(account))[account.runbooks[0].id]
    auth = next(i for i in items if i.check == "Module Microsoft.Graph.Authentication")
    assert not auth.ok and "failed" in auth.detail and auth.fix is not None  # import it again, at a good version

    done = await session.plan_import_module(account, "Microsoft.Graph.Applications", "2.25.0", "PowerShell-7.2")
    assert done.nothing_to_do
    with pytest.raises(InvalidInput):
        await session.plan_import_module(account, "../evil", "1.0", "PowerShell-7.2")
    with pytest.raises(InvalidInput):
        await session.plan_import_module(account, "Az.Resources", "7.8.0; rm", "PowerShell-7.2")


async def test_a_runbook_is_created_drafted_and_published(emulator_factory, session_for, arm_kwargs) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    account = (await _accounts(session, emu))["aa-ops-prod"]
    text = "Connect-AzAccount -Identity\nGet-AzRoleAssignment -ObjectId 'x'\n"
    plan = await session.plan_create_runbook(account, "List-MyRoles", text)
    assert (
        plan.action is PlanAction.CREATE_RUNBOOK and ("Modules it needs", "Az.Accounts, Az.Resources") in plan.details
    )
    change = await session.apply(plan)
    assert change.outcome == "applied", change.message
    from azure.mgmt.automation.aio import AutomationClient

    async with ManagedIdentityCredential() as cred, AutomationClient(cred, _prod(emu), **arm_kwargs(emu)) as client:
        got = await client.runbook.get("rg-automation-prod", "aa-ops-prod", "List-MyRoles")
        assert got.properties.state == "Published" and got.properties.runbook_type == "PowerShell72"
        assert await client.runbook.get_content("rg-automation-prod", "aa-ops-prod", "List-MyRoles") == text
    with pytest.raises(InvalidInput):
        await session.plan_create_runbook(account, "bad name", text)


async def test_read_only_refuses_an_import(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu, read_only=True)
    account = (await _accounts(session, emu))["aa-app-inventory"]
    plan = await session.plan_import_module(account, "Microsoft.Graph.Authentication", "", "PowerShell-7.2")
    with pytest.raises(ReadOnlyRefused):
        await session.apply(plan)
    state = emu.tenant.automation[next(k for k in emu.tenant.automation if k.endswith("aa-app-inventory"))]
    assert "microsoft.graph.authentication" not in state.runtime_environments["powershell-7.2"].packages


async def test_the_tables_name_modules_and_permissions() -> None:
    text = "<# Get-MgUser in a comment #>\n# Get-AzVM too\nConnect-MgGraph -Identity\n$x = 'Get-MgGroup'\n"
    text += "Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $id\nGet-AzRoleAssignment\n"
    assert rules.commands_of(text) == [
        "Connect-MgGraph",
        "Get-MgServicePrincipalAppRoleAssignment",
        "Get-AzRoleAssignment",
    ]
    needs = rules.needs_of(text)
    assert needs.modules == {
        "Microsoft.Graph.Authentication": ("Connect-MgGraph",),
        "Microsoft.Graph.Applications": ("Get-MgServicePrincipalAppRoleAssignment",),
        "Az.Resources": ("Get-AzRoleAssignment",),
    }
    assert needs.permissions["Get-MgServicePrincipalAppRoleAssignment"][0] == "Application.Read.All"
    assert rules.module_of("Get-MgUserMemberOf") == "Microsoft.Graph.Users"
    assert rules.permissions_of("Get-AzVM") == ()


async def test_az_cmdlets_without_an_azure_role_fail_the_check(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    session.import_poll_delays = (0.0,) * 10
    account = (await _accounts(session, emu))["aa-app-inventory"]
    change = await session.apply(await session.plan_system_identity(account.id, True))
    assert change.outcome == "applied", change.message
    text = "Connect-AzAccount -Identity\nGet-AzVM\n"
    change = await session.apply(await session.plan_create_runbook(account, "List-VMs", text))
    assert change.outcome == "applied", change.message
    account = await session.reread_account(account)
    runbook = next(r for r in account.runbooks if r.name == "List-VMs")
    items = {i.check: i for i in (await session.account_readiness(account))[runbook.id]}
    assert not items["Azure roles"].ok and "Get-AzVM" in items["Azure roles"].detail
    assert items["Module Az.Compute"].ok  # the PowerShell 7.2 environment's default Az brings it


async def test_snippets_use_the_sessions_endpoints_and_name_their_modules() -> None:
    from tui.services.models import IdentityKind, ManagedIdentity
    from tui.services.snippets import SNIPPET_MODULES, runbook_snippets, seed_runbook

    ident = ManagedIdentity("11111111-1111-1111-1111-111111111111", "", "aa-x", IdentityKind.SYSTEM, "/subscriptions/x")
    public = runbook_snippets(ident, "AzureCloud")
    assert "Add-AzEnvironment" not in public["Az PowerShell"] and "-Environment" not in public["Graph token"]
    custom = runbook_snippets(ident, "MituiSandbox", "https://127.0.0.1:8443", "https://127.0.0.1:9443")
    assert "-ARMEndpoint 'https://127.0.0.1:9443/'" in custom["Az PowerShell"]
    assert "Connect-AzAccount -Identity -Environment 'mitui'" in custom["Az PowerShell"]
    assert "-GraphEndpoint 'https://127.0.0.1:8443'" in custom["Graph token"]
    assert "Connect-MgGraph -Identity -Environment 'mitui'" in custom["Graph token"]
    assert "https://127.0.0.1:8443/.default" in custom["Python"]
    for title, modules in SNIPPET_MODULES.items():
        assert custom[title].startswith(f"# needs {', '.join(modules)}")
        # what the snippet says it needs is what the readiness check reads from it
        assert set(rules.needs_of(custom[title]).modules) == set(modules)
    assert set(rules.needs_of(seed_runbook(ident, "AzureCloud")).modules) == {
        m for v in SNIPPET_MODULES.values() for m in v
    }


async def test_an_identity_disabled_in_entra_fails_the_identity_check(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    account = (await _accounts(session, emu))["aa-ops-prod"]
    rb = account.runbooks[0]
    assert _checks((await session.account_readiness(account))[rb.id])["Identity"] == (True, False)

    emu.tenant.service_principals[account.system_principal_id.lower()].account_enabled = False
    item = next(i for i in (await session.account_readiness(account))[rb.id] if i.check == "Identity")
    assert not item.ok and "disabled in Entra ID" in item.detail and account.system_principal_id in item.detail

    del emu.tenant.service_principals[account.system_principal_id.lower()]  # as if not replicated yet
    item = next(i for i in (await session.account_readiness(account))[rb.id] if i.check == "Identity")
    assert not item.ok and "not in Entra ID" in item.detail
