"""ARM's protocol around every handler: the ``api-version`` check and paging.

Page sizes (a listing longer than this answers with an absolute ``nextLink`` on the emulator's origin):
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from tui.emulator.arm.call import ArmCall
from tui.emulator.arm.errors import bad_request
from tui.emulator.wire import ApiError

SUBSCRIPTIONS_PAGE_SIZE = 1000
RESOURCE_GROUPS_PAGE_SIZE = 1000
RESOURCES_PAGE_SIZE = 1000
USER_ASSIGNED_IDENTITIES_PAGE_SIZE = 1000
FEDERATED_CREDENTIALS_PAGE_SIZE = 20  # an identity holds at most 20 federated credentials
ROLE_ASSIGNMENTS_PAGE_SIZE = 1000
ROLE_DEFINITIONS_PAGE_SIZE = 5000  # all of them in one page, as ARM answers a role definition listing

__doc__ = (__doc__ or "") + (
    f"\n* subscriptions {SUBSCRIPTIONS_PAGE_SIZE}, resource groups {RESOURCE_GROUPS_PAGE_SIZE}, resources "
    f"{RESOURCES_PAGE_SIZE} (or ``$top``), user-assigned identities {USER_ASSIGNED_IDENTITIES_PAGE_SIZE}, "
    f"federated credentials {FEDERATED_CREDENTIALS_PAGE_SIZE} (or ``$top``), role assignments "
    f"{ROLE_ASSIGNMENTS_PAGE_SIZE}, role definitions {ROLE_DEFINITIONS_PAGE_SIZE}.\n"
)

API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$", re.IGNORECASE)


def check_api_version(query: dict[str, str]) -> None:
    """400 in ARM's words when the (lower-cased) query has no ``api-version`` or one that is not a date."""
    version = query.get("api-version", "").strip()
    if not version:
        raise ApiError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not API_VERSION_RE.match(version):
        raise ApiError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are "
            "'2024-11-30,2022-12-01,2022-09-01,2022-04-01,2021-04-01'.",
        )


def page_of(call: ArmCall, items: list, page_size: int, top: bool, arm_url: str) -> tuple[list, str | None]:
    """(the page's items, the absolute ``nextLink`` or None on the last page); ``$skiptoken`` is the offset."""
    start = 0
    token = call.query.get("$skiptoken")
    if token:
        if not token.isdigit():
            raise bad_request("InvalidSkipToken", f"The skip token '{token}' is invalid.")
        start = int(token)
    size = page_size
    if top and call.query.get("$top", "").strip():
        raw = call.query["$top"].strip()
        if not raw.isdigit() or int(raw) < 1:
            raise bad_request(
                "InvalidTopValue", f"The value '{raw}' of $top is invalid: a positive integer is expected."
            )
        size = min(int(raw), page_size)
    chunk = items[start : start + size]
    if start + size >= len(items):
        return chunk, None
    params = [(k, v) for k, v in call.request.query.items() if k.lower() != "$skiptoken"]
    params.append(("$skiptoken", str(start + size)))
    path = "/" + "/".join(quote(s, safe="") for s in call.segs)
    return chunk, f"{arm_url}{path}?{urlencode(params, quote_via=quote, safe=chr(39) + '(),/:')}"
