"""Coherence of the plan and the forecast on the same register.

The demo's register (300 sample areas, the settings' seed: modelled, planned, forecast along
the plan's dispatch order) and a 10,000-area sample: the plan's cumulative released km²
against the forecast's P10–P90 band at every month of the first five years, and against its
P50 at one and two years. Prints ``name=value`` lines:

    coherence_months_outside_band=   months (of 60) where the plan is outside P10–P90
    plan_vs_p50_pct_1y=, plan_vs_p50_pct_2y=   signed %: + means the plan is ahead of the P50

    python benchmarks/coherence_bench.py            # the demo and 10,000 areas
    python benchmarks/coherence_bench.py --smoke    # a small register, for CI
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from landrelease.planning.coherence import Coherence
from landrelease.samples import generate
from landrelease.services.activity import record_sample_activities
from landrelease.services.assess import assess
from landrelease.services.coherence import plan_and_forecast
from landrelease.services.importing import store_scenario
from landrelease.storage.repository import Register

START = date(2026, 1, 1)
SEED = 20201110


def measure(n_areas: int, *, runs: int, time_limit_s: float, seed: int = SEED) -> tuple[Coherence, float]:
    with tempfile.TemporaryDirectory() as tmp:
        register = Register.open(f"sqlite:///{tmp}/coherence.sqlite")
        try:
            store_scenario(register, generate(n_areas, seed=seed))
            record_sample_activities(register, seed=seed, today=START)
            assess(register, actor="bench")
            t0 = time.perf_counter()
            c = plan_and_forecast(register, start=START, runs=runs, seed=seed, time_limit_s=time_limit_s)
            return c, time.perf_counter() - t0
        finally:
            register.close()


def report(prefix: str, c: Coherence, seconds: float) -> None:
    print(f"{prefix}coherence_months_outside_band={c.months_outside_band}")
    for y in (1, 2):
        v = c.plan_vs_p50_pct.get(y)
        print(f"{prefix}plan_vs_p50_pct_{y}y={'nan' if v is None else f'{v:+.1f}'}")
    for y in (1, 2, 5):
        m = y * 12 - 1
        if m < c.months:
            print(
                f"{prefix}km2_{y}y=plan {c.plan_km2[m]:.2f} | P10 {c.p10_km2[m]:.2f} "
                f"P50 {c.p50_km2[m]:.2f} P90 {c.p90_km2[m]:.2f}"
            )
    outside = [m + 1 for m in range(c.months) if not (c.p10_km2[m] <= c.plan_km2[m] <= c.p90_km2[m])]
    print(f"{prefix}months_outside={','.join(map(str, outside)) or 'none'}")
    print(f"{prefix}seconds={seconds:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="a small register only")
    ap.add_argument("--areas", type=int, default=10_000, help="areas of the large sample")
    args = ap.parse_args()
    if args.smoke:
        c, s = measure(60, runs=100, time_limit_s=1.0)
        report("", c, s)
        return
    c, s = measure(300, runs=1000, time_limit_s=10.0)
    report("", c, s)
    c, s = measure(args.areas, runs=200, time_limit_s=60.0)
    report(f"sample{args.areas}_", c, s)


if __name__ == "__main__":
    main()
