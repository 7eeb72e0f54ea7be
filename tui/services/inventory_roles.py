"""The role assignments and role definitions of one inventory load (a mixin of
:class:`tui.services.inventory.InventoryLoader`).

Each page of role assignments is taken as it lands (on the event loop: kept once, who holds and who created it
noted, shown in the partial table) and grouped by principal in the CPU worker while the rest loads
(tui.services.joins.AssignmentGroups), so that the final join is a look-up per identity. The built-in role
definitions are read once and classified as soon as they are in; custom ones are read only for the subscriptions
whose assignments name a definition not yet known.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from tui.services.backend import Backend
from tui.services.joins import AssignmentGroups, classified_role, custom_role_subscriptions
from tui.services.models import RoleAssignment, RoleDefinition, ScopeLevel, Subscription
from tui.services.odata import is_guid
from tui.services.offload import off_loop, off_loop_each
from tui.services.scopes import subscription_of

T = TypeVar("T")

TAKE_STEP = 500  # assignments taken in one turn of the event loop (~3 ms: eight batches may each take one)


class RoleAssignmentPhases:
    """Needs from the loader: its backend, the subscriptions, where the assignments and definitions are gathered,
    the built-in roles' read it started, and its means (add_partial, report, attempt, bounded)."""

    backend: Backend
    subscriptions: list[Subscription]
    raw_assignments: dict[str, RoleAssignment]
    read_in: dict[str, str]
    subscription_of_scope: dict[str, str]
    creators: set[str]
    assignment_groups: AssignmentGroups | None
    to_group: list[list[RoleAssignment]]
    group_task: asyncio.Future[None] | None
    builtin_task: asyncio.Future[list[RoleDefinition]]
    builtins_task: asyncio.Future[None] | None
    assigned_service_principals: set[str]
    assigned_groups: set[str]
    assigned_users: set[str]
    definitions: dict[str, RoleDefinition]

    if TYPE_CHECKING:

        def add_partial(self, ras: list[RoleAssignment]) -> None: ...

        def report(self, step: str, done: int, total: int, detail: str = "") -> None: ...

        async def attempt(self, what: str, make: Callable[[], Awaitable[T]], default: T) -> T: ...

        async def bounded(self, make: Callable[[], Awaitable[T]]) -> T: ...

    def take_assignments(self, ras: list[RoleAssignment], default_sub: str) -> None:
        """Keep the assignments not yet seen (with the subscription they were read in, ``default_sub``, when their
        scope has none), note who holds and who created them, and show them."""
        fresh = []
        above = (ScopeLevel.ROOT, ScopeLevel.MANAGEMENT_GROUP)
        subs, creators, raw, read_in = self.subscription_of_scope, self.creators, self.raw_assignments, self.read_in
        service_principals = self.assigned_service_principals
        for ra in ras:
            # The same assignment can come twice only from above the subscriptions (every subscription's listing
            # has them, and Resource Graph's query of the tenant's scope): those are keyed case-blind; any other is
            # listed once, keyed by its id as sent (a lowercased copy of 150,000 ids was 37 MB at the load's peak)
            key = ra.id.lower() if ra.scope_level in above else ra.id
            if key in raw:
                continue
            raw[key] = ra
            scope = ra.scope
            sub = subs.get(scope)
            if sub is None:
                sub = subs[scope] = subscription_of(scope) or ""
            if not sub:
                read_in[key] = default_sub
            if ra.created_by:
                creators.add(ra.created_by)
            fresh.append(ra)
            kind, pid = ra.principal_type, ra.principal_id
            if kind == "ServicePrincipal":
                service_principals.add(pid if pid.islower() else pid.lower())  # (lowered, inline: 150,000 of them)
            elif kind == "Group" and is_guid(pid):
                self.assigned_groups.add(pid.lower())
            elif kind == "User" and is_guid(pid):
                self.assigned_users.add(pid.lower())
        if fresh and self.assignment_groups is not None:
            self.to_group.append(fresh)
            if self.group_task is None or self.group_task.done():
                self.group_task = asyncio.ensure_future(self.group_taken())
        self.add_partial(fresh)

    async def group_taken(self) -> None:
        """Group the assignments taken since (in the CPU worker: :class:`tui.services.joins.AssignmentGroups`)."""
        while self.to_group and self.assignment_groups is not None:
            batch = [ra for ras in self.to_group for ra in ras]
            self.to_group.clear()
            try:
                await off_loop(self.assignment_groups.add, batch, self.definitions)
            except Exception:  # noqa: BLE001 - the final join groups them all again (and says what went wrong)
                self.assignment_groups = None

    async def grouped_assignments(self) -> AssignmentGroups | None:
        """Every assignment taken, grouped (None: grouping failed; the final join then groups them itself)."""
        if self.group_task is not None:
            await self.group_task
        await self.group_taken()
        return self.assignment_groups

    async def take_assignments_in_steps(self, ras: list[RoleAssignment], default_sub: str) -> None:
        """:meth:`take_assignments` (by scope) a few thousand at a time, the event loop free in between: a Resource
        Graph batch brings tens of thousands of assignments, ~0.1 s on the loop in one go."""
        for start in range(0, len(ras), TAKE_STEP):
            if start:
                await asyncio.sleep(0)
            self.take_assignments(ras[start : start + TAKE_STEP], default_sub)

    async def classify_builtins(self) -> None:
        """The built-in role definitions (read once), each classified, into the load's definitions."""
        b, subs = self.backend, self.subscriptions
        builtins = await self.builtin_task
        if not builtins and subs:  # the root scope was not readable: the built-ins are the same at any subscription
            builtins = await self.attempt(
                "Built-in role definitions",
                lambda: b.list_role_definitions(f"/subscriptions/{subs[0].id}", "BuiltInRole"),
                [],
            )
        # classifying hundreds of built-in roles is pure CPU (~0.3 s the first time): off the event loop, a few dozen
        # at a time (a partial table's rows may pass in between)
        classified = await off_loop_each(classified_role, builtins)
        definitions = self.definitions
        for rd in classified:
            definitions[rd.name.lower()] = rd

    async def read_role_definitions(self) -> None:
        """The built-in role definitions once, custom ones only for subscriptions whose assignments reference a
        definition not yet known; each classified."""
        b = self.backend
        if self.builtins_task is None:
            self.builtins_task = asyncio.ensure_future(self.classify_builtins())
        await self.builtins_task
        definitions = self.definitions
        unresolved = await off_loop(custom_role_subscriptions, self.raw_assignments, self.read_in, definitions)
        if not unresolved:
            return
        self.report("custom roles", 0, len(unresolved))
        results = await asyncio.gather(
            *(
                self.attempt(
                    f"Custom roles of subscription {sid}",
                    lambda sid=sid: self.bounded(
                        lambda: b.list_role_definitions(f"/subscriptions/{sid}", "CustomRole")
                    ),
                    [],
                )
                for sid in unresolved
            )
        )
        for rds in results:
            for rd in rds:
                definitions.setdefault(rd.name.lower(), classified_role(rd))
        self.report("custom roles", len(unresolved), len(unresolved))
