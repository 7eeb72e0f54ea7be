"""Microsoft.Automation in the sandbox tenant, through the real azure-mgmt-automation client (2024-10-23): the demo's
accounts, runbooks, runtime environments, packages, schedules; a runbook written as a draft and published (two
long-running operations); module and package imports provisioning step by step to Succeeded, or Failed for a bad
link; and the spec's examples replayed with the same shape."""

from __future__ import annotations

import json
import ssl
import uuid

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity.aio import ManagedIdentityCredential
from test_arm_examples import shape_mismatches

from tui.emulator.automation import GALLERY_PACKAGE_URL

EXAMPLES = {
    p.stem: p
    for p in __import__("pathlib")
    .Path(__file__)
    .parent.parent.joinpath("data/arm/automation")
    .rglob("examples/**/*.json")
}


def _prod(emu) -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == "Contoso Production")


@pytest.fixture
def demo(emulator_factory, managed_identity_env):
    emu = emulator_factory("demo")
    managed_identity_env(emu)
    return emu


def _client(emu, arm_kwargs):
    from azure.mgmt.automation.aio import AutomationClient

    cred = ManagedIdentityCredential()
    return cred, AutomationClient(cred, _prod(emu), **arm_kwargs(emu))


RG, AA = "rg-automation-prod", "aa-app-inventory"


async def test_the_demo_accounts_runbooks_environments_and_schedules(demo, arm_kwargs):
    cred, client = _client(demo, arm_kwargs)
    async with cred, client:
        accounts = {a.name: a async for a in client.automation_account.list()}
        assert {"aa-ops-prod", "aa-identity-sync", AA} <= set(accounts)
        assert accounts[AA].identity is None and accounts["aa-ops-prod"].identity.principal_id
        in_group = [a.name async for a in client.automation_account.list_by_resource_group(RG)]
        assert in_group == [n for n, a in accounts.items() if f"/resourceGroups/{RG}/" in a.id] and AA in in_group
        got = await client.automation_account.get(RG, AA)
        assert got.id == accounts[AA].id and got.properties.state == "Ok"

        runbooks = [r async for r in client.runbook.list_by_automation_account(RG, AA)]
        assert [r.name for r in runbooks] == ["Export-AppPermissions"]
        rb = runbooks[0]
        assert rb.properties.runbook_type == "PowerShell72" and rb.properties.runtime_environment == "PowerShell-7.2"
        assert rb.properties.state == "Published"
        content = await client.runbook.get_content(RG, AA, "Export-AppPermissions")
        assert "Connect-MgGraph -Identity" in content and "Get-MgServicePrincipal" in content

        envs = {e.name: e async for e in client.runtime_environments.list_by_automation_account(RG, AA)}
        assert envs["PowerShell-7.2"].properties.runtime.version == "7.2"
        assert envs["PowerShell-7.2"].properties.default_packages == {"Az": "11.2.0"}
        packages = {p.name: p async for p in client.package.list_by_runtime_environment(RG, AA, "PowerShell-7.2")}
        assert set(packages) == {"Microsoft.Graph.Applications"}
        assert packages["Microsoft.Graph.Applications"].properties.provisioning_state == "Succeeded"

        modules = {m.name: m async for m in client.module.list_by_automation_account(RG, AA)}
        assert modules["Az.Accounts"].properties.is_global is True

        schedules = [s async for s in client.schedule.list_by_automation_account(RG, AA)]
        links = [j async for j in client.job_schedule.list_by_automation_account(RG, AA)]
        assert [s.name for s in schedules] == ["Daily-0600"] and schedules[0].properties.frequency == "Day"
        assert [(j.properties.runbook.name, j.properties.schedule.name) for j in links] == [
            ("Export-AppPermissions", "Daily-0600")
        ]

        with pytest.raises(ResourceNotFoundError):
            await client.runbook.get(RG, AA, "No-Such-Runbook")
        with pytest.raises(ResourceNotFoundError):
            await client.automation_account.get(RG, "aa-no-such-account")


