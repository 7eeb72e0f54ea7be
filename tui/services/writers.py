"""The writes behind :meth:`Session.apply`, one function per kind of plan, found through :data:`WRITERS`.

Each write is idempotent and careful: a duplicate answered by Azure (409 RoleAssignmentExists, Graph "already
exists") is reported as already there; a fresh identity's PrincipalNotFound is retried with bounded backoff; a lost
response (the connection dropped after the service may have committed) is reconciled by reading back, never by
blindly sending again; the result is read back. Auditing and read-only refusal are the Session's, around these.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tui.services.backend import Backend
from tui.services.errors import AlreadyExists, MituiError, NotFound, ServiceError, Throttled, Unreachable
from tui.services.lookups import find_directory_role, find_grant, find_role_assignment
from tui.services.models import RoleAssignment
from tui.services.plans import Outcome, Plan, PlanAction

# A write whose response was lost: reconcile by reading back.
_UNCERTAIN = (Unreachable, ServiceError, Throttled)


@dataclass
class Attempt:
    outcome: Outcome
    assignment_id: str | None
    message: str


class WriteContext(Protocol):
    """What a write needs from the session: its backend and its retry settings (tests shorten them)."""

    @property
    def backend(self) -> Backend: ...

    principal_retry_delays: Sequence[float]
    uncertain_retries: int


Writer = Callable[[WriteContext, Plan, list[str]], Awaitable[Attempt]]


async def write(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    """Carry out ``plan`` (nothing is sent when it has nothing to do); the request ids it used go to ``request_ids``."""
    if plan.nothing_to_do:
        return Attempt("already-there", plan.existing_id, already_message(plan))
    return await WRITERS[plan.action](ctx, plan, request_ids)


async def assign_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    scope, principal_id, role_id = plan.target_id, plan.identity.principal_id, plan.right_id
    name = str(uuid.uuid4())
    delays = list(ctx.principal_retry_delays)
    uncertain = ctx.uncertain_retries
    while True:
        try:
            written = await ctx.backend.create_role_assignment(
                scope,
                name,
                role_id,
                principal_id,
                condition=plan.condition,
                condition_version=plan.condition_version,
                description=plan.assignment_description,
            )
            request_ids.extend(written.request_ids)
            ra = written.value
            assignment_id = ra.id if isinstance(ra, RoleAssignment) else None
            break
        except AlreadyExists as err:
            add_id(request_ids, err)
            found = await find_role_assignment(ctx.backend, scope, principal_id, role_id)
            if found is not None and found.name.lower() == name.lower():
                return await _confirm_role(ctx, found.id, "Role assigned (confirmed by reading back).", request_ids)
            return Attempt("already-there", found.id if found else None, "An identical role assignment already exists.")
        except NotFound as err:
            add_id(request_ids, err)
            if err.code != "PrincipalNotFound" or not delays:
                raise
            await asyncio.sleep(delays.pop(0))  # a fresh identity: the directory has not replicated it yet
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            found = await find_role_assignment(ctx.backend, scope, principal_id, role_id)
            if found is not None:
                if found.name.lower() == name.lower():
                    return await _confirm_role(
                        ctx, found.id, "Role assigned (the response was lost; read back).", request_ids
                    )
                return Attempt("already-there", found.id, "An identical role assignment already exists.")
            if uncertain <= 0:
                raise
            uncertain -= 1  # not committed: sending again with the same name is safe
    return await _confirm_role(ctx, assignment_id, "Role assigned.", request_ids)


async def _confirm_role(ctx: WriteContext, assignment_id: str | None, message: str, request_ids: list[str]) -> Attempt:
    if assignment_id is None:
        return Attempt("applied", None, message)
    back = await ctx.backend.get_role_assignment(assignment_id)
    if back is None:
        return Attempt("failed", assignment_id, "Azure accepted the assignment but it cannot be read back.")
    return Attempt("applied", back.id, message)


async def remove_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    assignment_id = plan.existing_id or ""
    uncertain = ctx.uncertain_retries
    while True:
        try:
            written = await ctx.backend.delete_role_assignment(assignment_id)
            request_ids.extend(written.request_ids)
            if written.value is None:
                # 204: it was not there any more
                return Attempt("already-there", assignment_id, "The role assignment was already gone.")
            break
        except NotFound as err:
            add_id(request_ids, err)
            return Attempt("already-there", assignment_id, "The role assignment was already gone.")
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            if await ctx.backend.get_role_assignment(assignment_id) is None:
                return Attempt("applied", assignment_id, "Role assignment removed (the response was lost; read back).")
            if uncertain <= 0:
                raise
            uncertain -= 1
    if await ctx.backend.get_role_assignment(assignment_id) is not None:
        return Attempt("failed", assignment_id, "Azure accepted the removal but the assignment is still there.")
    return Attempt("applied", assignment_id, "Role assignment removed.")


async def grant_app_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, resource_id, role_id = plan.identity.principal_id, plan.target_id, plan.right_id
    uncertain = ctx.uncertain_retries
    delays = list(ctx.principal_retry_delays)
    while True:
        try:
            written = await ctx.backend.create_app_role_assignment(principal_id, resource_id, role_id)
            request_ids.extend(written.request_ids)
            break
        except AlreadyExists as err:
            add_id(request_ids, err)
            found = await find_grant(ctx.backend, principal_id, resource_id, role_id)
            return Attempt("already-there", found.id if found else None, "This app role is already granted.")
        except NotFound as err:
            add_id(request_ids, err)
            if not delays:
                raise
            await asyncio.sleep(delays.pop(0))
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            found = await find_grant(ctx.backend, principal_id, resource_id, role_id)
            if found is not None:
                return Attempt("applied", found.id, "App role granted (the response was lost; read back).")
            if uncertain <= 0:
                raise
            uncertain -= 1
    found = await find_grant(ctx.backend, principal_id, resource_id, role_id)
    if found is None:
        return Attempt("failed", None, "Graph accepted the grant but it cannot be read back.")
    return Attempt("applied", found.id, "App role granted.")


async def revoke_app_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, assignment_id = plan.identity.principal_id, plan.existing_id or ""
    uncertain = ctx.uncertain_retries

    async def still_there() -> bool:
        grants = (await ctx.backend.list_app_role_assignments([principal_id])).get(principal_id.lower(), [])
        return any(g.id == assignment_id for g in grants)

    while True:
        try:
            written = await ctx.backend.delete_app_role_assignment(principal_id, assignment_id)
            request_ids.extend(written.request_ids)
            break
        except NotFound as err:
            add_id(request_ids, err)
            return Attempt("already-there", assignment_id, "The app role grant was already gone.")
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            if not await still_there():
                return Attempt("applied", assignment_id, "App role revoked (the response was lost; read back).")
            if uncertain <= 0:
                raise
            uncertain -= 1
    if await still_there():
        return Attempt("failed", assignment_id, "Graph accepted the revocation but the grant is still there.")
    return Attempt("applied", assignment_id, "App role revoked.")


async def grant_directory_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, role_id, scope = plan.identity.principal_id, plan.right_id, plan.target_id
    uncertain = ctx.uncertain_retries
    delays = list(ctx.principal_retry_delays)
    while True:
        try:
            written = await ctx.backend.create_directory_role_assignment(principal_id, role_id, scope)
            request_ids.extend(written.request_ids)
            break
        except AlreadyExists as err:
            add_id(request_ids, err)
            found = await find_directory_role(ctx.backend, principal_id, role_id, scope)
            return Attempt("already-there", found.id if found else None, "This directory role is already held.")
        except NotFound as err:
            add_id(request_ids, err)
            if not delays:
                raise
            await asyncio.sleep(delays.pop(0))  # a fresh identity: the directory has not replicated it yet
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            found = await find_directory_role(ctx.backend, principal_id, role_id, scope)
            if found is not None:
                return Attempt("applied", found.id, "Directory role granted (the response was lost; read back).")
            if uncertain <= 0:
                raise
            uncertain -= 1
    found = await find_directory_role(ctx.backend, principal_id, role_id, scope)
    if found is None:
        return Attempt("failed", None, "Graph accepted the directory role but it cannot be read back.")
    return Attempt("applied", found.id, "Directory role granted.")


async def remove_directory_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, assignment_id = plan.identity.principal_id, plan.existing_id or ""
    uncertain = ctx.uncertain_retries

    async def still_there() -> bool:
        return any(a.id == assignment_id for a in await ctx.backend.list_directory_role_assignments_of(principal_id))

    while True:
        try:
            written = await ctx.backend.delete_directory_role_assignment(assignment_id)
            request_ids.extend(written.request_ids)
            break
        except NotFound as err:
            add_id(request_ids, err)
            return Attempt("already-there", assignment_id, "The directory role assignment was already gone.")
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            if not await still_there():
                return Attempt("applied", assignment_id, "Directory role removed (the response was lost; read back).")
            if uncertain <= 0:
                raise
            uncertain -= 1
    if await still_there():
        return Attempt("failed", assignment_id, "Graph accepted the removal but the directory role is still there.")
    return Attempt("applied", assignment_id, "Directory role removed.")


# Which write carries out which kind of plan.
WRITERS: dict[PlanAction, Writer] = {
    PlanAction.ASSIGN_ROLE: assign_role,
    PlanAction.REMOVE_ROLE: remove_role,
    PlanAction.GRANT_APP_ROLE: grant_app_role,
    PlanAction.REVOKE_APP_ROLE: revoke_app_role,
    PlanAction.GRANT_DIRECTORY_ROLE: grant_directory_role,
    PlanAction.REMOVE_DIRECTORY_ROLE: remove_directory_role,
}


def add_id(request_ids: list[str], err: MituiError) -> None:
    if err.request_id:
        request_ids.append(err.request_id)


def already_message(plan: Plan) -> str:
    if plan.action.adds:
        return (
            "Already granted: nothing was sent."
            if plan.action is PlanAction.GRANT_APP_ROLE
            else "Already there: nothing was sent."
        )
    return "Already gone: nothing was sent."
