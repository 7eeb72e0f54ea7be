"""A fresh identity's PrincipalNotFound, for real: Entra is eventually consistent, so right after a managed
identity is created its service principal is unknown to Graph's app-role grants (404 Request_ResourceNotFound)
and to ARM role assignments sent without principalType (400 PrincipalNotFound). The sandbox tenant plays that
lag (``replication_delay_s``); the Session retries through the real SDKs and ends with exactly one grant."""

from __future__ import annotations

import asyncio
import io
import json
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import ManagedIdentityCredential
from safety_helpers import assignments_of, grants_of, stats

from tui.emulator.server import Emulator
from tui.services.errors import NotFound
from tui.services.models import IdentityKind, ManagedIdentity

pytestmark = pytest.mark.asyncio(loop_scope="session")  # every test here is async

DEV_SUB = "be526998-6b37-5a9b-baf3-5dd3f1e4a24a"  # Contoso Production: the admin is Owner
DEV_RG = "rg-identities-prod"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
GRANT_ROUTE = "POST /v1.0/servicePrincipals/{sp_id}/appRoleAssignments"


async def _create_uami(emu: Emulator, arm_kwargs, name: str) -> ManagedIdentity:  # noqa: ANN001
    """Create a user-assigned identity through the real ManagedServiceIdentityClient."""
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient

    async with (
        ManagedIdentityCredential() as cred,
        ManagedServiceIdentityClient(cred, DEV_SUB, **arm_kwargs(emu)) as msi,
    ):
        made = await msi.user_assigned_identities.create_or_update(DEV_RG, name, {"location": "westeurope"})
    return ManagedIdentity(
        principal_id=str(made.principal_id),
        client_id=str(made.client_id),
        name=str(made.name),
        kind=IdentityKind.USER,
        resource_id=str(made.id),
        subscription_id=DEV_SUB,
        resource_group=DEV_RG,
    )


def _grant_posts(emu: Emulator) -> int:
    return stats(emu)["byRoute"].get(GRANT_ROUTE, 0)


async def _plans(session, ident: ManagedIdentity):  # noqa: ANN001, ANN202
    scope = f"/subscriptions/{DEV_SUB}"
    reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "User.Read.All")
    return (
        await session.plan_role_assignment(ident, reader, scope),
        await session.plan_app_role_grant(ident, graph, role),
        role,
    )


async def test_the_lag_is_what_azure_answers(emulator_factory, managed_identity_env, arm_kwargs, session_for) -> None:  # noqa: ANN001
    from azure.mgmt.authorization.aio import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    emu = emulator_factory(replication_delay_s=600)
    managed_identity_env(emu)
    ident = await _create_uami(emu, arm_kwargs, "id-fresh-lag")
    scope = f"/subscriptions/{DEV_SUB}/resourceGroups/{DEV_RG}"
    rd = f"/subscriptions/{DEV_SUB}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    async with (
        ManagedIdentityCredential() as cred,
        AuthorizationManagementClient(cred, DEV_SUB, **arm_kwargs(emu)) as auth,
    ):
        # the SDK's model defaults principalType to "User": send the body without it, as older clients do
        bare = json.dumps({"properties": {"roleDefinitionId": rd, "principalId": ident.principal_id}}).encode()
        with pytest.raises(HttpResponseError) as err:
            await auth.role_assignments.create(scope, str(uuid.uuid4()), io.BytesIO(bare))
        assert err.value.status_code == 400 and err.value.error.code == "PrincipalNotFound"
        assert "replication delay" in err.value.error.message
        # with principalType, ARM accepts a principal that is merely new (what mitui always sends)
        typed = RoleAssignmentCreateParameters(
            role_definition_id=rd, principal_id=ident.principal_id, principal_type="ServicePrincipal"
        )
        made = await auth.role_assignments.create(scope, str(uuid.uuid4()), typed)
        assert made.principal_type == "ServicePrincipal"

        session = await session_for(emu)
        graph = await session.resource_app()
        role = next(r for r in graph.app_roles if r.value == "User.Read.All")
        with pytest.raises(NotFound) as nf:
            await session.backend.create_app_role_assignment(ident.principal_id, graph.id, role.id)
        assert nf.value.status == 404 and nf.value.code == "Request_ResourceNotFound"
        assert grants_of(emu, ident.principal_id) == []

        emu.set_replication_delay(0)  # replicated: the directory knows it everywhere now
        await auth.role_assignments.create(f"/subscriptions/{DEV_SUB}", str(uuid.uuid4()), io.BytesIO(bare))
    assert len(assignments_of(emu, ident.principal_id)) == 2
    # identities of the tenant as it was built are never "fresh"
    old = next(sp for sp in emu.tenant.service_principals.values() if sp.service_principal_type == "ManagedIdentity")
    emu.set_replication_delay(600)
    assert not emu.tenant.replicating(old.id)


