"""Process tuning (tui.runtime), installed into the service layer's hooks: the collector off for the whole of a load
(nested loads: until the last ends) and what it made aged unwalked, or relaxed when a screen holds the load; the GIL
switch interval short only while a piece of CPU work runs."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from tui import runtime
from tui.emulator.server import Emulator
from tui.services import tuning
from tui.services.offload import off_loop


@pytest.fixture
def installed() -> Iterator[None]:
    """runtime.install() for the test; the hooks as they were after it."""
    saved = (tuning.around_load, tuning.around_cpu_work)
    runtime.install()
    runtime.install()  # (idempotent)
    try:
        yield
    finally:
        tuning.install(around_load=saved[0], around_cpu_work=saved[1])


def test_install_plugs_the_tuning_into_the_service_layer(installed: None) -> None:
    assert tuning.around_load is runtime.collector_off_while_loading
    assert tuning.around_cpu_work is runtime.fair_switch_interval


@pytest.mark.asyncio(loop_scope="session")
async def test_the_collector_is_off_while_a_load_runs_and_what_it_made_is_aged_unwalked(
    installed: None, demo_emulator: Emulator, session_for
) -> None:  # noqa: ANN001
    session = await session_for(demo_emulator)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    collections: list[int] = []
    during: list[bool] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with runtime.collector_off_while_loading():  # (nested: the inner load's end does not switch it back on)
            inv = await session.load_inventory(progress=lambda _step: during.append(gc.isenabled()))
            assert not gc.isenabled()
            young = gc.get_count()[0]
    finally:
        gc.callbacks.remove(seen)
    assert inv.identities and during and not any(during)
    assert collections == []  # not one collection in the whole load
    assert young > 1000  # (the load made objects the collector would have walked: the test proves something)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.get_count()[0] < young  # the young generation handed on, not left to the next collection's walk


@pytest.mark.asyncio(loop_scope="session")
async def test_inside_a_screens_relaxed_collector_a_load_keeps_collecting_and_what_is_frozen_stays(
    installed: None, demo_emulator: Emulator, session_for
) -> None:  # noqa: ANN001
    session = await session_for(demo_emulator)
    before = gc.get_threshold()
    relaxed = (runtime.GC_LOAD_THRESHOLD, runtime.GC_LOAD_OLDER, before[2])
    assert before[0] < runtime.GC_LOAD_THRESHOLD  # (CPython's default is 700: the test would prove nothing otherwise)
    during: list[tuple[bool, tuple[int, int, int]]] = []
    with runtime.relaxed_gc():  # (as the main screen holds it around a load and the rows built from it)
        inv = await session.load_inventory(progress=lambda _step: during.append((gc.isenabled(), gc.get_threshold())))
        assert gc.get_threshold() == relaxed
    assert inv.identities and during and all(d == (True, relaxed) for d in during)
    assert gc.get_threshold() == before

    kept = [object() for _ in range(10)]
    runtime.freeze_kept()  # something frozen on purpose: a load's end does not give it back
    try:
        assert gc.get_freeze_count() >= len(kept)
        await session.load_inventory()
        # (still frozen: giving it back would leave none; some may have been freed by reference counting meanwhile)
        assert gc.isenabled() and gc.get_freeze_count() >= len(kept)
    finally:
        runtime.unfreeze()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_switch_interval_is_short_only_while_a_piece_runs(installed: None) -> None:
    before = sys.getswitchinterval()
    assert before > runtime.SWITCH_INTERVAL_S  # (CPython's default is 5 ms: the test would prove nothing otherwise)
    during = await off_loop(sys.getswitchinterval)
    assert during == pytest.approx(runtime.SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == pytest.approx(before)


@pytest.mark.asyncio(loop_scope="session")
async def test_an_error_in_a_piece_restores_the_switch_interval(installed: None) -> None:
    before = sys.getswitchinterval()

    def broken() -> None:
        raise ValueError("bad page")

    with pytest.raises(ValueError, match="bad page"):
        await off_loop(broken)
    assert sys.getswitchinterval() == pytest.approx(before)


def test_freeze_kept_keeps_what_is_alive_out_of_collections_until_unfrozen() -> None:
    kept = [object() for _ in range(100)]
    runtime.freeze_kept()
    try:
        assert gc.get_freeze_count() >= len(kept)
    finally:
        runtime.unfreeze()
    assert gc.get_freeze_count() == 0


@pytest.mark.asyncio(loop_scope="session")
async def test_warm_imports_imports_what_it_can() -> None:
    sys.modules.pop("colorsys", None)
    await runtime.warm_imports(["colorsys", "tui.no_such_module"])
    assert "colorsys" in sys.modules
    assert "tui.no_such_module" not in sys.modules
