"""The Microsoft Graph client (msgraph-sdk), built as in notes/azure-sdk-facts §6.1 with the cloud's Graph URL.

SDK imports happen inside the functions (lazily)."""

from __future__ import annotations

from typing import Any

from tui.azure.clouds import Cloud, ssl_context
from tui.azure.policies import Gate, graph_event_hooks


def make_graph_client(
    credential: Any,
    cloud: Cloud,
    ca_file: str | None,
    gate: Gate,
    *,
    max_retries: int = 3,
    connections: int = 64,
    ssl: Any = None,
) -> tuple[Any, Any]:
    """(GraphServiceClient, the underlying httpx.AsyncClient to close). ``ssl``: a TLS context to share (else one
    is built from ``ca_file``)."""
    import httpx
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.kiota_client_factory import KiotaClientFactory
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory
    from msgraph_core.middleware import GraphTelemetryHandler

    from tui.azure.graph_links import LinkPeek

    http = httpx.AsyncClient(
        verify=ssl if ssl is not None else ssl_context(ca_file),
        timeout=httpx.Timeout(60, connect=15),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        event_hooks=graph_event_hooks(gate),
        trust_env=True,
    )
    options = {RetryHandlerOption.get_key(): RetryHandlerOption(delay=1, max_retries=max_retries)}
    # the SDK's default pipeline (GraphClientFactory.create_with_default_middleware's), after LinkPeek: a listing's
    # next page is asked for as soon as the head of this one's answer names it (tui.azure.graph_links)
    middleware = [LinkPeek(), *KiotaClientFactory.get_default_middleware(options), GraphTelemetryHandler()]
    http = GraphClientFactory.create_with_custom_middleware(middleware, client=http)
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[cloud.graph_scope], allowed_hosts=[cloud.graph_host] if cloud.graph_host else []
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = cloud.graph_url.rstrip("/") + "/v1.0"
    return GraphServiceClient(request_adapter=adapter), http


def prewarm_graph_models() -> None:
    """Import and exercise the Graph models once (≈0.9 s of lazy imports). Call it in a thread at startup."""
    import json

    from kiota_serialization_json.json_parse_node import JsonParseNode
    from msgraph.generated.models.app_role_assignment import AppRoleAssignment
    from msgraph.generated.models.app_role_assignment_collection_response import (
        AppRoleAssignmentCollectionResponse,
    )
    from msgraph.generated.models.service_principal_collection_response import ServicePrincipalCollectionResponse

    JsonParseNode(
        json.loads('{"value":[{"id":"x","appRoles":[{"id":"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"}]}]}')
    ).get_object_value(ServicePrincipalCollectionResponse)
    JsonParseNode({"id": "x"}).get_object_value(AppRoleAssignment)
    JsonParseNode({"value": [{"id": "x"}]}).get_object_value(AppRoleAssignmentCollectionResponse)
