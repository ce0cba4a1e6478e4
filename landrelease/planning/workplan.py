"""From the register to a planning instance, and from a solution back to dated tasks.

Each open hazard area becomes the work land release expects of it (IMAS 07.11): an SHA gets
NTS over the whole area, TS over what NTS is not expected to cancel, and clearance over what
TS is not expected to reduce; a CHA starts with TS. A task's ``area_m2`` in the instance is
the area the team has to *process* (NTS walks a fraction of the land, TS samples a
fraction, clearance searches all of it), so its duration is that area over the team's rate.
Large stages are split into work cells of at most ``cell_team_days`` so that several teams
can share an area. A task's priority is the area's score × the km² the task is expected to
release, so the objective is priority-weighted land brought back as early as possible.

Days are calendar days, so a team's ``rate_m2_per_day`` in the instance is its working-day
rate × working days a year / 365, and a machine counts half its rate as clearance (the
follow-up HALO says machines need). A task's area to process is divided by the site factor
of its conditions (metal clutter, vegetation, slope: ``model.productivity``) for the median
of its eligible team types, so the plan and the forecast use one productivity model.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from landrelease.domain.activity import Activity
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, HazardKind, LandUse, Level
from landrelease.domain.geometry import areas_m2
from landrelease.domain.hazard import HazardArea
from landrelease.domain.task import Task
from landrelease.model.productivity import MECHANICAL_FOLLOW_UP, site_factor
from landrelease.planning.instance import PlanInstance, PlanTask, PlanTeam, Solution
from landrelease.planning.priority import Priority, PriorityWeights
from landrelease.planning.settlement_links import SettlementLinks

SENSITIVE_USES = frozenset({LandUse.CEMETERY, LandUse.RELIGIOUS_SITE})
DEFAULT_RATES = {
    AssetType.MANUAL: 400.0,
    AssetType.MDD: 750.0,
    AssetType.MECHANICAL: 8000.0,
    AssetType.DRONE_SURVEY: 400_000.0,
    AssetType.EOD: 2000.0,
}
STAGES = (ActivityKind.NTS, ActivityKind.TS, ActivityKind.CLEARANCE)


class PlanningParameters(BaseModel):
    """How the register's areas become work (a settings or scenario file section)."""

    model_config = ConfigDict(extra="forbid")

    horizon_days: float = Field(default=3650.0, gt=0, description="planning horizon")
    mobilisation_days_per_km: float = Field(default=0.02, ge=0, description="days to move a team one km")
    cell_team_days: float = Field(default=30.0, gt=0, description="largest work cell, in team-days at a typical rate")
    sha_nts_cancel_fraction: float = Field(
        default=0.4, ge=0, le=1, description="share of an SHA NTS is expected to cancel"
    )
    ts_reduce_fraction: float = Field(
        default=0.45, ge=0, le=1, description="share of what TS searches it expects to reduce"
    )
    nts_search_fraction: float = Field(default=0.05, gt=0, le=1, description="share of the land NTS teams walk")
    working_days_per_year: float = Field(
        default=220.0, gt=0, le=365, description="days a year teams work (the forecast's default too)"
    )
    site_conditions: bool = Field(
        default=True, description="slow work down for metal clutter, vegetation and slope, as the forecast does"
    )
    ts_search_fraction: float = Field(default=0.3, gt=0, le=1, description="share of the land TS samples")
    start_date: date | None = Field(default=None, description="day 0 of the plan (default: today)")
    time_limit_s: float = Field(default=20.0, gt=0, description="time the heuristic may take")
    seed: int = Field(default=0, description="seed of the local search")


class ExtraTeams(BaseModel):
    """Capacity a scenario adds, e.g. '+200 deminers' as 25 manual teams."""

    model_config = ConfigDict(extra="forbid")

    type: AssetType
    count: int = Field(gt=0)
    rate_m2_per_day: float | None = Field(default=None, gt=0)
    base: tuple[float, float] | None = None


GOAL_LIFT = 100.0  # a goal's blocking areas score this many times the highest score more


class PlanGoal(BaseModel):
    """ "Return to settlement X by date D" (X: its code or name): the settlement's blocking
    areas go first, so the plan tries to meet it; the plan says whether it does (P50/P80)."""

    model_config = ConfigDict(extra="forbid")

    settlement: str = Field(min_length=1, max_length=200, description="settlement code or name")
    by: date = Field(description="the day its people should be able to come back")


