"""ARM's listings go through a pipeline of a GET's policies only (tui.azure.arm.ArmClients.reads): it must still
retry what azure-core retries, under the same client request id, and count on the read-only gate."""

from __future__ import annotations

from tests.services.service_helpers import emulator_stats


async def test_a_listing_is_retried_under_its_own_request_id_until_it_gets_through(
    emulator_factory, session_for
) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu, read_only=True)
    backend = session.backend
    sub = (await backend.list_subscriptions())[0].id.rsplit("/", 1)[-1]
    clean = await backend.list_role_assignments(sub)
    assert clean
    sent_before, retries_before = backend.gate.sent, backend.gate.retries
    emu.stats.reset()
    # nearly every attempt fails (500, no Retry-After: azure-core's backoff); the sandbox lets a request through
    # after two failures in a row only when its attempts share a client request id, as an SDK's retries do
    emu.set_faults(0.99, seed=7, kinds=("500",), routes=("roleAssignments",))
    try:
        faulty = await backend.list_role_assignments(sub)
    finally:
        emu.set_faults(0.0)
    assert [ra.id for ra in faulty] == [ra.id for ra in clean]
    routes = emulator_stats(emu)["byRoute"]
    attempts = sum(n for route, n in routes.items() if route.startswith("GET") and route.endswith("/roleAssignments"))
    assert attempts == 3  # (two 500s, then the answer: one request, retried twice)
    # the gate sees the request once (before azure-core's retries), the retry observer each attempt retried
    assert (backend.gate.sent - sent_before, backend.gate.retries - retries_before) == (1, 2)
