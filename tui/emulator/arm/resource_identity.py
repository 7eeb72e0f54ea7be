"""A resource's ``identity`` block changed through ARM: ``PATCH`` and ``PUT`` of any resource the sandbox hosts.

The wire shape is common-types' ``ManagedServiceIdentity``: ``type`` is one of ``None``, ``SystemAssigned``,
``UserAssigned``, ``SystemAssigned,UserAssigned`` (older providers write ``SystemAssigned, UserAssigned``; both are
accepted), ``userAssignedIdentities`` maps user-assigned identity ids to ``{}`` (attach) or ``null`` (detach).

As ARM does:

* ``type`` is the whole state of the block: a type without ``UserAssigned`` detaches every user-assigned identity,
  one without ``SystemAssigned`` turns the system-assigned identity off;
* ``PATCH`` merges ``userAssignedIdentities`` with those attached already (``null`` detaches one); ``PUT`` sets
  exactly the map's identities;
* turning the system-assigned identity on creates its service principal in Entra (invisible to grants until the
  directory replicates it, see ``Tenant.replication_delay_s``); turning it off deletes the service principal, its
  app role grants go with it and its Azure role assignments stay behind, orphaned;
* attaching a user-assigned identity needs ``Microsoft.ManagedIdentity/userAssignedIdentities/assign/action`` on it
  (403 ``LinkedAuthorizationFailed`` otherwise); one that does not exist is 400 ``FailedIdentityOperation``.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import (
    bad_request,
    linked_authorization_failed,
    resource_group_not_found,
    resource_not_found,
)
from tui.emulator.arm.identities import tags_of
from tui.emulator.arm.shapes import generic_resource_json
from tui.emulator.tenant import Resource, Tenant, arm_key, remove_service_principal
from tui.emulator.wire import ApiError

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi

ASSIGN_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
TYPES = {
    "none": (False, False),
    "systemassigned": (True, False),
    "userassigned": (False, True),
    "systemassigned,userassigned": (True, True),
}
UAMI_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.managedidentity/userassignedidentities/[^/]+$",
    re.IGNORECASE,
)


def _resource_type(rid: str) -> str:
    parts = rid.strip("/").split("/")
    return "/".join([parts[5]] + parts[6::2]) if len(parts) > 6 else ""


def _identity_type(identity: dict) -> tuple[bool, bool]:
    raw = identity.get("type")
    key = raw.replace(" ", "").lower() if isinstance(raw, str) else None
    if key not in TYPES:
        raise bad_request(
            "InvalidIdentityType",
            f"The identity type '{raw}' is not valid. The supported types are 'None', 'SystemAssigned', "
            "'UserAssigned', 'SystemAssigned,UserAssigned'.",
        )
    return TYPES[key]


def _identity_map(identity: dict) -> dict[str, Any]:
    uais = identity.get("userAssignedIdentities")
    if uais is None:
        return {}
    if not isinstance(uais, dict):
        raise bad_request(
            "InvalidRequestContent",
            "The request content was invalid: 'identity.userAssignedIdentities' must be an object.",
        )
    for key, value in uais.items():
        if not UAMI_ID_RE.match(key):
            raise bad_request(
                "InvalidUserAssignedIdentityId",
                f"The user-assigned identity id '{key}' is not valid. It must be of the form '/subscriptions/"
                "{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/"
                "userAssignedIdentities/{identityName}'.",
            )
        if value is not None and not isinstance(value, dict):
            raise bad_request(
                "InvalidRequestContent",
                f"The request content was invalid: the value for '{key}' must be an object or null.",
            )
    return uais


def _wanted_user_identities(res: Resource, identity: dict, merge: bool) -> list[str]:
    """The ids of the user-assigned identities the resource has after the request (unchecked)."""
    uais = _identity_map(identity)
    current = list(res.user_assigned_identity_ids) if merge else []
    keys = {arm_key(i): i for i in current}
    for uid, value in uais.items():
        if value is None:
            keys.pop(arm_key(uid), None)
        else:
            keys.setdefault(arm_key(uid), uid)
    return list(keys.values())


def _check_user_identities(api: ArmApi, call: ArmCall, res: Resource, wanted: list[str]) -> list[Resource]:
    """The user-assigned identities to attach that are not attached yet, once each exists and may be assigned."""
    t = api.tenant
    attached = {arm_key(i) for i in res.user_assigned_identity_ids}
    new: list[Resource] = []
    for uid in wanted:
        if arm_key(uid) in attached:
            continue
        uami = t.resource(uid)
        if uami is None or not uami.is_user_assigned_identity:
            raise bad_request(
                "FailedIdentityOperation",
                f"Identity operation for resource '{res.id}' failed with error 'Failed to perform resource identity "
                f"operation. Status: 'NotFound'. Response: 'The user-assigned identity '{uid}' was not found.''.",
            )
        if not api.can(call, ASSIGN_ACTION, uami.id):
            raise linked_authorization_failed(call, f"{res.type}/write", res.id, ASSIGN_ACTION, uami.id)
        new.append(uami)
    return new


def apply_identity(api: ArmApi, call: ArmCall, res: Resource, identity: Any, *, merge: bool) -> None:
    """Change ``res``'s identity block to what ``identity`` (the request's ``identity``) says; checks first, then
    changes, so a bad request changes nothing."""
    if not isinstance(identity, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid: 'identity' must be an object.")
    system, user = _identity_type(identity)
    wanted = _wanted_user_identities(res, identity, merge) if user else []
    if not user and any(v is not None for v in _identity_map(identity).values()):
        raise bad_request(
            "InvalidIdentityValues",
            "The 'userAssignedIdentities' property may be given only when the identity type includes 'UserAssigned'.",
        )
    if user and not wanted:
        raise bad_request(
            "InvalidIdentityValues",
            "The 'userAssignedIdentities' property of the resource identity must name at least one identity when the "
            "identity type includes 'UserAssigned'.",
        )
    _check_user_identities(api, call, res, wanted)
    set_identity(api.tenant, res, system=system, user_identity_ids=wanted)


def set_identity(t: Tenant, res: Resource, *, system: bool, user_identity_ids: list[str]) -> None:
    """Turn the system-assigned identity on or off (creating or deleting its service principal) and set the
    attached user-assigned identities."""
    from tui.emulator.builder import TenantBuilder

    if system and not res.system_principal_id:
        sp = TenantBuilder(tenant=t, seed=None).enable_system_identity(res)
        t.principal_created_at[sp.id.lower()] = time.monotonic()
    elif not system and res.system_principal_id:
        remove_service_principal(t, res.system_principal_id)
        res.system_principal_id = None
        res.system_client_id = None
    res.user_assigned_identity_ids = [t.resource(u).id if t.resource(u) else u for u in user_identity_ids]


def _existing(api: ArmApi, call: ArmCall, rid: str) -> Resource:
    res = api.tenant.resource(rid)
    if res is None:
        p = call.params
        if api.resource_group(p["subscriptionId"], p["resourceGroupName"]) is None:
            raise resource_group_not_found(p["resourceGroupName"])
        raise resource_not_found(_resource_type(rid), rid.rstrip("/").rsplit("/", 1)[-1], p["resourceGroupName"])
    return res


async def patch_generic_resource(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    rid = call.params["resourceId"]
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        res = t.resource(rid)
        api.require(call, f"{res.type if res else _resource_type(rid)}/write", rid)
        res = _existing(api, call, rid)
        tags = tags_of(body)
        if "identity" in body and body["identity"] is not None:
            apply_identity(api, call, res, body["identity"], merge=True)
        if tags is not None:
            res.tags = tags
        return ok(generic_resource_json(res, t))


async def put_generic_resource(api: ArmApi, call: ArmCall) -> web.Response:
    """Create or update a resource. Its identity is set to exactly the request's (absent: left as it is); tags are
    replaced when given; properties merged."""
    from tui.emulator.builder import TenantBuilder

    body = await api.body(call)
    t = api.tenant
    rid = call.params["resourceId"]
    p = call.params
    with t.lock:
        api.subscription(p["subscriptionId"])
        res = t.resource(rid)
        typ = res.type if res else _resource_type(rid)
        api.require(call, f"{typ}/write", rid)
        rg = api.resource_group(p["subscriptionId"], p["resourceGroupName"])
        if rg is None:
            raise resource_group_not_found(p["resourceGroupName"])
        tags = tags_of(body)
        props = body.get("properties")
        if props is not None and not isinstance(props, dict):
            raise bad_request(
                "InvalidRequestContent", "The request content was invalid: 'properties' must be an object."
            )
        created = res is None
        if res is None:
            location = body.get("location")
            if not isinstance(location, str) or not location.strip():
                raise bad_request("LocationRequired", "The location property is required for this definition.")
            parts = rid.strip("/").split("/")
            if len(parts) != 8:
                raise resource_not_found(typ, parts[-1], rg.name)
            try:
                res = TenantBuilder(tenant=t, seed=None).add_resource(
                    rg, typ, parts[-1], location=location.lower().replace(" ", ""), properties=props or {}
                )
            except ValueError as e:
                raise bad_request("InvalidResourceName", str(e)) from e
            if "identity" in body and body["identity"] is not None:
                try:
                    apply_identity(api, call, res, body["identity"], merge=False)
                except ApiError:
                    from tui.emulator.tenant import remove_resource

                    remove_resource(t, res.id)  # nothing half-done
                    raise
        else:
            if "identity" in body and body["identity"] is not None:
                apply_identity(api, call, res, body["identity"], merge=False)
            if props:
                res.properties.update(props)
        if tags is not None:
            res.tags = tags
        return ok(generic_resource_json(res, t), 201 if created else 200)
