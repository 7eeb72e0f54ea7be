"""What the benchmark measures for one tenant size, and the figures its RESULT line gives (defined here only)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

# the RESULT line's figures, in order (tests/test_benchmark_smoke.py reads the line by them)
RESULT_FIELDS = (
    "inventory_s",
    "bound_s",
    "requests",
    "min_requests",
    "loaded_s",
    "filter_ms",
    "stall_ms",
    "rss_mb",
    "first_frame_s",
    "partial_s",
    "refresh_ms",
)


@dataclass
class Figures:
    size: str
    subs: int
    ids: int
    latency_ms: int
    emulator_start_s: float = 0.0
    emulator_start_cpu_s: float = math.nan
    connect_s: float = 0.0
    inventory_s: float = math.nan
    inventory_warm_s: float = math.nan
    escalation_s: float = math.nan  # effective privilege and paths of every identity, once per load
    inventory_proc_s: float = math.nan
    client_cpu_s: float = math.nan
    emulator_cpu_s: float = math.nan
    requests: int = 0
    token_requests: int = 0
    proc_requests: int = 0
    min_requests: int = 0
    critical_path: int = 0
    bound_s: float = math.nan
    loaded_s: float = math.nan
    filter_ms: float = math.nan
    filter_max_ms: float = math.nan
    stall_ms: float = math.nan
    partial_s: float = math.nan  # TUI: start -> the first frame that lists any identity
    refresh_ms: float = math.nan  # TUI: the key that applies one role assignment -> its row counts it
    rss_mb: float = math.nan
    tui_requests: int = 0
    main_screen_s: float = math.nan  # TUI: when the main screen was first composed
    worst_stalls: list[tuple[float, float]] = field(default_factory=list)  # (s after start, ms)
    first_frame_s: float = math.nan
    # the same first load through each source (--both-sources): ARM's listings, Azure Resource Graph's queries
    inventory_arm_s: float = math.nan
    requests_arm: int = 0
    inventory_graph_s: float = math.nan
    requests_graph: int = 0
    # the usage run (tui.services.usage.usage_of: sign-in activity + 90 days of Activity Log, every subscription)
    usage_events: int = 0
    usage_s: float = math.nan
    usage_requests: int = 0
    usage_incremental_s: float = math.nan  # the same again, with the on-disk cache: only what is newer
    usage_incremental_requests: int = 0
    checks: list[str] = field(default_factory=list)
    routes: dict[str, int] = field(default_factory=dict)
    plan_requests: dict[str, int] = field(default_factory=dict)
    plan_chains: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def cpu_floor_s(self) -> float:
        """The least inventory_s that the CPU it took allows on this machine, however the work were overlapped: mitui
        runs Python on one core at a time (the GIL), and the emulator shares the machine's cores with it."""
        return max(self.client_cpu_s, (self.client_cpu_s + self.emulator_cpu_s) / (os.cpu_count() or 1))
