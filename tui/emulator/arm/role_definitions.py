"""Role definitions: list, get, create or update, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import bad_request
from tui.emulator.arm.filters import Call, Compare, conjuncts
from tui.emulator.arm.paging import ROLE_DEFINITIONS_PAGE_SIZE
from tui.emulator.arm.shapes import role_definition_json
from tui.emulator.ids import is_guid
from tui.emulator.tenant import RoleDefinition, arm_key
from tui.emulator.wire import ApiError, utc_now_iso

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi


def assignable_at(rd: RoleDefinition, scope: str) -> bool:
    target = arm_key(scope)
    return any(rbac.is_at_or_below(target, arm_key(s)) for s in rd.assignable_scopes or ["/"])


async def list_role_definitions(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope = call.params["scope"]
    node = api.parse(call)
    parts = conjuncts(node)
    if parts is None:
        raise bad_request("InvalidFilter", "Role definitions can be filtered by roleName, type and atScopeAndBelow().")
    name = kind = None
    below = False
    for p in parts:
        if isinstance(p, Compare) and p.op == "eq" and p.path == "rolename":
            name = p.value
        elif isinstance(p, Compare) and p.op == "eq" and p.path == "type":
            kind = (p.value or "").lower()
        elif isinstance(p, Call) and p.name == "atscopeandbelow":
            below = True
        else:
            raise bad_request(
                "InvalidFilter", "Role definitions can be filtered by roleName, type and atScopeAndBelow()."
            )
    with t.lock:
        api.check_scope_exists(scope)
        target = arm_key(scope)
        items = []
        for rd in t.role_definitions.values():
            if name is not None and rd.role_name != name:
                continue
            if kind is not None and rd.role_type.lower() != kind:
                continue
            visible = assignable_at(rd, scope) or (
                below and any(rbac.is_at_or_below(arm_key(s), target) for s in rd.assignable_scopes)
            )
            if visible:
                items.append(role_definition_json(rd, scope))
    return ok(api.page(call, items, ROLE_DEFINITIONS_PAGE_SIZE))


def _role_definition_not_found(rd_id: str) -> ApiError:
    return ApiError(
        404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{rd_id}' does not exist."
    )


async def get_role_definition(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        api.check_scope_exists(scope)
        rd = t.role_definitions.get(name.lower())
        if rd is None or not (assignable_at(rd, scope) or not [p for p in scope.split("/") if p]):
            raise _role_definition_not_found(name)
        return ok(role_definition_json(rd, scope))


def _permissions(value: object) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise bad_request("InvalidRoleDefinition", "The role definition must have at least one permission block.")
    out = []
    for block in value:
        if not isinstance(block, dict):
            raise bad_request("InvalidRoleDefinition", "Each permission must be an object.")
        clean: dict[str, Any] = {}
        for key in ("actions", "notActions", "dataActions", "notDataActions"):
            items = block.get(key) or []
            if not isinstance(items, list) or not all(isinstance(a, str) and a.strip() for a in items):
                raise bad_request("InvalidActionOrNotAction", f"'{key}' must be a list of action strings.")
            clean[key] = list(items)
        if not clean["actions"] and not clean["dataActions"]:
            raise bad_request("InvalidRoleDefinition", "The role definition must grant at least one action.")
        out.append(clean)
    return out


async def put_role_definition(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    if not is_guid(name):
        raise bad_request(
            "InvalidRoleDefinitionId", f"The role definition ID '{name}' is not valid: it must be a GUID."
        )
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid: 'properties' is required.")
    role_name = props.get("roleName")
    if not isinstance(role_name, str) or not role_name.strip():
        raise bad_request("RoleDefinitionNameNullOrEmpty", "The role definition name cannot be null or empty.")
    description = props.get("description") or ""
    if not isinstance(description, str):
        raise bad_request("InvalidRequestContent", "The description must be a string.")
    role_type = props.get("type", "CustomRole")
    if str(role_type).lower() not in ("customrole", "custom"):
        raise bad_request("InvalidRoleDefinition", "Only custom roles can be created or updated.")
    permissions = _permissions(props.get("permissions"))
    scopes = props.get("assignableScopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) and s.startswith("/") for s in scopes):
        raise bad_request("InvalidAssignableScopes", "At least one assignable scope is required.")
    with t.lock:
        api.check_scope_exists(scope)
        for s in scopes:
            api.require(call, "Microsoft.Authorization/roleDefinitions/write", s)
            if arm_key(s) == "/":
                raise bad_request("InvalidAssignableScopes", "The root scope '/' cannot be an assignable scope.")
            api.check_scope_exists(s)
        existing = t.role_definitions.get(name.lower())
        if existing is not None and existing.role_type == "BuiltInRole":
            raise ApiError(
                403,
                "AuthorizationFailed",
                f"The built-in role definition '{existing.role_name}' cannot be updated.",
            )
        for rd in t.role_definitions.values():
            if rd.role_name.lower() == role_name.lower() and rd.name != name.lower():
                raise ApiError(
                    409,
                    "RoleDefinitionWithSameNameExists",
                    f"A custom role with the same name '{role_name}' already exists in this directory. Use a "
                    "different name.",
                )
        now = utc_now_iso()
        rd = RoleDefinition(
            name=name.lower(),
            role_name=role_name,
            description=description,
            role_type="CustomRole",
            permissions=permissions,
            assignable_scopes=[api.canonical_scope(s) for s in scopes],
            created_on=existing.created_on if existing else now,
            updated_on=now,
        )
        t.role_definitions[rd.name] = rd
        return ok(role_definition_json(rd, scope), 201)  # ARM answers 201 to an update too (see the spec)


async def delete_role_definition(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope, name = call.params["scope"], call.params["name"]
    with t.lock:
        rd = t.role_definitions.get(name.lower())
        if rd is None:
            api.require(call, "Microsoft.Authorization/roleDefinitions/delete", scope)
            return web.Response(status=204)
        if rd.role_type == "BuiltInRole":
            raise ApiError(
                403, "AuthorizationFailed", f"The built-in role definition '{rd.role_name}' cannot be deleted."
            )
        for s in rd.assignable_scopes:
            api.require(call, "Microsoft.Authorization/roleDefinitions/delete", s)
        if any(ra.role_definition_name == rd.name for ra in t.role_assignments.values()):
            raise ApiError(
                409,
                "RoleDefinitionHasAssignments",
                "There are existing role assignments referencing role (code: RoleDefinitionHasAssignments).",
            )
        del t.role_definitions[rd.name]
        return ok(role_definition_json(rd, scope))
