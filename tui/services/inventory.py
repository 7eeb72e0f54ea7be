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
* orphans: one ``getByIds`` per 1000 assigned service-principal ids that are neither identities nor apps,
  asked as soon as the identities are known, so that its round trip overlaps the joins.

All joins are dictionary look-ups. What could not be read goes to ``Inventory.problems``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from tui.services import tuning
from tui.services.backend import ArmResource, Backend, DirectoryIdentity
from tui.services.errors import MituiError
from tui.services.models import (
    AppRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Progress,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Subscription,
)
from tui.services.odata import guid
from tui.services.offload import off_loop
from tui.services.privilege import classify_app_role, classify_role, highest
from tui.services.scopes import (
    last_segment,
    resource_group_of,
    resource_type_of,
    scope_key,
    subscription_of,
)

# Requests in flight at once. The load is CPU-bound (decoding and joining, ~2 s at 10 000 identities), not
# latency-bound: more in flight does not shorten it, it only makes larger bursts of answers that the event loop
# handles in one turn (~3 ms each). Measured at 50:10000: 32 -> 16 halved the TUI's worst stall during the load
# (~200 -> ~100 ms), with the same inventory time.
DEFAULT_CONCURRENCY = 16
BATCH = 20
UAMI_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
T = TypeVar("T")

ProgressFn = Callable[[Progress], None]
PartialFn = Callable[[Inventory], None]


