"""The inventory's pure joins (tui.services.joins) and the one "highest privilege", on data built by hand."""

from __future__ import annotations

import dataclasses
import random

import pytest

from tui.services.backend import ArmResource, DirectoryIdentity
from tui.services.joins import (
    AssignmentGroups,
    IdentityJoin,
    ResourceIndex,
    assignment_order,
    custom_role_subscriptions,
    inherited_at,
    join_assignments,
    join_identities,
    orphan_candidates,
    orphaned_assignments,
)
from tui.services.models import (
    AppRoleAssignment,
    Group,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Subscription,
)
from tui.services.privilege import highest

SUB = "11111111-1111-1111-1111-111111111111"
OTHER_SUB = "22222222-2222-2222-2222-222222222222"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-web"
SITE = f"{RG}/providers/Microsoft.Web/sites/func-orders"
UAMI = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-shared"
SYSTEM_PID, USER_PID, GHOST_PID = "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002", "g"
OWNER = RoleDefinition(
    id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/owner-guid",
    name="owner-guid",
    role_name="Owner",
    privilege=Privilege.CRITICAL,
)
READER = RoleDefinition(
    id="/providers/Microsoft.Authorization/roleDefinitions/reader-guid", name="reader-guid", role_name="Reader"
)
SUBS = [Subscription(id=SUB, display_name="Production")]


def _resources() -> list[ArmResource]:
    site = ArmResource(
        id=SITE, name="func-orders", type="Microsoft.Web/sites", system_principal_id=SYSTEM_PID,
        user_assigned={UAMI: (USER_PID, "client-2")},
    )  # fmt: skip
    uami = ArmResource(
        id=UAMI, name="id-shared", type="Microsoft.ManagedIdentity/userAssignedIdentities", principal_id=USER_PID,
        client_id="client-2",
    )  # fmt: skip
    return [site, uami]


def _directory() -> list[DirectoryIdentity]:
    return [
        DirectoryIdentity(principal_id=SYSTEM_PID, client_id="client-1", display_name="func-orders", resource_id=SITE,
                          user_assigned=False),
        DirectoryIdentity(principal_id=USER_PID, client_id="client-2", display_name="id-shared", resource_id=UAMI,
                          user_assigned=True),
        DirectoryIdentity(principal_id="elsewhere", client_id="c", display_name="vm-other",
                          resource_id=f"/subscriptions/{OTHER_SUB}/resourceGroups/r/providers/X/y/vm-other",
                          user_assigned=False),
    ]  # fmt: skip


def _assignment(name: str, scope: str, role: RoleDefinition, principal_id: str) -> RoleAssignment:
    return RoleAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        scope=scope,
        role_definition_id=role.id,
        principal_id=principal_id,
        scope_level=ScopeLevel.SUBSCRIPTION if scope.count("/") == 2 else ScopeLevel.RESOURCE,
    )


def test_identities_join_graph_and_arm_and_keep_the_wanted_subscriptions() -> None:
    identities = join_identities(_directory(), _resources(), {SUB})
    by_pid = {i.principal_id: i for i in identities}
    assert set(by_pid) == {SYSTEM_PID, USER_PID}  # the identity of the other subscription is not wanted
    system, user = by_pid[SYSTEM_PID], by_pid[USER_PID]
    assert (system.kind, system.resource_type, system.used_by) == (IdentityKind.SYSTEM, "Microsoft.Web/sites", (SITE,))
    assert (user.kind, user.used_by, user.resource_group) == (IdentityKind.USER, (SITE,), "rg-web")
    assert [i.name for i in identities] == sorted(i.name for i in identities)
    everything = join_identities(_directory(), _resources(), None)
    assert {i.principal_id for i in everything} == {SYSTEM_PID, USER_PID, "elsewhere"}
    assert not {i.principal_id: i for i in everything}["elsewhere"].visible_in_arm


def test_without_graph_the_identities_come_from_arm_alone() -> None:
    identities = join_identities(None, _resources(), None)
    assert {(i.principal_id, i.kind) for i in identities} == {
        (SYSTEM_PID, IdentityKind.SYSTEM),
        (USER_PID, IdentityKind.USER),
    }


