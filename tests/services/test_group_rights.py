"""Rights through groups and directory roles (issue #13): pure joins on hand-built data, then what the inventory,
the badge, escalation and the filter make of them."""

from __future__ import annotations

from tui.services.directory_roles import builtin_directory_roles
from tui.services.escalation import escalation_of
from tui.services.filtering import parse_filter
from tui.services.grants import grants_by_identity
from tui.services.joins import classified_directory_role, directory_roles_by_identity, inherited_at, join_assignments
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    Group,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Via,
)
from tui.services.privilege import role_verdict

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg"
VM = f"{RG}/providers/Microsoft.Compute/virtualMachines/vm-batch"
SITE = f"{RG}/providers/Microsoft.Web/sites/func-orders"
GROUP_ID, ADMINS_ID, NESTED_ID = "9a000000-0000-0000-0000-00000000000a", "9b000000-0000-0000-0000-00000000000b", "9c"


def _role(guid: str, name: str, *actions: str) -> RoleDefinition:
    verdict = role_verdict(RoleDefinition(id=guid, name=guid, role_name=name, actions=actions))
    return RoleDefinition(
        id=f"/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        name=guid,
        role_name=name,
        actions=actions,
        privilege=verdict.level,
        privilege_reason=verdict.reason,
    )


OWNER = _role("o0", "Owner", "*")
READER = _role("r0", "Reader", "*/read")
DEFINITIONS = {r.name: r for r in (OWNER, READER)}
FUNC = ManagedIdentity("p-func", "c-func", "func-orders", IdentityKind.SYSTEM, SITE, used_by=(SITE,))
VM_ID = ManagedIdentity("p-vm", "c-vm", "vm-batch", IdentityKind.SYSTEM, VM, used_by=(VM,))
GROUPS = {
    GROUP_ID: Group(GROUP_ID, "sg-<b>platform</b>", security_enabled=True),
    ADMINS_ID: Group(ADMINS_ID, "rag-tier0", security_enabled=True, is_assignable_to_role=True),
}
# func-orders is in sg-platform directly and in "9c" through it (transitively); vm-batch in nothing
MEMBERSHIPS = {"p-func": (GROUP_ID, NESTED_ID, ADMINS_ID)}
ROLES = {d.display_name: classified_directory_role(d) for d in builtin_directory_roles()}


def _assignment(name: str, scope: str, role: RoleDefinition, principal_id: str, **kw: object) -> RoleAssignment:
    return RoleAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        scope=scope,
        role_definition_id=role.id,
        principal_id=principal_id,
        scope_level=ScopeLevel.SUBSCRIPTION,
        **kw,  # type: ignore[arg-type]
    )


def _inventory() -> Inventory:
    raw = {
        "own": _assignment("own", SITE, READER, "p-func", description="reads its own app"),
        "group": _assignment(
            "group", SUB, OWNER, GROUP_ID, principal_type="Group", created_on="2026-12-01T08:00:00Z",
            created_by="creator-id", condition="@Resource[x] StringEquals 'y'", condition_version="2.0",
        ),
        "nested": _assignment("nested", RG, READER, NESTED_ID, principal_type="Group"),
        "nobody": _assignment("nobody", SUB, OWNER, "some-other-group", principal_type="Group"),
    }  # fmt: skip
    joined = join_assignments(raw, [FUNC, VM_ID], DEFINITIONS, [], set(), GROUPS, MEMBERSHIPS)
    ga, readers = ROLES["Global Administrator"], ROLES["Directory Readers"]
    directory = [
        DirectoryRoleAssignment("d1", "p-vm", readers.id, directory_scope_id="/"),
        DirectoryRoleAssignment("d2", ADMINS_ID, ga.id, directory_scope_id="/"),
    ]
    definitions = {d.id.lower(): d for d in ROLES.values()}
    directory_roles = directory_roles_by_identity(directory, definitions, [FUNC, VM_ID], GROUPS, MEMBERSHIPS)
    grants = [AppRoleAssignment("g1", GROUP_ID, "graph-sp", "role-1")]  # a grant to the group: not inherited
    app_grants, _ = grants_by_identity(grants, [FUNC, VM_ID], {})
    return Inventory(
        tenant_id="t",
        cloud="AzureCloud",
        identities=[FUNC, VM_ID],
        role_assignments=joined.role_assignments,
        app_role_assignments=app_grants,
        role_definitions=DEFINITIONS,
        groups=GROUPS,
        memberships=MEMBERSHIPS,
        directory_role_assignments=directory_roles,
        directory_role_definitions=definitions,
    )


