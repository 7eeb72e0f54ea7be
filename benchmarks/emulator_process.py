"""The stand-in for Azure: ``mitui emulator`` with a generated tenant and a latency, as a separate process (it must
not share our CPU time slices or our event loop), and the requests it served."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import select
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

from benchmarks.processes import mitui_command, stop

TOKEN_ROUTE = re.compile(r"/(msi/token|metadata/identity|oauth2|[^ ]*/oauth2/)", re.I)


class EmulatorProcess:
    """``mitui emulator --scale S:I --latency-ms N --state-dir DIR``, started and stopped by its pid."""

    def __init__(
        self,
        subs: int,
        ids: int,
        latency_ms: int,
        seed: int,
        state_dir: Path,
        activity_per_day: int = 0,
        resource_graph_quota: int | None = None,
    ) -> None:
        self.args = [
            *mitui_command(),
            "emulator",
            "--scale",
            f"{subs}:{ids}",
            "--latency-ms",
            str(latency_ms),
            "--seed",
            str(seed),
            "--state-dir",
            str(state_dir),
            *(["--activity-per-day", str(activity_per_day)] if activity_per_day else []),
            *(["--resource-graph-quota", str(resource_graph_quota)] if resource_graph_quota is not None else []),
        ]
        self.state_dir = state_dir
        self.proc: subprocess.Popen[str] | None = None
        self.conn: dict[str, str] = {}
        self.started_s = 0.0
        self._spawned = 0.0
        self._ssl: ssl.SSLContext | None = None

    def start(self, env: dict[str, str]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.state_dir / "emulator.stderr", "w")  # noqa: SIM115 - closed in stop()
        self._spawned = time.perf_counter()
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env, start_new_session=True
        )

    def wait_ready(self, timeout: float = 900.0) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.perf_counter() + timeout
        while True:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the emulator did not get ready within {timeout:.0f} s")
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if not ready:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the emulator exited ({self.proc.returncode}): {self._stderr_text()}")
                continue
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the emulator exited ({self.proc.wait()}): {self._stderr_text()}")
            if "ready" in line:
                break
        self.started_s = time.perf_counter() - self._spawned
        self.conn = json.loads((self.state_dir / "connection.json").read_text())
        self._ssl = ssl.create_default_context(cafile=self.conn["ca_file"])

    def _stderr_text(self) -> str:
        with contextlib.suppress(OSError):
            return (self.state_dir / "emulator.stderr").read_text()[-2000:]
        return ""

    def _call(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.conn["arm"] + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, context=self._ssl, timeout=30) as resp:
            return json.loads(resp.read())

    def cpu_s(self) -> float:
        """CPU time the emulator process has used so far (user + system), from /proc."""
        assert self.proc is not None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_stats(self) -> None:
        self._call("POST", "/_emulator/stats/reset")

    def stats(self) -> dict[str, int]:
        """(ARM + Graph data requests, token requests, by route)."""
        return self._call("GET", "/_emulator/stats").get("byRoute", {})

    @property
    def env(self) -> dict[str, str]:
        return {"IDENTITY_ENDPOINT": self.conn["identity_endpoint"], "IDENTITY_HEADER": self.conn["identity_header"]}

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop(proc, timeout=15)
            if proc.stdout is not None:
                proc.stdout.close()
        with contextlib.suppress(Exception):
            self._stderr.close()


def split_requests(by_route: dict[str, int]) -> tuple[int, int]:
    """(data requests to ARM and Graph, token requests to the MSI / login endpoints)."""
    data = tokens = 0
    for route, n in by_route.items():
        if TOKEN_ROUTE.search(route):
            tokens += n
        else:
            data += n
    return data, tokens
