"""Running a benchmark script the way a user would, and reading its ``name=value`` lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_figures(script: str, *args: str, timeout: float = 300) -> tuple[dict[str, str], str]:
    """Run ``benchmarks/SCRIPT`` in a child process (it must exit 0) and return its figures
    with its whole output (for assertion messages)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line), out
