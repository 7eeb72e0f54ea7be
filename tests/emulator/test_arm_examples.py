"""Replay the specs' x-ms-examples against the sandbox tenant: the example's request, adapted to ids that exist
in the tenant, must answer with one of the example's status codes and a body of the example's shape (every key
the example shows is there, with the same JSON type)."""

from __future__ import annotations

import json
import ssl
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "arm"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
# Keys whose children are data, not shape (tag names), and list keys that may be empty in the sandbox.
DATA_KEYS = {"tags"}
MAY_BE_EMPTY = {"managedByTenants", "notActions", "dataActions", "notDataActions"}


def _json_type(v: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(v), "number")


def shape_mismatches(example: Any, actual: Any, path: str = "") -> list[str]:
    problems: list[str] = []
    if _json_type(example) != _json_type(actual):
        return [f"{path or '<body>'}: example is {_json_type(example)}, got {_json_type(actual)}"]
    if isinstance(example, dict):
        for key, value in example.items():
            if key == "nextLink":  # present only when more pages follow
                continue
            if key not in actual:
                problems.append(f"{path}{key}: missing")
            elif key not in DATA_KEYS:
                problems += shape_mismatches(value, actual[key], f"{path}{key}.")
    elif isinstance(example, list) and example:
        if not actual:
            if path.rstrip(".").rsplit(".", 1)[-1] not in MAY_BE_EMPTY:
                problems.append(f"{path}: empty, the example has items")
        else:
            problems += shape_mismatches(example[0], actual[0], f"{path}[].")
    return problems


def example(name: str) -> dict:
    found = list(DATA.glob(f"*/*/examples/{name}.json"))
    assert len(found) == 1, name
    return json.loads(found[0].read_text())


class Sandbox:
    def __init__(self, emu):
        self.emu = emu
        t = emu.tenant
        self.sub = next(s.subscription_id for s in t.subscriptions.values() if s.display_name == "Sandbox One")
        self.rg = f"/subscriptions/{self.sub}/resourceGroups/rg-core"
        self.uami = next(r for r in t.resources.values() if r.is_user_assigned_identity)
        self.aa = next(r for r in t.resources.values() if r.system_principal_id)
        self.ra = next(ra for ra in t.role_assignments.values() if ra.scope == self.rg)


def _ra_body(sb: Sandbox, name: str, role: str) -> dict:
    """The example's request body with the tenant's role definition and principal."""
    params = example(name)["parameters"]
    body = json.loads(json.dumps(params.get("parameters") or params.get("roleAssignment") or {}))
    props = body.setdefault("properties", {})
    props["roleDefinitionId"] = f"/subscriptions/{sb.sub}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    props["principalId"] = sb.uami.principal_id
    props["principalType"] = "ServicePrincipal"
    return body


