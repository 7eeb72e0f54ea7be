"""The privilege principles, each pinned by a custom role (or permission) holding only what decides it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.services.models import Privilege, RoleDefinition
from tui.services.privilege import (
    MICROSOFT_GRAPH_APP_ID,
    Verdict,
    app_role_verdict,
    classify_app_role,
    classify_role,
    microsoft_privilege_level,
    role_permissions_verdict,
    role_verdict,
)
from tui.services.privilege_rules import ESCALATION_APP_ROLES

# (another branch may move this file; the coordinator updates the path)
BUILTIN_ROLES = Path(__file__).resolve().parents[2] / "tui" / "emulator" / "data" / "azure-builtin-roles.json.gz"
GRAPH = MICROSOFT_GRAPH_APP_ID


def _builtin_roles() -> dict[str, RoleDefinition]:
    roles: dict[str, RoleDefinition] = {}
    for raw in json.loads(gzip.decompress(BUILTIN_ROLES.read_bytes())):
        perms = raw["permissions"]
        roles[raw["roleName"]] = RoleDefinition(
            id=raw["name"],
            name=raw["name"],
            role_name=raw["roleName"],
            actions=tuple(a for p in perms for a in p.get("actions") or ()),
            not_actions=tuple(a for p in perms for a in p.get("notActions") or ()),
            data_actions=tuple(a for p in perms for a in p.get("dataActions") or ()),
            not_data_actions=tuple(a for p in perms for a in p.get("notDataActions") or ()),
        )
    return roles


ROLES = _builtin_roles()


def _only(*actions: str, data: tuple[str, ...] = (), not_actions: tuple[str, ...] = ()) -> Verdict:
    return role_permissions_verdict(actions, not_actions, data, ())


# --- one rule, one custom role ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("Microsoft.Compute/virtualMachines/runCommand/action", Privilege.CRITICAL),  # code as the VM's identity
        ("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", Privilege.CRITICAL),
        ("Microsoft.Authorization/roleAssignments/write", Privilege.CRITICAL),  # change who may do what
        ("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", Privilege.CRITICAL),  # take over
        ("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", Privilege.CRITICAL),
        ("Microsoft.Automation/automationAccounts/runbooks/write", Privilege.CRITICAL),
        ("Microsoft.Web/sites/config/write", Privilege.CRITICAL),
        ("Microsoft.Logic/workflows/write", Privilege.CRITICAL),
        ("Microsoft.Authorization/policyDefinitions/write", Privilege.CRITICAL),  # remediation runs as an identity
        ("Microsoft.Storage/storageAccounts/listKeys/action", Privilege.HIGH),  # secrets and keys
        ("Microsoft.Sql/servers/listConnectionStrings/action", Privilege.HIGH),  # a provider no table names
        ("Microsoft.Automation/automationAccounts/jobs/write", Privilege.HIGH),  # someone else's code
        ("*/read", Privilege.NORMAL),
        ("Microsoft.Network/virtualNetworks/write", Privilege.NORMAL),  # one control-plane write
    ],
)
def test_a_custom_role_with_one_action_is_classified_by_what_it_does(action: str, level: Privilege) -> None:
    verdict = _only(action)
    assert verdict.level is level, verdict
    assert action in verdict.reason


@pytest.mark.parametrize(
    ("data_action", "level"),
    [
        ("Microsoft.Compute/virtualMachines/login/action", Privilege.CRITICAL),  # a shell on the VM: its identity
        ("Microsoft.ContainerService/managedClusters/pods/write", Privilege.CRITICAL),
        (
            "Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterrolebindings/write",
            Privilege.CRITICAL,
        ),
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", Privilege.HIGH),  # data write
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", Privilege.HIGH),  # sensitive read
        ("Microsoft.KeyVault/vaults/secrets/getSecret/action", Privilege.HIGH),
        ("Microsoft.Maps/accounts/data/read", Privilege.NORMAL),  # narrow, not sensitive
        ("Microsoft.KeyVault/vaults/secrets/readMetadata/action", Privilege.NORMAL),  # names, not values
    ],
)
def test_a_custom_role_with_one_data_action_is_classified_by_what_it_does(data_action: str, level: Privilege) -> None:
    verdict = _only(data=(data_action,))
    assert verdict.level is level, verdict
    assert data_action in verdict.reason


def test_broad_write_that_includes_running_code_is_critical_and_names_what_it_includes() -> None:
    contributor = ROLES["Contributor"]
    verdict = role_verdict(contributor)
    assert verdict.level is Privilege.CRITICAL
    assert verdict.reason.startswith("* (includes ")
    for name in (
        "Virtual Machine Contributor",
        "Website Contributor",
        "Logic App Contributor",
        "Automation Contributor",
    ):
        assert classify_role(ROLES[name]) is Privilege.CRITICAL, name
    assert classify_role(ROLES["Azure Kubernetes Service Cluster Admin Role"]) is Privilege.CRITICAL


def test_not_actions_that_take_the_dangerous_action_back_lower_the_level() -> None:
    run = "Microsoft.Compute/virtualMachines/runCommand/action"
    assert _only(run).level is Privilege.CRITICAL
    assert _only(run, not_actions=(run,)).level is Privilege.NORMAL
    assert _only("Microsoft.Compute/virtualMachines/*", not_actions=("Microsoft.Compute/*",)).level is Privilege.NORMAL
    blobs = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"
    assert role_permissions_verdict((), (), (blobs,), (blobs,)).level is Privilege.NORMAL


def test_the_reason_names_the_wildcard_and_the_operation_it_includes() -> None:
    verdict = _only("Microsoft.Compute/virtualMachines/*")
    assert verdict.level is Privilege.CRITICAL
    assert "Microsoft.Compute/virtualMachines/*" in verdict.reason
    assert "runs code as the identities of the VMs in scope" in verdict.reason


# --- properties ---------------------------------------------------------------------------------------------

_ACTIONS = st.sampled_from(
    sorted({a for r in ROLES.values() for a in r.actions} | {"*", "*/read", "Microsoft.Compute/*"})
)
_DATA = st.sampled_from(sorted({a for r in ROLES.values() for a in r.data_actions}))
_SMALL = {"max_size": 6}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_ACTIONS, **_SMALL),
    st.lists(_ACTIONS, **_SMALL),
    st.lists(_DATA, **_SMALL),
    st.lists(_DATA, **_SMALL),
    st.lists(_ACTIONS, **_SMALL),
    st.lists(_DATA, **_SMALL),
)
def test_adding_actions_or_removing_not_actions_never_lowers_the_level(
    actions: list[str],
    not_actions: list[str],
    data: list[str],
    not_data: list[str],
    more_actions: list[str],
    more_data: list[str],
) -> None:
    base = role_permissions_verdict(actions, not_actions, data, not_data).level
    wider = role_permissions_verdict(actions + more_actions, not_actions, data + more_data, not_data).level
    freer = role_permissions_verdict(actions, not_actions[1:], data, not_data[1:]).level
    assert wider.rank >= base.rank
    assert freer.rank >= base.rank


def test_every_builtin_role_has_a_level_and_a_reason() -> None:
    for name, role in ROLES.items():
        verdict = role_verdict(role)
        assert verdict.reason.strip(), name
        assert role_verdict(role) is verdict  # computed once per role definition


# --- readers ------------------------------------------------------------------------------------------------

# Built-in roles named "Reader" that are above normal though their reason is not a secret or a key, with why.
READERS_ABOVE_NORMAL = {
    "App Configuration Data Reader": "configuration values often hold connection strings",
    "Cognitive Services LUIS Reader": "writes test datasets despite its name",
    "Cognitive Services Language Reader": "a data-action wildcard that includes writes",
    "Disk Backup Reader": "downloads whole disks",
    "Garnet Data Reader": "reads a cache's stored data",
    "Garnet PubSub Data Reader": "reads a cache's stored data",
    "Storage Blob Data Reader": "reads blobs, which may hold any data",
    "Storage File Data Privileged Reader": "reads file shares",
    "Storage File Data SMB Share Reader": "reads file shares",
    "Storage Queue Data Reader": "reads queue messages",
    "Storage Table Data Reader": "reads table data",
}
_SECRET_WORDS = ("secret", "key", "credential", "password")


def test_no_reader_role_is_above_normal_unless_it_reads_secrets_or_keys() -> None:
    above = {name: role_verdict(r) for name, r in ROLES.items() if "Reader" in name}
    above = {name: v for name, v in above.items() if v.level is not Privilege.NORMAL}
    unexplained = {
        name: v.reason
        for name, v in above.items()
        if name not in READERS_ABOVE_NORMAL and not any(w in v.reason.lower() for w in _SECRET_WORDS)
    }
    assert unexplained == {}
    assert set(READERS_ABOVE_NORMAL) <= set(above)  # every exception still needed
    assert classify_role(ROLES["Reader"]) is Privilege.NORMAL
    assert classify_role(ROLES["Azure Maps Data Reader"]) is Privilege.NORMAL


def test_far_fewer_builtin_roles_are_high_than_any_data_action_made_them() -> None:
    levels = [classify_role(r) for r in ROLES.values()]
    assert levels.count(Privilege.HIGH) < 450  # 626 of 928 on main 677268e
    assert levels.count(Privilege.CRITICAL) >= 60


# --- app roles ----------------------------------------------------------------------------------------------

PATHS_TO_GLOBAL_ADMIN = (
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "User.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
    "AdministrativeUnit.ReadWrite.All",
    "DeviceManagementRBAC.ReadWrite.All",
    "DeviceManagementScripts.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All",
)


@pytest.mark.parametrize("value", PATHS_TO_GLOBAL_ADMIN)
def test_graph_permissions_with_a_path_to_global_admin_are_critical(value: str) -> None:
    verdict = app_role_verdict(GRAPH, value)
    assert verdict.level is Privilege.CRITICAL
    assert verdict.reason.startswith(value + ": ")


def test_microsofts_privilege_level_is_respected_and_every_verdict_has_a_reason() -> None:
    for value in list(ESCALATION_APP_ROLES) + ["User.Read.All", "Mail.Read", "Mail.Send", "Device.Read.All"]:
        assert app_role_verdict(GRAPH, value).reason.strip()
    text = (Path(__file__).resolve().parents[2] / "tui" / "data" / "app-role-privilege.json").read_text("utf-8")
    for value in json.loads(text)["microsoftGraph"]:
        verdict = app_role_verdict(GRAPH, value)
        assert verdict.reason.startswith(value + ": "), value
        level = microsoft_privilege_level(value)
        if level is not None and level >= 4:
            assert verdict.level is not Privilege.NORMAL, value


def test_graph_reads_are_normal_unless_they_read_content_and_writes_are_high() -> None:
    assert classify_app_role(GRAPH, "User.Read.All") is Privilege.NORMAL
    assert classify_app_role(GRAPH, "Mail.Read") is Privilege.HIGH  # every mailbox
    assert classify_app_role(GRAPH, "BitlockerKey.Read.All") is Privilege.HIGH  # recovery keys
    assert classify_app_role(GRAPH, "BitlockerKey.ReadBasic.All") is Privilege.NORMAL  # without the keys
    assert classify_app_role(GRAPH, "Mail.Send") is Privilege.HIGH
    # the same value on another resource app is not Microsoft Graph's
    other = app_role_verdict("11111111-0000-0000-0000-000000000000", "RoleManagement.ReadWrite.Directory")
    assert other.level is Privilege.NORMAL and other.reason