async def test_a_runbook_is_written_as_a_draft_then_published(demo, arm_kwargs):
    from azure.mgmt.automation.models import Runbook, RunbookCreateOrUpdateProperties

    text = "Connect-AzAccount -Identity\nGet-AzRoleAssignment\n"
    cred, client = _client(demo, arm_kwargs)
    async with cred, client:
        body = Runbook(
            location="westeurope",
            properties=RunbookCreateOrUpdateProperties(
                runbook_type="PowerShell72", runtime_environment="PowerShell-7.2"
            ),
        )
        created = await client.runbook.create_or_update(RG, AA, "List-Roles", body)
        assert created.properties.state == "New"
        poller = await client.runbook_draft.begin_replace_content(RG, AA, "List-Roles", text, polling_interval=0)
        await poller.result()
        assert await client.runbook_draft.get_content(RG, AA, "List-Roles") == text
        with pytest.raises(ResourceNotFoundError):
            await client.runbook.get_content(RG, AA, "List-Roles")  # nothing published yet
        poller = await client.runbook.begin_publish(RG, AA, "List-Roles", polling_interval=0)
        await poller.result()
        assert await client.runbook.get_content(RG, AA, "List-Roles") == text
        assert (await client.runbook.get(RG, AA, "List-Roles")).properties.state == "Published"
        with pytest.raises(HttpResponseError) as e:  # no draft left to publish
            await (await client.runbook.begin_publish(RG, AA, "List-Roles", polling_interval=0)).result()
        assert e.value.status_code == 400


@pytest.mark.parametrize(
    ("uri", "final"),
    [
        (f"{GALLERY_PACKAGE_URL}Microsoft.Graph.Authentication/2.25.0", "Succeeded"),
        (f"{GALLERY_PACKAGE_URL}Microsoft.Graph.Authentication/9.9.9", "Failed"),
        ("https://example.invalid/not-a-module.zip", "Failed"),
    ],
)
async def test_an_import_provisions_step_by_step(demo, arm_kwargs, uri, final):
    from azure.mgmt.automation.models import (
        ContentLink,
        ModuleCreateOrUpdateParameters,
        ModuleCreateOrUpdateProperties,
        PackageCreateOrUpdateParameters,
        PackageCreateOrUpdateProperties,
    )

    name = "Microsoft.Graph.Authentication"
    cred, client = _client(demo, arm_kwargs)
    async with cred, client:
        pkg = await client.package.create_or_update(
            RG,
            AA,
            "PowerShell-7.2",
            name,
            PackageCreateOrUpdateParameters(
                properties=PackageCreateOrUpdateProperties(content_link=ContentLink(uri=uri))
            ),
        )
        seen = [pkg.properties.provisioning_state]
        while seen[-1] not in ("Succeeded", "Failed"):
            got = await client.package.get(RG, AA, "PowerShell-7.2", name)
            seen.append(got.properties.provisioning_state)
            assert len(seen) < 10
        assert seen == ["Creating", "ContentDownloaded", "ContentValidated", final]
        if final == "Failed":
            assert got.properties.error.message and name in got.properties.error.message
        mod = await client.module.create_or_update(
            RG,
            AA,
            name,
            ModuleCreateOrUpdateParameters(
                properties=ModuleCreateOrUpdateProperties(content_link=ContentLink(uri=uri))
            ),
        )
        assert mod.properties.provisioning_state == "Creating"
        states = [(await client.module.get(RG, AA, name)).properties.provisioning_state for _ in range(3)]
        assert states[-1] == final


async def test_writes_need_the_right_and_bad_input_is_refused(demo, arm_kwargs):
    from azure.mgmt.automation.models import ContentLink, ModuleCreateOrUpdateParameters, ModuleCreateOrUpdateProperties

    cred, client = _client(demo, arm_kwargs)
    async with cred, client:
        with pytest.raises(HttpResponseError) as e:
            await client.module.create_or_update(
                RG,
                AA,
                "Az.Accounts",  # a global module
                ModuleCreateOrUpdateParameters(
                    properties=ModuleCreateOrUpdateProperties(content_link=ContentLink(uri=f"{GALLERY_PACKAGE_URL}x/1"))
                ),
            )
        assert e.value.status_code == 400
    # Alex is Reader of Contoso Shared Services: its account may be read, not changed
    shared = next(
        s.subscription_id for s in demo.tenant.subscriptions.values() if s.display_name == "Contoso Shared Services"
    )
    from azure.mgmt.automation.aio import AutomationClient

    async with ManagedIdentityCredential() as cred, AutomationClient(cred, shared, **arm_kwargs(demo)) as other:
        assert [m.name async for m in other.module.list_by_automation_account("rg-monitoring", "aa-shared-patching")]
        with pytest.raises(HttpResponseError) as e:
            await other.module.create_or_update(
                "rg-monitoring",
                "aa-shared-patching",
                "Az.Resources",
                ModuleCreateOrUpdateParameters(
                    properties=ModuleCreateOrUpdateProperties(
                        content_link=ContentLink(uri=f"{GALLERY_PACKAGE_URL}Az.Resources/7.8.0")
                    )
                ),
            )
        assert e.value.status_code == 403 and e.value.error.code == "AuthorizationFailed"


