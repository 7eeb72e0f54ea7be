"""The directory-role privilege principles, each pinned by a custom role holding only what decides it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.services.directory_privilege_rules import DIRECTORY_EXCEPTIONS
from tui.services.directory_roles import builtin_directory_roles, definition_from_graph
from tui.services.joins import classified_directory_role
from tui.services.models import DirectoryRoleDefinition, Privilege
from tui.services.privilege import (
    MICROSOFT_GRAPH_APP_ID,
    app_role_verdict,
    directory_actions_verdict,
    directory_role_verdict,
)

BUILTIN = {d.display_name: d for d in builtin_directory_roles()}
D = "microsoft.directory/"


def _custom(*actions: str) -> DirectoryRoleDefinition:
    return DirectoryRoleDefinition(id="custom", display_name="Custom", is_built_in=False, allowed_actions=actions)


@pytest.mark.parametrize(
    ("action", "level"),
    [
        # change who may do what
        (D + "roleAssignments/allProperties/allTasks", Privilege.CRITICAL),
        (D + "roleDefinitions/allProperties/allTasks", Privilege.CRITICAL),
        (D + "privilegedIdentityManagement/allProperties/allTasks", Privilege.CRITICAL),
        (D + "servicePrincipals/appRoleAssignedTo/update", Privilege.CRITICAL),
        (D + "servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin", Privilege.CRITICAL),
        (D + "oAuth2PermissionGrants/create", Privilege.CRITICAL),
        (D + "permissionGrantPolicies/create", Privilege.CRITICAL),
        (D + "administrativeUnits/allProperties/allTasks", Privilege.CRITICAL),
        # take over users and applications
        (D + "users/password/update", Privilege.CRITICAL),
        (D + "users/authenticationMethods/create", Privilege.CRITICAL),
        (D + "users/authenticationMethods/basic/update", Privilege.CRITICAL),
        (D + "users/userPrincipalName/update", Privilege.CRITICAL),
        (D + "applications/credentials/update", Privilege.CRITICAL),
        (D + "servicePrincipals/credentials/update", Privilege.CRITICAL),
        (D + "applications/owners/update", Privilege.CRITICAL),
        # membership carries rights
        (D + "groups/members/update", Privilege.CRITICAL),
        (D + "groups.security/dynamicMembershipRule/update", Privilege.CRITICAL),
        (D + "groups.unified/members/update", Privilege.CRITICAL),
        # how everyone signs in
        (D + "conditionalAccessPolicies/create", Privilege.CRITICAL),
        (D + "userCredentialPolicies/basic/update", Privilege.CRITICAL),
        (D + "domains/federation/update", Privilege.CRITICAL),
        (D + "domains/federationConfiguration/create", Privilege.CRITICAL),
        (D + "hybridAuthenticationPolicy/allProperties/allTasks", Privilege.CRITICAL),
        ("microsoft.intune/allEntities/allTasks", Privilege.CRITICAL),
        # secrets
        (D + "bitlockerKeys/key/read", Privilege.HIGH),
        (D + "deviceLocalCredentials/password/read", Privilege.HIGH),
        (D + "servicePrincipals/getPasswordSingleSignOnCredentials", Privilege.HIGH),
        # any other tenant-wide write
        (D + "devices/delete", Privilege.HIGH),
        ("microsoft.office365.exchange/allEntities/basic/allTasks", Privilege.HIGH),
        ("microsoft.windows.defenderAdvancedThreatProtection/allEntities/allTasks", Privilege.HIGH),
        (D + "applications/createAsOwner", Privilege.HIGH),  # its own objects: not the family of app writes
        (D + "oAuth2PermissionGrants/createAsOwner", Privilege.HIGH),
        # reads, and the writes the exceptions name
        (D + "users/standard/read", Privilege.NORMAL),
        (D + "users/authenticationMethods/standard/restrictedRead", Privilege.NORMAL),  # a read, not a write
        (D + "deviceLocalCredentials/standard/read", Privilege.NORMAL),  # metadata, not the password
        ("microsoft.azure.supportTickets/allEntities/allTasks", Privilege.NORMAL),
        ("microsoft.office365.serviceHealth/allEntities/allTasks", Privilege.NORMAL),
    ],
)
def test_a_custom_directory_role_with_one_action_is_classified_by_what_it_does(action: str, level: Privilege) -> None:
    verdict = directory_role_verdict(_custom(action))
    assert verdict.level is level, verdict
    assert verdict.reason.startswith(action + ":"), verdict.reason  # the action that decided it, and why


@pytest.mark.parametrize(
    ("action", "level", "included"),
    [
        (D + "users/allProperties/allTasks", Privilege.CRITICAL, D + "users/password/update"),
        (D + "allEntities/allProperties/allTasks", Privilege.CRITICAL, D + "roleAssignments/allProperties/allTasks"),
        (D + "*/allTasks", Privilege.CRITICAL, D + "roleAssignments/allProperties/allTasks"),
        (D + "domains/allProperties/allTasks", Privilege.CRITICAL, D + "domains/federation/update"),
        (D + "allEntities/allProperties/read", Privilege.HIGH, D + "bitlockerKeys/key/read"),
    ],
)
def test_a_wildcard_is_named_with_the_action_it_includes(action: str, level: Privilege, included: str) -> None:
    verdict = directory_actions_verdict([action])
    assert verdict.level is level
    assert verdict.reason.startswith(f"{action} (includes {included}):"), verdict.reason


def test_reads_under_a_wildcard_stay_reads() -> None:
    assert directory_actions_verdict([D + "users/allProperties/read"]).level is Privilege.NORMAL
    assert directory_actions_verdict([D + "groups/members/read"]).level is Privilege.NORMAL
    assert directory_actions_verdict([]).reason == "grants no operation"


@pytest.mark.parametrize(("prefix", "level", "why", "source"), DIRECTORY_EXCEPTIONS)
def test_each_directory_exception_is_reviewed_and_decides_its_writes(
    prefix: str, level: str, why: str, source: str
) -> None:
    assert why and source and level in ("normal", "high")
    action = prefix if not prefix.endswith("/") else prefix + "allEntities/allTasks"
    verdict = directory_actions_verdict([action])
    assert verdict.level is Privilege(level)
    assert why in verdict.reason


def test_actions_under_a_condition_do_not_decide_the_privilege() -> None:
    raw = {
        "id": "a0b1b346-4d3e-4e8b-98f8-753987be4970",
        "displayName": "User",
        "isBuiltIn": True,
        "rolePermissions": [
            {"allowedResourceActions": [D + "users/standard/read"], "condition": None},
            {"allowedResourceActions": [D + "applications/credentials/update"], "condition": "$SubjectIsOwner"},
        ],
    }
    role = definition_from_graph(raw)
    assert role.allowed_actions == (D + "users/standard/read",)
    assert role.conditional_actions == (D + "applications/credentials/update",)
    assert directory_role_verdict(role).level is Privilege.NORMAL
    only_conditional = DirectoryRoleDefinition(id="x", display_name="x", conditional_actions=role.conditional_actions)
    assert "only on itself or on the objects it owns" in directory_role_verdict(only_conditional).reason
    # the same action without the condition is critical
    assert directory_role_verdict(_custom(*role.conditional_actions)).level is Privilege.CRITICAL


@pytest.mark.parametrize(
    "name",
    [
        "Global Administrator",
        "Privileged Role Administrator",
        "Privileged Authentication Administrator",
        "Application Administrator",
        "Cloud Application Administrator",
        "Conditional Access Administrator",
        "Helpdesk Administrator",
        "User Administrator",
        "Groups Administrator",
        "Hybrid Identity Administrator",
        "Intune Administrator",
        "Exchange Administrator",  # through its Microsoft 365 group writes
    ],
)
def test_built_in_roles_with_a_path_to_global_administrator_are_critical(name: str) -> None:
    assert directory_role_verdict(BUILTIN[name]).level is Privilege.CRITICAL, directory_role_verdict(BUILTIN[name])


@pytest.mark.parametrize(
    "name", ["Directory Readers", "Reports Reader", "Message Center Reader", "Restricted Guest User"]
)
def test_built_in_read_only_roles_are_normal(name: str) -> None:
    assert directory_role_verdict(BUILTIN[name]).level is Privilege.NORMAL, directory_role_verdict(BUILTIN[name])


def test_global_reader_is_high_because_it_reads_bitlocker_recovery_keys() -> None:
    # A deliberate decision (tui.services.privilege's docstring): every other action of Global Reader is a read
    verdict = directory_role_verdict(BUILTIN["Global Reader"])
    assert verdict.level is Privilege.HIGH
    assert verdict.reason.startswith("microsoft.directory/bitlockerKeys/key/read:")
    rest = [a for a in BUILTIN["Global Reader"].allowed_actions if "bitlockerkeys" not in a.lower()]
    assert directory_actions_verdict(rest).level is Privilege.NORMAL


@pytest.mark.parametrize(
    ("action", "permission"),
    [
        (D + "roleAssignments/allProperties/allTasks", "RoleManagement.ReadWrite.Directory"),
        (D + "applications/credentials/update", "Application.ReadWrite.All"),
        (D + "groups/members/update", "GroupMember.ReadWrite.All"),
        (D + "users/password/update", "User-PasswordProfile.ReadWrite.All"),
        (D + "conditionalAccessPolicies/create", "Policy.ReadWrite.ConditionalAccess"),
        (D + "domains/federation/update", "Domain-InternalFederation.ReadWrite.All"),
        (D + "bitlockerKeys/key/read", "BitlockerKey.Read.All"),
        (D + "users/standard/read", "User.Read.All"),
    ],
)
def test_a_directory_action_and_the_graph_permission_that_does_the_same_have_the_same_level(
    action: str, permission: str
) -> None:
    graph = app_role_verdict(MICROSOFT_GRAPH_APP_ID, permission)
    assert directory_actions_verdict([action]).level is graph.level


_ALL_ACTIONS = sorted({a for d in BUILTIN.values() for a in d.allowed_actions + d.conditional_actions})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_ALL_ACTIONS), max_size=8), st.lists(st.sampled_from(_ALL_ACTIONS), max_size=4))
def test_adding_actions_never_lowers_a_directory_role(base: list[str], more: list[str]) -> None:
    before = directory_actions_verdict(base).level
    after = directory_actions_verdict(base + more).level
    assert after.rank >= before.rank


def test_a_classified_definition_carries_its_level_and_reason() -> None:
    role = classified_directory_role(BUILTIN["Privileged Role Administrator"])
    assert role.privilege is Privilege.CRITICAL
    assert role.privilege_reason == directory_role_verdict(role).reason


def test_the_default_user_role_is_not_critical_through_what_it_owns() -> None:
    # every member user holds it: it creates applications of its own (high), and acts on what it owns only under
    # $SubjectIsOwner (not counted), though those actions, unconditioned, would be critical
    user = BUILTIN["User"]
    assert directory_role_verdict(user).level is Privilege.HIGH
    assert directory_actions_verdict(user.conditional_actions).level is Privilege.CRITICAL


def test_signing_in_works_out_every_built_in_directory_role_ahead_of_the_first_load() -> None:
    """``warm_builtin_verdicts`` (run in the CPU worker while signing in) leaves nothing about Entra's built-in
    roles for a load to work out: each of their verdicts is then found, not made."""
    from tui.services import privilege
    from tui.services.directory_roles import warm_builtin_verdicts

    privilege._directory_verdict.cache_clear()
    warm_builtin_verdicts()
    made = privilege._directory_verdict.cache_info().misses
    assert made > 10
    verdicts = [directory_role_verdict(role) for role in builtin_directory_roles()]
    assert privilege._directory_verdict.cache_info().misses == made
    assert any(v.level is Privilege.CRITICAL for v in verdicts)
