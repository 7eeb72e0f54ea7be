"""What a load has so far, shown while it loads (a mixin of :class:`tui.services.inventory.InventoryLoader`).

Each page of Graph's managed identities (999 of them) is joined, as it lands, with the resources read by then, and
the partial inventory grows by those identities, with the role assignments read so far for them; each later page of
assignments adds to them. The same Inventory object is handed to ``on_partial`` each time, grown in place. So the
first identities are on screen after one Graph page, whatever the size of the tenant, and the table fills in as
pages land. The partial inventory stops growing when the final join begins.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.services.backend import ArmResource, Backend, DirectoryIdentity
from tui.services.joins import ResourceIndex, join_identities
from tui.services.models import Inventory, ManagedIdentity, RoleAssignment, Subscription
from tui.services.offload import off_loop_first

if TYPE_CHECKING:
    PartialFn = Callable[[Inventory], None]


def page_identities(
    page: list[DirectoryIdentity],
    index: ResourceIndex,
    new: list[ArmResource],
    wanted: set[str] | None,
    readable_subs: set[str],
    subs: list[Subscription],
) -> list[ManagedIdentity]:
    """The identities of one Graph page, joined with the resources read so far (``index``, grown by the ``new``
    ones first; none of the identities that only ARM shows: their principal may be on a later page)."""
    index.add(new)
    return join_identities(page, index, wanted, readable_subs, subs, arm_only=False)


class PartialPhases:
    """Needs from the loader: its backend, ``on_partial``, what the subscriptions' reads gather so far."""

    backend: Backend
    on_partial: PartialFn | None
    wanted: set[str] | None
    subscriptions: list[Subscription]
    resources: list[ArmResource]
    readable_subs: set[str]
    raw_assignments: dict[str, RoleAssignment]
    partial: Inventory | None
    partial_principals: set[str]
    partial_pages: list[list[DirectoryIdentity]]
    partial_task: asyncio.Future[None] | None
    partial_done: bool
    partial_index: ResourceIndex  # the resources the partial tables' joins have indexed: the first partial_indexed
    partial_indexed: int

    def directory_page(self, page: list[DirectoryIdentity]) -> None:
        """A page of Graph's identities has landed (on the event loop): show its identities soon."""
        if self.on_partial is None or self.partial_done or not page:
            return
        self.partial_pages.append(page)
        if self.partial_task is None or self.partial_task.done():
            self.partial_task = asyncio.ensure_future(self.show_partial_pages())

    async def show_partial_pages(self) -> None:
        """Join the pages landed so far (off the event loop), add them to the partial inventory, and show it."""
        while self.partial_pages and not self.partial_done:
            page = [d for p in self.partial_pages for d in p]
            self.partial_pages.clear()
            try:
                new, self.partial_indexed = self.resources[self.partial_indexed :], len(self.resources)
                readable = set(self.readable_subs)
                identities = await off_loop_first(
                    page_identities, page, self.partial_index, new, self.wanted, readable, self.subscriptions
                )
            except Exception:  # only a preview: the final join reports what went wrong
                return
            if self.partial_done:
                return
            if self.partial is None:
                self.partial = Inventory(
                    tenant_id=self.backend.tenant_id,
                    cloud=self.backend.cloud_name,
                    caller=self.backend.caller,
                    subscriptions=self.subscriptions,
                )
            fresh = {i.principal_id.lower() for i in identities} - self.partial_principals
            self.partial.identities.extend(i for i in identities if i.principal_id.lower() in fresh)
            self.partial_principals |= fresh
            roles = self.partial.role_assignments
            for ra in self.raw_assignments.values():
                pid = ra.principal_id.lower()
                if pid in fresh:
                    roles.setdefault(pid, []).append(ra)
            self.show_partial()

    def add_partial(self, ras: list[RoleAssignment]) -> None:
        """Add these (unresolved) assignments to the partial inventory, and show it."""
        partial = self.partial
        if partial is None or self.on_partial is None or self.partial_done:
            return
        roles, known = partial.role_assignments, self.partial_principals
        for ra in ras:
            pid = ra.principal_id.lower()
            if pid in known:
                roles.setdefault(pid, []).append(ra)
        self.show_partial()

    def show_partial(self) -> None:
        if self.partial is not None and self.on_partial is not None:
            with contextlib.suppress(Exception):  # a broken display must not break the load
                self.on_partial(self.partial)

    def end_partial(self) -> None:
        """The final join begins: the partial inventory stops growing."""
        self.partial_done = True
        self.partial_pages.clear()
        if self.partial_task is not None and not self.partial_task.done():
            self.partial_task.cancel()
