"""ARM changes through the real async SDK clients: role assignments, custom roles, user-assigned identities
and federated credentials, with ARM's error answers (409, 400, 403, 404) as the SDK surfaces them."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.identity.aio import ManagedIdentityCredential

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


@pytest.fixture
def sandbox(emulator_factory, small_tenant, managed_identity_env):
    emu = emulator_factory(small_tenant())
    managed_identity_env(emu)
    return emu


def _sub(emu, name="Sandbox One") -> str:
    return next(s.subscription_id for s in emu.tenant.subscriptions.values() if s.display_name == name)


def _uami(emu):
    return next(r for r in emu.tenant.resources.values() if r.is_user_assigned_identity)


def _params(sub: str, role: str, principal: str, principal_type: str = "ServicePrincipal"):
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    return RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        principal_id=principal,
        principal_type=principal_type,
    )


async def test_role_assignment_create_get_duplicate_delete(sandbox, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient

    sub = _sub(sandbox)
    uami = _uami(sandbox)
    scope = f"/subscriptions/{sub}/resourceGroups/rg-core"
    name = str(uuid.uuid4())
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, sub, **arm_kwargs(sandbox)) as client,
    ):
        created = await client.role_assignments.create(scope, name, _params(sub, CONTRIBUTOR, uami.principal_id))
        assert created.name == name and created.principal_id == uami.principal_id
        assert created.role_definition_id.endswith(CONTRIBUTOR) and created.scope == scope
        again = await client.role_assignments.get(scope, name)
        assert again.id == created.id
        listed = [
            a
            async for a in client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{uami.principal_id}'")
        ]
        assert created.id in {a.id for a in listed}
        with pytest.raises(ResourceExistsError) as dup:
            await client.role_assignments.create(scope, str(uuid.uuid4()), _params(sub, CONTRIBUTOR, uami.principal_id))
        assert dup.value.status_code == 409 and dup.value.error.code == "RoleAssignmentExists"
        assert name.replace("-", "") in dup.value.message
        deleted = await client.role_assignments.delete(scope, name)
        assert deleted is not None and deleted.id == created.id
        gone = await client.role_assignments.delete(scope, name)
        assert gone is None  # 204: already absent
        with pytest.raises(ResourceNotFoundError):
            await client.role_assignments.get(scope, name)
    assert name not in sandbox.tenant.role_assignments


async def test_role_assignment_by_id_and_update_not_permitted(sandbox, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient

    sub = _sub(sandbox)
    uami = _uami(sandbox)
    rid = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, sub, **arm_kwargs(sandbox)) as client,
    ):
        created = await client.role_assignments.create_by_id(rid, _params(sub, READER, uami.principal_id))
        assert created.id == rid
        got = await client.role_assignments.get_by_id(rid)
        assert got.principal_id == uami.principal_id
        other = next(
            s
            for s in sandbox.tenant.service_principals.values()
            if s.service_principal_type == "ManagedIdentity" and s.id != uami.principal_id
        )
        with pytest.raises(HttpResponseError) as err:
            await client.role_assignments.create_by_id(rid, _params(sub, READER, other.id))
        assert err.value.error.code == "RoleAssignmentUpdateNotPermitted"
        deleted = await client.role_assignments.delete_by_id(rid)
        assert deleted.id == rid


async def test_role_assignment_errors(sandbox, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient

    sub = _sub(sandbox)
    uami = _uami(sandbox)
    scope = f"/subscriptions/{sub}"
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, sub, **arm_kwargs(sandbox)) as client,
    ):
        with pytest.raises(HttpResponseError) as err:
            await client.role_assignments.create(
                scope, str(uuid.uuid4()), _params(sub, str(uuid.uuid4()), uami.principal_id)
            )
        assert err.value.status_code == 400 and err.value.error.code == "RoleDefinitionDoesNotExist"
        with pytest.raises(HttpResponseError) as err:
            await client.role_assignments.create(scope, "not-a-guid", _params(sub, READER, uami.principal_id))
        assert err.value.status_code == 400 and err.value.error.code == "InvalidRoleAssignmentId"
        with pytest.raises(HttpResponseError) as err:  # the SDK's default principalType "User" for an SP
            await client.role_assignments.create(
                scope, str(uuid.uuid4()), _params(sub, READER, uami.principal_id, "User")
            )
        assert err.value.status_code == 400 and err.value.error.code == "UnmatchedPrincipalType"
        with pytest.raises(ResourceNotFoundError) as nf:
            await client.role_assignments.create(
                f"{scope}/resourceGroups/rg-missing", str(uuid.uuid4()), _params(sub, READER, uami.principal_id)
            )
        assert nf.value.error.code == "ResourceGroupNotFound"
        # a principal that is not (yet) in the directory is accepted when principalType is given, as ARM does
        fresh = str(uuid.uuid4())
        made = await client.role_assignments.create(scope, str(uuid.uuid4()), _params(sub, READER, fresh))
        assert made.principal_id == fresh


async def test_missing_right_is_403_authorization_failed(
    emulator_factory, small_tenant, managed_identity_env, arm_kwargs
):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient

    emu = emulator_factory(small_tenant(caller_role="Reader"))
    managed_identity_env(emu)
    sub = _sub(emu)
    admin = emu.tenant.users[emu.tenant.admin_user_id]
    name = str(uuid.uuid4())
    scope = f"/subscriptions/{sub}"
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, sub, **arm_kwargs(emu)) as client,
    ):
        readable = [a async for a in client.role_assignments.list_for_subscription()]
        assert readable  # Reader may read
        with pytest.raises(HttpResponseError) as err:
            await client.role_assignments.create(scope, name, _params(sub, READER, _uami(emu).principal_id))
    e = err.value
    assert e.status_code == 403 and e.error.code == "AuthorizationFailed"
    assert e.error.message == (
        f"The client '{admin.user_principal_name}' with object id '{admin.id}' does not have authorization to perform "
        "action 'Microsoft.Authorization/roleAssignments/write' over scope "
        f"'{scope}/providers/Microsoft.Authorization/roleAssignments/{name}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials."
    )


async def test_custom_role_create_update_delete(sandbox, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import Permission, RoleDefinition

    sub = _sub(sandbox)
    scope = f"/subscriptions/{sub}"
    role_id = str(uuid.uuid4())
    body = RoleDefinition(
        role_name="Sandbox Runbook Operator",
        description="Starts runbooks",
        role_type="CustomRole",
        permissions=[Permission(actions=["Microsoft.Automation/automationAccounts/jobs/write"])],
        assignable_scopes=[scope],
    )
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, sub, **arm_kwargs(sandbox)) as client,
    ):
        made = await client.role_definitions.create_or_update(scope, role_id, body)
        assert made.name == role_id and made.role_type == "CustomRole"
        body.description = "Starts and stops runbooks"
        changed = await client.role_definitions.create_or_update(scope, role_id, body)
        assert changed.description == "Starts and stops runbooks"
        found = [d async for d in client.role_definitions.list(scope, filter="roleName eq 'Sandbox Runbook Operator'")]
        assert [d.name for d in found] == [role_id]
        clash = RoleDefinition(
            role_name="Sandbox Runbook Operator", permissions=body.permissions, assignable_scopes=[scope]
        )
        with pytest.raises(HttpResponseError) as err:
            await client.role_definitions.create_or_update(scope, str(uuid.uuid4()), clash)
        assert err.value.status_code == 409
        deleted = await client.role_definitions.delete(scope, role_id)
        assert deleted.name == role_id
        with pytest.raises(ResourceNotFoundError) as nf:
            await client.role_definitions.get(scope, role_id)
        assert nf.value.error.code == "RoleDefinitionDoesNotExist"


async def test_user_assigned_identity_lifecycle_keeps_the_graph_side_consistent(sandbox, arm_kwargs):
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient
    from azure.mgmt.msi.models import FederatedIdentityCredential, Identity

    tenant = sandbox.tenant
    sub = _sub(sandbox)
    async with (
        ManagedIdentityCredential() as cred,
        ManagedServiceIdentityClient(cred, sub, **arm_kwargs(sandbox)) as msi,
    ):
        made = await msi.user_assigned_identities.create_or_update(
            "rg-core", "id-new-worker", Identity(location="westeurope", tags={"a": "b"})
        )
        sp = tenant.service_principals[made.principal_id]
        assert sp.service_principal_type == "ManagedIdentity" and sp.app_id == made.client_id
        assert sp.alternative_names[0] == "isExplicit=True" and sp.alternative_names[1].lower() == made.id.lower()
        assert sp.service_principal_names[0] == made.client_id
        assert sp.service_principal_names[1].startswith("https://identity.azure.net/")
        same = await msi.user_assigned_identities.create_or_update(
            "rg-core", "id-new-worker", Identity(location="westeurope")
        )
        assert same.principal_id == made.principal_id
        fic = await msi.federated_identity_credentials.create_or_update(
            "rg-core",
            "id-new-worker",
            "deploy-main",
            FederatedIdentityCredential(
                issuer="https://token.actions.githubusercontent.com",
                subject="repo:c/o:ref:refs/heads/main",
                audiences=["api://AzureADTokenExchange"],
            ),
        )
        assert fic.name == "deploy-main"
        with pytest.raises(HttpResponseError) as bad:
            await msi.federated_identity_credentials.create_or_update(
                "rg-core",
                "id-new-worker",
                "-bad name",
                FederatedIdentityCredential(issuer="https://x", subject="s", audiences=["a"]),
            )
        assert bad.value.status_code == 400
        async with AuthorizationManagementClient(cred, sub, **arm_kwargs(sandbox)) as auth:
            ra = await auth.role_assignments.create(
                f"/subscriptions/{sub}", str(uuid.uuid4()), _params(sub, READER, made.principal_id)
            )
        await msi.federated_identity_credentials.delete("rg-core", "id-new-worker", "deploy-main")
        await msi.user_assigned_identities.delete("rg-core", "id-new-worker")
        with pytest.raises(ResourceNotFoundError):
            await msi.user_assigned_identities.get("rg-core", "id-new-worker")
    assert made.principal_id not in tenant.service_principals
    assert ra.name in tenant.role_assignments  # left behind, orphaned, as in Azure


async def test_unknown_ids_are_404(sandbox, arm_kwargs):
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    sub = _sub(sandbox)
    async with ManagedIdentityCredential() as cred:
        async with ManagedServiceIdentityClient(cred, sub, **arm_kwargs(sandbox)) as msi:
            with pytest.raises(ResourceNotFoundError) as err:
                await msi.user_assigned_identities.get("rg-core", "id-nope")
            assert err.value.error.code == "ResourceNotFound"
            kv = next(r for r in sandbox.tenant.resources.values() if r.type == "Microsoft.KeyVault/vaults")
            with pytest.raises(ResourceNotFoundError):
                await msi.system_assigned_identities.get_by_scope(kv.id)
        async with ResourceManagementClient(cred, sub, **arm_kwargs(sandbox)) as rm:
            with pytest.raises(ResourceNotFoundError) as err:
                await rm.resource_groups.get("rg-nope")
            assert err.value.error.code == "ResourceGroupNotFound"
        async with ResourceManagementClient(cred, str(uuid.uuid4()), **arm_kwargs(sandbox)) as rm:
            with pytest.raises(ResourceNotFoundError) as err:
                await rm.resource_groups.get("rg-core")
            assert err.value.error.code == "SubscriptionNotFound"
