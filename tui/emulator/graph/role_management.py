"""Entra directory roles: ``/roleManagement/directory/roleDefinitions`` and ``/roleAssignments``.

Spec: microsoft-graph-docs api-reference/v1.0/api/rbacapplication-list-roledefinitions.md,
unifiedroledefinition-get.md, rbacapplication-list-roleassignments.md, rbacapplication-post-roleassignments.md,
unifiedroleassignment-get.md, unifiedroleassignment-delete.md. The role definitions are Entra's built-in roles
(``tui/data/entra-roles.json``); ``id`` equals ``templateId`` for each of them, and either is accepted where a
role definition id is asked for.
"""

from __future__ import annotations

from typing import Any

from tui.emulator import catalog
from tui.emulator.graph import query as q
from tui.emulator.graph.call import V1, GraphCall, GraphResult, object_body
from tui.emulator.graph.objects import not_found
from tui.emulator.graph.paging import context_url, page, select_fields
from tui.emulator.graph.permissions import ROLE_READ_ROLES, require_read, require_role_write
from tui.emulator.graph.shapes import (
    ROLE_ASSIGNMENT_PROPERTIES,
    ROLE_DEFINITION_PROPERTIES,
    directory_object_json,
    role_assignment_json,
    role_definition_json,
)
from tui.emulator.ids import directory_role_assignment_id, is_guid
from tui.emulator.tenant import DirectoryRoleAssignment, Group, ServicePrincipal, User
from tui.emulator.wire import ApiError

BASE = "roleManagement/directory"
_RD_TYPE = "microsoft.graph.unifiedRoleDefinition"
_RA_TYPE = "microsoft.graph.unifiedRoleAssignment"


def _props(*names: str) -> dict[str, tuple[str, bool]]:
    return {n.lower(): (n, False) for n in names}


# $filter supports eq and in on id, displayName, isBuiltIn (rbacapplication-list-roledefinitions.md); templateId too.
_RD_FILTER = _props("id", "displayName", "isBuiltIn", "isEnabled", "templateId")
_RA_FILTER = _props("id", "principalId", "roleDefinitionId", "directoryScopeId")


def _rd_get(role: dict, prop: str) -> Any:
    return role.get(prop)


def _ra_get(assignment: DirectoryRoleAssignment, prop: str) -> Any:
    return {
        "id": assignment.id,
        "principalId": assignment.principal_id,
        "roleDefinitionId": assignment.role_definition_id,
        "directoryScopeId": assignment.directory_scope_id,
    }[prop]


def _only_eq_and_in(text: str) -> None:
    """roleManagement answers ``eq`` and ``in`` only: anything else is Graph's 400."""
    lowered = f" {text.lower()} "
    for word in (" ne ", " not ", " startswith(", " endswith(", " ge ", " le ", " any("):
        if word in lowered:
            raise ApiError(400, "Request_UnsupportedQuery", "Unsupported query.")


# --- role definitions -----------------------------------------------------------------------------------------------
def list_role_definitions(call: GraphCall) -> GraphResult:
    require_read(call, ROLE_READ_ROLES)
    text = call.query.get("$filter", "")
    _only_eq_and_in(text)
    flt = q.parse_filter(text, _RD_FILTER, _rd_get, "unifiedRoleDefinition")
    select = q.parse_select(call.query.get("$select"), ROLE_DEFINITION_PROPERTIES, _RD_TYPE)
    roles = [r for r in catalog.entra_role_definitions() if flt.predicate(r)]
    context = f"{BASE}/roleDefinitions" + (f"({','.join(select)})" if select else "")
    # the directory provider answers every matching role on one page
    value = [select_fields(role_definition_json(r), select) for r in roles]
    return GraphResult(200, {"@odata.context": context_url(call, context), "value": value})


def get_role_definition(call: GraphCall) -> GraphResult:
    require_read(call, ROLE_READ_ROLES)
    key = call.params["definition_id"]
    role = catalog.entra_role(key) if is_guid(key) else None
    if role is None:
        raise not_found(key)
    select = q.parse_select(call.query.get("$select"), ROLE_DEFINITION_PROPERTIES, _RD_TYPE)
    context = context_url(call, f"{BASE}/roleDefinitions" + (f"({','.join(select)})" if select else "") + "/$entity")
    return GraphResult(200, {"@odata.context": context, **select_fields(role_definition_json(role), select)})


# --- role assignments -----------------------------------------------------------------------------------------------
def _expand(call: GraphCall) -> list[str]:
    raw = call.query.get("$expand")
    if raw is None or not raw.strip():
        return []
    out = []
    for part in raw.split(","):
        name = part.strip()
        canonical = {"roledefinition": "roleDefinition", "principal": "principal"}.get(name.lower())
        if canonical is None:
            raise ApiError(
                400, "Request_BadRequest", f"Could not find a navigation property named '{name}' on type '{_RA_TYPE}'."
            )
        out.append(canonical)
    return out


