"""Returns benchmark: joint readiness at national scale and housing allocation.

Joint readiness: 5,000 settlements (footprints, access roads as lines, a farmland ring each)
against 50,000 open hazard areas and 1,000 forecast runs — blocking areas by STRtree in a
metric CRS, then per settlement the latest release per run and P10/P50/P90 over runs, and
the critical areas. Housing: 100,000 households allocated to 80,000 houses in the stated
order. Prints readiness_seconds, housing_seconds, peak_mb (and the sizes); --smoke runs a
small case for the tests.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date, timedelta

import numpy as np
import shapely

from landrelease.domain.enums import LandUse
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.returns.housing import House, Household, allocate
from landrelease.returns.readiness import WAITING, RunMonths, settlement_readiness

USES = [LandUse.FARMLAND, LandUse.FOREST, LandUse.ROAD, LandUse.SETTLEMENT, LandUse.OTHER]


def region(n_settlements: int, n_areas: int, seed: int) -> tuple[list[Settlement], list[HazardArea]]:
    """Settlements and hazard areas spread over a region of about 3° × 2.5° (lon/lat)."""
    rng = np.random.default_rng(seed)
    lon0, lat0, w, h = 46.0, 39.0, 3.0, 2.5
    sx = lon0 + rng.random(n_settlements) * w
    sy = lat0 + rng.random(n_settlements) * h
    foot = shapely.buffer(shapely.points(sx, sy), 0.003)
    # an access road from each settlement towards a random neighbour direction, 2-8 km long
    ang = rng.random(n_settlements) * 2 * np.pi
    length = 0.02 + rng.random(n_settlements) * 0.07
    ends = np.column_stack([sx + np.cos(ang) * length, sy + np.sin(ang) * length])
    roads = shapely.linestrings(np.stack([np.column_stack([sx, sy]), ends], axis=1))
    settlements = [
        Settlement(f"S-{i}", f"Settlement {i}", foot[i], population=500, displaced=400, access_routes=roads[i],
                   farmland_ring_m=float(500 + (i % 4) * 250))
        for i in range(n_settlements)
    ]  # fmt: skip
    ax = lon0 + rng.random(n_areas) * w
    ay = lat0 + rng.random(n_areas) * h
    half = 0.0005 + rng.random(n_areas) * 0.002
    boxes = shapely.box(ax - half, ay - half, ax + half, ay + half)
    uses = rng.integers(0, len(USES), n_areas)
    areas = [HazardArea(code=f"HA-{i}", geometry=boxes[i], land_use=USES[uses[i]]) for i in range(n_areas)]
    return settlements, areas


def households(n: int, n_settlements: int, seed: int) -> tuple[list[Household], list[House]]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, n)
    origin = rng.integers(0, n_settlements, n)
    reg = rng.integers(0, 720, n)
    needs = rng.random(n) < 0.1
    d0 = date(2027, 1, 1)
    hh = [
        Household(f"H{i}", int(sizes[i]), f"S-{origin[i]}", d0 + timedelta(days=int(reg[i])), bool(needs[i]))
        for i in range(n)
    ]
    n_houses = int(n * 0.8)
    cap = rng.integers(2, 9, n_houses)
    at = rng.integers(0, n_settlements, n_houses)
    houses = [House(f"X{i}", f"S-{at[i]}", f"T{cap[i]}", max(1, int(cap[i]) - 1), int(cap[i])) for i in range(n_houses)]
    return hh, houses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--settlements", type=int, default=5000)
    ap.add_argument("--areas", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--households", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--smoke", action="store_true", help="a small case (tests)")
    a = ap.parse_args()
    if a.smoke:
        a.settlements, a.areas, a.runs, a.households = 200, 2000, 100, 2000
    settlements, areas = region(a.settlements, a.areas, a.seed)
    rng = np.random.default_rng(a.seed + 1)
    horizon = 120
    months = rng.integers(0, horizon + 1, size=(a.areas, a.runs), dtype=np.uint16)
    d0 = date(2027, 1, 1)
    ends = [d0 + timedelta(days=round((m + 1) * 365.25 / 12)) for m in range(horizon)]
    runs = RunMonths(months, np.ones(a.areas, dtype=bool), horizon, ends)
    t0 = time.perf_counter()
    result = settlement_readiness(settlements, areas, runs)
    readiness_s = time.perf_counter() - t0
    waiting = sum(r.status == WAITING for r in result)
    pairs = sum(len(r.blocking) for r in result)
    hh, houses = households(a.households, a.settlements, a.seed + 2)
    t0 = time.perf_counter()
    alloc = allocate(hh, houses)
    housing_s = time.perf_counter() - t0
    housed = sum(x.house is not None for x in alloc)
    print(f"settlements={a.settlements}")
    print(f"areas={a.areas}")
    print(f"runs={a.runs}")
    print(f"blocking_pairs={pairs}")
    print(f"settlements_waiting={waiting}")
    print(f"readiness_seconds={readiness_s:.2f}")
    print(f"households={a.households}")
    print(f"households_housed={housed}")
    print(f"housing_seconds={housing_s:.2f}")
    print(f"peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
