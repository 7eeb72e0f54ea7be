"""What happened in the sandbox tenant, recorded as Azure records it: Activity Log events (every ARM write and action,
with the caller's claims), sign-ins (every token issued to a service principal: the managed-identity endpoint and
client credentials) and directory audits (every Graph write).

Shapes follow the specs copied into ``tests/data``: the Activity Log's ``EventData`` (azure-rest-api-specs
``monitor/.../2015-04-01/activityLogs_API.json``) and Graph's ``signIn``, ``servicePrincipalSignInActivity`` (beta)
and ``directoryAudit`` (v1.0) from msgraph-metadata.

A source can be *refused* (:meth:`ActivityRecord.refuse`): the API answers 403, as Azure does without the right or
without an Entra ID P1/P2 licence, so a client's "unknown" coverage can be tested.
"""

from __future__ import annotations

import bisect
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"  # Windows Azure Service Management API
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

ACTIVITY_RETENTION_DAYS = 90  # the Activity Log keeps 90 days
SIGN_IN_RETENTION_DAYS = 30  # sign-in events and directory audits: 30 days with Entra ID P1/P2
AUDIT_RETENTION_DAYS = 30

SOURCES = ("activityLog", "signInActivity", "signIns", "directoryAudits")
REFUSALS = ("forbidden", "licence")

CLAIM_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
CLAIM_TID = "http://schemas.microsoft.com/identity/claims/tenantid"
CLAIM_UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"


def iso(ts: float) -> str:
    """``ts`` (epoch seconds) as Azure writes a timestamp: ISO 8601 in UTC with seven fraction digits and Z."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0Z"


def parse_time(text: str) -> float:
    """An ISO 8601 timestamp (``Z`` or an offset; up to seven fraction digits) as epoch seconds; ValueError."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    head, dot, rest = t.partition(".")
    if dot:  # Python takes at most six fraction digits
        digits = "".join(c for c in rest if c.isdigit())
        tail = rest[len(digits) :]
        t = f"{head}.{(digits + '000000')[:6]}{tail}"
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@dataclass(order=True)
class Entry:
    """One recorded event: when (epoch seconds) and its wire body (rendered once)."""

    ts: float
    body: dict[str, Any] = field(compare=False)


