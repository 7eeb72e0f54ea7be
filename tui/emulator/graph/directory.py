"""Directory objects (getByIds, by id), the signed-in user and users.

getByIds: microsoft-graph-docs api-reference/v1.0/api/directoryobject-getbyids.md. Without ``types`` it searches
every directory object type ("the default is directoryObject, which contains all of the resource types defined in
the directory"): users, service principals and groups here."""

from __future__ import annotations

from tui.emulator.graph import query as q
from tui.emulator.graph.call import GraphCall, GraphResult, object_body
from tui.emulator.graph.objects import not_found
from tui.emulator.graph.paging import context_url, select_fields
from tui.emulator.graph.permissions import is_app, require_read
from tui.emulator.graph.shapes import (
    GROUP_PROPERTIES,
    SP_PROPERTIES,
    USER_PROPERTIES,
    group_json,
    sp_json,
    sp_json_selected,
    user_json,
)
from tui.emulator.ids import is_guid
from tui.emulator.tenant import Group, ServicePrincipal, User
from tui.emulator.wire import ApiError

MAX_GET_BY_IDS = 1000


def utc_now():  # noqa: ANN202 - a datetime
    from datetime import UTC, datetime

    return datetime.now(UTC)


def get_by_ids(call: GraphCall) -> GraphResult:
    require_read(call)
    body = object_body(call)
    ids = body.get("ids")
    types = body.get("types")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ApiError(
            400, "Request_BadRequest", "Invalid value specified for property 'ids' of resource 'directoryObject'."
        )
    if len(ids) > MAX_GET_BY_IDS:
        raise ApiError(400, "Request_BadRequest", f"The 'ids' collection accepts at most {MAX_GET_BY_IDS} items.")
    wanted: set[str] | None = None
    if types is not None:
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise ApiError(400, "Request_BadRequest", "Invalid value specified for property 'types'.")
        wanted = {t.lower().removeprefix("microsoft.graph.") for t in types}
    select = q.parse_select(
        call.query.get("$select"),
        sorted(set(SP_PROPERTIES) | set(USER_PROPERTIES) | set(GROUP_PROPERTIES)),
        "microsoft.graph.directoryObject",
    )
    value = []
    with call.tenant.lock:
        for object_id in ids:
            if not is_guid(object_id):
                raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{object_id}'.")
            obj = call.tenant.directory_object(object_id)
            if isinstance(obj, Group) and (wanted is None or "group" in wanted):
                value.append({"@odata.type": "#microsoft.graph.group", **select_fields(group_json(obj), select)})
            elif isinstance(obj, User) and (wanted is None or "user" in wanted):
                value.append({"@odata.type": "#microsoft.graph.user", **select_fields(user_json(obj), select)})
            elif isinstance(obj, ServicePrincipal) and (wanted is None or "serviceprincipal" in wanted):
                value.append(
                    {"@odata.type": "#microsoft.graph.servicePrincipal", **sp_json_selected(obj, call.tenant, select)}
                )
    return GraphResult(200, {"@odata.context": context_url(call, "directoryObjects"), "value": value})


def get_directory_object(call: GraphCall) -> GraphResult:
    require_read(call)
    object_id = call.params["object_id"]
    if not is_guid(object_id):
        raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{object_id}'.")
    with call.tenant.lock:
        obj = call.tenant.principal(object_id)
        if obj is None:
            raise not_found(object_id)
        if isinstance(obj, User):
            item = {"@odata.type": "#microsoft.graph.user", **user_json(obj)}
        else:
            item = {"@odata.type": "#microsoft.graph.servicePrincipal", **sp_json(obj, call.tenant)}
    return GraphResult(200, {"@odata.context": context_url(call, "directoryObjects/$entity"), **item})


def get_me(call: GraphCall) -> GraphResult:
    if not isinstance(call.caller, User):
        raise ApiError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
    return GraphResult(200, {"@odata.context": context_url(call, "users/$entity"), **user_json(call.caller)})


def get_user(call: GraphCall) -> GraphResult:
    if is_app(call):
        require_read(
            call, frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"})
        )
    key = call.params["user_id"]
    with call.tenant.lock:
        user = call.tenant.users.get(key.lower()) or next(
            (u for u in call.tenant.users.values() if u.user_principal_name.lower() == key.lower()), None
        )
        if user is None:
            raise not_found(key)
        return GraphResult(200, {"@odata.context": context_url(call, "users/$entity"), **user_json(user)})
