"""``first_frame_s``: ``mitui --demo`` on a pseudo-terminal, from spawn to its first frame with content.

The terminal is 120x40, TERM=xterm-256color; the clock runs from just before the process is spawned until the
terminal output, with escape sequences removed, first holds 20 letters or digits (the first painted screen: the
sign-in screen's message and the footer's keys). The median of ``--first-frame-runs`` runs (5 by default: on a
shared 2-core machine single runs vary by ±0.3 s)."""

from __future__ import annotations

import contextlib
import math
import os
import re
import select
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.processes import isolated_env, mitui_command, stop


def measure_first_frame(home: Path, runs: int, timeout: float = 60.0) -> tuple[float, list[str]]:
    """``mitui --demo`` on a pseudo-terminal: spawn until the first frame with content (median of ``runs``)."""
    import fcntl
    import pty
    import struct
    import termios

    escapes = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[P^_][^\x1b]*\x1b\\|\x1b.")
    times: list[float] = []
    problems: list[str] = []
    env = isolated_env(home / "demo", {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"})
    env.pop("TEXTUAL", None)
    for _ in range(runs):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*mitui_command(), "--demo"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        buf = b""
        found = math.nan
        try:
            deadline = t0 + timeout
            while time.perf_counter() < deadline:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                visible = escapes.sub(b"", buf)
                if sum(1 for b in visible if 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) >= 20:
                    found = time.perf_counter() - t0
                    break
        finally:
            _stop_tty_app(proc, master)
        if math.isnan(found):
            problems.append(f"mitui --demo showed no content within {timeout:.0f} s: {buf[-300:]!r}")
        else:
            times.append(found)
    return (statistics.median(times) if times else math.nan), problems


def _stop_tty_app(proc: subprocess.Popen[bytes], master: int) -> None:
    with contextlib.suppress(OSError):
        os.write(master, b"q")
    end = time.perf_counter() + 8
    while proc.poll() is None and time.perf_counter() < end:
        with contextlib.suppress(OSError):  # keep draining: a full pty would block the app's writes
            if select.select([master], [], [], 0.05)[0]:
                os.read(master, 65536)
    stop(proc, timeout=5)
    with contextlib.suppress(OSError):
        os.close(master)
