"""The JSON shapes of Microsoft.Automation 2024-10-23 (account.json, runbook.json, module.json, package.json,
runtimeEnvironment.json, schedule.json, jobSchedule.json), one serialiser per shape."""

from __future__ import annotations

import zlib
from typing import Any

from tui.emulator.arm.shapes import identity_json
from tui.emulator.automation import ImportedPackage, JobSchedule, RunbookText, RuntimeEnvironment, Schedule
from tui.emulator.tenant import Resource, Tenant

CREATED = "2024-03-04T09:00:00.0000000+00:00"  # when the sandbox's accounts were made


def account_json(res: Resource, tenant: Tenant) -> dict:
    props = res.properties
    out: dict[str, Any] = {
        "id": res.id,
        "name": res.name,
        "type": res.type,
        "location": res.location,
        "tags": dict(res.tags),
        "properties": {
            "sku": dict(props.get("sku") or {"name": "Basic"}),
            "state": props.get("state", "Ok"),
            "creationTime": props.get("creationTime", CREATED),
            "lastModifiedBy": props.get("lastModifiedBy", ""),
            "lastModifiedTime": props.get("lastModifiedTime", CREATED),
            "publicNetworkAccess": props.get("publicNetworkAccess", True),
            "disableLocalAuth": props.get("disableLocalAuth", False),
            "automationHybridServiceUrl": f"https://{res.name}.jrds.{res.location}.azure-automation.net/automationAccounts/"
            f"{res.name}",
        },
    }
    ident = identity_json(res, tenant)
    if ident:
        out["identity"] = ident
    return out


def runbook_json(res: Resource) -> dict:
    p = res.properties
    props: dict[str, Any] = {
        "description": p.get("description", ""),
        "logVerbose": bool(p.get("logVerbose", False)),
        "logProgress": bool(p.get("logProgress", False)),
        "logActivityTrace": int(p.get("logActivityTrace", 0)),
        "runbookType": p.get("runbookType", "PowerShell"),
        "parameters": {},
        "state": p.get("state", "New"),
        "jobCount": 0,
        "provisioningState": "Succeeded",
        "outputTypes": [],
        "creationTime": p.get("creationTime", CREATED),
        "lastModifiedBy": p.get("lastModifiedBy", ""),
        "lastModifiedTime": p.get("lastModifiedTime", CREATED),
    }
    if p.get("runtimeEnvironment"):
        props["runtimeEnvironment"] = p["runtimeEnvironment"]
    return {
        "id": res.id,
        "name": res.name.rsplit("/", 1)[-1],
        "type": "Microsoft.Automation/AutomationAccounts/Runbooks",
        "location": res.location,
        "tags": dict(res.tags),
        "etag": f'"{zlib.crc32((res.id.lower() + props["lastModifiedTime"]).encode())}"',
        "properties": props,
    }


def draft_json(res: Resource, text: RunbookText) -> dict:
    p = res.properties
    return {
        "inEdit": text.draft is not None,
        "draftContentLink": {},
        "creationTime": p.get("creationTime", CREATED),
        "lastModifiedTime": p.get("lastModifiedTime", CREATED),
        "parameters": {},
        "outputTypes": [],
    }


def package_json(account: Resource, item: ImportedPackage, environment: str | None) -> dict:
    if environment is None:
        rid, typ = f"{account.id}/modules/{item.name}", "Microsoft.Automation/AutomationAccounts/Modules"
    else:
        rid = f"{account.id}/runtimeEnvironments/{environment}/packages/{item.name}"
        typ = "Microsoft.Automation/automationAccounts/runtimeEnvironments/packages"
    props: dict[str, Any] = {
        "version": item.version,
        "sizeInBytes": item.size_in_bytes,
        "provisioningState": item.provisioning_state,
        # (Azure's examples send a null code; the spec says string: a null is left out)
        "error": {"code": item.error_code, "message": item.error_message or ""}
        if item.error_code
        else {"message": item.error_message or ""},
    }
    if item.content_uri:
        props["contentLink"] = {"uri": item.content_uri}
    if environment is None:
        props.update(
            isGlobal=item.is_global,
            activityCount=0,
            isComposite=False,
            creationTime=item.creation_time or CREATED,
            lastModifiedTime=item.last_modified_time or CREATED,
        )
    else:
        props["default"] = item.is_global
    return {"id": rid, "name": item.name, "type": typ, "location": account.location, "tags": {}, "properties": props}


def environment_json(account: Resource, env: RuntimeEnvironment) -> dict:
    return {
        "id": f"{account.id}/runtimeEnvironments/{env.name}",
        "name": env.name,
        "type": "Microsoft.Automation/automationAccounts/runtimeEnvironments",
        "location": account.location,
        "tags": {},
        "properties": {
            "runtime": {"language": env.language, "version": env.version},
            "defaultPackages": dict(env.default_packages),
            "description": env.description,
        },
    }


def schedule_json(account: Resource, s: Schedule) -> dict:
    return {
        "id": f"{account.id}/schedules/{s.name}",
        "name": s.name,
        "type": "Microsoft.Automation/AutomationAccounts/Schedules",
        "properties": {
            "description": s.description,
            "startTime": s.start_time,
            "startTimeOffsetMinutes": 0.0,
            "expiryTime": s.expiry_time,
            "expiryTimeOffsetMinutes": 0.0,
            "isEnabled": s.is_enabled,
            "nextRun": s.start_time,
            "nextRunOffsetMinutes": 0.0,
            "interval": s.interval,
            "frequency": s.frequency,
            "creationTime": s.creation_time or CREATED,
            "lastModifiedTime": s.creation_time or CREATED,
            "timeZone": s.time_zone,
            "advancedSchedule": None,
        },
    }


def job_schedule_json(account: Resource, js: JobSchedule) -> dict:
    return {
        "id": f"{account.id}/jobSchedules/{js.job_schedule_id}",
        "name": js.job_schedule_id,
        "type": "Microsoft.Automation/AutomationAccounts/JobSchedules",
        "properties": {
            "jobScheduleId": js.job_schedule_id,
            "runbook": {"name": js.runbook_name},
            "schedule": {"name": js.schedule_name},
            **({"runOn": js.run_on} if js.run_on else {}),
            "parameters": dict(js.parameters),
        },
    }
