"""Helpers for the sandbox tenant's own tests: a small tenant to change, and OpenAPI schema validation."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tui.emulator.builder import TenantBuilder
from tui.emulator.tenant import Tenant

SPECS = Path(__file__).resolve().parent.parent / "data" / "arm"
SPEC_FILES = {
    "authorization": "authorization/2022-04-01/authorization-RoleAssignmentsCalls.json",
    "roledefinitions": "authorization/2022-04-01/authorization-RoleDefinitionsCalls.json",
    "msi": "managedidentity/2024-11-30/ManagedIdentity.json",
    "subscriptions": "resources/2022-12-01/subscriptions.json",
    "resources": "resources/2022-12-01/resources.excerpt.json",
    "resourcegraph": "resourcegraph/2022-10-01/resourcegraph.json",
}
COMMON = "common-types/resource-management/v2/types.excerpt.json"


def _rewrite_refs(node: Any) -> Any:
    """Point every external ``$ref`` at the local definitions (common-types are merged in, see below)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and not v.startswith("#"):
                v = "#" + v.split("#", 1)[1]
            if k == "required" and isinstance(v, list):
                # SubscriptionListResult marks nextLink required, but ARM (and the SDK) end a listing by
                # leaving it out: a last page has no nextLink.
                v = [name for name in v if name != "nextLink"]
            out[k] = _rewrite_refs(v)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


@cache
def _definitions(spec: str) -> dict:
    common = json.loads((SPECS / COMMON).read_text())["definitions"]
    own = json.loads((SPECS / SPEC_FILES[spec]).read_text())["definitions"]
    if spec == "roledefinitions":  # Permission lives in the authorization common-types file
        extra = json.loads((SPECS / "authorization/2022-04-01/common-types.json").read_text())["definitions"]
        own = {**extra, **own}
    if spec == "resourcegraph":
        # "type": "object" without properties is OpenAPI's "any value" (autorest's reading); the spec's own
        # examples answer a JSON array there (resultFormat objectArray)
        own = json.loads(json.dumps(own))
        own["QueryResponse"]["properties"]["data"].pop("type", None)
        own["ErrorDetails"]["additionalProperties"].pop("type", None)  # (a position is a number)
    return _rewrite_refs({**common, **own})


def validate(spec: str, definition: str, body: Any) -> None:
    """Validate ``body`` against ``definition`` of one of the copied ARM specs (raises ValidationError)."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _definitions(spec)}
    jsonschema.Draft4Validator(schema).validate(body)


@pytest.fixture
def arm_schema() -> Callable[[str, str, Any], None]:
    """``arm_schema(spec, definition, body)``: validate against the copied OpenAPI specs (see :func:`validate`)."""
    return validate


@pytest.fixture
def small_tenant() -> Callable[..., Tenant]:
    """``small_tenant(caller_role="Owner")``: a tenant with built-in roles, one admin user holding
    ``caller_role`` on subscription "Sandbox One" (None: no role), a second subscription where the admin holds
    nothing, a resource group with a user-assigned identity (with a federated credential), an Automation
    account with a system-assigned identity, and a Reader assignment of that identity on the group."""

    def build(caller_role: str | None = "Owner") -> Tenant:
        b = TenantBuilder(seed="small-tenant")
        admin = b.add_user("Ada Admin", "ada@contoso.onmicrosoft.com", admin=True)
        b.add_user("Rick Reader", "rick@contoso.onmicrosoft.com")
        one = b.add_subscription("Sandbox One")
        b.add_subscription("Sandbox Two")
        rg = b.add_resource_group(one, "rg-core", "westeurope")
        uami = b.add_user_assigned_identity(rg, "id-core", tags={"team": "core"})
        b.add_federated_credential(
            uami, "github-main", "https://token.actions.githubusercontent.com", "repo:c/o:ref:refs/heads/main"
        )
        aa = b.add_resource(
            rg, "Microsoft.Automation/automationAccounts", "aa-core", system_identity=True, user_identities=[uami]
        )
        b.add_resource(rg, "Microsoft.KeyVault/vaults", "kv-core")
        if caller_role:
            b.assign_role(admin, caller_role, one)
        b.assign_role(aa, "Reader", rg)
        return b.build()

    return build
