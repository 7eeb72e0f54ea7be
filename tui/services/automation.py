"""Automation Accounts: read them whole (identities, runbooks with their text, modules, runtime environments and
packages, schedules), and check whether each runbook is ready to run as its identity.

A runbook is *ready* when its account has an identity, every module its commands need is imported (and its import
succeeded) where the runbook's runtime looks for it, and the identity holds a Microsoft Graph permission that lets
each Graph cmdlet run. Each failing check says why and names its fix (tui.services.automation_models.Fix); the
Session turns a fix into a plan (tui.services.automation_plans).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from tui.services import automation_rules as rules
from tui.services.automation_models import (
    AutomationAccount,
    Fix,
    ImportedModule,
    ReadinessItem,
    Runbook,
    RuntimeEnvironment,
)
from tui.services.backend import Backend, DirectoryObject
from tui.services.errors import PermissionDenied
from tui.services.models import IdentityKind, ManagedIdentity, ResourceApp
from tui.services.offload import gather_limited
from tui.services.scopes import resource_group_of

CONCURRENCY = 8


# --- reading -------------------------------------------------------------------------------------------------------
async def load_account(backend: Backend, account: AutomationAccount) -> AutomationAccount:
    """``account`` (as listed) with its runbooks and their text, modules, environments and schedules: five requests,
    one per environment and one per PowerShell runbook, concurrently."""
    aid = account.id
    runbooks, modules, envs, schedules, links = await asyncio.gather(
        backend.list_automation_runbooks(aid),
        backend.list_automation_modules(aid),
        backend.list_automation_runtime_environments(aid),
        backend.list_automation_schedules(aid),
        backend.list_automation_job_schedules(aid),
    )

    async def with_packages(env: RuntimeEnvironment) -> RuntimeEnvironment:
        packages = await backend.list_automation_modules(aid, env.name)
        return RuntimeEnvironment(env.name, env.language, env.version, env.default_packages, tuple(packages))

    async def with_text(rb: Runbook) -> Runbook:
        content, error = None, ""
        if rb.is_powershell and rb.state.lower() != "new":
            try:
                content = await backend.get_runbook_content(rb.id)
            except PermissionDenied as err:  # (without its request id: the same refusal reads the same each time)
                error = " ".join((f"{err.title} — {err.hint}" if err.hint else err.title).split())
        linked = tuple(s for r, s in links if r.lower() == rb.name.lower())
        return Runbook(
            rb.id, rb.name, rb.runbook_type, rb.state, rb.last_modified, rb.runtime_environment, content, linked, error
        )

    envs_full = await gather_limited([with_packages(e) for e in envs], CONCURRENCY)
    runbooks_full = await gather_limited([with_text(r) for r in runbooks], CONCURRENCY)
    return AutomationAccount(
        id=account.id,
        name=account.name,
        subscription_id=account.subscription_id,
        resource_group=account.resource_group,
        location=account.location,
        system_principal_id=account.system_principal_id,
        user_assigned=dict(account.user_assigned),
        runbooks=tuple(sorted(runbooks_full, key=lambda r: r.name.lower())),
        modules=tuple(sorted(modules, key=lambda m: m.name.lower())),
        runtime_environments=tuple(envs_full),
        schedules=tuple(schedules),
    )


async def load_accounts(backend: Backend, subscription_ids: Iterable[str]) -> list[AutomationAccount]:
    """Every Automation Account the caller may read in these subscriptions, each read whole (see
    :func:`load_account`). A subscription that refuses the listing contributes none."""
    listed: list[AutomationAccount] = []
    for found in await gather_limited(
        [backend.list_automation_accounts(s) for s in subscription_ids], CONCURRENCY, return_exceptions=True
    ):
        if isinstance(found, BaseException):
            if isinstance(found, Exception):
                continue
            raise found
        listed.extend(found)
    loaded = await gather_limited([load_account(backend, a) for a in listed], CONCURRENCY)
    return sorted(loaded, key=lambda a: (a.name.lower(), a.id.lower()))


async def granted_graph_roles(backend: Backend, graph: ResourceApp, principal_ids: list[str]) -> dict[str, set[str]]:
    """principal id (lower) -> the values of the Microsoft Graph app roles it holds."""
    if not principal_ids:
        return {}
    held = await backend.list_app_role_assignments(principal_ids)
    out: dict[str, set[str]] = {}
    for pid, grants in held.items():
        values = out.setdefault(pid.lower(), set())
        for g in grants:
            role = graph.role(g.app_role_id) if g.resource_id.lower() == graph.id.lower() else None
            if role is not None:
                values.add(role.value)
    return out


def account_identity(account: AutomationAccount) -> ManagedIdentity:
    """The account's system-assigned identity (principal id "" while it has none)."""
    return ManagedIdentity(
        principal_id=account.system_principal_id or "",
        client_id="",
        name=account.name,
        kind=IdentityKind.SYSTEM,
        resource_id=account.id,
        subscription_id=account.subscription_id,
        resource_group=account.resource_group or resource_group_of(account.id),
        location=account.location,
        used_by=(account.id,),
        resource_type="Microsoft.Automation/automationAccounts",
    )


