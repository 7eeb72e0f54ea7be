"""HTTP helpers shared by the ARM, Graph and token listeners: ids, JSON bodies, error envelopes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from aiohttp import web

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies above this answer 413 (ARM's own limit on resource bodies is about 4 MB)."""

JSON = "application/json"


def new_request_id() -> str:
    return str(uuid.uuid4())


def utc_now_iso() -> str:
    """``2024-05-01T12:00:00.1234567Z``-style timestamps (ARM writes seven fractional digits)."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 10_000_000):07d}Z"


# One encoder for every answer: msgspec's, about four times as fast as json's (the sandbox shares the machine's
# cores with the mitui it serves: its CPU is the benchmark's noise floor)
_ENCODE = msgspec.json.Encoder().encode


def dumps(data: Any) -> str:
    """Compact JSON text, non-ASCII kept as is (what every answer body is)."""
    return _ENCODE(data).decode()


encode_str: Callable[[str], str] = json.encoder.encode_basestring
"""The JSON text of a string, exactly as :func:`dumps` writes it (the C implementation when available)."""


class JsonText:
    """A body that is JSON text already (see :func:`dumps`), to be sent as is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def json_response(
    data: Any, status: int = 200, *, content_type: str = JSON, headers: dict | None = None
) -> web.Response:
    return json_text_response(dumps(data), status, content_type=content_type, headers=headers)


def json_text_response(
    text: str, status: int = 200, *, content_type: str = JSON, headers: dict | None = None
) -> web.Response:
    """An answer whose body is JSON text that is already encoded (see :func:`dumps`)."""
    resp = web.Response(text=text, status=status, headers=headers)
    resp.content_type = content_type.split(";")[0]
    if ";" in content_type:
        resp.headers["Content-Type"] = content_type
    else:
        resp.charset = "utf-8"
    return resp


class ApiError(Exception):
    """An error answered in the API family's envelope (``target`` is ARM's optional ``error.target``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = dict(headers or {})
