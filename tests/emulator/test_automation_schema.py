"""The sandbox's Microsoft.Automation answers validate against the 2024-10-23 spec's own definitions (accounts,
runbooks, modules, runtime environments, packages, schedules, job schedules and their list results), read raw over
HTTPS. common-types' Resource / TrackedResource / ProxyResource / systemData (not copied) stand in as objects."""

from __future__ import annotations

import json
import ssl
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest

SPEC = Path(__file__).resolve().parent.parent / "data" / "arm" / "automation" / "2024-10-23"
FILES = ("account", "runbook", "module", "package", "runtimeEnvironment", "schedule", "jobSchedule")


def _local(node: Any) -> Any:
    """Every ``$ref`` pointed at the merged definitions; one to common-types (not copied) at a plain object."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                if "common-types" in v:
                    return {"type": "object"}
                v = "#" + v.split("#", 1)[1]
            out[k] = _local(v)
        return out
    if isinstance(node, list):
        return [_local(v) for v in node]
    return node


@cache
def definitions() -> dict:
    merged: dict = {}
    for common in ("common/v1/definitions.json", "common/v5/definitions.json"):
        merged.update(json.loads((SPEC / common).read_text()).get("definitions", {}))
    for name in FILES:
        merged.update(json.loads((SPEC / f"{name}.json").read_text())["definitions"])
    return _local(merged)


def validate(definition: str, body: Any) -> None:
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions()}
    jsonschema.Draft4Validator(schema).validate(body)


@pytest.mark.parametrize(
    ("tail", "definition"),
    [
        ("", "AutomationAccount"),
        ("/runbooks", "RunbookListResult"),
        ("/runbooks/Export-AppPermissions", "Runbook"),
        ("/modules", "ModuleListResult"),
        ("/modules/Az.Accounts", "Module"),
        ("/runtimeEnvironments", "RuntimeEnvironmentListResult"),
        ("/runtimeEnvironments/PowerShell-7.2", "RuntimeEnvironment"),
        ("/runtimeEnvironments/PowerShell-7.2/packages", "PackageListResult"),
        ("/runtimeEnvironments/PowerShell-7.2/packages/Microsoft.Graph.Applications", "Package"),
        ("/schedules", "ScheduleListResult"),
        ("/schedules/Daily-0600", "Schedule"),
        ("/jobSchedules", "JobScheduleListResult"),
    ],
)
async def test_answers_validate_against_the_spec(demo_emulator, tail: str, definition: str) -> None:
    emu = demo_emulator
    sub = next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Contoso Production")
    account = (
        f"/subscriptions/{sub}/resourceGroups/rg-automation-prod/providers/Microsoft.Automation/automationAccounts/"
        "aa-app-inventory"
    )
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    headers = {"Authorization": f"Bearer {emu.token_for()}"}
    url = f"{emu.connection.arm}{account}{tail}?api-version=2024-10-23"
    async with aiohttp.ClientSession() as s, s.get(url, headers=headers, ssl=ctx) as r:
        assert r.status == 200, await r.text()
        body = await r.json()
    validate(definition, body)
    if definition.endswith("ListResult"):
        assert body["value"], f"{tail}: an empty listing proves nothing"


def test_the_validator_refuses_a_wrong_shape() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate("Module", {"properties": {"provisioningState": 3}})
