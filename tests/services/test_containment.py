"""Containment and restore (issue #14) through the real SDKs against a fresh sandbox tenant: every right an identity
holds directly removed in one plan, a restore file written first, and the restore putting back exactly what was
there."""

from __future__ import annotations

import json
import os
import stat

import pytest
from service_helpers import emulator_stats, writes_in

from tui.services.containment import (
    KIND_APP_ROLE,
    KIND_DIRECTORY_ROLE,
    KIND_ROLE,
    kind_of,
    outcome_label,
    read_restore_file,
)
from tui.services.errors import InvalidInput, ReadOnlyRefused
from tui.services.joins import definition_guid
from tui.services.models import Inventory, ManagedIdentity
from tui.services.plans import PlanAction
from tui.services.scopes import scope_key
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


def _rights(inv: Inventory, name: str) -> dict[str, set[tuple]]:
    """The identity's own rights, as what recreates them: the comparison before containment and after restore."""
    ident = _identity(inv, name)
    return {
        "roles": {
            (definition_guid(r.role_definition_id), scope_key(r.scope), r.condition, r.description)
            for r in inv.roles_of(ident)
            if r.via is None
        },
        "app roles": {(g.resource_id.lower(), g.app_role_id.lower()) for g in inv.app_roles_of(ident)},
        "directory roles": {
            (d.role_definition_id.lower(), d.directory_scope_id) for d in inv.directory_roles_of(ident) if d.via is None
        },
    }


@pytest.mark.parametrize("name", ["id-dev-ci", "aa-ops-prod", "aa-identity-sync", "id-tenant-bootstrap"])
async def test_contain_then_restore_puts_back_exactly(emulator_factory, session_for, tmp_path, name: str) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    before = _rights(inv, name)
    assert any(before.values())
    ident = _identity(inv, name)

    plan = await session.plan_containment(ident, inv)
    assert len(plan.items) == sum(len(v) for v in before.values())
    assert all(p.already_exists and not p.action.adds for p in plan.items)
    assert all(p.privilege for p in plan.items)
    kinds = {kind_of(p) for p in plan.items}
    assert kinds == {
        k
        for k, v in ((KIND_ROLE, "roles"), (KIND_APP_ROLE, "app roles"), (KIND_DIRECTORY_ROLE, "directory roles"))
        if before[v]
    }

    results = await session.contain(plan)
    assert results.ok, [c.message for c in results.failed]
    assert {outcome_label(c) for c in results.changes} == {"done"}
    # the restore file: next to the audit log, private, and holding what recreates each right
    path = results.restore_file
    assert path is not None and path.parent == session.audit.path.parent
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["tenantId"] == session.tenant_id and doc["identity"]["principalId"] == ident.principal_id
    assert len(doc["roleAssignments"]) == len(before["roles"])
    for item in doc["roleAssignments"]:
        assert {"scope", "roleDefinitionId", "principalId", "condition", "description"} <= set(item)
    assert len(doc["appRoleAssignments"]) == len(before["app roles"])
    assert all({"resourceId", "appRoleId"} <= set(g) for g in doc["appRoleAssignments"])
    assert len(doc["directoryRoleAssignments"]) == len(before["directory roles"])
    # one intent and one outcome per item in the audit log
    outcomes = [e for e in session.audit.entries() if e["event"] == "outcome"]
    assert len(outcomes) == len(plan.items) and {e["result"] for e in outcomes} == {"applied"}

    after = _rights(await session.load_inventory(), name)
    assert after == {k: set() for k in before}

    # restore: through the same plan path; then the identity's rights are the same as before
    restore = read_restore_file(path)
    plans = await session.plan_restore(restore)
    assert all(p.action.adds and not p.already_exists for p in plans)
    changes = await session.apply_each(plans)
    assert all(c.outcome == "applied" for c in changes), [c.message for c in changes]
    assert _rights(await session.load_inventory(), name) == before

    # and a second restore finds everything there: nothing is sent
    again = await session.plan_restore(restore)
    assert all(p.already_exists for p in again)
    sent = writes_in(emulator_stats(emu))
    assert {c.outcome for c in await session.apply_each(again)} == {"already-there"}
    assert writes_in(emulator_stats(emu)) == sent


