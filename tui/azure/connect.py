"""The composition root: from flags to a signed-in Session (imports the SDKs lazily)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tui.runtime import warm_imports
from tui.services.errors import InvalidInput, MituiError, SignInRequired
from tui.services.session import Session


@dataclass
class ConnectOptions:
    cloud: str | None = None  # "public" | "usgov" | "china"
    arm_endpoint: str | None = None  # custom cloud from /metadata/endpoints
    credential: str = "default"  # default|cli|environment|managed-identity|device-code|browser
    tenant: str | None = None
    ca_file: str | None = None
    read_only: bool = False
    demo: bool = False
    audit_log: str | None = None  # default: <user state dir>/audit.jsonl
    source: str = "auto"  # how the inventory reads the subscriptions: "auto", "arm" or "resource-graph"


class CachingCredential:
    """Wraps an async credential: one token per scope set, reused until 5 minutes before it expires (ARM builds
    one client per subscription; without this, `az` would be run once per client). Returns AccessToken."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._tokens: dict[tuple[str, ...], Any] = {}
        self._lock = asyncio.Lock()

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        key = tuple(scopes)
        tok = self._tokens.get(key)
        if tok is not None and tok.expires_on - 300 > time.time():
            return tok
        async with self._lock:
            tok = self._tokens.get(key)
            if tok is None or tok.expires_on - 300 <= time.time():
                kwargs.pop("enable_cae", None)
                raw = await self.inner.get_token(*scopes, **kwargs)
                tok = raw if isinstance(raw, AccessToken) else AccessToken(raw.token, int(raw.expires_on))
                self._tokens[key] = tok
            return tok

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            result = close()
            if asyncio.iscoroutine(result):
                await result

    async def __aenter__(self) -> CachingCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@contextlib.contextmanager
def _environment(env: dict[str, str] | None) -> Iterator[None]:
    if not env:
        yield
        return
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def connect(options: ConnectOptions, *, env: dict[str, str] | None = None, **backend_kwargs: Any) -> Session:
    """Sign in and return a Session. Raises only MituiError (SignInRequired, Unreachable, InvalidInput, ...).

    ``env`` sets environment variables while the credential is built (e.g. IDENTITY_ENDPOINT / IDENTITY_HEADER
    for the in-process sandbox tenant)."""
    from tui.azure.errors import map_error

    try:
        return await _connect(options, env, backend_kwargs)
    except MituiError:
        raise
    except asyncio.CancelledError:
        raise
    except Exception as err:
        raise map_error(err, options.arm_endpoint or "Azure") from None


async def _connect(options: ConnectOptions, env: dict[str, str] | None, backend_kwargs: dict[str, Any]) -> Session:
    from tui.azure.clouds import cloud_by_name, discover_cloud
    from tui.azure.credentials import caller_from_claims, decode_claims, make_credential
    from tui.services.audit import AuditLog
    from tui.services.directory_roles import warm_builtin_verdicts
    from tui.services.offload import off_loop

    ca_file = options.ca_file
    if ca_file and not os.path.isfile(ca_file):
        raise InvalidInput(f"No such CA file: {ca_file}", "--ca-file must name a PEM file")
    if options.tenant is not None and not options.tenant.strip():
        raise InvalidInput("Empty --tenant", "give a tenant id or domain")
    # a custom cloud's metadata (a round trip) is read while the SDKs import (~0.6 s), not after
    metadata = (
        asyncio.ensure_future(asyncio.to_thread(discover_cloud, options.arm_endpoint, ca_file))
        if options.arm_endpoint
        else None
    )
    try:
        # The SDKs take about a second to import: in a worker thread, so that a UI already on screen keeps
        # painting (on the event loop they froze the TUI for ~0.5 s at sign-in and again at the first Graph call).
        await warm_imports(SDK_MODULES)
    finally:
        if metadata is not None and not metadata.done():
            await asyncio.wait([metadata])  # (whatever happens, the thread's read is not left behind)
    cloud = await metadata if metadata is not None else cloud_by_name(options.cloud)
    with _environment(env):  # (building a credential reads certificates and sets up its transport: ~0.4 s)
        inner = await asyncio.to_thread(make_credential, options.credential, cloud, options.tenant, ca_file)
    credential = CachingCredential(inner)
    try:
        token = await credential.get_token(cloud.arm_scope)
    except Exception as err:
        await credential.close()
        mapped = _sign_in_error(err, options.credential)
        raise mapped from None
    claims = decode_claims(token.token)
    tenant_id = str(claims.get("tid") or options.tenant or "")
    caller = caller_from_claims(claims, tenant_id)
    from tui.azure.backend import AzureBackend

    backend = AzureBackend(
        credential, cloud, caller, tenant_id, ca_file=ca_file, read_only=options.read_only, **backend_kwargs
    )
    try:
        # the TLS trust and the Graph client, off the event loop; meanwhile the Graph token, which the first Graph
        # request of a load would otherwise wait for (a round trip, and on the loop the token client's own TLS
        # setup, at the head of the load's longest chain)
        # and the privilege of Entra's built-in roles, worked out in the CPU worker (once a process)
        await asyncio.gather(
            asyncio.to_thread(backend.prepare),
            _graph_token_ahead(credential, cloud.graph_scope),
            off_loop(warm_builtin_verdicts),
        )
    except MituiError:
        await backend.close()
        raise
    return Session(
        backend,
        read_only=options.read_only,
        demo=options.demo,
        audit=AuditLog(options.audit_log),
        source=options.source,
    )


