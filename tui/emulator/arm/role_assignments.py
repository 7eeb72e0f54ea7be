"""Role assignments: list (with atScope(), principalId and assignedTo filters), get, create, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import bad_request
from tui.emulator.arm.filters import Call, Compare, conjuncts
from tui.emulator.arm.paging import ROLE_ASSIGNMENTS_PAGE_SIZE
from tui.emulator.arm.role_definitions import assignable_at
from tui.emulator.arm.shapes import role_assignment_json
from tui.emulator.ids import is_guid
from tui.emulator.tenant import Group, RoleAssignment, Tenant, User, arm_key
from tui.emulator.wire import ApiError, json_text_response, utc_now_iso

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi


PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")


def _ra_filter(api: ArmApi, call: ArmCall) -> tuple[bool, str | None, bool]:
    """(atScope, principal id, through groups too) from the ``$filter``: ``assignedTo('{id}')`` also returns the
    assignments of the groups the principal is in, ``principalId eq`` only its own (Azure RBAC docs, "List Azure
    role assignments using the REST API": assignedTo "including ones inherited from groups")."""
    parts = conjuncts(api.parse(call))
    unsupported = bad_request(
        "UnsupportedQuery",
        f"The filter '{call.query.get('$filter')}' is not supported. Supported filters are atScope(), "
        "principalId eq '{id}' and assignedTo('{id}').",
    )
    if parts is None:
        raise unsupported
    at_scope, principal, via_groups = False, None, False
    for p in parts:
        if isinstance(p, Call) and p.name == "atscope" and not p.args:
            at_scope = True
        elif isinstance(p, Call) and p.name == "assignedto" and len(p.args) == 1 and p.args[0]:
            principal, via_groups = p.args[0], True
        elif isinstance(p, Compare) and p.path == "principalid" and p.op == "eq" and p.value:
            principal = p.value
        else:
            raise unsupported
    return at_scope, principal, via_groups


async def list_role_assignments(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope = call.params["scope"]
    at_scope, principal, via_groups = _ra_filter(api, call)
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/read", scope)
        api.check_scope_exists(scope)
        found = rbac.assignments_around(t, scope, below=not at_scope)
        if principal is not None:
            want = {principal.lower()}
            if via_groups:
                want |= {g.id for g in t.groups_of(principal, transitive=True)}
            found = [ra for ra in found if ra.principal_id.lower() in want]
        text = api.page_text(call, found, ROLE_ASSIGNMENTS_PAGE_SIZE, api.role_assignment_texts.texts)
        return json_text_response(text)


def _ra_in_scope(t: Tenant, scope: str, name: str) -> RoleAssignment | None:
    ra = t.role_assignments.get(name.lower())
    if ra is None or arm_key(ra.scope) != arm_key(scope):
        return None
    return ra


def _ra_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}"


async def get_role_assignment(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/read", scope)
        ra = _ra_in_scope(t, scope, name)
        if ra is None:
            api.check_scope_exists(scope)
            raise ApiError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return ok(role_assignment_json(ra))


async def put_role_assignment(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    body = await api.body(call)
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    if not is_guid(name):
        raise bad_request(
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'properties' is required.",
        )
    rd_id, pid = props.get("roleDefinitionId"), props.get("principalId")
    ptype = props.get("principalType")
    for key, value in (("roleDefinitionId", rd_id), ("principalId", pid)):
        if not isinstance(value, str) or not value.strip():
            raise bad_request(
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: '{key}' is required and must be "
                "a string.",
            )
    assert isinstance(rd_id, str) and isinstance(pid, str)
    if not is_guid(pid):
        raise bad_request("InvalidPrincipalId", f"The Principal ID '{pid}' is not valid.")
    if ptype is not None and ptype not in PRINCIPAL_TYPES:
        raise bad_request(
            "InvalidRequestContent",
            f"The principal type '{ptype}' is not valid. Valid values are {', '.join(PRINCIPAL_TYPES)}.",
        )
    for key in ("description", "condition", "conditionVersion"):
        if props.get(key) is not None and not isinstance(props.get(key), str):
            raise bad_request("InvalidRequestContent", f"'{key}' must be a string.")
    if props.get("condition") and props.get("conditionVersion", "2.0") != "2.0":
        raise bad_request("InvalidConditionVersion", "The only supported condition version is '2.0'.")
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/write", scope, message_scope=_ra_id(scope, name))
        api.check_scope_exists(scope)
        canonical = api.canonical_scope(scope)
        rd_parts = [s for s in rd_id.split("/") if s]
        rd_guid = rd_parts[-1].lower()
        rd = t.role_definitions.get(rd_guid)
        well_formed = (
            len(rd_parts) >= 3
            and [s.lower() for s in rd_parts[-3:-1]] == ["microsoft.authorization", "roledefinitions"]
            and is_guid(rd_guid)
        )
        if rd is None or not well_formed or not assignable_at(rd, canonical):
            raise bad_request(
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{rd_parts[-1] if rd_parts else rd_id}' does not exist.",
            )
        principal = t.directory_object(pid)  # a user, a service principal or a group
        replicating = principal is not None and t.replicating(pid)
        actual_type = (
            "User"
            if isinstance(principal, User)
            else "Group"
            if isinstance(principal, Group)
            else "ServicePrincipal"
            if principal
            else None
        )
        if (principal is None or replicating) and ptype is None:
            raise bad_request(
                "PrincipalNotFound",
                f"Principal {pid.replace('-', '').lower()} does not exist in the directory {t.tenant_id}. Check that "
                "you have the correct principal ID. If you are creating this principal and then immediately "
                "assigning a role, this error might be related to a replication delay. In this case, set the role "
                "assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See "
                "https://aka.ms/docs-principaltype",
            )
        if principal is not None and not replicating and ptype is not None and ptype != actual_type:
            raise bad_request(
                "UnmatchedPrincipalType",
                f"The PrincipalId '{pid.replace('-', '').lower()}' has type '{actual_type}' , which is different "
                f"from specified PrincipalType '{ptype}'.",
            )
        existing = t.role_assignments.get(name.lower())
        now = utc_now_iso()
        if existing is not None:
            same = (
                arm_key(existing.scope) == arm_key(canonical)
                and existing.principal_id.lower() == pid.lower()
                and existing.role_definition_name == rd.name
            )
            if not same:
                raise ApiError(
                    409,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            existing.description = props.get("description", existing.description)
            if "condition" in props:
                existing.condition = props.get("condition")
                existing.condition_version = props.get("conditionVersion") if existing.condition else None
            existing.updated_on = now
            existing.updated_by = call.caller.id
            return ok(role_assignment_json(existing), 200)
        target = arm_key(canonical)
        pid_low = pid.lower()
        for _key, other in rbac.index_of(t).by_scope.get(target, []):
            if other.principal_id.lower() == pid_low and other.role_definition_name == rd.name:
                raise ApiError(
                    409,
                    "RoleAssignmentExists",
                    "The role assignment already exists.\nThe ID of the existing role assignment is "
                    f"{other.name.replace('-', '')}.",
                )
        ra = RoleAssignment(
            name=name.lower(),
            scope=canonical,
            role_definition_id=rd.id_at(canonical),
            principal_id=pid,
            principal_type=ptype or actual_type or "User",
            description=props.get("description"),
            condition=props.get("condition"),
            condition_version=(props.get("conditionVersion") or "2.0") if props.get("condition") else None,
            created_on=now,
            updated_on=now,
            created_by=call.caller.id,
            updated_by=call.caller.id,
        )
        rbac.index_of(t)  # make sure the index exists before the count changes
        t.role_assignments[ra.name] = ra
        rbac.added(t, ra)
        return ok(role_assignment_json(ra), 201)


async def delete_role_assignment(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        api.require(call, "Microsoft.Authorization/roleAssignments/delete", scope, message_scope=_ra_id(scope, name))
        ra = _ra_in_scope(t, scope, name)
        if ra is None:
            return web.Response(status=204)
        rbac.index_of(t)
        del t.role_assignments[ra.name]
        rbac.removed(t, ra)
        return ok(role_assignment_json(ra))
