"""The identity join as pages land, and what a load shows while it loads (a mixin of
:class:`tui.services.inventory.InventoryLoader`).

Each page of Graph's managed identities (999 of them) is joined as it lands with the resources read by then, and
each subscription's resources, as they land, make again only the identities they change (tui.services.joins
.IdentityJoin). The joins run in the CPU worker while the load waits for its next pages, so that the final join
after the last page is a sort. The partial inventory, when asked for, grows by those identities, with the role
assignments read so far for them; each later page of assignments adds to them. The same Inventory object is handed
to ``on_partial`` each time, grown in place. So the first identities are on screen after one Graph page, whatever
the size of the tenant, and the table fills in as pages land. The partial inventory stops growing when the final
join begins.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.services.backend import ArmResource, Backend, DirectoryIdentity
from tui.services.joins import IdentityJoin
from tui.services.models import Inventory, ManagedIdentity, RoleAssignment, Subscription
from tui.services.offload import off_loop, off_loop_first
from tui.services.scopes import lowered

if TYPE_CHECKING:
    PartialFn = Callable[[Inventory], None]


def join_landed(
    join: IdentityJoin, pages: list[list[DirectoryIdentity]], resources: list[ArmResource]
) -> tuple[list[ManagedIdentity], list[ManagedIdentity]]:
    """(In the CPU worker) (the identities these pages add, those the resources read since make again)."""
    remade = join.catch_up(resources)
    added = [i for page in pages for i in join.add_page(page)]
    return added, remade


class PartialPhases:
    """Needs from the loader: its backend, ``on_partial``, what the subscriptions' reads gather so far."""

    backend: Backend
    on_partial: PartialFn | None
    subscriptions: list[Subscription]
    resources: list[ArmResource]
    identity_join: IdentityJoin
    partial: Inventory | None
    partial_principals: set[str]
    waiting_rights: dict[str, list[RoleAssignment]]
    landed_pages: list[list[DirectoryIdentity]]  # Graph's pages of identities not joined yet
    join_task: asyncio.Future[None] | None
    partial_done: bool

    def directory_page(self, page: list[DirectoryIdentity]) -> None:
        """A page of Graph's identities has landed (on the event loop): join it soon (and show it)."""
        if self.partial_done or not page:
            return
        self.landed_pages.append(page)
        self.join_soon()

    def join_soon(self) -> None:
        """Join what has landed since the last join (Graph's pages, ARM's resources), in the CPU worker."""
        if not self.partial_done and (self.join_task is None or self.join_task.done()):
            self.join_task = asyncio.ensure_future(self.join_landed())

    async def join_landed(self) -> None:
        """Join the pages and resources landed so far (off the event loop); add them to the partial inventory, and
        show it."""
        # (no local holds the join: a cancelled task's traceback keeps its frame, and the join is tens of MB)
        while not self.partial_done and (self.landed_pages or len(self.resources) > self.identity_join.resources_added):
            pages = list(self.landed_pages)
            self.landed_pages.clear()
            # a table to show: its first rows come first (ahead of the decoding queued in the worker)
            run = off_loop_first if self.on_partial is not None else off_loop
            try:
                added, remade = await run(join_landed, self.identity_join, pages, self.resources)
            except Exception:  # the final join does it again, and reports what went wrong
                return
            if self.partial_done or self.on_partial is None or not (added or remade):
                continue
            self.grow_partial(added, bool(remade))

    def grow_partial(self, added: list[ManagedIdentity], remade: bool) -> None:
        """The partial inventory: the identities joined so far, each with the assignments read so far."""
        if self.partial is None:
            self.partial = Inventory(
                tenant_id=self.backend.tenant_id,
                cloud=self.backend.cloud_name,
                caller=self.backend.caller,
                subscriptions=self.subscriptions,
            )
        if remade:
            self.partial.identities[:] = self.identity_join.joined.values()
        else:
            self.partial.identities.extend(added)
        fresh = {lowered(i.principal_id) for i in added} - self.partial_principals
        self.partial_principals |= fresh
        if fresh:
            # the assignments taken before these identities came, kept by principal as they came (a pass over every
            # assignment taken, for each page of identities, was ~1 s of the event loop at 200:40000)
            waiting = self.waiting_rights
            roles = self.partial.role_assignments
            for pid in fresh:
                rights = waiting.pop(pid, None)
                if rights:
                    roles.setdefault(pid, []).extend(rights)
        self.show_partial()

    def add_partial(self, ras: list[RoleAssignment]) -> None:
        """Add these (unresolved) assignments to the partial inventory, and show it; keep them for the identities
        still to come."""
        if self.on_partial is None or self.partial_done:
            return
        partial = self.partial
        roles = partial.role_assignments if partial is not None else {}
        known, waiting = self.partial_principals, self.waiting_rights
        for ra in ras:
            pid = ra.principal_id.lower()
            (roles if pid in known else waiting).setdefault(pid, []).append(ra)
        if partial is not None:
            self.show_partial()

    def show_partial(self) -> None:
        if self.partial is not None and self.on_partial is not None:
            with contextlib.suppress(Exception):  # a broken display must not break the load
                self.on_partial(self.partial)

    def end_partial(self) -> None:
        """The final join begins: the partial inventory stops growing (what is still to join, the final join
        does)."""
        self.partial_done = True
        self.landed_pages.clear()
        self.waiting_rights.clear()
        if self.join_task is not None and not self.join_task.done():
            self.join_task.cancel()
        self.join_task = None  # (not kept: cancelled, it would hold its frame, and the loader with it)
