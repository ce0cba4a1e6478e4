"""Benchmark of the Monte-Carlo forecast.

1. 10,000 hazard areas × 1,000 runs, 10-year horizon, in-process (threads): wall seconds
   (median of the repeats), ``forecast_seconds=`` (target ≤ 1 s).
2. National scale: 100,000 areas × 1,000 runs × 10 years in-process (threads):
   ``national_forecast_seconds=`` (target ≤ 15 s) and ``peak_mb=``, the peak memory of the
   process (target ≤ 6 GB). CPU seconds are printed too: on a shared machine the wall time
   depends on what else runs.
3. 200,000 areas × 1,000 runs on a LocalCluster of 2 worker processes: wall seconds, the
   workers' peak memory, and the scaling 10,000 → 200,000 measured on the same cluster
   (linear would be 20).

Prints ``name=value`` lines. ``--smoke`` runs a tiny version in a few seconds.
The areas are built from arrays (a Karabakh-like mix), not polygons.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import date

import numpy as np

from landrelease.domain.enums import AssetType
from landrelease.planning.execution import dask, dask_workers
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast, threaded


def programme(n: int, seed: int = 1) -> tuple[Portfolio, Capacity]:
    """``n`` areas of a Karabakh-like mix (median 0.1 km²) and a fleet scaled with ``n``."""
    rng = np.random.default_rng(seed)
    area = rng.lognormal(np.log(1e5), 1.1, n)
    cha = rng.random(n) < 0.15
    dense = rng.random(n) < 0.03
    pf = Portfolio.from_arrays(
        area,
        sha=~cha,
        p_any=np.where(cha, 0.7, 0.04),
        dispatch_rank=rng.integers(0, 6, n),
        dense_site=dense,
        machine_accessible=rng.random(n) < 0.5,
        slope_deg=rng.gamma(2.0, 3.0, n),
        clutter=rng.choice(3, n, p=[0.5, 0.3, 0.2]),
        vegetation=rng.choice(3, n, p=[0.5, 0.3, 0.2]),
        density=np.where(dense, 2, np.where(cha, 1, 0)),
        region=[f"district {i % 12}" for i in range(n)],
    )
    scale = n / 10_000
    cap = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 1500 * scale, rate=50.0),
            AssetType.MDD: AssetCapacity.from_rate(AssetType.MDD, 100 * scale, rate=750.0),
            AssetType.MECHANICAL: AssetCapacity.from_rate(AssetType.MECHANICAL, 30 * scale),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 20 * scale),
        }
    )
    return pf, cap


def timed(fn, repeats: int) -> tuple[float, object, float]:
    """Median wall seconds, the last result, and the median CPU seconds of this process."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), out, statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    ap.add_argument("--no-dask", action="store_true", help="skip the LocalCluster part")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--national-areas", type=int, default=100_000)
    args = ap.parse_args()
    n_small, n_big, runs = (500, 5_000, 50) if args.smoke else (10_000, 200_000, 1_000)
    n_national = 2_000 if args.smoke else args.national_areas
    repeats = 1 if args.smoke else args.repeats
    kw = {"runs": runs, "seed": 42, "horizon_years": 10, "start": date(2027, 1, 1)}

    pf, cap = programme(n_small)
    forecast(pf, cap, **{**kw, "runs": min(runs, 20)})  # warm up imports and caches
    seconds, result, cpu = timed(lambda: forecast(pf, cap, mapper=threaded(), **kw), repeats)
    print(f"areas={n_small}")
    print(f"runs={runs}")
    print(f"forecast_seconds={seconds:.3f}")
    print(f"forecast_cpu_seconds={cpu:.3f}")  # both threads together; wall ≈ cpu / 2 on an idle 2-core machine
    print(f"released_km2_year2_p50={result.released_at_years(2)[1]:.1f}")  # type: ignore[attr-defined]
    del result
    nat_pf, nat_cap = programme(n_national)
    nat_s, nat, nat_cpu = timed(lambda: forecast(nat_pf, nat_cap, mapper=threaded(), **kw), 1)
    print(f"national_areas={n_national}")
    print(f"national_forecast_seconds={nat_s:.3f}")
    print(f"national_forecast_cpu_seconds={nat_cpu:.3f}")
    print(f"national_released_km2_year2_p50={nat.released_at_years(2)[1]:.1f}")  # type: ignore[attr-defined]
    del nat
    print(f"peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    if args.no_dask:
        return

    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        mapper, groups = dask(client), 2 * dask_workers(client)
        forecast(pf, cap, mapper=mapper, groups=groups, **{**kw, "runs": 20})  # warm up the workers
        small_s, _, _ = timed(lambda: forecast(pf, cap, mapper=mapper, groups=groups, **kw), repeats)
        big_pf, big_cap = programme(n_big)
        big_s, _, _ = timed(lambda: forecast(big_pf, big_cap, mapper=mapper, groups=groups, **kw), 1)
        worker_mb = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"dask_areas={n_big}")
    print(f"dask_seconds={big_s:.3f}")
    print(f"dask_small_seconds={small_s:.3f}")
    print(f"dask_worker_peak_mb={max(worker_mb.values()):.0f}")
    print(f"client_peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(f"scaling={big_s / small_s:.1f}")
    print(f"scaling_linear={n_big / n_small:.0f}")


if __name__ == "__main__":
    main()
