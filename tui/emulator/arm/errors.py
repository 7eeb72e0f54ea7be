"""ARM's errors, in ARM's words."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tui.emulator.arm.call import ArmCall
from tui.emulator.tenant import ServicePrincipal, User
from tui.emulator.wire import ApiError, json_response


def _caller_label(caller: User | ServicePrincipal | None, claims: dict) -> tuple[str, str]:
    if isinstance(caller, User):
        return caller.user_principal_name, caller.id
    if isinstance(caller, ServicePrincipal):
        return caller.app_id, caller.id
    return str(claims.get("appid") or claims.get("upn") or ""), str(claims.get("oid", ""))


def authorization_failed(call: ArmCall, action: str, scope: str) -> ApiError:
    who, oid = _caller_label(call.caller, call.claims)
    return ApiError(
        403,
        "AuthorizationFailed",
        f"The client '{who}' with object id '{oid}' does not have authorization to perform action '{action}' "
        f"over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your "
        "credentials.",
    )


def linked_authorization_failed(call: ArmCall, action: str, scope: str, linked_action: str, linked: str) -> ApiError:
    """403 when the caller may change a resource but not use what the change links to (a user-assigned identity)."""
    who, oid = _caller_label(call.caller, call.claims)
    return ApiError(
        403,
        "LinkedAuthorizationFailed",
        f"The client '{who}' with object id '{oid}' has permission to perform action '{action}' on scope '{scope}'; "
        f"however, it does not have permission to perform action(s) '{linked_action}' on the linked scope(s) "
        f"'{linked}' (respectively) or the linked scope(s) are invalid.",
    )


def subscription_not_found(sub_id: str) -> ApiError:
    return ApiError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")


def resource_group_not_found(name: str) -> ApiError:
    return ApiError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def resource_not_found(type_: str, name: str, group: str) -> ApiError:
    return ApiError(
        404,
        "ResourceNotFound",
        f"The Resource '{type_}/{name}' under resource group '{group}' was not found. For more details please "
        "go to https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def arm_error_response(err: ApiError) -> web.Response:
    """``err`` in ARM's envelope ``{"error": {"code", "message"[, "target"]}}``."""
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.target:
        body["target"] = err.target
    details = getattr(err, "details", None)  # (Resource Graph's query errors say what failed)
    if details:
        body["details"] = details
    return json_response({"error": body}, err.status, headers=dict(err.headers))
