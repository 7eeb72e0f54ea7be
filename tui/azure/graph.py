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
    """(GraphServiceClient, its :class:`GraphHttp` to close). ``ssl``: a TLS context to share (else one
    is built from ``ca_file``)."""
    import httpx
    from httpx_aiohttp import AiohttpTransport
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.kiota_client_factory import KiotaClientFactory
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory
    from msgraph_core.middleware import GraphTelemetryHandler

    from tui.azure.graph_links import LinkPeek
    from tui.azure.sessions import client_session

    # aiohttp under httpx (httpx-aiohttp): the same HTTP stack as the ARM clients'. Through httpx's own (httpcore,
    # h11 and anyio's TLS stream: a cancel scope and a pure-Python TLS read per 16 KB record) Graph's pages cost
    # ~8 % more of mitui's CPU in a load at 50:10000 (benchmarks, README).
    # (its aiohttp session never resends a write by itself: tui.azure.sessions; made by the first request, on the
    # event loop; a proxy from the environment is httpx's, through its own transport)
    trust = ssl if ssl is not None else ssl_context(ca_file)
    # (``verify``: the same trust, given, not a context of certifi's bundle made and never used: 19 ms of CPU)
    transport = AiohttpTransport(verify=trust, client=lambda: client_session(trust, connections))
    http = httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(60, connect=15),
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
    return GraphServiceClient(request_adapter=adapter), GraphHttp(http, transport)


class GraphHttp:
    """What the Graph client holds open: the httpx client and the aiohttp transport under it (msgraph-core's
    transport wrapper does not close the transport it wraps: its aiohttp session would be left open)."""

    def __init__(self, client: Any, transport: Any) -> None:
        self.client = client
        self.transport = transport

    async def aclose(self) -> None:
        try:
            await self.client.aclose()
        finally:
            await self.transport.aclose()


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