class PlanScenario(BaseModel):
    """A planning scenario file: priority weights, planning parameters, capacity changes, goals."""

    model_config = ConfigDict(extra="forbid")

    name: str = "the register as it is"
    weights: PriorityWeights = Field(default_factory=PriorityWeights)
    planning: PlanningParameters = Field(default_factory=PlanningParameters)
    extra_teams: list[ExtraTeams] = Field(default_factory=list)
    goals: list[PlanGoal] = Field(default_factory=list)


def eligibility(area: HazardArea, stage: ActivityKind) -> dict[AssetType, str | None]:
    """For each team type: None if it may do ``stage`` on ``area``, else the rule that excludes it."""
    sensitive = area.land_use in SENSITIVE_USES or area.density is Level.HIGH
    why_sensitive = (
        f"dense or sensitive site ({area.land_use.value if area.land_use in SENSITIVE_USES else 'high density'})"
        ": manual only"
    )
    out: dict[AssetType, str | None] = {}
    for ty in AssetType:
        reason: str | None = None
        if stage is ActivityKind.NTS:
            if ty in (AssetType.MDD, AssetType.MECHANICAL):
                reason = "NTS is done by people and survey drones, not by dogs or machines"
        elif ty is AssetType.DRONE_SURVEY:
            if stage is not ActivityKind.TS:
                reason = "drone units survey only (NTS and TS)"
            elif sensitive:
                reason = why_sensitive
        elif ty is AssetType.EOD:
            reason = "EOD teams do spot tasks and NTS, not area TS or clearance"
        elif ty is not AssetType.MANUAL and sensitive:
            reason = why_sensitive
        elif ty is AssetType.MECHANICAL and not area.machine_accessible:
            reason = "machines only on machine-accessible terrain"
        elif ty is AssetType.MDD and (area.density is Level.HIGH or area.clutter is Level.HIGH):
            reason = "dogs not on high-density or high-clutter areas"
        out[ty] = reason
    return out


@dataclass(frozen=True, slots=True)
class TaskMeta:
    hazard_code: str
    method: ActivityKind
    cell: int
    cells: int
    released_m2: float  # land this task is expected to release


@dataclass
class WorkProblem:
    """The instance built from the register, and what each of its tasks means."""

    instance: PlanInstance
    meta: dict[str, TaskMeta]
    priorities: dict[str, Priority]
    area_m2: dict[str, float]
    start_date: date
    exclusions: dict[str, dict[str, str]] = field(default_factory=dict)  # task -> team type -> reason


def task_code(hazard_code: str, method: ActivityKind, cell: int) -> str:
    return f"{hazard_code}/{method.value}/{cell + 1}"


def plan_teams(teams: Sequence[Team], extra: Sequence[ExtraTeams] = ()) -> tuple[PlanTeam, ...]:
    out = [
        PlanTeam(t.code, t.type.value, float(t.rate_m2_per_day or DEFAULT_RATES[t.type]), (t.base.x, t.base.y))
        for t in teams
    ]
    for i, x in enumerate(extra):
        same = [t for t in teams if t.type is x.type]
        rate = x.rate_m2_per_day or (
            float(np.median([t.rate_m2_per_day or DEFAULT_RATES[t.type] for t in same]))
            if same
            else DEFAULT_RATES[x.type]
        )
        if x.base is not None:
            base = x.base
        elif teams:
            base = (float(np.mean([t.base.x for t in teams])), float(np.mean([t.base.y for t in teams])))
        else:
            base = (0.0, 0.0)
        out += [
            PlanTeam(f"{x.type.value[:3].upper()}-X{i + 1}-{n + 1:03d}", x.type.value, rate, base)
            for n in range(x.count)
        ]
    return tuple(out)


def calendar_teams(teams: Sequence[PlanTeam], params: PlanningParameters) -> tuple[PlanTeam, ...]:
    """Teams with their rate per calendar day (and a machine's rate that counts as clearance)."""
    days = params.working_days_per_year / 365.0
    return tuple(
        replace(
            t,
            rate_m2_per_day=t.rate_m2_per_day * days * (MECHANICAL_FOLLOW_UP if t.type == AssetType.MECHANICAL else 1),
        )
        for t in teams
    )


def site_slowdown(area: HazardArea, types: Sequence[AssetType]) -> float:
    """Median site factor of the eligible types on this area (1 = ideal ground), floored at 0.1."""
    level = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}
    factors = [
        float(
            site_factor(
                t, np.array([level[area.clutter]]), np.array([level[area.vegetation]]), np.array([area.slope_deg])
            )[0]
        )
        for t in types
    ]
    usable = [f for f in factors if f > 0]
    return max(0.1, float(np.median(usable))) if usable else 1.0


