"""Loading shows what has arrived: the identities fill the table before the load has finished, their counts fill in,
and the complete inventory replaces them. The sandbox tenant answers every request after a delay, so that the
listing of the tenant's identities arrives well before the rest (what the app records is checked, not the time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_pilot import DemoTenant, make_app

from tui.pilot import until_loaded
from tui.widgets.virtual_table import VirtualTable


async def test_identities_are_listed_before_the_load_finishes(tmp_path: Path) -> None:
    demo = DemoTenant(state_dir=tmp_path, emulator_kwargs={"latency_ms": 200})
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        tenant = demo.emulator.tenant
        managed = [sp for sp in tenant.service_principals.values() if sp.service_principal_type == "ManagedIdentity"]
        table = screen.query_one("#identities", VirtualTable)
        assert table.row_count == len(managed)

        # MainScreen.PartialShown: the table showed (rows, role assignments) while the load was still running
        shown = screen.partials_shown
        assert shown, "the table was only filled at the end of the load"
        rows, _ = shown[0]
        assert 0 < rows <= len(managed)
        final_roles = sum(len(v) for v in screen.inventory.role_assignments.values())
        counts = [roles for _, roles in shown]
        assert counts == sorted(counts) and counts[-1] <= final_roles  # the counts only fill in
        # the complete table has the privilege badges that the partial ones leave out (they say "loading…")
        assert any(row.data.top is not None for row in table.rows)
        assert not any(row.data.loading for row in table.rows)


async def test_a_refresh_keeps_the_rows_and_the_selection_in_view(tmp_path: Path) -> None:
    demo = DemoTenant(state_dir=tmp_path, emulator_kwargs={"latency_ms": 200})
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_loaded(app, pilot)
        table = screen.query_one("#identities", VirtualTable)
        total = table.row_count
        table.move_to_key(table.rows[total // 2].key)
        await pilot.pause()
        chosen = table.current.key
        shown_before = len(screen.partials_shown)

        await pilot.press("r")
        for _ in range(200):
            if screen.is_loading:
                break
            await pilot.pause()
        samples: list[tuple[int, str | None]] = []  # (rows, selected key) while the reload runs
        for _ in range(2000):
            await pilot.pause()
            if not screen.is_loading:
                break
            samples.append((table.row_count, table.current.key if table.current else None))
        assert samples, "the reload ended before it could be watched"
        assert all(sample == (total, chosen) for sample in samples), samples[:5]
        assert len(screen.partials_shown) == shown_before  # no partial (emptier) table over the complete one
        await until_loaded(app, pilot)
        assert table.row_count == total and table.current.key == chosen


def test_partial_tables_come_less_often_when_they_cost_more() -> None:
    from tui.screens.main.loading import PARTIAL_EVERY_S, PARTIAL_FIRST_S, partial_delay

    assert partial_delay(False, 5.0) == PARTIAL_FIRST_S  # the first one at once, whatever it cost
    assert partial_delay(True, 0.0) == PARTIAL_EVERY_S
    assert partial_delay(True, 0.1) == PARTIAL_EVERY_S  # cheap: the usual pace
    # dear (40 000 rows take ~0.6 s): at most a third of the time goes to them, the rest to the load
    assert partial_delay(True, 0.6) == pytest.approx(1.8)


def test_after_a_change_only_the_touched_rows_are_counted_again() -> None:
    import dataclasses

    from tui.screens.main.rows import IDENTITY_COLUMNS, identity_cells, identity_rows, recounted_rows
    from tui.services.models import IdentityKind, Inventory, ManagedIdentity, RoleAssignment
    from tui.widgets.safe_text import Redactor

    def identity(n: int) -> ManagedIdentity:
        pid = f"00000000-0000-0000-0000-{n:012d}"
        return ManagedIdentity(pid, pid, f"id-{n}", IdentityKind.USER, f"/subscriptions/s/resourceGroups/g/x/id-{n}")

    def assignment(n: int, who: ManagedIdentity) -> RoleAssignment:
        return RoleAssignment(f"/subscriptions/s/ra/{n}", "/subscriptions/s", "rd", who.principal_id)

    ids = [identity(n) for n in range(5)]
    before = Inventory(tenant_id="t", cloud="c", identities=ids, role_assignments={})
    rows = identity_rows(before, False)
    assert all(r.data.loading and r.data.top is None for r in rows)  # a partial table's rows: privilege not known
    privilege = [c.key for c in IDENTITY_COLUMNS].index("privilege")
    assert identity_cells(Redactor())(rows[0])[privilege].plain == "loading…"
    touched = ids[2].principal_id.lower()
    after = dataclasses.replace(before, role_assignments={touched: [assignment(1, ids[2]), assignment(2, ids[2])]})
    new = recounted_rows([rows[2]], after, {touched: (2, 0)})
    assert [r.key for r in new] == [touched]
    assert new[0] is not rows[2] and new[0].data.roles == 2 and rows[2].data.roles == 0  # (the old row unchanged)
    assert new[0].data.identity is rows[2].data.identity and new[0].search == rows[2].search
    assert identity_cells(Redactor())(new[0])[0].plain == "id-2 +2"


def test_a_partial_table_keeps_the_rows_that_say_the_same() -> None:
    """While loading, each partial table keeps the shown rows whose identity and counts are unchanged (and the
    search text of a changed one): not 40,000 new rows every half second."""
    from tui.screens.main.rows import identity_rows
    from tui.services.models import IdentityKind, Inventory, ManagedIdentity, RoleAssignment

    ids = [
        ManagedIdentity(f"00000000-0000-0000-0000-{n:012d}", "c", f"id-{n}", IdentityKind.USER, f"/x/id-{n}")
        for n in range(4)
    ]
    partial = Inventory(tenant_id="t", cloud="c", identities=ids[:3], role_assignments={})
    first = identity_rows(partial, False)
    pid = ids[1].principal_id
    partial.identities.append(ids[3])
    partial.role_assignments[pid] = [RoleAssignment("/x/ra/1", "/x", "rd", pid)]
    second = identity_rows(partial, False, None, first)
    by_key = {r.key: r for r in first}
    kept = [r for r in second if by_key.get(r.key) is r]
    assert sorted(r.key for r in kept) == sorted([ids[0].principal_id, ids[2].principal_id])
    grown = next(r for r in second if r.key == pid)
    assert grown.data.roles == 1 and grown.search is by_key[pid].search
    assert [r.key for r in second] == sorted(r.key for r in second)  # (by name: id-0 .. id-3)
    # the complete table: privileges known, so every row says something new
    final = identity_rows(partial, True, None, second)
    assert not any(r is by_key.get(r.key) for r in final) and all(not r.data.loading for r in final)


def test_the_rows_of_a_complete_table_build_what_can_act_as_reads() -> None:
    """The table's rows are made in the CPU worker: so is what the details pane's "Can act as" reads (built by the
    pane, on the event loop, it stalled it ~0.1 s at 40,000 identities after each load and write)."""
    from tui.screens.main.rows import identity_rows
    from tui.services.models import IdentityKind, Inventory, ManagedIdentity, RoleAssignment

    pid = "00000000-0000-0000-0000-000000000001"
    who = ManagedIdentity(pid, pid, "id-1", IdentityKind.USER, "/subscriptions/s/resourceGroups/g/x/id-1")
    ra = RoleAssignment("/subscriptions/s/ra/1", "/subscriptions/s", "rd", pid)
    partial = Inventory(tenant_id="t", cloud="c", identities=[who], role_assignments={pid: [ra]})
    identity_rows(partial, False)
    assert partial.acting_index is None  # (a partial table's rows: no privileges, nothing built)
    complete = Inventory(tenant_id="t", cloud="c", identities=[who], role_assignments={pid: [ra]})
    identity_rows(complete, True)
    assert complete.acting_index is not None and complete.acting_index._below is not None