def _requests(sb: Sandbox, name: str, ex: dict) -> tuple[str, str, dict | None]:
    """(method, path, body) for the example ``name`` in the sandbox tenant."""
    ra_api, msi_api = "api-version=2022-04-01", "api-version=2024-11-30"
    uami_path = f"{sb.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{sb.uami.name}"
    fic = next(iter(f for f in sb.emu.tenant.federated_credentials.values()))
    ras = "providers/Microsoft.Authorization/roleAssignments"
    table: dict[str, tuple[str, str, dict | None]] = {
        "GetSubscriptions": ("GET", "/subscriptions?api-version=2022-12-01", None),
        "GetSubscription": ("GET", f"/subscriptions/{sb.sub}?api-version=2022-12-01", None),
        "GetTenants": ("GET", "/tenants?api-version=2022-12-01", None),
        "RoleAssignments_ListForSubscription": ("GET", f"/subscriptions/{sb.sub}/{ras}?{ra_api}", None),
        "RoleAssignments_ListForResourceGroup": ("GET", f"{sb.rg}/{ras}?{ra_api}", None),
        "RoleAssignments_ListForResource": ("GET", f"{sb.aa.id}/{ras}?{ra_api}", None),
        "RoleAssignments_ListForScope": ("GET", f"/subscriptions/{sb.sub}/{ras}?{ra_api}&$filter=atScope()", None),
        "RoleAssignments_CreateForSubscription": (
            "PUT",
            f"/subscriptions/{sb.sub}/{ras}/{uuid.uuid4()}?{ra_api}",
            _ra_body(sb, "RoleAssignments_CreateForSubscription", READER),
        ),
        "RoleAssignments_CreateForResourceGroup": (
            "PUT",
            f"{sb.rg}/{ras}/{uuid.uuid4()}?{ra_api}",
            _ra_body(sb, "RoleAssignments_CreateForResourceGroup", CONTRIBUTOR),
        ),
        "RoleAssignments_CreateForResource": (
            "PUT",
            f"{sb.aa.id}/{ras}/{uuid.uuid4()}?{ra_api}",
            _ra_body(sb, "RoleAssignments_CreateForResource", READER),
        ),
        "RoleAssignments_CreateById": (
            "PUT",
            f"{sb.aa.id}/{ras}/{uuid.uuid4()}?{ra_api}",
            _ra_body(sb, "RoleAssignments_CreateById", CONTRIBUTOR),
        ),
        "RoleAssignments_Get": ("GET", f"{sb.ra.id}?{ra_api}", None),
        "RoleAssignments_GetById": ("GET", f"{sb.ra.id}?{ra_api}", None),
        "RoleAssignments_Delete": ("DELETE", f"{sb.ra.id}?{ra_api}", None),
        "RoleAssignments_DeleteById": ("DELETE", f"{sb.rg}/{ras}/{uuid.uuid4()}?{ra_api}", None),
        "GetRoleDefinitionAtScope": (
            "GET",
            f"/subscriptions/{sb.sub}/providers/Microsoft.Authorization/roleDefinitions?{ra_api}",
            None,
        ),
        "GetRoleDefinitionById": ("GET", f"/providers/Microsoft.Authorization/roleDefinitions/{READER}?{ra_api}", None),
        "GetRoleDefinitionByName": (
            "GET",
            f"{sb.rg}/providers/Microsoft.Authorization/roleDefinitions/{READER}?{ra_api}",
            None,
        ),
        "PutRoleDefinition": (
            "PUT",
            f"/subscriptions/{sb.sub}/providers/Microsoft.Authorization/roleDefinitions/{uuid.uuid4()}?{ra_api}",
            {
                "properties": {
                    "roleName": "Example Role",
                    "description": "Role description",
                    "type": "CustomRole",
                    "assignableScopes": [f"/subscriptions/{sb.sub}"],
                    "permissions": [
                        {
                            "actions": ["Microsoft.Resources/subscriptions/resourceGroups/read"],
                            "notActions": [],
                            "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                            "notDataActions": [],
                        }
                    ],
                }
            },
        ),
        "IdentityCreate": (
            "PUT",
            f"{sb.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-example?{msi_api}",
            example("IdentityCreate")["parameters"]["parameters"],
        ),
        "IdentityGet": ("GET", f"{uami_path}?{msi_api}", None),
        "IdentityUpdate": ("PATCH", f"{uami_path}?{msi_api}", example("IdentityUpdate")["parameters"]["parameters"]),
        "IdentityDelete": ("DELETE", f"{uami_path}?{msi_api}", None),
        "IdentityListBySubscription": (
            "GET",
            f"/subscriptions/{sb.sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{msi_api}",
            None,
        ),
        "IdentityListByResourceGroup": (
            "GET",
            f"{sb.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{msi_api}",
            None,
        ),
        "SystemAssignedIdentityGet": (
            "GET",
            f"{sb.aa.id}/providers/Microsoft.ManagedIdentity/identities/default?{msi_api}",
            None,
        ),
        "FederatedIdentityCredentialCreate": (
            "PUT",
            f"{uami_path}/federatedIdentityCredentials/ficResourceName?{msi_api}",
            example("FederatedIdentityCredentialCreate")["parameters"]["parameters"],
        ),
        "FederatedIdentityCredentialGet": (
            "GET",
            f"{uami_path}/federatedIdentityCredentials/{fic.name}?{msi_api}",
            None,
        ),
        "FederatedIdentityCredentialList": ("GET", f"{uami_path}/federatedIdentityCredentials?{msi_api}&$top=20", None),
        "FederatedIdentityCredentialDelete": (
            "DELETE",
            f"{uami_path}/federatedIdentityCredentials/{fic.name}?{msi_api}",
            None,
        ),
    }
    return table[name]


EXAMPLES = sorted(
    p.stem
    for p in DATA.glob("*/*/examples/*.json")
    if p.stem.startswith(
        (
            "RoleAssignments_",
            "GetRoleDefinition",
            "PutRoleDefinition",
            "Identity",
            "SystemAssigned",
            "FederatedIdentityCredential",
            "GetSubscription",
            "GetTenants",
        )
    )
)


@pytest.mark.parametrize("name", EXAMPLES)
async def test_example_replays_with_the_same_shape(name, emulator_factory, small_tenant):
    emu = emulator_factory(small_tenant())
    sb = Sandbox(emu)
    ex = example(name)
    method, path, body = _requests(sb, name, ex)
    ctx = ssl.create_default_context(cafile=emu.connection.ca_file)
    headers = {"Authorization": f"Bearer {emu.token_for()}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as s,
        s.request(
            method,
            emu.connection.arm + path,
            data=json.dumps(body) if body is not None else None,
            headers=headers,
            ssl=ctx,
        ) as r,
    ):
        status, text = r.status, await r.text()
    assert str(status) in ex["responses"], f"{name}: {status} {text}"
    expected = ex["responses"][str(status)].get("body")
    if expected:
        assert shape_mismatches(expected, json.loads(text)) == [], name
    else:
        assert text == "" or json.loads(text) is not None