def build_work(
    areas: Sequence[HazardArea],
    teams: Sequence[PlanTeam],
    priorities: dict[str, Priority],
    links: SettlementLinks,
    params: PlanningParameters,
    *,
    start_date: date,
    activities: Iterable[Activity] = (),
    goal_areas: Collection[str] = (),
) -> WorkProblem:
    """The planning instance of the open areas of the register (pure; the caller reads the register).

    ``goal_areas`` (the blocking areas of the settlements a goal names) are lifted above every
    other area: their score gains :data:`GOAL_LIFT` times the highest score (the areas' own
    priorities, as ``priorities --explain`` shows them, are unchanged)."""
    open_areas = [a for a in areas if a.is_open]
    lift = GOAL_LIFT * max((p.score for p in priorities.values()), default=1.0) if goal_areas else 0.0
    goals = frozenset(goal_areas)
    teams = calendar_teams(teams, params)
    sizes = areas_m2([a.geometry for a in open_areas]) if open_areas else np.zeros(0)
    area_m2 = {a.code: float(s) for a, s in zip(open_areas, sizes, strict=True)}
    done: dict[str, set[ActivityKind]] = {}
    for act in activities:
        if act.status == "completed":
            done.setdefault(act.hazard_code, set()).add(act.kind)
    rates_by_type: dict[str, list[float]] = {}
    for tm in teams:
        rates_by_type.setdefault(tm.type, []).append(tm.rate_m2_per_day)
    tasks: list[PlanTask] = []
    meta: dict[str, TaskMeta] = {}
    exclusions: dict[str, dict[str, str]] = {}
    stage_ids: dict[str, list[list[str]]] = {}
    for a in open_areas:
        total = area_m2[a.code]
        score = priorities[a.code].score if a.code in priorities else 0.0
        if a.code in goals:
            score += lift
        pt = a.geometry.representative_point()
        loc = (float(pt.x), float(pt.y))
        remaining = total
        # (stage, land processed, area searched, land it is expected to release)
        stages: list[tuple[ActivityKind, float, float]] = []
        if a.kind is HazardKind.SHA and ActivityKind.NTS not in done.get(a.code, set()):
            cancel = remaining * params.sha_nts_cancel_fraction
            stages.append((ActivityKind.NTS, remaining * params.nts_search_fraction, cancel))
            remaining -= cancel
        if ActivityKind.TS not in done.get(a.code, set()):
            reduce = remaining * params.ts_reduce_fraction
            stages.append((ActivityKind.TS, remaining * params.ts_search_fraction, reduce))
            remaining -= reduce
        stages.append((ActivityKind.CLEARANCE, remaining, remaining))
        chain: list[list[str]] = []
        prev: tuple[str, ...] = ()
        for stage, effort, released in stages:
            elig = eligibility(a, stage)
            types = tuple(ty.value for ty, why in elig.items() if why is None)
            if params.site_conditions and types:
                effort = effort / site_slowdown(a, [AssetType(t) for t in types])
            present = [r for ty in types for r in rates_by_type.get(ty, [])]
            ref_rate = float(np.median(present)) if present else DEFAULT_RATES[AssetType.MANUAL]
            cells = max(1, math.ceil(effort / (params.cell_team_days * ref_rate) - 1e-9))
            ids = []
            for c in range(cells):
                tid = task_code(a.code, stage, c)
                ids.append(tid)
                released_c = released / cells
                tasks.append(PlanTask(tid, effort / cells, score * released_c / 1e6, loc, types, prev, 0.0))
                meta[tid] = TaskMeta(a.code, stage, c, cells, released_c)
                exclusions[tid] = {ty.value: why for ty, why in elig.items() if why is not None}
            chain.append(ids)
            prev = tuple(ids)
        stage_ids[a.code] = chain
    # an access road before the village it serves: every task of the road before the village's first tasks
    extra_after: dict[str, list[str]] = {}
    for s, roads in links.roads.items():
        road_tasks = [t for r in roads if r in stage_ids for stage in stage_ids[r] for t in stage]
        for v in links.areas.get(s, []):
            if v in stage_ids and road_tasks:
                for t in stage_ids[v][0]:
                    extra_after.setdefault(t, []).extend(road_tasks)
    if extra_after:
        tasks = [
            PlanTask(
                t.id,
                t.area_m2,
                t.priority,
                t.location,
                t.eligible_types,
                tuple(dict.fromkeys([*t.after, *extra_after[t.id]])),
                t.release_day,
            )
            if t.id in extra_after
            else t
            for t in tasks
        ]
    instance = PlanInstance(params.horizon_days, params.mobilisation_days_per_km, tuple(teams), tuple(tasks))
    return WorkProblem(instance, meta, priorities, area_m2, start_date, exclusions)


