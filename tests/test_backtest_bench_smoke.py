"""The backtest benchmark runs in its smoke mode and prints its figures."""

from __future__ import annotations

from tests.bench_support import bench_figures


def test_backtest_bench_smoke() -> None:
    figures, _ = bench_figures("backtest_bench.py", "--smoke")
    assert 1.0 <= float(figures["sharpness_after_1y"]) <= float(figures["sharpness_prior"])
    for key in ("coverage", "coverage_prior"):
        assert 0.0 <= float(figures[key]) <= 1.0
    assert 0.5 <= float(figures["auc_other_truth"]) <= 1.0
    assert figures["auc_real"] == "nan"  # no real case with finds and cancellations at hand
