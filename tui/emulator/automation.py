"""Azure Automation in the sandbox tenant: what an Automation Account holds besides its runbooks.

Runbooks are child resources of the account (``tenant.resources``, type ``.../automationAccounts/runbooks``, as the
builder makes them); their published and draft text lives here. Here too: the account's modules (the PowerShell 5.1
module store), its runtime environments (PowerShell 7.2, ...) with their packages, schedules and job schedules.

A module or package imported from a ``contentLink`` provisions as Azure does, asynchronously: it answers
``Creating`` and moves one step on each read (``ContentDownloaded``, ``ContentValidated``) until it settles on
``Succeeded``, or on ``Failed`` when the link is not a package the sandbox's PowerShell Gallery offers. Steps by
read, not by clock, so a test (or an admin polling) sees every state without waiting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GALLERY_PACKAGE_URL = "https://www.powershellgallery.com/api/v2/package/"
# The PowerShell Gallery as the sandbox knows it: module name -> the versions it offers (newest last).
GALLERY: dict[str, tuple[str, ...]] = {
    "Az": ("11.2.0", "12.3.0"),
    "Az.Accounts": ("2.19.0", "3.0.4", "4.0.2"),
    "Az.Resources": ("6.16.2", "7.4.0", "7.8.0"),
    "Az.Compute": ("7.3.0", "9.0.0"),
    "Az.KeyVault": ("5.3.0", "6.3.1"),
    "Az.Storage": ("6.2.0", "8.1.0"),
    "Microsoft.Graph.Authentication": ("2.19.0", "2.25.0", "2.26.1"),
    "Microsoft.Graph.Applications": ("2.19.0", "2.25.0", "2.26.1"),
    "Microsoft.Graph.Users": ("2.19.0", "2.25.0", "2.26.1"),
    "Microsoft.Graph.Groups": ("2.19.0", "2.25.0", "2.26.1"),
    "Microsoft.Graph.Identity.DirectoryManagement": ("2.19.0", "2.25.0", "2.26.1"),
}
# The states an import passes through before it settles (ModuleProvisioningState in module.json).
IMPORT_STEPS = ("Creating", "ContentDownloaded", "ContentValidated")
_GALLERY_LINK = re.compile(r"^https://www\.powershellgallery\.com/api/v2/package/([^/?#]+)/([^/?#]+)/?$", re.I)


@dataclass
class ImportedPackage:
    """A module of an account, or a package of a runtime environment (the same life: imported from a link)."""

    name: str
    version: str | None = None
    content_uri: str | None = None
    provisioning_state: str = "Succeeded"
    outcome: str = "Succeeded"  # where the import settles
    error_code: str | None = None
    error_message: str | None = None
    is_global: bool = False
    size_in_bytes: int = 0
    creation_time: str = ""
    last_modified_time: str = ""
    _step: int = 0

    def observe(self) -> None:
        """One read of the package: an import under way moves one step (see the module's docstring)."""
        if self.provisioning_state in ("Succeeded", "Failed"):
            return
        self._step += 1
        if self._step < len(IMPORT_STEPS):
            self.provisioning_state = IMPORT_STEPS[self._step]
        else:
            self.provisioning_state = self.outcome


def start_import(
    name: str, uri: str, version: str | None, now: str, existing: ImportedPackage | None
) -> ImportedPackage:
    """A package whose import from ``uri`` has just begun: it will succeed when ``uri`` is the Gallery's link of
    this module at a version the Gallery offers, and fail otherwise, with the reason Azure gives."""
    m = _GALLERY_LINK.match(uri)
    outcome, code, message = "Succeeded", None, None
    found_version = version
    if m is None:
        outcome, code = "Failed", "ModuleImportFailed"
        message = f"Error importing the module {name}. Import failed with the following error: the content at '{uri}'"
        message += " could not be downloaded or is not a module package."
    else:
        linked, linked_version = m.group(1), m.group(2)
        offered = next((v for k, v in GALLERY.items() if k.lower() == linked.lower()), None)
        if linked.lower() != name.lower():
            outcome, code = "Failed", "ModuleImportFailed"
            message = f"Error importing the module {name}. The package at '{uri}' contains the module {linked}."
        elif offered is None or linked_version not in offered:
            outcome, code = "Failed", "ModuleImportFailed"
            message = (
                f"Error importing the module {name}. Import failed with the following error: the PowerShell Gallery "
                f"has no package {linked} version {linked_version}."
            )
        found_version = linked_version
    return ImportedPackage(
        name=existing.name if existing else name,
        version=found_version,
        content_uri=uri,
        provisioning_state=IMPORT_STEPS[0],
        outcome=outcome,
        error_code=code if outcome == "Failed" else None,
        error_message=message if outcome == "Failed" else None,
        size_in_bytes=0,
        creation_time=existing.creation_time if existing else now,
        last_modified_time=now,
    )


@dataclass
class RuntimeEnvironment:
    name: str
    language: str  # "PowerShell" | "Python"
    version: str  # "7.2", "5.1", "3.10"
    default_packages: dict[str, str] = field(default_factory=dict)  # e.g. {"Az": "11.2.0"}
    description: str = ""
    packages: dict[str, ImportedPackage] = field(default_factory=dict)  # name (lower) -> package


@dataclass
class Schedule:
    name: str
    start_time: str
    frequency: str = "Day"  # OneTime, Day, Hour, Week, Month, Minute
    interval: int | None = 1
    time_zone: str = "UTC"
    is_enabled: bool = True
    description: str = ""
    expiry_time: str = "9999-12-31T23:59:59.9999999+00:00"
    creation_time: str = ""


@dataclass
class JobSchedule:
    job_schedule_id: str
    runbook_name: str
    schedule_name: str
    run_on: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class RunbookText:
    published: str | None = None
    draft: str | None = None


@dataclass
class AutomationState:
    """Everything one Automation Account holds besides the runbook resources themselves."""

    modules: dict[str, ImportedPackage] = field(default_factory=dict)  # name (lower) -> module
    runtime_environments: dict[str, RuntimeEnvironment] = field(default_factory=dict)  # name (lower) -> environment
    schedules: dict[str, Schedule] = field(default_factory=dict)  # name (lower) -> schedule
    job_schedules: dict[str, JobSchedule] = field(default_factory=dict)  # id (lower) -> job schedule
    texts: dict[str, RunbookText] = field(default_factory=dict)  # runbook name (lower) -> its text


# The global modules every account has (isGlobal: shipped by Azure, for PowerShell 5.1).
GLOBAL_MODULES = (
    ("Az.Accounts", "2.19.0"),
    ("Microsoft.PowerShell.Core", "0.0"),
    ("Orchestrator.AssetManagement.Cmdlets", "1.0"),
)
# The runtime environments Azure makes in every account (system-generated), with their default packages.
SYSTEM_RUNTIMES = (
    ("PowerShell-5.1", "PowerShell", "5.1", {"Az": "8.0.0"}),
    ("PowerShell-7.2", "PowerShell", "7.2", {"Az": "11.2.0"}),
    ("Python-3.10", "Python", "3.10", {}),
)


def new_account_state(now: str) -> AutomationState:
    """An account as Azure makes it: its global modules and the system-generated runtime environments."""
    state = AutomationState()
    for name, version in GLOBAL_MODULES:
        state.modules[name.lower()] = ImportedPackage(
            name, version, is_global=True, creation_time=now, last_modified_time=now
        )
    for name, language, version, defaults in SYSTEM_RUNTIMES:
        state.runtime_environments[name.lower()] = RuntimeEnvironment(
            name,
            language,
            version,
            dict(defaults),
            description=f"System-generated Runtime Environment for your "
            f"Automation account with Runtime language: {language} and version: {version}",
        )
    return state


def account_state(automation: dict[str, AutomationState], account_key: str, now: str) -> AutomationState:
    """The state of the account whose ``arm_key`` is ``account_key`` (made as Azure makes a new account)."""
    state = automation.get(account_key)
    if state is None:
        state = automation[account_key] = new_account_state(now)
    return state
