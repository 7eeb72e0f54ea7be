"""One call to Azure: the clients of a signed-in session (ARM and Graph, sharing one TLS trust and one read-only
gate), and the error mapping and retries every call goes through."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tui.azure.arm import ArmClients
from tui.azure.clouds import Cloud
from tui.azure.errors import map_error
from tui.azure.policies import Gate
from tui.azure.query_quota import QueryQuota
from tui.services.errors import MituiError, ServiceError, Throttled, Unreachable
from tui.services.models import Caller

T = TypeVar("T")
GRAPH_BATCH = 20


class Calls:
    """The clients, built lazily, and one ARM or Graph call at a time (raising only tui.services.errors)."""

    def __init__(
        self,
        credential: Any,
        cloud: Cloud,
        caller: Caller,
        tenant_id: str,
        *,
        ca_file: str | None = None,
        read_only: bool = False,
        graph_max_retries: int = 3,
        concurrency: int = 32,
    ) -> None:
        self.credential = credential
        self.cloud = cloud
        self.cloud_name = cloud.name
        self.caller = caller
        self.tenant_id = tenant_id
        self.graph_url = cloud.graph_url
        self.arm_url = cloud.arm_url
        self.ca_file = ca_file
        self.gate = Gate(read_only)
        self.concurrency = concurrency
        self.batch_size = GRAPH_BATCH
        self.graph_max_retries = graph_max_retries
        self.arm = ArmClients(credential, cloud, ca_file, self.gate)
        self.query_quota = QueryQuota()  # Resource Graph's, per user: what its answers say is left
        self.query_quota.on_wait = self._quota_spent
        self._wait_listener: Callable[[str], None] | None = None
        self._graph: Any = None
        self._graph_http: Any = None

    def _quota_spent(self, wait_s: float) -> None:
        """Say why a load waits."""
        if self._wait_listener is not None:
            self._wait_listener(f"Azure Resource Graph's query quota is spent: the next query in {wait_s:.1f} s")

    def set_wait_listener(self, listener: Callable[[str], None] | None) -> None:
        self._wait_listener = listener

    @property
    def read_only(self) -> bool:
        return self.gate.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.gate.read_only = value

    def set_retry_listener(self, listener: Callable[[str], None] | None) -> None:
        self.gate.retry_listener = listener

    @property
    def graph(self) -> Any:
        if self._graph is None:
            from tui.azure.graph import make_graph_client

            self._graph, self._graph_http = make_graph_client(
                self.credential,
                self.cloud,
                self.ca_file,
                self.gate,
                max_retries=self.graph_max_retries,
                ssl=self.arm.ssl,
            )
        return self._graph

    def prepare(self) -> None:
        """Build what the first reads need — the TLS trust and the Graph client (~0.2 s of CPU; the modules they
        use are imported by tui.azure.connect beforehand) — so that it is not done on the event loop in the middle
        of a load. Call it once, in a worker thread, before the backend is used."""
        _ = self.arm.ssl
        _ = self.graph

    async def arm_call(self, what: Callable[[], Awaitable[T]], *, write: bool = False) -> T:
        """One ARM call (azure-core's pipeline retries it)."""
        try:
            return await what()
        except MituiError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as err:
            raise map_error(err, "Azure Resource Manager", write=write) from None

    async def graph_call(self, what: Callable[[], Awaitable[T]], *, write: bool = False) -> T:
        """One Graph call. Reads are retried on 5xx, 429 and broken connections (kiota itself retries only
        429/503/504); writes are not: Session.apply reconciles them by reading back."""
        attempts = 1 if write else self.graph_max_retries + 1
        for attempt in range(attempts):
            try:
                return await what()
            except (MituiError, asyncio.CancelledError):
                raise
            except Exception as err:
                mapped = map_error(err, "Microsoft Graph", write=write)
                retriable = isinstance(mapped, ServiceError | Throttled) or (
                    isinstance(mapped, Unreachable) and mapped.code != "CertificateUntrusted"
                )
                if not retriable or attempt == attempts - 1:
                    raise mapped from None
                self.gate.note_retry(f"Microsoft Graph: {mapped.title}")
                await asyncio.sleep(min(0.5 * 2**attempt, 4.0))
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        try:
            await self.arm.close()
        finally:
            if self._graph_http is not None:
                await self._graph_http.aclose()
                self._graph_http = None
            close = getattr(self.credential, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result


def answer_json(pipeline_response: Any, deserialized: Any, _headers: Any) -> Any:
    """An azure-mgmt operation's answer as the JSON it came as (its ``cls=``), None when it had no body: mitui
    converts wire JSON once (tui.azure.wire), never the SDK's models."""
    return json.loads(pipeline_response.http_response.body()) if deserialized is not None else None
