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

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.planning.instance import PlanInstance, Solution, check_solution
from landrelease.planning.priority import Priority, PriorityWeights, prioritise
from landrelease.planning.scheduler import solve
from landrelease.planning.settlement_links import SettlementLinks, link_settlements
from landrelease.planning.workplan import (
    Headline,
    PlanGoal,
    PlanScenario,
    WorkProblem,
    build_work,
    dispatch_order,
    explain_unscheduled,
    headline,
    plan_teams,
    to_tasks,
)
from landrelease.services.register import HazardFilter, Register

__all__ = [
    "PlanGoal",
    "PlanResult",
    "PlanScenario",
    "PriorityWeights",
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

    def dispatch_order(self) -> list[str]:
        """Hazard codes in the order this plan first sends a team to them."""
        return dispatch_order(to_tasks(self.work, self.solution))


def priorities(
    register: Register, weights: PriorityWeights
) -> tuple[list[HazardArea], dict[str, Priority], SettlementLinks]:
    """The open hazard areas, each one's priority (weighted criteria), and their links to settlements."""
    areas = register.hazard_areas(HazardFilter(open_only=True))
    settlements = register.settlements()
    links = link_settlements(areas, settlements)
    evidence = register.evidence([a.code for a in areas]) if areas else []
    return areas, prioritise(areas, evidence, settlements, weights, links=links), links


def resolve_goals(register: Register, goals: Sequence[PlanGoal]) -> list[tuple[Settlement, date]]:
    """Each goal's settlement (by code, or by name ignoring case); unknown ones refused by index."""
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
                    record=f"goals[{i}]",
                    field="settlement",
                    found=g.settlement,
                    expected=", ".join(s.code for s in hit) or None,
                )
            )
            continue
        out.append((hit[0], g.by))
    if problems:
        raise ValidationError(problems, "goals refused")
    return out


def build_register_work(
    register: Register, scenario: PlanScenario | None = None, start_date: date | None = None
) -> tuple[WorkProblem, list[HazardArea]]:
    """The register's planning problem (open areas, its fleet plus the scenario's extra teams;
    the blocking areas of the settlements its goals name first)."""
    scenario = scenario or PlanScenario()
    goals = resolve_goals(register, scenario.goals)
    areas, prios, links = priorities(register, scenario.weights)
    teams = plan_teams(register.teams(), scenario.extra_teams)
    start = start_date or scenario.planning.start_date or date.today()
    goal_areas = {c for s, _ in goals for c in links.blocking(s.code)}
    work = build_work(
        areas,
        teams,
        prios,
        links,
        scenario.planning,
        start_date=start,
        activities=register.activities(),
        goal_areas=goal_areas,
    )
    return work, areas


def plan_register(
    register: Register, scenario: PlanScenario | None = None, *, start_date: date | None = None, store: bool = True
) -> PlanResult:
    """Prioritise, plan and (by default) store the plan in the ``task`` table, replacing the previous one."""
    scenario = scenario or PlanScenario()
    t0 = time.perf_counter()
    work, areas = build_register_work(register, scenario, start_date)
    solution = solve(work.instance, seed=scenario.planning.seed, time_limit_s=scenario.planning.time_limit_s)
    problems = check_solution(work.instance, solution)
    if problems:  # the planner checks itself: never store a plan that breaks a rule
        raise ValidationError(problems, "the planner produced an infeasible plan (a bug): not stored")
    reasons = explain_unscheduled(work, solution)
    solution.unscheduled = [type(u)(u.task, reasons.get(u.task, u.reason)) for u in solution.unscheduled]
    if store:
        with register.unit_of_work(actor="planner") as uow:
            uow.replace_plan(to_tasks(work, solution), source=f"plan: {scenario.name}")
    return PlanResult(work, solution, headline(work, solution), areas, time.perf_counter() - t0)


def stored_dispatch_order(register: Register) -> list[str] | None:
    """Hazard codes in the stored plan's dispatch order (planned start, then code), or None when
    no plan is stored. The one definition the forecast, the demo and the report follow; codes
    of areas released since the plan was made are the forecast's to leave out (it says so)."""
    tasks = register.tasks()
    return dispatch_order(tasks) if tasks else None


def planned_dispatch_order(register: Register) -> list[str]:
    """The stored plan's dispatch order; plans (and stores) the register first if no plan is stored."""
    order = stored_dispatch_order(register)
    if order is None:
        plan_register(register)
        order = stored_dispatch_order(register) or []
    return order


# ---------------------------------------------------------------- files


def load_scenario(path: Path) -> PlanScenario:
    """A plan scenario file (weights, planning parameters, extra teams), checked."""
    from landrelease.io.plan_settings import load_plan_scenario

    return load_plan_scenario(path)


def load_weights(path: Path) -> PriorityWeights:
    from landrelease.io.plan_settings import load_weights as _load

    return _load(path)


def export_instance(register: Register, path: Path, scenario: PlanScenario, start_date: date | None) -> PlanInstance:
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
