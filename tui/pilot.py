"""Driving the app headless with Textual's Pilot, without sleeps: for the tests and the screenshot script."""

from __future__ import annotations

import contextlib
from typing import Any

from tui.app import MituiApp


def busy(app: MituiApp) -> list[Any]:
    """Running workers, leaving out the write flows: those wait on a dialog (push_screen_wait) until the driver
    answers it, so waiting for them would never end."""
    return [w for w in app.workers if w.group != "flow" and not w.is_finished and not w.is_cancelled]


async def wait_idle(app: MituiApp) -> None:
    from textual.worker import WorkerCancelled, WorkerFailed

    workers = busy(app)
    if not workers:  # (an empty list would mean "all workers" to wait_for_complete)
        return
    # a stale load cancelled by a newer one is fine; a failure shows in the UI
    with contextlib.suppress(WorkerCancelled, WorkerFailed):
        await app.workers.wait_for_complete(workers)


async def settle(app: MituiApp, pilot: Any, rounds: int = 3) -> None:
    for _ in range(rounds):
        await wait_idle(app)
        await pilot.pause()


async def until_loaded(app: MituiApp, pilot: Any, rounds: int = 200) -> Any:
    """Wait until the main screen shows a loaded inventory; returns the main screen."""
    from tui.screens.main.screen import MainScreen

    for _ in range(rounds):
        await wait_idle(app)
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, MainScreen) and screen.inventory is not None and not screen.is_loading:
            await pilot.pause()
            return screen
    raise AssertionError(f"the inventory never loaded; screen is {type(app.screen).__name__}")