def test_assignments_are_resolved_grouped_by_identity_and_sorted_by_privilege() -> None:
    identities = join_identities(_directory(), _resources(), None)
    raw = {
        "1": _assignment("1", f"/subscriptions/{SUB}", READER, SYSTEM_PID),
        "2": _assignment("2", f"/subscriptions/{SUB}", OWNER, SYSTEM_PID),
        "3": _assignment("3", SITE, READER, SYSTEM_PID),
        "4": _assignment("4", f"/subscriptions/{SUB}", OWNER, GHOST_PID),
        "5": _assignment("5", f"/subscriptions/{SUB}", READER, "someone-else"),
    }
    definitions = {"owner-guid": OWNER, "reader-guid": READER}
    joined = join_assignments(raw, identities, definitions, [], {GHOST_PID})
    mine = joined.role_assignments[SYSTEM_PID]
    site = {i.principal_id: i for i in identities}[SYSTEM_PID].resource_id
    assert [(a.role_name, a.privilege, inherited_at(a, site), a.via) for a in mine] == [
        ("Owner", Privilege.CRITICAL, True, None),
        ("Reader", Privilege.NORMAL, True, None),
        ("Reader", Privilege.NORMAL, False, None),  # at the identity's own resource (then by scope)
    ]
    assert list(joined.orphan_candidates) == [GHOST_PID]  # (someone-else is no candidate: not listed)
    assert [a.id for a in joined.orphan_candidates[GHOST_PID]] == [raw["4"].id]  # (its own, apart)
    assert orphaned_assignments(joined.orphan_candidates, definitions, None) == []  # not asked: nothing orphaned
    assert orphaned_assignments(joined.orphan_candidates, definitions, {GHOST_PID}) == []  # it still exists
    (orphan,) = orphaned_assignments(joined.orphan_candidates, definitions, set())
    assert (orphan.principal_id, orphan.role_name, orphan.privilege) == (GHOST_PID, "Owner", Privilege.CRITICAL)


@pytest.mark.parametrize("seed", range(5))
def test_each_identity_s_assignments_come_in_the_order_assignment_order_gives(seed: int) -> None:
    """The join sorts with parts of the key made once per role and per scope: the same order as
    ``assignment_order`` itself, on assignments of many roles (some named alike, in other cases), privileges,
    scopes (some the same but for their case), own and through a group."""
    rng = random.Random(seed)
    roles = [
        RoleDefinition(id=f"/providers/Microsoft.Authorization/roleDefinitions/r{n}", name=f"r{n}",
                       role_name=rng.choice(["Owner", "owner", "Reader", "Contributor", "Zeta"]),
                       privilege=rng.choice(list(Privilege)))
        for n in range(12)
    ]  # fmt: skip
    groups = {"grp": "grp"}
    scopes = [f"/subscriptions/{SUB}", f"/subscriptions/{SUB.upper()}", SITE, SITE.upper(), RG, UAMI]
    identities = join_identities(_directory(), _resources(), None)
    raw = {}
    for n in range(300):
        who = rng.choice([SYSTEM_PID, USER_PID, "grp"])
        raw[str(n)] = _assignment(str(n), rng.choice(scopes), rng.choice(roles), who)
    definitions = {r.name: r for r in roles}
    memberships = {SYSTEM_PID: tuple(groups)}
    joined = join_assignments(
        raw, identities, definitions, [], set(), {"grp": Group(id="grp", display_name="Ops")}, memberships
    )
    mine = joined.role_assignments[SYSTEM_PID]
    assert any(a.via is not None for a in mine) and any(a.via is None for a in mine)
    assert mine == sorted(mine, key=assignment_order) and len(mine) > 100
    assert joined.role_assignments[USER_PID] == sorted(joined.role_assignments[USER_PID], key=assignment_order)


