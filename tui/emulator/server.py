"""The sandbox tenant's server: ARM, Microsoft Graph and the login authority over HTTPS, the managed-identity
endpoint over plain HTTP (as in Azure), each on its own loopback port.

Embeddable::

    with Emulator() as emu:                     # the demo tenant, free ports, a cache-dir state dir
        conn = emu.connection                   # URLs, identity endpoint + header, CA file, tenant id
        ...

``start()`` runs aiohttp on its own event loop in a background thread and returns once every listener
serves; ``stop()`` shuts it down. ``mitui emulator`` (:mod:`tui.emulator.cli`) runs the same thing in the
foreground.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import threading
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.api import ArmApi
from tui.emulator.arm.query_quota import QUERIES, WINDOW_S, QueryQuota
from tui.emulator.certs import issue_server_tls
from tui.emulator.context import EmulatorContext
from tui.emulator.faults import ALL_FAULT_KINDS, FAULT_KINDS, FaultPlan, Stats
from tui.emulator.graph.api import graph_app
from tui.emulator.pipeline import route_template
from tui.emulator.tenant import ServicePrincipal, Tenant, User
from tui.emulator.tokens import TokenIssuer, add_login_routes, add_msi_routes, principal_by_name
from tui.emulator.wire import MAX_BODY_BYTES

CONNECTION_FILE = "connection.json"

# The routes share per-request values under plain string keys ("caller", "claims", "request_id"; see
# context.py); aiohttp 3.14 recommends typed keys and warns about every string key.
warnings.filterwarnings("ignore", category=getattr(web, "NotAppKeyWarning", UserWarning), module=r"tui\.emulator\..*")


def default_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("mitui")) / "emulator"


@dataclass(frozen=True)
class Connection:
    """Where a running sandbox tenant listens, and what a client needs to trust and reach it."""

    arm: str
    graph: str
    login: str
    identity_endpoint: str  # the App Service-style managed-identity endpoint (plain http)
    identity_header: str  # the value of X-IDENTITY-HEADER it requires (IDENTITY_HEADER)
    ca_file: str
    tenant_id: str

    @property
    def pod_identity_authority_host(self) -> str:
        """The IMDS flavour's host, for ``AZURE_POD_IDENTITY_AUTHORITY_HOST``."""
        return self.identity_endpoint.rsplit("/msi/token", 1)[0]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Connection:
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def _load_tenant(tenant: Tenant | str, seed: int, scale: tuple[int, int] | None) -> Tenant:
    if scale is not None:
        from tui.emulator.tenants.generated import build_generated_tenant

        return build_generated_tenant(scale[0], scale[1], seed)
    if isinstance(tenant, Tenant):
        return tenant
    if tenant == "demo":
        from tui.emulator.tenants.demo import build_demo_tenant

        return build_demo_tenant()
    from tui.emulator.tenants.fixture import load_tenant_file

    return load_tenant_file(tenant)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class Emulator:
    """One sandbox tenant, served on loopback. Thread-safe to start and stop from any thread."""

    def __init__(
        self,
        tenant: Tenant | str = "demo",
        *,
        host: str = "127.0.0.1",
        arm_port: int = 0,
        graph_port: int = 0,
        login_port: int = 0,
        msi_port: int = 0,
        state_dir: str | os.PathLike | None = None,
        latency_ms: int = 0,
        fault_rate: float = 0.0,
        seed: int = 0,
        caller: str | None = None,
        scale: tuple[int, int] | None = None,
        replication_delay_s: float = 0.0,
        resource_graph_quota: int = QUERIES,
        resource_graph_window_s: float = WINDOW_S,
    ) -> None:
        if replication_delay_s < 0:
            raise ValueError("replication_delay_s must not be negative")
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        self.host = host
        self._ports = {"arm": arm_port, "graph": graph_port, "login": login_port, "msi": msi_port}
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.seed = seed
        self._tenant_arg = tenant
        self._scale = scale
        self._caller_name = caller
        self._initial_latency = latency_ms
        self._initial_fault_rate = fault_rate
        self._replication_delay_s = float(replication_delay_s)
        self.faults = FaultPlan(rate=fault_rate, seed=seed)
        # Resource Graph's queries per caller and 5-second window (Azure's guidance: 15; 0: no quota)
        self.query_quota = QueryQuota(resource_graph_quota, resource_graph_window_s)
        self.stats = Stats()
        self._tenant: Tenant | None = None
        self._ctx: EmulatorContext | None = None
        self._connection: Connection | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runners: list[web.AppRunner] = []
        self._stop_event: asyncio.Event | None = None
        self._issuer: TokenIssuer | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.identity_header = secrets.token_urlsafe(24)
        self.default_caller_id: str | None = None

    # --- public surface -------------------------------------------------------------------------------------
    @property
    def tenant(self) -> Tenant:
        if self._tenant is None:
            raise RuntimeError("the emulator has not been started")
        return self._tenant

    @property
    def context(self) -> EmulatorContext:
        if self._ctx is None:
            raise RuntimeError("the emulator has not been started")
        return self._ctx

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the emulator has not been started")
        return self._connection

    @property
    def connection_file(self) -> Path:
        return self.state_dir / CONNECTION_FILE

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_faults(
        self,
        rate: float,
        seed: int | None = None,
        kinds: tuple[str, ...] | None = None,
        routes: tuple[str, ...] | None = None,
    ) -> None:
        """Answer ``rate`` of ARM and Graph requests with a fault from ``kinds`` (default: 429, 500, 503 and
        a dropped connection; ``"drop-after-commit"`` applies a write and then drops the connection). ``routes``:
        only requests whose "METHOD template" contains one of these texts, e.g. ``("appRoleAssignedTo",)`` or
        ``("POST /v1.0/servicePrincipals/{sp_id}/appRoleAssignments",)``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        kinds = tuple(kinds) if kinds is not None else FAULT_KINDS
        unknown = set(kinds) - set(ALL_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}; known: {list(ALL_FAULT_KINDS)}")
        with self.faults._lock:
            self.faults.rate = rate
            self.faults.kinds = kinds
            self.faults.routes = tuple(routes) if routes is not None else None
            if seed is not None:
                self.faults.seed = seed
                self.faults._counter = 0
        if self._ctx is not None:
            self._ctx.fault_rate = rate

    def refuse_usage(self, source: str, how: str | None = "forbidden") -> None:
        """Answer a usage source (``activityLog``, ``signInActivity``, ``signIns``, ``directoryAudits``) with 403:
        ``forbidden`` (no right) or ``licence`` (no Entra ID P1/P2); None serves it again."""
        self.tenant.activity.refuse(source, how)

    def set_replication_delay(self, seconds: float) -> None:
        """For ``seconds`` after a managed identity is created, its service principal is not yet visible to Graph's
        app-role-assignment create (404 Request_ResourceNotFound) nor to ARM's role-assignment create without
        principalType (400 PrincipalNotFound), as in Entra, which is eventually consistent. Applies at once, also
        to identities created earlier."""
        if seconds < 0:
            raise ValueError("the replication delay must not be negative")
        self._replication_delay_s = float(seconds)
        if self._tenant is not None:
            self._tenant.replication_delay_s = float(seconds)

    def set_latency(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("latency must not be negative")
        self._initial_latency = ms
        if self._ctx is not None:
            self._ctx.latency_ms = ms

    def start(self) -> Emulator:
        if self.running:
            return self
        self._ready.clear()
        self._error = None
        tenant = _load_tenant(self._tenant_arg, self.seed, self._scale)
        self._tenant = tenant
        tenant.replication_delay_s = self._replication_delay_s
        default = self._resolve_caller(tenant)
        self.default_caller_id = default.id if default else None
        rbac.index_of(tenant)  # index the role assignments now, not on the first request
        tls = issue_server_tls(self.state_dir, self.host)
        ssl_ctx = tls.ssl_context()
        with contextlib.suppress(OSError):
            tls.cert_file.unlink()
            tls.key_file.unlink()
        socks = {name: _bind(self.host, port) for name, port in self._ports.items()}
        url_host = f"[{self.host}]" if ":" in self.host else self.host
        port_of = {name: s.getsockname()[1] for name, s in socks.items()}
        arm_url = f"https://{url_host}:{port_of['arm']}"
        graph_url = f"https://{url_host}:{port_of['graph']}"
        login_url = f"https://{url_host}:{port_of['login']}"
        self._ctx = EmulatorContext(
            tenant=tenant,
            arm_url=arm_url,
            graph_url=graph_url,
            login_url=login_url,
            stats=self.stats,
            seed=self.seed,
            latency_ms=self._initial_latency,
            fault_rate=self.faults.rate,
        )
        self._connection = Connection(
            arm=arm_url,
            graph=graph_url,
            login=login_url,
            identity_endpoint=f"http://{url_host}:{port_of['msi']}/msi/token",
            identity_header=self.identity_header,
            ca_file=str(tls.ca_file.resolve()),
            tenant_id=tenant.tenant_id,
        )
        issuer = TokenIssuer(tenant, graph_url=graph_url)
        self._issuer = issuer
        apps = self._build_apps(self._ctx, issuer)
        self._thread = threading.Thread(
            target=self._serve, args=(apps, socks, ssl_ctx), name="mitui-emulator", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"the sandbox tenant could not start: {self._error}") from self._error
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.connection_file.with_name(CONNECTION_FILE + f".{os.getpid()}.tmp")
        tmp.write_text(self._connection.to_json() + "\n")
        os.replace(tmp, self.connection_file)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        stop_event = self._stop_event
        if stop_event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def token_for(
        self, principal: str | None = None, resource: str = "https://management.azure.com", issued_at: int | None = None
    ) -> str:
        """An access token for ``principal`` (name or object id; default: the default caller), e.g. for
        hand-written HTTP in tests; ``issued_at`` (epoch seconds) more than an hour ago gives an expired one.
        Never print it."""
        tenant = self.tenant
        who = principal_by_name(tenant, principal) if principal else tenant.principal(self.default_caller_id or "")
        if who is None:
            raise LookupError(f"no principal {principal!r} in the sandbox tenant")
        assert self._issuer is not None
        return self._issuer.issue(who, resource, issued_at)[0]

    # --- internals ------------------------------------------------------------------------------------------
    def _resolve_caller(self, tenant: Tenant) -> User | ServicePrincipal | None:
        if self._caller_name:
            found = principal_by_name(tenant, self._caller_name)
            if found is None:
                raise ValueError(f"--caller {self._caller_name!r}: no such user or service principal in the tenant")
            return found
        return tenant.principal(tenant.admin_user_id) if tenant.admin_user_id else None

    def _default_caller(self) -> User | ServicePrincipal | None:
        return self.tenant.principal(self.default_caller_id) if self.default_caller_id else None

    def _build_apps(self, ctx: EmulatorContext, issuer: TokenIssuer) -> dict[str, web.Application]:
        arm_app = web.Application(client_max_size=MAX_BODY_BYTES)
        arm = ArmApi(ctx, issuer, self.faults, self.query_quota)
        arm.warm()
        arm.install(arm_app)

        graph = graph_app(ctx, issuer, self.faults)

        login_app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_stats_middleware(ctx)])
        add_login_routes(login_app, issuer, lambda: ctx.login_url)
        msi_app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_stats_middleware(ctx)])
        add_msi_routes(msi_app, issuer, self.identity_header, self._default_caller)
        return {"arm": arm_app, "graph": graph, "login": login_app, "msi": msi_app}

    def _serve(self, apps: dict[str, web.Application], socks: dict[str, socket.socket], ssl_ctx: Any) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main(apps, socks, ssl_ctx))
        except BaseException as e:  # noqa: BLE001 - reported to start()
            self._error = e
            self._ready.set()
        finally:
            for s in socks.values():
                with contextlib.suppress(OSError):
                    s.close()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self, apps: dict[str, web.Application], socks: dict[str, socket.socket], ssl_ctx: Any) -> None:
        self._stop_event = asyncio.Event()
        runners = []
        try:
            for name, app in apps.items():
                runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
                await runner.setup()
                runners.append(runner)
                site = web.SockSite(runner, socks[name], ssl_context=None if name == "msi" else ssl_ctx)
                await site.start()
            self._ready.set()
            await self._stop_event.wait()
        finally:
            for runner in reversed(runners):
                with contextlib.suppress(Exception):
                    await runner.cleanup()


# --------------------------------------------------------------------------------------------------------------
# middlewares
# --------------------------------------------------------------------------------------------------------------
def _stats_middleware(ctx: EmulatorContext):  # noqa: ANN202 - aiohttp middleware
    @web.middleware
    async def count(request: web.Request, handler):  # noqa: ANN001, ANN202
        ctx.stats.count(request.method, route_template(request) or "<unmatched>", request.raw_path)
        return await handler(request)

    return count
