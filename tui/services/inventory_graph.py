"""Reading the subscriptions through Azure Resource Graph (a mixin of :class:`tui.services.inventory.InventoryLoader`).

Past a few dozen subscriptions, ARM's listings cost two requests (and their pages) per subscription. Resource Graph
answers one query for many subscriptions at once, 1,000 rows a page, so the requests grow with the rows, not with
the subscriptions: the subscriptions are split into a few batches run side by side (each batch's pages follow one
another), and one more query reads the role assignments above every subscription (management groups, the root).

A batch that Resource Graph cannot answer is read through ARM instead, subscription by subscription (and said in
``problems``), so that a refusal costs time, never rights.

Fewer requests are not less time, though: Resource Graph allows each user a quota of queries per window (Azure's
guidance: 15 in 5 seconds, every page one query; tui.azure.query_quota keeps to it), while ARM's listings are
limited per subscription, far above two a subscription. At 200 subscriptions and 40,000 identities, 199 queries (278
requests in all) took 70 s within that quota against about 4 s for ARM's 519 requests (the sandbox, which keeps the
same quota). So "auto" reads through ARM, and Resource Graph is for who asks for it (a user whose quota Microsoft
has raised).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from tui.services.backend import ArmResource, Backend
from tui.services.models import RoleAssignment, Subscription
from tui.services.scopes import scope_key

T = TypeVar("T")

SOURCES = ("auto", "arm", "resource-graph")
BATCHES = 8  # batches of subscriptions queried side by side
MAX_BATCH = 1000  # subscriptions in one query
MG_SCOPE = "/providers/microsoft.management/managementgroups/"


def batches_of(subscriptions: list[Subscription]) -> list[list[Subscription]]:
    """The subscriptions in at most :data:`BATCHES` batches of at most :data:`MAX_BATCH`, as even as can be."""
    if not subscriptions:
        return []
    size = min(MAX_BATCH, math.ceil(len(subscriptions) / BATCHES))
    return [subscriptions[i : i + size] for i in range(0, len(subscriptions), size)]


def uses_resource_graph(source: str) -> bool:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    return source == "resource-graph"  # ("auto": ARM's listings, at any number of subscriptions: see the module)


class ResourceGraphPhases:
    """Needs from the loader: its backend, the subscriptions, what the subscriptions' reads gather, and its means
    (read_subscription for ARM, take_assignments, report, bounded)."""

    backend: Backend
    subscriptions: list[Subscription]
    resources: list[ArmResource]
    problems: list[str]
    readable_subs: set[str]
    subscriptions_read: int

    if TYPE_CHECKING:

        def join_soon(self) -> None: ...

        def report(self, step: str, done: int, total: int, detail: str = "") -> None: ...

        async def bounded(self, make: Callable[[], Awaitable[T]]) -> T: ...

        async def read_subscription(self, sub: Subscription, *, resources: bool = True) -> None: ...

        async def take_assignments_in_steps(self, ras: list[RoleAssignment], default_sub: str) -> None: ...

    async def read_through_resource_graph(self) -> None:
        """Resources with identities and role assignments of every subscription, through Resource Graph; the
        assignments above them (at the tenant's scope), those of the root and of the management groups above the
        subscriptions read (as ARM lists them at each subscription)."""
        b = self.backend
        ids = [s.id for s in self.subscriptions]
        above = asyncio.ensure_future(b.query_role_assignments(None))
        groups = asyncio.gather(
            *(b.query_subscription_groups(ids[i : i + MAX_BATCH]) for i in range(0, len(ids), MAX_BATCH))
        )
        try:
            await asyncio.gather(*(self.read_batch(batch) for batch in batches_of(self.subscriptions)))
            try:
                ras = await above
                chains = await groups
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self.problems.append(f"Role assignments above the subscriptions (Resource Graph): {_describe(err)}")
            else:
                over = {"/"} | {f"{MG_SCOPE}{name}" for part in chains for names in part.values() for name in names}
                ras = [ra for ra in ras if scope_key(ra.scope) in over]
                await self.take_assignments_in_steps(ras, self.subscriptions[0].id if self.subscriptions else "")
        finally:
            for task in (above, groups):
                if not task.done():
                    task.cancel()

    async def read_batch(self, batch: list[Subscription]) -> None:
        """The batch's resources and role assignments, each taken as soon as it is in (the resources joined with
        the identities landed, the identities to come made with them: not after the assignments' longer chain)."""
        b = self.backend
        ids = [s.id for s in batch]

        async def resources() -> None:
            res = await self.bounded(lambda: b.query_identity_resources(ids))
            self.resources.extend(res)
            self.join_soon()

        async def assignments() -> None:
            ras = await self.bounded(lambda: b.query_role_assignments(ids))
            await self.take_assignments_in_steps(ras, batch[0].id)

        outcomes = await asyncio.gather(resources(), assignments(), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
        failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
        if failed is not None:
            self.problems.append(
                f"Resource Graph could not read {len(batch)} subscriptions ({_describe(failed)}): read through ARM"
            )
            # (the assignments already taken are not taken twice; resources read already are not read again)
            read = not isinstance(outcomes[0], BaseException)
            await asyncio.gather(*(self.read_subscription(s, resources=not read) for s in batch))
            return
        self.readable_subs.update(s.id.lower() for s in batch)
        self.subscriptions_read += len(batch)
        self.report("subscriptions read", self.subscriptions_read, len(self.subscriptions), "Resource Graph")


def _describe(err: BaseException | None) -> str:
    from tui.services.errors import MituiError

    if isinstance(err, MituiError):
        return err.one_line()
    return f"{type(err).__name__}: {err}"
