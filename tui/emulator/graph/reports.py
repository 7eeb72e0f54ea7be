"""Sign-ins and audits: beta ``reports/servicePrincipalSignInActivities`` and ``auditLogs/signIns``, v1.0 (and
beta) ``auditLogs/directoryAudits`` (msgraph-metadata; the entity shapes are copied to ``tests/data/graph``).

Apps need ``AuditLog.Read.All``. A refused source (:meth:`ActivityRecord.refuse`) answers 403: ``forbidden`` as
Graph words a missing permission, ``licence`` as it words a tenant without Entra ID P1/P2.

``$filter`` uses Graph's grammar; timestamps may be written bare (``createdDateTime ge 2026-01-01T00:00:00Z``), as
Graph takes them. ``signIns`` without a ``signInEventTypes`` clause lists interactive user sign-ins only, as Graph
does: a managed identity's sign-ins need ``signInEventTypes/any(t: t eq 'managedIdentity')``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tui.emulator.activity import AUDIT_RETENTION_DAYS, SIGN_IN_RETENTION_DAYS, iso
from tui.emulator.graph import query as q
from tui.emulator.graph.call import GraphCall, GraphResult
from tui.emulator.graph.paging import count_flag, page
from tui.emulator.graph.permissions import require_read
from tui.emulator.wire import ApiError

AUDIT_ROLES = frozenset({"AuditLog.Read.All"})
_BARE_TIME = re.compile(r"(?<!')\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)(?!')")


def _refused(call: GraphCall, source: str) -> None:
    how = call.tenant.activity.refusal(source)
    if how == "licence":
        raise ApiError(
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        )
    if how is not None:
        raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    require_read(call, AUDIT_ROLES)


def _filter(call: GraphCall, props: dict[str, tuple[str, bool]], resource: str) -> q.Filter:
    text = call.query.get("$filter", "")
    text = _BARE_TIME.sub(lambda m: f"'{_time_key(m.group(1))}'", text)
    # a navigation path (initiatedBy/app/servicePrincipalId) is one property here
    text = re.sub(r"\b(initiatedBy)/(app|user)/(\w+)", r"\1.\2.\3", text, flags=re.IGNORECASE)
    return q.parse_filter(text, props, _get, resource)


def _get(body: dict[str, Any], name: str) -> Any:
    value: Any = body
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _time_key(value: str) -> str:
    """A timestamp as a string that sorts in time order (whole seconds: Graph's filters compare to the second)."""
    return value[:19]


SIGN_IN_PROPS = {
    "createddatetime": ("createdDateTime", False),
    "appid": ("appId", False),
    "serviceprincipalid": ("servicePrincipalId", False),
    "signineventtypes": ("signInEventTypes", True),
    "resourceid": ("resourceId", False),
    "correlationid": ("correlationId", False),
}
AUDIT_PROPS = {
    "activitydatetime": ("activityDateTime", False),
    "category": ("category", False),
    "activitydisplayname": ("activityDisplayName", False),
    "operationtype": ("operationType", False),
    "result": ("result", False),
    "initiatedby.app.serviceprincipalid": ("initiatedBy.app.servicePrincipalId", False),
    "initiatedby.app.appid": ("initiatedBy.app.appId", False),
    "initiatedby.user.id": ("initiatedBy.user.id", False),
}
ACTIVITY_PROPS = {"appid": ("appId", False), "id": ("id", False)}


def _normalized(bodies: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Bodies with ``field`` cut to whole seconds for comparison (the answer keeps the original)."""
    return [{**b, field: _time_key(str(b.get(field, "")))} for b in bodies]


def _select(call: GraphCall, known: list[str], type_name: str) -> list[str] | None:
    return q.parse_select(call.query.get("$select"), known, type_name)


def list_sign_in_activities(call: GraphCall) -> GraphResult:
    """beta ``GET /reports/servicePrincipalSignInActivities``: one row per service principal that signed in."""
    _refused(call, "signInActivity")
    rec = call.tenant.activity
    with rec.lock:  # rendered once per change, not once per page (10,000 rows in pages of 100)
        version, rows = rec.derived.get("signInActivityRows", (-1, []))
        if version != rec.sign_in_version:
            rows = sorted((_activity_json(a.app_id, a.last) for a in rec.last_sign_in.values()), key=_app_id)
            rec.derived["signInActivityRows"] = (rec.sign_in_version, rows)
    flt = _filter(call, ACTIVITY_PROPS, "servicePrincipalSignInActivity")
    items = [r for r in rows if flt.predicate(r)]
    select = _select(call, list(rows[0]) if rows else ["id", "appId"], "microsoft.graph.servicePrincipalSignInActivity")
    return page(call, items, lambda r: r, "reports/servicePrincipalSignInActivities", select, count_flag(call))


def _app_id(row: dict[str, Any]) -> str:
    return str(row["appId"])


def _activity_json(app_id: str, last: dict[str, tuple[float, str]]) -> dict[str, Any]:
    def one(flow: str) -> dict[str, Any] | None:
        if flow not in last:
            return {"lastSignInDateTime": None, "lastSignInRequestId": None}
        ts, rid = last[flow]
        return {"lastSignInDateTime": iso(ts)[:19] + "Z", "lastSignInRequestId": rid}

    return {
        "id": app_id.replace("-", "")[:22],
        "appId": app_id,
        "lastSignInActivity": one("lastSignInActivity"),
        "delegatedClientSignInActivity": one("delegatedClientSignInActivity"),
        "delegatedResourceSignInActivity": one("delegatedResourceSignInActivity"),
        "applicationAuthenticationClientSignInActivity": one("applicationAuthenticationClientSignInActivity"),
        "applicationAuthenticationResourceSignInActivity": one("applicationAuthenticationResourceSignInActivity"),
    }


def list_sign_ins(call: GraphCall) -> GraphResult:
    """beta ``GET /auditLogs/signIns``, newest first, 30 days kept."""
    _refused(call, "signIns")
    rec = call.tenant.activity
    now = time.time()
    with rec.lock:
        bodies = [e.body for e in rec.sign_ins.between(now - SIGN_IN_RETENTION_DAYS * 86400, now)]
    text = call.query.get("$filter", "")
    if "signineventtypes" not in text.lower():
        bodies = [b for b in bodies if "interactiveUser" in b.get("signInEventTypes", [])]
    flt = _filter(call, SIGN_IN_PROPS, "signIn")
    keyed = _normalized(bodies, "createdDateTime")
    items = [b for b, k in zip(bodies, keyed, strict=True) if flt.predicate(k)]
    select = _select(call, list(bodies[0]) if bodies else ["id"], "microsoft.graph.signIn")
    return page(call, items, lambda r: r, "auditLogs/signIns", select, count_flag(call))


def list_directory_audits(call: GraphCall) -> GraphResult:
    """``GET /auditLogs/directoryAudits``, newest first, 30 days kept."""
    _refused(call, "directoryAudits")
    rec = call.tenant.activity
    now = time.time()
    with rec.lock:
        bodies = [e.body for e in rec.audits.between(now - AUDIT_RETENTION_DAYS * 86400, now)]
    flt = _filter(call, AUDIT_PROPS, "directoryAudit")
    keyed = _normalized(bodies, "activityDateTime")
    items = [b for b, k in zip(bodies, keyed, strict=True) if flt.predicate(k)]
    select = _select(call, list(bodies[0]) if bodies else ["id"], "microsoft.graph.directoryAudit")
    return page(call, items, lambda r: r, "auditLogs/directoryAudits", select, count_flag(call))
