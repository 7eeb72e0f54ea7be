"""Groups, their members, and what a service principal is a member of.

Spec: microsoft-graph-docs api-reference/v1.0/api/group-list.md, group-get.md, group-list-members.md,
group-list-transitivemembers.md, group-post-members.md, group-delete-members.md, serviceprincipal-list-memberof.md,
serviceprincipal-list-transitivememberof.md. ``memberOf`` lists the groups and the (activated) directory roles a
service principal holds directly; ``transitiveMemberOf`` adds the groups it is in through nesting and the
directory roles of its role-assignable groups. Service principals inherit no app roles through groups.
"""

from __future__ import annotations

from typing import Any

from tui.emulator import catalog
from tui.emulator.graph import query as q
from tui.emulator.graph.call import GraphCall, GraphResult, object_body
from tui.emulator.graph.objects import not_found, sp_from_params
from tui.emulator.graph.paging import context_url, count_flag, page, select_fields
from tui.emulator.graph.permissions import GROUP_READ_ROLES, READ_ROLES, require_member_write, require_read
from tui.emulator.graph.shapes import (
    GROUP_PROPERTIES,
    SP_PROPERTIES,
    USER_PROPERTIES,
    directory_object_json,
    directory_role_json,
    group_json,
)
from tui.emulator.ids import is_guid
from tui.emulator.tenant import Group, ServicePrincipal, User
from tui.emulator.wire import ApiError

_GROUP_TYPE = "microsoft.graph.group"
_GROUP_FILTER = {
    p.lower(): (p, many)
    for p, many in (
        ("id", False),
        ("displayName", False),
        ("description", False),
        ("mailNickname", False),
        ("securityEnabled", False),
        ("mailEnabled", False),
        ("isAssignableToRole", False),
        ("groupTypes", True),
    )
}
_GROUP_GETTERS = {
    "id": lambda g: g.id,
    "displayName": lambda g: g.display_name,
    "description": lambda g: g.description,
    "mailNickname": lambda g: g.mail_nickname,
    "securityEnabled": lambda g: g.security_enabled,
    "mailEnabled": lambda g: g.mail_enabled,
    "isAssignableToRole": lambda g: g.is_assignable_to_role,
    "groupTypes": lambda g: g.group_types,
}
# OData casts on a directoryObject collection: segment -> (@odata.type, context)
CASTS = {
    "microsoft.graph.group": ("#microsoft.graph.group", "groups"),
    "microsoft.graph.serviceprincipal": ("#microsoft.graph.servicePrincipal", "servicePrincipals"),
    "microsoft.graph.user": ("#microsoft.graph.user", "users"),
    "microsoft.graph.directoryrole": ("#microsoft.graph.directoryRole", "directoryRoles"),
}
CASTS |= {k.removeprefix("microsoft."): v for k, v in CASTS.items()}  # msgraph-sdk writes graph.servicePrincipal


def _group_get(group: Group, prop: str) -> Any:
    return _GROUP_GETTERS[prop](group)


def _group(call: GraphCall) -> Group:
    gid = call.params["group_id"]
    if not is_guid(gid):
        raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{gid}'.")
    group = call.tenant.groups.get(gid.lower())
    if group is None:
        raise not_found(gid)
    return group


def _cast(call: GraphCall) -> tuple[str, str] | None:
    raw = call.params.get("cast")
    if raw is None:
        return None
    found = CASTS.get(raw.lower())
    if found is None:
        raise ApiError(400, "BadRequest", f"Resource not found for the segment '{raw}'.")
    return found


# --- groups -------------------------------------------------------------------------------------------------------
def list_groups(call: GraphCall) -> GraphResult:
    require_read(call, GROUP_READ_ROLES)
    flt = q.parse_filter(call.query.get("$filter", ""), _GROUP_FILTER, _group_get, "Group")
    if flt.advanced and not call.eventual:
        raise ApiError(
            400,
            "Request_UnsupportedQuery",
            "This filter needs advanced query capabilities: send 'ConsistencyLevel: eventual' and $count=true.",
        )
    select = q.parse_select(call.query.get("$select"), GROUP_PROPERTIES, _GROUP_TYPE)
    with call.tenant.lock:
        found = [g for g in call.tenant.groups.values() if flt.predicate(g)]
        context = "groups" + (f"({','.join(select)})" if select else "")
        return page(call, found, group_json, context, select, False)


def get_group(call: GraphCall) -> GraphResult:
    require_read(call, GROUP_READ_ROLES)
    select = q.parse_select(call.query.get("$select"), GROUP_PROPERTIES, _GROUP_TYPE)
    with call.tenant.lock:
        group = _group(call)
        context = context_url(call, "groups" + (f"({','.join(select)})" if select else "") + "/$entity")
        return GraphResult(200, {"@odata.context": context, **select_fields(group_json(group), select)})


def list_members(call: GraphCall) -> GraphResult:
    require_read(call, GROUP_READ_ROLES)
    cast = _cast(call)
    with call.tenant.lock:
        group = _group(call)
        members = [m for mid in group.members if (m := call.tenant.directory_object(mid)) is not None]
        items = [directory_object_json(m, call.tenant) for m in members]
        if cast is not None:
            items = [i for i in items if i["@odata.type"] == cast[0]]
        return page(call, items, lambda i: i, cast[1] if cast else "directoryObjects", None, False)


