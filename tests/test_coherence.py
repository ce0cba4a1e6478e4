"""The plan and the forecast are one account: on the demo's register, the plan's cumulative
released km² lies inside the forecast's P10–P90 band at every month of the first five years,
and within ±10 % of its P50 at one and two years (SQLite and PostGIS)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np

from landrelease.planning.coherence import compare, plan_cumulative_km2
from landrelease.samples import generate
from landrelease.services.activity import record_sample_activities
from landrelease.services.assess import assess
from landrelease.services.coherence import plan_and_forecast
from landrelease.services.importing import store_scenario
from landrelease.settings import Settings
from landrelease.storage.repository import Register

START = date(2026, 1, 1)


def test_the_plan_lies_in_the_forecasts_band_on_the_demo(register: Register) -> None:
    seed = Settings().seed
    store_scenario(register, generate(300, seed=seed))
    record_sample_activities(register, seed=seed, today=START)
    assess(register, actor="test")
    c = plan_and_forecast(register, start=START, runs=300, seed=seed, time_limit_s=3.0)
    assert c.months == 60
    assert c.months_outside_band == 0, (c.plan_km2 - c.p50_km2).round(2).tolist()
    assert abs(c.plan_vs_p50_pct[1]) <= 10.0, c.plan_vs_p50_pct
    assert abs(c.plan_vs_p50_pct[2]) <= 10.0, c.plan_vs_p50_pct
    assert c.plan_km2[59] > 0.5 * c.plan_km2[-1] > 0


def test_the_comparison_sees_a_plan_outside_the_band() -> None:
    """The measure can fail: a plan twice as fast as every run is outside the band."""
    rng = np.random.default_rng(0)
    runs = np.cumsum(rng.uniform(0.5, 1.5, (200, 60)), axis=1)
    median = np.median(runs, axis=0)
    assert compare(median, runs).months_outside_band == 0
    c = compare(2 * median, runs)
    assert c.months_outside_band == 60 and c.plan_vs_p50_pct[1] > 90
    end_days = np.array([5.0, 400.0, 5000.0])
    assert plan_cumulative_km2(end_days, np.array([1e6, 1e6, 1e6]), 24)[[0, 12, 23]].tolist() == [1.0, 1.0, 2.0]


def test_coherence_bench_smoke() -> None:
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "coherence_bench.py"
    out = subprocess.run([sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    assert int(values["coherence_months_outside_band"]) >= 0
    float(values["plan_vs_p50_pct_1y"])
    float(values["plan_vs_p50_pct_2y"])


def test_the_survey_teams_travel_delays_the_forecasts_cancellations() -> None:
    """The plan's survey teams travel between short NTS tasks; the forecast charges that time
    (without it, the forecast cancelled land months ahead of the plan on 10,000 areas)."""
    from landrelease.domain.enums import AssetType
    from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast

    n = 200
    pf = Portfolio.from_arrays(np.full(n, 1e5), p_any=np.full(n, 0.0))
    cap = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 500),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 1, rate=400_000.0),
        }
    )
    kw = {"runs": 50, "seed": 1, "horizon_years": 5, "start": START}
    fast = forecast(pf, cap, **kw)
    slow = forecast(pf, cap, survey_travel={f"A{i}": 2.0 for i in range(n)}, **kw)
    cancelled_fast = np.median(fast.monthly_by_method[:, :6, 0].sum(axis=1))
    cancelled_slow = np.median(slow.monthly_by_method[:, :6, 0].sum(axis=1))
    assert cancelled_slow < 0.8 * cancelled_fast
