"""The returns benchmark's smoke mode runs and prints the figures a script reads."""

from __future__ import annotations

from tests.bench_support import bench_figures


def test_returns_bench_smoke() -> None:
    figures, out = bench_figures("returns_bench.py", "--smoke")
    for key in ("readiness_seconds", "housing_seconds", "peak_mb", "blocking_pairs", "households_housed"):
        assert key in figures, out
    assert int(figures["settlements_waiting"]) > 0 and int(figures["households_housed"]) > 0