class Timeline:
    """Entries kept in time order (history may be added out of order)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, ts: float, body: dict[str, Any]) -> None:
        bisect.insort(self.entries, Entry(ts, body))

    def between(self, start: float, end: float) -> list[Entry]:
        """The entries with ``start <= ts <= end``, newest first."""
        lo = bisect.bisect_left(self.entries, Entry(start, {}))
        hi = bisect.bisect_right(self.entries, Entry(end, {}))
        return self.entries[lo:hi][::-1]


@dataclass
class SignInActivity:
    """The last sign-ins of one service principal, per flow, as ``servicePrincipalSignInActivity`` reports them."""

    app_id: str
    last: dict[str, tuple[float, str]] = field(default_factory=dict)  # flow -> (time, request id)


class ActivityRecord:
    """Everything the tenant recorded (thread-safe: the ARM, Graph and token listeners all write here)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events = Timeline()  # Activity Log
        # the same events by subscription (lower): a listing reads its own subscription's, not the tenant's (550 pages
        # of a 50-subscription tenant each scanned all 90 000 events: a minute of the sandbox's CPU)
        self.events_by_subscription: dict[str, Timeline] = {}
        self.sign_ins = Timeline()  # beta signIns
        self.audits = Timeline()  # directoryAudits
        self.last_sign_in: dict[str, SignInActivity] = {}  # app id (lower) -> its activity
        # bumped by every sign-in: what is derived from ``last_sign_in`` (the report's rows, rendered and sorted once
        # rather than for each of its pages) is kept with the version it was derived at
        self.sign_in_version = 0
        self.derived: dict[str, tuple[int, Any]] = {}
        self.refused: dict[str, str] = {}  # source -> "forbidden" | "licence"

    # --- refusals -------------------------------------------------------------------------------------------
    def refuse(self, source: str, how: str | None = "forbidden") -> None:
        """Answer ``source`` (one of :data:`SOURCES`) with 403 ``how`` (``forbidden`` or ``licence``); None
        serves it again."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; known: {list(SOURCES)}")
        if how is not None and how not in REFUSALS:
            raise ValueError(f"unknown refusal {how!r}; known: {list(REFUSALS)}")
        with self.lock:
            if how is None:
                self.refused.pop(source, None)
            else:
                self.refused[source] = how

    def refusal(self, source: str) -> str | None:
        with self.lock:
            return self.refused.get(source)

    # --- recording ------------------------------------------------------------------------------------------
    def record_operation(
        self,
        *,
        tenant_id: str,
        claims: Mapping[str, Any],
        caller: str,
        operation: str,
        resource_id: str,
        method: str,
        status_code: int,
        ts: float | None = None,
        correlation_id: str | None = None,
        client_request_id: str | None = None,
        uri: str = "",
        scope: str | None = None,
    ) -> dict[str, Any]:
        """An Activity Log event for one ARM write or action (``status_code`` < 400: Succeeded, else Failed)."""
        ts = time.time() if ts is None else ts
        event_id = str(uuid.uuid4())
        correlation_id = correlation_id or str(uuid.uuid4())
        parts = [p for p in resource_id.split("/") if p]
        low = [p.lower() for p in parts]
        sub_id = parts[1] if len(parts) > 1 and low[0] == "subscriptions" else ""
        group = parts[3] if len(parts) > 3 and low[2] == "resourcegroups" else ""
        provider = operation.split("/", 1)[0]
        rtype = operation.rsplit("/", 2 if operation.endswith("/action") else 1)[0]
        ok = status_code < 400
        body: dict[str, Any] = {
            "authorization": {"action": operation, "scope": scope or resource_id},
            "caller": caller,
            "channels": "Operation",
            "claims": wire_claims(claims, tenant_id),
            "correlationId": correlation_id,
            "description": "",
            "eventDataId": event_id,
            "eventName": {"value": "EndRequest", "localizedValue": "End request"},
            "category": {"value": "Administrative", "localizedValue": "Administrative"},
            "eventTimestamp": iso(ts),
            "httpRequest": {
                "clientRequestId": client_request_id or str(uuid.uuid4()),
                "clientIpAddress": "127.0.0.1",
                "method": method.upper(),
                "uri": uri,
            },
            "id": f"{resource_id}/events/{event_id}/ticks/{int(ts * 10_000_000) + 621355968000000000}",
            "level": "Informational" if ok else "Error",
            "resourceGroupName": group,
            "resourceProviderName": {"value": provider, "localizedValue": provider},
            "resourceId": resource_id,
            "resourceType": {"value": rtype, "localizedValue": rtype},
            "operationId": str(uuid.uuid4()),
            "operationName": {"value": operation, "localizedValue": operation},
            "properties": {"statusCode": _status_word(status_code), "serviceRequestId": str(uuid.uuid4())},
            "status": {"value": "Succeeded" if ok else "Failed", "localizedValue": "Succeeded" if ok else "Failed"},
            "subStatus": {"value": _status_word(status_code), "localizedValue": _status_text(status_code)},
            "submissionTimestamp": iso(ts + 5),
            "subscriptionId": sub_id,
            "tenantId": tenant_id,
        }
        with self.lock:
            self.events.add(ts, body)
            self.events_by_subscription.setdefault(str(sub_id).lower(), Timeline()).add(ts, body)
        return body

    def record_sign_in(
        self,
        *,
        principal_id: str,
        app_id: str,
        display_name: str,
        managed_identity: bool,
        mi_resource_id: str | None,
        resource_app_id: str,
        resource_name: str,
        ts: float | None = None,
    ) -> None:
        """A sign-in of a service principal (a token issued): a ``signIn`` event and its last-sign-in activity."""
        ts = time.time() if ts is None else ts
        request_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "id": request_id,
            "createdDateTime": iso(ts)[:-9] + "Z",
            "appId": app_id,
            "appDisplayName": display_name,
            "servicePrincipalId": principal_id,
            "servicePrincipalName": display_name,
            "resourceId": resource_app_id,
            "resourceDisplayName": resource_name,
            "correlationId": str(uuid.uuid4()),
            "ipAddress": "127.0.0.1",
            "isInteractive": False,
            "signInEventTypes": ["managedIdentity" if managed_identity else "servicePrincipal"],
            "authenticationProcessingDetails": [],
            "managedServiceIdentity": {
                "msiType": (
                    "userAssigned" if "userassignedidentities" in (mi_resource_id or "").lower() else "systemAssigned"
                )
                if managed_identity
                else "none",
                "associatedResourceId": mi_resource_id or "",
                "federatedTokenId": None,
                "federatedTokenIssuer": None,
            },
            "status": {"errorCode": 0, "failureReason": None, "additionalDetails": None},
        }
        with self.lock:
            self.sign_in_version += 1
            self.sign_ins.add(ts, body)
            act = self.last_sign_in.setdefault(app_id.lower(), SignInActivity(app_id))
            for flow in ("lastSignInActivity", "applicationAuthenticationClientSignInActivity"):
                if flow not in act.last or act.last[flow][0] <= ts:
                    act.last[flow] = (ts, request_id)
            # the resource side: the resource app saw a sign-in for it
            res = self.last_sign_in.setdefault(resource_app_id.lower(), SignInActivity(resource_app_id))
            if "applicationAuthenticationResourceSignInActivity" not in res.last or (
                res.last["applicationAuthenticationResourceSignInActivity"][0] <= ts
            ):
                res.last["applicationAuthenticationResourceSignInActivity"] = (ts, request_id)

    def record_audit(
        self,
        *,
        activity: str,
        category: str,
        operation_type: str,
        initiated_by: dict[str, Any],
        targets: list[dict[str, Any]],
        ok: bool = True,
        ts: float | None = None,
    ) -> None:
        """A ``directoryAudit`` for one Graph write."""
        ts = time.time() if ts is None else ts
        body = {
            "id": f"Directory_{uuid.uuid4()}",
            "category": category,
            "correlationId": str(uuid.uuid4()),
            "result": "success" if ok else "failure",
            "resultReason": "",
            "activityDisplayName": activity,
            "activityDateTime": iso(ts)[:-9] + "Z",
            "loggedByService": "Core Directory",
            "operationType": operation_type,
            "initiatedBy": initiated_by,
            "targetResources": targets,
            "additionalDetails": [],
        }
        with self.lock:
            self.audits.add(ts, body)


def wire_claims(claims: Mapping[str, Any], tenant_id: str) -> dict[str, str]:
    """A token's claims as the Activity Log writes them (every value a string, the object id, tenant id and UPN
    under their schema URIs)."""
    out: dict[str, str] = {}
    for k, v in claims.items():
        if k in ("roles", "scp") and isinstance(v, list):
            v = " ".join(str(x) for x in v)
        if k == "oid":
            out[CLAIM_OID] = str(v)
        elif k == "tid":
            out[CLAIM_TID] = str(v)
        elif k == "upn":
            out[CLAIM_UPN] = str(v)
        else:
            out[k] = str(v)
    out.setdefault(CLAIM_TID, tenant_id)
    return out


def _status_word(code: int) -> str:
    return {
        200: "OK",
        201: "Created",
        202: "Accepted",
        204: "NoContent",
        400: "BadRequest",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
    }.get(code, str(code))


def _status_text(code: int) -> str:
    word = _status_word(code)
    return f"{word} (HTTP Status Code: {code})"


def operation_of(method: str, segs: list[str]) -> tuple[str, str] | None:
    """(operation name, resource id) of an ARM write or action at the path ``segs``: ``PUT .../providers/
    Microsoft.Authorization/roleAssignments/X`` is ``Microsoft.Authorization/roleAssignments/write`` on that id,
    ``POST .../virtualMachines/vm/restart`` is ``Microsoft.Compute/virtualMachines/restart/action`` on the VM."""
    low = [s.lower() for s in segs]
    if "providers" not in low:
        return None
    i = len(low) - 1 - low[::-1].index("providers")
    tail = segs[i + 1 :]
    if len(tail) < 2:
        return None
    namespace, rest = tail[0], tail[1:]
    types = rest[0::2]
    method = method.upper()
    if method == "POST" and len(rest) % 2 == 1 and len(rest) > 1:  # .../type/name/action
        action = rest[-1]
        resource_id = "/" + "/".join(segs[:-1])
        return f"{namespace}/{'/'.join(types[:-1])}/{action}/action", resource_id
    verb = {"PUT": "write", "PATCH": "write", "DELETE": "delete", "POST": "action"}.get(method)
    if verb is None:
        return None
    return f"{namespace}/{'/'.join(types)}/{verb}", "/" + "/".join(segs)
