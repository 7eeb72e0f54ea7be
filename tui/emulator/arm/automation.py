"""Microsoft.Automation 2024-10-23 (tests/data/arm/automation): accounts, runbooks with draft and publish, modules,
runtime environments and their packages, schedules and job schedules.

The account itself is answered by the generic resource routes (GET, and PATCH of its identity); its listings and
everything below it are here. Draft content and publish are long-running operations (202 + ``Location``, the
operation's result answering 200 once done); a module or package import is polled by reading it (see
tui.emulator.automation). Errors in ARM's envelope; reads and writes checked against RBAC at the account.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm import automation_shapes as shapes
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import authorization_failed, bad_request, resource_group_not_found, resource_not_found
from tui.emulator.arm.resources import readable_below, resources_under
from tui.emulator.automation import (
    AutomationState,
    JobSchedule,
    RunbookText,
    RuntimeEnvironment,
    Schedule,
    account_state,
    start_import,
)
from tui.emulator.ids import AUTOMATION, RUNBOOK
from tui.emulator.routing import Route, url
from tui.emulator.tenant import Resource, arm_key
from tui.emulator.wire import MAX_BODY_BYTES, ApiError, utc_now_iso

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi

PAGE_SIZE = 100  # Automation pages its listings by 100 (nextLink)
NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}$")
RUNBOOK_TYPES = {
    "powershell",
    "powershell72",
    "powershellworkflow",
    "graphpowershell",
    "graphpowershellworkflow",
    "script",
    "python",
    "python2",
    "python3",
    "graph",
}
A = "Microsoft.Automation/automationAccounts"


def _now() -> str:
    return utc_now_iso()


# --- the account ---------------------------------------------------------------------------------------------------
def _account_id(p: dict[str, str]) -> str:
    return (
        f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}/providers/{AUTOMATION}/"
        + p["automationAccountName"]
    )


def _account(api: ArmApi, call: ArmCall, action: str) -> tuple[Resource, AutomationState]:
    """The account of the call's path and its state, once the caller may do ``action`` there; ARM's 404s else."""
    p = call.params
    api.subscription(p["subscriptionId"])
    rid = _account_id(p)
    api.require(call, action, rid)
    res = api.tenant.resource(rid)
    if res is None or res.type.lower() != AUTOMATION.lower():
        if api.resource_group(p["subscriptionId"], p["resourceGroupName"]) is None:
            raise resource_group_not_found(p["resourceGroupName"])
        raise resource_not_found(AUTOMATION, p["automationAccountName"], p["resourceGroupName"])
    return res, account_state(api.tenant.automation, arm_key(res.id), _now())


async def list_accounts(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        rg_name = call.params.get("resourceGroupName")
        scope = f"/subscriptions/{sub.subscription_id}" + (f"/resourceGroups/{rg_name}" if rg_name else "")
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, f"{A}/read", scope)
        if rg_name and api.resource_group(sub.subscription_id, rg_name) is None:
            raise resource_group_not_found(rg_name)
        readable = readable_below(api, call, scope, lambda r: f"{A}/read")
        items = [
            r for r in resources_under(t, arm_key(scope) + "/") if r.type.lower() == AUTOMATION.lower() and readable(r)
        ]
        return ok(api.page(call, items, PAGE_SIZE, render=lambda r: shapes.account_json(r, t)))


async def get_account(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, _ = _account(api, call, f"{A}/read")
        if call.method == "HEAD":
            return web.Response(status=204)
        return ok(shapes.account_json(account, api.tenant))


# --- runbooks ------------------------------------------------------------------------------------------------------
def _runbooks(t: Any, account: Resource) -> list[Resource]:
    prefix = arm_key(account.id) + "/runbooks/"
    return [r for r in resources_under(t, prefix) if r.type.lower() == RUNBOOK.lower()]


def _runbook(api: ArmApi, call: ArmCall, account: Resource) -> Resource:
    name = call.params["runbookName"]
    res = api.tenant.resource(f"{account.id}/runbooks/{name}")
    if res is None:
        raise ApiError(404, "NotFound", f"The Runbook was not found. RunbookName: {name}")
    return res


async def list_runbooks(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        account, _ = _account(api, call, f"{A}/runbooks/read")
        items = _runbooks(t, account)
        return ok(api.page(call, items, PAGE_SIZE, render=shapes.runbook_json))


async def get_runbook(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, _ = _account(api, call, f"{A}/runbooks/read")
        return ok(shapes.runbook_json(_runbook(api, call, account)))


def _object(body: dict, key: str) -> dict:
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise bad_request("BadRequest", f"The request content was invalid: '{key}' must be an object.")
    return value


async def put_runbook(api: ArmApi, call: ArmCall) -> web.Response:
    from tui.emulator.builder import TenantBuilder

    body = await api.body(call)
    t = api.tenant
    with t.lock:
        account, state = _account(api, call, f"{A}/runbooks/write")
        name = call.params["runbookName"]
        if not NAME_RE.match(name):
            raise bad_request(
                "BadRequest",
                f"Invalid runbook name: {name}. A name starts with a letter and holds "
                "letters, digits, '-' and '_' (at most 63 characters).",
            )
        props = _object(body, "properties")
        kind = props.get("runbookType")
        if not isinstance(kind, str) or kind.lower() not in RUNBOOK_TYPES:
            raise bad_request("BadRequest", f"Invalid runbook type: {kind!r}.")
        env = props.get("runtimeEnvironment")
        if env is not None and (not isinstance(env, str) or env.lower() not in state.runtime_environments):
            raise bad_request("BadRequest", f"The runtime environment {env!r} does not exist in this account.")
        tags = body.get("tags")
        if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
            raise bad_request("BadRequest", "The request content was invalid: 'tags' must map strings to strings.")
        link = _object(props, "publishContentLink")
        existing = t.resource(f"{account.id}/runbooks/{name}")
        now = _now()
        fields = {
            "runbookType": kind,
            "description": str(props.get("description") or ""),
            "logVerbose": bool(props.get("logVerbose", False)),
            "logProgress": bool(props.get("logProgress", False)),
            "logActivityTrace": int(props.get("logActivityTrace") or 0),
            "lastModifiedTime": now,
        }
        if env:
            fields["runtimeEnvironment"] = state.runtime_environments[env.lower()].name
        if existing is None:
            group = f"/subscriptions/{account.subscription_id}/resourceGroups/{account.resource_group}"
            res = TenantBuilder(seed=None, tenant=t, with_catalog=False).add_resource(
                group, RUNBOOK, name, parent=account, tags=tags or {}, location=account.location
            )
            res.properties = {**fields, "state": "New", "creationTime": now}
            status = 201
        else:
            res = existing
            res.properties.update(fields)
            if tags is not None:
                res.tags = dict(tags)
            status = 200
        text = state.texts.setdefault(name.lower(), RunbookText())
        if link.get("uri"):  # Azure downloads the linked script and publishes it
            text.published = f"# published from {link['uri']}\n"
            res.properties["state"] = "Published"
        return ok(shapes.runbook_json(res), status)


async def delete_runbook(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        account, state = _account(api, call, f"{A}/runbooks/delete")
        res = t.resource(f"{account.id}/runbooks/{call.params['runbookName']}")
        if res is None:
            return web.Response(status=204)
        t.resources.pop(arm_key(res.id), None)
        state.texts.pop(call.params["runbookName"].lower(), None)
        for key, js in list(state.job_schedules.items()):
            if js.runbook_name.lower() == call.params["runbookName"].lower():
                del state.job_schedules[key]
        return web.Response(status=200)


def _text_response(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/powershell")


async def get_content(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/runbooks/readContent/action")
        res = _runbook(api, call, account)
        text = state.texts.get(call.params["runbookName"].lower())
        if text is None or text.published is None:
            if res.properties.get("state") in ("Published", "Edit"):
                return _text_response("")  # (a runbook the tenant was built with, published without a text)
            raise ApiError(404, "NotFound", f"The Runbook has no published content. RunbookName: {res.name}")
        return _text_response(text.published)


async def get_draft(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/runbooks/draft/read")
        res = _runbook(api, call, account)
        text = state.texts.get(call.params["runbookName"].lower()) or RunbookText()
        return ok(shapes.draft_json(res, text))


async def get_draft_content(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/runbooks/draft/readContent/action")
        res = _runbook(api, call, account)
        text = state.texts.get(call.params["runbookName"].lower())
        if text is None or text.draft is None:
            raise ApiError(404, "NotFound", f"The Runbook has no draft. RunbookName: {res.name}")
        return _text_response(text.draft)


def _accepted(call: ArmCall, api: ArmApi, what: str) -> web.Response:
    """202 with the ``Location`` of the operation's result (the operation is done: its result answers 200)."""
    op = str(uuid.uuid4())
    path = "/" + "/".join(call.segs)
    location = f"{api.ctx.arm_url}{path}/operationResults/{op}?api-version={call.query.get('api-version')}"
    return web.Response(status=202, headers={"Location": location, "Retry-After": "1"})


