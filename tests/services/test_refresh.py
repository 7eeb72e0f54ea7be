"""After a change, only what it touched is read again, and the result is what a full load would show."""

from __future__ import annotations

import pytest
from service_helpers import emulator_stats

from tui.services.directory_roles import builtin_directory_roles
from tui.services.models import Inventory, ManagedIdentity
from tui.services.plans import Plan
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")

DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


def _rights(inv: Inventory, ident: ManagedIdentity) -> dict[str, list[tuple]]:
    """What the main screen shows of an identity's rights, comparable across loads."""
    return {
        "roles": [
            (ra.id.lower(), ra.role_name, ra.scope.lower(), ra.privilege, ra.via, ra.created_on)
            for ra in inv.roles_of(ident)
        ],
        "grants": [(g.id, g.app_role_value, g.resource_display_name, g.privilege) for g in inv.app_roles_of(ident)],
        "directory": [(a.id, a.role_name, a.privilege, a.via) for a in inv.directory_roles_of(ident)],
    }


def _data_requests(stats: dict) -> int:
    return sum(n for route, n in stats["byRoute"].items() if route.startswith("GET") and "/_emulator" not in route)


async def _reader_plan(session: Session) -> tuple[Inventory, ManagedIdentity, Plan]:
    """(the inventory, id-legacy-unused, the plan giving it Reader on Contoso Development's rg-dev-apps)."""
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    scope = next(s.scope for s in inv.subscriptions if s.display_name == "Contoso Development")
    reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
    return inv, ident, await session.plan_role_assignment(ident, reader, scope + "/resourceGroups/rg-dev-apps")


def _reset(emu) -> None:  # noqa: ANN001
    import ssl
    import urllib.request

    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    req = urllib.request.Request(emu.connection.arm + "/_emulator/stats/reset", method="POST", data=b"")
    urllib.request.urlopen(req, context=ctx).close()