async def test_contain_twice_is_idempotent(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-dev-ci")
    stale = await session.plan_containment(ident, inv)
    assert (await session.contain(stale)).ok
    # the same plan again: Azure says each is gone, reported as such
    again = await session.contain(stale)
    assert {outcome_label(c) for c in again.changes} == {"already gone"}
    # a fresh plan (from the inventory read before) knows: nothing is sent
    fresh = await session.plan_containment(ident, inv)
    assert fresh.items and fresh.to_remove == ()
    sent = writes_in(emulator_stats(emu))
    third = await session.contain(fresh)
    assert {outcome_label(c) for c in third.changes} == {"already gone"}
    assert writes_in(emulator_stats(emu)) == sent


async def test_a_failure_is_reported_and_retryable(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    session.uncertain_retries = 0
    inv = await session.load_inventory()
    ident = _identity(inv, "aa-ops-prod")
    plan = await session.plan_containment(ident, inv)
    graph_grants = [p for p in plan.items if p.action is PlanAction.REVOKE_APP_ROLE]
    assert graph_grants and len(graph_grants) < len(plan.items)
    # every Graph revocation fails (500), the RBAC removals go through
    emu.set_faults(1.0, seed=3, kinds=("500",), routes=("DELETE /v1.0/servicePrincipals",))
    try:
        results = await session.contain(plan)
    finally:
        emu.set_faults(0.0)
    failed = results.failed
    assert {c.plan for c in failed} == set(graph_grants)
    assert all(c.outcome == "failed" and c.message for c in failed)
    assert {outcome_label(c) for c in results.changes if c not in failed} == {"done"}
    assert results.counts() == {"done": len(plan.items) - len(failed), "failed": len(failed)}

    # retry only the failed ones: they go through; the RBAC removals are not sent again
    sent = emulator_stats(emu)["byRoute"]
    retried = results.retried(await session.apply_each([c.plan for c in failed]))
    assert retried.ok and len(retried.changes) == len(plan.items)
    now = emulator_stats(emu)["byRoute"]
    deletes = {r: n - sent.get(r, 0) for r, n in now.items() if r.startswith("DELETE") and n != sent.get(r, 0)}
    assert all("servicePrincipals" in r for r in deletes), deletes
    assert _rights(await session.load_inventory(), "aa-ops-prod")["app roles"] == set()


async def test_rights_through_a_group_are_listed_not_touched(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    ident = next(
        i
        for i in inv.identities
        if any(r.via for r in inv.rights_of(i)) and any(r.via is None for r in inv.rights_of(i))
    )
    through = [r for r in inv.rights_of(ident) if r.via is not None]
    plan = await session.plan_containment(ident, inv)
    assert len(plan.through_groups) == len(through)
    for held in plan.through_groups:
        assert (
            held.group_name and held.advice == f"not removable here: remove the identity from group {held.group_name}"
        )
    assert all(p.existing_id not in {getattr(r, "id", None) for r in through} for p in plan.items)
    assert (await session.contain(plan)).ok
    still = [r for r in (await session.load_inventory()).rights_of(ident)]
    assert {(type(r).__name__, getattr(r, "id", "")) for r in still} == {
        (type(r).__name__, getattr(r, "id", "")) for r in through
    }


async def test_read_only_refuses_before_writing_anything(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu, read_only=True)
    inv = await session.load_inventory()
    plan = await session.plan_containment(_identity(inv, "id-dev-ci"), inv)
    with pytest.raises(ReadOnlyRefused):
        await session.contain(plan)
    assert writes_in(emulator_stats(emu)) == 0
    assert not list(session.audit.path.parent.glob("restore-*.json"))
    assert [e["result"] for e in session.audit.entries() if e["event"] == "outcome"] == ["refused"]


async def test_restore_refuses_a_bad_file_and_another_tenant(emulator_factory, session_for, tmp_path) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    results = await session.contain(await session.plan_containment(_identity(inv, "id-dev-ci"), inv))
    assert results.restore_file is not None
    doc = json.loads(results.restore_file.read_text())

    for bad, why in (
        ("{not json", "not JSON"),
        (json.dumps({**doc, "format": "other"}), "format"),
        (json.dumps({**doc, "roleAssignments": [{**doc["roleAssignments"][0], "scope": "not an id"}]}), "scope"),
        (json.dumps({**doc, "appRoleAssignments": "x"}), "appRoleAssignments"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(bad)
        with pytest.raises(InvalidInput) as err:
            read_restore_file(path)
        assert "Not a mitui restore file" in err.value.title and why in err.value.one_line()
        assert "\n" not in err.value.one_line()

    other = tmp_path / "other.json"
    other.write_text(json.dumps({**doc, "tenantId": "00000000-0000-0000-0000-000000000001"}))
    with pytest.raises(InvalidInput) as err:
        await session.plan_restore(read_restore_file(other))
    assert err.value.code == "OtherTenant" and session.tenant_id in err.value.one_line()
