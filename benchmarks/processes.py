"""mitui's processes for a measurement: the installed entry point, an environment of their own, and stopping them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def mitui_command() -> list[str]:
    """The installed ``mitui`` entry point next to this interpreter, else ``python -m tui.cli``."""
    script = Path(sys.executable).with_name("mitui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


def isolated_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with the XDG dirs (config, cache, audit log) under ``home`` and no other Azure sign-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))}
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def stop(proc: subprocess.Popen[Any], timeout: float) -> None:
    """SIGTERM to a process still running, and SIGKILL if it has not exited within ``timeout`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
