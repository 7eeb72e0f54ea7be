"""The report: the table of figures per size, the tenant and its request plan, the growth ratios between sizes, the
targets, and last the RESULT line."""

from __future__ import annotations

import math
from collections.abc import Iterable

from benchmarks.figures import RESULT_FIELDS, Figures


def fmt(value: float | int, digits: int = 2) -> str:
    if isinstance(value, int):
        return str(value)
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"


ROWS: tuple[tuple[str, str, int], ...] = (
    # (attribute, label, digits)
    ("inventory_s", "inventory_s (service layer, first load)", 2),
    ("inventory_warm_s", "inventory_warm_s (second load)", 2),
    ("escalation_s", "escalation_s (effective privilege, every identity)", 2),
    ("inventory_proc_s", "inventory_proc_s (`mitui inventory` process)", 2),
    ("client_cpu_s", "  CPU of mitui during inventory_s", 2),
    ("emulator_cpu_s", "  CPU of the emulator during inventory_s", 2),
    ("cpu_floor_s", "  CPU floor (the least inventory_s that CPU allows)", 2),
    ("bound_s", "bound_s (critical path × latency)", 2),
    ("critical_path", "critical path (requests in a row)", 0),
    ("requests", "requests (ARM + Graph)", 0),
    ("min_requests", "min_requests", 0),
    ("proc_requests", "requests of `mitui inventory`", 0),
    ("token_requests", "token requests (not counted above)", 0),
    ("inventory_arm_s", "inventory_arm_s (through ARM, --both-sources)", 2),
    ("requests_arm", "  requests through ARM", 0),
    ("inventory_graph_s", "inventory_graph_s (through Resource Graph)", 2),
    ("requests_graph", "  requests through Resource Graph", 0),
    ("usage_events", "usage: Activity Log events in 90 days", 0),
    ("usage_s", "usage_s (sign-ins + 90 days of activity, cold)", 2),
    ("usage_requests", "  requests of the usage run", 0),
    ("usage_incremental_s", "usage_incremental_s (again, from the cache)", 2),
    ("usage_incremental_requests", "  requests of the incremental run", 0),
    ("loaded_s", "loaded_s (TUI: start → every identity listed)", 2),
    ("partial_s", "partial_s (TUI: start → first identities listed)", 2),
    ("refresh_ms", "refresh_ms (TUI: apply a role → its row counts it)", 0),
    ("tui_requests", "requests of the TUI's load", 0),
    ("filter_ms", "filter_ms (median keystroke → repaint)", 1),
    ("filter_max_ms", "filter_max_ms (worst keystroke)", 1),
    ("stall_ms", "stall_ms (longest event-loop block, loading)", 1),
    ("rss_mb", "rss_mb (TUI process peak)", 0),
    ("connect_s", "connect_s (sign-in, not in inventory_s)", 2),
    ("emulator_start_s", "emulator start (spawn → ready)", 1),
    ("emulator_start_cpu_s", "  CPU of the emulator to get ready", 1),
)
GROWTH = ("inventory_s", "inventory_proc_s", "requests", "loaded_s", "filter_ms", "stall_ms", "rss_mb")


def targets(fig: Figures) -> list[tuple[str, str, bool]]:
    return [
        (
            "inventory_s ≤ 1.5 × bound_s",
            f"{fmt(fig.inventory_s)} vs {fmt(1.5 * fig.bound_s)}",
            fig.inventory_s <= 1.5 * fig.bound_s,
        ),
        (
            "requests ≤ 1.2 × min_requests",
            f"{fig.requests} vs {fmt(1.2 * fig.min_requests, 1)}",
            fig.requests <= 1.2 * fig.min_requests,
        ),
        ("filter_ms ≤ 50", fmt(fig.filter_ms, 1), fig.filter_ms <= 50),
        ("stall_ms ≤ 100", fmt(fig.stall_ms, 1), fig.stall_ms <= 100),
        ("rss_mb ≤ 400", fmt(fig.rss_mb, 0), fig.rss_mb <= 400),
        ("first_frame_s ≤ 1.0", fmt(fig.first_frame_s), fig.first_frame_s <= 1.0),
        ("partial_s ≤ 1.5", fmt(fig.partial_s), fig.partial_s <= 1.5),
        (
            "refresh_ms ≤ 2 round trips",
            f"{fmt(fig.refresh_ms, 0)} vs {2 * fig.latency_ms}",
            fig.refresh_ms <= 2 * fig.latency_ms,
        ),
    ]