# --- readiness -----------------------------------------------------------------------------------------------------
def runtime_of(account: AutomationAccount, runbook: Runbook) -> RuntimeEnvironment | None:
    """The runtime environment a runbook runs in: its own, else (PowerShell 7.2) the account's PowerShell 7.2
    environment; None for the classic PowerShell 5.1 runtime, whose modules are the account's."""
    if runbook.runtime_environment:
        return account.environment(runbook.runtime_environment)
    if runbook.runbook_type.lower() == "powershell72":
        return next(
            (e for e in account.runtime_environments if e.language.lower() == "powershell" and e.version == "7.2"),
            None,
        )
    return None


def runtime_label(account: AutomationAccount, runbook: Runbook) -> str:
    env = runtime_of(account, runbook)
    if env is not None:
        return f"{env.language} {env.version}"
    kind = runbook.runbook_type.lower()
    return {"powershell": "PowerShell 5.1", "powershell72": "PowerShell 7.2", "python3": "Python 3"}.get(
        kind, runbook.runbook_type
    )


def find_module(account: AutomationAccount, runbook: Runbook, name: str) -> ImportedModule | None:
    """The module ``name`` where the runbook's runtime finds it: its environment's packages and default packages
    (the ``Az`` default brings every ``Az.*`` module), else the account's modules."""
    env = runtime_of(account, runbook)
    low = name.lower()
    if env is None:
        return next((m for m in account.modules if m.name.lower() == low), None)
    found = next((p for p in env.packages if p.name.lower() == low), None)
    if found is not None:
        return found
    for default, version in env.default_packages:
        if default.lower() == low or (default.lower() == "az" and low.startswith("az.")):
            return ImportedModule(name, f"{default} {version}", "Succeeded", is_global=True)
    return None


def _module_item(account: AutomationAccount, runbook: Runbook, module: str, cmdlets: tuple[str, ...]) -> ReadinessItem:
    env = runtime_of(account, runbook)
    where = f"runtime environment {env.name}" if env else "the account's modules"
    used = ", ".join(cmdlets[:3]) + ("…" if len(cmdlets) > 3 else "")
    found = find_module(account, runbook, module)
    fix = Fix(
        "import-module",
        module=module,
        version=rules.MODULE_VERSIONS.get(module, ""),
        environment=env.name if env else "",
    )
    check = f"Module {module}"
    if found is None:
        classic = env is not None and any(m.name.lower() == module.lower() for m in account.modules)
        also = " (it is imported for PowerShell 5.1 only, in the account's modules)" if classic else ""
        return ReadinessItem(check, False, f"{used} needs {module}, which is not imported in {where}{also}.", fix)
    state = found.provisioning_state
    if found.ready:
        return ReadinessItem(check, True, f"{module} {found.version} imported in {where}.")
    if state.lower() == "failed":
        why = f": {found.error}" if found.error else ""
        return ReadinessItem(check, False, f"The import of {module} {found.version} failed{why}", fix)
    return ReadinessItem(check, False, f"{module} is still being imported ({state}); check again shortly.")


