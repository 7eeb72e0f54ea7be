"""An expired token (a clock-skewed cache, a laptop that slept) is refused by Azure with 401; mitui says to sign in
again — a clear MituiError, never a traceback, and nothing of the token in the message."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tui.azure.backend import AzureBackend
from tui.azure.clouds import discover_cloud
from tui.azure.credentials import caller_from_claims, decode_claims
from tui.emulator.server import Emulator
from tui.services.errors import MituiError, SignInRequired
from tui.services.session import Session


class CachedTokenCredential:
    """An async credential (azure-core's protocol) that hands out one token it believes is still valid for an
    hour, as a cache with a skewed clock would. Ours, not the SDK's: the SDK clients themselves stay real."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None


async def test_an_expired_token_asks_to_sign_in_again(demo_emulator: Emulator) -> None:
    two_hours_ago = int(time.time()) - 7200
    expired = demo_emulator.token_for(issued_at=two_hours_ago)
    cloud = discover_cloud(demo_emulator.connection.arm, demo_emulator.connection.ca_file)
    caller = caller_from_claims(decode_claims(expired), demo_emulator.connection.tenant_id)
    backend = AzureBackend(
        CachedTokenCredential(expired), cloud, caller, caller.tenant_id, ca_file=demo_emulator.connection.ca_file
    )
    session = Session(backend)
    try:
        with pytest.raises(MituiError) as caught:
            await session.load_inventory()
    finally:
        await session.close()
    error = caught.value
    assert isinstance(error, SignInRequired), f"{type(error).__name__}: {error}"
    assert "sign in again" in error.hint
    assert expired not in str(error) + error.hint
    assert expired.split(".")[1] not in str(error) + error.hint
