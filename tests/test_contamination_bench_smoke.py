"""The grid benchmark's smoke mode runs and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_grid_bench_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "grid_bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    ).stdout
    figures = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for key in ("cells", "grid_seconds", "cells_per_second", "peak_mb", "auc"):
        assert key in figures, out
    assert int(figures["cells"]) > 1000
    assert float(figures["grid_seconds"]) > 0
    assert 2.0 < float(figures["hazard_km2"]) < 20.0