async def put_draft_content(api: ArmApi, call: ArmCall) -> web.Response:
    request = call.request
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "RequestEntityTooLarge", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    raw = await request.read()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise bad_request("BadRequest", "The runbook content is not UTF-8 text.") from e
    t = api.tenant
    with t.lock:
        account, state = _account(api, call, f"{A}/runbooks/draft/write")
        res = _runbook(api, call, account)
        state.texts.setdefault(call.params["runbookName"].lower(), RunbookText()).draft = content
        res.properties["state"] = "Edit" if res.properties.get("state") == "Published" else "New"
        if state.texts[call.params["runbookName"].lower()].published is not None:
            res.properties["state"] = "Edit"
        res.properties["lastModifiedTime"] = _now()
        return _accepted(call, api, "draft/content")


async def publish(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        account, state = _account(api, call, f"{A}/runbooks/publish/action")
        res = _runbook(api, call, account)
        text = state.texts.get(call.params["runbookName"].lower())
        if text is None or text.draft is None:
            raise bad_request("BadRequest", f"The Runbook has no draft to publish. RunbookName: {res.name}")
        text.published, text.draft = text.draft, None
        res.properties["state"] = "Published"
        res.properties["lastModifiedTime"] = _now()
        return _accepted(call, api, "publish")


async def operation_result(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, _ = _account(api, call, f"{A}/runbooks/read")
        _runbook(api, call, account)
        return web.Response(status=200)


# --- modules and runtime-environment packages ---------------------------------------------------------------------
def _packages_of(api: ArmApi, call: ArmCall, state: AutomationState) -> dict:
    env_name = call.params.get("runtimeEnvironmentName")
    if env_name is None:
        return state.modules
    return _environment(state, env_name).packages


def _environment(state: AutomationState, name: str) -> RuntimeEnvironment:
    env = state.runtime_environments.get(name.lower())
    if env is None:
        raise ApiError(404, "NotFound", f"The runtime environment was not found. RuntimeEnvironmentName: {name}")
    return env


def _item_name(call: ArmCall) -> str:
    return call.params.get("packageName") or call.params["moduleName"]


def _kind(call: ArmCall) -> str:
    return "runtimeEnvironments/packages" if "runtimeEnvironmentName" in call.params else "modules"


async def list_packages(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/{_kind(call)}/read")
        items = list(_packages_of(api, call, state).values())
        for item in items:
            item.observe()
        env = call.params.get("runtimeEnvironmentName")
        return ok(api.page(call, items, PAGE_SIZE, render=lambda m: shapes.package_json(account, m, env)))


async def get_package(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/{_kind(call)}/read")
        item = _packages_of(api, call, state).get(_item_name(call).lower())
        if item is None:
            what = "Package" if "runtimeEnvironmentName" in call.params else "Module"
            raise ApiError(404, "NotFound", f"The {what} was not found. {what}Name: {_item_name(call)}")
        item.observe()
        return ok(shapes.package_json(account, item, call.params.get("runtimeEnvironmentName")))


async def put_package(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/{_kind(call)}/write")
        name = _item_name(call)
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", name):
            raise bad_request("BadRequest", f"Invalid module name: {name}.")
        link = _object(_object(body, "properties"), "contentLink")
        uri = link.get("uri")
        if not isinstance(uri, str) or not uri.startswith("https://"):
            raise bad_request("BadRequest", "The contentLink's uri is required and must be an https link.")
        items = _packages_of(api, call, state)
        existing = items.get(name.lower())
        if existing is not None and existing.is_global:
            raise bad_request("BadRequest", f"The module {name} is a global module and cannot be replaced.")
        version = link.get("version") if isinstance(link.get("version"), str) else None
        items[name.lower()] = item = start_import(name, uri, version, _now(), existing)
        env = call.params.get("runtimeEnvironmentName")
        return ok(shapes.package_json(account, item, env), 200 if existing is not None else 201)


async def delete_package(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        _, state = _account(api, call, f"{A}/{_kind(call)}/delete")
        items = _packages_of(api, call, state)
        item = items.get(_item_name(call).lower())
        if item is not None and item.is_global:
            raise bad_request("BadRequest", f"The module {item.name} is a global module and cannot be deleted.")
        items.pop(_item_name(call).lower(), None)
        return web.Response(status=200)


async def list_environments(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/runtimeEnvironments/read")
        items = list(state.runtime_environments.values())
        return ok(api.page(call, items, PAGE_SIZE, render=lambda e: shapes.environment_json(account, e)))


async def get_environment(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/runtimeEnvironments/read")
        return ok(shapes.environment_json(account, _environment(state, call.params["runtimeEnvironmentName"])))


# --- schedules and job schedules -----------------------------------------------------------------------------------
async def list_schedules(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/schedules/read")
        items = list(state.schedules.values())
        return ok(api.page(call, items, PAGE_SIZE, render=lambda s: shapes.schedule_json(account, s)))


async def get_schedule(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/schedules/read")
        sched = state.schedules.get(call.params["scheduleName"].lower())
        if sched is None:
            raise ApiError(404, "NotFound", f"The Schedule was not found. ScheduleName: {call.params['scheduleName']}")
        return ok(shapes.schedule_json(account, sched))


async def put_schedule(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/schedules/write")
        name = call.params["scheduleName"]
        props = _object(body, "properties")
        start, frequency = props.get("startTime"), props.get("frequency")
        if not isinstance(start, str) or not isinstance(frequency, str):
            raise bad_request("BadRequest", "A schedule needs its startTime and frequency.")
        if name.lower() in state.schedules:
            raise ApiError(409, "Conflict", f"A schedule with the name {name} already exists.")
        interval = props.get("interval")
        state.schedules[name.lower()] = sched = Schedule(
            name=name,
            start_time=start,
            frequency=frequency,
            interval=int(interval) if isinstance(interval, int | str) and str(interval).isdigit() else None,
            time_zone=str(props.get("timeZone") or "UTC"),
            description=str(props.get("description") or ""),
            creation_time=_now(),
        )
        return ok(shapes.schedule_json(account, sched), 201)


async def list_job_schedules(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/jobSchedules/read")
        items = list(state.job_schedules.values())
        return ok(api.page(call, items, PAGE_SIZE, render=lambda j: shapes.job_schedule_json(account, j)))


async def get_job_schedule(api: ArmApi, call: ArmCall) -> web.Response:
    with api.tenant.lock:
        account, state = _account(api, call, f"{A}/jobSchedules/read")
        js = state.job_schedules.get(call.params["jobScheduleId"].lower())
        if js is None:
            raise ApiError(404, "NotFound", "The Job Schedule was not found.")
        return ok(shapes.job_schedule_json(account, js))


async def put_job_schedule(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    with t.lock:
        account, state = _account(api, call, f"{A}/jobSchedules/write")
        jid = call.params["jobScheduleId"]
        props = _object(body, "properties")
        sched, runbook = _object(props, "schedule").get("name"), _object(props, "runbook").get("name")
        if not isinstance(sched, str) or sched.lower() not in state.schedules:
            raise ApiError(404, "NotFound", f"The Schedule was not found. ScheduleName: {sched}")
        if not isinstance(runbook, str) or t.resource(f"{account.id}/runbooks/{runbook}") is None:
            raise ApiError(404, "NotFound", f"The Runbook was not found. RunbookName: {runbook}")
        if jid.lower() in state.job_schedules:
            raise ApiError(409, "Conflict", f"A job schedule with the id {jid} already exists.")
        params = props.get("parameters") or {}
        state.job_schedules[jid.lower()] = js = JobSchedule(
            job_schedule_id=jid,
            runbook_name=t.resource(f"{account.id}/runbooks/{runbook}").name.rsplit("/", 1)[-1],
            schedule_name=state.schedules[sched.lower()].name,
            run_on=props.get("runOn") if isinstance(props.get("runOn"), str) else None,
            parameters={str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {},
        )
        return ok(shapes.job_schedule_json(account, js), 201)


# --- routes --------------------------------------------------------------------------------------------------------
SEG = r"[^/]+"
SUB = rf"/subscriptions/(?P<subscriptionId>{SEG})"
ACC = rf"{SUB}/resourcegroups/(?P<resourceGroupName>{SEG})/providers/microsoft\.automation/automationaccounts/" + (
    rf"(?P<automationAccountName>{SEG})"
)
ACC_T = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Automation/"
    "automationAccounts/{automationAccountName}"
)
RB = rf"{ACC}/runbooks/(?P<runbookName>{SEG})"
ENV = rf"{ACC}/runtimeenvironments/(?P<runtimeEnvironmentName>{SEG})"


def _r(tail: str, handlers: dict, pattern: str) -> Route:
    return url(ACC_T + tail, handlers, pattern=f"^{pattern}/?$")


ROUTES: list[Route] = [
    url(
        "/subscriptions/{subscriptionId}/providers/Microsoft.Automation/automationAccounts",
        {"GET": list_accounts},
        pattern=rf"^{SUB}/providers/microsoft\.automation/automationaccounts/?$",
    ),
    url(
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Automation/"
        "automationAccounts",
        {"GET": list_accounts},
        pattern=rf"^{SUB}/resourcegroups/(?P<resourceGroupName>{SEG})/providers/microsoft\.automation/"
        r"automationaccounts/?$",
    ),
    _r("", {"GET": get_account}, ACC),  # PATCH and PUT: the generic resource routes (its identity)
    _r("/runbooks", {"GET": list_runbooks}, f"{ACC}/runbooks"),
    _r("/runbooks/{runbookName}", {"GET": get_runbook, "PUT": put_runbook, "DELETE": delete_runbook}, RB),
    _r("/runbooks/{runbookName}/content", {"GET": get_content}, f"{RB}/content"),
    _r("/runbooks/{runbookName}/draft", {"GET": get_draft}, f"{RB}/draft"),
    _r(
        "/runbooks/{runbookName}/draft/content",
        {"GET": get_draft_content, "PUT": put_draft_content},
        f"{RB}/draft/content",
    ),
    _r("/runbooks/{runbookName}/publish", {"POST": publish}, f"{RB}/publish"),
    _r(
        "/runbooks/{runbookName}/{operation}/operationResults/{operationId}",
        {"GET": operation_result},
        rf"{RB}/(?:publish|draft/content)/operationresults/(?P<operationId>{SEG})",
    ),
    _r("/modules", {"GET": list_packages}, f"{ACC}/modules"),
    _r(
        "/modules/{moduleName}",
        {"GET": get_package, "PUT": put_package, "DELETE": delete_package},
        rf"{ACC}/modules/(?P<moduleName>{SEG})",
    ),
    _r("/runtimeEnvironments", {"GET": list_environments}, f"{ACC}/runtimeenvironments"),
    _r("/runtimeEnvironments/{runtimeEnvironmentName}", {"GET": get_environment}, ENV),
    _r("/runtimeEnvironments/{runtimeEnvironmentName}/packages", {"GET": list_packages}, f"{ENV}/packages"),
    _r(
        "/runtimeEnvironments/{runtimeEnvironmentName}/packages/{packageName}",
        {"GET": get_package, "PUT": put_package, "DELETE": delete_package},
        rf"{ENV}/packages/(?P<packageName>{SEG})",
    ),
    _r("/schedules", {"GET": list_schedules}, f"{ACC}/schedules"),
    _r(
        "/schedules/{scheduleName}",
        {"GET": get_schedule, "PUT": put_schedule},
        rf"{ACC}/schedules/(?P<scheduleName>{SEG})",
    ),
    _r("/jobSchedules", {"GET": list_job_schedules}, f"{ACC}/jobschedules"),
    _r(
        "/jobSchedules/{jobScheduleId}",
        {"GET": get_job_schedule, "PUT": put_job_schedule},
        rf"{ACC}/jobschedules/(?P<jobScheduleId>{SEG})",
    ),
]