def report(figs: list[Figures], first_frame_s: float) -> str:
    lines: list[str] = []
    width = max(len(label) for _, label, _ in ROWS) + 2

    def row(label: str, cells: Iterable[object] = ()) -> str:
        return label.ljust(width) + "".join(str(cell).rjust(14) for cell in cells)

    header = row("metric", (f.size for f in figs))
    lines += [f"latency {figs[0].latency_ms} ms per ARM/Graph request", header, "-" * len(header)]
    for attr, label, digits in ROWS:
        lines.append(row(label, (fmt(getattr(f, attr), digits) for f in figs)))
    lines.append(row("first_frame_s (`mitui --demo`)", [fmt(first_frame_s)]))
    lines.append("")
    lines.append(row("tenant", (f.size for f in figs)))
    for key in figs[0].counts:
        lines.append(row(f"  {key}", (f.counts.get(key, "") for f in figs)))
    lines.append(row("fewest requests, by step"))
    for key in figs[0].plan_requests:
        lines.append(row(f"  {key}", (f.plan_requests.get(key, "") for f in figs)))
    lines.append(row("chains (requests in a row)"))
    for key in dict.fromkeys(k for f in figs for k in f.plan_chains):
        lines.append(row(f"  {key}", (f.plan_chains.get(key, "-") for f in figs)))
    lines.append("worst event-loop stalls of the TUI (seconds after start: ms), to know where to look")
    for f in figs:
        stalls = ", ".join(f"{t:.2f}s: {ms:.0f}" for t, ms in f.worst_stalls) or "-"
        lines.append(f"  {f.size}: main screen at {fmt(f.main_screen_s)}s, loaded at {fmt(f.loaded_s)}s; {stalls}")
    lines.append("requests served, by route (service layer)")
    for f in figs:
        lines.append(f"  {f.size}: " + ", ".join(f"{r} ×{n}" for r, n in f.routes.items()))
    if len(figs) > 1:
        lines.append("")
        lines.append("growth (ratio between consecutive sizes; linear = the identities' ratio)")
        for a, b in zip(figs, figs[1:], strict=False):
            ids_ratio = b.ids / a.ids if a.ids else math.nan
            parts = [f"identities ×{ids_ratio:.1f}"]
            for attr in GROWTH:
                va, vb = getattr(a, attr), getattr(b, attr)
                ratio = vb / va if va and not math.isnan(va) and not math.isnan(vb) else math.nan
                mark = "" if math.isnan(ratio) else (" ok" if ratio <= ids_ratio * 1.05 else " SUPERLINEAR")
                parts.append(f"{attr} ×{fmt(ratio)}{mark}")
            lines.append(f"  {a.size} → {b.size}: " + ", ".join(parts))
    middle = figs[len(figs) // 2]
    middle.first_frame_s = first_frame_s
    lines.append("")
    lines.append(f"targets at {middle.size}")
    for name, value, ok in targets(middle):
        lines.append(f"  {'MET    ' if ok else 'NOT MET'} {name}: {value}")
    problems = [f"{f.size}: {c}" for f in figs for c in f.checks]
    if problems:
        lines.append("")
        lines.append("CHECKS FAILED (the figures above may not measure a correct inventory):")
        lines += [f"  {p}" for p in problems]
    lines.append("")
    # the largest size the issue names gets its RESULT line too, beside the middle size's (which stays last)
    for fig in figs:
        if fig.size == SECOND_RESULT and fig is not middle:
            fig.first_frame_s = first_frame_s
            lines.append(result_line(fig))
    lines.append(result_line(middle))
    return "\n".join(lines)


SECOND_RESULT = "200:40000"


def result_line(fig: Figures) -> str:
    values = {name: getattr(fig, name) for name in RESULT_FIELDS}
    digits = {"requests": 0, "min_requests": 0, "filter_ms": 1, "stall_ms": 1, "rss_mb": 0, "refresh_ms": 0}
    return f"RESULT size={fig.size} " + " ".join(
        f"{k}={fmt(v, digits.get(k, 2)) if not isinstance(v, int) else v}" for k, v in values.items()
    )
