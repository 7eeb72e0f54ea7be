"""Managed identities: user-assigned identities, their federated credentials, system-assigned identities."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import authorization_failed, bad_request, resource_group_not_found, resource_not_found
from tui.emulator.arm.paging import FEDERATED_CREDENTIALS_PAGE_SIZE, USER_ASSIGNED_IDENTITIES_PAGE_SIZE
from tui.emulator.arm.resources import readable_below, resources_under
from tui.emulator.arm.shapes import fic_json, system_identity_json, uami_json
from tui.emulator.ids import FIC_TYPE, UAMI_TYPE
from tui.emulator.tenant import FederatedCredential, Resource, arm_key
from tui.emulator.wire import ApiError

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi


FIC_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$")
UAMI_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]{2,127}$")


async def list_uamis(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        rg_name = call.params.get("resourceGroupName")
        scope = f"/subscriptions/{sub.subscription_id}" + (f"/resourceGroups/{rg_name}" if rg_name else "")
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.ManagedIdentity/userAssignedIdentities/read", scope)
        if rg_name and api.resource_group(sub.subscription_id, rg_name) is None:
            raise resource_group_not_found(rg_name)
        prefix = arm_key(scope) + "/"
        readable = readable_below(api, call, scope, lambda r: "Microsoft.ManagedIdentity/userAssignedIdentities/read")
        items = [r for r in resources_under(t, prefix) if r.is_user_assigned_identity and readable(r)]
        return ok(api.page(call, items, USER_ASSIGNED_IDENTITIES_PAGE_SIZE, render=lambda r: uami_json(r, t)))


def _uami_id(call: ArmCall) -> str:
    p = call.params
    return (
        f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}/providers/"
        f"{UAMI_TYPE}/{p['resourceName']}"
    )


def _existing_uami(api: ArmApi, call: ArmCall) -> Resource:
    p = call.params
    res = api.tenant.resource(_uami_id(call))
    if res is None or not res.is_user_assigned_identity:
        if api.resource_group(p["subscriptionId"], p["resourceGroupName"]) is None:
            raise resource_group_not_found(p["resourceGroupName"])
        raise resource_not_found(UAMI_TYPE, p["resourceName"], p["resourceGroupName"])
    return res


async def get_uami(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/read", _uami_id(call))
        return ok(uami_json(_existing_uami(api, call), t))


def tags_of(body: dict) -> dict[str, str] | None:
    tags = body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise bad_request(
            "InvalidRequestContent", "The request content was invalid: 'tags' must map strings to strings."
        )
    return dict(tags)


async def put_uami(api: ArmApi, call: ArmCall) -> web.Response:
    from tui.emulator.builder import TenantBuilder

    body = await api.body(call)
    t = api.tenant
    p = call.params
    rid = _uami_id(call)
    with t.lock:
        sub = api.subscription(p["subscriptionId"])
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/write", rid)
        rg = api.resource_group(sub.subscription_id, p["resourceGroupName"])
        if rg is None:
            raise resource_group_not_found(p["resourceGroupName"])
        name = p["resourceName"]
        if not UAMI_NAME_RE.match(name):
            raise bad_request(
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can contain only letters, numbers, hyphens and "
                "underscores, must start with a letter or number, and be 3 to 128 characters long.",
            )
        location = body.get("location")
        if not isinstance(location, str) or not location.strip():
            raise bad_request("LocationRequired", "The location property is required for this definition.")
        tags = tags_of(body)
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            raise bad_request(
                "InvalidRequestContent", "The request content was invalid: 'properties' must be an object."
            )
        isolation = props.get("isolationScope", "None")
        if isolation not in ("None", "Regional"):
            raise bad_request("InvalidRequestContent", f"The isolationScope '{isolation}' is invalid.")
        existing = t.resource(rid)
        if existing is not None:
            if not existing.is_user_assigned_identity:
                raise bad_request("InvalidResourceType", f"The resource '{rid}' is not a user-assigned identity.")
            if existing.location.lower() != location.lower().replace(" ", ""):
                raise bad_request(
                    "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{existing.location}' in resource group "
                    f"'{rg.name}'. A resource with the same name cannot be created in location '{location}'. "
                    "Please select a new resource name.",
                )
            if tags is not None:
                existing.tags = tags
            existing.properties["isolationScope"] = isolation
            return ok(uami_json(existing, t), 200)
        uami = TenantBuilder(tenant=t, seed=None).add_user_assigned_identity(
            rg, name, location=location.lower().replace(" ", ""), tags=tags or {}
        )
        uami.properties["isolationScope"] = isolation
        if uami.principal_id:
            t.principal_created_at[uami.principal_id.lower()] = time.monotonic()
        return ok(uami_json(uami, t), 201)


async def patch_uami(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/write", _uami_id(call))
        res = _existing_uami(api, call)
        tags = tags_of(body)
        if tags is not None:
            res.tags = tags
        props = body.get("properties")
        if isinstance(props, dict) and props.get("isolationScope") in ("None", "Regional"):
            res.properties["isolationScope"] = props["isolationScope"]
        return ok(uami_json(res, t))


async def delete_uami(api: ArmApi, call: ArmCall) -> web.Response:
    from tui.emulator.tenant import remove_resource

    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        rid = _uami_id(call)
        api.require(call, "Microsoft.ManagedIdentity/userAssignedIdentities/delete", rid)
        res = t.resource(rid)
        if res is None or not res.is_user_assigned_identity:
            return web.Response(status=204)
        remove_resource(t, res.id)
        return web.Response(status=200)


async def list_fics(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        api.require(
            call, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read", _uami_id(call)
        )
        uami = _existing_uami(api, call)
        prefix = arm_key(uami.id) + "/federatedidentitycredentials/"
        items = [fic_json(f, uami) for k, f in sorted(t.federated_credentials.items()) if k.startswith(prefix)]
    return ok(api.page(call, items, FEDERATED_CREDENTIALS_PAGE_SIZE, top=True))


def _fic_key(uami: Resource, name: str) -> str:
    return arm_key(f"{uami.id}/federatedIdentityCredentials/{name}")


def _fic_not_found(call: ArmCall) -> ApiError:
    return resource_not_found(
        FIC_TYPE,
        f"{call.params['resourceName']}/{call.params['federatedIdentityCredentialResourceName']}",
        call.params["resourceGroupName"],
    )


def _require_fic_right(api: ArmApi, call: ArmCall, verb: str) -> str:
    """The federated credential's name, once the subscription exists and the caller may ``verb`` the credential."""
    name = call.params["federatedIdentityCredentialResourceName"]
    api.subscription(call.params["subscriptionId"])
    api.require(
        call,
        f"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/{verb}",
        f"{_uami_id(call)}/federatedIdentityCredentials/{name}",
    )
    return name