def explain_unscheduled(work: WorkProblem, solution: Solution) -> dict[str, str]:
    """Reasons for unscheduled tasks, naming the rule that excludes each team type of the fleet."""
    types = {tm.type for tm in work.instance.teams}
    out = {}
    for u in solution.unscheduled:
        ex = work.exclusions.get(u.task, {})
        if u.reason.startswith("no team may do it") and ex:
            members: dict[str, list[str]] = {}
            for tm in work.instance.teams:
                members.setdefault(tm.type, []).append(tm.id)
            parts = []
            for ty in sorted(types):
                ids = members[ty]
                shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
                parts.append(f"{shown} ({ty}): {ex.get(ty, 'eligible')}")
            out[u.task] = "no team may do it: " + "; ".join(parts)
        else:
            out[u.task] = u.reason
    return out


def to_tasks(work: WorkProblem, solution: Solution) -> list[Task]:
    """Dated domain tasks of a solution (unscheduled ones with no team and no dates)."""
    by_task = solution.by_task()
    out = []
    for t in work.instance.tasks:
        m = work.meta[t.id]
        a = by_task.get(t.id)
        out.append(
            Task(
                code=t.id,
                hazard_code=m.hazard_code,
                method=m.method,
                area_m2=t.area_m2,
                team=a.team if a else None,
                planned_start=work.start_date + timedelta(days=math.floor(a.start_day)) if a else None,
                planned_end=work.start_date + timedelta(days=math.floor(a.end_day)) if a else None,
            )
        )
    return out


def dispatch_order(tasks: Iterable[Task]) -> list[str]:
    """Hazard codes in the order the plan first sends a team to them (planned start, then code).

    This is the order the forecast follows; areas with no planned task come last, by code.
    """
    first: dict[str, tuple[int, date, str]] = {}
    for t in tasks:
        key = (0, t.planned_start, t.code) if t.planned_start is not None else (1, date.max, t.code)
        if t.hazard_code not in first or key < first[t.hazard_code]:
            first[t.hazard_code] = key
    return [code for code, _ in sorted(first.items(), key=lambda kv: (kv[1], kv[0]))]


@dataclass(frozen=True)
class Headline:
    weighted_completion: float  # Σ priority × end day
    mean_weighted_release_day: float  # Σ priority × end day / Σ priority over planned tasks
    km2_released_per_year: dict[int, float]
    utilisation: dict[str, float]  # share of the plan's span each asset type spends working
    planned_tasks: int
    unscheduled_tasks: int
    span_days: float

    def as_dict(self) -> dict[str, object]:
        return {
            "weighted_completion": self.weighted_completion,
            "mean_weighted_release_day": self.mean_weighted_release_day,
            "km2_released_per_year": {str(y): v for y, v in self.km2_released_per_year.items()},
            "utilisation": self.utilisation,
            "planned_tasks": self.planned_tasks,
            "unscheduled_tasks": self.unscheduled_tasks,
            "span_days": self.span_days,
        }


def headline(work: WorkProblem, solution: Solution) -> Headline:
    tasks = {t.id: t for t in work.instance.tasks}
    teams = {t.id: t for t in work.instance.teams}
    per_year: dict[int, float] = {}
    busy: dict[str, float] = {}
    wsum = 0.0
    wend = 0.0
    span = max((a.end_day for a in solution.assignments), default=0.0)
    for a in solution.assignments:
        year = (work.start_date + timedelta(days=a.end_day)).year
        per_year[year] = per_year.get(year, 0.0) + work.meta[a.task].released_m2 / 1e6
        ty = teams[a.team].type
        busy[ty] = busy.get(ty, 0.0) + (a.end_day - a.start_day)
        wsum += tasks[a.task].priority
        wend += tasks[a.task].priority * a.end_day
    count: dict[str, int] = {}
    for tm in work.instance.teams:
        count[tm.type] = count.get(tm.type, 0) + 1
    util = {ty: (busy.get(ty, 0.0) / (n * span) if span > 0 else 0.0) for ty, n in sorted(count.items())}
    return Headline(
        solution.objective,
        wend / wsum if wsum > 0 else 0.0,
        dict(sorted(per_year.items())),
        util,
        len(solution.assignments),
        len(solution.unscheduled),
        span,
    )
