"""Request counts of load_inventory grow with subscriptions and pages, never with identities."""

from __future__ import annotations

import asyncio
import math

import pytest
from service_helpers import emulator_stats

from tui.services.errors import MituiError

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _count(stats: dict, prefix: str) -> int:
    return sum(n for route, n in stats["byRoute"].items() if route.startswith(prefix))


async def test_requests_grow_with_subscriptions_and_pages(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory(scale=(5, 500))
    session = await session_for(emu)
    t = emu.tenant
    emu.stats.reset()
    inv = await session.load_inventory()
    stats = emulator_stats(emu)
    subs = len(inv.subscriptions)
    mis = sum(1 for sp in t.service_principals.values() if sp.service_principal_type == "ManagedIdentity")
    assert len(inv.identities) == mis >= 500
    assert subs == 5

    by = stats["byRoute"]
    # ARM: one listing per subscription (plus pages), never per identity
    resources = sum(n for r, n in by.items() if r.endswith("/resources"))
    assignments = sum(n for r, n in by.items() if r.endswith("roleAssignments"))
    per_sub_resources = [sum(1 for r in t.resources.values() if r.subscription_id == s.id) for s in inv.subscriptions]
    assert resources == sum(max(1, math.ceil(n / 1000)) for n in per_sub_resources)
    assert assignments <= subs * 2
    assert sum(n for r, n in by.items() if r.endswith("roleDefinitions")) <= 1 + subs
    # Graph: managed identities and resource apps page by 999; grants by $batch; orphans by getByIds
    graph_total = sum(n for r, n in by.items() if "/v1.0/" in r)
    assert by.get("GET /v1.0/servicePrincipals", 0) <= math.ceil(mis / 999) + 2
    # directory roles: the definitions once, the assignments in one listing (Graph's default page of 100); the
    # groups that hold a right: their members 20 to a $batch (beside the grants' one); getByIds once for the
    # orphans, the creators and the groups' names together
    groups = {ra.principal_id.lower() for ra in t.role_assignments.values() if ra.principal_type == "Group"} | {
        a.principal_id.lower() for a in t.directory_role_assignments.values() if a.principal_id.lower() in t.groups
    }
    assert groups and inv.memberships
    assert by["GET /v1.0/roleManagement/directory/roleDefinitions"] == 1
    assert by["GET /v1.0/roleManagement/directory/roleAssignments"] == math.ceil(
        len(t.directory_role_assignments) / 100
    )
    assert by["POST /v1.0/$batch"] == 1 + math.ceil(len(groups) / 20)
    assert by["POST /v1.0/directoryObjects/getByIds"] == 1
    assert graph_total <= math.ceil(mis / 999) + 2 + 2 + 2 + 2 + math.ceil(len(groups) / 20)
    # nothing per identity
    assert stats["total"] < len(inv.identities) / 5


async def test_automation_requests_grow_with_accounts_and_runbooks(emulator_factory, session_for) -> None:  # noqa: ANN001
    """Automation accounts: one listing per subscription; per account five listings, one per runtime environment
    (its packages) and one per PowerShell runbook (its text); never per module or per check."""
    emu = emulator_factory()
    session = await session_for(emu)
    subs = [s.subscription_id for s in emu.tenant.subscriptions.values()]  # (Finance: refused, none listed)
    emu.stats.reset()
    accounts = await session.automation_accounts(subs)
    by = emulator_stats(emu)["byRoute"]
    acc = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Automation/"
    acc += "automationAccounts/{automationAccountName}"
    assert by["GET /subscriptions/{subscriptionId}/providers/Microsoft.Automation/automationAccounts"] == len(subs)
    for tail in ("/runbooks", "/modules", "/runtimeEnvironments", "/schedules", "/jobSchedules"):
        assert by[f"GET {acc}{tail}"] == len(accounts), tail
    environments = sum(len(a.runtime_environments) for a in accounts)
    assert by[f"GET {acc}/runtimeEnvironments/{{runtimeEnvironmentName}}/packages"] == environments
    texts = sum(1 for a in accounts for r in a.runbooks if r.is_powershell and r.state.lower() != "new")
    assert by[f"GET {acc}/runbooks/{{runbookName}}/content"] == texts
    assert sum(by.values()) == len(subs) + 5 * len(accounts) + environments + texts


async def test_the_first_page_of_identities_asked_ahead_is_the_loads_own(emulator_factory, session_for) -> None:  # noqa: ANN001
    """Session.about_to_load (a screen about to load the inventory): the first page of Graph's identities is asked
    for at once and the load takes it instead of asking again; the inventory is the same as without. A page asked
    ahead that failed is asked for again by the load."""
    emu = emulator_factory(scale=(2, 1200))
    session = await session_for(emu)

    def first_pages() -> int:
        return sum(1 for _m, p in emu.stats.recent if "'ManagedIdentity'" in p and "skiptoken" not in p.lower())

    plain = await session.load_inventory()
    emu.stats.reset()
    session.about_to_load()
    session.about_to_load()  # (asked once only)
    for _ in range(100):
        if first_pages():
            break
        await asyncio.sleep(0.02)
    assert first_pages() == 1  # before any load
    ahead = await session.load_inventory()
    assert first_pages() == 1  # the load took the page asked ahead
    assert ahead.identities == plain.identities and ahead.role_assignments == plain.role_assignments

    emu.faults.rate = 1.0  # the page asked ahead fails (after the SDK's retries) ...
    session.about_to_load()
    asked = session.backend._identities_ahead
    assert asked is not None
    with pytest.raises(MituiError):
        await asyncio.wait_for(asyncio.shield(asked[1]), 60)
    emu.faults.rate = 0.0
    emu.stats.reset()
    again = await session.load_inventory()  # ... and the load asks for it again
    assert again.identities == plain.identities and not again.problems
    assert first_pages() == 1


async def test_names_asked_before_the_identities_end_are_not_asked_again(emulator_factory, session_for) -> None:  # noqa: ANN001
    """The getByIds asked early (the ids then known) is completed by one more for the ids it did not cover, merged;
    none when it covered them all."""
    from tui.services.inventory import InventoryLoader

    emu = emulator_factory(scale=(1, 50))
    session = await session_for(emu)
    t = emu.tenant
    users, groups = sorted(u.lower() for u in t.users)[:2], sorted(g.lower() for g in t.groups)[:1]
    assert len(users) == 2 and groups
    loader = InventoryLoader(session.backend)
    emu.stats.reset()
    asked = {users[0]}
    early = (asked, loader.ask_directory_objects(asked))
    assert loader.ask_directory_objects_after({users[0]}, early) is early[1]  # (all covered: nothing more)
    merged = await loader.ask_directory_objects_after({users[0], users[1], groups[0]}, early)
    assert merged is not None and set(merged) == {users[0], users[1], groups[0]}
    stats = emulator_stats(emu)
    assert stats["byRoute"]["POST /v1.0/directoryObjects/getByIds"] == 2


async def test_the_names_asked_early_leave_out_the_identities_arm_shows(emulator_factory, session_for) -> None:  # noqa: ANN001
    """Once ARM's reads are in (Graph's listing of the identities not yet: none of its pages is taken here), the
    early getByIds asks for the orphans, users, groups and creators, and none of the identities ARM shows."""
    from tui.services.inventory import InventoryLoader

    emu = emulator_factory(scale=(2, 300))
    session = await session_for(emu)
    t = emu.tenant
    loader = InventoryLoader(session.backend)
    loader.partial_done = True  # (Graph's pages are not joined as they land: ARM alone tells the identities)
    await loader.read_subscriptions()
    try:
        await loader.read_each_subscription()
        ids = loader.early_look_up(await loader.apps_task)
    finally:
        loader.cancel_tenant_reads()
    identities = {
        sp.lower(): p for sp, p in t.service_principals.items() if p.service_principal_type == "ManagedIdentity"
    }
    asked = ids & set(identities)
    # (only user-assigned identities that no resource uses: ARM's listing of resources names no principal for them)
    user_assigned = {
        i for i, sp in identities.items() if any(n.lower() == "isexplicit=true" for n in sp.alternative_names)
    }
    assert ids and asked <= user_assigned and len(asked) < len(identities) / 10
    orphans = {
        ra.principal_id.lower() for ra in t.role_assignments.values() if t.directory_object(ra.principal_id) is None
    }
    creators = {ra.created_by.lower() for ra in t.role_assignments.values() if ra.created_by}
    assert orphans and creators and orphans | creators <= ids


async def test_names_are_not_asked_early_when_that_would_take_more_requests(emulator_factory, session_for) -> None:  # noqa: ANN001
    """A user-assigned identity no resource uses is not named by ARM's listing of resources, so while Graph's
    listing of the identities runs it passes for an orphan: past 1,000 of them the early getByIds would take two
    requests where the look-up after the listing takes one (the identities are known by then): it waits."""
    from tui.emulator.builder import TenantBuilder

    emu = emulator_factory(scale=(20, 4000), latency_ms=50)
    sub = next(iter(emu.tenant.subscriptions.values()))
    with emu.tenant.lock:
        build = TenantBuilder(seed=None, tenant=emu.tenant, with_catalog=False)
        group = build.add_resource_group(sub, "rg-spare-identities")
        for n in range(1001):  # (unused by any resource, each with a role: named nowhere in ARM's listings)
            build.assign_role(build.add_user_assigned_identity(group, f"id-spare-{n:04d}"), "Reader", group)
    session = await session_for(emu)
    emu.stats.reset()
    inv = await session.load_inventory()
    assert sum(1 for i in inv.identities if i.name.startswith("id-spare-")) == 1001
    assert all(inv.role_assignments.get(i.principal_id) for i in inv.identities if i.name.startswith("id-spare-"))
    assert emulator_stats(emu)["byRoute"]["POST /v1.0/directoryObjects/getByIds"] == 1
