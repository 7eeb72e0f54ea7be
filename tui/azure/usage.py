"""Reads of what identities did: the Activity Log (azure-mgmt-monitor's ``activity_logs.list``), Graph beta's
``reports/servicePrincipalSignInActivities`` and ``auditLogs/signIns``, and v1.0 ``auditLogs/directoryAudits``.

The two beta reads are plain requests through the Graph client mitui already has (its credential, retries, TLS
trust and read-only gate): msgraph-beta-sdk would add ~676 MB and ~29,000 modules (0.35-0.6 s to import its client)
for two GETs whose JSON is converted here in a few lines.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

from tui.azure.paging import arm_pages, graph_pages
from tui.runtime import warm_imports
from tui.services.filtering import parse_time
from tui.services.odata import guid
from tui.services.usage import CLAIM_OID
from tui.services.usage_records import DirectoryChange, Operation, SignIn

_intern = sys.intern
ACTIVITY_API = "2015-04-01"  # azure-mgmt-monitor's ActivityLogs
ACTIVITY_SELECT = (
    "eventDataId,eventTimestamp,operationName,resourceId,status,correlationId,claims,caller,subscriptionId,"
    "resourceGroupName"
)


def _z(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(node: Any) -> str:
    return str(node.get("value", "") or "") if isinstance(node, dict) else ""


def operation_from_json(event: dict) -> Operation | None:
    """An Activity Log ``EventData`` (wire JSON) as an :class:`Operation`; None without a readable time."""
    when = parse_time(event.get("eventTimestamp"))
    if when is None:
        return None
    claims = event.get("claims") if isinstance(event.get("claims"), dict) else {}
    # (all but the two ids repeat across events: one string each, not one per event; 90 days of a busy tenant are
    # hundreds of thousands of events, kept while the TUI shows their usage)
    return Operation(
        id=str(event.get("eventDataId") or ""),
        time=when,
        operation=_intern(_value(event.get("operationName"))),
        resource_id=_intern(str(event.get("resourceId") or "")),
        status=_intern(_value(event.get("status"))),
        correlation_id=str(event.get("correlationId") or ""),
        principal_id=_intern(str(claims.get(CLAIM_OID, "")).lower()),
        client_id=_intern(str(claims.get("appid", "")).lower()),
        caller=_intern(str(event.get("caller") or "")),
        subscription_id=_intern(str(event.get("subscriptionId") or "")),
    )


def _last_sign_in(item: dict) -> tuple[str, datetime | None]:
    """A ``servicePrincipalSignInActivity`` (wire JSON) as (its app id, lowercase; its last sign-in or None)."""
    last = item.get("lastSignInActivity") or {}
    return str(item.get("appId", "")).lower(), parse_time(last.get("lastSignInDateTime")) if isinstance(
        last, dict
    ) else None


def sign_in_from_json(item: dict) -> SignIn | None:
    when = parse_time(item.get("createdDateTime"))
    if when is None:
        return None
    status = item.get("status") or {}
    code = status.get("errorCode") if isinstance(status, dict) else None
    types = item.get("signInEventTypes") or []
    return SignIn(
        id=str(item.get("id", "")),
        time=when,
        principal_id=str(item.get("servicePrincipalId", "")).lower(),
        client_id=str(item.get("appId", "")).lower(),
        resource=str(item.get("resourceDisplayName") or item.get("resourceId") or ""),
        event_type=str(types[0]) if types else "",
        status="success" if not code else f"failure {code}",
    )


def change_from_json(item: dict) -> DirectoryChange | None:
    when = parse_time(item.get("activityDateTime"))
    if when is None:
        return None
    targets = item.get("targetResources") or []
    names = ", ".join(str(t.get("displayName") or t.get("id") or "") for t in targets if isinstance(t, dict))
    app = (item.get("initiatedBy") or {}).get("app") or {}
    return DirectoryChange(
        id=str(item.get("id", "")),
        time=when,
        activity=str(item.get("activityDisplayName", "")),
        principal_id=str(app.get("servicePrincipalId", "")).lower(),
        target=names,
        result=str(item.get("result", "")),
        category=str(item.get("category", "")),
    )


class UsageReads:
    """The usage half of the Backend (mixed into AzureBackend, whose clients and call wrappers it uses)."""

    arm: Any
    graph: Any
    graph_url: str
    arm_url: str

    async def list_activity_log(self, subscription_id: str, start: datetime, end: datetime) -> list[Operation]:
        """The subscription's Activity Log events between ``start`` and ``end``, every page (newest first)."""
        sub = guid(subscription_id, "subscription id")
        # whole seconds: the end rounded up, so that an event in end's second is in
        flt = f"eventTimestamp ge '{_z(start)}' and eventTimestamp le '{_z(end + timedelta(seconds=1))}'"
        url = (
            f"{self.arm_url.rstrip('/')}/subscriptions/{sub}/providers/microsoft.insights/eventtypes/management/values"
        )
        params = {"api-version": ACTIVITY_API, "$filter": flt, "$select": ACTIVITY_SELECT}
        # azure-mgmt-monitor's client and pipeline, its pages decoded as plain JSON in the CPU worker thread (its
        # models cost ~0.5 ms an event: 90 days of a busy subscription are tens of thousands)
        await warm_imports(("azure.mgmt.monitor.aio",))  # (0.2 s, once: not on the event loop)
        found = await arm_pages(self, url, params, operation_from_json, client=self.arm.monitor())
        return [o for o in found if o is not None]

    def _beta(self, path: str, params: dict[str, str]) -> Any:
        from urllib.parse import quote

        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation

        info = RequestInformation()
        info.http_method = Method.GET
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        info.url = f"{self.graph_url.rstrip('/')}{path}" + (f"?{query}" if query else "")
        return info

    async def list_sign_in_activities(self) -> dict[str, datetime | None]:
        """Client id (lower) -> last sign-in, for every service principal Entra has a sign-in activity for."""
        # the largest page Graph serves: 10,000 service principals in 11 requests rather than 100
        # (each page converted in the CPU worker as it lands: 40,000 on the event loop stalled it ~90 ms)
        info = self._beta("/beta/reports/servicePrincipalSignInActivities", {"$top": "999"})
        return dict(await graph_pages(self, info, _last_sign_in))

    async def list_sign_ins(self, principal_id: str, start: datetime) -> list[SignIn]:
        """The managed identity's sign-in events since ``start`` (Graph keeps 30 days)."""
        pid = guid(principal_id, "principal id")
        flt = (
            "signInEventTypes/any(t: t eq 'managedIdentity') and "
            f"servicePrincipalId eq '{pid}' and createdDateTime ge {_z(start)}"
        )
        items = await graph_pages(self, self._beta("/beta/auditLogs/signIns", {"$filter": flt, "$top": "999"}))
        return [s for s in (sign_in_from_json(i) for i in items) if s is not None]

    async def list_directory_changes(self, principal_id: str, start: datetime) -> list[DirectoryChange]:
        """The directory audits the service principal initiated since ``start``."""
        pid = guid(principal_id, "principal id")
        flt = f"initiatedBy/app/servicePrincipalId eq '{pid}' and activityDateTime ge {_z(start)}"
        items = await graph_pages(self, self._beta("/v1.0/auditLogs/directoryAudits", {"$filter": flt}))
        return [c for c in (change_from_json(i) for i in items) if c is not None]
