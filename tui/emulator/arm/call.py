"""One ARM request on its way through a handler, and the plain answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator.tenant import (
    ServicePrincipal,
    User,
)
from tui.emulator.wire import (
    json_response,
)

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi


WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})


@dataclass
class ArmCall:
    """One ARM request on its way through a handler."""

    request: web.Request
    segs: list[str]  # path segments as sent
    params: dict[str, str]
    query: dict[str, str]  # lower-cased keys
    caller: User | ServicePrincipal | None = None
    claims: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.request.method


Handler = Callable[["ArmApi", ArmCall], Awaitable[web.Response]]


def _scope_str(segs: list[str]) -> str:
    return "/" + "/".join(segs)


def ok(data: Any, status: int = 200) -> web.Response:
    return json_response(data, status)