def definition_guid(role_definition_id: str) -> str:
    """The role definition's GUID (lowercase) from its ARM id."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _describe(err: BaseException) -> str:
    if isinstance(err, MituiError):
        return err.one_line()
    return f"{type(err).__name__}: {err}"


class _Loader:
    def __init__(self, backend: Backend, progress: ProgressFn | None, concurrency: int) -> None:
        self.b = backend
        self.progress = progress
        self.sem = asyncio.Semaphore(concurrency)
        self.problems: list[str] = []

    def report(self, step: str, done: int, total: int, detail: str = "") -> None:
        if self.progress is not None:
            with contextlib.suppress(Exception):  # a broken progress display must not break the load
                self.progress(Progress(step, done, total, detail))

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


async def load_inventory(
    backend: Backend,
    subscription_ids: list[str] | None = None,
    progress: ProgressFn | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_partial: PartialFn | None = None,
) -> Inventory:
    """Every managed identity of the tenant (or of ``subscription_ids``) and what each may do.

    ``progress`` (optional) is told each step. ``on_partial`` (optional) is called on the event loop with what
    has arrived so far: once the tenant's identities are known (joined with the resources read by then), and again
    as each later subscription's role assignments arrive. It always gets the same Inventory object, grown in place
    (no copy per call); its role assignments are not yet resolved (role names and privileges come with the final
    Inventory)."""
    with tuning.around_load():
        return await _load(backend, subscription_ids, progress, concurrency, on_partial)


async def _load(
    backend: Backend,
    subscription_ids: list[str] | None,
    progress: ProgressFn | None,
    concurrency: int,
    on_partial: PartialFn | None,
) -> Inventory:
    ld = _Loader(backend, progress, concurrency)
    wanted = {guid(s, "subscription id") for s in subscription_ids} if subscription_ids else None

    ld.report("subscriptions", 0, 1)
    subs_task = asyncio.ensure_future(backend.list_subscriptions())
    mis_task = asyncio.ensure_future(
        ld.attempt("Managed identities from Microsoft Graph", backend.list_managed_identity_principals, None)
    )
    apps_task = asyncio.ensure_future(ld.attempt("Resource apps from Microsoft Graph", backend.list_resource_apps, []))
    builtin_task = asyncio.ensure_future(_quietly(backend.list_role_definitions("/", "BuiltInRole")))
    # App role grants by the resource side need only the apps: when they fit in one $batch (the usual case: a
    # handful of resource apps), that side is never dearer than the identity side, so start it now instead of
    # after the identity listing (it would add its pages to the end of the longest chain).
    early_grants_task = asyncio.ensure_future(_early_resource_side_grants(ld, apps_task))
    try:
        all_subs = await subs_task
    except BaseException:
        for t in (mis_task, apps_task, builtin_task, early_grants_task):
            t.cancel()
        raise
    subs = [s for s in all_subs if wanted is None or s.id.lower() in wanted]
    if wanted:
        missing = wanted - {s.id.lower() for s in subs}
        for sub_id in sorted(missing):
            ld.problems.append(f"Subscription {sub_id}: not visible to the signed-in principal")
    ld.report("subscriptions", 1, 1, f"{len(subs)} subscriptions")

    # --- per subscription: resources and role assignments ---------------------------------------------------
    resources: list[ArmResource] = []
    raw_assignments: dict[str, RoleAssignment] = {}
    assigned_service_principals: set[str] = set()  # (lowercase) orphan candidates, less identities and apps
    sub_of_assignment: dict[str, str] = {}
    done = 0
    readable_subs: set[str] = set()
    partial: Inventory | None = None  # what on_partial is shown, once the identities are known

    def add_partial(ras: list[RoleAssignment]) -> None:
        if partial is None or on_partial is None:
            return
        roles, known = partial.role_assignments, partial_principals
        for ra in ras:
            pid = ra.principal_id.lower()
            if pid in known:
                roles.setdefault(pid, []).append(ra)
        with contextlib.suppress(Exception):  # a broken display must not break the load
            on_partial(partial)

    partial_principals: set[str] = set()

    async def show_partial_identities() -> None:
        nonlocal partial, partial_principals
        directory = await asyncio.shield(mis_task)  # (cancelling this task must not cancel the listing)
        if directory is None:
            return
        try:
            identities = await off_loop(_join_identities, directory, list(resources), wanted, set(readable_subs), subs)
        except Exception:  # only a preview: the final join reports what went wrong
            return
        partial_principals = {i.principal_id.lower() for i in identities}
        partial = Inventory(
            tenant_id=backend.tenant_id,
            cloud=backend.cloud_name,
            caller=backend.caller,
            subscriptions=subs,
            identities=identities,
        )
        add_partial(list(raw_assignments.values()))

    async def one_subscription(sub: Subscription) -> None:
        nonlocal done
        res_task = ld.bounded(lambda: backend.list_resources(sub.id))
        ra_task = ld.bounded(lambda: backend.list_role_assignments(sub.id))
        res, ras = await asyncio.gather(res_task, ra_task, return_exceptions=True)
        ok = True
        if isinstance(res, BaseException):
            if isinstance(res, asyncio.CancelledError):
                raise res
            ld.problems.append(f"Resources of {sub.display_name} ({sub.id}): {_describe(res)}")
            ok = False
        else:
            resources.extend(res)
        if isinstance(ras, BaseException):
            if isinstance(ras, asyncio.CancelledError):
                raise ras
            ld.problems.append(f"Role assignments of {sub.display_name} ({sub.id}): {_describe(ras)}")
        else:
            fresh = []
            for ra in ras:
                key = ra.id.lower()
                if key not in raw_assignments:
                    raw_assignments[key] = ra
                    sub_of_assignment[key] = sub.id
                    fresh.append(ra)
                    if ra.principal_type == "ServicePrincipal":
                        assigned_service_principals.add(ra.principal_id.lower())
            add_partial(fresh)
        if ok:
            readable_subs.add(sub.id.lower())
        done += 1
        ld.report("subscriptions read", done, len(subs), sub.display_name)

    partial_task = asyncio.ensure_future(show_partial_identities()) if on_partial is not None else None
    try:
        await asyncio.gather(*(one_subscription(s) for s in subs))
    finally:
        if partial_task is not None and not partial_task.done():
            partial_task.cancel()  # every subscription is read: the final join comes next anyway

    # --- role definitions: built-ins once, custom ones where referenced ---------------------------------------
    definitions: dict[str, RoleDefinition] = {}
    builtins = await builtin_task
    if not builtins and subs:  # the root scope was not readable: the built-ins are the same at any subscription
        builtins = await ld.attempt(
            "Built-in role definitions",
            lambda: backend.list_role_definitions(f"/subscriptions/{subs[0].id}", "BuiltInRole"),
            [],
        )
    # classifying hundreds of built-in roles is pure CPU (~0.3 s the first time): off the event loop
    classified = await off_loop(lambda: [replace(rd, privilege=classify_role(rd)) for rd in builtins])
    for rd in classified:
        definitions[rd.name.lower()] = rd
    unresolved = await off_loop(_subscriptions_needing_custom_roles, raw_assignments, sub_of_assignment, definitions)
    if unresolved:
        ld.report("custom roles", 0, len(unresolved))
        results = await asyncio.gather(
            *(
                ld.attempt(
                    f"Custom roles of subscription {sid}",
                    lambda sid=sid: ld.bounded(
                        lambda: backend.list_role_definitions(f"/subscriptions/{sid}", "CustomRole")
                    ),
                    [],
                )
                for sid in unresolved
            )
        )
        for rds in results:
            for rd in rds:
                definitions.setdefault(rd.name.lower(), replace(rd, privilege=classify_role(rd)))
        ld.report("custom roles", len(unresolved), len(unresolved))

    # --- identities: Graph (tenant-wide) joined with ARM -----------------------------------------------------
    directory: list[DirectoryIdentity] | None = await mis_task
    ld.report("identities", 0, 1)
    # the joins below are pure CPU (tens of thousands of items): off the event loop, so a UI stays responsive
    identities = await off_loop(_join_identities, directory, resources, wanted, readable_subs, subs)
    if directory is None:
        # Graph unreadable: user-assigned identities' ids come from Microsoft.ManagedIdentity instead.
        identities = await _with_arm_user_identities(ld, identities, resources, subs)
    ld.report("identities", 1, 1, f"{len(identities)} identities")

    # --- orphans: which assigned service principals still exist, asked now, answered while the joins run ----
    raw_apps = await apps_task
    known = {i.principal_id.lower() for i in identities} | {a.id.lower() for a in raw_apps}
    # (without Graph's listing, an identity could pass for an orphan: then none is looked for)
    candidates = assigned_service_principals - known if directory is not None else set()
    existing_task = None
    if candidates:
        ld.report("orphaned assignments", 0, 1)
        existing_task = asyncio.ensure_future(
            ld.attempt(
                "Orphaned role assignments (getByIds)", lambda: backend.existing_object_ids(sorted(candidates)), None
            )
        )
    try:
        # --- role assignments per identity (and those of unknown principals), the apps' roles: one pass ----------
        joined = await off_loop(_join_assignments, raw_assignments, identities, definitions, raw_apps, candidates)
        # --- app role grants, by the cheaper side -------------------------------------------------------------
        app_grants = await _app_role_grants(ld, identities, joined.apps, joined.apps_by_id, await early_grants_task)
        existing = await existing_task if existing_task is not None else None
    finally:
        if existing_task is not None and not existing_task.done():
            existing_task.cancel()
    orphans = _orphans(ld, joined.orphan_candidates, definitions, existing)

    ld.report("done", 1, 1)
    return Inventory(
        tenant_id=backend.tenant_id,
        cloud=backend.cloud_name,
        caller=backend.caller,
        subscriptions=subs,
        identities=identities,
        role_assignments=joined.role_assignments,
        app_role_assignments=app_grants,
        orphaned_role_assignments=orphans,
        problems=ld.problems,
    )


async def _quietly(aw: Awaitable[list[T]]) -> list[T]:
    try:
        return await aw
    except MituiError:
        return []


def _subscriptions_needing_custom_roles(
    raw_assignments: dict[str, RoleAssignment], sub_of_assignment: dict[str, str], known: dict[str, RoleDefinition]
) -> dict[str, str]:
    """subscription -> a role definition GUID its assignments reference that is not known (a custom role)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for key, ra in raw_assignments.items():
        rdid = ra.role_definition_id
        if rdid in seen:
            continue
        seen.add(rdid)
        g = definition_guid(rdid)
        if g not in known:
            out.setdefault(sub_of_assignment[key], g)
    return out


