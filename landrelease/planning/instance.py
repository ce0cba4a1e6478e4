"""The planning instance: the common core every plan reduces to, and the rules a solution obeys.

This mirrors the exchange format of ``shared/schemas/plan-instance.md`` one to one, so a plan
made from the register can be written out, solved elsewhere and checked here. Everything in
this module is pure: the JSON reading and writing lives in :mod:`landrelease.io.plan_instance`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from landrelease.domain.enums import AssetType
from landrelease.domain.errors import InfeasibleError, Problem, Severity, ValidationError
from landrelease.domain.geometry import haversine_km

TEAM_TYPES = tuple(AssetType.allowed())
TOLERANCE_DAYS = 1e-6


@dataclass(frozen=True, slots=True)
class PlanTeam:
    """A team as the planner sees it: a type, a whole-team rate and where it starts."""

    id: str
    type: str
    rate_m2_per_day: float
    base: tuple[float, float]  # lon, lat


@dataclass(frozen=True, slots=True)
class PlanTask:
    """One piece of work: ``area_m2`` processed at the team's rate, after ``after``, not before ``release_day``."""

    id: str
    area_m2: float
    priority: float
    location: tuple[float, float]  # lon, lat
    eligible_types: tuple[str, ...]
    after: tuple[str, ...] = ()
    release_day: float = 0.0


@dataclass(frozen=True, slots=True)
class PlanInstance:
    horizon_days: float
    mobilisation_days_per_km: float
    teams: tuple[PlanTeam, ...]
    tasks: tuple[PlanTask, ...]

    def task_index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.tasks)}

    def team_index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.teams)}


@dataclass(frozen=True, slots=True)
class Assignment:
    task: str
    team: str
    start_day: float
    end_day: float


@dataclass(frozen=True, slots=True)
class Unscheduled:
    task: str
    reason: str


@dataclass(slots=True)
class Solution:
    assignments: list[Assignment]
    objective: float
    unscheduled: list[Unscheduled] = field(default_factory=list)
    optimal: bool | None = None  # True when an exact solver proved it; None for heuristics
    note: str = ""

    def by_task(self) -> dict[str, Assignment]:
        return {a.task: a for a in self.assignments}


# ---------------------------------------------------------------- distances and times


def travel_days(instance: PlanInstance, a: tuple[float, float], b: tuple[float, float]) -> float:
    if a == b:
        return 0.0
    return float(haversine_km(a[0], a[1], b[0], b[1])) * instance.mobilisation_days_per_km


def duration_days(task: PlanTask, team: PlanTeam) -> float:
    return task.area_m2 / team.rate_m2_per_day


def objective_of(instance: PlanInstance, assignments: Iterable[Assignment], unscheduled: Iterable[str]) -> float:
    """Σ priority × end day, an unscheduled task counting priority × horizon × 2."""
    tasks = {t.id: t for t in instance.tasks}
    total = math.fsum(tasks[a.task].priority * a.end_day for a in assignments)
    return total + math.fsum(tasks[u].priority * instance.horizon_days * 2.0 for u in unscheduled)


# ---------------------------------------------------------------- validation


