"""The tenant's truth and the irreducible request plan: the fewest requests a full inventory needs (``min_requests``)
and the longest chain of them that must follow one another (``bound_s`` = that chain times the latency)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def pages(count: int, page_size: int) -> int:
    """Requests to read a listing of ``count`` items: at least one (an empty listing is one request too)."""
    return max(1, math.ceil(count / page_size))


@dataclass
class Plan:
    """What the tenant requires, request by request, and the chain of requests that must follow one another."""

    counts: dict[str, int]  # the tenant's size as the loader sees it
    requests: dict[str, int]  # step -> fewest requests
    chains: dict[str, int]  # chain -> requests that must follow one another
    truth: dict[str, int]  # what a correct inventory holds (to check the loader's answer)

    @property
    def min_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def critical_path(self) -> int:
        return max(self.chains.values())


def request_plan(subs: int, ids: int, seed: int) -> Plan:
    """Build the generated tenant in-process (the same one the emulator serves) and derive the fewest requests
    and the critical path of a full inventory from its actual counts and the emulator's page sizes.

    The irreducible request pattern, step by step (page sizes are the emulator's constants, the same as Azure's):

    1. ARM ``GET /subscriptions``: pages(subscriptions, SUBSCRIPTIONS_PAGE_SIZE). Everything per subscription
       needs its id, so each per-subscription chain starts after it.
    2. Per visible subscription, concurrently:
       * ``GET /subscriptions/{id}/resources``: pages(resources in it, RESOURCES_PAGE_SIZE). Needed for what Graph
         does not say: which resources use which user-assigned identity, the identities' location and tags, and
         whether the resource still exists. ARM has no server-side filter on "has an identity", so every resource
         page is read.
       * role assignments, ONE listing at the subscription scope (it includes the assignments below it and those
         inherited from above): pages(assignments around it, ROLE_ASSIGNMENTS_PAGE_SIZE). Never one per identity.
    3. Role definitions: the built-in ones are the same everywhere: ONE listing (ROLE_DEFINITIONS_PAGE_SIZE holds
       them all); custom ones only where an assignment references one, one listing per such subscription, after
       that subscription's assignments are known (+1 on that chain).
    4. Graph, tenant-wide: ``servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'&$top=999``:
       pages(managed identities, MAX_PAGE), strictly sequential (each page's nextLink comes with the previous page).
       This is usually the longest chain.
    5. Graph resource apps (``servicePrincipalType eq 'Application'``, $top=999): pages(applications, MAX_PAGE).
       Needed in any case: an app role grant names its role by id only; its value, description and privilege come
       from the resource app's ``appRoles``.
    6. App role grants, by the cheaper side: the resource side is ``appRoleAssignedTo`` of every resource app that
       exposes application app roles, their first pages 20 to a ``$batch`` (MAX_BATCH_REQUESTS), then each app's
       further pages (999 each) through its nextLink; the identity side is ``appRoleAssignments`` of every identity,
       20 to a ``$batch``, plus further pages. The plan takes the cheaper. On the resource side the chain is: the
       apps listing, the batch, then the further pages of the app with the most grants, one after the other.
    7. Orphaned role assignments, creators and group names: assignments to a service principal that is neither a
       managed identity nor an app may point at a deleted principal; the assignments shown name their creator by
       object id (``createdBy``); the groups that hold Azure roles are known by id only. ONE
       ``directoryObjects/getByIds`` per 1000 ids (MAX_GET_BY_IDS) answers all three. The orphan candidates are
       known only once the assignments AND the directory listings (4, 5) are in, so it adds one request at the end
       of the longest of those chains.
    8. Entra directory roles, tenant-wide from the start: the role definitions (ONE listing: the directory
       provider answers every role on one page) and the role assignments (ONE listing, Graph's default page of
       DEFAULT_PAGE, the principal expanded: no request per principal to tell groups from users).
    9. Rights through groups: the groups that hold an Azure role (ARM assignments with principalType Group) or a
       directory role: their transitive service-principal members, 20 groups to a ``$batch``, then each group's
       further pages (999). The groups are known once every subscription's assignments (2) and the directory
       role assignments (8) are in: one round after the longer of the two.

    Not counted: token requests (two, one per audience; the emulator serves them without latency) and ARM's
    ``/metadata/endpoints`` (part of signing in, before the inventory starts). Not assumed: packing the first pages
    of unrelated Graph listings into one ``$batch`` (it would save at most 2 requests here and no latency on the
    critical path, since each listing's further pages still follow one another); ARM's undocumented batch endpoint.
    """
    from tui.emulator import rbac
    from tui.emulator.arm import paging as arm_api
    from tui.emulator.graph.batch import MAX_BATCH_REQUESTS
    from tui.emulator.graph.directory import MAX_GET_BY_IDS
    from tui.emulator.graph.paging import DEFAULT_PAGE, MAX_PAGE
    from tui.emulator.tenant import arm_key
    from tui.emulator.tenants.generated import build_generated_tenant

    tenant = build_generated_tenant(subs, ids, seed)
    caller = tenant.admin_user_id  # the principal the emulator's token endpoints sign in by default
    visible = [
        s
        for s in tenant.subscriptions.values()
        if rbac.has_any_right_in(tenant, caller, f"/subscriptions/{s.subscription_id}")
    ]
    visible_keys = {s.subscription_id.lower() for s in visible}

    resources_per_sub: dict[str, int] = {}
    for key in tenant.resources:
        parts = key.split("/")
        if len(parts) > 2 and parts[2] in visible_keys:
            resources_per_sub[parts[2]] = resources_per_sub.get(parts[2], 0) + 1

    custom = {name for name, rd in tenant.role_definitions.items() if rd.role_type == "CustomRole"}
    ras_per_sub: dict[str, int] = {}
    subs_needing_custom: set[str] = set()
    seen_ras: dict[int, Any] = {}
    for s in visible:
        found = rbac.assignments_around(tenant, f"/subscriptions/{s.subscription_id}", below=True)
        ras_per_sub[s.subscription_id.lower()] = len(found)
        for ra in found:
            seen_ras[id(ra)] = ra
            if ra.role_definition_name in custom:
                subs_needing_custom.add(s.subscription_id.lower())

    sps = tenant.service_principals.values()
    mi_ids = {sp.id.lower() for sp in sps if sp.service_principal_type == "ManagedIdentity"}
    app_ids = {sp.id.lower() for sp in sps if sp.service_principal_type == "Application"}
    resource_apps = [
        sp
        for sp in sps
        if sp.service_principal_type == "Application"
        and any("Application" in (r.get("allowedMemberTypes") or []) for r in sp.app_roles)
    ]
    grants_per_app: dict[str, int] = {}
    grants_per_mi: dict[str, int] = {}
    grants_to_mis = 0
    for g in tenant.app_role_assignments.values():
        grants_per_app[g.resource_id.lower()] = grants_per_app.get(g.resource_id.lower(), 0) + 1
        if g.principal_id.lower() in mi_ids:
            grants_per_mi[g.principal_id.lower()] = grants_per_mi.get(g.principal_id.lower(), 0) + 1
            grants_to_mis += 1
    ras = list(seen_ras.values())
    orphan_candidates = {
        ra.principal_id.lower()
        for ra in ras
        if ra.principal_type == "ServicePrincipal"
        and ra.principal_id.lower() not in mi_ids
        and ra.principal_id.lower() not in app_ids
    }
    # groups: those holding an Azure role (in the visible subscriptions) or a directory role, and their members
    arm_groups = {ra.principal_id.lower() for ra in ras if ra.principal_type == "Group"}
    directory_ras = list(tenant.directory_role_assignments.values())
    role_groups = {a.principal_id.lower() for a in directory_ras if a.principal_id.lower() in tenant.groups}
    holding_groups = arm_groups | role_groups
    groups_of_mi = {
        pid: {g.id for g in tenant.groups_of(pid, transitive=True) if g.id in holding_groups} for pid in mi_ids
    }
    sp_members = {gid: 0 for gid in holding_groups}  # group -> its transitive service-principal members
    for sp in sps:
        for g in tenant.groups_of(sp.id, transitive=True):
            if g.id in sp_members:
                sp_members[g.id] += 1
    # what the identities hold: their own, and through their groups
    ras_by_principal: dict[str, int] = {}
    for ra in ras:
        ras_by_principal[ra.principal_id.lower()] = ras_by_principal.get(ra.principal_id.lower(), 0) + 1
    ras_to_mis = sum(
        ras_by_principal.get(pid, 0) + sum(ras_by_principal.get(g, 0) for g in groups_of_mi[pid]) for pid in mi_ids
    )
    dras_by_principal: dict[str, int] = {}
    for a in directory_ras:
        dras_by_principal[a.principal_id.lower()] = dras_by_principal.get(a.principal_id.lower(), 0) + 1
    dras_to_mis = sum(
        dras_by_principal.get(pid, 0) + sum(dras_by_principal.get(g, 0) for g in groups_of_mi[pid]) for pid in mi_ids
    )
    # getByIds: the orphan candidates, who created the assignments shown, the groups holding Azure roles
    shown = mi_ids | orphan_candidates | arm_groups
    creators = {ra.created_by.lower() for ra in ras if ra.created_by and ra.principal_id.lower() in shown}
    by_ids_wanted = orphan_candidates | creators | arm_groups
    builtin_defs = sum(1 for rd in tenant.role_definitions.values() if rd.role_type == "BuiltInRole")

    page_g, batch, by_ids = MAX_PAGE, MAX_BATCH_REQUESTS, MAX_GET_BY_IDS
    subs_pages = pages(len(tenant.subscriptions), arm_api.SUBSCRIPTIONS_PAGE_SIZE)
    res_pages = {k: pages(resources_per_sub.get(k, 0), arm_api.RESOURCES_PAGE_SIZE) for k in visible_keys}
    ra_pages = {k: pages(ras_per_sub.get(k, 0), arm_api.ROLE_ASSIGNMENTS_PAGE_SIZE) for k in visible_keys}
    mi_pages = pages(len(mi_ids), page_g)
    app_pages = pages(len(app_ids), page_g)

    resource_side = math.ceil(len(resource_apps) / batch) + sum(
        pages(grants_per_app.get(a.id.lower(), 0), page_g) - 1 for a in resource_apps
    )
    identity_side = math.ceil(len(mi_ids) / batch) + sum(pages(n, page_g) - 1 for n in grants_per_mi.values())
    use_resource_side = resource_side <= identity_side
    grant_requests = min(resource_side, identity_side) if mi_ids else 0
    if use_resource_side:
        longest_app = max((pages(grants_per_app.get(a.id.lower(), 0), page_g) for a in resource_apps), default=0)
        grants_chain = app_pages + longest_app if resource_apps else 0
    else:
        grants_chain = 1 + max((pages(n, page_g) for n in grants_per_mi.values()), default=1)

    dra_pages = pages(len(directory_ras), DEFAULT_PAGE)
    longest_members = max((pages(n, page_g) for n in sp_members.values()), default=1)
    member_requests = math.ceil(len(holding_groups) / batch) + sum(pages(n, page_g) - 1 for n in sp_members.values())

    requests = {
        "ARM subscriptions": subs_pages,
        "ARM resources": sum(res_pages.values()),
        "ARM role assignments": sum(ra_pages.values()),
        "ARM role definitions": pages(builtin_defs, arm_api.ROLE_DEFINITIONS_PAGE_SIZE) + len(subs_needing_custom),
        "Graph managed identities": mi_pages,
        "Graph resource apps": app_pages,
        "Graph app role grants": grant_requests,
        "Graph getByIds (orphans, creators, groups)": math.ceil(len(by_ids_wanted) / by_ids),
        "Graph directory role definitions": 1,
        "Graph directory role assignments": dra_pages,
        "Graph group members": member_requests,
    }
    arm_chain = subs_pages + max(
        (max(res_pages[k], ra_pages[k] + (1 if k in subs_needing_custom else 0)) for k in visible_keys), default=0
    )
    ra_chain = subs_pages + max(ra_pages.values(), default=0)
    chains = {
        "ARM subscriptions → per-subscription listings": arm_chain,
        "ARM role definitions": pages(builtin_defs, arm_api.ROLE_DEFINITIONS_PAGE_SIZE),
        "Graph managed identities": mi_pages,
        "Graph apps → app role grants": grants_chain,
    }
    if by_ids_wanted:
        chains["… → getByIds (orphans, creators, groups)"] = max(ra_chain, mi_pages, app_pages) + 1
    chains["Graph directory role assignments"] = dra_pages
    if holding_groups:
        chains["… → group members"] = max(ra_chain, dra_pages) + longest_members
    counts = {
        "subscriptions": len(tenant.subscriptions),
        "visible subscriptions": len(visible),
        "resources": sum(resources_per_sub.values()),
        "role assignments listed": len(ras),
        "managed identities": len(mi_ids),
        "applications": len(app_ids),
        "resource apps": len(resource_apps),
        "app role grants": len(tenant.app_role_assignments),
        "orphan candidates": len(orphan_candidates),
        "directory role assignments": len(directory_ras),
        "groups holding rights": len(holding_groups),
        "identities in them": sum(1 for g in groups_of_mi.values() if g),
        "creators": len(creators),
        "max resources/sub": max(resources_per_sub.values(), default=0),
        "max assignments/sub": max(ras_per_sub.values(), default=0),
    }
    truth = {
        "identities": len(mi_ids),
        "role assignments of identities": ras_to_mis,
        "app role grants of identities": grants_to_mis,
        "directory roles of identities": dras_to_mis,
    }
    del tenant, ras, seen_ras
    _ = arm_key  # (imported to show where the emulator's id keys come from)
    return Plan(counts=counts, requests=requests, chains=chains, truth=truth)