@dataclass
class _Joined:
    role_assignments: dict[str, list[RoleAssignment]]  # principal id (lower) -> its assignments, resolved
    orphan_candidates: dict[str, list[RoleAssignment]]  # candidate principal id -> its assignments, unresolved
    apps: list[ResourceApp]
    apps_by_id: dict[str, ResourceApp]


def _join_assignments(
    raw_assignments: dict[str, RoleAssignment],
    identities: list[ManagedIdentity],
    definitions: dict[str, RoleDefinition],
    raw_apps: list[ResourceApp],
    candidates: set[str],
) -> _Joined:
    """Every assignment resolved (role name, privilege, inherited) and grouped by identity, in one pass; those
    of the orphan ``candidates`` (principal ids, lowercase) grouped apart."""
    apps = [classified_app(a) for a in raw_apps]
    apps_by_id = {a.id.lower(): a for a in apps}
    by_principal = {i.principal_id.lower(): i for i in identities}
    resolver = _Resolver(definitions)
    role_assignments: dict[str, list[RoleAssignment]] = {}
    unknown: dict[str, list[RoleAssignment]] = {}
    resource_keys: dict[str, str] = {}  # principal -> scope_key of its resource, computed once per identity
    for ra in raw_assignments.values():
        pid = ra.principal_id.lower()
        ident = by_principal.get(pid)
        if ident is None:
            if pid in candidates:
                unknown.setdefault(pid, []).append(ra)
            continue
        rkey = resource_keys.get(pid)
        if rkey is None:
            rkey = resource_keys[pid] = scope_key(ident.resource_id) if ident.resource_id else ""
        items = role_assignments.get(pid)
        if items is None:
            items = role_assignments[pid] = []
        items.append(resolver.resolve(ra, rkey))
    for items in role_assignments.values():
        if len(items) > 1:
            items.sort(key=_assignment_order)
    return _Joined(role_assignments, unknown, apps, apps_by_id)


