"""Graph's HTTP stack (httpx over aiohttp, tui.azure.graph): a connection that breaks after the request went out is
told from one never made (a write may then have been made: mitui reads it back), and closing the client closes
the connections under it."""

from __future__ import annotations

import asyncio

import pytest

from tui.azure.clouds import cloud_by_name
from tui.azure.errors import map_error
from tui.azure.graph import make_graph_client
from tui.azure.policies import Gate


async def _server_that_hangs_up() -> asyncio.Server:
    """A loopback server that reads a request and closes the connection without answering."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    return await asyncio.start_server(hang_up, "127.0.0.1", 0)


async def test_a_lost_answer_is_not_a_connection_never_made() -> None:
    server = await _server_that_hangs_up()
    port = server.sockets[0].getsockname()[1]
    _, http = make_graph_client(object(), cloud_by_name("AzureCloud"), None, Gate(read_only=False))
    try:
        with pytest.raises(Exception) as lost:
            await http.client.post(f"http://127.0.0.1:{port}/v1.0/servicePrincipals", content=b"{}")
        mapped = map_error(lost.value, "Microsoft Graph", write=True)
        assert mapped.code == "ResponseLost", (type(lost.value), lost.value.__cause__, mapped)
        assert "may or may not have been made" in mapped.hint

        server.close()
        await server.wait_closed()
        with pytest.raises(Exception) as refused:
            await http.client.get(f"http://127.0.0.1:{port}/v1.0/servicePrincipals")
        mapped = map_error(refused.value, "Microsoft Graph")
        assert mapped.code == "ConnectFailed", (type(refused.value), refused.value.__cause__, mapped)
    finally:
        await http.aclose()
    assert http.transport.client.closed  # (the aiohttp session under httpx: msgraph-core's wrapper leaves it open)


async def test_the_transport_trusts_the_context_given_and_makes_none_of_its_own() -> None:
    import ssl

    trust = ssl.create_default_context()
    _, http = make_graph_client(object(), cloud_by_name("AzureCloud"), None, Gate(read_only=True), ssl=trust)
    try:
        assert http.transport.ssl_context is trust
    finally:
        await http.aclose()
