"""What every request of mitui passes through, ARM and Graph alike: the read-only gate (no write leaves the
process in read-only mode, whatever path calls it) and the request-id recorder (for the audit log)."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

from tui.services.errors import ReadOnlyRefused

# The request ids of the responses seen by the current task (set a fresh list before a write).
request_ids: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("mitui_request_ids", default=None)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that only read: Graph's getByIds and $batch (mitui batches only GETs), Resource Graph's queries
READ_POST_SUFFIXES = ("/directoryobjects/getbyids", "/$batch", "/providers/microsoft.resourcegraph/resources")


def is_write(method: str, url: str, body: bytes | None = None) -> bool:
    """Whether a request may change something. A Graph ``$batch`` is a write when any request inside it is not a
    GET (or when its body cannot be read)."""
    method = method.upper()
    if method in READ_METHODS:
        return False
    if method == "POST":
        path = url.split("?", 1)[0].lower().rstrip("/")
        if path.endswith("/$batch"):
            return _batch_writes(body)
        return not path.endswith(READ_POST_SUFFIXES)
    return True


def _batch_writes(body: bytes | None) -> bool:
    import json

    try:
        requests = json.loads(body or b"")["requests"]
        return not all(str(r.get("method", "")).upper() in READ_METHODS for r in requests)
    except (ValueError, TypeError, KeyError, AttributeError):
        return True  # unreadable: assume the worst


def refuse() -> ReadOnlyRefused:
    return ReadOnlyRefused(
        "Read-only mode: no change was sent", "start mitui without --read-only to make changes", code="ReadOnly"
    )


def record_request_id(value: str | None) -> None:
    ids = request_ids.get()
    if ids is not None and value:
        ids.append(value)


class Gate:
    """Shared switch: read-only, and counters of what was sent and retried (for tests and the status bar)."""

    def __init__(self, read_only: bool) -> None:
        self.read_only = read_only
        self.sent = 0
        self.writes_sent = 0
        self.retries = 0
        self.retry_listener: Callable[[str], None] | None = None
        self.started = time.monotonic()

    def note_retry(self, what: str) -> None:
        """A request failed in a way that is retried (throttled, 5xx, a dropped connection): say so, so the user
        sees retries rather than a stall."""
        self.retries += 1
        if self.retry_listener is not None:
            self.retry_listener(what)

    def check(self, method: str, url: str, body: bytes | None = None) -> None:
        write = is_write(method, url, body)
        if write and self.read_only:
            raise refuse()
        self.sent += 1
        if write:
            self.writes_sent += 1


def arm_policies(gate: Gate) -> list[Any]:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class GatePolicy(SansIOHTTPPolicy):  # type: ignore[misc]
        def on_request(self, request: Any) -> None:
            http = request.http_request
            body = http.body if isinstance(getattr(http, "body", None), bytes | bytearray) else None
            gate.check(http.method, http.url, body)

        def on_response(self, request: Any, response: Any) -> None:
            record_request_id(response.http_response.headers.get("x-ms-request-id"))

    return [GatePolicy()]


# What azure-core's retry policy answers with another attempt.
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def arm_retry_observer(gate: Gate) -> list[Any]:
    """A per-retry policy: sees every attempt, so each one that will be retried is noted on the gate."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class RetryObserver(SansIOHTTPPolicy):  # type: ignore[misc]
        def on_response(self, request: Any, response: Any) -> None:
            status = response.http_response.status_code
            if status in RETRIED_STATUSES:
                gate.note_retry(f"Azure Resource Manager answered {status}")

        def on_exception(self, request: Any) -> None:
            gate.note_retry("a connection to Azure Resource Manager dropped")

    return [RetryObserver()]


def graph_event_hooks(gate: Gate) -> dict[str, list[Any]]:
    async def on_request(request: Any) -> None:
        body = None
        if request.method.upper() == "POST" and str(request.url.path).rstrip("/").endswith("/$batch"):
            try:
                body = await request.aread()
            except Exception:  # a streamed body that cannot be read: is_write assumes the worst
                body = None
        gate.check(request.method, str(request.url), body)

    async def on_response(response: Any) -> None:
        record_request_id(response.headers.get("request-id"))

    return {"request": [on_request], "response": [on_response]}
