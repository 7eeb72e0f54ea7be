"""The writes of an identity's life (tui.services.lifecycle's plans), registered in
:data:`tui.services.writers.WRITERS`.

A resource's identity ``PATCH``, an identity's and a federated credential's ``PUT`` are idempotent: a lost answer is
read back and, when the change did not land, sent again (at most ``uncertain_retries`` times). Deletes use
:func:`delete_and_check`. Every write is read back before it is reported as applied.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tui.services.backend import Written
from tui.services.plans import Plan, PlanAction
from tui.services.writers import _UNCERTAIN, Attempt, Words, WriteContext, add_id, delete_and_check


async def put_and_read_back(
    ctx: WriteContext,
    request_ids: list[str],
    target_id: str,
    send: Callable[[], Awaitable[Written]],
    landed: Callable[[], Awaitable[bool]],
    words: Words,
) -> Attempt:
    """Send an idempotent write; a lost answer is read back, and sent again only when the change is not there."""
    uncertain = ctx.uncertain_retries
    while True:
        try:
            written = await send()
            request_ids.extend(written.request_ids)
            break
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            if await landed():
                return Attempt("applied", target_id, words.lost)
            if uncertain <= 0:
                raise
            uncertain -= 1
    if not await landed():
        return Attempt("failed", target_id, words.unconfirmed)
    return Attempt("applied", target_id, words.done)


def _words(what: str, service: str = "Azure") -> Words:
    return Words(
        f"{what}.",
        f"{what} (the response was lost; read back).",
        "Already in place: nothing was sent.",
        f"{service} accepted the change but reading back shows otherwise.",
    )


async def patch_identity(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    """Turn the system-assigned identity on/off, attach/detach a user-assigned identity: one PATCH of the block."""
    rid, api_version = plan.param("resource_id"), plan.param("api_version") or None
    block = json.loads(plan.param("identity"))
    uid = plan.identity.resource_id.lower()

    async def landed() -> bool:
        res = await ctx.backend.get_resource(rid, api_version)
        if res is None:
            return False
        attached = {u.lower() for u in res.user_assigned}
        return {
            PlanAction.ENABLE_SYSTEM_IDENTITY: lambda: bool(res.system_principal_id),
            PlanAction.DISABLE_SYSTEM_IDENTITY: lambda: not res.system_principal_id,
            PlanAction.ATTACH_USER_IDENTITY: lambda: uid in attached,
            PlanAction.DETACH_USER_IDENTITY: lambda: uid not in attached,
        }[plan.action]()

    return await put_and_read_back(
        ctx,
        request_ids,
        rid,
        lambda: ctx.backend.update_resource_identity(rid, block, api_version),
        landed,
        _words(plan.action.verb + " done"),
    )


async def create_user_identity(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    rid = plan.target_id

    async def landed() -> bool:
        return await ctx.backend.get_user_assigned_identity(rid) is not None

    return await put_and_read_back(
        ctx,
        request_ids,
        rid,
        lambda: ctx.backend.create_user_assigned_identity(
            plan.param("subscription_id"),
            plan.param("resource_group"),
            plan.param("name"),
            plan.param("location"),
            json.loads(plan.param("tags") or "{}"),
        ),
        landed,
        _words("User-assigned identity created"),
    )


async def delete_user_identity(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    rid = plan.param("identity_id")

    async def still_there() -> bool:
        return await ctx.backend.get_user_assigned_identity(rid) is not None

    return await delete_and_check(
        ctx,
        request_ids,
        rid,
        lambda: ctx.backend.delete_user_assigned_identity(rid),
        still_there,
        Words(
            "User-assigned identity deleted.",
            "User-assigned identity deleted (the response was lost; read back).",
            "The identity was already gone.",
            "Azure accepted the deletion but the identity is still there.",
        ),
    )


async def add_federated_credential(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    rid, name = plan.param("identity_id"), plan.param("name")
    issuer, subject, audience = plan.param("issuer"), plan.param("subject"), plan.param("audience")

    async def landed() -> bool:
        return any(
            c.name.lower() == name.lower() and c.issuer == issuer and c.subject == subject
            for c in await ctx.backend.list_federated_credentials(rid)
        )

    return await put_and_read_back(
        ctx,
        request_ids,
        plan.right_id,
        lambda: ctx.backend.create_federated_credential(rid, name, issuer, subject, [audience]),
        landed,
        _words("Federated credential added"),
    )


async def remove_federated_credential(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    rid, name = plan.param("identity_id"), plan.param("name")

    async def still_there() -> bool:
        return any(c.name.lower() == name.lower() for c in await ctx.backend.list_federated_credentials(rid))

    return await delete_and_check(
        ctx,
        request_ids,
        plan.right_id,
        lambda: ctx.backend.delete_federated_credential(rid, name),
        still_there,
        Words(
            "Federated credential removed.",
            "Federated credential removed (the response was lost; read back).",
            "The federated credential was already gone.",
            "Azure accepted the removal but the credential is still there.",
        ),
    )


LIFECYCLE_WRITERS = {
    PlanAction.ENABLE_SYSTEM_IDENTITY: patch_identity,
    PlanAction.DISABLE_SYSTEM_IDENTITY: patch_identity,
    PlanAction.ATTACH_USER_IDENTITY: patch_identity,
    PlanAction.DETACH_USER_IDENTITY: patch_identity,
    PlanAction.CREATE_USER_IDENTITY: create_user_identity,
    PlanAction.DELETE_USER_IDENTITY: delete_user_identity,
    PlanAction.ADD_FEDERATED_CREDENTIAL: add_federated_credential,
    PlanAction.REMOVE_FEDERATED_CREDENTIAL: remove_federated_credential,
}