def _assignment_order(a: RoleAssignment) -> tuple[int, str, str]:
    return (-a.privilege.rank, a.role_name.lower(), scope_key(a.scope))


_ABOVE_ANY_RESOURCE = (ScopeLevel.ROOT, ScopeLevel.MANAGEMENT_GROUP)


class _Resolver:
    """Fills in an assignment's role name, privilege and whether it is inherited, with each role definition id
    looked up once (a tenant has tens of thousands of assignments and a few dozen distinct roles)."""

    def __init__(self, definitions: dict[str, RoleDefinition]) -> None:
        self.definitions = definitions
        self._by_id: dict[str, RoleDefinition | None] = {}

    def definition(self, role_definition_id: str) -> RoleDefinition | None:
        try:
            return self._by_id[role_definition_id]
        except KeyError:
            rd = self._by_id[role_definition_id] = self.definitions.get(definition_guid(role_definition_id))
            return rd

    def resolve(self, ra: RoleAssignment, resource_key: str) -> RoleAssignment:
        """``resource_key``: the scope_key of the identity's own resource ("" when it has none)."""
        rd = self.definition(ra.role_definition_id)
        level = ra.scope_level  # (the Backend fills it in as it reads each assignment)
        inherited = False
        if resource_key:
            skey = scope_key(ra.scope)
            inherited = skey != resource_key and (level in _ABOVE_ANY_RESOURCE or resource_key.startswith(skey + "/"))
        # built directly, not with dataclasses.replace (three times dearer, for each of tens of thousands)
        return RoleAssignment(
            ra.id,
            ra.name,
            ra.scope,
            ra.role_definition_id,
            ra.principal_id,
            ra.principal_type,
            rd.role_name if rd else ra.role_name,
            level,
            inherited,
            rd.privilege if rd else ra.privilege,
            ra.created_on,
        )


