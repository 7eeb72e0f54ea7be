"""The inventory read through Azure Resource Graph equals the inventory read through ARM's listings (the same truth),
on the demo tenant and on a generated one; and its requests grow with the rows, not with the subscriptions."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from service_helpers import emulator_stats

from tui.emulator.server import Emulator
from tui.services.inventory_graph import BATCHES, batches_of, uses_resource_graph
from tui.services.models import Inventory
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")
GRAPH_ROUTE = "POST /providers/Microsoft.ResourceGraph/resources"


def _picture(inv: Inventory) -> dict[str, Any]:
    """What the admin sees, to compare: Resource Graph stores resource types in lower case, so types compare so."""
    identities = {}
    for i in inv.identities:
        row = dataclasses.asdict(i)
        row["resource_type"] = (i.resource_type or "").lower()
        identities[i.principal_id.lower()] = row
    return {
        "subscriptions": [s.id for s in inv.subscriptions],
        "identities": identities,
        "order": [i.principal_id.lower() for i in inv.identities],
        "roles": {
            pid: sorted((ra.id.lower(), ra.role_name, ra.privilege.name, ra.scope_level.name) for ra in ras)
            for pid, ras in inv.role_assignments.items()
        },
        "grants": {pid: sorted(g.id for g in gs) for pid, gs in inv.app_role_assignments.items()},
        "orphans": sorted(ra.id.lower() for ra in inv.orphaned_role_assignments),
        "actors": sorted(ra.id.lower() for ra in inv.actors),
        "directory_roles": {pid: sorted(a.id for a in ds) for pid, ds in inv.directory_role_assignments.items()},
        "problems": inv.problems,
    }


async def _both_ways(emulator: Emulator, session: Session) -> tuple[Inventory, Inventory, dict, dict]:
    session.source = "arm"
    emulator.stats.reset()
    by_arm = await session.load_inventory()
    arm_stats = emulator_stats(emulator)
    session.source = "resource-graph"
    emulator.stats.reset()
    by_graph = await session.load_inventory()
    return by_arm, by_graph, arm_stats, emulator_stats(emulator)


async def test_demo_inventory_through_resource_graph_equals_arm(demo_emulator: Emulator, demo_session: Session) -> None:
    by_arm, by_graph, arm_stats, graph_stats = await _both_ways(demo_emulator, demo_session)
    assert by_arm.problems == []
    assert by_arm.orphaned_role_assignments and by_arm.role_assignments  # (the comparison has something to compare)
    assert _picture(by_graph) == _picture(by_arm)
    assert GRAPH_ROUTE not in arm_stats["byRoute"]
    assert graph_stats["byRoute"][GRAPH_ROUTE] >= 3  # resources and assignments of a batch, and those above
    # no per-subscription listing of resources or role assignments
    assert not [r for r in graph_stats["byRoute"] if r.endswith("/resources") and r.startswith("GET /subscriptions")]


async def test_generated_tenant_through_resource_graph_equals_arm_in_fewer_requests(
    emulator_factory: Any, session_for: Any
) -> None:
    emu = emulator_factory(scale=(24, 600))
    session = await session_for(emu)
    by_arm, by_graph, arm_stats, graph_stats = await _both_ways(emu, session)
    assert len(by_arm.identities) >= 600 and len(by_arm.subscriptions) == 24
    assert _picture(by_graph) == _picture(by_arm)
    # ARM: two listings per subscription at least; Resource Graph: two queries per batch (a page each: the rows fit),
    # one for the assignments above the subscriptions and one for the management groups above each subscription
    listings = sum(n for r, n in arm_stats["byRoute"].items() if r.endswith(("/resources", "/roleAssignments")))
    assert listings >= 2 * 24
    batches = len(batches_of(by_arm.subscriptions))
    assert batches == BATCHES
    assert graph_stats["byRoute"][GRAPH_ROUTE] == 2 * batches + 2
    assert graph_stats["total"] < arm_stats["total"]


async def test_auto_reads_through_arm_and_resource_graph_only_when_asked() -> None:
    # (Resource Graph's query quota makes its fewer requests the slower read: tui.services.inventory_graph)
    assert not uses_resource_graph("auto")
    assert uses_resource_graph("resource-graph")
    assert not uses_resource_graph("arm")
    with pytest.raises(ValueError):
        uses_resource_graph("graph")


async def test_through_resource_graph_within_its_query_quota_nothing_is_refused(
    emulator_factory: Any, session_for: Any
) -> None:
    """Resource Graph allows each user some queries per window (Azure: 15 in 5 s) and refuses the rest with 429: a
    load keeps to what the answers say is left, waits for the window when none is, and says why it waits."""
    emu = emulator_factory(scale=(24, 600), resource_graph_quota=4, resource_graph_window_s=0.5)
    session = await session_for(emu)
    session.source = "arm"
    by_arm = await session.load_inventory()
    session.source = "resource-graph"
    emu.stats.reset()
    said: list[str] = []
    by_graph = await session.load_inventory(progress=lambda p: said.append(p.detail) if p.step == "waiting" else None)
    assert _picture(by_graph) == _picture(by_arm)
    # no query sent twice (a refused one would be): two per batch, the assignments above, the management groups
    assert emulator_stats(emu)["byRoute"][GRAPH_ROUTE] == 2 * len(batches_of(by_arm.subscriptions)) + 2 > 4
    assert any("query quota is spent" in s for s in said)


@pytest.mark.parametrize("seed", [3, 11])
async def test_through_resource_graph_under_faults_the_inventory_is_the_same(
    emulator_factory: Any, session_for: Any, seed: int
) -> None:
    emu = emulator_factory(scale=(12, 300))
    session = await session_for(emu)
    session.source = "arm"
    clean = await session.load_inventory()
    session.source = "resource-graph"
    emu.set_faults(0.2, seed=seed)  # 429 with Retry-After, 500, 503 and dropped connections, on every route
    try:
        faulty = await session.load_inventory()
    finally:
        emu.set_faults(0.0)
    assert emu.faults.injected_snapshot()  # faults were answered, and survived
    picture = _picture(faulty)
    # a batch Resource Graph could not answer (past the retries) is read through ARM: said, nothing missing
    assert all("read through ARM" in p for p in picture.pop("problems")), faulty.problems
    expected = _picture(clean)
    expected.pop("problems")
    assert picture == expected


@pytest.mark.parametrize("refused", ["assignments", "resources"])
async def test_a_batch_resource_graph_refuses_is_read_through_arm_without_reading_anything_twice(
    emulator_factory: Any, session_for: Any, refused: str
) -> None:
    """Each half of a batch is taken as soon as it is in; when the other half is refused (past the retries) the
    batch is read through ARM, all but the resources Resource Graph gave already: the same inventory, said in
    the problems, no resource listed twice (an identity's users would show twice)."""
    from tui.services.errors import ServiceError

    emu = emulator_factory(scale=(12, 300))
    session = await session_for(emu)
    session.source = "arm"
    clean = await session.load_inventory()
    backend = session.backend
    name = "query_role_assignments" if refused == "assignments" else "query_identity_resources"
    real = getattr(backend, name)

    async def refusing(subscription_ids: list[str] | None) -> Any:
        if subscription_ids is None:  # (the assignments above the subscriptions: not part of a batch)
            return await real(subscription_ids)
        raise ServiceError("Azure Resource Graph refused the query", "(a test refuses one half of each batch)")

    setattr(backend, name, refusing)
    session.source = "resource-graph"
    emu.stats.reset()
    try:
        through_arm = await session.load_inventory()
    finally:
        delattr(backend, name)
    routes = emulator_stats(emu)["byRoute"]
    listed = sum(n for r, n in routes.items() if r.startswith("GET /subscriptions") and r.endswith("/resources"))
    assert listed == (12 if refused == "resources" else 0)
    assignments = sum(n for r, n in routes.items() if r.endswith("/roleAssignments"))
    assert assignments >= (12 if refused == "assignments" else 0)
    picture = _picture(through_arm)
    assert picture.pop("problems") and all("read through ARM" in p for p in through_arm.problems)
    expected = _picture(clean)
    expected.pop("problems")
    assert picture == expected
