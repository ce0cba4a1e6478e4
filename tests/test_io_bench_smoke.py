"""The import benchmark runs end to end in its smoke mode and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_bench_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "import_bench.py"), "--smoke", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert int(figures["stored"]) == int(figures["polygons"]) == 2000
    assert float(figures["import_seconds"]) > 0 and float(figures["ogr2ogr_seconds"]) > 0
    assert "ratio=" + figures["ratio"] in done.stdout.splitlines()
    assert int(figures["peak_mb"]) > 0
    assert figures["runs"] == "1"  # smoke: one run each side (the full run takes the median of three)