def _join_identities(
    directory: list[DirectoryIdentity] | None,
    resources: list[ArmResource],
    wanted: set[str] | None,
    readable_subs: set[str],
    subs: list[Subscription],
) -> list[ManagedIdentity]:
    by_key = {scope_key(r.id): r for r in resources}
    users_of: dict[str, list[str]] = {}  # uami key -> resources using it
    system_owner: dict[str, ArmResource] = {}  # principal id -> owning resource
    for r in resources:
        if r.system_principal_id:
            system_owner[r.system_principal_id.lower()] = r
        for uami_id in r.user_assigned:
            users_of.setdefault(scope_key(uami_id), []).append(r.id)
    identities: list[ManagedIdentity] = []
    seen: set[str] = set()

    def make(
        principal_id: str, client_id: str, name: str, kind: IdentityKind, resource_id: str, res: ArmResource | None
    ) -> ManagedIdentity:
        sub = subscription_of(resource_id)
        used_by: tuple[str, ...]
        if kind is IdentityKind.USER:
            used_by = tuple(sorted(users_of.get(scope_key(resource_id), []), key=str.lower))
            rtype = UAMI_TYPE
        else:
            used_by = (res.id if res else resource_id,) if resource_id else ()
            rtype = (res.type if res else None) or resource_type_of(resource_id)
        return ManagedIdentity(
            principal_id=principal_id,
            client_id=client_id,
            name=(res.name if res else "") or name or last_segment(resource_id),
            kind=kind,
            resource_id=res.id if res else resource_id,
            subscription_id=sub,
            resource_group=resource_group_of(resource_id),
            location=res.location if res else None,
            used_by=used_by,
            resource_type=rtype,
            visible_in_arm=res is not None,
            tags=res.tags if res else (),
        )

    if directory is not None:
        for d in directory:
            pid = d.principal_id.lower()
            if pid in seen:
                continue
            sub = subscription_of(d.resource_id)
            if wanted is not None and (sub is None or sub not in wanted):
                continue
            kind = IdentityKind.USER if d.user_assigned else IdentityKind.SYSTEM
            res = by_key.get(scope_key(d.resource_id)) if d.resource_id else None
            if res is None and kind is IdentityKind.SYSTEM:
                res = system_owner.get(pid)
            seen.add(pid)
            identities.append(make(d.principal_id, d.client_id, d.display_name, kind, d.resource_id, res))
    # identities ARM shows but Graph did not list (Graph unreadable, or replication lag)
    for r in resources:
        if r.system_principal_id and r.system_principal_id.lower() not in seen:
            seen.add(r.system_principal_id.lower())
            identities.append(make(r.system_principal_id, "", r.name, IdentityKind.SYSTEM, r.id, r))
        if r.is_user_assigned_identity and r.principal_id and r.principal_id.lower() not in seen:
            seen.add(r.principal_id.lower())
            identities.append(make(r.principal_id, r.client_id or "", r.name, IdentityKind.USER, r.id, r))
        for uami_id, (pid, cid) in r.user_assigned.items():
            if pid and pid.lower() not in seen and scope_key(uami_id) not in by_key:
                # attached from a subscription we cannot read
                seen.add(pid.lower())
                identities.append(make(pid, cid or "", last_segment(uami_id), IdentityKind.USER, uami_id, None))
    identities.sort(key=lambda i: (i.name.lower(), i.principal_id))
    return identities


async def _with_arm_user_identities(
    ld: _Loader, identities: list[ManagedIdentity], resources: list[ArmResource], subs: list[Subscription]
) -> list[ManagedIdentity]:
    lists = await asyncio.gather(
        *(
            ld.attempt(
                f"User-assigned identities of {s.display_name}",
                lambda s=s: ld.bounded(lambda: ld.b.list_user_assigned_identities(s.id)),
                [],
            )
            for s in subs
        )
    )
    extra = [u for lst in lists for u in lst]
    return _join_identities(None, resources + extra, None, set(), subs) if extra else identities


def _resource_apps(apps: list[ResourceApp]) -> list[ResourceApp]:
    return [a for a in apps if any(r.is_application_role for r in a.app_roles)]


async def _early_resource_side_grants(
    ld: _Loader, apps_task: asyncio.Future[list[ResourceApp]]
) -> list[AppRoleAssignment] | None:
    """The resource side's grants as soon as the apps are known, when they fit in one $batch; else None."""
    resource_apps = _resource_apps(await apps_task)
    if not resource_apps or math.ceil(len(resource_apps) / BATCH) > 1:
        return None
    return await ld.attempt(
        "App role grants (appRoleAssignedTo)",
        lambda: ld.b.list_app_role_assigned_to([a.id for a in resource_apps]),
        [],
    )


