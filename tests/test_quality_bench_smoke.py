"""The register-operations benchmark runs (smoke mode) and prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quality_bench_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "quality_bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    figures = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    assert figures["areas"] == "400"
    for key in ("check_seconds", "overlaps_seconds", "record_activity_ms_median", "summary_ms"):
        assert float(figures[key]) >= 0
    assert float(figures["released_km2"]) > 0
