"""What every route of the sandbox tenant shares: the tenant, the public URLs, statistics and fault settings.

Every ARM and Graph request goes through the one request pipeline (:mod:`tui.emulator.pipeline`): request ids,
statistics by route template, latency, faults and bearer authentication, after which a handler finds the caller in
``request["caller"]`` and the token's claims (including ``roles``) in ``request["claims"]``.

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
