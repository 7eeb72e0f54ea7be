"""Escalation through the identities one can act as (issue #18): pure tests on hand-built inventories."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.services.escalation import ASSIGN, DEPLOY, RUN_AS, acted_as_by, can_act_as, escalations, resource_type
from tui.services.filtering import parse_filter
from tui.services.models import (
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    RoleDefinition,
)
from tui.services.privilege import role_verdict

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg"


def _role(guid: str, name: str, *actions: str) -> RoleDefinition:
    rd = RoleDefinition(
        id=f"/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        name=guid,
        role_name=name,
        actions=tuple(actions),
    )
    v = role_verdict(rd)
    return RoleDefinition(**{**rd.__dict__, "privilege": v.level, "privilege_reason": v.reason})


READER = _role("r0", "Reader", "*/read")
OWNER = _role("o0", "Owner", "*")
AUTOMATION = _role("a0", "Automation Contributor", "Microsoft.Automation/automationAccounts/*")
VM_CMD = _role("v0", "VM Command", "Microsoft.Compute/virtualMachines/runCommand/action")
FIC = _role("f0", "FIC writer", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write")
JOBS = _role("j0", "Automation Job Operator", "Microsoft.Automation/automationAccounts/jobs/write")
PUBLISH = _role("w0", "Web Publisher", "Microsoft.Web/sites/publish/action")
MI_OPERATOR = _role("m0", "Managed Identity Operator", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")
VM_WRITER = _role("d0", "VM Writer", "Microsoft.Compute/virtualMachines/write")
ROLES = {r.name: r for r in (READER, OWNER, AUTOMATION, VM_CMD, FIC, JOBS, PUBLISH, MI_OPERATOR, VM_WRITER)}


def _system(name: str, rid: str) -> ManagedIdentity:
    return ManagedIdentity(f"p-{name}", f"c-{name}", name, IdentityKind.SYSTEM, rid, used_by=(rid,))


def _user(name: str, used_by: tuple[str, ...] = ()) -> ManagedIdentity:
    rid = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    return ManagedIdentity(f"p-{name}", f"c-{name}", name, IdentityKind.USER, rid, used_by=used_by)


def _grant(who: ManagedIdentity, role: RoleDefinition, scope: str) -> RoleAssignment:
    return RoleAssignment(
        id=f"{scope}/ra/{who.name}{role.name}",
        scope=scope,
        role_definition_id=role.id,
        principal_id=who.principal_id,
        role_name=role.role_name,
        privilege=role.privilege,
        privilege_reason=role.privilege_reason,
    )


def _inventory(identities: list[ManagedIdentity], grants: list[RoleAssignment]) -> Inventory:
    by: dict[str, list[RoleAssignment]] = {}
    for g in grants:
        by.setdefault(g.principal_id.lower(), []).append(g)
    return Inventory("t", "AzureCloud", identities=identities, role_assignments=by, role_definitions=dict(ROLES))


AA = f"{RG}/providers/Microsoft.Automation/automationAccounts/aa-ops"
SITE = f"{RG}/providers/Microsoft.Web/sites/web1"
VM = f"{RG}/providers/Microsoft.Compute/virtualMachines/vm1"


def test_resource_type() -> None:
    assert resource_type(AA.lower()) == "microsoft.automation/automationaccounts"
    assert resource_type(SUB) == ""


def test_system_assigned_host() -> None:
    a, b = _system("a", VM), _system("aa-ops", AA)
    e = escalations(_inventory([a, b], [_grant(a, JOBS, AA), _grant(b, OWNER, SUB)]))
    assert e["p-a"].own is Privilege.HIGH
    assert e["p-a"].effective is Privilege.CRITICAL and e["p-a"].escalates
    (path,) = e["p-a"].paths
    assert path.via == ("aa-ops",) and path.through == f"Automation Job Operator at {AA}"
    assert path.privilege is Privilege.CRITICAL and path.reason
    assert not e["p-aa-ops"].escalates


def test_user_assigned_attached_resource_and_scope_above() -> None:
    a, u = _system("a", SITE), _user("u", used_by=(AA,))
    e = escalations(_inventory([a, u], [_grant(a, JOBS, RG), _grant(u, OWNER, SUB)]))
    assert e["p-a"].effective is Privilege.CRITICAL
    assert e["p-a"].paths[0].via == ("u",)


def test_federated_credential_write_takes_a_user_assigned_over() -> None:
    a, u = _system("a", AA), _user("u")
    inv = _inventory([a, u], [_grant(a, FIC, u.resource_id), _grant(u, OWNER, SUB)])
    assert [p.via for p in can_act_as(inv, a)] == [("u",)]
    # (writing a federated credential is critical already: reaching u raises nothing)
    assert escalations(inv)["p-a"].effective is Privilege.CRITICAL


def test_attaching_a_user_assigned_identity_to_compute_one_controls() -> None:
    """Managed Identity Operator on u is enough only with the right to create or change some compute. (The
    assign action is critical on its own, so this shows in whom one can act as, not in a raised level.)"""
    a, u = _system("a", AA), _user("u")
    alone = _inventory([a, u], [_grant(a, MI_OPERATOR, u.resource_id), _grant(u, OWNER, SUB)])
    assert can_act_as(alone, a) == ()
    grants = [_grant(a, MI_OPERATOR, u.resource_id), _grant(a, VM_WRITER, RG), _grant(u, OWNER, SUB)]
    inv = _inventory([a, u], grants)
    (step,) = can_act_as(inv, a)
    assert step.via == ("u",) and step.role_name == "Managed Identity Operator"
    assert step.privilege is Privilege.CRITICAL and step.reason.startswith("Owner: ")


def test_transitive_chain_of_three_and_a_cycle() -> None:
    a = _system("a", f"{RG}/providers/Microsoft.Automation/automationAccounts/aa")
    b = _system("b", f"{RG}/providers/Microsoft.Automation/automationAccounts/ab")
    c = _system("c", f"{RG}/providers/Microsoft.Automation/automationAccounts/ac")
    grants = [
        _grant(a, JOBS, b.resource_id),
        _grant(b, JOBS, c.resource_id),
        _grant(c, JOBS, a.resource_id),  # the cycle back
        _grant(c, OWNER, SUB),
    ]
    e = escalations(_inventory([a, b, c], grants))
    assert e["p-a"].effective is Privilege.CRITICAL
    assert e["p-a"].paths[0].via == ("b", "c")
    assert e["p-b"].effective is Privilege.CRITICAL and e["p-b"].own is Privilege.HIGH


def test_no_path_when_the_role_only_reads() -> None:
    a, b = _system("a", VM), _system("aa-ops", AA)
    e = escalations(_inventory([a, b], [_grant(a, READER, SUB), _grant(b, OWNER, SUB)]))
    assert not e["p-a"].escalates and e["p-a"].paths == ()


def _reference_effective(inv: Inventory) -> dict[str, Privilege]:
    """The effective levels the slow way: every edge (who runs code on whose host, by plain scope prefix), then
    levels raised to a fixed point. The fast walk of tui.services.escalation must agree with it."""
    from tui.services.privilege import role_grants

    def hosts(i: ManagedIdentity) -> list[str]:
        return [i.resource_id, *(i.used_by if i.kind is IdentityKind.USER else ())]

    edges: dict[str, set[str]] = {}
    for a in inv.identities:
        for ra in inv.roles_of(a):
            role = inv.role_definitions[ra.role_definition_id.rsplit("/", 1)[-1]]
            for b in inv.identities:
                if b is a:
                    continue
                for h in hosts(b):
                    under = (h.lower() + "/").startswith(ra.scope.lower().rstrip("/") + "/")
                    ops = RUN_AS.get(resource_type(h), ())
                    if under and any(role_grants(role, op) for op in ops):
                        edges.setdefault(a.principal_id, set()).add(b.principal_id)
        roles = [inv.role_definitions[ra.role_definition_id.rsplit("/", 1)[-1]] for ra in inv.roles_of(a)]
        deploys = any(role_grants(r, op) for r in roles for op in DEPLOY)
        for ra, role in zip(inv.roles_of(a), roles, strict=True):
            for b in inv.identities:
                under = (b.resource_id.lower() + "/").startswith(ra.scope.lower().rstrip("/") + "/")
                if b is not a and b.kind is IdentityKind.USER and under and deploys and role_grants(role, ASSIGN):
                    edges.setdefault(a.principal_id, set()).add(b.principal_id)
    level = {i.principal_id: inv.highest_privilege(i) for i in inv.identities}
    changed = True
    while changed:
        changed = False
        for a, targets in edges.items():
            for b in targets:
                if level[b].rank > level[a].rank:
                    level[a], changed = level[b], True
    return level


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(sorted(ROLES)), st.integers(0, 6)),
        max_size=14,
    )
)
def test_the_walk_agrees_with_every_edge_followed_to_a_fixed_point(plan: list[tuple[int, str, int]]) -> None:
    hosts = [
        f"{RG}/providers/Microsoft.Compute/virtualMachines/v0",
        f"{RG}/providers/Microsoft.Automation/automationAccounts/a1",
        f"{SUB}/resourceGroups/rg2/providers/Microsoft.Automation/automationAccounts/a2",
        f"{RG}/providers/Microsoft.Web/sites/w3",
    ]
    ids = [_system(f"i{n}", h) for n, h in enumerate(hosts)]
    ids.append(_user("u4", used_by=(hosts[2],)))
    ids.append(_user("u5"))
    scopes = [*(i.resource_id for i in ids), RG, SUB]
    inv = _inventory(ids, [_grant(ids[w], ROLES[r], scopes[t]) for w, r, t in plan])
    fast = escalations(inv)
    slow = _reference_effective(inv)
    for i in ids:
        esc = fast[i.principal_id.lower()]
        assert esc.effective is slow[i.principal_id]
        assert bool(esc.paths) == esc.escalates
        if esc.paths:  # the path ends at an identity that holds the level itself
            end = next(j for j in ids if j.name == esc.paths[0].via[-1])
            assert inv.highest_privilege(end) is esc.effective


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(sorted(ROLES)), st.integers(0, 4)), max_size=12))
def test_effective_is_never_below_own(plan: list[tuple[int, str, int]]) -> None:
    ids = [_system(f"i{n}", f"{RG}/providers/Microsoft.Compute/virtualMachines/v{n}") for n in range(5)]
    grants = [_grant(ids[w], ROLES[r], ids[t].resource_id) for w, r, t in plan]
    inv = _inventory(ids, grants)
    for i in ids:
        esc = escalations(inv)[i.principal_id.lower()]
        assert esc.own is inv.highest_privilege(i)
        assert esc.effective.rank >= esc.own.rank


def test_filter_priv_matches_the_effective_level_and_esc_keeps_the_escalating() -> None:
    a, b = _system("a", VM), _system("aa-ops", AA)
    inv = _inventory([a, b], [_grant(a, JOBS, AA), _grant(b, OWNER, SUB)])
    assert parse_filter("esc:yes").matches(a, inv) and not parse_filter("esc:yes").matches(b, inv)
    assert parse_filter("esc:no").matches(b, inv)
    assert parse_filter("priv:critical").matches(a, inv) and not parse_filter("priv:high").matches(a, inv)


def test_who_can_act_as_an_identity() -> None:
    """The reverse question of incident mode: whom the run-code rights on b's host belong to (b itself excluded,
    a reader excluded), each with its own level, not the one it reaches through b."""
    a, b, c = _system("a", VM), _system("aa-ops", AA), _system("c", SITE)
    inv = _inventory([a, b, c], [_grant(a, JOBS, AA), _grant(c, READER, SUB), _grant(b, OWNER, SUB)])
    (step,) = acted_as_by(inv, b)
    assert step.via == ("a",) and step.role_name == "Automation Job Operator" and step.privilege is Privilege.HIGH
    # b's Owner at the subscription can act as everyone there: a's VM and c's web app
    assert [p.via for p in acted_as_by(inv, a)] == [p.via for p in acted_as_by(inv, c)] == [("aa-ops",)]
