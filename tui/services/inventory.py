"""Loading the inventory: every managed identity of the tenant, and what each may do.

Request pattern (counts grow with subscriptions and pages, never with identities):

* tenant-wide, concurrently: subscriptions (1 listing), managed-identity service principals (Graph, every
  page of 999), resource apps (service principals exposing app roles, every page), built-in role
  definitions (1 listing);
* per subscription, concurrently (bounded): resources (every page) and role assignments (ONE listing, every
  page); custom role definitions only for subscriptions whose assignments reference a definition not yet
  known (once per subscription that needs it);
* app role grants by the cheaper side: ``appRoleAssignedTo`` of each resource app, or ``appRoleAssignments``
  of each identity, 20 per Graph ``$batch``;
* Entra directory roles, tenant-wide, from the start: the role definitions (1 listing) and the role assignments
  (ONE listing, every page, with each principal expanded: what it is, a group's name);
* rights through groups: the groups that hold an Azure role (ARM assignments with principalType Group) or a
  directory role, their transitive service-principal members 20 groups per Graph ``$batch``, asked as soon as
  every subscription's assignments are in (one round, overlapping the custom roles and the identities' join);
* names and orphans: one ``getByIds`` per 1000 ids, asked as soon as the identities are known: the assigned
  service principals that are neither identities nor apps (do they still exist?), who created the assignments
  (``createdBy``), and the groups that hold Azure roles. When there is nothing to name, its round trip overlaps
  the joins; else it runs alongside the group members' round.

All joins are dictionary look-ups. What could not be read goes to ``Inventory.problems``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from tui.services import tuning
from tui.services.backend import (
    GET_BY_IDS_MAX,
    ArmResource,
    Backend,
    DirectoryIdentity,
    DirectoryObject,
    DirectoryRoleListing,
)
from tui.services.errors import MituiError
from tui.services.escalation import acting_rights
from tui.services.grants import PreparedGrants, grants_by_identity, resource_apps
from tui.services.inventory_directory import DirectoryPhases
from tui.services.inventory_graph import ResourceGraphPhases, uses_resource_graph
from tui.services.inventory_partial import PartialPhases
from tui.services.inventory_roles import RoleAssignmentPhases
from tui.services.joins import (
    AssignmentGroups,
    IdentityJoin,
    Resolver,
    join_assignments,
    join_identities,
    orphan_candidates,
    orphaned_assignments,
)
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleDefinition,
    Inventory,
    ManagedIdentity,
    Progress,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    Subscription,
)
from tui.services.odata import guid, is_guid
from tui.services.offload import off_loop
from tui.services.scopes import lowered

# Requests in flight at once. The load is CPU-bound (decoding and joining, ~2 s at 10 000 identities), not
# latency-bound: more in flight does not shorten it, it only makes larger bursts of answers that the event loop
# handles in one turn (~3 ms each). Measured at 50:10000: 32 -> 16 halved the TUI's worst stall during the load
# (~200 -> ~100 ms), with the same inventory time.
DEFAULT_CONCURRENCY = 16
BATCH = 20
T = TypeVar("T")

ProgressFn = Callable[[Progress], None]
PartialFn = Callable[[Inventory], None]


async def load_inventory(
    backend: Backend,
    subscription_ids: list[str] | None = None,
    progress: ProgressFn | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_partial: PartialFn | None = None,
    source: str = "auto",
) -> Inventory:
    """Every managed identity of the tenant (or of ``subscription_ids``) and what each may do.

    ``progress`` (optional) is told each step. ``on_partial`` (optional) is called on the event loop with what
    has arrived so far: once the tenant's identities are known (joined with the resources read by then), and again
    as each later subscription's role assignments arrive. It always gets the same Inventory object, grown in place
    (no copy per call); its role assignments are not yet resolved (role names and privileges come with the final
    Inventory). ``source``: how the subscriptions are read: "arm" (two listings each), "resource-graph" (Azure
    Resource Graph: a few queries for all of them, within its query quota) or "auto" (ARM: see
    tui.services.inventory_graph)."""
    with tuning.around_load():
        loader = InventoryLoader(
            backend, subscription_ids, progress, concurrency=concurrency, on_partial=on_partial, source=source
        )
        return await loader.load()


class InventoryLoader(RoleAssignmentPhases, DirectoryPhases, ResourceGraphPhases, PartialPhases):
    """One load of the inventory. Its phases are methods, in the order :meth:`load` runs them; what they share
    (what has been read so far) is on the instance. The joins themselves are tui.services.joins."""

    def __init__(
        self,
        backend: Backend,
        subscription_ids: list[str] | None = None,
        progress: ProgressFn | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_partial: PartialFn | None = None,
        source: str = "auto",
    ) -> None:
        uses_resource_graph(source)  # (an unknown source fails here, before any request)
        self.source = source
        self.backend = backend
        self.progress = progress
        self.on_partial = on_partial
        self.sem = asyncio.Semaphore(concurrency)
        self.wanted = {guid(s, "subscription id") for s in subscription_ids} if subscription_ids else None
        self.problems: list[str] = []  # what could not be read
        # the tenant-wide reads, started first (see read_subscriptions)
        self.directory_task: asyncio.Future[list[DirectoryIdentity] | None] | None
        self.apps_task: asyncio.Future[list[ResourceApp]]
        self.builtin_task: asyncio.Future[list[RoleDefinition]]
        self.early_grants_task: asyncio.Future[PreparedGrants | None]
        self.directory_roles_task: asyncio.Future[DirectoryRoleListing | None]
        self.directory_definitions_task: asyncio.Future[dict[str, DirectoryRoleDefinition]]
        self.members_task: asyncio.Future[dict[str, list[str]] | None] | None = None
        # what the subscriptions' reads gather
        self.subscriptions: list[Subscription] = []
        self.resources: list[ArmResource] = []
        self.raw_assignments: dict[str, RoleAssignment] = {}  # assignment id (lower) ->
        # the subscription an assignment above every subscription was read in, by its key in raw_assignments (any
        # other's is its scope's: not kept per assignment, 150,000 of them at 40,000 identities)
        self.read_in: dict[str, str] = {}
        # scope -> its subscription ("" above them): read once per scope, not per assignment (150,000 through
        # Resource Graph, on the event loop)
        self.subscription_of_scope: dict[str, str] = {}
        self.creators: set[str] = set()  # who created the assignments (createdBy, as sent): a handful
        # the assignments taken, grouped by principal in the CPU worker as they come (the final join's lists)
        self.assignment_groups: AssignmentGroups | None = AssignmentGroups()
        self.to_group: list[list[RoleAssignment]] = []  # taken, not grouped yet
        self.group_task: asyncio.Future[None] | None = None
        self.builtins_task: asyncio.Future[None] | None = None  # the built-in roles, classified
        self.assigned_service_principals: set[str] = set()  # (lowercase) the orphan candidates among them
        self.assigned_groups: set[str] = set()  # (lowercase) the groups that hold an Azure role
        self.assigned_users: set[str] = set()  # (lowercase) the users that hold an Azure role
        self.readable_subs: set[str] = set()
        self.subscriptions_read = 0
        # what on_partial is shown, as Graph's pages of identities land
        self.partial: Inventory | None = None
        self.partial_principals: set[str] = set()
        # (only while a partial inventory is shown) the assignments taken of the principals not shown yet, by
        # principal id (lower)
        self.waiting_rights: dict[str, list[RoleAssignment]] = {}
        self.landed_pages: list[list[DirectoryIdentity]] = []  # Graph's pages of identities, not joined yet
        self.join_task: asyncio.Future[None] | None = None
        self.partial_done = False  # the final join has begun: no more partial tables
        self.identity_join = IdentityJoin(wanted=self.wanted)  # grown as pages land (inventory_partial)
        self.definitions: dict[str, RoleDefinition] = {}  # role definition GUID (lower) -> classified

    async def load(self) -> Inventory:
        """Run the phases; the tenant-wide reads, the groups' members and the getByIds overlap the rest."""
        early = None
        definitions_task: asyncio.Future[None] | None = None
        self.report("subscriptions", 0, 1)
        await self.read_subscriptions()
        try:
            await self.read_each_subscription()
            # the groups' members need only the assignments (ARM's and the directory's): asked now
            self.members_task = asyncio.ensure_future(self.read_group_members())
            early = await self.ask_names_early()  # (before the custom roles' round trip)
            # the custom roles' round trip alongside the final identity join (CPU in the worker), not before it
            definitions_task = asyncio.ensure_future(self.read_role_definitions())
            directory, identities = await self.read_identities()  # (the final join: no more partial tables)
            await definitions_task
            graph_read = directory is not None
            # what only the identity join needed: let it go before the joins to come (tens of MB at 40,000)
            del directory
            self.resources, self.identity_join = [], IdentityJoin()
            self.directory_task = None
            raw_apps = await self.apps_task
            candidates, creators = await off_loop(self.to_look_up, identities, raw_apps, graph_read)
        except BaseException:
            self.end_partial()
            self.cancel_tenant_reads()
            if definitions_task is not None:
                definitions_task.cancel()
            if early is not None:  # (a load cancelled before the names are needed: their request goes too)
                early[1].cancel()
            raise
        # orphans, creators and the groups' names: one getByIds per 1000 ids, asked now (those not asked early)
        objects_task = self.ask_directory_objects_after(candidates | creators | self.assigned_groups, early)
        try:
            objects: dict[str, DirectoryObject] | None = None
            if objects_task is not None and (creators or self.assigned_groups):
                objects = await objects_task  # names go into the joins: wait for them (alongside the members)
                await off_loop(self.name_creators, objects)
            groups, memberships = await self.read_groups(identities, objects)
            # role assignments per identity (own and through groups; those of unknown principals apart), the apps'
            # roles: one pass
            grouped = await self.grouped_assignments()
            joined = await off_loop(
                join_assignments,
                self.raw_assignments,
                identities,
                self.definitions,
                raw_apps,
                candidates,
                groups,
                memberships,
                grouped,
            )
            # (its lists are the identities' now; the others' are still each principal's own: the actors' below)
            by_principal = grouped.by_principal if grouped is not None else None
            self.assignment_groups = None
            directory_roles, directory_definitions = await self.read_directory_roles(identities, groups, memberships)
            prefetched = await self.early_grants_task
            app_grants = await self.read_app_role_grants(identities, joined.apps, joined.apps_by_id, prefetched)
            if objects is None and objects_task is not None:
                objects = await objects_task
        finally:
            if objects_task is not None and not objects_task.done():
                objects_task.cancel()
            self.cancel_tenant_reads()
        existing = set(objects) if objects is not None else None
        orphans = await off_loop(orphaned_assignments, joined.orphan_candidates, self.definitions, existing)
        if candidates and existing is not None:
            self.report("orphaned assignments", 1, 1, f"{len(orphans)} orphaned")
        actors = await off_loop(self.actors, identities, raw_apps, objects, orphans, by_principal)

        self.report("done", 1, 1)
        return Inventory(
            tenant_id=self.backend.tenant_id,
            cloud=self.backend.cloud_name,
            caller=self.backend.caller,
            subscriptions=self.subscriptions,
            identities=identities,
            role_assignments=joined.role_assignments,
            app_role_assignments=app_grants,
            orphaned_role_assignments=orphans,
            problems=self.problems,
            role_definitions=self.definitions,
            groups=groups,
            memberships=memberships,
            directory_role_assignments=directory_roles,
            directory_role_definitions=directory_definitions,
            actors=actors,
        )

    async def ask_names_early(
        self,
    ) -> tuple[set[str], asyncio.Future[dict[str, DirectoryObject] | None]] | None:
        """(the ids asked, the getByIds under way), asked before Graph's listing of the identities ends, when ARM's
        reads end first (the usual case: that listing is the load's longest chain of requests, and the getByIds
        after it was one more round trip at its end). The identities ARM shows (and the pages landed) are left
        out; those it cannot show are asked for with the rest (more ids, not more requests, below 1000). None when
        the listing is over already, or the resource apps are not known yet (the orphans are neither)."""
        if self.directory_task is None or self.directory_task.done() or not self.apps_task.done():
            return None
        if self.apps_task.cancelled() or self.apps_task.exception() is not None:
            return None
        ids = await off_loop(self.early_look_up, self.apps_task.result())
        if len(ids) > GET_BY_IDS_MAX:
            # (more than one request's worth: the identities of the listing's pages to come are among them, and
            # asked after it, the look-up is one request fewer; its round trip is the price)
            return None
        task = self.ask_directory_objects(ids)
        return (ids, task) if task is not None else None

    def early_look_up(self, raw_apps: list[ResourceApp]) -> set[str]:
        """(In the CPU worker) :meth:`to_look_up`'s ids with the identities known so far: ARM's (every principal
        id its resources name) and the Graph pages joined; every creator (a handful: those of assignments that
        will not be shown cost nothing more)."""
        known = {a.id.lower() for a in raw_apps} | set(self.identity_join.joined)
        for r in self.resources:
            known.update(lowered(p) for p in (r.system_principal_id, r.principal_id) if p)
            known.update(lowered(p) for p, _ in r.user_assigned.values() if p)
        candidates = (self.assigned_service_principals - known) | self.assigned_users | self.assigned_groups
        return candidates | {c.lower() for c in self.creators if is_guid(c)}

    def to_look_up(
        self, identities: list[ManagedIdentity], raw_apps: list[ResourceApp], graph_read: bool
    ) -> tuple[set[str], set[str]]:
        """(In the CPU worker) (the orphan candidates, the creators to name): a pass over every assignment.

        Without Graph's listing an identity could pass for an orphan: then none is looked for. Users and groups
        are candidates too: a deleted user's assignments stay behind as a service principal's do."""
        candidates = (
            orphan_candidates(self.assigned_service_principals, identities, raw_apps)
            | self.assigned_users
            | self.assigned_groups
            if graph_read
            else set()
        )
        return candidates, self.creators_to_name(identities, candidates)

    def actors(
        self,
        identities: list[ManagedIdentity],
        raw_apps: list[ResourceApp],
        objects: dict[str, DirectoryObject] | None,
        orphans: list[RoleAssignment],
        by_principal: dict[str, list[RoleAssignment]] | None = None,
    ) -> list[RoleAssignment]:
        """The assignments of users, groups and other service principals that let them act as identities (run
        code on their hosts, attach them), named from the getByIds already made; none of the orphans.
        ``by_principal``: the assignments grouped by principal (lower id), when they are (then only the principals
        are looked at, not every assignment)."""
        skip = {i.principal_id.lower() for i in identities} | {a.id.lower() for a in raw_apps}
        skip |= {a.principal_id.lower() for a in orphans}
        names = {oid: o.display_name for oid, o in (objects or {}).items() if o.display_name}
        others: Iterable[RoleAssignment]
        if by_principal is not None:
            others = (ra for pid, items in by_principal.items() if pid not in skip for ra in items)
        else:
            others = (ra for ra in self.raw_assignments.values() if ra.principal_id.lower() not in skip)
        return acting_rights(others, self.definitions, names, Resolver(self.definitions).resolve)

    # --- the phases ---------------------------------------------------------------------------------------------
    async def read_subscriptions(self) -> None:
        """Start the tenant-wide reads, then wait for the subscriptions (a failure there fails the load)."""
        b = self.backend
        subs_task = asyncio.ensure_future(b.list_subscriptions())
        self.directory_task = asyncio.ensure_future(
            self.attempt(
                "Managed identities from Microsoft Graph",
                lambda: b.list_managed_identity_principals(self.directory_page),
                None,
            )
        )
        self.apps_task = asyncio.ensure_future(
            self.attempt("Resource apps from Microsoft Graph", b.list_resource_apps, [])
        )
        self.builtin_task = asyncio.ensure_future(_quietly(b.list_role_definitions("/", "BuiltInRole")))
        # App role grants by the resource side need only the apps: when they fit in one $batch (the usual case: a
        # handful of resource apps), that side is never dearer than the identity side, so start it now instead of
        # after the identity listing (it would add its pages to the end of the longest chain).
        self.early_grants_task = asyncio.ensure_future(self.early_resource_side_grants())
        # Entra directory roles: tenant-wide, needed only at the joins
        self.directory_roles_task = asyncio.ensure_future(
            self.attempt("Directory role assignments from Microsoft Graph", b.list_directory_role_assignments, None)
        )
        self.directory_definitions_task = asyncio.ensure_future(self.read_directory_role_definitions())
        try:
            all_subs = await subs_task
        except BaseException:
            self.cancel_tenant_reads()
            raise
        wanted = self.wanted
        self.subscriptions = subs = [s for s in all_subs if wanted is None or s.id.lower() in wanted]
        if wanted:
            missing = wanted - {s.id.lower() for s in subs}
            for sub_id in sorted(missing):
                self.problems.append(f"Subscription {sub_id}: not visible to the signed-in principal")
        self.report("subscriptions", 1, 1, f"{len(subs)} subscriptions")
        # the built-in roles classified as soon as they are in: the assignments are filled in as they are grouped
        self.builtins_task = asyncio.ensure_future(self.classify_builtins())

    async def read_each_subscription(self) -> None:
        """Resources and role assignments of every subscription, concurrently (bounded) (meanwhile, the partial
        inventory grows as Graph's pages of identities land: tui.services.inventory_partial)."""
        if uses_resource_graph(self.source):
            await self.read_through_resource_graph()
        else:
            await asyncio.gather(*(self.read_subscription(s) for s in self.subscriptions))

    async def read_subscription(self, sub: Subscription, *, resources: bool = True) -> None:
        """Its resources (unless ``resources`` is False: read already) and its role assignments, each taken as soon
        as it is in (resources joined with the identities landed, the identities to come made with them)."""
        b = self.backend

        async def read_resources() -> bool:
            try:
                res = await self.bounded(lambda: b.list_resources(sub.id))
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - said in problems; the load goes on without them
                self.problems.append(f"Resources of {sub.display_name} ({sub.id}): {_describe(err)}")
                return False
            self.resources.extend(res)
            self.join_soon()
            return True

        async def read_assignments() -> None:
            try:
                ras = await self.bounded(lambda: b.list_role_assignments(sub.id))
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - said in problems
                self.problems.append(f"Role assignments of {sub.display_name} ({sub.id}): {_describe(err)}")
                return
            self.take_assignments(ras, sub.id)

        # (resources read already: the subscription counts as readable)
        ok, _ = await asyncio.gather(read_resources() if resources else asyncio.sleep(0, True), read_assignments())
        if ok:
            self.readable_subs.add(sub.id.lower())
        self.subscriptions_read += 1
        self.report("subscriptions read", self.subscriptions_read, len(self.subscriptions), sub.display_name)

    async def read_identities(self) -> tuple[list[DirectoryIdentity] | None, list[ManagedIdentity]]:
        """(Graph's listing, None if unreadable; the identities: Graph's (tenant-wide) joined with ARM's)."""
        assert self.directory_task is not None  # (let go of only after this)
        directory = await self.directory_task
        self.end_partial()  # (no more joins as pages land: what is left, the final join does)
        self.report("identities", 0, 1)
        # the joins are pure CPU (tens of thousands of items): off the event loop, so a UI stays responsive
        identities = await off_loop(self.final_identities, directory, list(self.resources))
        if directory is None:
            # Graph unreadable: user-assigned identities' ids come from Microsoft.ManagedIdentity instead.
            identities = await self.with_arm_user_identities(identities)
        self.report("identities", 1, 1, f"{len(identities)} identities")
        return directory, identities

    def final_identities(
        self, directory: list[DirectoryIdentity] | None, resources: list[ArmResource]
    ) -> list[ManagedIdentity]:
        """(In the CPU worker) the identity join kept as pages landed, caught up with what is left: the resources
        not added yet and (for pages not joined yet) Graph's whole listing. Each identity the partial table shows
        as it is now is that very object (not a second copy of 40,000 of them). Without Graph's listing, only what
        ARM shows."""
        join = self.identity_join
        join.catch_up(resources)
        if directory is None:
            return IdentityJoin(join.index, self.wanted).identities()
        if not join.add_listing(directory):
            # (pages joined as they landed that are not the listing's: it was read again)
            join = IdentityJoin(join.index, self.wanted)
            join.add_directory(directory)
        return join.identities()

    async def with_arm_user_identities(self, identities: list[ManagedIdentity]) -> list[ManagedIdentity]:
        b = self.backend
        lists = await asyncio.gather(
            *(
                self.attempt(
                    f"User-assigned identities of {s.display_name}",
                    lambda s=s: self.bounded(lambda: b.list_user_assigned_identities(s.id)),
                    [],
                )
                for s in self.subscriptions
            )
        )
        extra = [u for lst in lists for u in lst]
        return join_identities(None, self.resources + extra, None) if extra else identities

    async def early_resource_side_grants(self) -> PreparedGrants | None:
        """The resource side's grants as soon as the apps are known, when they fit in one $batch, and joined as far
        as they can be before the identities are known (in the CPU worker, while the rest loads: ~0.1 s at 40,000
        identities that the load's tail no longer spends); else None."""
        raw_apps = await self.apps_task
        apps = resource_apps(raw_apps)
        if not apps or math.ceil(len(apps) / BATCH) > 1:
            return None
        grants = await self.attempt(
            "App role grants (appRoleAssignedTo)",
            lambda: self.backend.list_app_role_assigned_to([a.id for a in apps]),
            [],
        )
        return await off_loop(PreparedGrants.of, grants, raw_apps)

    async def read_app_role_grants(
        self,
        identities: list[ManagedIdentity],
        apps: list[ResourceApp],
        apps_by_id: dict[str, ResourceApp],
        prefetched: PreparedGrants | None = None,
    ) -> dict[str, list[AppRoleAssignment]]:
        """Each identity's app role grants, read by the side that needs fewer requests (or ``prefetched``)."""
        if not identities:
            return {}
        b = self.backend
        resource_side_apps = resource_apps(apps)
        identity_side = math.ceil(len(identities) / BATCH)
        resource_side = math.ceil(len(resource_side_apps) / BATCH)
        self.report("app role grants", 0, 1)
        grants: list[AppRoleAssignment] = []
        if prefetched is not None:  # the resource side, read and joined while the rest was loading
            out, count = await off_loop(prefetched.of_identities, identities)
            self.report("app role grants", 1, 1, f"{count} grants")
            return out
        if resource_side_apps and resource_side <= identity_side:
            grants = await self.attempt(
                "App role grants (appRoleAssignedTo)",
                lambda: b.list_app_role_assigned_to([a.id for a in resource_side_apps]),
                [],
            )
        elif identity_side:
            per = await self.attempt(
                "App role grants (appRoleAssignments)",
                lambda: b.list_app_role_assignments([i.principal_id for i in identities]),
                {},
            )
            grants = [g for lst in per.values() for g in lst]
        out, count = await off_loop(grants_by_identity, grants, identities, apps_by_id)
        self.report("app role grants", 1, 1, f"{count} grants")
        return out

    # --- the means ----------------------------------------------------------------------------------------------
    def cancel_tenant_reads(self) -> None:
        """Cancel the tenant-wide reads still running (the load failed, or no longer needs them)."""
        for t in (
            self.directory_task,
            self.apps_task,
            self.builtin_task,
            self.early_grants_task,
            self.directory_roles_task,
            self.directory_definitions_task,
            self.members_task,
            self.builtins_task,
            self.group_task,
        ):
            if t is not None and not t.done():
                t.cancel()

    def report(self, step: str, done: int, total: int, detail: str = "") -> None:
        if self.progress is not None:
            with contextlib.suppress(Exception):  # a broken progress display must not break the load
                self.progress(Progress(step=step, done=done, total=total, detail=detail))

    async def bounded(self, make: Callable[[], Awaitable[T]]) -> T:
        async with self.sem:
            return await make()

    async def attempt(self, what: str, make: Callable[[], Awaitable[T]], default: T) -> T:
        """Run a read; on failure record what is missing and carry on with ``default``."""
        try:
            return await make()
        except asyncio.CancelledError:
            raise
        except Exception as err:
            self.problems.append(f"{what}: {_describe(err)}")
            return default


async def _quietly(aw: Awaitable[list[T]]) -> list[T]:
    try:
        return await aw
    except MituiError:
        return []


def _describe(err: BaseException) -> str:
    if isinstance(err, MituiError):
        return err.one_line()
    return f"{type(err).__name__}: {err}"
