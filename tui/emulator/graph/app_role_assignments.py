"""App role assignments, from either side: the identity (appRoleAssignments) or the resource (appRoleAssignedTo)."""

from __future__ import annotations

import os

from tui.emulator.builder import format_time
from tui.emulator.graph.call import V1, GraphCall, GraphResult, object_body
from tui.emulator.graph.directory import utc_now
from tui.emulator.graph.objects import not_found, sp_from_params
from tui.emulator.graph.paging import Cursors, context_url, page
from tui.emulator.graph.permissions import (
    ASSIGNMENT_READ_ROLES,
    GRANT_ANY_DIRECTORY_ROLES,
    GRANT_ROLE,
    denied,
    directory_roles,
    is_app,
    require_grant,
    require_read,
    token_roles,
)
from tui.emulator.graph.shapes import assignment_json, grant_texts
from tui.emulator.ids import app_role_assignment_id, is_guid
from tui.emulator.tenant import AppRoleAssignment, ServicePrincipal, User
from tui.emulator.wire import ApiError

_cursors: Cursors[AppRoleAssignment] = Cursors()


def _assignments(call: GraphCall, sp: ServicePrincipal, side: str) -> list[AppRoleAssignment]:
    grants = call.tenant.app_role_assignments

    def scan() -> list[AppRoleAssignment]:
        if side == "appRoleAssignments":
            return [g for g in grants.values() if g.principal_id == sp.id]
        return [g for g in grants.values() if g.resource_id == sp.id]

    return _cursors.matches(call, grants, scan)


def list_assignments(call: GraphCall, side: str) -> GraphResult:
    require_read(call, ASSIGNMENT_READ_ROLES)
    with call.tenant.lock:
        sp = sp_from_params(call)
        items = _assignments(call, sp, side)
        return page(
            call,
            items,
            lambda g: assignment_json(g, call.tenant),
            f"servicePrincipals('{sp.id}')/{side}",
            None,
            False,
            grant_texts(call.tenant).texts,
        )


def get_assignment(call: GraphCall, side: str) -> GraphResult:
    require_read(call, ASSIGNMENT_READ_ROLES)
    with call.tenant.lock:
        sp = sp_from_params(call)
        grant = _assignment_of(call, sp, side)
        body = {"@odata.context": context_url(call, f"servicePrincipals('{sp.id}')/{side}/$entity")}
        body.update(assignment_json(grant, call.tenant))
        return GraphResult(200, body)


def _assignment_of(call: GraphCall, sp: ServicePrincipal, side: str) -> AppRoleAssignment:
    aid = call.params["assignment_id"]
    grant = call.tenant.app_role_assignments.get(aid)
    owner = None if grant is None else (grant.principal_id if side == "appRoleAssignments" else grant.resource_id)
    if grant is None or owner != sp.id:
        raise not_found(aid)
    return grant


def _guid_field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not is_guid(value):
        raise ApiError(
            400, "Request_BadRequest", f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'."
        )
    return value.lower()


def create_assignment(call: GraphCall, side: str) -> GraphResult:
    body = object_body(call)
    principal_id = _guid_field(body, "principalId")
    resource_id = _guid_field(body, "resourceId")
    app_role_id = _guid_field(body, "appRoleId")
    with call.tenant.lock:
        sp = sp_from_params(call)
        if call.tenant.replicating(sp.id):  # a fresh identity: this replica of the directory has not seen it yet
            raise not_found(call.params.get("sp_id") or sp.id)
        if side == "appRoleAssignments" and principal_id != sp.id:
            raise ApiError(
                400, "Request_BadRequest", "The principalId of the assignment must be the service principal in the URL."
            )
        if side == "appRoleAssignedTo" and resource_id != sp.id:
            raise ApiError(
                400, "Request_BadRequest", "The resourceId of the assignment must be the service principal in the URL."
            )
        principal = call.tenant.principal(principal_id)
        if principal is None or call.tenant.replicating(principal_id):
            raise not_found(principal_id)
        resource = call.tenant.service_principals.get(resource_id)
        if resource is None:
            raise not_found(resource_id)
        require_grant(call, resource)
        role = next((r for r in resource.app_roles if str(r.get("id", "")).lower() == app_role_id), None)
        if role is None or not role.get("isEnabled", True):
            raise ApiError(400, "Request_BadRequest", "Permission being assigned was not found on application")
        member = "User" if isinstance(principal, User) else "Application"
        if member not in role.get("allowedMemberTypes", []):
            raise ApiError(
                400,
                "Request_BadRequest",
                f"The app role '{role.get('value')}' cannot be assigned to a {member.lower()}.",
            )
        for g in call.tenant.app_role_assignments.values():
            if g.principal_id == principal.id and g.resource_id == resource.id and g.app_role_id.lower() == app_role_id:
                raise ApiError(400, "Request_BadRequest", "Permission being assigned already exists on the object")
        grant = AppRoleAssignment(
            id=app_role_assignment_id(principal.id, os.urandom(16)),
            principal_id=principal.id,
            resource_id=resource.id,
            app_role_id=role["id"],
            created_date_time=format_time(utc_now()),
        )
        call.tenant.app_role_assignments[grant.id] = grant
        body_out = {"@odata.context": context_url(call, f"servicePrincipals('{sp.id}')/{side}/$entity")}
        body_out.update(assignment_json(grant, call.tenant))
        location = f"{call.ctx.graph_url}{V1}/servicePrincipals/{sp.id}/{side}/{grant.id}"
        return GraphResult(201, body_out, {"Location": location})


def delete_assignment(call: GraphCall, side: str) -> GraphResult:
    with call.tenant.lock:
        sp = sp_from_params(call)
        grant = _assignment_of(call, sp, side)
        resource = call.tenant.service_principals.get(grant.resource_id)
        if resource is not None:
            require_grant(call, resource)
        elif not (is_app(call) and GRANT_ROLE in token_roles(call)) and not (
            directory_roles(call) & GRANT_ANY_DIRECTORY_ROLES
        ):
            raise denied()
        del call.tenant.app_role_assignments[grant.id]
        return GraphResult(204)
