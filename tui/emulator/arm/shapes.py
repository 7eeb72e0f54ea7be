"""The JSON shapes ARM answers with, one serialiser per shape."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from tui.emulator.ids import FIC_TYPE, RA_TYPE, RD_TYPE, RESOURCE_GROUP_TYPE, SYSTEM_IDENTITY_TYPE, UAMI_TYPE
from tui.emulator.tenant import (
    FederatedCredential,
    Resource,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    Subscription,
    Tenant,
)
from tui.emulator.text_cache import snapshot
from tui.emulator.wire import dumps, encode_str


def subscription_json(sub: Subscription, tenant: Tenant) -> dict:
    return {
        "id": f"/subscriptions/{sub.subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": dict(sub.tags),
        "subscriptionId": sub.subscription_id,
        "tenantId": tenant.tenant_id,
        "displayName": sub.display_name,
        "state": sub.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def resource_group_json(rg: ResourceGroup) -> dict:
    out: dict[str, Any] = {
        "id": rg.id,
        "name": rg.name,
        "type": RESOURCE_GROUP_TYPE,
        "location": rg.location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if rg.tags:
        out["tags"] = dict(rg.tags)
    return out


def identity_json(res: Resource, tenant: Tenant) -> dict | None:
    kinds = []
    if res.system_principal_id:
        kinds.append("SystemAssigned")
    if res.user_assigned_identity_ids:
        kinds.append("UserAssigned")
    if not kinds:
        return None
    out: dict[str, Any] = {"type": ", ".join(kinds)}
    if res.system_principal_id:
        out["principalId"] = res.system_principal_id
        out["tenantId"] = tenant.tenant_id
    if res.user_assigned_identity_ids:
        out["userAssignedIdentities"] = _user_assigned_json(res, tenant)
    return out


def resource_json(res: Resource, tenant: Tenant, expand: frozenset[str] = frozenset()) -> dict:
    out: dict[str, Any] = {"id": res.id, "name": res.name, "type": res.type, "location": res.location}
    if res.kind:
        out["kind"] = res.kind
    if res.sku:
        out["sku"] = dict(res.sku)
    if res.tags:
        out["tags"] = dict(res.tags)
    ident = identity_json(res, tenant)
    if ident:
        out["identity"] = ident
    if "createdtime" in expand:
        out["createdTime"] = "2024-03-04T09:00:00.0000000Z"
    if "changedtime" in expand:
        out["changedTime"] = "2024-03-04T09:00:00.0000000Z"
    if "provisioningstate" in expand:
        out["provisioningState"] = "Succeeded"
    return out


def _user_assigned_json(res: Resource, tenant: Tenant) -> dict[str, dict]:
    uais: dict[str, dict] = {}
    for uid in res.user_assigned_identity_ids:
        uami = tenant.resource(uid)
        if uami is not None and uami.principal_id:
            uais[uami.id] = {"principalId": uami.principal_id, "clientId": uami.client_id}
        else:
            uais[uid] = {}
    return uais


def resource_text(res: Resource, tenant: Tenant, expand: frozenset[str] = frozenset()) -> str:
    """The JSON text of :func:`resource_json` (what a listing caches per resource, see ``ArmApi.resource_texts``)."""
    return dumps(resource_json(res, tenant, expand))


_RESOURCE_FIELDS = operator.attrgetter("id", "name", "type", "location", "kind", "system_principal_id")


def resource_key(res: Resource, tenant: Tenant) -> tuple:
    """Everything :func:`resource_text` (without ``$expand``) reads, as a value to compare (an empty sku or tags
    as None: the text leaves either out)."""
    uamis: tuple = ()
    if res.user_assigned_identity_ids:
        found = [(uid, tenant.resource(uid)) for uid in res.user_assigned_identity_ids]
        uamis = tuple((uid, u.id, u.principal_id, u.client_id) if u else (uid,) for uid, u in found)
    return (
        tenant.tenant_id,
        _RESOURCE_FIELDS(res),
        snapshot(res.sku) if res.sku else None,
        snapshot(res.tags) if res.tags else None,
        uamis,
    )


def generic_resource_json(res: Resource, tenant: Tenant) -> dict:
    out = resource_json(res, tenant)
    out["properties"] = dict(res.properties)
    return out


def uami_json(res: Resource, tenant: Tenant) -> dict:
    return {
        "id": res.id,
        "name": res.name,
        "type": UAMI_TYPE,
        "location": res.location,
        "tags": dict(res.tags),
        "properties": {
            "isolationScope": res.properties.get("isolationScope", "None"),
            "tenantId": tenant.tenant_id,
            "principalId": res.principal_id,
            "clientId": res.client_id,
        },
    }


def fic_json(fic: FederatedCredential, identity: Resource) -> dict:
    return {
        "id": f"{identity.id}/federatedIdentityCredentials/{fic.name}",
        "name": fic.name,
        "type": FIC_TYPE,
        "properties": {"issuer": fic.issuer, "subject": fic.subject, "audiences": list(fic.audiences)},
    }


def system_identity_json(res: Resource, tenant: Tenant) -> dict:
    tid = tenant.tenant_id
    return {
        "id": f"{res.id}/providers/Microsoft.ManagedIdentity/identities/default",
        "name": "default",
        "type": SYSTEM_IDENTITY_TYPE,
        "location": res.location,
        "tags": dict(res.tags),
        "properties": {
            "tenantId": tid,
            "principalId": res.system_principal_id,
            "clientId": res.system_client_id,
            "clientSecretUrl": f"https://control-{res.location}.identity.azure.net{res.id}/credentials/v2/"
            f"identities?tid={tid}&oid={res.system_principal_id}&aid={res.system_client_id}",
        },
    }


def role_definition_json(rd: RoleDefinition, scope: str) -> dict:
    perms = []
    for p in rd.permissions:
        block = {
            "actions": list(p.get("actions") or []),
            "notActions": list(p.get("notActions") or []),
            "dataActions": list(p.get("dataActions") or []),
            "notDataActions": list(p.get("notDataActions") or []),
        }
        if p.get("condition"):
            block["condition"] = p["condition"]
            block["conditionVersion"] = p.get("conditionVersion") or "2.0"
        perms.append(block)
    props: dict[str, Any] = {
        "roleName": rd.role_name,
        "type": rd.role_type,
        "description": rd.description,
        "assignableScopes": list(rd.assignable_scopes),
        "permissions": perms,
    }
    if rd.created_on:
        props["createdOn"] = rd.created_on
    if rd.updated_on:
        props["updatedOn"] = rd.updated_on
    return {"id": rd.id_at(scope), "name": rd.name, "type": RD_TYPE, "properties": props}


# A role assignment's properties, in ARM's order: (key, value of the assignment, kept when the value is None). One
# table drives both the dict shape and the JSON text that listings send by the hundred thousand (built directly from
# the same rows, at a fraction of the cost of building the dicts and encoding them).
ROLE_ASSIGNMENT_PROPERTIES: tuple[tuple[str, Callable[[RoleAssignment], Any], bool], ...] = (
    ("roleDefinitionId", operator.attrgetter("role_definition_id"), True),
    ("principalId", operator.attrgetter("principal_id"), True),
    ("principalType", operator.attrgetter("principal_type"), True),
    ("scope", operator.attrgetter("scope"), True),
    ("condition", lambda ra: ra.condition or None, False),
    ("conditionVersion", lambda ra: (ra.condition_version or "2.0") if ra.condition else None, False),
    ("createdOn", lambda ra: ra.created_on or None, False),
    ("updatedOn", lambda ra: ra.updated_on or None, False),
    ("createdBy", lambda ra: ra.created_by or None, False),
    ("updatedBy", lambda ra: ra.updated_by or None, False),
    ("description", operator.attrgetter("description"), False),
)
_RA_PROPERTY_TEXTS = tuple((encode_str(key) + ":", value, keep) for key, value, keep in ROLE_ASSIGNMENT_PROPERTIES)
_RA_TYPE_TEXT = encode_str(RA_TYPE)


def role_assignment_json(ra: RoleAssignment) -> dict:
    props = {key: v for key, value, keep in ROLE_ASSIGNMENT_PROPERTIES if (v := value(ra)) is not None or keep}
    return {"properties": props, "id": ra.id, "type": RA_TYPE, "name": ra.name}


# A listing sends the JSON text of each item, encoded once and cached while the item stays the same (see
# text_cache.py): ``ROLE_ASSIGNMENT_FIELDS`` is everything a role assignment's text is made of.
ROLE_ASSIGNMENT_FIELDS = operator.attrgetter(*(f.name for f in fields(RoleAssignment)))  # all strings or None


def role_assignment_text(ra: RoleAssignment) -> str:
    """``dumps(role_assignment_json(ra))``, from the same table."""
    props = role_assignment_properties_text(ra)
    return f'{{"properties":{props},"id":{_text(ra.id)},"type":{_RA_TYPE_TEXT},"name":{_text(ra.name)}}}'


def role_assignment_properties_text(ra: RoleAssignment) -> str:
    """``dumps(role_assignment_json(ra)["properties"])``, from the same table."""
    props = ",".join(
        key + (encode_str(v) if type(v) is str else dumps(v))
        for key, value, keep in _RA_PROPERTY_TEXTS
        if (v := value(ra)) is not None or keep
    )
    return f"{{{props}}}"


def _text(value: object) -> str:
    return encode_str(value) if type(value) is str else dumps(value)
