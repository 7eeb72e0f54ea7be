"""Azure Automation through azure-mgmt-automation (2024-10-23): listings read to the end as plain JSON (one converter
per shape, below), the runbook's text and the writes through the SDK's own operations. Each write is sent once and
returns the request ids of its answers (tui.services.automation_plans reads back)."""

from __future__ import annotations

from typing import Any

from tui.azure.calls import Calls, answer_json
from tui.azure.paging import arm_pages
from tui.azure.writes import recorded_request_ids
from tui.services.automation_models import AutomationAccount, ImportedModule, Runbook, RuntimeEnvironment, Schedule
from tui.services.backend import Written
from tui.services.errors import InvalidInput, NotFound
from tui.services.odata import arm_id, guid

AUTOMATION_API = "2024-10-23"
ACCOUNT_TYPE = "microsoft.automation/automationaccounts"
# a runbook's text is read by the ARM request; an admin's runbook is small, a hostile one is cut here
MAX_RUNBOOK_TEXT = 1_000_000


def _s(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _props(item: dict) -> dict:
    p = item.get("properties")
    return p if isinstance(p, dict) else {}


def account_parts(account_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of an Automation Account's ARM id, or InvalidInput."""
    rid = arm_id(account_id, "Automation account id")
    parts = rid.split("/")
    if len(parts) != 9 or "/".join(parts[6:8]).lower() != ACCOUNT_TYPE or parts[3].lower() != "resourcegroups":
        raise InvalidInput(
            "Not an Automation account id",
            "expected /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Automation/automationAccounts/"
            f"{{name}}, got {rid[:100]!r}",
        )
    return guid(parts[2], "subscription id"), parts[4], parts[8]


def runbook_parts(runbook_id: str) -> tuple[str, str, str, str]:
    rid = arm_id(runbook_id, "runbook id")
    head, sep, name = rid.rpartition("/runbooks/")
    if not sep or not name or "/" in name:
        raise InvalidInput("Not a runbook id", f"expected …/automationAccounts/{{account}}/runbooks/{{name}}: {rid!r}")
    return (*account_parts(head), name)


# --- wire JSON -> models -------------------------------------------------------------------------------------------
def account(item: dict) -> AutomationAccount:
    rid = _s(item.get("id"))
    ident = item.get("identity") if isinstance(item.get("identity"), dict) else {}
    users: dict[str, tuple[str | None, str | None]] = {}
    for uid, v in (ident.get("userAssignedIdentities") or {}).items():
        v = v if isinstance(v, dict) else {}
        users[str(uid)] = (_s(v.get("principalId")) or None, _s(v.get("clientId")) or None)
    parts = rid.split("/")
    return AutomationAccount(
        id=rid,
        name=_s(item.get("name")),
        subscription_id=parts[2] if len(parts) > 2 else "",
        resource_group=parts[4] if len(parts) > 4 else "",
        location=_s(item.get("location")),
        system_principal_id=_s(ident.get("principalId")) or None,
        user_assigned=users,
    )


def runbook(item: dict) -> Runbook:
    p = _props(item)
    return Runbook(
        id=_s(item.get("id")),
        name=_s(item.get("name")),
        runbook_type=_s(p.get("runbookType")),
        state=_s(p.get("state")),
        last_modified=_s(p.get("lastModifiedTime")),
        runtime_environment=_s(p.get("runtimeEnvironment")),
    )


def module(item: dict) -> ImportedModule:
    p = _props(item)
    err = p.get("error") if isinstance(p.get("error"), dict) else {}
    return ImportedModule(
        name=_s(item.get("name")),
        version=_s(p.get("version")),
        provisioning_state=_s(p.get("provisioningState")) or "Succeeded",
        error=_s(err.get("message")),
        is_global=bool(p.get("isGlobal") or p.get("default")),
    )


def environment(item: dict) -> RuntimeEnvironment:
    p = _props(item)
    runtime = p.get("runtime") if isinstance(p.get("runtime"), dict) else {}
    defaults = p.get("defaultPackages") if isinstance(p.get("defaultPackages"), dict) else {}
    return RuntimeEnvironment(
        name=_s(item.get("name")),
        language=_s(runtime.get("language")),
        version=_s(runtime.get("version")),
        default_packages=tuple(sorted((_s(k), _s(v)) for k, v in defaults.items())),
    )


def schedule(item: dict) -> Schedule:
    p = _props(item)
    return Schedule(
        name=_s(item.get("name")),
        frequency=_s(p.get("frequency")),
        interval=_s(p.get("interval")),
        next_run=_s(p.get("nextRun")),
        enabled=bool(p.get("isEnabled", True)),
    )


def job_schedule(item: dict) -> tuple[str, str]:
    p = _props(item)
    rb = p.get("runbook") if isinstance(p.get("runbook"), dict) else {}
    sc = p.get("schedule") if isinstance(p.get("schedule"), dict) else {}
    return _s(rb.get("name")), _s(sc.get("name"))


def _once() -> dict[str, Any]:
    return {"retry_read": 0, "retry_connect": 0}


class AutomationCalls(Calls):
    """The Automation half of tui.azure.backend.AzureBackend."""

    def _automation(self, subscription_id: str) -> Any:
        return self.arm.automation(subscription_id)

    async def list_automation_accounts(self, subscription_id: str) -> list[AutomationAccount]:
        sub = guid(subscription_id, "subscription id")
        url = f"/subscriptions/{sub}/providers/Microsoft.Automation/automationAccounts"
        return await arm_pages(self, url, {"api-version": AUTOMATION_API}, account)

    async def _list(self, account_id: str, tail: str, convert: Any) -> list:
        sub, rg, name = account_parts(account_id)
        url = (
            f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Automation/automationAccounts/{name}/{tail}"
        )
        return await arm_pages(self, url, {"api-version": AUTOMATION_API}, convert)

    async def list_automation_runbooks(self, account_id: str) -> list[Runbook]:
        return await self._list(account_id, "runbooks", runbook)

    async def list_automation_modules(self, account_id: str, environment: str | None = None) -> list[ImportedModule]:
        tail = f"runtimeEnvironments/{_name(environment)}/packages" if environment else "modules"
        return await self._list(account_id, tail, module)

    async def list_automation_runtime_environments(self, account_id: str) -> list[RuntimeEnvironment]:
        return await self._list(account_id, "runtimeEnvironments", environment)

    async def list_automation_schedules(self, account_id: str) -> list[Schedule]:
        return await self._list(account_id, "schedules", schedule)

    async def list_automation_job_schedules(self, account_id: str) -> list[tuple[str, str]]:
        return await self._list(account_id, "jobSchedules", job_schedule)

    async def get_runbook_content(self, runbook_id: str) -> str | None:
        sub, rg, acc, name = runbook_parts(runbook_id)
        ops = self._automation(sub).runbook
        try:
            text = await self.arm_call(lambda: ops.get_content(rg, acc, name))
        except NotFound:
            return None
        return _s(text)[:MAX_RUNBOOK_TEXT]

    async def get_automation_module(
        self, account_id: str, name: str, environment: str | None = None
    ) -> ImportedModule | None:
        sub, rg, acc = account_parts(account_id)
        client = self._automation(sub)
        try:
            if environment:
                found = await self.arm_call(
                    lambda: client.package.get(rg, acc, _name(environment), _name(name), cls=answer_json)
                )
            else:
                found = await self.arm_call(lambda: client.module.get(rg, acc, _name(name), cls=answer_json))
        except NotFound:
            return None
        return module(found) if isinstance(found, dict) else None

    # --- writes ---------------------------------------------------------------------------------------------------
    async def import_automation_module(
        self, account_id: str, name: str, content_uri: str, environment: str | None = None
    ) -> Written:
        from azure.mgmt.automation.models import (
            ContentLink,
            ModuleCreateOrUpdateParameters,
            ModuleCreateOrUpdateProperties,
            PackageCreateOrUpdateParameters,
            PackageCreateOrUpdateProperties,
        )

        sub, rg, acc = account_parts(account_id)
        if not content_uri.startswith("https://"):
            raise InvalidInput("Not an https link", f"a module's content link must be https: {content_uri[:100]!r}")
        client = self._automation(sub)
        link = ContentLink(uri=content_uri)
        with recorded_request_ids() as ids:
            if environment:
                body = PackageCreateOrUpdateParameters(properties=PackageCreateOrUpdateProperties(content_link=link))
                await self.arm_call(
                    lambda: client.package.create_or_update(rg, acc, _name(environment), _name(name), body, **_once()),
                    write=True,
                )
            else:
                params = ModuleCreateOrUpdateParameters(properties=ModuleCreateOrUpdateProperties(content_link=link))
                await self.arm_call(
                    lambda: client.module.create_or_update(rg, acc, _name(name), params, **_once()), write=True
                )
        return Written(None, tuple(ids))

    async def create_runbook(
        self, account_id: str, name: str, runbook_type: str, environment: str, description: str = ""
    ) -> Written:
        from azure.mgmt.automation.models import Runbook as SdkRunbook
        from azure.mgmt.automation.models import RunbookCreateOrUpdateProperties

        sub, rg, acc = account_parts(account_id)
        client = self._automation(sub)
        found = await self.arm_call(lambda: client.automation_account.get(rg, acc, cls=answer_json))
        location = _s(found.get("location")) if isinstance(found, dict) else ""
        body = SdkRunbook(
            location=location,
            properties=RunbookCreateOrUpdateProperties(
                runbook_type=runbook_type, runtime_environment=environment or None, description=description
            ),
        )
        with recorded_request_ids() as ids:
            await self.arm_call(
                lambda: client.runbook.create_or_update(rg, acc, _name(name), body, **_once()), write=True
            )
        return Written(None, tuple(ids))

    async def replace_runbook_draft(self, runbook_id: str, content: str) -> Written:
        sub, rg, acc, name = runbook_parts(runbook_id)
        ops = self._automation(sub).runbook_draft

        async def send() -> None:
            poller = await ops.begin_replace_content(rg, acc, name, content, polling_interval=1, **_once())
            await poller.result()

        with recorded_request_ids() as ids:
            await self.arm_call(send, write=True)
        return Written(None, tuple(ids))

    async def publish_runbook(self, runbook_id: str) -> Written:
        sub, rg, acc, name = runbook_parts(runbook_id)
        ops = self._automation(sub).runbook

        async def send() -> None:
            poller = await ops.begin_publish(rg, acc, name, polling_interval=1, **_once())
            await poller.result()

        with recorded_request_ids() as ids:
            await self.arm_call(send, write=True)
        return Written(None, tuple(ids))

    async def get_runbook_draft(self, runbook_id: str) -> str | None:
        sub, rg, acc, name = runbook_parts(runbook_id)
        ops = self._automation(sub).runbook_draft
        try:
            return _s(await self.arm_call(lambda: ops.get_content(rg, acc, name)))
        except NotFound:
            return None


def _name(value: str | None) -> str:
    """A name that goes into a path: one segment, nothing that could leave it."""
    text = _s(value)
    if not text or any(c in text for c in "/\\?#%") or text in (".", "..") or len(text) > 260:
        raise InvalidInput("Invalid name", f"{text[:80]!r} cannot be a name in an Automation account")
    return text
