"""The forecast benchmark runs in its smoke mode and prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_forecast_bench_smoke() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "forecast_bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    ).stdout
    figures = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for key in ("forecast_seconds", "national_forecast_seconds", "peak_mb", "dask_seconds", "scaling"):
        assert float(figures[key]) > 0, out
