"""Management groups as ARM serves them (management.json 2023-04-01): list, get with children, descendants, and
role assignments at a group's scope, listed there and inherited into the subscriptions below it."""

from __future__ import annotations

import uuid

import pytest
from azure.identity.aio import ManagedIdentityCredential

from tests.emulator.test_arm_http import open_arm
from tui.emulator.builder import TenantBuilder

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
MGS = "/providers/Microsoft.Management/managementGroups"
V = "api-version=2023-04-01"


@pytest.fixture
def sandbox(emulator_factory, small_tenant, managed_identity_env):
    t = small_tenant()
    b = TenantBuilder(tenant=t)
    top = b.add_management_group("mg-top", "Top <b>[red]")
    child = b.add_management_group("mg-child", "Child", parent=top)
    subs = {s.display_name: s for s in t.subscriptions.values()}
    b.move_subscription(subs["Sandbox One"], child)
    aa = next(r for r in t.resources.values() if r.type.endswith("automationAccounts"))
    b.assign_role(aa, "Contributor", top)
    admin = t.users[t.admin_user_id]
    b.assign_role(admin, "Owner", t.management_group(t.tenant_id))  # the tenant root group
    emu = emulator_factory(t)
    managed_identity_env(emu)
    return emu


def _sub(emu, name="Sandbox One") -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == name)


async def test_list_get_children_and_descendants(sandbox):
    tid = sandbox.tenant.tenant_id
    one, two = _sub(sandbox), _sub(sandbox, "Sandbox Two")
    async with open_arm(sandbox) as arm:
        status, _, body = await arm.call("GET", f"{MGS}?{V}")
        assert status == 200
        assert {g["name"] for g in body["value"]} == {tid, "mg-top", "mg-child"}
        top = next(g for g in body["value"] if g["name"] == "mg-top")
        assert top == {
            "id": f"{MGS}/mg-top",
            "type": "Microsoft.Management/managementGroups",
            "name": "mg-top",
            "properties": {"tenantId": tid, "displayName": "Top <b>[red]"},
        }
        status, _, body = await arm.call("GET", f"{MGS}/mg-top?{V}&$expand=children&$recurse=true")
        assert status == 200
        assert body["properties"]["details"]["parent"] == {
            "id": f"{MGS}/{tid}",
            "name": tid,
            "displayName": "Tenant Root Group",
        }
        [child] = body["properties"]["children"]
        assert child["name"] == "mg-child" and child["type"] == "Microsoft.Management/managementGroups"
        assert child["children"] == [
            {"id": f"/subscriptions/{one}", "type": "/subscriptions", "name": one, "displayName": "Sandbox One"}
        ]
        status, _, body = await arm.call("GET", f"{MGS}/mg-top?{V}")
        assert "children" not in body["properties"]
        status, _, body = await arm.call("GET", f"{MGS}/{tid}/descendants?{V}")
        assert status == 200
        kinds = {(d["name"], d["type"], d["properties"]["parent"]["id"]) for d in body["value"]}
        assert kinds == {
            ("mg-top", "Microsoft.Management/managementGroups", f"{MGS}/{tid}"),
            ("mg-child", "Microsoft.Management/managementGroups", f"{MGS}/mg-top"),
            (one, "Microsoft.Management/managementGroups/subscriptions", f"{MGS}/mg-child"),
            (two, "Microsoft.Management/managementGroups/subscriptions", f"{MGS}/{tid}"),
        }
        status, _, body = await arm.call("GET", f"{MGS}/no-such-group?{V}")
        assert status == 404 and body["error"]["code"] == "NotFound"


async def test_generic_sdk_reads_a_management_group(sandbox, arm_kwargs):
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    async with (
        ManagedIdentityCredential() as cred,
        ResourceManagementClient(cred, _sub(sandbox), **arm_kwargs(sandbox)) as client,
    ):
        got = await client.resources.get_by_id(f"{MGS}/mg-child", api_version="2023-04-01")
        assert got.name == "mg-child" and got.properties["displayName"] == "Child"
        assert got.properties["details"]["parent"]["name"] == "mg-top"


async def test_assignments_at_a_management_group_are_inherited(sandbox, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    one, two = _sub(sandbox), _sub(sandbox, "Sandbox Two")
    uami = next(r for r in sandbox.tenant.resources.values() if r.is_user_assigned_identity)
    scope = f"{MGS}/mg-child"
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, one, **arm_kwargs(sandbox)) as client,
    ):
        created = await client.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            RoleAssignmentCreateParameters(
                role_definition_id=f"/providers/Microsoft.Authorization/roleDefinitions/{READER}",
                principal_id=uami.principal_id,
                principal_type="ServicePrincipal",
            ),
        )
        assert created.scope == scope and created.role_definition_id.endswith(READER)
        at_mg = [a.id async for a in client.role_assignments.list_for_scope(scope)]
        assert created.id in at_mg
        in_one = {a.scope: a async for a in client.role_assignments.list_for_subscription()}
        assert {scope, f"{MGS}/mg-top", f"{MGS}/{sandbox.tenant.tenant_id}"} <= in_one.keys()
        at_scope = {a.scope async for a in client.role_assignments.list_for_subscription(filter="atScope()")}
        assert {scope, f"{MGS}/mg-top"} <= at_scope
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, two, **arm_kwargs(sandbox)) as client,
    ):
        in_two = {a.scope async for a in client.role_assignments.list_for_subscription()}
        root = f"{MGS}/{sandbox.tenant.tenant_id}"
        assert root in in_two and f"{MGS}/mg-top" not in in_two and scope not in in_two  # Two is below the root only
