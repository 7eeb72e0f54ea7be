"""An identity's life through the real SDKs: a resource's ``identity`` block (azure-mgmt-resource's generic resource
``PATCH``), user-assigned identities and their federated credentials (azure-mgmt-msi). Each write is sent once
(tui.services.writers reads back), each returns the request ids of its answers."""

from __future__ import annotations

from typing import Any

from tui.azure import wire
from tui.azure.calls import Calls, answer_json
from tui.azure.writes import recorded_request_ids
from tui.services.backend import ArmResource, Written
from tui.services.errors import InvalidInput, NotFound
from tui.services.lifecycle_rules import RESOURCE_API_VERSIONS, api_version_of, resource_type_of
from tui.services.odata import arm_id, guid

MSI_TYPE = "microsoft.managedidentity/userassignedidentities"


def _once() -> dict[str, Any]:
    """A write is not resent by azure-core when its answer is lost (Session.apply reads back and decides)."""
    return {"retry_read": 0, "retry_connect": 0}


def _subscription_of(rid: str) -> str:
    parts = rid.split("/")
    if len(parts) < 3 or parts[1].lower() != "subscriptions":
        raise InvalidInput("Not a resource id", f"expected /subscriptions/…, got {rid[:80]!r}")
    return guid(parts[2], "subscription id")


def _uami_parts(identity_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of a user-assigned identity's ARM id, or InvalidInput."""
    rid = arm_id(identity_id, "user-assigned identity id")
    parts = rid.split("/")
    if len(parts) != 9 or "/".join(parts[6:8]).lower() != MSI_TYPE or parts[3].lower() != "resourcegroups":
        raise InvalidInput(
            "Not a user-assigned identity id",
            "expected /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/"
            f"userAssignedIdentities/{{name}}, got {rid[:100]!r}",
        )
    return _subscription_of(rid), parts[4], parts[8]


def _status(pipeline_response: Any, _deserialized: Any, _headers: Any) -> int:
    return int(pipeline_response.http_response.status_code)


# (ARM endpoint, resource type) -> the api-version its provider lists as newest stable
_discovered: dict[tuple[str, str], str] = {}


async def resource_api_version(calls: Calls, resource_id: str) -> str:
    """The api-version to read and PATCH a resource with: mitui's own table for the types it knows, else the newest
    stable version its provider lists (``GET /subscriptions/{id}/providers/{namespace}``, once per type), else the
    table's default."""
    rid = arm_id(resource_id, "resource id")
    rtype = resource_type_of(rid)
    if rtype in RESOURCE_API_VERSIONS or not rtype:
        return api_version_of(rid)
    key = (calls.arm_url, rtype)
    if key not in _discovered:
        namespace, _, rest = rtype.partition("/")
        client = calls.arm.resources(_subscription_of(rid)).providers
        try:
            provider = await calls.arm_call(lambda: client.get(namespace, cls=answer_json))
        except NotFound:
            provider = None
        versions: list[str] = []
        for item in (provider or {}).get("resourceTypes") or []:
            if isinstance(item, dict) and str(item.get("resourceType", "")).lower() == rest:
                versions = [str(v) for v in item.get("apiVersions") or [] if "preview" not in str(v).lower()]
        _discovered[key] = max(versions) if versions else api_version_of(rid)
    return _discovered[key]


async def get_resource(calls: Calls, resource_id: str, api_version: str | None = None) -> ArmResource | None:
    rid = arm_id(resource_id, "resource id")
    version = api_version or await resource_api_version(calls, rid)
    client = calls.arm.resources(_subscription_of(rid)).resources
    try:
        found = await calls.arm_call(lambda: client.get_by_id(rid, api_version=version, cls=answer_json))
    except NotFound:
        return None
    return wire.resource(found) if isinstance(found, dict) else None


async def update_resource_identity(
    calls: Calls, resource_id: str, identity: dict[str, Any], api_version: str | None = None
) -> Written:
    """``PATCH`` the resource's ``identity`` block (ARM merges ``userAssignedIdentities``; ``None`` detaches)."""
    rid = arm_id(resource_id, "resource id")
    version = api_version or await resource_api_version(calls, rid)
    client = calls.arm.resources(_subscription_of(rid)).resources

    async def send() -> Any:
        poller = await client.begin_update_by_id(
            rid, parameters={"identity": identity}, api_version=version, cls=answer_json, **_once()
        )
        return await poller.result()

    with recorded_request_ids() as ids:
        answer = await calls.arm_call(send, write=True)
    return Written(wire.resource(answer) if isinstance(answer, dict) else None, tuple(ids))


async def get_user_assigned_identity(calls: Calls, identity_id: str) -> ArmResource | None:
    sub, group, name = _uami_parts(identity_id)
    client = calls.arm.msi(sub).user_assigned_identities
    try:
        found = await calls.arm_call(lambda: client.get(group, name, cls=answer_json))
    except NotFound:
        return None
    return wire.resource(found) if isinstance(found, dict) else None


async def create_user_assigned_identity(
    calls: Calls, subscription_id: str, resource_group: str, name: str, location: str, tags: dict[str, str]
) -> Written:
    from azure.mgmt.msi.models import Identity

    sub = guid(subscription_id, "subscription id")
    client = calls.arm.msi(sub).user_assigned_identities
    body = Identity(location=location, tags=tags or None)
    with recorded_request_ids() as ids:
        made = await calls.arm_call(
            lambda: client.create_or_update(resource_group, name, body, cls=answer_json, **_once()), write=True
        )
    return Written(wire.resource(made) if isinstance(made, dict) else None, tuple(ids))


async def delete_user_assigned_identity(calls: Calls, identity_id: str) -> Written:
    """Deletes it (ARM answers 200, or 204 when it was not there; the writer reads back either way)."""
    sub, group, name = _uami_parts(identity_id)
    client = calls.arm.msi(sub).user_assigned_identities
    with recorded_request_ids() as ids:
        await calls.arm_call(lambda: client.delete(group, name, cls=_status, **_once()), write=True)
    return Written(None, tuple(ids))


async def create_federated_credential(
    calls: Calls, identity_id: str, name: str, issuer: str, subject: str, audiences: list[str]
) -> Written:
    from azure.mgmt.msi.models import FederatedIdentityCredential

    sub, group, identity = _uami_parts(identity_id)
    client = calls.arm.msi(sub).federated_identity_credentials
    body = FederatedIdentityCredential(issuer=issuer, subject=subject, audiences=list(audiences))
    with recorded_request_ids() as ids:
        made = await calls.arm_call(
            lambda: client.create_or_update(group, identity, name, body, cls=answer_json, **_once()), write=True
        )
    return Written(wire.federated_credential(made) if isinstance(made, dict) else None, tuple(ids))


async def delete_federated_credential(calls: Calls, identity_id: str, name: str) -> Written:
    sub, group, identity = _uami_parts(identity_id)
    client = calls.arm.msi(sub).federated_identity_credentials
    with recorded_request_ids() as ids:
        await calls.arm_call(lambda: client.delete(group, identity, name, cls=_status, **_once()), write=True)
    return Written(None, tuple(ids))
