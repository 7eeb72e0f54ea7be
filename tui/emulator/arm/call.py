"""One ARM request on its way through a handler, and the plain answer."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator.tenant import ServicePrincipal, User
from tui.emulator.wire import MAX_BODY_BYTES, ApiError, json_response

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi


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


async def read_json_object(request: web.Request) -> dict:
    """The request body as a JSON object; :class:`ApiError` 400 for anything else, 413 when too big."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "RequestEntityTooLarge", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as e:
        raise ApiError(413, "RequestEntityTooLarge", f"The request body is larger than {MAX_BODY_BYTES} bytes.") from e
    if not raw.strip():
        raise ApiError(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the body is empty.",
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{type(e).__name__}'.",
        ) from e
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidRequestContent", "The request content was invalid: a JSON object is expected.")
    return data
