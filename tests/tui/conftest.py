"""Pilot tests drive the real app on the real sandbox tenant (tui.azure.demo.connect_demo starts it in-process;
the SDK clients talk to it over HTTPS). Nothing is faked: what a test checks afterwards is the emulator's own
tenant state and request statistics."""

from __future__ import annotations

from typing import Any

import pytest

from tui.app import MituiApp
from tui.config import Config


class DemoTenant:
    """A session factory for the sandbox tenant that remembers the emulator, so a test can read its truth."""

    def __init__(self, read_only: bool = False, tenant: str | None = None) -> None:
        self.read_only = read_only
        self.tenant = tenant
        self.emulator: Any = None
        self.session: Any = None

    async def __call__(self) -> Any:
        from tui.azure.demo import connect_demo

        if self.tenant is None:
            session, emulator = await connect_demo(read_only=self.read_only)
        else:
            session, emulator = await connect_demo(read_only=self.read_only, tenant=self.tenant)
        self.session, self.emulator = session, emulator
        return session, emulator

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
    return MituiApp(factory, demo_factory=DemoTenant(), config=config or Config(), redact=redact)


async def until_loaded(app: MituiApp, pilot: Any, rounds: int = 200) -> Any:
    """Wait (without sleeps) until the main screen shows a loaded inventory; returns the main screen."""
    from tui.screens.main import MainScreen

    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, MainScreen) and screen.inventory is not None and not screen.is_loading:
            await pilot.pause()
            return screen
    raise AssertionError(f"the inventory never loaded; screen is {type(app.screen).__name__}")


async def settle(app: MituiApp, pilot: Any) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def demo() -> DemoTenant:
    return DemoTenant()
