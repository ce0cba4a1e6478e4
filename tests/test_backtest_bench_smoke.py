"""The backtest benchmark runs in its smoke mode and prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_backtest_bench_smoke() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "backtest_bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    ).stdout
    figures = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert 1.0 <= float(figures["sharpness_after_1y"]) <= float(figures["sharpness_prior"])
    for key in ("coverage", "coverage_prior"):
        assert 0.0 <= float(figures[key]) <= 1.0
    assert 0.5 <= float(figures["auc_other_truth"]) <= 1.0
    assert figures["auc_real"] == "nan"  # no real case with finds and cancellations at hand
