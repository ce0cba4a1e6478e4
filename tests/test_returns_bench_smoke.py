"""The returns benchmark's smoke mode runs and prints the figures a script reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_returns_bench_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "returns_bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    ).stdout
    figures = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for key in ("readiness_seconds", "housing_seconds", "peak_mb", "blocking_pairs", "households_housed"):
        assert key in figures, out
    assert int(figures["settlements_waiting"]) > 0 and int(figures["households_housed"]) > 0