async def _graph_token_ahead(credential: CachingCredential, scope: str) -> None:
    """Best effort: a principal that cannot get a Graph token still signs in (its Graph reads say why later)."""
    with contextlib.suppress(Exception):
        await credential.get_token(scope)


# What a session uses (the credential, the ARM clients, the Graph client and its HTTP stack): the SDKs take about a
# second to import, so they are imported in a worker thread before signing in.
SDK_MODULES = (
    "azure.identity.aio",
    "azure.core.rest",
    "azure.core.rest._aiohttp",  # (the ARM clients' transport: its first use would import it on the loop)
    "azure.core.pipeline.transport._aiohttp",
    "sniffio",
    "azure.mgmt.resource.subscriptions.aio",
    "azure.mgmt.resource.resources.aio",
    "azure.mgmt.authorization.aio",
    # role assignments' operations and models (~15 ms): imported by the first write (a PUT then its read-back), on
    # the event loop between the Apply key and the request otherwise
    "azure.mgmt.authorization.v2022_04_01.aio.operations",
    "msgraph",
    "msgraph_core",
    "kiota_authentication_azure.azure_identity_authentication_provider",
    # what the first Graph requests of a load would otherwise import on the event loop: httpx's async backend,
    # the request builders and models the inventory uses
    "anyio._backends._asyncio",
    "anyio.streams.tls",
    "kiota_abstractions.base_request_configuration",
    "kiota_abstractions.request_information",
    "msgraph.generated.directory_objects.directory_objects_request_builder",
    "msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body",
    "msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_response",
    "msgraph.generated.directory_objects.get_by_ids.get_by_ids_request_builder",
    "msgraph.generated.models.directory_object",
    "msgraph.generated.models.o_data_errors.o_data_error",
    "msgraph.generated.service_principals.service_principals_request_builder",
    "tui.azure.backend",
    "tui.azure.graph",
)


def _sign_in_error(err: Exception, credential: str) -> MituiError:
    from tui.azure.errors import _cert_problem, _clean, untrusted

    if isinstance(err, MituiError):
        return err
    if _cert_problem(err):
        return untrusted("the sign-in endpoint")
    how = {
        "default": "run `az login`, set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or run where a managed "
        "identity is available; or try `mitui --demo`",
        "cli": "run `az login` (and `az account set`)",
        "environment": "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or a certificate)",
        "managed-identity": "run inside Azure with a managed identity (IDENTITY_ENDPOINT and IDENTITY_HEADER set)",
        "device-code": "complete the device-code sign-in in a browser",
        "browser": "complete the sign-in in the browser",
    }.get(credential, "sign in")
    first = _clean(getattr(err, "message", None) or err, 200).split(". ")[0]
    return SignInRequired(f"Sign-in failed ({credential}): {first}", how)
