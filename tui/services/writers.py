"""The writes behind :meth:`Session.apply`, one function per kind of plan, found through :data:`WRITERS`.

Each write is idempotent and careful: a duplicate answered by Azure (409 RoleAssignmentExists, Graph "already
exists") is reported as already there; a fresh identity's PrincipalNotFound is retried with bounded backoff; a lost
response (the connection dropped after the service may have committed) is reconciled by reading back, never by
blindly sending again; the result is read back. Auditing and read-only refusal are the Session's, around these.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from tui.services.backend import Backend, Written
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
    right: object | None = None  # the right as read back after it was made (a refresh need not read it again)


class WriteContext(Protocol):
    """What a write needs from the session: its backend and its retry settings (tests shorten them)."""

    @property
    def backend(self) -> Backend: ...

    principal_retry_delays: Sequence[float]
    uncertain_retries: int


class HasId(Protocol):
    @property
    def id(self) -> str: ...


Writer = Callable[[WriteContext, Plan, list[str]], Awaitable[Attempt]]

# Who wants the write's own answer as soon as it lands, before it is read back (Session.apply's ``landed``): the
# apply's task sets it, so concurrent applies each have their own.
_on_answer: ContextVar[Callable[[object], None] | None] = ContextVar("mitui_write_answered", default=None)


@contextlib.contextmanager
def answers_to(hook: Callable[[object], None] | None) -> Iterator[None]:
    """Within this block (this task), :func:`answered` hands the service's answer to a write to ``hook``."""
    token = _on_answer.set(hook)
    try:
        yield
    finally:
        _on_answer.reset(token)


def answered(right: object) -> None:
    """The service answered the write with ``right`` (the assignment it made, or the one it removed): the caller
    may show it now; the write goes on to read it back. A failing hook never fails the write."""
    hook = _on_answer.get()
    if hook is not None:
        with contextlib.suppress(Exception):
            hook(right)


