"""The aiohttp sessions under the ARM clients (azure-core's transport) and the Graph client (httpx-aiohttp's).

aiohttp silently sends a PUT or DELETE again when a kept-alive connection drops before the answer; a write must
never be resent without mitui knowing (Session.apply reads it back instead), and reads are retried anyway: ARM's
by azure-core's retry policy, Graph's by tui.azure.calls (kiota retries only 429, 503 and 504). aiohttp has no
public switch for this (3.9+: ``_retry_connection``)."""

from __future__ import annotations

from typing import Any


def client_session(ssl: Any, limit: int, *, trust_env: bool = False) -> Any:
    """An aiohttp ClientSession over ``limit`` connections at most, trusting ``ssl``, that never resends a request
    by itself. Made on the event loop that will use it."""
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl, limit=limit), trust_env=trust_env)
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session
