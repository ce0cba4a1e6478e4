"""The forecast benchmark runs in its smoke mode and prints its figures."""

from __future__ import annotations

from tests.bench_support import bench_figures


def test_forecast_bench_smoke() -> None:
    figures, out = bench_figures("forecast_bench.py", "--smoke")
    for key in ("forecast_seconds", "national_forecast_seconds", "peak_mb", "dask_seconds", "scaling"):
        assert float(figures[key]) > 0, out