def test_an_identity_holds_the_rights_of_its_groups_each_with_the_group_it_comes_through() -> None:
    inv = _inventory()
    rights = {(a.role_name, a.scope, a.via) for a in inv.roles_of(FUNC)}
    assert rights == {
        ("Owner", SUB, Via(GROUP_ID, "sg-<b>platform</b>")),
        ("Reader", RG, Via(NESTED_ID, "")),  # a group the load could not name: its id alone
        ("Reader", SITE, None),
    }
    owner = inv.roles_of(FUNC)[0]  # sorted by privilege first
    assert (owner.role_name, owner.privilege, owner.inherited) == ("Owner", Privilege.CRITICAL, True)
    condition = ("@Resource[x] StringEquals 'y'", "2.0", "creator-id")
    assert (owner.condition, owner.condition_version, owner.created_by) == condition
    own = [a for a in inv.roles_of(FUNC) if a.via is None]
    assert [(a.inherited, a.description) for a in own] == [(False, "reads its own app")]
    assert inv.roles_of(VM_ID) == []  # a group nobody here belongs to gives nothing
    assert [g.display_name for g in inv.groups_of(FUNC)] == ["sg-<b>platform</b>", "", "rag-tier0"]


def test_inherited_at_is_relative_to_the_scope_looked_at() -> None:
    inv = _inventory()
    by_scope = {a.scope: a for a in inv.roles_of(FUNC)}
    assert inherited_at(by_scope[SUB], SITE) and inherited_at(by_scope[RG], SITE)
    assert not inherited_at(by_scope[SITE], SITE)
    assert not inherited_at(by_scope[SUB], SUB)  # at the subscription itself: assigned there


def test_directory_roles_come_direct_and_through_role_assignable_groups() -> None:
    inv = _inventory()
    (ga,) = inv.directory_roles_of(FUNC)
    rag = Via(ADMINS_ID, "rag-tier0")
    assert (ga.role_name, ga.privilege, ga.via) == ("Global Administrator", Privilege.CRITICAL, rag)
    assert ga.privilege_reason.startswith("microsoft.directory/")
    (readers,) = inv.directory_roles_of(VM_ID)
    assert (readers.role_name, readers.privilege, readers.via) == ("Directory Readers", Privilege.NORMAL, None)


def test_app_role_grants_are_not_inherited_through_groups() -> None:
    assert _inventory().app_roles_of(FUNC) == []


def test_the_badge_escalation_and_filter_count_rights_through_groups_and_directory_roles() -> None:
    inv = _inventory()
    assert inv.highest_privilege(FUNC) is Privilege.CRITICAL
    top = inv.highest_right(FUNC)
    assert isinstance(top, RoleAssignment) and top.via == Via(GROUP_ID, "sg-<b>platform</b>")  # roles first on a tie
    assert inv.highest_privilege(VM_ID) is Privilege.NORMAL
    # Owner through the group runs code on vm-batch: func-orders can act as it (no escalation: already critical)
    assert escalation_of(inv, FUNC).effective is Privilege.CRITICAL
    keep = parse_filter("priv:critical")
    assert [i.name for i in inv.identities if keep.matches(i, inv)] == ["func-orders"]


def test_a_directory_role_alone_makes_the_badge() -> None:
    ident = ManagedIdentity("p-x", "c-x", "aa-exchange", IdentityKind.SYSTEM, SITE)
    exchange = ROLES["Exchange Administrator"]
    roles = directory_roles_by_identity(
        [DirectoryRoleAssignment("d", "p-x", exchange.id)], {exchange.id.lower(): exchange}, [ident]
    )
    inv = Inventory(tenant_id="t", cloud="c", identities=[ident], directory_role_assignments=roles)
    assert inv.highest_privilege(ident) is Privilege.CRITICAL
    top = inv.highest_right(ident)
    assert isinstance(top, DirectoryRoleAssignment) and top.role_name == "Exchange Administrator"
