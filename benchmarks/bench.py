"""mitui against the physical limit: how long the inventory takes, how many requests it costs, how the TUI holds up.

    .venv/bin/python benchmarks/bench.py [--sizes 10:2000,50:10000,200:40000] [--latency-ms 50]

For every size SUBSCRIPTIONS:IDENTITIES it starts ``mitui emulator --scale S:I --latency-ms N`` as a separate
process (the stand-in for Azure: it must not share our CPU time slices or our event loop), and measures:

* ``inventory_s``   the full inventory (identities, their role assignments and app role grants) through the
                    service layer in this process: ``Session.load_inventory()`` on a fresh session (the first load
                    of a session, so the lazy SDK imports it triggers are paid, as they are in the TUI);
                    ``inventory_warm_s`` is a second load on the same session;
* ``inventory_proc_s``  ``mitui inventory --format json`` as a whole process, from spawn to exit;
* ``requests``      ARM + Graph requests the emulator served for the service-layer load (``/_emulator/stats``,
                    reset before each measurement; token requests are counted apart as ``token_requests``);
* ``min_requests``  the fewest the tenant's size and the APIs' page sizes allow (see :func:`request_plan`);
* ``bound_s``       the critical path of that plan: the longest chain of requests that must follow one another,
                    times the latency (see :func:`request_plan`);
* the TUI on the same tenant, headless through Textual's test driver (``App.run_test``) in a child process:
  ``loaded_s`` (app start until the first frame in which the identity table lists every identity),
  ``filter_ms`` (median keystroke-to-repaint in the filter box), ``stall_ms`` (the longest the event loop was
  blocked while loading), ``rss_mb`` (the child's peak resident memory, VmHWM), ``partial_s`` (app start until the first
  frame that lists any identity), ``refresh_ms`` (Reader applied to an identity through the TUI: from the key that
  applies it until the frame whose table counts it on the identity's row);
* with ``--both-sources``: ``inventory_arm_s`` / ``requests_arm`` and ``inventory_graph_s`` / ``requests_graph``,
  the first load of a fresh session through ARM's listings and through Azure Resource Graph (``--source``; the
  main figures use ``auto``: ARM's listings), Resource Graph within the sandbox's query quota (Azure's 15 queries
  per user and 5 s; ``--resource-graph-quota`` for a raised one);
* ``first_frame_s`` ``mitui --demo`` from process start to the first frame with content, in a pseudo-terminal;
* the usage run (``benchmarks/usage_probe.py``): the emulator records 90 days of history (``--activity-per-day``
  operations per subscription per day), and ``usage_of`` reads sign-in activity and every subscription's Activity Log,
  cold (``usage_s``, ``usage_requests``) and again from its on-disk cache (``usage_incremental_*``).

It prints a table, the growth ratios between consecutive sizes, the targets, and last a single line
``RESULT size=... inventory_s=... bound_s=... requests=... min_requests=... loaded_s=... filter_ms=...
stall_ms=... rss_mb=... first_frame_s=... partial_s=... refresh_ms=...`` for the middle size (and, when 200:40000
is among the sizes and not the middle one, the same line for it just before).

Where each part lives (each module's docstring says how it measures):

* ``benchmarks/processes.py``         the ``mitui`` command, an environment of its own, stopping a process;
* ``benchmarks/emulator_process.py``  ``mitui emulator`` as a separate process, and the requests it served;
* ``benchmarks/request_plan.py``      ``min_requests`` and the critical path behind ``bound_s``;
* ``benchmarks/probes.py``            the inventory through the service layer and as ``mitui inventory``;
* ``benchmarks/tui_child.py``         the TUI in a child process (``stalls.py``: its event loop, watched);
* ``benchmarks/first_frame.py``       ``first_frame_s``;
* ``benchmarks/figures.py``           the figures of one size, and the fields of the RESULT line;
* ``benchmarks/report.py``            the tables, growth ratios, targets and the RESULT line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

# `python benchmarks/bench.py` puts benchmarks/ on the path, not the project
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.emulator_process import EmulatorProcess
from benchmarks.figures import Figures
from benchmarks.first_frame import measure_first_frame
from benchmarks.probes import measure_process, measure_service, measure_sources
from benchmarks.processes import isolated_env
from benchmarks.report import report
from benchmarks.request_plan import request_plan
from benchmarks.tui_child import measure_tui, run_tui_child
from benchmarks.usage_probe import measure_usage

DEFAULT_SIZES = "10:2000,50:10000,200:40000"


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        subs, _, ids = part.strip().partition(":")
        try:
            sizes.append((int(subs), int(ids)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected S:I[,S:I...], e.g. {DEFAULT_SIZES}, not {text!r}") from None
    if not sizes or any(s < 1 or i < 0 for s, i in sizes):
        raise argparse.ArgumentTypeError(f"expected S:I[,S:I...] with S >= 1, not {text!r}")
    return sizes


def run_size(subs: int, ids: int, ns: argparse.Namespace, home: Path) -> Figures:
    fig = Figures(size=f"{subs}:{ids}", subs=subs, ids=ids, latency_ms=ns.latency_ms)
    per_day = 0 if ns.skip_usage else ns.activity_per_day
    emu = EmulatorProcess(
        subs, ids, ns.latency_ms, ns.seed, home / f"emulator-{subs}-{ids}", per_day, ns.resource_graph_quota
    )
    emu.start(isolated_env(home))
    try:
        plan = request_plan(subs, ids, ns.seed)  # built while the emulator builds the same tenant
        gc.collect()
        fig.min_requests = plan.min_requests
        fig.critical_path = plan.critical_path
        fig.bound_s = plan.critical_path * ns.latency_ms / 1000
        fig.plan_requests, fig.plan_chains, fig.counts = plan.requests, plan.chains, plan.counts
        emu.wait_ready()
        fig.emulator_start_s = emu.started_s
        fig.emulator_start_cpu_s = emu.cpu_s()  # (it pre-encodes its listings before it says ready)
        log(f"{fig.size}: emulator ready; measuring the service layer")
        asyncio.run(measure_service(emu, fig, plan.truth, warm=not ns.no_warm))
        if ns.both_sources:
            asyncio.run(measure_sources(emu, fig, plan.truth))
            log(
                f"{fig.size}: through ARM {fig.inventory_arm_s:.2f} s, {fig.requests_arm} requests; through Resource "
                f"Graph {fig.inventory_graph_s:.2f} s, {fig.requests_graph} requests"
            )
        if not ns.skip_usage:
            log(f"{fig.size}: inventory_s={fig.inventory_s:.2f}; measuring the usage run")
            asyncio.run(measure_usage(emu, fig))
            log(f"{fig.size}: usage_s={fig.usage_s:.2f} requests={fig.usage_requests} events={fig.usage_events}")
        log(f"{fig.size}: inventory_s={fig.inventory_s:.2f} requests={fig.requests}; measuring `mitui inventory`")
        if not ns.skip_process:
            measure_process(emu, fig, plan.truth, home)
        if not ns.skip_tui:
            log(f"{fig.size}: inventory_proc_s={fig.inventory_proc_s:.2f}; measuring the TUI")
            measure_tui(emu, fig, plan.truth["identities"], home, ns.tui_timeout, ns.profile_dir, ns.stall_stacks)
            log(f"{fig.size}: loaded_s={fig.loaded_s:.2f} filter_ms={fig.filter_ms:.1f} stall_ms={fig.stall_ms:.0f}")
    finally:
        emu.stop()
    return fig


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES), metavar="S:I,...")
    parser.add_argument("--latency-ms", type=int, default=50, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first-frame-runs", type=int, default=5, metavar="N")
    parser.add_argument("--tui-timeout", type=float, default=900.0, metavar="S")
    parser.add_argument("--no-warm", action="store_true", help="skip the second (warm) service-layer load")
    parser.add_argument("--skip-process", action="store_true", help="skip `mitui inventory` as a process")
    parser.add_argument("--skip-tui", action="store_true", help="skip the TUI measurements")
    parser.add_argument(
        "--both-sources",
        action="store_true",
        help="also load once through ARM's listings and once through Azure Resource Graph (time and requests each)",
    )
    parser.add_argument(
        "--resource-graph-quota",
        type=int,
        metavar="N",
        help="Resource Graph queries per user and 5 s that the sandbox allows (default: the sandbox's, Azure's 15)",
    )
    parser.add_argument("--skip-usage", action="store_true", help="skip the usage run (and the emulator's history)")
    parser.add_argument(
        "--activity-per-day", type=int, default=20, metavar="N", help="Activity Log events per subscription per day"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument(
        "--profile-dir", metavar="DIR", help="write pyinstrument profiles of the TUI's load and filter phases to DIR"
    )
    parser.add_argument(
        "--stall-stacks", metavar="DIR", help="write what the TUI's event loop was doing in its worst stalls to DIR"
    )
    parser.add_argument("--tui-child", nargs=2, metavar=("CONNECTION_JSON", "IDENTITIES"), help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)

    if ns.tui_child:
        run_tui_child(ns.tui_child[0], int(ns.tui_child[1]), ns.tui_timeout, ns.profile_dir, ns.stall_stacks)
        return 0

    home = Path(tempfile.mkdtemp(prefix="mitui-bench-"))
    os.environ.update({k: v for k, v in isolated_env(home).items() if k.startswith("XDG_")})
    try:
        figs = []
        for subs, ids in ns.sizes:
            figs.append(run_size(subs, ids, ns, home))
        log("measuring the first frame of `mitui --demo`")
        time.sleep(2.0)  # let the last emulator's exit settle: this figure is sensitive to a busy CPU
        first_frame_s, problems = measure_first_frame(home, max(1, ns.first_frame_runs))
        figs[len(figs) // 2].checks.extend(problems)
        for f in figs:
            f.first_frame_s = first_frame_s
        text = report(figs, first_frame_s)
        print(text, flush=True)
        if ns.json:
            Path(ns.json).write_text(json.dumps([asdict(f) for f in figs], indent=2, default=str))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
