"""load_inventory(on_partial=...): what has arrived, while loading, grows towards the final inventory."""

from __future__ import annotations

from typing import Any

from tui.services.models import Inventory


def own(inv: Inventory, pid: str) -> list[str]:
    """The ids of an identity's own role assignments (not through a group), sorted: each as often as it is there."""
    return sorted(a.id.lower() for a in inv.role_assignments.get(pid, []) if a.via is None)


async def test_partial_inventories_grow_towards_the_final_one(emulator_factory: Any, session_for: Any) -> None:
    # every request waits, so the tenant-wide identity listing is known before the subscriptions are all read
    emulator = emulator_factory(latency_ms=150)
    session = await session_for(emulator)
    seen: list[tuple[int, Inventory, int]] = []  # (identities, the object, role assignments) per call

    def on_partial(inventory: Inventory) -> None:
        seen.append((len(inventory.identities), inventory, sum(len(v) for v in inventory.role_assignments.values())))

    final = await session.load_inventory(on_partial=on_partial)
    assert seen, "on_partial was never called"
    assert len({id(inv) for _, inv, _ in seen}) == 1  # one object, grown in place: no copy per call
    final_ids = {i.principal_id.lower() for i in final.identities}
    partial = seen[-1][1]
    assert {i.principal_id.lower() for i in partial.identities} <= final_ids
    assert seen[0][0] > 0
    counts = [roles for _, _, roles in seen]
    assert counts == sorted(counts)
    final_roles = {a.id.lower() for v in final.role_assignments.values() for a in v}
    assert {a.id.lower() for v in partial.role_assignments.values() for a in v} <= final_roles
    # every subscription is read by the last partial table: each identity it shows has its own assignments there,
    # each once, whether they were read before the identity was listed or after
    shown_ids = [i.principal_id.lower() for i in partial.identities]
    assert sum(len(own(final, pid)) for pid in shown_ids) > 0
    assert all(own(partial, pid) == own(final, pid) for pid in shown_ids)

    # and the same inventory as a load without it
    plain = await session.load_inventory()
    assert plain.identities == final.identities  # (the same identities, each equal field by field)
    assert plain.role_assignments.keys() == final.role_assignments.keys()
    # an identity the partial table shows as it is in the end is that very object, not a second copy of it
    shown = {i.principal_id: i for i in partial.identities}
    same = [i for i in final.identities if shown.get(i.principal_id) == i]
    assert same and all(i is shown[i.principal_id] for i in same)


async def test_identities_are_shown_page_by_page_as_graph_lists_them(emulator_factory: Any, session_for: Any) -> None:
    # three pages of Graph's identities (999 a page), each a round trip after the one before
    emulator = emulator_factory(scale=(3, 2100), latency_ms=60)
    session = await session_for(emulator)
    sizes: list[int] = []
    shown: list[Inventory] = []

    def on_partial(inventory: Inventory) -> None:
        sizes.append(len(inventory.identities))
        shown[:] = [inventory]

    final = await session.load_inventory(on_partial=on_partial)
    assert len(final.identities) >= 2100
    # the later pages' identities came after their subscriptions' assignments: the table shows them with them
    later = [i.principal_id.lower() for i in shown[0].identities[999:]]
    assert later and sum(len(own(final, pid)) for pid in later) > 0
    assert all(own(shown[0], pid) == own(final, pid) for pid in later)
    assert sizes and 0 < sizes[0] <= 999  # the first table comes with the first page, not the last
    assert sizes == sorted(sizes)
    assert len(set(sizes)) >= 3  # it grew with each page
    assert sizes[-1] <= len(final.identities)
