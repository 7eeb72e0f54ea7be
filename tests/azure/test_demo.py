"""The demo's session factory: one Session, which stops the sandbox tenant it started when it closes."""

from __future__ import annotations

from pathlib import Path

from tui.azure.demo import connect_demo
from tui.emulator.server import Emulator
from tui.services.session import Session


async def test_connect_demo_returns_a_session_whose_close_stops_the_sandbox_tenant(tmp_path: Path) -> None:
    emulator = Emulator("demo", state_dir=tmp_path / "emulator")
    session = await connect_demo(audit_log=str(tmp_path / "audit.jsonl"), emulator=emulator)
    assert isinstance(session, Session) and session.demo
    assert emulator.running
    assert await session.backend.list_subscriptions()
    await session.close()
    assert not emulator.running
    await session.close()  # (closing twice does nothing)


async def test_cleanups_added_with_on_close_run_in_order_when_the_session_closes(tmp_path: Path) -> None:
    session = await connect_demo(audit_log=str(tmp_path / "audit.jsonl"), state_dir=tmp_path / "emulator")
    ran: list[str] = []

    async def later() -> None:
        ran.append("async")

    session.on_close(lambda: ran.append("plain"))
    session.on_close(later)
    await session.close()
    assert ran == ["plain", "async"]
