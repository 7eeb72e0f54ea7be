"""`mitui inventory`'s JSON, CSV and table for directory roles, groups and rights through groups (issue #13), from a
hand-built Inventory (pure: the end-to-end run through the emulator is in test_inventory_cli.py)."""

from __future__ import annotations

import csv
import io
import json

from tui.commands.inventory import CSV_COLUMNS, json_text, to_csv, to_json, to_table
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    Group,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
    ScopeLevel,
    Via,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
SITE = f"{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/func-orders"
GROUP = Group("9a", "sg-[b]platform[/b] \u202e", is_assignable_to_role=True)
FUNC = ManagedIdentity("p-func", "c-func", "func-orders", IdentityKind.SYSTEM, SITE, used_by=(SITE,))


def _inventory() -> Inventory:
    via = Via(GROUP.id, GROUP.display_name)
    owner = RoleAssignment(
        id=f"{SUB}/providers/Microsoft.Authorization/roleAssignments/ra1",
        scope=SUB,
        role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/owner",
        principal_id=GROUP.id,
        principal_type="Group",
        role_name="Owner",
        scope_level=ScopeLevel.SUBSCRIPTION,
        privilege=Privilege.CRITICAL,
        created_on="2026-12-01T08:00:00.0000000Z",
        privilege_reason="* (includes Microsoft.Authorization/roleAssignments/write): assigns any role",
        condition="@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
        condition_version="2.0",
        description="break-glass <script>",
        created_by="11111111-0000-0000-0000-000000000001",
        created_by_name="Alice Admin",
        via=via,
    )
    ga = DirectoryRoleAssignment(
        id="dra1",
        principal_id=GROUP.id,
        role_definition_id="62e90394-69f5-4237-9190-012177145e10",
        role_name="Global Administrator",
        directory_scope_id="/",
        privilege=Privilege.CRITICAL,
        privilege_reason="microsoft.directory/roleAssignments/allProperties/allTasks: assigns any directory role",
        via=via,
    )
    grant = AppRoleAssignment(
        id="g1",
        principal_id="p-func",
        resource_id="graph-sp",
        app_role_id="role-1",
        resource_app_id="00000003-0000-0000-c000-000000000000",
        resource_display_name="Microsoft Graph",
        app_role_value="User.Read.All",
        privilege=Privilege.NORMAL,
        created="2026-11-02T10:00:00Z",
        privilege_reason="User.Read.All: reads User, with no path to other rights",
    )
    return Inventory(
        tenant_id="t",
        cloud="AzureCloud",
        identities=[FUNC],
        role_assignments={"p-func": [owner]},
        app_role_assignments={"p-func": [grant]},
        groups={GROUP.id: GROUP},
        memberships={"p-func": (GROUP.id,)},
        directory_role_assignments={"p-func": [ga]},
    )


def test_json_carries_directory_roles_groups_and_where_each_right_comes_from() -> None:
    doc = json.loads(json_text(to_json(_inventory())))
    (identity,) = doc["identities"]
    via = {"groupId": "9a", "groupName": "sg-[b]platform[/b] \u202e"}
    assert identity["groups"] == [{"id": "9a", "displayName": "sg-[b]platform[/b] \u202e"}]
    assert identity["directoryRoleAssignments"] == [
        {
            "id": "dra1",
            "roleName": "Global Administrator",
            "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
            "directoryScopeId": "/",
            "privilege": "critical",
            "privilegeReason": "microsoft.directory/roleAssignments/allProperties/allTasks: assigns any directory role",
            "via": via,
            "createdOn": None,
        }
    ]
    (role,) = identity["roleAssignments"]
    assert role["via"] == via
    assert role["scopeLevel"] == "subscription"
    assert role["condition"].startswith("@Resource[") and role["conditionVersion"] == "2.0"
    assert role["description"] == "break-glass <script>"
    assert (role["createdOn"], role["createdBy"], role["createdByName"]) == (
        "2026-12-01T08:00:00.0000000Z",
        "11111111-0000-0000-0000-000000000001",
        "Alice Admin",
    )
    (grant,) = identity["appRoleAssignments"]
    assert grant["via"] is None and grant["createdOn"] == "2026-11-02T10:00:00Z"
    assert {"condition", "createdBy", "scopeLevel", "description"} <= set(grant)
    assert identity["effectivePrivilege"] == "critical"


def test_csv_has_a_row_per_right_and_group_with_the_new_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_inventory()))))
    assert list(rows[0]) == CSV_COLUMNS
    by_type = {r["rightType"]: r for r in rows}
    assert set(by_type) == {"role", "directoryRole", "appRole", "memberOf"}
    assert (by_type["role"]["viaGroupId"], by_type["role"]["createdBy"]) == ("9a", "Alice Admin")
    assert by_type["role"]["scopeLevel"] == "subscription"
    assert by_type["role"]["condition"].startswith("'@Resource[")  # a leading @ is defused for spreadsheets
    assert (by_type["directoryRole"]["right"], by_type["directoryRole"]["viaGroupId"]) == ("Global Administrator", "9a")
    assert by_type["appRole"]["viaGroupId"] == "" and by_type["appRole"]["createdOn"] == "2026-11-02T10:00:00Z"
    assert (by_type["memberOf"]["rightId"], by_type["memberOf"]["privilege"]) == ("9a", "")


def test_table_says_via_which_group_and_shows_conditions_and_who_created() -> None:
    table = to_table(_inventory())
    assert "role     Owner [critical] at subscription" in table and "via group sg-[b]platform[/b]" in table
    assert "dir role Global Administrator [critical] at / via group" in table
    assert "condition @Resource[" in table and "created 2026-12-01T08:00:00.0000000Z by Alice Admin" in table
    assert "\u202e" not in table  # Azure's strings are made plain
