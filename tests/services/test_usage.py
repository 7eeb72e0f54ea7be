"""Used or idle, and what it did (issue #19), against the sandbox tenant over real HTTPS: usage per identity with
coverage, the two usage findings, one identity's timeline, the on-disk cache read incrementally, and an identity
acting through the token endpoint showing up in its own usage."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from azure.identity.aio import ManagedIdentityCredential

from tui.services.findings import usage_findings
from tui.services.usage import OK, ActivityCache, filter_timeline, read_activity, timeline_of, usage_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _named(inventory, name):
    return next(i for i in inventory.identities if i.name == name)


@pytest.fixture
async def demo(emulator_factory, session_for):
    emu = emulator_factory("demo")
    session = await session_for(emu)
    inventory = await session.load_inventory()
    return emu, session, inventory


async def test_demo_usage_idle_narrow_and_active(demo):
    emu, session, inv = demo
    report = await usage_of(inv, session.backend)
    assert report.coverage == {"signInActivity": OK, "activityLog": OK}
    idle = report.of(_named(inv, "aa-dev"))
    assert idle.last_sign_in is None and idle.last_activity is None and idle.known
    active = report.of(_named(inv, "app-orders-prod"))
    assert active.last_sign_in is not None and datetime.now(UTC) - active.last_sign_in < timedelta(hours=1)
    ops = _named(inv, "aa-ops-prod")
    contributor = next(a for a in inv.role_assignments[ops.principal_id.lower()] if a.role_name == "Contributor")
    assert report.right_last_used[contributor.id.lower()] is not None  # it restarted the VM
    assert {o.operation for o in report.operations_of(ops.principal_id)} == {
        "Microsoft.Compute/virtualMachines/restart/action"
    }
    found = usage_findings(inv, report, idle_days=90)
    idle_names = {f.name for f in found if f.kind == "idle-identity"}
    assert "aa-dev" in idle_names and "app-orders-prod" not in idle_names and "aa-ops-prod" not in idle_names
    assert all(f.coverage == {"signInActivity": OK, "activityLog": OK} for f in found if f.kind == "idle-identity")
    unused = {(f.name, f.right) for f in found if f.kind == "unused-right"}
    assert ("aa-dev", "Owner") in unused and ("aa-ops-prod", "Contributor") not in unused


@pytest.mark.parametrize("source", ["signInActivity", "activityLog"])
@pytest.mark.parametrize("how", ["forbidden", "licence"])
async def test_a_refused_source_is_unknown_never_idle(demo, source, how):
    emu, session, inv = demo
    emu.refuse_usage(source, how)
    report = await usage_of(inv, session.backend)
    assert report.coverage[source].startswith("unavailable: ")
    other = "activityLog" if source == "signInActivity" else "signInActivity"
    assert report.coverage[other] == OK
    usage = report.of(_named(inv, "aa-dev"))
    assert not usage.known and usage.coverage[source].startswith("unavailable")
    found = usage_findings(inv, report, idle_days=90)
    assert not [f for f in found if f.kind == "idle-identity"]  # unknown is never idle
    unused = [f for f in found if f.kind == "unused-right"]
    assert (unused == []) == (source == "activityLog")


@pytest.mark.parametrize("source", ["signIns", "activityLog", "directoryAudits"])
async def test_a_timeline_says_which_source_is_missing(demo, source):
    emu, session, inv = demo
    emu.refuse_usage(source)
    ops = _named(inv, "aa-ops-prod")
    found = await timeline_of(inv, session.backend, ops, datetime.now(UTC) - timedelta(days=7))
    assert found.coverage[source].startswith("unavailable: ")
    assert all(v == OK for k, v in found.coverage.items() if k != source)
    kinds = {e.source for e in found.entries}
    expected = {"signIns": "sign-in", "activityLog": "azure", "directoryAudits": "entra"}
    assert expected[source] not in kinds
    assert kinds == set(expected.values()) - {expected[source]}


async def test_acting_as_an_identity_shows_in_its_usage_and_activity(demo, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    emu, session, inv = demo
    ci = _named(inv, "id-dev-ci")  # User Access Administrator on rg-dev-apps
    scope = next(a.scope for a in inv.role_assignments[ci.principal_id.lower()] if "Access" in a.role_name)
    sub = scope.split("/")[2]
    reader = next(d for d in emu.tenant.role_definitions.values() if d.role_name == "Reader")
    uaa = next(a for a in inv.role_assignments[ci.principal_id.lower()] if a.scope == scope)
    earlier = await usage_of(inv, session.backend)  # (what it matched is remembered: it must not go stale)
    before = datetime.now(UTC) - timedelta(seconds=5)
    assert (earlier.right_last_used[uaa.id.lower()] or before) < before
    async with (
        ManagedIdentityCredential(client_id=ci.client_id) as cred,
        AuthorizationManagementClient(cred, sub, **arm_kwargs(emu)) as client,
    ):
        params = RoleAssignmentCreateParameters(
            role_definition_id=f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{reader.name}",
            principal_id=ci.principal_id,
            principal_type="ServicePrincipal",
        )
        created = await client.role_assignments.create(scope, str(uuid.uuid4()), params)
    report = await usage_of(inv, session.backend)
    usage = report.of(ci)
    assert usage.last_sign_in is not None and usage.last_sign_in >= before.replace(microsecond=0)
    assert report.right_last_used[uaa.id.lower()] == usage.last_activity  # the write it just made, under its UAA
    assert usage.last_activity is not None and usage.last_activity >= before.replace(microsecond=0)
    found = await timeline_of(inv, session.backend, ci, before)
    azure = [e for e in found.entries if e.source == "azure"]
    assert [e.target.lower() for e in azure] == [created.id.lower()]
    assert azure[0].operation == "Microsoft.Authorization/roleAssignments/write"
    assert any(e.source == "sign-in" for e in found.entries)
    assert filter_timeline(found.entries, None, "roleassignments") == azure


def _events(read) -> list:
    return sorted((w.log.seen(k) for w in read.windows for k in w.positions), key=repr)


async def test_the_cache_reads_only_what_is_newer(demo, tmp_path):
    emu, session, inv = demo
    cache = ActivityCache(tmp_path / "activity")
    subs = [s.id for s in inv.subscriptions]
    end = datetime.now(UTC)
    first = await read_activity(session.backend, inv.tenant_id, subs, end - timedelta(days=90), end, cache)
    assert first.coverage == OK and _events(first)
    emu.context.stats.reset()
    later = end + timedelta(minutes=30)
    second = await read_activity(session.backend, inv.tenant_id, subs, end - timedelta(days=90), later, cache)
    assert _events(second) == _events(first)
    asked = [p for m, p in emu.context.stats.recent if "eventtypes/management/values" in p.lower()]
    assert len(asked) == len(subs)
    # each asked only from the cache's end (less its overlap of a quarter of an hour), not from 90 days back
    # (compared as times: as dates, this failed in the first minutes after midnight)
    starts = [re.search(r"eventTimestamp ge '([^']+)'", unquote(p)) for p in asked]
    assert all(starts), asked
    for found in starts:
        since = datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
        assert end - timedelta(minutes=20) <= since <= end, (since, end)
    # one identity's timeline through the cache (every field of its events read back from the file, the last quarter
    # of an hour from Azure) is the one read from Azure alone
    ops = _named(inv, "aa-ops-prod")
    since = later - timedelta(days=90)
    emu.context.stats.reset()
    cached = await timeline_of(inv, session.backend, ops, since, now=later, cache=cache)
    asked = [unquote(p) for m, p in emu.context.stats.recent if "eventtypes/management/values" in p.lower()]
    assert asked and all(f"ge '{(later - timedelta(minutes=15)):%Y-%m-%dT%H:%M:%S}" in p for p in asked), asked
    direct = await timeline_of(inv, session.backend, ops, since, now=later)
    azure = [e for e in cached.entries if e.source == "azure"]
    assert azure and all(e.correlation_id for e in azure)
    assert azure == [e for e in direct.entries if e.source == "azure"]


async def test_right_size_a_broad_right_used_narrowly(emulator_factory, session_for, tmp_path):
    import json

    from tui.services.right_size import narrowest_scope, right_size, right_size_plans

    emu = emulator_factory("demo")
    session = await session_for(emu)
    inv = await session.load_inventory()
    report = await usage_of(inv, session.backend)
    ops = _named(inv, "aa-ops-prod")
    broad = next(a for a in inv.role_assignments[ops.principal_id.lower()] if a.role_name == "Contributor")
    proposal = right_size(inv, report, ops, broad)
    assert proposal is not None
    vm = next(r for r in emu.tenant.resources.values() if r.name == "vm-batch-prod-01")
    assert proposal.scope.lower() == vm.id.lower()
    assert proposal.operations == ("Microsoft.Compute/virtualMachines/restart/action",)
    assert proposal.role.privilege.rank < broad.privilege.rank
    assert "used only Microsoft.Compute/virtualMachines/restart/action on vm-batch-prod-01" in proposal.reason
    assign, remove = await right_size_plans(session, proposal)
    assert assign.action.value.startswith("assign") and not assign.already_exists
    assert remove.existing_id == broad.id and remove.already_exists
    # applied in order, each audited; the identity keeps the narrow right and loses the broad one
    assert (await session.apply(assign)).ok
    assert (await session.apply(remove)).ok
    held = {(a.role_definition_name.lower(), a.scope.lower()) for a in emu.tenant.role_assignments.values()
            if a.principal_id == ops.principal_id}  # fmt: skip
    assert (proposal.role.name.lower(), vm.id.lower()) in held
    assert (broad.role_definition_id.rsplit("/", 1)[-1].lower(), broad.scope.lower()) not in held
    audit = [json.loads(line) for line in session.audit.path.read_text().splitlines()]
    assert len(audit) == 4  # intent and outcome of each
    # nothing is proposed for a right never used, nor when the Activity Log is unknown
    dev = _named(inv, "aa-dev")
    owner = next(a for a in inv.role_assignments[dev.principal_id.lower()] if a.role_name == "Owner")
    assert right_size(inv, report, dev, owner) is None
    emu.refuse_usage("activityLog")
    unknown = await usage_of(inv, session.backend)
    assert right_size(inv, unknown, ops, broad) is None
    assert narrowest_scope(["/subscriptions/s/resourceGroups/a/x/y/z", "/subscriptions/s/resourceGroups/a/x/y/w"]) == (
        "/subscriptions/s/resourceGroups/a"
    )
    assert (
        narrowest_scope(["/subscriptions/s/resourceGroups/a", "/subscriptions/s/resourceGroups/b"])
        == "/subscriptions/s"
    )


async def test_what_was_matched_before_is_taken_only_while_it_holds(demo):
    """The TUI reads the usage after every load, and an identity whose operations and rights are unchanged is not
    matched again: a role that now allows other things is."""
    from dataclasses import replace

    emu, session, inv = demo
    first = await usage_of(inv, session.backend)
    ops = _named(inv, "aa-ops-prod")
    contributor = next(a for a in inv.role_assignments[ops.principal_id.lower()] if a.role_name == "Contributor")
    assert first.right_last_used[contributor.id.lower()] is not None
    key = contributor.role_definition_id.rsplit("/", 1)[-1].lower()
    narrowed = replace(inv.role_definitions[key], actions=("Microsoft.Storage/*/read",))
    second = await usage_of(replace(inv, role_definitions={**inv.role_definitions, key: narrowed}), session.backend)
    assert contributor.id.lower() not in second.right_last_used
    again = await usage_of(inv, session.backend)
    assert again.right_last_used == first.right_last_used
