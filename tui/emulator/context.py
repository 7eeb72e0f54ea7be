"""What every route of the sandbox tenant shares: the tenant, the public URLs, statistics and fault settings.

Contract between ``server.py`` and the Graph routes (``graph.py``):

* ``server.py`` builds the Graph ``aiohttp.web.Application`` with the common middlewares and then calls
  ``tui.emulator.graph.add_graph_routes(app, ctx)``, which only adds routes (under ``/v1.0/...``).
* The middlewares run before every Graph handler:

  - bearer-token authentication: a token for the Graph audience is verified, and the handler finds
    ``request["caller"]`` (the tenant's :class:`~tui.emulator.tenant.User` or
    :class:`~tui.emulator.tenant.ServicePrincipal`) and ``request["claims"]`` (the decoded token claims,
    including ``roles``). A missing, malformed or expired token is answered 401 in Graph's envelope
    ``{"error": {"code": "InvalidAuthenticationToken", "message", "innerError": {"request-id", "date"}}}``
    before the handler runs;
  - latency (``ctx.latency_ms``) and fault injection (``ctx.fault_rate``);
  - statistics by method and route template (``request.match_info.route.resource.canonical``);
  - ``request-id`` and ``client-request-id`` response headers (``request["request_id"]`` holds the id, for
    the ``innerError`` of error bodies).

* Handlers hold ``ctx.tenant.lock`` while they read several collections that must agree, and always while
  they change anything. They build absolute ``@odata.nextLink`` URLs from ``ctx.graph_url``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.emulator.faults import Stats
from tui.emulator.tenant import Tenant

__all__ = ["EmulatorContext", "Stats"]


@dataclass
class EmulatorContext:
    tenant: Tenant
    arm_url: str  # "https://127.0.0.1:PORT" (no trailing slash)
    graph_url: str  # Graph v1.0 lives at f"{graph_url}/v1.0"
    login_url: str
    stats: Stats  # requests served by method + route template
    seed: int = 0
    latency_ms: int = 0
    fault_rate: float = 0.0
