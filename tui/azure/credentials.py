"""Credentials: DefaultAzureCredential by default, or one chosen by name. Always async; kiota (Graph) needs
``get_token`` to return an ``azure.core.credentials.AccessToken``, which every credential here does."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

from tui.azure.clouds import Cloud
from tui.services.errors import InvalidInput
from tui.services.models import Caller

CREDENTIALS = ("default", "cli", "environment", "managed-identity", "device-code", "browser")


class SyncCredentialAdapter:
    """An async face for a sync-only credential (device code, browser): each call runs in a thread."""

    def __init__(self, credential: Any) -> None:
        self._cred = credential

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(self._cred.get_token, *scopes, **kwargs)

    async def close(self) -> None:
        close = getattr(self._cred, "close", None)
        if close:
            close()

    async def __aenter__(self) -> SyncCredentialAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def make_credential(name: str, cloud: Cloud, tenant: str | None = None, ca_file: str | None = None) -> Any:
    """The async credential for ``--credential name`` (imports azure.identity lazily)."""
    if name not in CREDENTIALS:
        raise InvalidInput(f"Unknown credential {name!r}", "use one of " + ", ".join(CREDENTIALS))
    common: dict[str, Any] = {}
    if ca_file:
        common["connection_verify"] = ca_file
    authority = cloud.login_url if cloud.login_url and not cloud.custom else None
    if name == "managed-identity":
        from azure.identity.aio import ManagedIdentityCredential

        client_id = os.environ.get("AZURE_CLIENT_ID") or None
        return ManagedIdentityCredential(client_id=client_id, **common)
    if name == "cli":
        from azure.identity.aio import AzureCliCredential

        return AzureCliCredential(tenant_id=tenant or "")
    if name == "environment":
        from azure.identity.aio import EnvironmentCredential

        kw = dict(common)
        if authority:
            kw["authority"] = authority
        return EnvironmentCredential(**kw)
    if name in ("device-code", "browser"):
        import azure.identity as sync_identity

        kw = dict(common)
        if authority:
            kw["authority"] = authority
        if tenant:
            kw["tenant_id"] = tenant
        if name == "device-code":
            return SyncCredentialAdapter(sync_identity.DeviceCodeCredential(**kw))
        return SyncCredentialAdapter(sync_identity.InteractiveBrowserCredential(**kw))
    from azure.identity.aio import DefaultAzureCredential

    kw = dict(common)
    if authority:
        kw["authority"] = authority
    if tenant:
        kw["shared_cache_tenant_id"] = tenant
        kw["visual_studio_code_tenant_id"] = tenant
        kw["additionally_allowed_tenants"] = [tenant]
    return DefaultAzureCredential(**kw)


def decode_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (no signature check: only to show who signed in). {} when not a JWT."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(payload))
        return data if isinstance(data, dict) else {}
    except (IndexError, ValueError):
        return {}


def caller_from_claims(claims: dict[str, Any], fallback_tenant: str = "") -> Caller:
    oid = str(claims.get("oid") or claims.get("sub") or "")
    tid = str(claims.get("tid") or fallback_tenant)
    name = str(claims.get("name") or claims.get("upn") or claims.get("unique_name") or claims.get("appid") or "")
    if claims.get("xms_mirid") or claims.get("xms_az_rid"):
        kind = "managedIdentity"
        mirid = str(claims.get("xms_mirid") or "")
        name = name or mirid.rstrip("/").rsplit("/", 1)[-1]
    elif claims.get("idtyp") == "app" or (not claims.get("scp") and not claims.get("upn") and claims.get("appid")):
        kind = "servicePrincipal"
    else:
        kind = "user"
    return Caller(object_id=oid, tenant_id=tid, display_name=name, kind=kind)
