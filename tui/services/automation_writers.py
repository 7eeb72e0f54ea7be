"""The writes of tui.services.automation_plans, registered in :data:`tui.services.writers.WRITERS`.

Importing a module is a ``PUT`` that Azure carries out asynchronously: the writer sends it once, then reads the
module until its provisioning settles (``Succeeded`` or ``Failed``), telling the session's progress listener each
state it sees. A lost answer to the ``PUT`` is read back before anything is sent again (the ``PUT`` is idempotent:
the same link imports the same package). Creating a runbook is three writes (the runbook, its draft text, publish),
each read back: the published text must be the text sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tui.services.plans import Plan, PlanAction
from tui.services.writers import _UNCERTAIN, Attempt, WriteContext, add_id

# How long mitui waits between reads of a module being imported (Azure takes a minute or two); tests shorten it
# through the session's ``import_poll_delays``.
IMPORT_POLL_DELAYS: tuple[float, ...] = (2.0, 3.0, 5.0) + (10.0,) * 30


def _progress(ctx: WriteContext) -> Callable[[str], None]:
    listener = getattr(ctx, "progress_listener", None)
    return listener if callable(listener) else (lambda _text: None)


async def import_module(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    account_id, name, uri = plan.param("account_id"), plan.param("module"), plan.param("uri")
    environment = plan.param("environment") or None
    version = plan.param("version")
    backend = ctx.backend
    tell = _progress(ctx)
    uncertain = ctx.uncertain_retries
    while True:
        try:
            written = await backend.import_automation_module(account_id, name, uri, environment)
            request_ids.extend(written.request_ids)
            break
        except _UNCERTAIN as err:
            add_id(request_ids, err)
            found = await backend.get_automation_module(account_id, name, environment)
            if found is not None and found.version == version:
                break  # it landed: poll it
            if uncertain <= 0:
                raise
            uncertain -= 1
    tell(f"{name}: import started")
    delays = list(getattr(ctx, "import_poll_delays", IMPORT_POLL_DELAYS))
    last = "Creating"
    while True:
        found = await backend.get_automation_module(account_id, name, environment)
        if found is None:
            return Attempt("failed", None, f"Azure accepted the import of {name} but the module cannot be read back.")
        last = found.provisioning_state
        tell(f"{name}: {last}")
        if found.ready:
            return Attempt("applied", plan.existing_id or name, f"{name} {found.version} imported.")
        if last.lower() in ("failed", "cancelled"):
            why = f": {found.error}" if found.error else "."
            return Attempt("failed", None, f"The import of {name} {last.lower()}{why}")
        if not delays:
            return Attempt("failed", None, f"{name} is still being imported ({last}); check again in a few minutes.")
        await asyncio.sleep(delays.pop(0))


async def create_runbook(ctx: WriteContext, plan: Plan, request_ids: list[str]) -> Attempt:
    account_id, name, content = plan.param("account_id"), plan.param("name"), plan.param("content")
    rid = f"{account_id}/runbooks/{name}"
    backend = ctx.backend
    tell = _progress(ctx)
    steps = (
        (
            "created",
            lambda: backend.create_runbook(
                account_id, name, plan.param("runbook_type"), plan.param("environment"), plan.param("description")
            ),
        ),
        ("draft uploaded", lambda: backend.replace_runbook_draft(rid, content)),
        ("published", lambda: backend.publish_runbook(rid)),
    )
    for what, send in steps:
        try:
            written = await send()
        except _UNCERTAIN as err:  # each step is idempotent: sent again once when its answer was lost
            add_id(request_ids, err)
            written = await send()
        request_ids.extend(written.request_ids)
        tell(f"{name}: {what}")
    published = await backend.get_runbook_content(rid)
    if published != content:
        return Attempt("failed", rid, f"{name} was published but its text reads back different.")
    return Attempt("applied", rid, f"Runbook {name} created and published.")


AUTOMATION_WRITERS = {PlanAction.IMPORT_MODULE: import_module, PlanAction.CREATE_RUNBOOK: create_runbook}