def validate_instance(instance: PlanInstance, source: str | None = None) -> list[Problem]:
    """Every problem with the values of an instance (types, signs, ids), naming task/team and field."""
    problems: list[Problem] = []

    def bad(msg: str, record: str, fld: str, found: object, expected: str | None = None) -> None:
        problems.append(
            Problem(
                msg,
                record=record,
                field=fld,
                found=repr(found),
                expected=expected,
                source=source,
                check="plan_instance",
            )
        )

    if not _finite(instance.horizon_days) or instance.horizon_days < 0:
        bad("horizon must be a finite number of days ≥ 0", "instance", "horizon_days", instance.horizon_days)
    if not _finite(instance.mobilisation_days_per_km) or instance.mobilisation_days_per_km < 0:
        bad("mobilisation time must be ≥ 0", "instance", "mobilisation_days_per_km", instance.mobilisation_days_per_km)
    seen: set[str] = set()
    for tm in instance.teams:
        rec = f"team {tm.id}"
        if tm.id in seen:
            bad("duplicate team id", rec, "id", tm.id)
        seen.add(tm.id)
        if tm.type not in TEAM_TYPES:
            bad("unknown team type", rec, "type", tm.type, ", ".join(TEAM_TYPES))
        if not _finite(tm.rate_m2_per_day) or tm.rate_m2_per_day <= 0:
            bad(
                "a team's rate must be a positive number of m²/day (a team with no rate has no capacity)",
                rec,
                "rate_m2_per_day",
                tm.rate_m2_per_day,
                "> 0",
            )
        if not _lonlat(tm.base):
            bad("not a [longitude, latitude] pair in EPSG:4326", rec, "base", list(tm.base))
    ids: set[str] = set()
    for t in instance.tasks:
        if t.id in ids:
            bad("duplicate task id", f"task {t.id}", "id", t.id)
        ids.add(t.id)
    for t in instance.tasks:
        rec = f"task {t.id}"
        if not _finite(t.area_m2) or t.area_m2 < 0:
            bad("area must be a finite number of m² ≥ 0", rec, "area_m2", t.area_m2)
        if not _finite(t.priority) or t.priority < 0:
            bad("priority must be a finite number ≥ 0", rec, "priority", t.priority)
        if not _finite(t.release_day) or t.release_day < 0:
            bad("release day must be ≥ 0", rec, "release_day", t.release_day)
        if not _lonlat(t.location):
            bad("not a [longitude, latitude] pair in EPSG:4326", rec, "location", list(t.location))
        if not t.eligible_types:
            bad("at least one eligible team type is needed", rec, "eligible_types", [], ", ".join(TEAM_TYPES))
        for ty in t.eligible_types:
            if ty not in TEAM_TYPES:
                bad("unknown team type", rec, "eligible_types", ty, ", ".join(TEAM_TYPES))
        for a in t.after:
            if a == t.id:
                bad("a task cannot come after itself", rec, "after", a)
            elif a not in ids:
                bad("no task with this id", rec, "after", a)
    return problems


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _lonlat(p: Sequence[float]) -> bool:
    return len(p) == 2 and all(_finite(v) for v in p) and -180 <= p[0] <= 180 and -90 <= p[1] <= 90


def find_cycle(instance: PlanInstance) -> list[str] | None:
    """A cycle in the ``after`` relation as [a, b, …, a], or None (iterative DFS, no recursion limit)."""
    succ: dict[str, list[str]] = {t.id: [] for t in instance.tasks}
    for t in instance.tasks:
        for a in t.after:
            if a in succ:
                succ[a].append(t.id)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in succ:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            nxt = succ[node]
            if i < len(nxt):
                stack.append((node, i + 1))
                child = nxt[i]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if child not in state:
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def exclusion_reason(task: PlanTask, team: PlanTeam) -> str | None:
    """Why a team may not do a task, or None when it may."""
    if team.type not in task.eligible_types:
        return f"type {team.type} is not among the task's eligible types ({', '.join(task.eligible_types)})"
    return None


def diagnose(instance: PlanInstance, source: str | None = None) -> None:
    """Refuse an instance that has no answer at all, saying why: bad values, a cycle, zero capacity.

    Tasks that no team may do are not refused here: the solvers list them as unscheduled
    with the reason (see :func:`ineligible_reasons`), so the rest of the plan still comes out.
    """
    problems = validate_instance(instance, source)
    if problems:
        raise ValidationError(problems, "planning instance refused")
    if not instance.teams:
        raise InfeasibleError(
            [
                Problem(
                    "zero capacity: the instance has no teams",
                    record="instance",
                    field="teams",
                    source=source,
                    check="zero_capacity",
                )
            ],
            "nothing can be planned",
        )
    if instance.horizon_days <= 0 and instance.tasks:
        raise InfeasibleError(
            [
                Problem(
                    "zero capacity: the horizon is 0 days",
                    record="instance",
                    field="horizon_days",
                    found="0",
                    source=source,
                    check="zero_capacity",
                )
            ],
            "nothing can be planned",
        )
    cycle = find_cycle(instance)
    if cycle:
        raise InfeasibleError(
            [
                Problem(
                    "the order constraints form a cycle, so none of these tasks can ever start",
                    record=f"task {cycle[0]}",
                    field="after",
                    found=" → ".join(cycle),
                    source=source,
                    check="precedence_cycle",
                )
            ],
            "the order constraints cannot all hold",
        )


def ineligible_reasons(instance: PlanInstance) -> dict[str, str]:
    """For each task no team may do: which constraint excludes each team (grouped by type)."""
    out: dict[str, str] = {}
    present = {tm.type for tm in instance.teams}
    for t in instance.tasks:
        if present & set(t.eligible_types):
            continue
        groups: dict[str, list[str]] = {}
        for tm in instance.teams:
            groups.setdefault(tm.type, []).append(tm.id)
        parts = []
        for ty, members in groups.items():
            shown = ", ".join(members[:5]) + (f" and {len(members) - 5} more" if len(members) > 5 else "")
            parts.append(f"{shown}: type {ty} is not eligible")
        out[t.id] = f"no team may do it (eligible: {', '.join(t.eligible_types)}); " + "; ".join(parts)
    return out


