"""Fixtures for the safety tests: sessions over the real SDKs against a sandbox tenant, and `mitui` subprocesses.

* ``session_for(emulator, read_only=False)`` (from tests/conftest.py): a Session connected as `mitui` would.
* ``served_emulator(*flags)``: a `mitui emulator` subprocess with those flags; its Connection.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from safety_helpers import start_served, stop_served

from tui.emulator.server import Connection


@pytest.fixture
def served_emulator(tmp_path: Path) -> Iterator[Callable[..., Connection]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*flags: str) -> Connection:
        proc, conn = start_served(tmp_path / f"served-{len(procs)}", *flags)
        procs.append(proc)
        return conn

    yield start
    for p in procs:
        stop_served(p)