def test_orphan_candidates_are_assigned_principals_neither_identities_nor_apps() -> None:
    identities = join_identities(_directory(), _resources(), None)
    app = ResourceApp(id="APP-SP", app_id="app", display_name="Some API")
    assert orphan_candidates({SYSTEM_PID, "app-sp", "ghost"}, identities, [app]) == {"ghost"}


def test_custom_roles_are_read_only_where_an_unknown_definition_is_referenced() -> None:
    raw = {
        "a": _assignment("a", f"/subscriptions/{SUB}", READER, SYSTEM_PID),
        "b": _assignment("b", f"/subscriptions/{OTHER_SUB}", OWNER, SYSTEM_PID),
    }
    assert custom_role_subscriptions(raw, {}, {"reader-guid": READER}) == {OTHER_SUB: "owner-guid"}  # (its scope's)
    assert custom_role_subscriptions(raw, {}, {"reader-guid": READER, "owner-guid": OWNER}) == {}
    # an assignment above every subscription: listed in the subscription it was read in
    raw = {"c": _assignment("c", "/providers/Microsoft.Management/managementGroups/mg", OWNER, SYSTEM_PID)}
    assert custom_role_subscriptions(raw, {"c": SUB}, {}) == {SUB: "owner-guid"}
    assert custom_role_subscriptions(raw, {}, {}) == {}  # (nowhere to list it: not asked for)


def test_the_highest_privilege_of_an_identity_is_over_its_assignments_and_grants() -> None:
    assert highest([]) is Privilege.NORMAL
    assert highest([Privilege.NORMAL, Privilege.CRITICAL, Privilege.HIGH]) is Privilege.CRITICAL
    identity = ManagedIdentity(
        principal_id=SYSTEM_PID.upper(), client_id="c", name="n", kind=IdentityKind.SYSTEM, resource_id=SITE
    )
    inv = Inventory(tenant_id="t", cloud="public", identities=[identity])
    assert inv.highest_privilege(identity) is Privilege.NORMAL
    inv.role_assignments[SYSTEM_PID] = [_assignment("1", f"/subscriptions/{SUB}", READER, SYSTEM_PID)]
    assert inv.highest_privilege(identity) is Privilege.NORMAL
    inv.app_role_assignments[SYSTEM_PID] = [
        AppRoleAssignment(id="g", principal_id=SYSTEM_PID, resource_id="r", app_role_id="a", privilege=Privilege.HIGH)
    ]
    assert inv.highest_privilege(identity) is Privilege.HIGH


def test_an_index_grown_page_by_page_joins_as_one_built_at_once() -> None:
    """The partial tables' index grows by the resources new since the last join: the same identities as one
    index of every resource."""
    resources = _resources()
    grown = ResourceIndex()
    for i in range(0, len(resources), 2):
        grown.add(resources[i : i + 2])
    once = join_identities(_directory(), resources, None)
    assert join_identities(_directory(), grown, None) == once
    # Graph's listing without its first identity: ARM still shows it, unless only Graph's are asked for
    partial_directory = _directory()[1:]
    with_arm = join_identities(partial_directory, grown, None)
    graph_only = join_identities(partial_directory, grown, None, arm_only=False)
    assert {i.principal_id for i in graph_only} == {d.principal_id for d in partial_directory}
    assert len(with_arm) == len(graph_only) + 1


@pytest.mark.parametrize("seed", range(6))
def test_identities_joined_as_pages_of_either_side_land_equal_one_join(seed: int) -> None:
    """IdentityJoin: Graph's pages and ARM's resources landing in any order (resources after the identities they
    change, or before) give the identities of one join of everything; only the identities a resource changes are
    made again."""
    rng = random.Random(seed)
    directory, resources = _directory(), _resources()
    once = join_identities(directory, resources, None)
    pieces = [("d", [d]) for d in directory] + [("r", [r]) for r in resources]
    rng.shuffle(pieces)
    join = IdentityJoin()
    for side, piece in pieces:
        if side == "d":
            join.add_directory(piece)
        else:
            remade = join.add_resources(piece)
            assert len(remade) <= 1 + len(piece[0].user_assigned)
    assert join.identities() == once
    assert join.identities(arm_only=False) == join_identities(directory, resources, None, arm_only=False)