def _check_fic_name(name: str) -> None:
    if not FIC_NAME_RE.match(name):
        raise bad_request(
            "BadRequest",
            f"The federated identity credential name '{name}' is invalid. It must match "
            "'^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$'.",
        )


async def get_fic(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        name = call.params["federatedIdentityCredentialResourceName"]
        api.require(
            call,
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
            f"{_uami_id(call)}/federatedIdentityCredentials/{name}",
        )
        uami = _existing_uami(api, call)
        fic = t.federated_credentials.get(_fic_key(uami, name))
        if fic is None:
            raise _fic_not_found(call)
        return ok(fic_json(fic, uami))


async def put_fic(api: ArmApi, call: ArmCall) -> web.Response:
    body = await api.body(call)
    t = api.tenant
    with t.lock:
        name = _require_fic_right(api, call, "write")
        uami = _existing_uami(api, call)
        _check_fic_name(name)
        props = body.get("properties")
        if not isinstance(props, dict):
            raise bad_request("InvalidRequestContent", "The request content was invalid: 'properties' is required.")
        issuer, subject, audiences = props.get("issuer"), props.get("subject"), props.get("audiences")
        if not isinstance(issuer, str) or not issuer.startswith("https://"):
            raise bad_request("BadRequest", "The issuer must be a valid URL that starts with 'https://'.")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 600:
            raise bad_request("BadRequest", "The subject is required and may be at most 600 characters long.")
        if audiences is None:
            audiences = ["api://AzureADTokenExchange"]
        if (
            not isinstance(audiences, list)
            or len(audiences) != 1
            or not all(isinstance(a, str) and a.strip() for a in audiences)
        ):
            raise bad_request("BadRequest", "Exactly one audience is required.")
        key = _fic_key(uami, name)
        prefix = arm_key(uami.id) + "/federatedidentitycredentials/"
        for k, other in t.federated_credentials.items():
            if k.startswith(prefix) and k != key and other.issuer == issuer and other.subject == subject:
                raise bad_request(
                    "BadRequest",
                    f"A federated identity credential with issuer '{issuer}' and subject '{subject}' already "
                    f"exists on '{uami.name}' as '{other.name}'.",
                )
        existing = t.federated_credentials.get(key)
        if existing is None and sum(1 for k in t.federated_credentials if k.startswith(prefix)) >= 20:
            raise bad_request("BadRequest", "An identity may have at most 20 federated identity credentials.")
        fic = FederatedCredential(
            identity_id=uami.id,
            name=existing.name if existing else name,
            issuer=issuer,
            subject=subject,
            audiences=list(audiences),
        )
        t.federated_credentials[key] = fic
        return ok(fic_json(fic, uami), 200 if existing else 201)


async def delete_fic(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        name = _require_fic_right(api, call, "delete")
        uami = t.resource(_uami_id(call))
        if uami is None or t.federated_credentials.pop(_fic_key(uami, name), None) is None:
            return web.Response(status=204)
        return web.Response(status=200)


async def get_system_identity(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    scope = call.params["scope"]
    with t.lock:
        api.require(call, "Microsoft.ManagedIdentity/identities/read", scope)
        api.check_scope_exists(scope)
        res = t.resource(scope)
        if res is None or not res.system_principal_id:
            raise ApiError(
                404,
                "NotFound",
                f"The system-assigned identity of '{scope}' was not found: the resource has no system-assigned "
                "identity.",
            )
        return ok(system_identity_json(res, t))
