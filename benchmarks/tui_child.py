"""The TUI on the benchmark's tenant, headless through Textual's test driver in a child process of its own (so that
its peak memory is its own): ``loaded_s``, ``filter_ms``, ``stall_ms``, ``rss_mb``; ``--profile-dir``.

``stall_ms``: a probe task in the app's own event loop sleeps 5 ms at a time and records how late it wakes up;
the longest lateness between app start and 0.3 s after the table was filled is the stall (a blocked loop, or a
thread holding the GIL, shows up as lateness; asyncio's own timer slack is well under a millisecond).

``filter_ms``: after the load, ``/`` opens the filter; then keystrokes are posted to the app one at a time
(``orders func`` typed, then erased: 21 keys, each one a new filter over every identity). For each key the clock
runs from posting the key event until the end of the first compositor refresh of the screen after the table's
filter was applied (the screen's ``_compositor_refresh`` and the table's ``set_filter`` are wrapped on their
instances to timestamp them; in headless mode that refresh renders every dirty line, only the final write of
escape sequences to a terminal is skipped). ``filter_ms`` is the median, ``filter_max_ms`` the worst.

``loaded_s``: the same compositor-refresh stamps: the first refresh of the main screen whose identity table holds
as many rows as the tenant has identities, measured from just before ``run_test`` starts the app (the Python
start-up and imports before that are what ``first_frame_s`` measures)."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.emulator_process import EmulatorProcess, split_requests
from benchmarks.figures import Figures
from benchmarks.processes import ROOT, isolated_env
from benchmarks.stalls import LagProbe, StallSampler

CHILD_RESULT = "BENCH-TUI "  # the child's last line of output starts with this, then its figures as JSON
TUI_SIZE = (160, 48)
FILTER_KEYS: tuple[tuple[str, str], ...] = (
    *((c, c) for c in "orders"),
    ("space", " "),
    *((c, c) for c in "func"),
    *(("backspace", "") for _ in range(10)),
)


def measure_tui(
    emu: EmulatorProcess,
    fig: Figures,
    expected: int,
    home: Path,
    timeout: float,
    profile_dir: str | None = None,
    stall_dir: str | None = None,
) -> None:
    """The TUI in a child process (so that its peak memory is its own); see :func:`tui_child`."""
    conn_file = emu.state_dir / "connection.json"
    args = [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--tui-child", str(conn_file), str(expected)]
    args += ["--tui-timeout", str(timeout)]
    if profile_dir:
        args += ["--profile-dir", str(Path(profile_dir) / fig.size.replace(":", "-"))]
    if stall_dir:
        args += ["--stall-stacks", str(Path(stall_dir) / fig.size.replace(":", "-"))]
    emu.reset_stats()
    proc = subprocess.run(
        args, capture_output=True, text=True, env=isolated_env(home, emu.env), timeout=timeout + 120, cwd=ROOT
    )
    fig.tui_requests, _ = split_requests(emu.stats())
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith(CHILD_RESULT)), None)
    if proc.returncode != 0 or line is None:
        fig.checks.append(f"TUI child exited {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}")
        return
    data = json.loads(line.removeprefix(CHILD_RESULT))
    fig.loaded_s = data["loaded_s"]
    fig.filter_ms = data["filter_ms"]
    fig.filter_max_ms = data["filter_max_ms"]
    fig.stall_ms = data["stall_ms"]
    fig.rss_mb = data["rss_mb"]
    fig.partial_s = data.get("partial_s", math.nan)
    fig.refresh_ms = data.get("refresh_ms", math.nan)
    fig.main_screen_s = data.get("main_screen_s") or math.nan
    fig.worst_stalls = [tuple(x) for x in data.get("worst_stalls", [])]
    fig.checks.extend(data.get("checks", []))


class PhaseProfiler:
    """pyinstrument (``pip install .[bench]``) over one phase of the TUI child, when a directory is given."""

    def __init__(self, directory: str | None, name: str) -> None:
        self.path = Path(directory) / f"{name}.txt" if directory else None
        self.profiler: Any = None

    def __enter__(self) -> PhaseProfiler:
        if self.path is not None:
            from pyinstrument import Profiler

            self.profiler = Profiler(async_mode="disabled")
            self.profiler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.profiler is not None and self.path is not None:
            self.profiler.stop()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            show_all = os.environ.get("BENCH_PROFILE_ALL") == "1"  # Textual's and asyncio's frames too
            self.path.write_text(self.profiler.output_text(unicode=True, show_all=show_all))


def peak_rss_mb() -> float:
    """This process's peak resident memory: Linux's ``VmHWM`` (the high-water mark of this program's own memory).
    Not ``ru_maxrss``: on Linux it keeps the high-water mark of the memory the process had before its exec, which
    for a child spawned by the benchmark (forked from it, the parent's pages shared) is the benchmark's own RSS at
    that moment: a TUI child of ~450 MB read 600-900 MB at 200:40000, the service layer's inventory the benchmark
    had just loaded."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # (bytes on macOS, KiB elsewhere)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def run_tui_child(
    conn_file: str, expected: int, timeout: float, profile_dir: str | None, stall_dir: str | None
) -> None:
    """``bench.py --tui-child``: measure, and print the figures for :func:`measure_tui` to read."""
    result = asyncio.run(tui_child(conn_file, expected, timeout, profile_dir, stall_dir))
    print(CHILD_RESULT + json.dumps(result), flush=True)


async def tui_child(
    conn_file: str,
    expected: int,
    timeout: float = 900.0,
    profile_dir: str | None = None,
    stall_dir: str | None = None,
) -> dict[str, Any]:

    from textual import events

    from tui import runtime
    from tui.app import MituiApp
    from tui.config import Config
    from tui.launch import azure_factory

    runtime.install()  # tuned as `mitui` tunes itself (tui.launch.run_app)

    conn = json.loads(Path(conn_file).read_text())
    os.environ["IDENTITY_ENDPOINT"] = conn["identity_endpoint"]
    os.environ["IDENTITY_HEADER"] = conn["identity_header"]
    args = argparse.Namespace(
        cloud=None, arm_endpoint=conn["arm"], credential="managed-identity", tenant=None, ca_file=conn["ca_file"]
    )
    args.source = None  # (the config's: auto)
    args.config = None
    # writable: refresh_ms applies one role assignment through the TUI, once everything else is measured
    app = MituiApp(azure_factory(args, False), config=Config())
    checks: list[str] = []
    frames: list[float] = []  # compositor refreshes of the main screen
    filters: list[float] = []  # the identity table's set_filter calls (end)
    loaded_at: list[float] = []
    partial_at: list[float] = []  # the first refresh that lists any identity
    main_screen_at: list[float] = []
    state: dict[str, Any] = {"screen": None, "table": None}

    def instrument(screen: Any) -> bool:
        try:
            table = screen.query_one("#identities")
        except Exception:  # not composed yet
            return False
        state["screen"], state["table"] = screen, table
        main_screen_at.append(time.perf_counter())
        refresh = screen._compositor_refresh

        def stamped_refresh() -> None:
            before = time.perf_counter()
            cells = sum(r.area for r in screen._compositor._dirty_regions)
            refresh()
            now = time.perf_counter()
            if sampler is not None:
                sampler.paints.append((before, now, cells))
            frames.append(now)
            watch = state.get("watch")  # (refresh_ms) the row to see counting one more role, and when it did
            if watch is not None and not watch[2]:
                row = next((r for r in table.rows if r.key == watch[0]), None)
                if row is not None and row.data.roles == watch[1] + 1:
                    watch[2].append(now)
            if not partial_at and table.row_count > 0:
                partial_at.append(now)
            if not loaded_at and table.row_count >= expected:
                loaded_at.append(now)

        screen._compositor_refresh = stamped_refresh
        set_filter = table.set_filter

        def stamped_set_filter(*a: Any, **k: Any) -> Any:
            result = set_filter(*a, **k)
            filters.append(time.perf_counter())
            return result

        table.set_filter = stamped_set_filter
        return True

    probe = LagProbe()
    probe.start()
    sampler = StallSampler(probe) if stall_dir else None
    if sampler is not None:
        sampler.start()
    t0 = time.perf_counter()
    filter_times: list[float] = []
    load_profile = PhaseProfiler(profile_dir, "tui-load").__enter__()
    async with app.run_test(headless=True, size=TUI_SIZE) as pilot:
        deadline = t0 + timeout
        while not loaded_at and time.perf_counter() < deadline:
            screen = app.screen
            if state["screen"] is not screen and type(screen).__name__ == "MainScreen":
                instrument(screen)
            if app.connect_error is not None:
                checks.append(f"TUI could not connect: {app.connect_error}")
                break
            await asyncio.sleep(0.002)
        load_profile.__exit__()
        if not loaded_at:
            table = state["table"]
            rows = table.row_count if table is not None else 0
            checks.append(f"TUI listed {rows} of {expected} identities within {timeout:.0f} s")
            loaded_s = math.nan
            stall_ms = probe.worst(t0, time.perf_counter()) * 1000
            stalls = probe.top(t0, time.perf_counter())
        else:
            loaded_s = loaded_at[0] - t0
            await asyncio.sleep(0.3)
            stall_ms = probe.worst(t0, loaded_at[0] + 0.3) * 1000
            stalls = probe.top(t0, loaded_at[0] + 0.3)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("slash")
            await pilot.pause()
            filter_profile = PhaseProfiler(profile_dir, "tui-filter").__enter__()
            for key, char in FILTER_KEYS:
                n_filters, start = len(filters), time.perf_counter()
                app.post_message(events.Key(key, char or None))
                end = start + 10.0
                done = math.nan
                while time.perf_counter() < end:
                    await asyncio.sleep(0.0005)
                    if len(filters) > n_filters and frames and frames[-1] > filters[n_filters]:
                        done = next(f for f in frames if f > filters[n_filters]) - start
                        break
                if math.isnan(done):
                    checks.append(f"filter: no repaint within 10 s after key {key!r}")
                filter_times.append(done * 1000)
                await asyncio.sleep(0.03)
            filter_profile.__exit__()
            refresh_ms = await measure_refresh(app, pilot, state, checks)
    probe.stop()
    if sampler is not None and stall_dir:
        sampler.write(stall_dir, t0, loaded_at[0] + 0.3 if loaded_at else time.perf_counter())
    valid = [t for t in filter_times if not math.isnan(t)]
    return {
        "loaded_s": loaded_s,
        "partial_s": round(partial_at[0] - t0, 3) if partial_at else math.nan,
        "refresh_ms": refresh_ms if loaded_at else math.nan,
        "filter_ms": statistics.median(valid) if valid else math.nan,
        "filter_max_ms": max(valid) if valid else math.nan,
        "stall_ms": stall_ms,
        "rss_mb": peak_rss_mb(),
        "worst_stalls": stalls,  # (seconds after start, ms): where to look
        "main_screen_s": round(main_screen_at[0] - t0, 3) if main_screen_at else None,
        "checks": checks,
    }


async def measure_refresh(app: Any, pilot: Any, state: dict[str, Any], checks: list[str]) -> float:
    """``refresh_ms``: Reader on an identity that does not hold it at its own resource, through the TUI (a, the
    role's name, enter, the first scope, Apply); from posting the key that applies it until the first refresh of the
    screen whose identity table counts the new role on that identity's row (checked in each refresh)."""
    from textual import events

    from tui.pilot import settle
    from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen
    from tui.screens.confirm import ConfirmScreen

    await pilot.press("escape")  # (leaves and clears the filter)
    await settle(app, pilot)
    held = app.screen.inventory.role_assignments

    def has_reader(identity: Any) -> bool:
        own = identity.resource_id.lower()
        rights = held.get(identity.principal_id.lower(), ())
        return any(ra.role_name == "Reader" and ra.scope.lower() == own for ra in rights)

    table = state["table"]
    row = next(
        (r for r in table.visible_rows if r.data.identity.visible_in_arm and not has_reader(r.data.identity)), None
    )
    if row is None:
        checks.append("refresh: no identity without Reader at its own resource")
        return math.nan
    before = row.data.roles
    table.move_to_key(row.key)
    await settle(app, pilot)
    await pilot.press("a")
    await settle(app, pilot)
    if not isinstance(app.screen, RolePickerScreen):
        checks.append(f"refresh: a opened {type(app.screen).__name__}, not the role picker")
        return math.nan
    await pilot.press(*"Reader")
    await settle(app, pilot)
    current = app.screen.table.current
    if current is None or current.data.role_name != "Reader":
        checks.append("refresh: the role picker did not offer Reader first")
        return math.nan
    await pilot.press("enter")
    await settle(app, pilot)
    if not isinstance(app.screen, ScopePickerScreen):
        checks.append(f"refresh: enter opened {type(app.screen).__name__}, not the scope picker")
        return math.nan
    await pilot.press("enter")  # the first suggestion: the identity's own resource
    await settle(app, pilot)
    if not isinstance(app.screen, ConfirmScreen):
        checks.append(f"refresh: no confirmation dialog ({type(app.screen).__name__})")
        return math.nan
    await pilot.press("tab")  # to Apply
    await pilot.pause()
    seen: list[float] = []
    state["watch"] = (row.key, before, seen)
    start = time.perf_counter()
    app.post_message(events.Key("enter", "\r"))
    deadline = start + 30.0
    while not seen and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    state["watch"] = None
    if not seen:
        checks.append("refresh: the new role was not listed within 30 s")
        return math.nan
    return (seen[0] - start) * 1000