def readiness(
    account: AutomationAccount,
    runbook: Runbook,
    granted: set[str],
    azure_scopes: list[str] | None = None,
    entra: dict[str, DirectoryObject] | None = None,
) -> list[ReadinessItem]:
    """The checks of one runbook, ``granted`` being the Microsoft Graph app roles its identity holds,
    ``azure_scopes`` the scopes of its Azure role assignments in the account's subscription and ``entra`` its
    identities' service principals as Entra ID has them, by id (lower) (None: not read)."""
    items: list[ReadinessItem] = []
    not_enabled = _not_enabled(account, entra)
    if not_enabled:
        items.append(ReadinessItem("Identity", False, not_enabled))
    elif account.system_principal_id:
        items.append(ReadinessItem("Identity", True, f"system-assigned, principal {account.system_principal_id}"))
    elif account.user_assigned:
        items.append(ReadinessItem("Identity", True, f"{len(account.user_assigned)} user-assigned"))
    else:
        items.append(
            ReadinessItem(
                "Identity",
                False,
                "The account has no managed identity: Connect-AzAccount -Identity and Connect-MgGraph -Identity fail "
                '("There is no system-assigned user identity").',
                Fix("enable-identity"),
            )
        )
    if runbook.state.lower() == "new":
        items.append(ReadinessItem("Published", False, "The runbook has never been published: it cannot run."))
    if runbook.content_error:
        items.append(
            ReadinessItem("Runbook text", False, f"Its commands could not be checked: {runbook.content_error}")
        )
    if not runbook.is_powershell or runbook.content is None:
        return items
    needs = rules.needs_of(runbook.content)
    for module, cmdlets in needs.modules.items():
        items.append(_module_item(account, runbook, module, cmdlets))
    azure = [c for m, cs in needs.modules.items() if m.startswith("Az.") and m != "Az.Accounts" for c in cs]
    if azure and azure_scopes is not None:
        used = ", ".join(azure[:3]) + ("…" if len(azure) > 3 else "")
        if azure_scopes:
            where = ", ".join(sorted(set(azure_scopes))[:2]) + ("…" if len(set(azure_scopes)) > 2 else "")
            items.append(
                ReadinessItem("Azure roles", True, f"{len(azure_scopes)} Azure role assignment(s), at {where}")
            )
        elif account.has_identity:
            items.append(
                ReadinessItem(
                    "Azure roles",
                    False,
                    f"{used} act on Azure resources, but the identity holds no Azure role in subscription "
                    f"{account.subscription_id}: assign one on the main screen (a) at the scope they touch.",
                )
            )
    by_least: dict[str, tuple[list[str], tuple[str, ...]]] = {}
    for cmdlet, roles in needs.permissions.items():
        by_least.setdefault(roles[0], ([], roles))[0].append(cmdlet)
    for least, (cmdlets, roles) in by_least.items():
        held = [r for r in roles if r in granted]
        check = f"Graph {least}"
        used = ", ".join(cmdlets)
        if held:
            items.append(ReadinessItem(check, True, f"{used}: the identity holds {held[0]}."))
        elif not account.has_identity:
            items.append(ReadinessItem(check, False, f"{used} needs {least}; turn the identity on first."))
        else:
            others = f" (or {', '.join(roles[1:])})" if len(roles) > 1 else ""
            items.append(
                ReadinessItem(
                    check,
                    False,
                    f"{used} needs Microsoft Graph {least}{others}; the identity holds none of them.",
                    Fix("grant-app-role", app_role=least),
                )
            )
    return items


def _not_enabled(account: AutomationAccount, entra: dict[str, DirectoryObject] | None) -> str:
    """Why the account's identity cannot sign in although the account has one ("" when it can, or was not read):
    its service principal is disabled in Entra ID, or not there (yet)."""
    if entra is None:
        return ""
    for pid in account.principal_ids:
        sp = entra.get(pid.lower())
        if sp is None:
            return (
                f"The identity's service principal {pid} is not in Entra ID (yet: it appears a minute or so after "
                "the identity is turned on): Connect-AzAccount -Identity fails until it does. Check again (r)."
            )
        if not sp.account_enabled:
            return (
                f"The identity's service principal {pid} is disabled in Entra ID (accountEnabled is false): it gets "
                "no token, so Connect-AzAccount -Identity and Connect-MgGraph -Identity fail. Enable it in Entra ID "
                "(Enterprise applications → the identity → Properties → Enabled for users to sign in)."
            )
    return ""


def is_ready(items: list[ReadinessItem]) -> bool:
    return all(i.ok for i in items)
