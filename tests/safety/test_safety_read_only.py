"""Read-only mode: no write request ever leaves the process, whatever path calls it — Session.apply, the
Backend's write methods, or the raw SDK clients the adapters build (ARM pipeline policy, Graph httpx hook),
including a Graph ``$batch`` with a POST inside. Proved by the sandbox tenant's own request statistics."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from safety_helpers import stats, write_requests

from tui.services.errors import ReadOnlyRefused
from tui.services.models import Inventory, ManagedIdentity

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROD_SUB = "be526998-6b37-5a9b-baf3-5dd3f1e4a24a"  # the admin is Owner here: every write would be allowed
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _refused(err: BaseException) -> bool:
    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        if isinstance(e, ReadOnlyRefused):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__ or getattr(e, "inner_exception", None)
    return False


async def _expect_refused(what: Callable[[], Awaitable[Any]]) -> None:
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - checked below, through the exception chain
        await what()
    assert _refused(caught.value), repr(caught.value)


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


async def test_no_write_leaves_the_process(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu, read_only=True)
    inv = await session.load_inventory()
    ident = _identity(inv, "id-legacy-unused")
    held = _identity(inv, "aa-ops-prod")  # holds roles and app roles: removal / revocation plans exist
    scope = f"/subscriptions/{PROD_SUB}"
    reader = next(r for r in await session.role_definitions(scope) if r.role_name == "Reader")
    graph = await session.resource_app()
    role = next(r for r in graph.app_roles if r.value == "User.Read.All")
    plans = [
        await session.plan_role_assignment(ident, reader, scope),
        await session.plan_app_role_grant(ident, graph, role),
        await session.plan_role_removal(held, inv.roles_of(held)[0]),
        await session.plan_app_role_revoke(held, inv.app_roles_of(held)[0]),
    ]
    stats(emu, reset=True)

    # 1. the Session
    for plan in plans:
        with pytest.raises(ReadOnlyRefused):
            await session.apply(plan)

    # 2. the Backend's write methods, called directly
    backend = session.backend
    await _expect_refused(
        lambda: backend.create_role_assignment(scope, str(uuid.uuid4()), reader.id, ident.principal_id)
    )
    await _expect_refused(lambda: backend.delete_role_assignment(inv.roles_of(held)[0].id))
    await _expect_refused(lambda: backend.create_app_role_assignment(ident.principal_id, graph.id, role.id))
    await _expect_refused(lambda: backend.delete_app_role_assignment(held.principal_id, inv.app_roles_of(held)[0].id))

    # 3. the raw SDK clients the adapters build
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    auth = backend.arm.authorization()
    params = RoleAssignmentCreateParameters(
        role_definition_id=f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
        principal_id=ident.principal_id,
        principal_type="ServicePrincipal",
    )
    await _expect_refused(lambda: auth.role_assignments.create(scope, str(uuid.uuid4()), params))
    await _expect_refused(lambda: auth.role_assignments.delete_by_id(inv.roles_of(held)[0].id))
    msi = backend.arm.msi(PROD_SUB)
    await _expect_refused(
        lambda: msi.user_assigned_identities.create_or_update("rg-identities-prod", "id-x", {"location": "westeurope"})
    )
    await _expect_refused(lambda: msi.user_assigned_identities.delete("rg-identities-prod", ident.name))
    res = backend.arm.resources(PROD_SUB)
    await _expect_refused(lambda: res.resource_groups.create_or_update("rg-new", {"location": "westeurope"}))
    await _expect_refused(lambda: res.resource_groups.update("rg-identities-prod", {"tags": {"a": "b"}}))

    from msgraph.generated.models.app_role_assignment import AppRoleAssignment

    body = AppRoleAssignment(
        principal_id=uuid.UUID(ident.principal_id), resource_id=uuid.UUID(graph.id), app_role_id=uuid.UUID(role.id)
    )
    sps = backend.graph.service_principals
    await _expect_refused(lambda: sps.by_service_principal_id(ident.principal_id).app_role_assignments.post(body))
    await _expect_refused(lambda: sps.by_service_principal_id(graph.id).app_role_assigned_to.post(body))
    grant_id = inv.app_roles_of(held)[0].id
    await _expect_refused(
        lambda: (
            sps.by_service_principal_id(held.principal_id)
            .app_role_assignments.by_app_role_assignment_id(grant_id)
            .delete()
        )
    )

    # 4. a Graph $batch with a write inside (a GET-only batch is a read and goes through)
    async def batch(requests: list[dict]) -> bytes:
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        adapter = backend.graph.request_adapter
        info = RequestInformation()
        info.http_method = Method.POST
        info.url = adapter.base_url.rstrip("/") + "/$batch"
        info.headers.try_add("Accept", "application/json")
        info.set_stream_content(json.dumps({"requests": requests}).encode(), "application/json")
        return await adapter.send_primitive_async(info, "bytes", {"XXX": ODataError})

    grant_body = {"principalId": ident.principal_id, "resourceId": graph.id, "appRoleId": role.id}
    inner_post = {
        "id": "2",
        "method": "POST",
        "url": f"/servicePrincipals/{ident.principal_id}/appRoleAssignments",
        "headers": {"Content-Type": "application/json"},
        "body": grant_body,
    }
    inner_get = {"id": "1", "method": "GET", "url": f"/servicePrincipals/{ident.principal_id}/appRoleAssignments"}
    await _expect_refused(lambda: batch([inner_get, inner_post]))
    await _expect_refused(lambda: batch([{**inner_post, "id": "1", "method": "delete"}]))
    read = json.loads(await batch([inner_get]))
    assert read["responses"][0]["status"] == 200

    # nothing that changes anything reached the sandbox tenant; the tenant is as it was
    after = stats(emu)
    assert write_requests(after) == {}, write_requests(after)
    assert after["byRoute"].get("POST /v1.0/$batch") == 1  # only the GET-only batch
    assert not [ra for ra in emu.tenant.role_assignments.values() if ra.principal_id == ident.principal_id]
    assert backend.gate.writes_sent == 0
    results = [e["result"] for e in session.audit.entries() if e["event"] == "outcome"]
    assert results == ["refused"] * 4
