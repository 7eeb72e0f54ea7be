"""Process tuning, in one place: how this Python process collects garbage, shares the GIL and imports, for a
responsive TUI over a large inventory. The service layer never imports this module: :func:`install` plugs the
load-time pieces into its hooks (tui.services.tuning).

- :func:`collector_off_while_loading`: no collection of reference cycles while an inventory loads (what it made then
  goes to the oldest generation unwalked); :func:`relaxed_gc`: less often, while a screen loads and draws;
- :func:`fair_switch_interval`: a short GIL switch interval while the CPU worker thread works, so the event loop
  gets its turn sooner;
- :func:`freeze_kept` / :func:`unfreeze`: keep what a screen holds out of full collections, and give it back;
- :func:`warm_imports`: import modules in a worker thread, before they are needed on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import sys
from collections.abc import Iterable, Iterator

from tui.services import tuning

GC_LOAD_THRESHOLD = 50_000  # allocations between two collections of the youngest generation, while loading
GC_LOAD_OLDER = 1_000  # collections of the youngest between two of the middle one, while loading
SWITCH_INTERVAL_S = 0.0002  # while the CPU worker works; restored after each piece


def install() -> None:
    """Plug the collector's switch-off into every inventory load and the fair switch interval into every piece of CPU
    work (idempotent)."""
    tuning.install(around_load=collector_off_while_loading, around_cpu_work=fair_switch_interval)


class _GcWhileLoading:
    depth = 0  # relaxed_gc's
    saved: tuple[int, int, int] | None = None
    off = 0  # collector_off_while_loading's
    was_enabled = True


@contextlib.contextmanager
def collector_off_while_loading() -> Iterator[None]:
    """No collection of reference cycles while an inventory loads (nested loads: until the last one ends); what the
    load made is then handed to the oldest generation without a walk over it. Inside :func:`relaxed_gc` (a screen
    holds it around its loads), nothing: the screen's relaxation rules.

    Collected only every 50 000 allocations (:func:`relaxed_gc`), the youngest generation still walked every object
    a load made, once: 11 collections of 20–36 ms at 200:40000 (~0.28 s of the load's GIL) for a few hundred objects
    of garbage each (1,284 objects, no page among them, in a whole load at 50:10000). So a load without a screen
    (``mitui inventory``, the incident commands, the benchmark's service layer) runs with the collector off, and at
    its end the survivors go to the oldest generation in one step: ``gc.freeze`` then ``gc.unfreeze``, two list
    splices instead of a walk. That step is skipped when something is frozen on purpose (it would give it back).
    A screen keeps collecting while it loads (relaxed): with the collector off for it too, the TUI at 200:40000
    listed every identity ~0.5 s sooner but peaked at 402–411 MB in three runs, against 371–385 MB."""
    state = _GcWhileLoading
    if state.depth > 0:
        yield
        return
    if state.off == 0:
        state.was_enabled = gc.isenabled()
        gc.disable()
    state.off += 1
    try:
        yield
    finally:
        state.off -= 1
        if state.off == 0:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            if state.was_enabled:
                gc.enable()


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect reference cycles less often while an inventory loads under a screen (around the load, the rows drawn
    from it, a write and its reread; a load inside turns nothing off: :func:`collector_off_while_loading`).

    A load allocates hundreds of thousands of small objects (decoded JSON, models) and keeps most of them: with
    CPython's default thresholds (700, 10, 10) the cyclic collector runs hundreds of times during one load, and
    its passes over the older generations walk the whole growing heap — about a fifth of the load's CPU at 10 000
    identities, in pauses of 50–140 ms (a TUI's event loop stalls for each). The data has no reference cycles
    (reference counting frees it), so while loading the youngest generation is collected every 50 000
    allocations (a few milliseconds each) and the older ones not at all; the thresholds are restored after
    (nested loads restore them when the last one ends). A TUI then freezes what it keeps (:func:`freeze_kept`)."""
    state = _GcWhileLoading
    if state.depth == 0:
        state.saved = gc.get_threshold()
        gc.set_threshold(max(state.saved[0], GC_LOAD_THRESHOLD), max(state.saved[1], GC_LOAD_OLDER), state.saved[2])
    state.depth += 1
    try:
        yield
    finally:
        state.depth -= 1
        if state.depth == 0 and state.saved is not None:
            gc.set_threshold(*state.saved)


@contextlib.contextmanager
def fair_switch_interval() -> Iterator[None]:
    """A 0.2 ms GIL switch interval for the duration (restored after).

    A thread that waits for the GIL asks the one holding it to let go after the switch interval (5 ms by
    default), and the event loop waits so again each time it comes back from a system call: with CPU work in
    another thread, a frame that needs 20 ms of CPU took 100 ms or more. At 1 ms while the worker works, the
    loop's worst lateness behind it fell from ~11 ms to ~4 ms (measured on 2 cores). Reading a TLS answer lets go
    of the GIL once a record (16 KB): a Resource Graph page of 700 KB read while the worker decoded waited ~1 ms
    for each of its ~45 records, the TUI's longest stalls at 200:40000 (81-109 ms in six runs); at 0.2 ms they
    are 50-55 ms, and the loads are no slower (50:10000: 1.07-1.23 s at either interval, ten loads each)."""
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(saved, SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(saved)


def freeze_kept() -> None:
    """Keep what is alive now out of Python's full garbage collections (``gc.freeze``). Each full collection walks
    every tracked object; with an inventory and its rows (hundreds of thousands of objects at 10 000 identities)
    one took 250-400 ms, a visible stall, often in the middle of a keystroke. Frozen objects are still freed by
    reference counting when dropped (a reload replaces the inventory); only reference cycles among them wait for
    :func:`unfreeze`, which the holder calls when it lets go."""
    gc.freeze()


def unfreeze() -> None:
    """Give what :func:`freeze_kept` froze back to the collector."""
    gc.unfreeze()


async def warm_imports(names: Iterable[str]) -> None:
    """Import these modules in a worker thread (a module that cannot be imported is skipped: it shows up where it
    is used), so that their first use does not import them on the event loop. Those imported already cost
    nothing (no thread)."""
    missing = tuple(n for n in names if n not in sys.modules)
    if missing:
        await asyncio.to_thread(_import_all, missing)


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
