"""The benchmark must not rot: run it end to end on a tiny tenant and check that it reports every figure.

No timing assertions (speed is the benchmark's business, not the test suite's): only that it completes, that its
own correctness checks pass, and that the last line is a well-formed RESULT line with a number for every field.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks.figures import RESULT_FIELDS

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"\d+(?:\.\d+)?"


def test_benchmark_runs_on_a_tiny_tenant_and_prints_every_figure() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench.py"),
            "--sizes",
            "2:40",
            "--latency-ms",
            "0",
            "--first-frame-runs",
            "1",
            "--no-warm",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert "CHECKS FAILED" not in proc.stdout, proc.stdout[-3000:]
    pattern = "RESULT size=2:40 " + " ".join(f"{name}=(?P<{name}>{NUMBER})" for name in RESULT_FIELDS)
    match = re.fullmatch(pattern, lines[-1])
    assert match, f"not a well-formed RESULT line: {lines[-1]!r}"
    assert int(match["min_requests"]) > 0
    assert int(match["requests"]) > 0
    # the table and the targets come before it
    assert any(line.startswith("inventory_s") for line in lines)
    assert any("targets at 2:40" in line for line in lines)
