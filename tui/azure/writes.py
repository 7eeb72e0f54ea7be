"""The writes (Azure roles, app roles, directory roles), each sent once and never retried by mitui
(tui.services.session reconciles a lost answer by reading back), each returning the request ids of its answers (for
the audit log)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tui.azure import wire
from tui.azure.calls import Calls, answer_json
from tui.azure.paging import graph_json
from tui.azure.policies import request_ids
from tui.services.backend import Written
from tui.services.errors import AlreadyExists, InvalidInput, PermissionDenied
from tui.services.odata import arm_id, guid


@contextlib.contextmanager
def recorded_request_ids() -> Iterator[list[str]]:
    """The request ids of every answer received inside the block (tui.azure.policies records them)."""
    ids: list[str] = []
    token = request_ids.set(ids)
    try:
        yield ids
    finally:
        request_ids.reset(token)


async def create_role_assignment(
    calls: Calls,
    scope: str,
    name: str,
    role_definition_id: str,
    principal_id: str,
    *,
    condition: str | None = None,
    condition_version: str | None = None,
    description: str | None = None,
) -> Written:
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    scope, name, pid = arm_id(scope), guid(name, "assignment name"), guid(principal_id, "principal id")
    rd_id = arm_id(role_definition_id, "role definition id")
    client = calls.arm.authorization()
    params = RoleAssignmentCreateParameters(
        role_definition_id=rd_id,
        principal_id=pid,
        principal_type="ServicePrincipal",
        condition=condition or None,
        condition_version=(condition_version or "2.0") if condition else None,
        description=description or None,
    )
    # A write whose answer was lost is not sent again by the SDK (azure-core counts a server disconnect after the
    # request as a connection error, and a retried DELETE answers 204: the removal just made would be logged as
    # "already gone"); Session.apply reads back and decides.
    with recorded_request_ids() as ids:
        ra = await calls.arm_call(
            lambda: client.role_assignments.create(scope, name, params, retry_read=0, retry_connect=0, cls=answer_json),
            write=True,
        )
    return Written(wire.role_assignment(ra) if ra is not None else None, tuple(ids))


async def delete_role_assignment(calls: Calls, assignment_id: str) -> Written:
    rid = arm_id(assignment_id, "role assignment id")
    client = calls.arm.authorization()
    with recorded_request_ids() as ids:
        ra = await calls.arm_call(
            lambda: client.role_assignments.delete_by_id(rid, retry_read=0, retry_connect=0, cls=answer_json),
            write=True,
        )
    return Written(wire.role_assignment(ra) if ra is not None else None, tuple(ids))


async def create_app_role_assignment(calls: Calls, principal_id: str, resource_id: str, app_role_id: str) -> Written:
    import uuid

    from msgraph.generated.models.app_role_assignment import AppRoleAssignment as GraphGrant

    pid = guid(principal_id, "principal id")
    body = GraphGrant(
        principal_id=uuid.UUID(pid),
        resource_id=uuid.UUID(guid(resource_id, "resource app id")),
        app_role_id=uuid.UUID(guid(app_role_id, "app role id")),
    )
    builder = calls.graph.service_principals.by_service_principal_id(pid).app_role_assignments
    with recorded_request_ids() as ids:
        g = await graph_json(calls, builder.to_post_request_information(body), write=True)
    return Written(wire.app_role_grant(g) if isinstance(g, dict) else None, tuple(ids))


async def delete_app_role_assignment(calls: Calls, principal_id: str, assignment_id: str) -> Written:
    pid = guid(principal_id, "principal id")
    aid = (assignment_id or "").strip()
    if not aid or not all(c.isalnum() or c in "-_" for c in aid) or len(aid) > 100:
        raise InvalidInput("Not a valid app role assignment id", aid[:60])
    builder = calls.graph.service_principals.by_service_principal_id(pid).app_role_assignments
    with recorded_request_ids() as ids:
        await calls.graph_call(lambda: builder.by_app_role_assignment_id(aid).delete(), write=True)
    return Written(None, tuple(ids))


# The directory role writes (api-reference/v1.0/api/rbacapplication-post-roleassignments.md and
# unifiedroleassignment-delete.md): RoleManagement.ReadWrite.Directory for an app, Privileged Role Administrator (or
# Global Administrator) for a user.
DIRECTORY_ROLE_WRITE_HINT = (
    "granting or removing directory roles needs the directory role Privileged Role Administrator (or Global "
    "Administrator), or the Graph permission RoleManagement.ReadWrite.Directory"
)


@contextlib.contextmanager
def directory_role_errors() -> Iterator[None]:
    """A 403 names what a directory role write needs; a 400 conflict is the assignment already there."""
    try:
        yield
    except PermissionDenied as err:
        raise PermissionDenied(
            "Microsoft Graph denied the directory role change",
            DIRECTORY_ROLE_WRITE_HINT,
            request_id=err.request_id,
            status=err.status,
            code=err.code,
        ) from None
    except AlreadyExists as err:
        raise AlreadyExists(
            "This directory role is already assigned", err.hint, request_id=err.request_id, status=err.status
        ) from None


def _directory_scope(scope: str) -> str:
    scope = (scope or "").strip()
    if scope != "/" and not (scope.startswith("/") and all(c.isalnum() or c in "-/_" for c in scope)):
        raise InvalidInput("Not a valid directory scope", scope[:60])
    return scope


async def create_directory_role_assignment(
    calls: Calls, principal_id: str, role_definition_id: str, directory_scope_id: str = "/"
) -> Written:
    from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment

    body = UnifiedRoleAssignment(
        principal_id=guid(principal_id, "principal id"),
        role_definition_id=guid(role_definition_id, "directory role id"),
        directory_scope_id=_directory_scope(directory_scope_id),
    )
    builder = calls.graph.role_management.directory.role_assignments
    with recorded_request_ids() as ids, directory_role_errors():
        a = await graph_json(calls, builder.to_post_request_information(body), write=True)
    return Written(wire.directory_role_assignment(a)[0] if isinstance(a, dict) else None, tuple(ids))


async def delete_directory_role_assignment(calls: Calls, assignment_id: str) -> Written:
    aid = (assignment_id or "").strip()
    if not aid or not all(c.isalnum() or c in "-_" for c in aid) or len(aid) > 200:
        raise InvalidInput("Not a valid directory role assignment id", aid[:60])
    builder = calls.graph.role_management.directory.role_assignments.by_unified_role_assignment_id(aid)
    with recorded_request_ids() as ids, directory_role_errors():
        await calls.graph_call(lambda: builder.delete(), write=True)
    return Written(None, tuple(ids))
