"""The TUI's event loop, watched from inside: how late it wakes up (``stall_ms``) and, with ``--stall-stacks``,
what its worst stalls were made of."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any


class LagProbe:
    """Sleeps ``interval`` at a time in the event loop and records how late each wake-up is."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (wake-up time, lateness)
        self.cpu: list[float] = []  # the process's CPU time at each wake-up
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            self.samples.append((now, now - before - self.interval))
            self.cpu.append(time.process_time())

    def worst(self, start: float, end: float) -> float:
        return max((lag for t, lag in self.samples if start <= t <= end), default=0.0)

    def top(self, start: float, end: float, n: int = 5) -> list[tuple[float, float]]:
        """The ``n`` worst (seconds after ``start``, lateness in ms) between ``start`` and ``end``."""
        worst = sorted((lag, t) for t, lag in self.samples if start <= t <= end)[-n:]
        return [(round(t - start, 3), round(lag * 1000, 1)) for lag, t in reversed(worst)]

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


class StallSampler:
    """``--stall-stacks``: what the TUI's worst stalls were made of, to know where to look.

    - a thread samples the event loop thread's stack while the probe is late (the loop blocked). It needs the GIL
      itself: few samples in a long stall mean the loop thread was waiting for the GIL too (held by a worker thread,
      or by a long call in C);
    - the process's CPU in each stall (about the stall's length: busy; much less: the machine was busy elsewhere);
    - the modules first imported on the loop's thread, and when;
    - every paint while loading: when, how long, how many cells it repainted."""

    def __init__(self, probe: LagProbe, every: float = 0.004, late: float = 0.02) -> None:
        import threading

        self.probe, self.every, self.late = probe, every, late
        self.loop_thread = threading.get_ident()
        self.samples: list[tuple[float, str]] = []  # (time, stack summary)
        self.imports: list[tuple[float, str]] = []  # (time, module)
        self.paints: list[tuple[float, float, int]] = []  # (start, end, cells repainted)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        import sys
        import threading

        sampler = self

        class LoopImports:  # a finder that finds nothing: it only notes imports made on the loop's thread
            def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
                if threading.get_ident() == sampler.loop_thread:
                    sampler.imports.append((time.perf_counter(), name))

        sys.meta_path.insert(0, LoopImports())  # type: ignore[arg-type]
        self._thread.start()

    def _run(self) -> None:
        import sys
        import traceback

        late = self.probe.interval + self.late
        while not self._stop.wait(self.every):
            last = self.probe.samples[-1][0] if self.probe.samples else None
            now = time.perf_counter()
            frame = sys._current_frames().get(self.loop_thread)
            if last is None or now - last < late or frame is None:
                continue
            stack = traceback.extract_stack(frame)[-14:]
            self.samples.append((now, " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack[::-1])))

    def write(self, directory: str, start: float, load_end: float) -> None:
        self._stop.set()
        out = []
        probe = self.probe
        for t, ms in probe.top(start, time.perf_counter(), 8):
            end = start + t
            begin = end - ms / 1000 - probe.interval
            i = min(range(len(probe.samples)), key=lambda k: abs(probe.samples[k][0] - end))
            cpu = (probe.cpu[i] - probe.cpu[i - 1]) * 1000 if i > 0 else math.nan
            out.append(f"=== stall of {ms:.0f} ms ending {t:.2f}s after start; process CPU in it {cpu:.0f} ms")
            seen: dict[str, int] = {}
            for when, stack in self.samples:
                if begin <= when <= end:
                    seen[stack] = seen.get(stack, 0) + 1
            out += [f"  {n:3d} × {stack}" for stack, n in sorted(seen.items(), key=lambda kv: -kv[1])]
        out.append("modules first imported on the event loop's thread:")
        out += [f"  {t - start:.2f}s {name}" for t, name in self.imports]
        paints = [(a - start, (b - a) * 1000, cells) for a, b, cells in self.paints if a <= load_end]
        out.append(f"paints while loading: {len(paints)}, {sum(p[1] for p in paints):.0f} ms in all")
        out += [f"  {t:.2f}s {ms:.0f} ms, {cells} cells" for t, ms, cells in paints]
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / "tui-stalls.txt").write_text("\n".join(out) + "\n")