async def test_each_kind_of_change_is_read_again_alone_and_matches_a_full_load(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    other = _identity(inv, "id-ops-scheduler")
    scope = next(s.scope for s in inv.subscriptions if s.display_name == "Contoso Development")
    reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
    graph = await session.resource_app()
    user_read = next(r for r in graph.app_roles if r.value == "User.Read.All")
    readers = next(r for r in builtin_directory_roles() if r.id == DIRECTORY_READERS)

    plans = [
        await session.plan_role_assignment(ident, reader, scope + "/resourceGroups/rg-dev-apps"),
        await session.plan_app_role_grant(ident, graph, user_read),
        await session.plan_directory_role_grant(ident, readers),
    ]
    for plan in plans:
        assert (await session.apply(plan)).outcome == "applied"

    _reset(emu)
    reread = await session.reread_after(inv, plans)
    assert reread.requests == 3 == _data_requests(emulator_stats(emu))  # one per kind of right: no reload
    assert (reread.added, reread.removed) == (3, 0)
    full = await session.load_inventory()
    assert _rights(reread.inventory, ident) == _rights(full, ident)
    assert _rights(reread.inventory, other) == _rights(inv, other)  # the others are kept as loaded
    assert reread.inventory.escalations == {} and reread.inventory is not inv
    assert _rights(inv, ident) != _rights(full, ident)  # the inventory shown was not changed under the UI's feet

    # and back: each removal read again alone
    ra = next(r for r in full.roles_of(ident) if r.role_name == "Reader" and r.scope.lower().endswith("rg-dev-apps"))
    grant = next(g for g in full.app_roles_of(ident) if g.app_role_id == user_read.id)
    role = next(a for a in full.directory_roles_of(ident) if a.role_definition_id == DIRECTORY_READERS)
    removals = [
        await session.plan_role_removal(ident, ra),
        await session.plan_app_role_revoke(ident, grant),
        await session.plan_directory_role_removal(ident, role),
    ]
    for plan in removals:
        assert (await session.apply(plan)).outcome == "applied"
    back = await session.reread_after(reread.inventory, removals)
    assert (back.added, back.removed) == (0, 3)
    assert _rights(back.inventory, ident) == _rights(await session.load_inventory(), ident) == _rights(inv, ident)


async def test_a_role_made_and_read_back_refreshes_without_another_request(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv, ident, plan = await _reader_plan(session)
    change = await session.apply(plan)
    assert change.outcome == "applied" and change.right is not None
    _reset(emu)
    reread = await session.reread_after(inv, [plan], [change])
    assert reread.requests == 0 == _data_requests(emulator_stats(emu))  # the write's own read-back was enough
    assert (reread.added, reread.removed) == (1, 0)
    full = await session.load_inventory()
    assert _rights(reread.inventory, ident) == _rights(full, ident)

    ra = next(r for r in full.roles_of(ident) if r.role_name == "Reader" and r.scope.lower().endswith("rg-dev-apps"))
    removal = await session.plan_role_removal(ident, ra)
    undone = await session.apply(removal)
    assert undone.outcome == "applied"
    _reset(emu)
    back = await session.reread_after(reread.inventory, [removal], [undone])
    assert back.requests == 0 == _data_requests(emulator_stats(emu))
    assert (back.added, back.removed) == (0, 1)
    assert _rights(back.inventory, ident) == _rights(await session.load_inventory(), ident) == _rights(inv, ident)


async def test_the_writes_own_answer_is_handed_over_before_it_is_read_back(emulator_factory, session_for) -> None:  # noqa: ANN001
    """Session.apply's ``landed``: the assignment as the PUT answered it (and the removal as the DELETE answered it),
    before the write reads it back and logs its outcome; applied to the inventory it shows what a full load shows."""
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv, ident, plan = await _reader_plan(session)
    seen: list[tuple] = []

    def landed(change) -> None:  # noqa: ANN001
        reads = sum(n for route, n in emulator_stats(emu)["byRoute"].items() if route.startswith("GET"))
        seen.append((change, reads, [e["event"] for e in session.audit.entries()]))

    _reset(emu)
    change = await session.apply(plan, landed=landed)
    assert change.outcome == "applied" and change.right is not None
    assert len(seen) == 1
    early, reads, audit = seen[0]
    assert reads == 0  # handed over before the read-back GET was sent
    assert audit[-1] == "intent"  # ... and before the outcome was logged
    assert early.plan is plan and early.right.id.lower() == change.right.id.lower() == early.assignment_id.lower()
    shown = session.answered(inv, early)
    assert shown is not None and shown.requests == 0 and (shown.added, shown.removed) == (1, 0)
    full = await session.load_inventory()
    assert _rights(shown.inventory, ident) == _rights(full, ident)
    assert _rights(inv, ident) != _rights(full, ident)  # (the inventory given was not changed)
    # (only the mapping the write touched is a copy: the other is shared, unchanged)
    assert shown.inventory.role_assignments is not inv.role_assignments
    assert shown.inventory.app_role_assignments is inv.app_role_assignments

    ra = next(r for r in full.roles_of(ident) if r.role_name == "Reader" and r.scope.lower().endswith("rg-dev-apps"))
    removal = await session.plan_role_removal(ident, ra)
    seen.clear()
    _reset(emu)
    undone = await session.apply(removal, landed=landed)
    assert undone.outcome == "applied" and len(seen) == 1
    early, reads, audit = seen[0]
    assert reads == 0 and audit[-1] == "intent"
    gone = session.answered(full, early)
    assert gone is not None and (gone.added, gone.removed) == (0, 1)
    assert _rights(gone.inventory, ident) == _rights(await session.load_inventory(), ident) == _rights(inv, ident)

    seen.clear()  # nothing sent (already gone): nothing handed over
    assert (await session.apply(await session.plan_role_removal(ident, ra), landed=landed)).ok
    assert seen == []


async def test_an_app_role_granted_and_read_back_refreshes_without_another_request(
    emulator_factory, session_for
) -> None:  # noqa: ANN001
    """The grant as Graph answered the POST is shown at once (``landed``), the read-back settles it (no third
    request), and both match what a full load shows; a revocation checked gone likewise."""
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    graph = await session.resource_app()
    user_read = next(r for r in graph.app_roles if r.value == "User.Read.All")
    plan = await session.plan_app_role_grant(ident, graph, user_read)
    seen: list[tuple] = []

    def landed(change) -> None:  # noqa: ANN001
        seen.append((change, _data_requests(emulator_stats(emu))))

    _reset(emu)
    change = await session.apply(plan, landed=landed)
    assert change.outcome == "applied" and len(seen) == 1 and seen[0][1] == 0  # before the read-back
    shown = session.answered(inv, seen[0][0])
    assert shown is not None and shown.inventory.role_assignments is inv.role_assignments
    assert shown.inventory.app_role_assignments is not inv.app_role_assignments
    _reset(emu)
    reread = await session.reread_after(inv, [plan], [change])
    assert reread.requests == 0 == _data_requests(emulator_stats(emu))
    full = await session.load_inventory()
    assert shown is not None and _rights(shown.inventory, ident) == _rights(reread.inventory, ident)
    assert _rights(reread.inventory, ident) == _rights(full, ident) != _rights(inv, ident)
    assert (reread.added, reread.removed) == (1, 0)

    grant = next(g for g in full.app_roles_of(ident) if g.app_role_id == user_read.id)
    revoke = await session.plan_app_role_revoke(ident, grant)
    undone = await session.apply(revoke)
    assert undone.outcome == "applied"
    _reset(emu)
    back = await session.reread_after(reread.inventory, [revoke], [undone])
    assert back.requests == 0 == _data_requests(emulator_stats(emu)) and (back.added, back.removed) == (0, 1)
    assert _rights(back.inventory, ident) == _rights(await session.load_inventory(), ident) == _rights(inv, ident)
