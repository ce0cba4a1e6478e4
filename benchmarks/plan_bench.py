"""Planner benchmark: heuristic vs CP-SAT, vs two spreadsheet baselines, and national scale.

- small instances (6–12 tasks): the heuristic against CP-SAT, which is NOT given the
  heuristic's plan as a starting point (``--hint`` gives it, as the planner's own exact mode
  does): ``gap_mean_pct``, ``gap_max_pct`` …;
- medium instances (100–300 tasks, 10–30 teams): the heuristic against CP-SAT given
  ``--medium-limit`` seconds (120 by default), unseeded: ``gap_medium_vs_cpsat_pct`` (the
  heuristic minus CP-SAT's best, in % of CP-SAT's; negative when the heuristic wins) and how
  far each is from CP-SAT's lower bound (``*_vs_bound_pct``);
- the sample region: against the priority-only greedy (``vs_greedy_pct``, a weak baseline) and
  the strong dispatcher a planner with a spreadsheet would use — priority ÷ duration, each
  task to the eligible team that finishes it first, travel included (``vs_wspt_pct``;
  positive when the heuristic is ahead);
- national scale (50,000 tasks × 2,000 teams): time and memory.

Every solution is checked with the exchange format's rules.

    python benchmarks/plan_bench.py            # full (the medium part alone takes ~5 × 2 min)
    python benchmarks/plan_bench.py --parts medium --medium 3
    python benchmarks/plan_bench.py --smoke    # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from landrelease.planning.exact import solve_exact
from landrelease.planning.instance import PlanInstance, Solution, check_solution
from landrelease.planning.priority import prioritise
from landrelease.planning.scheduler import solve, solve_greedy, solve_wspt
from landrelease.planning.settlement_links import link_settlements
from landrelease.planning.workplan import PlanningParameters, build_work, plan_teams
from landrelease.samples import generate
from landrelease.samples.plan_instances import national_instance, random_instance


def checked(instance: PlanInstance, solution: Solution, what: str) -> Solution:
    problems = check_solution(instance, solution)
    if problems:
        raise SystemExit(f"{what}: infeasible solution: {problems[0]}")
    return solution


def small_suite(n: int, seed: int, cpsat_limit: float, max_tasks: int, hint: bool = False) -> None:
    rng = np.random.default_rng(seed)
    gaps, bound_gaps, unproven, cp_time, h_time = [], [], 0, 0.0, 0.0
    for i in range(n):
        inst = random_instance(int(rng.integers(1 << 30)), int(rng.integers(6, max_tasks + 1)), int(rng.integers(2, 5)))
        t0 = time.perf_counter()
        h = checked(inst, solve(inst, seed=i, time_limit_s=5.0), "heuristic")
        h_time += time.perf_counter() - t0
        t0 = time.perf_counter()
        x = checked(inst, solve_exact(inst, time_limit_s=cpsat_limit, num_workers=2, hint=hint), "CP-SAT")
        cp_time += time.perf_counter() - t0
        best = min(x.objective, h.objective)
        gaps.append(100.0 * (h.objective / best - 1.0))
        if not x.optimal:
            unproven += 1
            # the gap against the bound is an upper limit on the true gap
            bound = cpsat_bound(x)
            if bound > 0:
                bound_gaps.append(100.0 * (h.objective / bound - 1.0))
    g = np.array(gaps)
    print(f"instances={n}")
    print(f"gap_mean_pct={g.mean():.3f}")
    print(f"gap_max_pct={g.max():.3f}")
    print(f"gap_p50_pct={np.percentile(g, 50):.3f}")
    print(f"gap_p90_pct={np.percentile(g, 90):.3f}")
    hist = {
        "=0": int((g < 1e-6).sum()),
        "(0,1]": int(((g >= 1e-6) & (g <= 1)).sum()),
        "(1,3]": int(((g > 1) & (g <= 3)).sum()),
        "(3,10]": int(((g > 3) & (g <= 10)).sum()),
        ">10": int((g > 10).sum()),
    }
    print("gap_distribution=" + ",".join(f"{k}:{v}" for k, v in hist.items()))
    print(f"cpsat_unproven={unproven}")
    print(f"cpsat_hinted={hint}")
    if bound_gaps:
        print(f"gap_vs_bound_max_pct_unproven={max(bound_gaps):.3f}")
    print(f"cpsat_seconds_total={cp_time:.1f}")
    print(f"heuristic_seconds_total={h_time:.1f}")


def cpsat_bound(x: Solution) -> float:
    """CP-SAT's lower bound on the objective: its objective when proven optimal, else the bound
    it reports in the note (0 when it reports none)."""
    if x.optimal:
        return float(x.objective)
    return float(x.note.rsplit("≈", 1)[1].strip(" )")) if "≈" in x.note else 0.0


def medium_suite(
    n: int,
    seed: int,
    cpsat_limit: float,
    heuristic_limit: float,
    tasks: tuple[int, int] = (100, 300),
    teams: tuple[int, int] = (10, 30),
) -> None:
    """Medium instances (100–300 tasks, 10–30 teams): heuristic vs CP-SAT, CP-SAT not seeded."""
    rng = np.random.default_rng(seed)
    gaps, h_bound, x_bound, proven, unsolved = [], [], [], 0, 0
    h_bound_unsolved: list[float] = []
    for i in range(n):
        n_tasks, n_teams = int(rng.integers(tasks[0], tasks[1] + 1)), int(rng.integers(teams[0], teams[1] + 1))
        # about two predecessors per task and a region a day's drive across, so travel matters
        inst = random_instance(
            int(rng.integers(1 << 30)), n_tasks, n_teams, span_deg=1.5, precedence_prob=min(0.15, 4.0 / n_tasks)
        )
        t0 = time.perf_counter()
        h = checked(inst, solve(inst, seed=i, time_limit_s=heuristic_limit), "heuristic (medium)")
        h_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        x = solve_exact(inst, time_limit_s=cpsat_limit, num_workers=2, hint=False)
        x_s = time.perf_counter() - t0
        if not x.assignments and math.isinf(x.objective):
            unsolved += 1
            bound = cpsat_bound(x)
            if bound > 0:
                h_bound_unsolved.append(100.0 * (h.objective / bound - 1.0))
            print(f"# medium {i}: {n_tasks} tasks × {n_teams} teams: heuristic {h.objective:.1f}; {x.note}", flush=True)
            continue
        checked(inst, x, "CP-SAT (medium)")
        proven += x.optimal
        gap = 100.0 * (h.objective - x.objective) / x.objective
        gaps.append(gap)
        bound = cpsat_bound(x)
        if bound > 0:
            h_bound.append(100.0 * (h.objective / bound - 1.0))
            x_bound.append(100.0 * (x.objective / bound - 1.0))
        print(
            f"# medium {i}: {n_tasks} tasks × {n_teams} teams: heuristic {h.objective:.1f} ({h_s:.1f} s), "
            f"CP-SAT {x.objective:.1f} ({x_s:.0f} s, {'optimal' if x.optimal else 'not proven'}), "
            f"bound {bound:.1f}, gap {gap:+.2f} %",
            flush=True,
        )
    print(f"medium_instances={len(gaps)}")
    print(f"medium_cpsat_seconds={cpsat_limit:g}")
    print(f"medium_cpsat_proven={proven}")
    print(f"medium_cpsat_no_solution={unsolved}")
    if h_bound_unsolved:
        # where CP-SAT found no plan, its lower bound still measures the heuristic
        print(f"heuristic_medium_vs_bound_pct_where_cpsat_failed={float(np.mean(h_bound_unsolved)):.2f}")
    if gaps:
        print(f"gap_medium_vs_cpsat_pct={float(np.mean(gaps)):.2f}")
        print(f"gap_medium_vs_cpsat_max_pct={max(gaps):.2f}")
    else:
        print("# gap_medium_vs_cpsat_pct: CP-SAT found no solution on any medium instance")
    if h_bound:
        print(f"heuristic_medium_vs_bound_pct={float(np.mean(h_bound)):.2f}")
        print(f"cpsat_medium_vs_bound_pct={float(np.mean(x_bound)):.2f}")


def sample_vs_greedy(n_areas: int, seed: int, time_limit: float) -> None:
    sc = generate(n_areas, seed=seed)
    params = PlanningParameters(time_limit_s=time_limit)
    links = link_settlements(sc.hazard_areas, sc.settlements)
    prios = prioritise(sc.hazard_areas, sc.evidence, sc.settlements, links=links)
    work = build_work(sc.hazard_areas, plan_teams(sc.teams), prios, links, params, start_date=date(2027, 1, 1))
    inst = work.instance
    h = checked(inst, solve(inst, time_limit_s=time_limit), "heuristic (sample)")
    g = checked(inst, solve_greedy(inst), "greedy (sample)")
    w = checked(inst, solve_wspt(inst), "WSPT (sample)")
    print(f"sample_tasks={len(inst.tasks)}")
    print(f"heuristic_objective={h.objective:.1f}")
    print(f"greedy_objective={g.objective:.1f}")
    print(f"wspt_objective={w.objective:.1f}")
    print(f"vs_greedy_pct={100.0 * (1.0 - h.objective / g.objective):.2f}")
    print(f"vs_wspt_pct={100.0 * (1.0 - h.objective / w.objective):.2f}")


def national(n_tasks: int, n_teams: int, seed: int, time_limit: float) -> None:
    inst = national_instance(seed, n_tasks, n_teams)
    t0 = time.perf_counter()
    sol = solve(inst, time_limit_s=time_limit)
    seconds = time.perf_counter() - t0
    checked(inst, sol, "heuristic (national)")
    g = solve_greedy(inst)
    w = checked(inst, solve_wspt(inst), "WSPT (national)")
    print(f"national_tasks={n_tasks}")
    print(f"national_teams={n_teams}")
    print(f"national_seconds={seconds:.2f}")
    print(f"national_unscheduled={len(sol.unscheduled)}")
    print(f"national_vs_greedy_pct={100.0 * (1.0 - sol.objective / g.objective):.2f}")
    print(f"national_vs_wspt_pct={100.0 * (1.0 - sol.objective / w.objective):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="a few seconds: tiny suite, small national run")
    ap.add_argument("--instances", type=int, default=50)
    ap.add_argument("--cpsat-limit", type=float, default=20.0, help="CP-SAT seconds per small instance")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--hint", action="store_true", help="give CP-SAT the heuristic's plan as a starting point")
    ap.add_argument("--medium", type=int, default=5, help="number of medium instances")
    ap.add_argument("--medium-limit", type=float, default=120.0, help="CP-SAT seconds per medium instance")
    ap.add_argument("--medium-heuristic-limit", type=float, default=20.0, help="heuristic seconds per medium instance")
    ap.add_argument("--parts", default="small,medium,sample,national", help="comma-separated parts to run")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if args.smoke:
        small_suite(3, args.seed, 3.0, max_tasks=7, hint=args.hint)
        medium_suite(1, args.seed, 3.0, 1.0, tasks=(12, 16), teams=(3, 4))  # the code path, not the figure
        sample_vs_greedy(40, 20201110, 2.0)
        national(3000, 120, args.seed, 3.0)
    else:
        if "small" in parts:
            small_suite(args.instances, args.seed, args.cpsat_limit, max_tasks=12, hint=args.hint)
        if "medium" in parts:
            medium_suite(args.medium, args.seed, args.medium_limit, args.medium_heuristic_limit)
        if "sample" in parts:
            sample_vs_greedy(300, 20201110, 20.0)
        if "national" in parts:
            national(50_000, 2_000, args.seed, 18.0)
    print(f"peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print("machine=2 cores shared with other sessions; timings are noisy")


if __name__ == "__main__":
    main()