# ---------------------------------------------------------------- the feasibility checker


def check_solution(instance: PlanInstance, solution: Solution) -> list[Problem]:
    """Every rule of the exchange format that a solution breaks (empty list: feasible)."""
    problems: list[Problem] = []
    tasks = {t.id: t for t in instance.tasks}
    teams = {t.id: t for t in instance.teams}

    def bad(msg: str, record: str, fld: str, found: object = None, expected: str | None = None) -> None:
        problems.append(
            Problem(
                msg,
                record=record,
                field=fld,
                found=None if found is None else str(found),
                expected=expected,
                check="plan_solution",
            )
        )

    assigned: dict[str, Assignment] = {}
    for a in solution.assignments:
        if a.task not in tasks:
            bad("no task with this id in the instance", f"assignment {a.task}", "task", a.task)
            continue
        if a.task in assigned:
            bad("task assigned more than once (no pre-emption, one team per task)", f"task {a.task}", "task", a.task)
            continue
        assigned[a.task] = a
    unscheduled: set[str] = set()
    for u in solution.unscheduled:
        if u.task not in tasks:
            bad("no task with this id in the instance", f"unscheduled {u.task}", "task", u.task)
        elif u.task in assigned:
            bad("task both assigned and unscheduled", f"task {u.task}", "unscheduled", u.task)
        elif u.task in unscheduled:
            bad("task listed twice as unscheduled", f"task {u.task}", "unscheduled", u.task)
        else:
            if not u.reason:
                bad("an unscheduled task needs a reason", f"task {u.task}", "reason", "''")
            unscheduled.add(u.task)
    for tid in tasks:
        if tid not in assigned and tid not in unscheduled:
            bad("task neither assigned nor listed as unscheduled", f"task {tid}", "assignments")

    per_team: dict[str, list[Assignment]] = {}
    for a in assigned.values():
        t = tasks[a.task]
        rec = f"task {a.task}"
        team = teams.get(a.team)
        if team is None:
            bad("no team with this id in the instance", rec, "team", a.team)
            continue
        if team.type not in t.eligible_types:
            bad("team not eligible for the task", rec, "team", f"{a.team} ({team.type})", ", ".join(t.eligible_types))
        if a.start_day < t.release_day - TOLERANCE_DAYS:
            bad("starts before its release day", rec, "start_day", a.start_day, f"≥ {t.release_day}")
        dur = duration_days(t, team)
        if abs((a.end_day - a.start_day) - dur) > TOLERANCE_DAYS + 1e-9 * dur:
            bad("does not last exactly area / rate", rec, "end_day", a.end_day - a.start_day, f"{dur} days")
        if a.end_day > instance.horizon_days + TOLERANCE_DAYS:
            bad(
                "ends after the horizon (it should be listed as unscheduled)",
                rec,
                "end_day",
                a.end_day,
                f"≤ {instance.horizon_days}",
            )
        for p in t.after:
            pa = assigned.get(p)
            if pa is None:
                bad("a predecessor is not scheduled, so this task cannot start", rec, "after", p)
            elif a.start_day < pa.end_day - TOLERANCE_DAYS:
                bad(f"starts before predecessor {p} ends (day {pa.end_day})", rec, "start_day", a.start_day)
        per_team.setdefault(a.team, []).append(a)

    for team_id, items in per_team.items():
        team = teams[team_id]
        items.sort(key=lambda x: (x.start_day, x.end_day))
        here = team.base
        prev_end = 0.0
        prev_id = None
        for a in items:
            loc = tasks[a.task].location
            ready = prev_end + travel_days(instance, here, loc)
            if a.start_day < ready - TOLERANCE_DAYS:
                after = f"task {prev_id} ends day {prev_end:.6g}" if prev_id else "the team starts at its base on day 0"
                bad(
                    f"team {team_id} cannot be there yet ({after}, travel {ready - prev_end:.6g} days)",
                    f"task {a.task}",
                    "start_day",
                    a.start_day,
                    f"≥ {ready:.6g}",
                )
            here, prev_end, prev_id = loc, a.end_day, a.task

    if not problems:
        expected = objective_of(instance, assigned.values(), unscheduled)
        if abs(expected - solution.objective) > 1e-6 * max(1.0, abs(expected)):
            bad(
                "objective is not Σ priority × end_day (+ priority × horizon × 2 per unscheduled task)",
                "solution",
                "objective",
                solution.objective,
                f"{expected}",
            )
    return problems


def warnings_of(reasons: dict[str, str]) -> list[Problem]:
    return [
        Problem(r, record=f"task {t}", field="eligible_types", severity=Severity.WARNING, check="no_eligible_team")
        for t, r in reasons.items()
    ]
