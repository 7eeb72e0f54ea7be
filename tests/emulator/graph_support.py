"""Helpers for the Microsoft Graph tests: the real GraphServiceClient over HTTPS trusting only the emulator's CA
(built as in azure-sdk-facts §6.1), raw HTTP with a real token, and validation against the Graph schema subset
copied to ``tests/data/graph``."""

from __future__ import annotations

import json
import ssl
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from tui.emulator.server import Emulator

GRAPH_DATA = Path(__file__).resolve().parent.parent / "data" / "graph"
GRAPH_RESOURCE = "https://graph.microsoft.com"
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def make_graph_client(emulator: Emulator, credential: Any, *, max_retries: int | None = None) -> Any:
    """A real ``GraphServiceClient`` pointed at the emulator's Graph origin, trusting only its CA."""
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    conn = emulator.connection
    http = httpx.AsyncClient(verify=ssl.create_default_context(cafile=conn.ca_file), timeout=httpx.Timeout(30))
    options = None
    if max_retries is not None:
        retry = RetryHandlerOption(delay=0, max_retries=max_retries)
        options = {RetryHandlerOption.get_key(): retry}
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[f"{GRAPH_RESOURCE}/.default"], allowed_hosts=["127.0.0.1"]
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{conn.graph}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def raw_client(emulator: Emulator, principal: str | None = None) -> httpx.AsyncClient:
    """An httpx client on the Graph origin with a real bearer token for ``principal`` (default: the caller)."""
    conn = emulator.connection
    token = emulator.token_for(principal, resource=GRAPH_RESOURCE)
    return httpx.AsyncClient(
        base_url=f"{conn.graph}/v1.0",
        verify=ssl.create_default_context(cafile=conn.ca_file),
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(30),
    )


# --- schema validation -----------------------------------------------------------------------------------------
def _openapi_to_jsonschema(node: Any, known: set[str]) -> Any:
    """OpenAPI 3 ``nullable`` → JSON Schema type unions; refs to schemas outside the subset accept anything;
    the OpenAPI file's ``required: ["@odata.type"]`` is dropped (Graph sends @odata.type only where the type is
    not implied, e.g. in getByIds)."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(n, known) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return {"$ref": f"#/definitions/{name}"} if name in known else {}
    out = {k: _openapi_to_jsonschema(v, known) for k, v in node.items() if k not in ("required", "nullable")}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("nullable") and "type" not in out and "anyOf" not in out:
        out = {"anyOf": [out, {"type": "null"}]} if out else {}
    return out


@cache
def _definitions() -> dict[str, Any]:
    raw = json.loads((GRAPH_DATA / "msgraph-v1.0-schemas-subset.json").read_text())["components"]["schemas"]
    return {k: _openapi_to_jsonschema(v, set(raw)) for k, v in raw.items()}


@cache
def _properties(type_name: str) -> frozenset[str]:
    raw = json.loads((GRAPH_DATA / "msgraph-v1.0-schemas-subset.json").read_text())["components"]["schemas"]
    names: set[str] = set()
    stack = [raw[type_name]]
    while stack:
        node = stack.pop()
        for part in node.get("allOf", [node]):
            if "$ref" in part:
                stack.append(raw[part["$ref"].rsplit("/", 1)[-1]])
            names |= set(part.get("properties", {}))
    return frozenset(names)


def validate_graph(type_name: str, body: dict[str, Any]) -> None:
    """Validate one Graph object (e.g. ``microsoft.graph.servicePrincipal``) against the schema subset, and check
    it carries no property the type does not define (besides ``@odata.*`` annotations)."""
    schema = {"$ref": f"#/definitions/{type_name}", "definitions": _definitions()}
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(body)
    extra = {k for k in body if not k.startswith("@odata.")} - _properties(type_name)
    assert not extra, f"properties not in {type_name}: {sorted(extra)}"


def validate_collection(type_name: str, body: dict[str, Any]) -> None:
    assert isinstance(body.get("value"), list), body
    assert body["@odata.context"].endswith(
        tuple(("servicePrincipals", ")", "appRoleAssignments", "appRoleAssignedTo", "directoryObjects"))
    )
    for item in body["value"]:
        validate_graph(type_name, item)


def assert_graph_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is Graph's error envelope with ``status`` and ``code``; returns the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    inner = error["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["date"] and inner["client-request-id"]
    return error
