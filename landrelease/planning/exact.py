"""The exact planning model (OR-Tools CP-SAT), for small instances and for measuring the heuristic.

One optional interval per (task, eligible team); one NoOverlap per team; the order of a team's
tasks, and the travel between them, by a circuit constraint per team (node 0 is the team's
base: an arc base→j means j is the team's first task, i→j that j follows i, and a self-loop
on j that the team does not do j). Times are integers in 1/``scale`` day; the solver's team
sequences are then re-timed exactly in days, so the reported objective is the true one.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from landrelease.planning.instance import PlanInstance, Solution
from landrelease.planning.scheduler import Compiled, compile_instance, plan_from_seqs, solve_compiled, to_solution


def solve_exact(
    instance: PlanInstance,
    *,
    time_limit_s: float = 10.0,
    num_workers: int = 2,
    scale: int = 100,
    hint: bool = True,
    seed: int = 0,
) -> Solution:
    """CP-SAT solution; ``solution.optimal`` is True only when the solver proved optimality.

    With ``hint`` the heuristic's plan is given as a starting solution (it speeds up the proof,
    and never changes what the optimum is).
    """
    c = compile_instance(instance)
    horizon = math.floor(c.horizon * scale)
    big = 2 * horizon
    wmax = float(c.weight.max()) if c.n and c.weight.max() > 0 else 1.0
    wint = [round(float(w) / wmax * 10_000) for w in c.weight]
    model = cp_model.CpModel()
    start, end, unsched = [], [], []
    present: dict[tuple[int, int], cp_model.IntVar] = {}
    dur: dict[tuple[int, int], int] = {}
    intervals: dict[int, list[cp_model.IntervalVar]] = {k: [] for k in range(c.m)}
    for j in range(c.n):
        s = model.new_int_var(0, horizon, f"s{j}")
        e = model.new_int_var(0, horizon, f"e{j}")
        u = model.new_bool_var(f"u{j}")
        start.append(s)
        end.append(e)
        unsched.append(u)
        lits = [u]
        terms = []
        ks = [] if j in c.no_team else [int(k) for k in c.eligible(j)]
        for k in ks:
            d = math.ceil(c.area[j] / c.rate[k] * scale - 1e-9)
            if d > horizon:
                continue
            x = model.new_bool_var(f"x{j}_{k}")
            present[j, k] = x
            dur[j, k] = d
            intervals[k].append(model.new_optional_fixed_size_interval_var(s, d, x, f"i{j}_{k}"))
            lits.append(x)
            terms.append(d * x)
        model.add_exactly_one(lits)
        model.add(e == s + sum(terms))
        model.add(s == 0).only_enforce_if(u)
        model.add(s >= math.ceil(c.release[j] * scale - 1e-9)).only_enforce_if(~u)
    for j in range(c.n):
        for i in c.preds[j]:
            model.add_implication(unsched[i], unsched[j])
            model.add(start[j] >= end[i]).only_enforce_if(~unsched[j])
    for k in range(c.m):
        mine = [j for j in range(c.n) if (j, k) in present]
        if not mine:
            continue
        model.add_no_overlap(intervals[k])
        arcs: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, model.new_bool_var(f"idle{k}"))]
        for a, j in enumerate(mine, start=1):
            x = present[j, k]
            arcs.append((a, a, ~x))
            first = model.new_bool_var(f"f{k}_{j}")
            arcs.append((0, a, first))
            model.add(start[j] >= math.ceil(c.travel_bt(k, j) * scale - 1e-9)).only_enforce_if(first)
            arcs.append((a, 0, model.new_bool_var(f"l{k}_{j}")))
            for b, i in enumerate(mine, start=1):
                if i == j:
                    continue
                lit = model.new_bool_var(f"a{k}_{i}_{j}")
                arcs.append((b, a, lit))
                trav = math.ceil(c.travel_tt(i, j) * scale - 1e-9)
                model.add(start[j] >= end[i] + trav).only_enforce_if(lit)
        model.add_circuit(arcs)
    model.minimize(
        sum(w * e for w, e in zip(wint, end, strict=True))
        + sum(w * big * u for w, u in zip(wint, unsched, strict=True))
    )
    if hint:
        h = solve_compiled(c, seed=seed, time_limit_s=2.0)
        _add_hint(model, c, h.team_of, h.start, h.end, start, end, unsched, present, scale)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.random_seed = int(seed)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        note = f"CP-SAT found no solution within {time_limit_s:g} s ({solver.status_name(status)})"
        if status == cp_model.UNKNOWN and math.isfinite(solver.best_objective_bound):
            # what it proved all the same: no plan costs less than this
            note += f" (lower bound ≈ {solver.best_objective_bound / (10_000 / wmax) / scale:.6g})"
        return Solution([], math.inf, [], optimal=False, note=note)
    seqs: list[list[int]] = [[] for _ in range(c.m)]
    for (j, k), x in present.items():
        if solver.boolean_value(x):
            seqs[k].append(j)
    for seq in seqs:
        seq.sort(key=lambda j: (solver.value(start[j]), solver.value(end[j])))
    reason = {
        j: c.no_team.get(j, "left out by the exact model (cannot finish within the horizon)")
        for j in range(c.n)
        if solver.boolean_value(unsched[j])
    }
    plan = plan_from_seqs(c, seqs, reason)
    optimal = status == cp_model.OPTIMAL
    bound = solver.best_objective_bound / (10_000 / wmax) / scale
    note = (
        "CP-SAT proved optimal"
        if optimal
        else f"CP-SAT stopped at the {time_limit_s:g} s limit without proving optimality (lower bound ≈ {bound:.6g})"
    )
    sol = to_solution(c, plan, note=note)
    sol.optimal = optimal
    return sol


def _add_hint(
    model: cp_model.CpModel,
    c: Compiled,
    team_of: np.ndarray,
    s: np.ndarray,
    e: np.ndarray,
    start: list[cp_model.IntVar],
    end: list[cp_model.IntVar],
    unsched: list[cp_model.IntVar],
    present: dict[tuple[int, int], cp_model.IntVar],
    scale: int,
) -> None:
    for j in range(c.n):
        k = int(team_of[j])
        ok = k >= 0 and (j, k) in present and e[j] <= c.horizon
        model.add_hint(unsched[j], not ok)
        if ok:
            model.add_hint(start[j], math.ceil(s[j] * scale))
        for kk in range(c.m):
            if (j, kk) in present:
                model.add_hint(present[j, kk], ok and kk == k)
