"""Azure Resource Graph, through the real ``azure-mgmt-resourcegraph`` client's pipeline (auth, retries, the
read-only gate): the queries mitui sends, read page by page (``$skipToken``, 1,000 rows a page), each page decoded
and converted in the CPU worker thread, as the ARM listings are (tui/azure/paging.py).

The queries return the same JSON shapes as ARM's listings (a resource with its identity block, a role assignment
with its properties), so tui.azure.wire converts them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tui.azure import records
from tui.azure.calls import Calls
from tui.azure.errors import map_error
from tui.azure.paging import arm_body, read_ahead
from tui.runtime import warm_imports
from tui.services.errors import ServiceError, Unreachable
from tui.services.offload import off_loop

T = TypeVar("T")
# resourcegraph.json's stable version that the sandbox's spec copy describes (the SDK's default is 2021-03-01: the
# same request and answer)
RESOURCE_GRAPH_API = "2022-10-01"
PAGE_ROWS = 1000  # the service's largest page
SKIP_TOKEN = records.RESOURCE_GRAPH[1]  # where an answer says where the next page starts
# A query only reads, but it is a POST: azure-core does not send it again after a dropped connection (nor after a 5xx
# past its own retries); these are sent again here, this many times
QUERY_ATTEMPTS = 4
UAMI_TYPE = "microsoft.managedidentity/userassignedidentities"
# resources that carry an identity block, and the user-assigned identities themselves (ARM's listing shape)
IDENTITY_RESOURCES = (
    f"resources | where isnotempty(identity) or type =~ '{UAMI_TYPE}' "
    "| project id, name, type, location, tags, identity"
)
ROLE_ASSIGNMENTS = (
    "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' "
    "| project id, name, type, properties"
)
# the assignments above every subscription (management groups, the tenant root): queried at the tenant's scope
ROLE_ASSIGNMENTS_ABOVE = (
    "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' and subscriptionId == '' "
    "| project id, name, type, properties"
)


async def _sent(calls: Calls, client: Any, request: Any) -> bytes:
    """One page's answer, sent when the user's query quota allows (tui.azure.query_quota); a dropped connection or
    a server error is sent again (a query changes nothing)."""
    quota = calls.query_quota
    for attempt in range(QUERY_ATTEMPTS):
        try:
            async with quota.slot():
                return await arm_body(calls, client, request, raw_response_hook=quota.hook())
        except (Unreachable, ServiceError) as err:
            untrusted = isinstance(err, Unreachable) and err.code == "CertificateUntrusted"
            if untrusted or attempt == QUERY_ATTEMPTS - 1 or (isinstance(err, ServiceError) and _client_error(err)):
                raise
            calls.gate.note_retry(f"Azure Resource Graph: {err.title}")
            await asyncio.sleep(min(0.5 * 2**attempt, 4.0))
    raise AssertionError("unreachable")  # pragma: no cover


def _client_error(err: ServiceError) -> bool:
    """A 4xx (the query refused): sending it again would not help."""
    status = getattr(err, "status", None)
    return isinstance(status, int) and 400 <= status < 500


# each subscription's management groups, nearest first (to keep only the assignments above that apply to them)
SUBSCRIPTION_GROUPS = (
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
    "| project subscriptionId, chain = properties.managementGroupAncestorsChain"
)


def decode_rows(body: bytes | None, convert: Callable[[dict], Any] | None) -> tuple[list[Any], str | None]:
    """(the rows of a Resource Graph answer, ``convert``-ed; its ``$skipToken``, None on the last page); ``convert``
    may be a :class:`tui.azure.records.Records` (see tui.azure.paging.decode_page)."""
    if isinstance(convert, records.Records) and body:
        try:
            return records.decode(body, convert, records.RESOURCE_GRAPH)
        except records.Misfit:
            pass
    page = json.loads(body or b"{}")
    if not isinstance(page, dict):
        raise ValueError("not a JSON object")
    data = page.get("data")
    if not isinstance(data, list):
        raise ValueError("'data' is not a list of rows (resultFormat objectArray)")
    rows = [r for r in data if isinstance(r, dict)]
    token = page.get(SKIP_TOKEN)
    return ([convert(r) for r in rows] if convert else rows), (token if isinstance(token, str) and token else None)


async def query_rows(
    calls: Calls,
    query: str,
    subscriptions: list[str] | None,
    convert: Callable[[dict], T] | None = None,
) -> list:
    """Every row of ``query`` over ``subscriptions`` (None: the tenant's scope), every page. The next page is asked
    for as soon as its ``$skipToken`` is read from the answer, while this page is decoded (a batch's pages are a
    chain of round trips: a decode between them, waiting its turn in the CPU worker, made each page ~1.5 times as
    long at 200 subscriptions)."""
    from azure.core.rest import HttpRequest

    await warm_imports(("azure.mgmt.resourcegraph.aio",))  # (once, in a thread: not on the event loop)
    client = calls.arm.resource_graph()

    def page(token: str | None, _seen: Callable[[str], None]) -> Awaitable[bytes]:
        options: dict[str, Any] = {"$top": PAGE_ROWS, "resultFormat": "objectArray"}
        if token:
            options[SKIP_TOKEN] = token
        body: dict[str, Any] = {"query": query, "options": options}
        if subscriptions is not None:
            body["subscriptions"] = subscriptions
        request = HttpRequest(
            "POST",
            "/providers/Microsoft.ResourceGraph/resources",
            params={"api-version": RESOURCE_GRAPH_API},
            json=body,
            headers={"Accept": "application/json"},
        )
        return _sent(calls, client, request)

    async def decoded(raw: bytes | None) -> tuple[list[Any], str | None]:
        try:
            return await off_loop(decode_rows, raw, convert)
        except (ValueError, TypeError, AttributeError) as err:
            raise map_error(ValueError(f"unreadable Resource Graph page: {err}"), "Azure Resource Graph") from None

    return await read_ahead(page, decoded, SKIP_TOKEN)
