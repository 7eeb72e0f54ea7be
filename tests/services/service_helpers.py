"""Helpers for the service-layer tests: the sandbox tenant's request statistics."""

from __future__ import annotations

import json
import ssl
import urllib.request
from typing import Any

from tui.emulator.server import Emulator


def emulator_stats(emulator: Emulator) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=emulator.connection.ca_file)
    with urllib.request.urlopen(emulator.connection.arm + "/_emulator/stats", context=ctx) as resp:
        return json.loads(resp.read())


def writes_in(stats: dict[str, Any]) -> int:
    return sum(
        n
        for route, n in stats["byRoute"].items()
        if route.split(" ", 1)[0] in ("PUT", "PATCH", "DELETE")
        or (route.startswith("POST") and not route.endswith(("getByIds", "$batch", "/token", "stats/reset")))
    )