def _known(example):
    """The example without its null values (a null in an example says nothing of the field's type)."""
    if isinstance(example, dict):
        return {k: _known(v) for k, v in example.items() if v is not None}
    if isinstance(example, list):
        return [_known(v) for v in example]
    return example


def _example_runbook() -> dict:
    body = json.loads(EXAMPLES["createOrUpdateRunbook"].read_text())["parameters"]["parameters"]
    body["properties"]["runtimeEnvironment"] = "PowerShell-7.2"  # the example's environment is a placeholder
    return body


def _example_request(emu, name: str) -> tuple[str, str, dict | None]:
    sub = _prod(emu)
    acc = f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Automation/automationAccounts/{AA}"
    api = "api-version=2024-10-23"
    table = {
        "getAutomationAccount": ("GET", f"{acc}?{api}", None),
        "listAutomationAccountsByResourceGroup": (
            "GET",
            f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Automation/automationAccounts?{api}",
            None,
        ),
        "getRunbook": ("GET", f"{acc}/runbooks/Export-AppPermissions?{api}", None),
        "listRunbooksByAutomationAccount": ("GET", f"{acc}/runbooks?{api}", None),
        "createOrUpdateRunbook": (
            "PUT",
            f"{acc}/runbooks/Get-Example?{api}",
            _example_runbook(),
        ),
        "publishRunbook": ("POST", f"{acc}/runbooks/Export-AppPermissions/publish?{api}", None),
        "getModule": ("GET", f"{acc}/modules/Az.Accounts?{api}", None),
        "listModulesByAutomationAccount": ("GET", f"{acc}/modules?{api}", None),
        "createOrUpdateModule": (
            "PUT",
            f"{acc}/modules/Az.Resources?{api}",
            {"properties": {"contentLink": {"uri": f"{GALLERY_PACKAGE_URL}Az.Resources/7.8.0", "version": "7.8.0"}}},
        ),
    }
    return table[name]


@pytest.mark.parametrize(
    "name",
    [
        "getAutomationAccount",
        "listAutomationAccountsByResourceGroup",
        "getRunbook",
        "listRunbooksByAutomationAccount",
        "createOrUpdateRunbook",
        "getModule",
        "listModulesByAutomationAccount",
        "createOrUpdateModule",
    ],
)
async def test_example_replays_with_the_same_shape(demo, name):
    method, path, body = _example_request(demo, name)
    ex = json.loads(EXAMPLES[name].read_text())
    if name == "getAutomationAccount":  # the example's account has an identity; give ours one
        from tui.emulator.builder import TenantBuilder

        account = demo.tenant.resource(path.split("?")[0])
        TenantBuilder(seed=None, tenant=demo.tenant, with_catalog=False).enable_system_identity(account)
    ctx = ssl.create_default_context(cafile=demo.connection.ca_file)
    headers = {"Authorization": f"Bearer {demo.token_for()}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as s,
        s.request(
            method, demo.connection.arm + path, data=json.dumps(body) if body else None, headers=headers, ssl=ctx
        ) as r,
    ):
        status, text = r.status, await r.text()
    assert str(status) in ex["responses"], f"{name}: {status} {text}"
    expected = ex["responses"][str(status)].get("body")
    if expected:
        assert shape_mismatches(_known(expected), json.loads(text)) == [], name


async def test_an_unknown_api_version_or_route_answers_in_arms_words(demo):
    sub = _prod(demo)
    acc = f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Automation/automationAccounts/{AA}"
    ctx = ssl.create_default_context(cafile=demo.connection.ca_file)
    headers = {"Authorization": f"Bearer {demo.token_for()}"}
    async with aiohttp.ClientSession() as s:
        async with s.get(demo.connection.arm + f"{acc}/runbooks", headers=headers, ssl=ctx) as r:
            assert r.status == 400 and (await r.json())["error"]["code"] == "MissingApiVersionParameter"
        url = demo.connection.arm + f"{acc}/runbooks/{uuid.uuid4()}?api-version=2024-10-23"
        async with s.get(url, headers=headers, ssl=ctx) as r:
            assert r.status == 404 and (await r.json())["error"]["code"] == "NotFound"