def _nested_members(call: GraphCall, group: Group) -> list[User | ServicePrincipal | Group]:
    """Every member of ``group``, direct or through the groups among its members (each once, nearest first)."""
    t = call.tenant
    out: list[User | ServicePrincipal | Group] = []
    seen = {group.id}
    frontier = [group]
    while frontier:
        nxt: list[Group] = []
        for g in frontier:
            for mid in g.members:
                if mid in seen or (m := t.directory_object(mid)) is None:
                    continue
                seen.add(mid)
                out.append(m)
                if isinstance(m, Group):
                    nxt.append(m)
        frontier = nxt
    return out


_MEMBER_SELECT = sorted(set(SP_PROPERTIES) | set(USER_PROPERTIES) | set(GROUP_PROPERTIES))


def list_transitive_members(call: GraphCall) -> GraphResult:
    """``GET /groups/{id}/transitiveMembers[/{cast}]`` (group-list-transitivemembers.md): the flat list of every
    nested member. "To filter the results on the OData type ... you must use the advanced query parameters": the
    ``ConsistencyLevel: eventual`` header and ``$count=true``. Without both, Graph has been observed to answer a
    ``microsoft.graph.servicePrincipal`` cast with 200 and an empty collection (not an error), and so does this."""
    require_read(call, GROUP_READ_ROLES)
    cast = _cast(call)
    count = count_flag(call)
    if count and not call.eventual:
        raise ApiError(
            400, "Request_BadRequest", "$count is only supported with the 'ConsistencyLevel: eventual' header."
        )
    select = q.parse_select(call.query.get("$select"), _MEMBER_SELECT, "microsoft.graph.directoryObject")
    with call.tenant.lock:
        group = _group(call)
        items = [directory_object_json(m, call.tenant) for m in _nested_members(call, group)]
        if cast is not None:
            items = [i for i in items if i["@odata.type"] == cast[0]] if call.eventual and count else []
        elif select:  # a mixed collection keeps saying what each item is
            select = ["@odata.type", *select]
        context = cast[1] if cast else "directoryObjects"
        context += f"({','.join(s for s in select if s[0] != '@')})" if select else ""
        return page(call, items, lambda i: i, context, select, count)


_REF_PREFIXES = ("directoryobjects/", "users/", "serviceprincipals/", "groups/")


def _member_ref(call: GraphCall) -> str:
    body = object_body(call)
    ref = body.get("@odata.id")
    if not isinstance(ref, str) or not ref.strip():
        raise ApiError(400, "Request_BadRequest", "Invalid OData reference: the '@odata.id' property is required.")
    tail = ref.strip().rstrip("/")
    lowered = tail.lower()
    for prefix in _REF_PREFIXES:
        at = lowered.rfind("/" + prefix)
        if at >= 0 or lowered.startswith(prefix):
            object_id = tail[at + 1 + len(prefix) :] if at >= 0 else tail[len(prefix) :]
            if is_guid(object_id):
                return object_id.lower()
    raise ApiError(400, "Request_BadRequest", f"Invalid OData reference '{ref}'.")


def add_member(call: GraphCall) -> GraphResult:
    member_id = _member_ref(call)
    with call.tenant.lock:
        group = _group(call)
        require_member_write(call, group.is_assignable_to_role)
        member = call.tenant.directory_object(member_id)
        if member is None or call.tenant.replicating(member_id):
            raise not_found(member_id)
        if isinstance(member, Group) and group.is_assignable_to_role:
            raise ApiError(400, "Request_BadRequest", "A group cannot be added as a member of a role-assignable group.")
        if member.id == group.id or not call.tenant.add_member(group, member.id):
            raise ApiError(
                400,
                "Request_BadRequest",
                "One or more added object references already exist for the following modified properties: 'members'.",
            )
        return GraphResult(204)


def remove_member(call: GraphCall) -> GraphResult:
    member_id = call.params["member_id"]
    with call.tenant.lock:
        group = _group(call)
        require_member_write(call, group.is_assignable_to_role)
        if not is_guid(member_id) or not call.tenant.remove_member(group, member_id):
            raise not_found(member_id)
        return GraphResult(204)


# --- what a service principal is a member of ------------------------------------------------------------------
def _memberships(call: GraphCall, sp: ServicePrincipal, transitive: bool) -> list[dict]:
    t = call.tenant
    groups = t.groups_of(sp.id, transitive=transitive)
    holders = {sp.id} | ({g.id for g in groups if g.is_assignable_to_role} if transitive else set())
    items = [directory_object_json(g, t) for g in groups]
    seen: set[str] = set()
    for a in t.directory_role_assignments.values():
        if a.principal_id in holders and a.role_definition_id not in seen:
            role = catalog.entra_role(a.role_definition_id)
            if role is not None:
                seen.add(a.role_definition_id)
                items.append({"@odata.type": "#microsoft.graph.directoryRole", **directory_role_json(role, t)})
    return items


def _member_of(call: GraphCall, transitive: bool) -> GraphResult:
    require_read(call, READ_ROLES | GROUP_READ_ROLES)
    cast = _cast(call)
    with call.tenant.lock:
        sp = sp_from_params(call)
        items = _memberships(call, sp, transitive)
        if cast is not None:
            items = [i for i in items if i["@odata.type"] == cast[0]]
        return page(call, items, lambda i: i, cast[1] if cast else "directoryObjects", None, False)


def list_member_of(call: GraphCall) -> GraphResult:
    return _member_of(call, transitive=False)


def list_transitive_member_of(call: GraphCall) -> GraphResult:
    return _member_of(call, transitive=True)
