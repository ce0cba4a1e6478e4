"""Register-operations benchmark: `landrelease check`, `summary` and `record-activity` at scale.

Generates the sample region (``landrelease.samples.generate``, N hazard areas, default
50,000) into a fresh SQLite register, then times

* the data-quality checks over the stored register (load + every geocheck check + the
  STRtree overlap search between all hazard areas), and the pure checks alone;
* ``release_summary`` (km² by method, operator, region, month);
* recording partial releases (each splits an area: checks, cut, measure, child record,
  evidence moved, audit event), median per activity.

Prints ``name=value`` lines. ``--smoke`` runs 400 areas in a few seconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import select

from landrelease.domain import quality
from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.enums import ActivityKind, ReleaseMethod
from landrelease.samples import generate
from landrelease.samples.activities import western_half
from landrelease.services.importing import store_scenario
from landrelease.storage import schema
from landrelease.storage.repository import Register


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--areas", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="400 areas, 10 activities")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n, k = (400, 10) if args.smoke else (args.areas, args.activities)

    with tempfile.TemporaryDirectory() as tmp:
        register = Register.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        t0 = time.perf_counter()
        scenario = generate(n, seed=args.seed)
        store_scenario(register, scenario)
        print(f"areas={n}")
        print(f"evidence={len(scenario.evidence)}")
        print(f"setup_seconds={time.perf_counter() - t0:.1f}")

        t0 = time.perf_counter()
        problems = register.quality_problems()
        print(f"check_seconds={time.perf_counter() - t0:.2f}")
        print(f"problems={len(problems)}")
        print(f"overlapping_pairs={sum(p.check == 'overlapping_areas' for p in problems)}")

        with register.reading() as conn:
            rows = conn.execute(select(schema.hazard_area.c.code, schema.hazard_area.c.geometry)).all()
        codes, geoms = [r.code for r in rows], np.array([r.geometry for r in rows], dtype=object)
        t0 = time.perf_counter()
        quality.check_polygons(codes, geoms)
        print(f"check_pure_seconds={time.perf_counter() - t0:.2f}")
        t0 = time.perf_counter()
        quality.overlapping_areas(codes, geoms)
        print(f"overlaps_seconds={time.perf_counter() - t0:.2f}")

        # Partial releases on the largest open areas, one unit of work each (as the CLI does).
        largest = sorted(scenario.hazard_areas, key=lambda a: -a.geometry.area)[:k]
        times = []
        for a in largest:
            act = Activity(
                a.code,
                ActivityKind.TS,
                date(2026, 5, 1),
                released=[ReleasedPart(ReleaseMethod.REDUCED, western_half(a.geometry))],
            )
            t0 = time.perf_counter()
            with register.unit_of_work(actor="bench") as uow:
                uow.record_activity(act, today=date(2026, 6, 1))
            times.append(time.perf_counter() - t0)
        print(f"record_activity_ms_median={1000 * statistics.median(times):.1f}")
        print(f"record_activity_ms_max={1000 * max(times):.1f}")

        t0 = time.perf_counter()
        s = register.release_summary()
        print(f"summary_ms={1000 * (time.perf_counter() - t0):.1f}")
        print(f"released_km2={s.released_km2:.4f}")
        print(f"open_km2={s.open_km2:.4f}")
        register.close()


if __name__ == "__main__":
    main()
