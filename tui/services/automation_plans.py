"""The Session's Automation half: read the accounts, check their runbooks, and plan the fixes (import a module from
the PowerShell Gallery, turn the identity on, grant the Graph permission) and new runbooks.

A mixin of :class:`tui.services.session.Session`. Each plan reads what is there now, so the confirmation says
whether anything will change; the writer's inputs are the plan's ``params`` (tui.services.automation_writers).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.services import automation_rules as rules
from tui.services.automation import (
    account_identity,
    find_module,
    granted_graph_roles,
    load_account,
    load_accounts,
    readiness,
)
from tui.services.automation_models import AutomationAccount, Fix, ReadinessItem, Runbook
from tui.services.automation_writers import IMPORT_POLL_DELAYS
from tui.services.backend import Backend
from tui.services.errors import InvalidInput, NotFound
from tui.services.models import Privilege, ResourceApp
from tui.services.plans import Plan, PlanAction, ps_quote, sh_quote

if TYPE_CHECKING:
    from tui.services.models import Inventory

API = "2024-10-23"
MODULE_PRIVILEGE_REASON = "a module's code runs inside every runbook of the account, as the account's identity"
RUNBOOK_PRIVILEGE_REASON = "a runbook runs as the account's identity, with every right it holds"
RUNBOOK_TYPES = {"7.2": "PowerShell72", "5.1": "PowerShell"}


def _package_path(account_id: str, name: str, environment: str) -> str:
    if environment:
        return f"{account_id}/runtimeEnvironments/{environment}/packages/{name}"
    return f"{account_id}/modules/{name}"


class AutomationPlans:
    """Needs from the Session: its backend, the ARM endpoint, Microsoft Graph as a resource app, its plans for
    the identity (tui.services.lifecycle) and for app role grants."""

    _backend: Backend
    # told each state of a change under way (a module's import); tests shorten the waits between its reads
    progress_listener: Callable[[str], None] | None = None
    import_poll_delays: tuple[float, ...] = IMPORT_POLL_DELAYS

    if TYPE_CHECKING:

        @property
        def arm_url(self) -> str: ...

        async def resource_app(self, app_id: str = ...) -> ResourceApp: ...

        async def plan_system_identity(
            self, resource_id: str, enable: bool, inventory: Inventory | None = None
        ) -> Plan: ...

        async def plan_app_role_grant(self, identity: object, app: ResourceApp, role: object) -> Plan: ...

    # --- reading --------------------------------------------------------------------------------------------------
    async def automation_accounts(self, subscription_ids: list[str]) -> list[AutomationAccount]:
        """Every Automation Account of these subscriptions, read whole."""
        return await load_accounts(self._backend, subscription_ids)

    async def reread_account(self, account: AutomationAccount) -> AutomationAccount:
        """The account as it is now (after a fix): its identity, runbooks, modules, environments, schedules."""
        sub = account.subscription_id
        listed = [a for a in await self._backend.list_automation_accounts(sub) if a.id.lower() == account.id.lower()]
        if not listed:
            raise NotFound("No such Automation account", f"{account.id} is gone (or you may no longer read it)")
        return await load_account(self._backend, listed[0])

    async def account_readiness(self, account: AutomationAccount) -> dict[str, list[ReadinessItem]]:
        """runbook id -> its checks; the identity's Graph permissions read once for the account."""
        granted: set[str] = set()
        # is each identity there in Entra ID, and enabled? (one getByIds for the account)
        entra = await self._backend.get_directory_objects(account.principal_ids) if account.principal_ids else None
        present = [p for p in account.principal_ids if entra is not None and p.lower() in entra]
        if present:  # (the grants of a service principal Entra does not have yet cannot be listed: none)
            graph = await self.resource_app()
            for values in (await granted_graph_roles(self._backend, graph, present)).values():
                granted |= values
        scopes: list[str] | None = None
        if account.system_principal_id and any(_uses_azure(rb) for rb in account.runbooks):
            held = await self._backend.list_role_assignments_for_principal(
                f"/subscriptions/{account.subscription_id}", account.system_principal_id
            )
            scopes = [ra.scope for ra in held]
        return {rb.id: readiness(account, rb, granted, scopes, entra) for rb in account.runbooks}

    # --- fixes ----------------------------------------------------------------------------------------------------
    async def plan_fix(self, account: AutomationAccount, runbook: Runbook, item: ReadinessItem) -> Plan:
        """The plan that fixes a failing check."""
        fix = item.fix
        if item.ok or fix is None:
            raise InvalidInput("Nothing to fix", f"{item.check}: {item.detail}")
        if fix.kind == "enable-identity":
            return await self.plan_system_identity(account.id, True)
        if fix.kind == "grant-app-role":
            if not account.system_principal_id:
                raise InvalidInput("No identity", "turn the account's identity on before granting it a permission")
            graph = await self.resource_app()
            role = next((r for r in graph.app_roles if r.value == fix.app_role and r.is_application_role), None)
            if role is None:
                raise NotFound("No such permission", f"Microsoft Graph has no application permission {fix.app_role}")
            return await self.plan_app_role_grant(account_identity(account), graph, role)
        return await self.plan_import_module(account, fix.module, fix.version, fix.environment)

    async def plan_import_module(
        self, account: AutomationAccount, module: str, version: str = "", environment: str = ""
    ) -> Plan:
        """Import ``module`` (``version``, else mitui's current one) from the PowerShell Gallery into the runtime
        environment ``environment`` (or, "", the account's PowerShell 5.1 modules)."""
        if not module or any(c in module for c in "/\\?#% '\"") or len(module) > 128:
            raise InvalidInput("Invalid module name", f"{module[:80]!r} is not a module name")
        version = version or rules.MODULE_VERSIONS.get(module, "")
        if not version or any(c not in "0123456789." for c in version):
            raise InvalidInput("Which version?", f"give {module} a version (digits and dots), e.g. 2.25.0")
        if environment and account.environment(environment) is None:
            raise NotFound("No such runtime environment", f"{account.name} has no runtime environment {environment}")
        uri = rules.gallery_link(module, version)
        current = await self._backend.get_automation_module(account.id, module, environment or None)
        already = current is not None and current.ready and current.version == version
        where = f"runtime environment {environment}" if environment else "modules (PowerShell 5.1)"
        details = [("Account", account.name), ("Into", where), ("Module", f"{module} {version}"), ("From", uri)]
        if current is not None:
            details.append(("Now", f"{current.version or '?'} ({current.provisioning_state})"))
        path = _package_path(account.id, module, environment)
        body = json.dumps({"properties": {"contentLink": {"uri": uri, "version": version}}}, separators=(",", ":"))
        az = f"az rest --method put --url {sh_quote(f'{self.arm_url}{path}?api-version={API}')} --body {sh_quote(body)}"
        if environment:
            where_ps = ps_quote(f"{path}?api-version={API}")
            ps = f"Invoke-AzRestMethod -Method PUT -Path {where_ps} -Payload {ps_quote(body)}"
        else:
            ps = (
                f"New-AzAutomationModule -ResourceGroupName {ps_quote(account.resource_group)} -AutomationAccountName "
                f"{ps_quote(account.name)} -Name {ps_quote(module)} -ContentLinkUri {ps_quote(uri)}"
            )
        return Plan(
            action=PlanAction.IMPORT_MODULE,
            identity=account_identity(account),
            right_name=module,
            right_id=uri,
            target=where,
            target_id=account.id,
            scope_level=None,
            privilege=Privilege.HIGH,
            already_exists=already,
            existing_id=path if current is not None else None,
            az_command=az,
            powershell_command=ps,
            privilege_reason=MODULE_PRIVILEGE_REASON,
            details=tuple(details),
            warnings=(
                "The import runs in Azure for a minute or two; mitui waits and shows its progress.",
                f"{module}'s code will run in every runbook of {account.name} that loads it, as its identity.",
            ),
            params=(("account_id", account.id), ("module", module), ("uri", uri), ("version", version))
            + ((("environment", environment),) if environment else ()),
        )

    # --- new runbooks ---------------------------------------------------------------------------------------------
    async def plan_create_runbook(
        self,
        account: AutomationAccount,
        name: str,
        content: str,
        environment: str = "PowerShell-7.2",
        description: str = "",
    ) -> Plan:
        """Write a PowerShell runbook (as a draft, then published) into the account's ``environment``."""
        if not name or len(name) > 63 or not name[0].isalpha() or any(not (c.isalnum() or c in "-_") for c in name):
            raise InvalidInput(
                "Invalid runbook name", "a name starts with a letter and holds letters, digits, - and _ (≤ 63)"
            )
        if not content.strip():
            raise InvalidInput("Empty runbook", "the runbook has no text")
        env = account.environment(environment) if environment else None
        if environment and env is None:
            raise NotFound("No such runtime environment", f"{account.name} has no runtime environment {environment}")
        runbook_type = RUNBOOK_TYPES.get(env.version if env else "5.1", "PowerShell")
        exists = any(r.name.lower() == name.lower() for r in account.runbooks)
        rid = f"{account.id}/runbooks/{name}"
        needs = rules.needs_of(content)
        details = [
            ("Account", account.name),
            ("Runbook", name),
            ("Runtime", f"{env.language} {env.version} ({env.name})" if env else "PowerShell 5.1"),
            ("Modules it needs", ", ".join(needs.modules) or "none"),
            ("Graph permissions", ", ".join(sorted({r[0] for r in needs.permissions.values()})) or "none"),
        ]
        warnings = [f"A runbook named {name} exists: its text is replaced and published."] if exists else []
        missing = [m for m in needs.modules if find_module(account, _probe(name, runbook_type, environment), m) is None]
        if missing:
            warnings.append("Not imported yet (the readiness check offers the fix): " + ", ".join(missing))
        rg, acc = account.resource_group, account.name
        ps = (
            f"Import-AzAutomationRunbook -ResourceGroupName {ps_quote(rg)} -AutomationAccountName {ps_quote(acc)} "
            f"-Name {ps_quote(name)} -Type PowerShell72 -Path ./{name}.ps1 -Published"
        )
        az = (
            f"az automation runbook create --resource-group {sh_quote(rg)} --automation-account-name {sh_quote(acc)} "
            f"--name {sh_quote(name)} --type {sh_quote(runbook_type)} && az automation runbook replace-content "
            f"--resource-group {sh_quote(rg)} --automation-account-name {sh_quote(acc)} --name {sh_quote(name)} "
            f"--content @{name}.ps1 && az automation runbook publish --resource-group {sh_quote(rg)} "
            f"--automation-account-name {sh_quote(acc)} --name {sh_quote(name)}"
        )
        return Plan(
            action=PlanAction.CREATE_RUNBOOK,
            identity=account_identity(account),
            right_name=name,
            right_id=rid,
            target=account.name,
            target_id=account.id,
            scope_level=None,
            privilege=Privilege.HIGH,
            already_exists=False,
            existing_id=rid if exists else None,
            az_command=az,
            powershell_command=ps,
            privilege_reason=RUNBOOK_PRIVILEGE_REASON,
            details=tuple(details),
            warnings=tuple(warnings),
            params=(
                ("account_id", account.id),
                ("name", name),
                ("runbook_type", runbook_type),
                ("environment", env.name if env else ""),
                ("description", description),
                ("content", content),
            ),
        )


def _uses_azure(runbook: Runbook) -> bool:
    """Whether the runbook's text calls Az cmdlets beyond signing in (they need an Azure role)."""
    if not runbook.content:
        return False
    return any(m.startswith("Az.") and m != "Az.Accounts" for m in rules.needs_of(runbook.content).modules)


def _probe(name: str, runbook_type: str, environment: str) -> Runbook:
    return Runbook("", name, runbook_type, "New", runtime_environment=environment)


__all__ = ["AutomationPlans", "Fix"]