def test_the_join_catches_up_with_the_resources_read_since() -> None:
    directory, resources = _directory(), _resources()
    join = IdentityJoin()
    join.add_directory(directory)
    join.catch_up(resources[:1])
    assert join.resources_added == 1
    join.catch_up(resources)
    join.catch_up(resources)  # (nothing new: nothing added twice)
    assert join.resources_added == len(resources) == len(join.index.resources)
    assert join.identities() == join_identities(directory, resources, None)


def test_a_listing_whose_first_pages_were_joined_as_they_landed_joins_only_the_rest() -> None:
    """IdentityJoin.add_listing: the pages joined as they landed (add_page) are the listing's first pages: only
    the rest is joined, and the identities equal one join of it all; pages of another read of the listing (equal,
    but not the same objects) are refused, and nothing is joined."""
    directory, resources = _directory(), _resources()
    join = IdentityJoin(ResourceIndex(resources))
    join.add_page(directory[:2])
    assert len(join.joined) == 2
    assert join.add_listing(directory)
    assert join.identities() == join_identities(directory, resources, None)
    assert IdentityJoin(ResourceIndex(resources)).add_listing(directory)  # (no page landed: all of it)

    again = IdentityJoin(ResourceIndex(resources))
    again.add_page(_directory()[:2])  # (equal items of an earlier read: not this listing's own)
    assert not again.add_listing(directory)
    assert len(again.joined) == 2  # (nothing done: the caller joins the listing afresh)
    longer = IdentityJoin(ResourceIndex(resources))
    longer.add_page(directory)
    longer.add_page(directory[:1])  # (more pages than the listing has)
    assert not longer.add_listing(directory)


@pytest.mark.parametrize("seed", range(4))
def test_assignments_grouped_as_taken_join_as_all_of_them_at_once(seed: int) -> None:
    """AssignmentGroups: assignments grouped in batches as they are taken, some before their role is known (a
    custom role read at the end), join to the same lists as one join of them all, each identity's in order; the
    groups' rights reach their members, the orphan candidates' stay apart."""
    rng = random.Random(seed)
    custom = RoleDefinition(
        id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/custom-guid", name="custom-guid",
        role_name="Deployer", privilege=Privilege.HIGH,
    )  # fmt: skip
    roles = [OWNER, READER, custom]
    scopes = [f"/subscriptions/{SUB}", RG, SITE, UAMI]
    who = [SYSTEM_PID, USER_PID, "grp", GHOST_PID, "someone"]
    raw = {str(n): _assignment(str(n), rng.choice(scopes), rng.choice(roles), rng.choice(who)) for n in range(200)}
    identities = join_identities(_directory(), _resources(), None)
    every = {"owner-guid": OWNER, "reader-guid": READER, "custom-guid": custom}
    groups, memberships = {"grp": Group(id="grp", display_name="Ops")}, {USER_PID: ("grp",)}

    def fresh() -> dict[str, RoleAssignment]:
        return {k: dataclasses.replace(ra) for k, ra in raw.items()}

    once = join_assignments(fresh(), identities, every, [], {GHOST_PID}, groups, memberships)
    taken = fresh()
    grouped = AssignmentGroups()
    known = {"owner-guid": OWNER, "reader-guid": READER}  # (the custom role is read after the assignments)
    items = list(taken.values())
    for start in range(0, len(items), 37):
        grouped.add(items[start : start + 37], known)
    assert grouped.unfilled  # (those of the custom role: filled in at the join)
    joined = join_assignments(taken, identities, every, [], {GHOST_PID}, groups, memberships, grouped)
    assert joined.role_assignments == once.role_assignments
    assert joined.orphan_candidates.keys() == once.orphan_candidates.keys() == {GHOST_PID}
    mine = joined.role_assignments[USER_PID]
    assert any(a.via is not None for a in mine) and mine == sorted(mine, key=assignment_order)
    assert all(a.role_name for lst in joined.role_assignments.values() for a in lst)