async def _app_role_grants(
    ld: _Loader,
    identities: list[ManagedIdentity],
    apps: list[ResourceApp],
    apps_by_id: dict[str, ResourceApp],
    prefetched: list[AppRoleAssignment] | None = None,
) -> dict[str, list[AppRoleAssignment]]:
    if not identities:
        return {}
    resource_apps = _resource_apps(apps)
    identity_side = math.ceil(len(identities) / BATCH)
    resource_side = math.ceil(len(resource_apps) / BATCH)
    ld.report("app role grants", 0, 1)
    grants: list[AppRoleAssignment] = []
    if prefetched is not None:
        grants = prefetched  # the resource side, read while the rest was loading
    elif resource_apps and resource_side <= identity_side:
        grants = await ld.attempt(
            "App role grants (appRoleAssignedTo)",
            lambda: ld.b.list_app_role_assigned_to([a.id for a in resource_apps]),
            [],
        )
    elif identity_side:
        per = await ld.attempt(
            "App role grants (appRoleAssignments)",
            lambda: ld.b.list_app_role_assignments([i.principal_id for i in identities]),
            {},
        )
        grants = [g for lst in per.values() for g in lst]
    out, count = await off_loop(_grants_by_identity, grants, identities, apps_by_id)
    ld.report("app role grants", 1, 1, f"{count} grants")
    return out


def _grants_by_identity(
    grants: list[AppRoleAssignment], identities: list[ManagedIdentity], apps_by_id: dict[str, ResourceApp]
) -> tuple[dict[str, list[AppRoleAssignment]], int]:
    """(each identity's grants, resolved and sorted; how many)."""
    principals = {i.principal_id.lower() for i in identities}
    out: dict[str, list[AppRoleAssignment]] = {}
    seen: set[str] = set()
    for g in grants:
        pid = g.principal_id.lower()
        if pid not in principals or g.id in seen:
            continue
        seen.add(g.id)
        out.setdefault(pid, []).append(resolve_grant(g, apps_by_id.get(g.resource_id.lower())))
    for items in out.values():
        items.sort(key=lambda a: (-a.privilege.rank, a.resource_display_name.lower(), a.app_role_value.lower()))
    return out, len(seen)


def classified_app(app: ResourceApp) -> ResourceApp:
    """The app with each app role's privilege classified."""
    roles = tuple(
        replace(r, privilege=highest([r.privilege, classify_app_role(app.app_id, r.value)])) for r in app.app_roles
    )
    return replace(app, app_roles=roles)


def resolve_grant(g: AppRoleAssignment, app: ResourceApp | None) -> AppRoleAssignment:
    """Fill in the app role's value, description and privilege from the resource app."""
    if app is None:
        return g
    role = app.role(g.app_role_id)
    return AppRoleAssignment(  # (built directly: dataclasses.replace is three times dearer, per grant)
        g.id,
        g.principal_id,
        g.resource_id,
        g.app_role_id,
        g.principal_display_name,
        g.resource_display_name or app.display_name,
        app.app_id,
        role.value if role else g.app_role_value,
        role.description if role else g.app_role_description,
        role.privilege if role else classify_app_role(app.app_id, g.app_role_value),
        g.created,
    )


def _orphans(
    ld: _Loader,
    orphan_candidates: dict[str, list[RoleAssignment]],
    definitions: dict[str, RoleDefinition],
    existing: set[str] | None,
) -> list[RoleAssignment]:
    """The assignments of service principals that no longer exist (``existing``: which of them getByIds found;
    None when it was not asked or could not be read: then nothing is called orphaned)."""
    if existing is None:
        return []
    resolver = _Resolver(definitions)
    orphans = [
        resolver.resolve(ra, "")
        for pid in sorted(orphan_candidates)
        if pid not in existing
        for ra in orphan_candidates[pid]
    ]
    orphans.sort(key=lambda a: (scope_key(a.scope), a.role_name.lower()))
    ld.report("orphaned assignments", 1, 1, f"{len(orphans)} orphaned")
    return orphans
