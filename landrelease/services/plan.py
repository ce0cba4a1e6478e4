"""Plan: who clears what, and when; the priorities behind it; the stored plan's dispatch order.

Reads the open hazard areas, their evidence, the settlements and the fleet, prioritises and
plans with the core, checks the plan against the rules, and stores it as tasks in one unit
of work (replacing the previous plan). The stored plan's dispatch order — the order in which
it first sends a team to each area — is defined once here; the forecast follows it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from landrelease.domain.enums import AssetType
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.model.productivity import UnitRate, unit_rates
from landrelease.planning.instance import PlanInstance, Solution, check_solution
from landrelease.planning.priority import Priority, PriorityWeights, prioritise
from landrelease.planning.scenario import PlanGoal, ScenarioSpec
from landrelease.planning.scheduler import solve
from landrelease.planning.settlement_links import SettlementLinks, link_settlements
from landrelease.planning.workplan import (
    Headline,
    PlanningParameters,
    PlanOrder,
    WorkProblem,
    build_work,
    explain_unscheduled,
    headline,
    plan_order,
    plan_teams,
    to_tasks,
)
from landrelease.services.portfolio import (
    register_capacity,
    register_learned_split,
    register_portfolio,
    release_model_for,
)
from landrelease.services.register import HazardFilter, Register

__all__ = [
    "PlanGoal",
    "PlanResult",
    "PriorityWeights",
    "ScenarioSpec",
    "build_register_work",
    "export_instance",
    "load_scenario",
    "load_weights",
    "plan_register",
    "planned_dispatch_order",
    "priorities",
    "resolve_goals",
    "solve_instance_file",
    "stored_dispatch_order",
    "write_outputs",
]


@dataclass
class PlanResult:
    work: WorkProblem
    solution: Solution
    headline: Headline
    areas: list[HazardArea]
    seconds: float

    def dispatch_order(self) -> PlanOrder:
        """Hazard codes in the order this plan first sends a team to them (with the order in
        which it starts each area's TS and clearance)."""
        inst = self.work.instance
        locations = {self.work.meta[t.id].hazard_code: t.location for t in inst.tasks}
        bases = {t.id: t.base for t in inst.teams}
        return plan_order(to_tasks(self.work, self.solution), locations, bases, inst.mobilisation_days_per_km)


def priorities(
    register: Register, weights: PriorityWeights
) -> tuple[list[HazardArea], dict[str, Priority], SettlementLinks]:
    """The open hazard areas, each one's priority (weighted criteria), and their links to settlements."""
    areas = register.hazard_areas(HazardFilter(open_only=True))
    settlements = register.settlements()
    links = link_settlements(areas, settlements)
    evidence = register.evidence([a.code for a in areas]) if areas else []
    return areas, prioritise(areas, evidence, settlements, weights, links=links), links


def resolve_goals(
    register: Register, goals: Sequence[PlanGoal], source: str | None = None
) -> list[tuple[Settlement, date]]:
    """Each goal's settlement (by code, or by name ignoring case); one that names no settlement,
    or a name several share, is refused by its key in the scenario (``plan.goals[i].settlement``)
    and, when given, the scenario's file."""
    settlements = register.settlements()
    by_code = {s.code: s for s in settlements}
    by_name: dict[str, list[Settlement]] = {}
    for s in settlements:
        by_name.setdefault(s.name.casefold(), []).append(s)
    out, problems = [], []
    for i, g in enumerate(goals):
        hit = [by_code[g.settlement]] if g.settlement in by_code else by_name.get(g.settlement.casefold(), [])
        if len(hit) != 1:
            problems.append(
                Problem(
                    "no such settlement" if not hit else "more than one settlement has this name: give its code",
                    source=source,
                    field=f"plan.goals[{i}].settlement",
                    found=g.settlement,
                    expected=", ".join(s.code for s in hit) or "a settlement's code or name",
                    check="scenario",
                )
            )
            continue
        out.append((hit[0], g.by))
    if problems:
        raise ValidationError(problems, "goals refused")
    return out


def build_register_work(
    register: Register, scenario: ScenarioSpec | None = None, start_date: date | None = None
) -> tuple[WorkProblem, list[HazardArea]]:
    """The register's planning problem: its open areas with their assessed ``p_any`` and the
    release model the forecast uses, its fleet resized to the scenario's capacity (units), and
    the rates of the one productivity model; the blocking areas of the settlements its goals
    name are lifted first."""
    scenario = scenario or ScenarioSpec()
    goals = resolve_goals(register, scenario.plan.goals)
    areas, prios, links = priorities(register, scenario.plan.weights)
    start = start_date or scenario.plan.planning.start_date or date.today()
    if not areas:
        params = scenario.plan.planning
        work = build_work([], plan_teams(register.teams()), prios, links, params, start_date=start)
        return work, areas
    portfolio, _ = register_portfolio(register, scenario.forecast.record_reliability)
    fleet = register_capacity(register)
    capacity = scenario.build_capacity(fleet)
    rates: dict[AssetType, UnitRate] = dict(unit_rates(register.teams()))
    for asset, c in capacity.assets.items():
        rates[asset] = UnitRate(asset, c.median, c.sigma)
    teams = plan_teams(
        register.teams(),
        {a: c.units for a, c in capacity.assets.items()},
        rates,
        {a: c.availability for a, c in capacity.assets.items()},
    )
    codes = [str(c) for c in portfolio.codes]
    work = build_work(
        areas,
        teams,
        prios,
        links,
        scenario.plan.planning,
        start_date=start,
        activities=register.activities(),
        p_any=dict(zip(codes, portfolio.p_any.tolist(), strict=True)),
        model=release_model_for(portfolio, scenario.forecast, register_learned_split(register)),
        rates=rates,
        area_m2=dict(zip(codes, portfolio.area_m2.tolist(), strict=True)),
        working_days_per_year=float(scenario.forecast.working_days_per_year),
        goal_areas={c for s, _ in goals for c in links.blocking(s.code)},
    )
    return work, areas


def plan_register(
    register: Register, scenario: ScenarioSpec | None = None, *, start_date: date | None = None, store: bool = True
) -> PlanResult:
    """Prioritise, plan and (by default) store the plan in the ``task`` table, replacing the previous one."""
    scenario = scenario or ScenarioSpec()
    t0 = time.perf_counter()
    work, areas = build_register_work(register, scenario, start_date)
    solution = solve(work.instance, seed=scenario.plan.planning.seed, time_limit_s=scenario.plan.planning.time_limit_s)
    problems = check_solution(work.instance, solution)
    if problems:  # the planner checks itself: never store a plan that breaks a rule
        raise ValidationError(problems, "the planner produced an infeasible plan (a bug): not stored")
    reasons = explain_unscheduled(work, solution)
    solution.unscheduled = [type(u)(u.task, reasons.get(u.task, u.reason)) for u in solution.unscheduled]
    if store:
        with register.unit_of_work(actor="planner") as uow:
            uow.replace_plan(to_tasks(work, solution), source=f"plan: {scenario.name}")
    return PlanResult(work, solution, headline(work, solution), areas, time.perf_counter() - t0)


def stored_dispatch_order(register: Register) -> PlanOrder | None:
    """Hazard codes in the stored plan's dispatch order (planned start, then code), or None when
    no plan is stored. The one definition the forecast, the demo and the report follow; codes
    of areas released since the plan was made are the forecast's to leave out (it says so).
    It carries the plan's stage order and its survey teams' travel (at the default
    mobilisation pace: the stored plan does not keep its parameters)."""
    tasks = register.tasks()
    if not tasks:
        return None
    codes = {t.hazard_code for t in tasks}
    locations = {}
    for a in register.hazard_areas(HazardFilter(open_only=True)):
        if a.code in codes:
            pt = a.geometry.representative_point()
            locations[a.code] = (float(pt.x), float(pt.y))
    bases = {t.code: (t.base.x, t.base.y) for t in register.teams()}
    return plan_order(tasks, locations, bases, PlanningParameters().mobilisation_days_per_km)


def planned_dispatch_order(register: Register) -> PlanOrder:
    """The stored plan's dispatch order; plans (and stores) the register first if no plan is stored."""
    order = stored_dispatch_order(register)
    if order is None:
        plan_register(register)
        order = stored_dispatch_order(register) or PlanOrder([])
    return order


# ---------------------------------------------------------------- files


def load_scenario(path: Path) -> ScenarioSpec:
    """A scenario file (capacity, plan and forecast sections), checked."""
    from landrelease.io.plan_settings import load_plan_scenario

    return load_plan_scenario(path)


def load_weights(path: Path) -> PriorityWeights:
    from landrelease.io.plan_settings import load_weights as _load

    return _load(path)


def export_instance(register: Register, path: Path, scenario: ScenarioSpec, start_date: date | None) -> PlanInstance:
    """Write the register's planning problem in the exchange format; returns it."""
    from landrelease.io.plan_instance import write_instance

    work, _ = build_register_work(register, scenario, start_date)
    write_instance(work.instance, path)
    return work.instance


def solve_instance_file(path: Path, time_limit_s: float = 20.0) -> tuple[Solution, dict[str, Any]]:
    """Solve an exchange-format instance file; returns the solution and its exchange JSON."""
    from landrelease.io.plan_instance import read_instance, solution_to_json

    solution = solve(read_instance(path), time_limit_s=time_limit_s)
    return solution, solution_to_json(solution)


def solution_json(result: PlanResult) -> dict[str, Any]:
    from landrelease.io.plan_instance import solution_to_json

    return solution_to_json(result.solution)


def write_outputs(
    result: PlanResult, *, gantt: Path | None = None, phases: Path | None = None, title: str = "Plan"
) -> dict[str, Any]:
    """Write the Gantt chart per team and/or the map phases (GeoPackage); what was written."""
    from landrelease.io.plan_outputs import write_gantt, write_phases

    written: dict[str, Any] = {}
    if gantt is not None:
        write_gantt(result.work, result.solution, gantt, title=title)
        written["gantt"] = gantt
    if phases is not None:
        written["phases"] = phases
        written["phase_areas"] = write_phases(result.work, result.solution, result.areas, phases)
    return written
