"""The API benchmark's smoke mode runs end to end and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_bench_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "api_bench.py"), "--smoke", "--no-browser", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    figures = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line and not line.startswith("#"))
    assert float(figures["landrelease_rps"]) > 0 and float(figures["landrelease_errors"]) == 0
    # caches off, requests that never repeat
    assert float(figures["landrelease_nocache_rps"]) > 0 and float(figures["landrelease_nocache_errors"]) == 0
    assert float(figures["p99_ms"]) > 0 and float(figures["tile_p50_ms"]) > 0
    assert figures["areas"] == "2000"
