"""Random planning instances (exchange format) for tests and benchmarks; the seed fixes them."""

from __future__ import annotations

import numpy as np

from landrelease.planning.instance import TEAM_TYPES, PlanInstance, PlanTask, PlanTeam

# Whole-team rates (m²/day) in the spirit of the published figures.
RATES = {"manual": 400.0, "mdd": 750.0, "mechanical": 6000.0, "drone_survey": 100_000.0, "eod": 1500.0}
# What work a task can be, and which team types may do it (mixed eligibility).
PROFILES: list[tuple[str, tuple[str, ...], float]] = [
    ("nts", ("manual", "drone_survey", "eod"), 0.15),
    ("ts", ("manual", "mdd", "drone_survey"), 0.15),
    ("clearance", ("manual", "mdd", "mechanical"), 0.30),
    ("clearance_no_machine", ("manual", "mdd"), 0.2),
    ("dense_site", ("manual",), 0.15),
    ("eod_spot", ("eod", "manual"), 0.05),
]


def random_instance(
    seed: int,
    n_tasks: int = 12,
    n_teams: int = 4,
    *,
    span_deg: float = 0.5,
    horizon_days: float = 3650.0,
    mobilisation_days_per_km: float = 0.02,
    precedence_prob: float = 0.15,
    release_prob: float = 0.15,
    area_scale: float = 1.0,
) -> PlanInstance:
    """A small random instance with mixed eligibility, some order constraints and release days.

    Order constraints only point from lower to higher task numbers, so there is never a cycle.
    Every instance has at least one manual team, so every task has someone who may do it.
    """
    rng = np.random.default_rng(seed)
    lon0, lat0 = 46.9, 39.9
    types = ["manual"] + [str(t) for t in rng.choice(TEAM_TYPES, size=max(0, n_teams - 1))]
    teams = tuple(
        PlanTeam(
            f"K{k + 1}",
            ty,
            float(RATES[ty] * rng.uniform(0.7, 1.3)),
            (float(lon0 + rng.uniform(0, span_deg)), float(lat0 + rng.uniform(0, span_deg))),
        )
        for k, ty in enumerate(types)
    )
    weights = np.array([p[2] for p in PROFILES])
    tasks = []
    for j in range(n_tasks):
        _, elig, _ = PROFILES[int(rng.choice(len(PROFILES), p=weights / weights.sum()))]
        after = tuple(f"T{i + 1}" for i in range(j) if rng.random() < precedence_prob)
        tasks.append(
            PlanTask(
                id=f"T{j + 1}",
                area_m2=float(np.round(rng.lognormal(np.log(8000), 0.9) * area_scale, 1)),
                priority=float(np.round(rng.uniform(0.5, 10.0), 2)),
                location=(float(lon0 + rng.uniform(0, span_deg)), float(lat0 + rng.uniform(0, span_deg))),
                eligible_types=elig,
                after=after,
                release_day=float(np.round(rng.uniform(0, 20), 1)) if rng.random() < release_prob else 0.0,
            )
        )
    return PlanInstance(horizon_days, mobilisation_days_per_km, teams, tuple(tasks))


def national_instance(
    seed: int, n_tasks: int = 50_000, n_teams: int = 2_000, *, horizon_days: float = 3650.0
) -> PlanInstance:
    """A country-sized instance: areas in NTS → TS → clearance chains over ~4° × 3°, a mixed fleet."""
    rng = np.random.default_rng(seed)
    lon0, lat0 = 45.0, 38.5
    team_types = rng.choice(
        ["manual", "mdd", "mechanical", "drone_survey", "eod"], size=n_teams, p=[0.55, 0.2, 0.1, 0.05, 0.1]
    )
    teams = tuple(
        PlanTeam(
            f"K{k + 1:05d}",
            str(ty),
            float(RATES[str(ty)] * rng.uniform(0.7, 1.3)),
            (float(lon0 + rng.uniform(0, 4)), float(lat0 + rng.uniform(0, 3))),
        )
        for k, ty in enumerate(team_types)
    )
    tasks: list[PlanTask] = []
    n_areas = n_tasks // 3
    for a in range(n_areas):
        loc = (float(lon0 + rng.uniform(0, 4)), float(lat0 + rng.uniform(0, 3)))
        area = float(rng.lognormal(np.log(20_000), 1.0))
        prio = float(rng.uniform(0.5, 10.0))
        dense = rng.random() < 0.1
        accessible = rng.random() < 0.5
        nts = PlanTask(f"A{a}-nts", area * 0.1, prio * 0.2, loc, ("manual", "drone_survey", "eod"))
        ts = PlanTask(
            f"A{a}-ts",
            area * 0.3,
            prio * 0.3,
            loc,
            ("manual",) if dense else ("manual", "mdd", "drone_survey"),
            (nts.id,),
        )
        cl_types = ("manual",) if dense else (("manual", "mdd", "mechanical") if accessible else ("manual", "mdd"))
        cl = PlanTask(f"A{a}-clr", area * 0.4, prio, loc, cl_types, (ts.id,))
        tasks += [nts, ts, cl]
    while len(tasks) < n_tasks:
        j = len(tasks)
        tasks.append(
            PlanTask(
                f"X{j}",
                float(rng.lognormal(np.log(5000), 0.8)),
                float(rng.uniform(0.5, 10)),
                (float(lon0 + rng.uniform(0, 4)), float(lat0 + rng.uniform(0, 3))),
                ("eod", "manual"),
            )
        )
    return PlanInstance(horizon_days, 0.02, teams, tuple(tasks))