async def test_fresh_identity_is_granted_after_retries(
    emulator_factory, managed_identity_env, arm_kwargs, session_for
) -> None:  # noqa: ANN001
    """Deterministic: the directory replicates only once the Session has been told 404 at least once."""
    emu = emulator_factory(replication_delay_s=600)
    managed_identity_env(emu)
    session = await session_for(emu)
    session.principal_retry_delays = (0.1,) * 100
    ident = await _create_uami(emu, arm_kwargs, "id-fresh-grant")
    assign, grant, role = await _plans(session, ident)

    assigned = await session.apply(assign)  # principalType is sent: ARM takes a merely-new principal at once
    assert assigned.outcome == "applied", assigned.message
    before = _grant_posts(emu)
    task = asyncio.ensure_future(session.apply(grant))
    for _ in range(600):
        if _grant_posts(emu) - before >= 2 or task.done():
            break
        await asyncio.sleep(0.02)
    assert not task.done(), "the grant did not wait for the directory"
    emu.set_replication_delay(0)
    granted = await asyncio.wait_for(task, 60)
    assert granted.outcome == "applied", granted.message
    # a second POST is only sent after the first was answered 404; the POST in flight when the directory
    # catches up may be the one that succeeds, so two is the least that proves a retry
    assert _grant_posts(emu) - before >= 2
    assert len(grants_of(emu, ident.principal_id, role.id)) == 1
    assert len(assignments_of(emu, ident.principal_id)) == 1
    outcomes = [e["result"] for e in session.audit.entries() if e["event"] == "outcome"]
    assert outcomes == ["applied", "applied"]


async def test_fresh_identity_with_real_lag(emulator_factory, managed_identity_env, arm_kwargs, session_for) -> None:  # noqa: ANN001
    """As a user would do it: create, then plan and apply at once while the directory lags one second."""
    emu = emulator_factory(replication_delay_s=1.0)
    managed_identity_env(emu)
    session = await session_for(emu)
    session.principal_retry_delays = (0.2, 0.4, 0.8, 1.6, 3.2)
    ident = await _create_uami(emu, arm_kwargs, "id-fresh-now")
    assign, grant, role = await _plans(session, ident)
    changes = [await session.apply(grant), await session.apply(assign)]
    assert [c.outcome for c in changes] == ["applied", "applied"], [c.message for c in changes]
    assert len(grants_of(emu, ident.principal_id, role.id)) == 1
    assert len(assignments_of(emu, ident.principal_id)) == 1


async def test_retries_are_bounded_and_the_failure_audited(
    emulator_factory, managed_identity_env, arm_kwargs, session_for
) -> None:  # noqa: ANN001
    emu = emulator_factory(replication_delay_s=600)
    managed_identity_env(emu)
    session = await session_for(emu)
    session.principal_retry_delays = (0.05, 0.05)
    ident = await _create_uami(emu, arm_kwargs, "id-never-replicates")
    _, grant, role = await _plans(session, ident)
    before = _grant_posts(emu)
    change = await session.apply(grant)
    assert change.outcome == "failed" and isinstance(change.error, NotFound)
    assert _grant_posts(emu) - before == 3  # the first try and two retries, no more
    assert grants_of(emu, ident.principal_id) == []
    intent, outcome = session.audit.entries()[-2:]
    assert intent["event"] == "intent" and outcome["event"] == "outcome" and outcome["result"] == "failed"
    assert intent["operation"] == outcome["operation"]
    assert "directory" in outcome["message"].lower() or "not found" in outcome["message"].lower()