async def write(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    """Carry out ``plan`` (nothing is sent when it has nothing to do); the request ids it used go to ``request_ids``."""
    if plan.nothing_to_do:
        return Attempt("already-there", plan.existing_id, already_message(plan))
    return await writer_of(plan.action)(ctx, plan, request_ids)


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
            if isinstance(ra, RoleAssignment):
                answered(ra)
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
    return Attempt("applied", back.id, message, back)


@dataclass(frozen=True)
class Words:
    """What a write says in each of its outcomes."""

    done: str  # it landed and was read back
    lost: str  # the response was lost; reading back shows it landed
    already: str  # it was there (or gone) before anything changed
    unconfirmed: str  # the service accepted it but reading back disagrees


async def create_and_read_back(
    ctx: WriteContext,
    request_ids: list[str],
    send: Callable[[], Awaitable[Written]],
    find: Callable[[], Awaitable[HasId | None]],
    words: Words,
) -> Attempt:
    """Create something once: a duplicate is "already there"; a NotFound (a fresh identity the directory has not
    replicated yet) is retried with bounded backoff; a lost response is read back before sending again."""
    uncertain = ctx.uncertain_retries
    delays = list(ctx.principal_retry_delays)
    while True:
        try:
            written = await send()
            request_ids.extend(written.request_ids)
            if written.value is not None:
                answered(written.value)
            break
        except AlreadyExists as err:
            add_id(request_ids, err)
            found = await find()
            return Attempt("already-there", found.id if found else None, words.already)
        except NotFound as err:
            add_id(request_ids, err)
            if not delays:
                raise
            await asyncio.sleep(delays.pop(0))  # a fresh identity: the directory has not replicated it yet
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            found = await find()
            if found is not None:
                return Attempt("applied", found.id, words.lost, found)
            if uncertain <= 0:
                raise
            uncertain -= 1
    found = await find()
    if found is None:
        return Attempt("failed", None, words.unconfirmed)
    return Attempt("applied", found.id, words.done, found)


async def delete_and_check(
    ctx: WriteContext,
    request_ids: list[str],
    target_id: str,
    send: Callable[[], Awaitable[Written]],
    still_there: Callable[[], Awaitable[bool]],
    words: Words,
    *,
    gone_already: Callable[[Written], bool] = lambda _: False,
) -> Attempt:
    """Delete something once: NotFound (or ``gone_already`` of the answer, e.g. ARM's 204) means it was already
    gone; a lost response is checked before sending again; the result is checked."""
    uncertain = ctx.uncertain_retries
    while True:
        try:
            written = await send()
            request_ids.extend(written.request_ids)
            if gone_already(written):
                return Attempt("already-there", target_id, words.already)
            if written.value is not None:
                answered(written.value)
            break
        except NotFound as err:
            add_id(request_ids, err)
            return Attempt("already-there", target_id, words.already)
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            if not await still_there():
                return Attempt("applied", target_id, words.lost)
            if uncertain <= 0:
                raise
            uncertain -= 1
    if await still_there():
        return Attempt("failed", target_id, words.unconfirmed)
    return Attempt("applied", target_id, words.done)


async def remove_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    assignment_id = plan.existing_id or ""

    async def still_there() -> bool:
        return await ctx.backend.get_role_assignment(assignment_id) is not None

    return await delete_and_check(
        ctx,
        request_ids,
        assignment_id,
        lambda: ctx.backend.delete_role_assignment(assignment_id),
        still_there,
        Words(
            "Role assignment removed.",
            "Role assignment removed (the response was lost; read back).",
            "The role assignment was already gone.",
            "Azure accepted the removal but the assignment is still there.",
        ),
        gone_already=lambda written: written.value is None,  # 204: it was not there any more
    )


async def grant_app_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, resource_id, role_id = plan.identity.principal_id, plan.target_id, plan.right_id
    return await create_and_read_back(
        ctx,
        request_ids,
        lambda: ctx.backend.create_app_role_assignment(principal_id, resource_id, role_id),
        lambda: find_grant(ctx.backend, principal_id, resource_id, role_id),
        Words(
            "App role granted.",
            "App role granted (the response was lost; read back).",
            "This app role is already granted.",
            "Graph accepted the grant but it cannot be read back.",
        ),
    )


async def revoke_app_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, assignment_id = plan.identity.principal_id, plan.existing_id or ""

    async def still_there() -> bool:
        grants = (await ctx.backend.list_app_role_assignments([principal_id])).get(principal_id.lower(), [])
        return any(g.id == assignment_id for g in grants)

    return await delete_and_check(
        ctx,
        request_ids,
        assignment_id,
        lambda: ctx.backend.delete_app_role_assignment(principal_id, assignment_id),
        still_there,
        Words(
            "App role revoked.",
            "App role revoked (the response was lost; read back).",
            "The app role grant was already gone.",
            "Graph accepted the revocation but the grant is still there.",
        ),
    )


async def grant_directory_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, role_id, scope = plan.identity.principal_id, plan.right_id, plan.target_id
    return await create_and_read_back(
        ctx,
        request_ids,
        lambda: ctx.backend.create_directory_role_assignment(principal_id, role_id, scope),
        lambda: find_directory_role(ctx.backend, principal_id, role_id, scope),
        Words(
            "Directory role granted.",
            "Directory role granted (the response was lost; read back).",
            "This directory role is already held.",
            "Graph accepted the directory role but it cannot be read back.",
        ),
    )


async def remove_directory_role(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    principal_id, assignment_id = plan.identity.principal_id, plan.existing_id or ""

    async def still_there() -> bool:
        return any(a.id == assignment_id for a in await ctx.backend.list_directory_role_assignments_of(principal_id))

    return await delete_and_check(
        ctx,
        request_ids,
        assignment_id,
        lambda: ctx.backend.delete_directory_role_assignment(assignment_id),
        still_there,
        Words(
            "Directory role removed.",
            "Directory role removed (the response was lost; read back).",
            "The directory role assignment was already gone.",
            "Graph accepted the removal but the directory role is still there.",
        ),
    )


# Which write carries out which kind of plan.
WRITERS: dict[PlanAction, Writer] = {
    PlanAction.ASSIGN_ROLE: assign_role,
    PlanAction.REMOVE_ROLE: remove_role,
    PlanAction.GRANT_APP_ROLE: grant_app_role,
    PlanAction.REVOKE_APP_ROLE: revoke_app_role,
    PlanAction.GRANT_DIRECTORY_ROLE: grant_directory_role,
    PlanAction.REMOVE_DIRECTORY_ROLE: remove_directory_role,
}


def writer_of(action: PlanAction) -> Writer:
    """The write for ``action``: :data:`WRITERS`, with the identity lifecycle's writes (tui.services.lifecycle_writers,
    which builds on the patterns here) added on first use."""
    if action not in WRITERS:
        from tui.services.automation_writers import AUTOMATION_WRITERS
        from tui.services.lifecycle_writers import LIFECYCLE_WRITERS

        WRITERS.update(LIFECYCLE_WRITERS)
        WRITERS.update(AUTOMATION_WRITERS)
    return WRITERS[action]


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
