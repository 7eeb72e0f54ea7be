"""The Activity Log: ``GET /subscriptions/{id}/providers/microsoft.insights/eventtypes/management/values``
(api-version 2015-04-01; spec copied to ``tests/data/arm/monitor/2015-04-01/activityLogs_API.json``).

``$filter`` is "very restricted and allows only the following patterns": ``eventTimestamp ge '<time>'`` and
optionally ``eventTimestamp le '<time>'``, plus at most one of ``resourceGroupName eq``, ``resourceUri eq``,
``resourceProvider eq`` or ``correlationId eq``, joined by ``and``. Anything else is a 400 in ARM's shape. Events
are newest first, in pages with a ``nextLink``; 90 days are kept (an earlier start is served from 90 days ago).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator.activity import ACTIVITY_RETENTION_DAYS, parse_time
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import authorization_failed, bad_request
from tui.emulator.arm.paging import page_of
from tui.emulator.wire import ApiError

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi

API_VERSION = "2015-04-01"
READ_ACTION = "Microsoft.Insights/eventtypes/values/read"
PAGE_SIZE = 200
SELECTABLE = (
    "authorization",
    "claims",
    "correlationId",
    "description",
    "eventDataId",
    "eventName",
    "eventTimestamp",
    "httpRequest",
    "level",
    "operationId",
    "operationName",
    "properties",
    "resourceGroupName",
    "resourceProviderName",
    "resourceId",
    "status",
    "submissionTimestamp",
    "subStatus",
    "subscriptionId",
    # not in the spec's list but served by Azure and read by the SDK's model
    "caller",
    "category",
    "resourceType",
    "tenantId",
    "id",
)
ONE_OF = {"resourcegroupname": "resourceGroupName", "resourceuri": "resourceUri",
          "resourceprovider": "resourceProvider", "correlationid": "correlationId"}  # fmt: skip
_CLAUSE = re.compile(r"^\s*(?P<field>[A-Za-z]+)\s+(?P<op>eq|ge|le)\s+'(?P<value>(?:[^']|'')*)'\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _invalid(text: str, why: str) -> ApiError:
    return bad_request(
        "BadRequest",
        f"The $filter '{text}' is not valid: {why}. Allowed: eventTimestamp ge '<time>' [and eventTimestamp le "
        "'<time>'] [and one of resourceGroupName, resourceUri, resourceProvider, correlationId eq '<value>'].",
    )


def parse_activity_filter(text: str | None) -> tuple[float, float, tuple[str, str] | None]:
    """(start, end, (field, value) or None) of an Activity Log ``$filter``; :class:`ApiError` 400 otherwise."""
    if not text or not text.strip():
        raise bad_request("BadRequest", "The $filter query parameter is required: eventTimestamp ge '<time>'.")
    start: float | None = None
    end: float | None = None
    extra: tuple[str, str] | None = None
    for clause in _AND.split(text.strip()):
        m = _CLAUSE.match(clause)
        if not m:
            raise _invalid(text, f"'{clause}' is not a supported clause")
        name, op, value = m["field"].lower(), m["op"].lower(), m["value"].replace("''", "'")
        if name == "eventtimestamp" and op in ("ge", "le"):
            try:
                when = parse_time(value)
            except ValueError:
                raise _invalid(text, f"'{value}' is not a timestamp") from None
            if op == "ge":
                if start is not None:
                    raise _invalid(text, "eventTimestamp ge is given twice")
                start = when
            else:
                if end is not None:
                    raise _invalid(text, "eventTimestamp le is given twice")
                end = when
        elif name in ONE_OF and op == "eq":
            if extra is not None:
                raise _invalid(text, "only one of resourceGroupName, resourceUri, resourceProvider, correlationId")
            extra = (ONE_OF[name], value)
        else:
            raise _invalid(text, f"'{m['field']} {m['op']}' is not allowed")
    if start is None:
        raise _invalid(text, "eventTimestamp ge is required")
    now = time.time()
    end = now if end is None else end
    if end < start:
        raise _invalid(text, "the end time is before the start time")
    return max(start, now - ACTIVITY_RETENTION_DAYS * 86400), min(end, now), extra


def _matches(body: dict[str, Any], extra: tuple[str, str] | None) -> bool:
    if extra is None:
        return True
    name, value = extra
    v = value.lower()
    if name == "resourceGroupName":
        return str(body.get("resourceGroupName", "")).lower() == v
    if name == "resourceUri":
        return str(body.get("resourceId", "")).lower() == v.rstrip("/")
    if name == "resourceProvider":
        return str(body.get("resourceProviderName", {}).get("value", "")).lower() == v
    return str(body.get("correlationId", "")).lower() == v


def parse_select(text: str | None) -> list[str] | None:
    if text is None or not text.strip():
        return None
    known = {s.lower(): s for s in SELECTABLE}
    out = []
    for raw in text.split(","):
        name = raw.strip()
        if name.lower() not in known:
            raise bad_request("BadRequest", f"The $select property '{name}' is not valid.")
        out.append(known[name.lower()])
    return out


async def list_activity_logs(api: ArmApi, call: ArmCall) -> web.Response:
    version = call.query.get("api-version", "")
    if version != API_VERSION:
        raise ApiError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{API_VERSION}'.",
        )
    sub = api.subscription(call.params["subscriptionId"])
    scope = f"/subscriptions/{sub.subscription_id}"
    refusal = api.tenant.activity.refusal("activityLog")
    if refusal is not None or not api.can(call, READ_ACTION, scope):
        raise authorization_failed(call, READ_ACTION, scope)
    start, end, extra = parse_activity_filter(call.query.get("$filter"))
    select = parse_select(call.query.get("$select"))
    sub_low = sub.subscription_id.lower()
    with api.tenant.activity.lock:
        timeline = api.tenant.activity.events_by_subscription.get(sub_low)
        entries = timeline.between(start, end) if timeline is not None else []
    items = [e.body for e in entries if _matches(e.body, extra)]
    chunk, next_link = page_of(call, items, PAGE_SIZE, False, api.ctx.arm_url)
    value = [b if select is None else {k: b[k] for k in select if k in b} for b in chunk]
    out: dict[str, Any] = {"value": value}
    if next_link is not None:
        out["nextLink"] = next_link
    return ok(out)
