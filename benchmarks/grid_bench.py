"""Benchmark: the contamination grid (25 m cells) over ~1,000 km² of hazard areas.

Prints ``name=value`` lines: areas, hazard_km2, cells, grid_seconds (median wall-clock of
--repeat runs), cells_per_second, grid_cpu_seconds (median CPU time of this process, less
sensitive to a shared machine), peak_mb (peak resident memory of the process), and auc (how
well p_any ranks the scenario's truly mined areas above the clean ones).

    python benchmarks/grid_bench.py            # ~1,000 km²
    python benchmarks/grid_bench.py --smoke    # a few km², seconds
    python benchmarks/grid_bench.py --scheduler tcp://HOST:PORT   # partitioned on Dask
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from landrelease.domain.geometry import areas_m2
from landrelease.model.contamination import assess
from landrelease.model.contamination_dask import assess_partitioned
from landrelease.samples import generate

KM2_PER_AREA = 0.115  # the sample generator's mean hazard-area size, measured


def auc(score: np.ndarray, label: np.ndarray) -> float:
    pos, neg = np.sort(score[label]), np.sort(score[~label])
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(pos) * len(neg)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="a few km² only")
    ap.add_argument("--km2", type=float, default=1000.0, help="hazard area to grid (km²)")
    ap.add_argument("--cell", type=float, default=25.0, help="cell size (m)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20201110)
    ap.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler")
    ap.add_argument("--batch", type=int, default=1000, help="areas per Dask batch")
    args = ap.parse_args(argv)
    km2 = 6.0 if args.smoke else args.km2
    repeat = 1 if args.smoke else max(1, args.repeat)

    scenario = generate(max(1, round(km2 / KM2_PER_AREA)), seed=args.seed)
    areas, evidence = scenario.hazard_areas, scenario.evidence
    total_km2 = float(areas_m2([a.geometry for a in areas]).sum() / 1e6)

    timings = []
    cpu = []
    results = []
    for _ in range(repeat):
        results = []  # let the previous run's grids go before the next one
        c0 = time.process_time()
        t0 = time.perf_counter()
        if args.scheduler:
            results = assess_partitioned(
                areas, evidence, scheduler=args.scheduler, batch_size=args.batch, cell_m=args.cell
            )
        else:
            results = assess(areas, evidence, cell_m=args.cell)
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    seconds = statistics.median(timings)
    cells = sum(r.n_cells for r in results)
    mined = np.array([bool(a.extra["synthetic"]["mined"]) for a in areas])  # type: ignore[index]
    p_any = np.array([r.p_any for r in results])
    print(f"areas={len(areas)}")
    print(f"hazard_km2={total_km2:.1f}")
    print(f"cell_m={args.cell:g}")
    print(f"cells={cells}")
    print(f"grid_seconds={seconds:.3f}")
    print(f"grid_seconds_all={','.join(f'{t:.3f}' for t in timings)}")
    print(f"cells_per_second={cells / seconds:.0f}")
    print(f"grid_cpu_seconds={statistics.median(cpu):.3f}")  # this process's CPU time: less noisy on a shared box
    print(f"peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(f"auc={auc(p_any, mined):.3f}")
    print(f"expected_contaminated_areas={p_any.sum():.1f}")
    print(f"true_contaminated_areas={int(mined.sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
