"""Resource Graph's per-user query quota in the sandbox: each answer says what is left and when the window starts
again, a query past the quota is refused with the service's 429 ``RateLimiting`` (and does not count), each caller
has its own window, and a quota of 0 is none."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import ManagedIdentityCredential
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest

from tui.emulator.arm.query_quota import REMAINING, RESETS_AFTER, QueryQuota, Throttled, hms
from tui.emulator.server import Emulator

QUERY = "resources | project id, name"


@pytest.mark.asyncio(loop_scope="session")
async def test_each_answer_says_what_is_left_and_past_the_quota_the_query_is_refused(
    emulator_factory: Callable[..., Emulator],
    managed_identity_env: Callable[[Emulator], None],
    arm_kwargs: Callable[[Emulator], dict[str, Any]],
) -> None:
    emu = emulator_factory(resource_graph_quota=3)
    managed_identity_env(emu)
    seen: list[dict[str, str]] = []

    def hook(response: Any) -> None:
        seen.append(dict(response.http_response.headers))

    async with ManagedIdentityCredential() as credential, ResourceGraphClient(credential, **arm_kwargs(emu)) as rg:
        for _ in range(3):
            answer = await rg.resources(QueryRequest(query=QUERY), raw_response_hook=hook, retry_total=0)
            assert answer.total_records >= 1  # (answered in full)
        with pytest.raises(HttpResponseError) as refused:
            await rg.resources(QueryRequest(query=QUERY), raw_response_hook=hook, retry_total=0)
    assert [h[REMAINING] for h in seen] == ["2", "1", "0", "0"]
    assert all(re.fullmatch(r"00:00:0[0-5]", h[RESETS_AFTER]) for h in seen)
    err = refused.value
    assert err.status_code == 429
    assert err.error is not None and err.error.code == "RateLimiting"
    assert err.error.details and err.error.details[0].code == "RateLimiting"
    assert "aka.ms/resourcegraph-throttling" in (err.error.details[0].message or "")


def test_a_window_per_caller_that_comes_back_and_a_refused_query_does_not_count() -> None:
    now = [100.0]
    quota = QueryQuota(2, 5.0, clock=lambda: now[0])
    assert quota.take("alice") == {REMAINING: "1", RESETS_AFTER: "00:00:05"}
    now[0] += 1.2
    assert quota.take("alice") == {REMAINING: "0", RESETS_AFTER: "00:00:04"}  # (3.8 s, rounded up)
    with pytest.raises(Throttled) as refused:
        quota.take("alice")
    assert refused.value.status == 429 and refused.value.headers == {REMAINING: "0", RESETS_AFTER: "00:00:04"}
    assert quota.take("bob")[REMAINING] == "1"  # another caller: a window of its own
    now[0] += 3.8  # alice's window is over: the refused query took nothing from the next
    assert quota.take("alice")[REMAINING] == "1"
    assert quota.take("alice")[REMAINING] == "0"


def test_no_quota_and_the_durations() -> None:
    assert QueryQuota(0).take("alice") == {}
    assert [hms(s) for s in (0, 0.2, 4.0, 59.5, 3661)] == ["00:00:00", "00:00:01", "00:00:04", "00:01:00", "01:01:01"]
    with pytest.raises(ValueError):
        QueryQuota(-1)
