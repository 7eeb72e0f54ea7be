"""Automation Accounts in the admin's words: an account with its identities, runbooks, modules, runtime environments
and schedules; a runbook's readiness, as checks ``{check, ok, detail}`` each failing one with the fix it offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FixKind = Literal["import-module", "enable-identity", "grant-app-role"]


@dataclass(frozen=True)
class ImportedModule:
    """A module of an account (the PowerShell 5.1 store) or a package of a runtime environment."""

    name: str
    version: str = ""
    provisioning_state: str = "Succeeded"
    error: str = ""
    is_global: bool = False  # shipped by Azure (an account's global module, an environment's default package)

    @property
    def ready(self) -> bool:
        return self.provisioning_state.lower() == "succeeded"


@dataclass(frozen=True)
class RuntimeEnvironment:
    name: str
    language: str
    version: str
    default_packages: tuple[tuple[str, str], ...] = ()  # (name, version), e.g. ("Az", "11.2.0")
    packages: tuple[ImportedModule, ...] = ()


@dataclass(frozen=True)
class Runbook:
    id: str
    name: str
    runbook_type: str  # PowerShell, PowerShell72, Python3, ...
    state: str  # New, Edit, Published
    last_modified: str = ""
    runtime_environment: str = ""  # the environment's name ("" for the classic runtimes)
    content: str | None = None  # the published text (None: not read or none published)
    schedules: tuple[str, ...] = ()  # the schedules linked to it (job schedules)
    content_error: str = ""  # why its text could not be read (then its commands are not checked)

    @property
    def is_powershell(self) -> bool:
        return self.runbook_type.lower().startswith("powershell") or self.runbook_type.lower() == "script"


@dataclass(frozen=True)
class Schedule:
    name: str
    frequency: str
    interval: str = ""
    next_run: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Fix:
    """The change that makes a failing check pass."""

    kind: FixKind
    module: str = ""  # import-module: the module and version, and where (an environment, or the account's store)
    version: str = ""
    environment: str = ""
    app_role: str = ""  # grant-app-role: the Microsoft Graph app role value

    def describe(self) -> str:
        if self.kind == "import-module":
            where = f"runtime environment {self.environment}" if self.environment else "the account's modules"
            return f"Import {self.module} {self.version} from the PowerShell Gallery into {where}"
        if self.kind == "enable-identity":
            return "Turn on the account's system-assigned identity"
        return f"Grant the identity Microsoft Graph {self.app_role}"


@dataclass(frozen=True)
class ReadinessItem:
    check: str
    ok: bool
    detail: str
    fix: Fix | None = None

    def as_json(self) -> dict:
        return {"check": self.check, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class AutomationAccount:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str = ""
    system_principal_id: str | None = None
    user_assigned: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # id -> (principal, client)
    runbooks: tuple[Runbook, ...] = ()
    modules: tuple[ImportedModule, ...] = ()
    runtime_environments: tuple[RuntimeEnvironment, ...] = ()
    schedules: tuple[Schedule, ...] = ()

    @property
    def has_identity(self) -> bool:
        return bool(self.system_principal_id or self.user_assigned)

    @property
    def principal_ids(self) -> list[str]:
        """The identities a runbook may sign in as: the system-assigned one first."""
        out = [self.system_principal_id] if self.system_principal_id else []
        return out + [p for p, _ in self.user_assigned.values() if p]

    def environment(self, name: str) -> RuntimeEnvironment | None:
        return next((e for e in self.runtime_environments if e.name.lower() == name.lower()), None)

    def identity_json(self) -> dict:
        kinds = (["SystemAssigned"] if self.system_principal_id else []) + (
            ["UserAssigned"] if self.user_assigned else []
        )
        return {
            "type": ", ".join(kinds) or "None",
            "principalId": self.system_principal_id,
            "userAssignedIdentities": {
                k: {"principalId": p, "clientId": c} for k, (p, c) in self.user_assigned.items()
            },
        }
