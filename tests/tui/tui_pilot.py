"""Pilot tests drive the real app on the real sandbox tenant (tui.azure.demo.connect_demo starts it in-process;
the SDK clients talk to it over HTTPS). Nothing is faked: what a test checks afterwards is the emulator's own
tenant state and request statistics."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tui.app import MituiApp
from tui.config import Config
from tui.services.session import Session


class DemoTenant:
    """A session factory for the sandbox tenant that remembers the emulator, so a test can read its truth."""

    def __init__(
        self,
        read_only: bool = False,
        tenant: str | None = None,
        state_dir: Any = None,
        emulator_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.read_only = read_only
        self.tenant = tenant
        self.emulator_kwargs = dict(emulator_kwargs or {})
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="mitui-tui-"))
        self.emulator: Any = None
        self.session: Any = None

    async def __call__(self) -> Session:
        from tui.azure.demo import connect_demo
        from tui.emulator.server import Emulator

        kwargs: dict[str, Any] = {"state_dir": self.state_dir / "emulator", **self.emulator_kwargs}
        if self.tenant is not None:
            kwargs["tenant"] = self.tenant
        self.emulator = Emulator(**kwargs)
        self.session = await connect_demo(
            read_only=self.read_only, audit_log=str(self.state_dir / "audit.jsonl"), emulator=self.emulator
        )
        return self.session

    def writes(self) -> int:
        """Write requests the emulator has served (PUT / POST / PATCH / DELETE, token requests excepted)."""
        snapshot = self.emulator.stats.snapshot()["byRoute"]
        return sum(
            count
            for route, count in snapshot.items()
            if route.split(" ", 1)[0] in ("PUT", "PATCH", "DELETE", "POST")
            and "token" not in route.lower()
            and "getbyids" not in route.lower()
            and "$batch" not in route.lower()
        )


def make_app(factory: Any, *, config: Config | None = None, redact: bool = False) -> MituiApp:
    state_dir = getattr(factory, "state_dir", None)
    demo = DemoTenant(state_dir=state_dir / "demo" if state_dir else None)
    return MituiApp(factory, demo_factory=demo, config=config or Config(), redact=redact)
