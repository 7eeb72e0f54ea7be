"""ARM clients (azure-mgmt-*), all async, pointed at the cloud's ARM endpoint, sharing one aiohttp session.

SDK imports happen inside the functions (lazily)."""

from __future__ import annotations

import contextlib
from typing import Any

from tui.azure.clouds import Cloud, env_proxy_applies, ssl_context
from tui.azure.policies import Gate, arm_policies, arm_retry_observer

# the subscription id of a client that is sent whole URLs only (any will do: it never reaches a request)
_ANY_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


class ArmClients:
    def __init__(self, credential: Any, cloud: Cloud, ca_file: str | None, gate: Gate, connections: int = 64) -> None:
        self.credential = credential
        self.cloud = cloud
        self.ca_file = ca_file
        self.gate = gate
        self.connections = connections
        self._session: Any = None
        self._transport: Any = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._ssl: Any = None
        self._reads: Any = None

    @property
    def ssl(self) -> Any:
        """The TLS trust (default + the CA file): built once (~60 ms), shared with the Graph client."""
        if self._ssl is None:
            self._ssl = ssl_context(self.ca_file)
        return self._ssl

    def _common(self) -> dict[str, Any]:
        if self._transport is None:
            from azure.core.pipeline.transport import AioHttpTransport

            from tui.azure.sessions import client_session

            trust_env = env_proxy_applies(self.cloud.arm_url)
            self._session = client_session(self.ssl, self.connections, trust_env=trust_env)
            self._transport = AioHttpTransport(session=self._session, session_owner=False)
        return {
            "base_url": self.cloud.arm_url,
            "credential_scopes": [self.cloud.arm_scope],
            "transport": self._transport,
            "per_call_policies": arm_policies(self.gate),
            "per_retry_policies": arm_retry_observer(self.gate),
        }

    def reads(self) -> Any:
        """The pipeline ARM's listings go through (tui.azure.paging.arm_pages): what an SDK client's pipeline does
        for a GET (a client request id, the user agent, the read-only gate, azure-core's retries of 429 with its
        Retry-After, 5xx and dropped connections, ARM's token with its claims challenges, the retry observer), without
        the policies only writes or diagnostics use (resource provider registration, redirects, logging, tracing):
        about half of the pipeline's CPU per page, and a load at 200:40000 reads ~450 pages."""
        if self._reads is None:
            from azure.core import AsyncPipelineClient
            from azure.core.pipeline import AsyncPipeline
            from azure.core.pipeline.policies import AsyncRetryPolicy, HeadersPolicy, RequestIdPolicy, UserAgentPolicy
            from azure.mgmt.core.policies import AsyncARMChallengeAuthenticationPolicy

            common = self._common()
            policies = [
                RequestIdPolicy(),
                HeadersPolicy(),
                UserAgentPolicy(sdk_moniker="mitui"),
                *common["per_call_policies"],
                AsyncRetryPolicy(),
                AsyncARMChallengeAuthenticationPolicy(self.credential, self.cloud.arm_scope),
                *common["per_retry_policies"],
            ]
            pipeline = AsyncPipeline(common["transport"], policies)
            self._reads = AsyncPipelineClient(self.cloud.arm_url, pipeline=pipeline)
        return self._reads

    def _get(self, kind: str, sub: str, make: Any) -> Any:
        key = (kind, sub)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = make()
        return client

    def subscriptions(self) -> Any:
        from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

        return self._get("subs", "", lambda: SubscriptionClient(self.credential, **self._common()))

    def resources(self, subscription_id: str) -> Any:
        from azure.mgmt.resource.resources.aio import ResourceManagementClient

        return self._get(
            "res", subscription_id, lambda: ResourceManagementClient(self.credential, subscription_id, **self._common())
        )

    def authorization(self, subscription_id: str = _ANY_SUBSCRIPTION) -> Any:
        from azure.mgmt.authorization.aio import AuthorizationManagementClient

        return self._get(
            "auth",
            subscription_id,
            lambda: AuthorizationManagementClient(self.credential, subscription_id, **self._common()),
        )

    def msi(self, subscription_id: str) -> Any:
        from azure.mgmt.msi.aio import ManagedServiceIdentityClient

        return self._get(
            "msi",
            subscription_id,
            lambda: ManagedServiceIdentityClient(self.credential, subscription_id, **self._common()),
        )

    def resource_graph(self) -> Any:
        from azure.mgmt.resourcegraph.aio import ResourceGraphClient

        return self._get("graph", "", lambda: ResourceGraphClient(self.credential, **self._common()))

    def monitor(self) -> Any:
        """One client for every subscription: mitui sends it whole URLs (a client per subscription was ~25 KB of
        serializer tables and pipeline each, 5 MB at 200 subscriptions, for the same requests)."""
        from azure.mgmt.monitor.aio import MonitorManagementClient

        return self._get(
            "monitor",
            "",
            lambda: MonitorManagementClient(self.credential, _ANY_SUBSCRIPTION, **self._common()),
        )

    def automation(self, subscription_id: str) -> Any:
        from azure.mgmt.automation.aio import AutomationClient

        return self._get(
            "automation",
            subscription_id,
            lambda: AutomationClient(self.credential, subscription_id, **self._common()),
        )

    async def close(self) -> None:
        for client in self._clients.values():
            with contextlib.suppress(Exception):
                await client.close()
        self._clients.clear()
        self._reads = None  # (its transport is the session's, closed below)
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._transport = None