def _assignment_out(call: GraphCall, assignment: DirectoryRoleAssignment, expand: list[str]) -> dict[str, Any]:
    body = role_assignment_json(assignment)
    if "principal" in expand:
        holder = call.tenant.directory_object(assignment.principal_id)
        body["principal"] = None if holder is None else directory_object_json(holder, call.tenant)
    if "roleDefinition" in expand:
        role = catalog.entra_role(assignment.role_definition_id)
        body["roleDefinition"] = None if role is None else role_definition_json(role)
    return body


def _context(expand: list[str], select: list[str] | None) -> str:
    inner = [*(select or []), *(f"{e}()" for e in expand)]
    return f"{BASE}/roleAssignments" + (f"({','.join(inner)})" if inner else "")


def list_role_assignments(call: GraphCall) -> GraphResult:
    require_read(call, ROLE_READ_ROLES)
    text = call.query.get("$filter", "")
    _only_eq_and_in(text)
    flt = q.parse_filter(text, _RA_FILTER, _ra_get, "unifiedRoleAssignment")
    select = q.parse_select(call.query.get("$select"), ROLE_ASSIGNMENT_PROPERTIES, _RA_TYPE)
    expand = _expand(call)
    with call.tenant.lock:
        found = [a for a in call.tenant.directory_role_assignments.values() if flt.predicate(a)]
        if select is not None:
            select = [*select, *expand]
        return page(call, found, lambda a: _assignment_out(call, a, expand), _context(expand, select), select, False)


def _assignment(call: GraphCall) -> DirectoryRoleAssignment:
    aid = call.params["assignment_id"]
    found = call.tenant.directory_role_assignments.get(aid)
    if found is None:
        raise not_found(aid)
    return found


def get_role_assignment(call: GraphCall) -> GraphResult:
    require_read(call, ROLE_READ_ROLES)
    expand = _expand(call)
    with call.tenant.lock:
        body = _assignment_out(call, _assignment(call), expand)
    return GraphResult(200, {"@odata.context": context_url(call, _context(expand, None) + "/$entity"), **body})


def _id_field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(
            400,
            "Request_BadRequest",
            f"Invalid value specified for property '{name}' of resource 'UnifiedRoleAssignment'.",
        )
    return value.strip()


def create_role_assignment(call: GraphCall) -> GraphResult:
    body = object_body(call)
    principal_id = _id_field(body, "principalId")
    role_id = _id_field(body, "roleDefinitionId")
    scope = body.get("directoryScopeId")
    if body.get("appScopeId") is not None or scope is None:
        raise ApiError(
            400, "Request_BadRequest", "Either directoryScopeId or appScopeId must be specified, and only one of them."
        )
    if scope != "/":
        raise ApiError(400, "Request_BadRequest", f"The directory scope '{scope}' is not supported by this tenant.")
    with call.tenant.lock:
        require_role_write(call)
        role = catalog.entra_role(role_id) if is_guid(role_id) else None
        if role is None:
            raise not_found(role_id)
        holder = call.tenant.directory_object(principal_id) if is_guid(principal_id) else None
        if holder is None or call.tenant.replicating(principal_id):
            raise not_found(principal_id)
        if isinstance(holder, Group) and not holder.is_assignable_to_role:
            raise ApiError(
                400,
                "Request_BadRequest",
                "Cannot assign a role to a group that is not role-assignable (isAssignableToRole is false).",
            )
        aid = directory_role_assignment_id(role["id"], holder.id)
        if aid in call.tenant.directory_role_assignments:
            # observed: Graph answers a duplicate with the directory's conflict error (dod-ccpo/atat PR #1554)
            raise ApiError(
                400,
                "Request_BadRequest",
                "A conflicting object with one or more of the specified property values is present in the directory.",
            )
        assignment = DirectoryRoleAssignment(id=aid, principal_id=holder.id, role_definition_id=role["id"])
        call.tenant.directory_role_assignments[aid] = assignment
        if isinstance(holder, User | ServicePrincipal) and role["displayName"] not in holder.directory_roles:
            holder.directory_roles.append(role["displayName"])
        out = {
            "@odata.context": context_url(call, f"{BASE}/roleAssignments/$entity"),
            **role_assignment_json(assignment),
        }
        location = f"{call.ctx.graph_url}{V1}/{BASE}/roleAssignments/{aid}"
        return GraphResult(201, out, {"Location": location})


def delete_role_assignment(call: GraphCall) -> GraphResult:
    with call.tenant.lock:
        require_role_write(call)
        assignment = _assignment(call)
        del call.tenant.directory_role_assignments[assignment.id]
        holder = call.tenant.directory_object(assignment.principal_id)
        role = catalog.entra_role(assignment.role_definition_id)
        if isinstance(holder, User | ServicePrincipal) and role is not None:
            still = any(
                a.principal_id == holder.id and a.role_definition_id == role["id"]
                for a in call.tenant.directory_role_assignments.values()
            )
            if not still and role["displayName"] in holder.directory_roles:
                holder.directory_roles.remove(role["displayName"])
        return GraphResult(204)
