"""From the register to a planning instance, and from a solution back to dated tasks.

Each open hazard area becomes the work the land-release model expects of it
(:mod:`landrelease.planning.release_model`, IMAS 07.11): an SHA gets NTS over the whole
area, TS over what the model expects TS to search, and clearance over what it expects
neither NTS to cancel nor TS to reduce; a CHA starts with TS. The expected values use the
area's own ``p_any`` (the contamination model's assessment), so a likely-clean SHA is mostly
cancelled and a likely-mined CHA mostly cleared — the same outcomes the forecast samples.
Large stages are split into work cells of at most ``cell_team_days`` so that several teams
can share an area. A task's priority is the area's score × the km² the task is expected to
release, so the objective is priority-weighted land brought back as early as possible.

Teams and rates come from the one productivity model (:mod:`landrelease.model.productivity`:
priors, the register's stated rates, calibration from daily reports): a team's rate is its
units (deminers for manual) × the per-unit median on low-clutter ground. Days are calendar
days, so a team's ``rate_m2_per_day`` in the instance is its working-day rate × working days
a year / 365, and a machine counts half its rate as clearance (the follow-up HALO says
machines need). Which team types may do a task is the one eligibility matrix
(:mod:`landrelease.planning.eligibility`). A TS or clearance task's area to process is
divided by the site factor of its conditions (clutter, vegetation, slope) for the median of
its eligible team types; NTS runs at the survey teams' rate, as in the forecast, or — in a
fleet without survey teams — at the manual teams' NTS walking rate
(:data:`~landrelease.model.productivity.NTS_PRIORS`; eligibility's ``nts_assets``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from landrelease.domain.activity import Activity
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, HazardKind
from landrelease.domain.geometry import areas_m2
from landrelease.domain.hazard import HazardArea
from landrelease.domain.task import Task
from landrelease.model.productivity import (
    LEVEL_INDEX,
    MECHANICAL_FOLLOW_UP,
    NTS_PRIORS,
    UnitRate,
    site_factor,
    unit_rates,
    units_of,
)
from landrelease.planning.eligibility import SENSITIVE_USES, exclusions, nts_assets
from landrelease.planning.instance import PlanInstance, PlanTask, PlanTeam, Solution
from landrelease.planning.priority import Priority
from landrelease.planning.release_model import (
    ReleaseModel,
    calibrate_mix,
    expected_stages,
    unassessed_p_any,
)
from landrelease.planning.settlement_links import SettlementLinks

STAGES = (ActivityKind.NTS, ActivityKind.TS, ActivityKind.CLEARANCE)
GOAL_LIFT = 100.0  # a goal's blocking areas score this many times the highest score more


class PlanningParameters(BaseModel):
    """How the register's areas become work (a settings or scenario file section)."""

    model_config = ConfigDict(extra="forbid")

    horizon_days: float = Field(default=3650.0, gt=0, description="planning horizon")
    mobilisation_days_per_km: float = Field(default=0.02, ge=0, description="days to move a team one km")
    cell_team_days: float = Field(default=30.0, gt=0, description="largest work cell, in team-days at a typical rate")
    site_conditions: bool = Field(
        default=True, description="slow work down for metal clutter, vegetation and slope, as the forecast does"
    )
    start_date: date | None = Field(default=None, description="day 0 of the plan (default: today)")
    time_limit_s: float = Field(default=20.0, gt=0, description="time the heuristic may take")
    seed: int = Field(default=0, description="seed of the local search")


def eligibility(area: HazardArea, stage: ActivityKind) -> dict[AssetType, str | None]:
    """For each team type: None if it may do ``stage`` on ``area``, else the rule that excludes it
    (the one eligibility matrix, :func:`landrelease.planning.eligibility.exclusions`)."""
    return exclusions(area, stage)


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


def plan_teams(
    teams: Sequence[Team],
    units: Mapping[AssetType, float] | None = None,
    rates: Mapping[AssetType, UnitRate] | None = None,
    availability: Mapping[AssetType, float] | None = None,
) -> tuple[PlanTeam, ...]:
    """The planner's teams: the register's, resized to ``units`` per asset type where given.

    Capacity is counted in units (deminers for manual, teams otherwise), as the forecast
    counts it; this is the one place units become teams. More units than the register's add
    teams of the register's median size for the type (8 deminers when it has none), based at
    the mean of the register's bases; fewer keep the register's teams in code order until
    the units are used up (the last one shrunk). A team's rate is its units × the per-unit
    median on low-clutter ground (× availability).

    >>> [(t.type, round(t.rate_m2_per_day)) for t in plan_teams([], {AssetType.MANUAL: 20})]
    [('manual', 240), ('manual', 240), ('manual', 120)]
    """
    rates = rates or unit_rates(teams)
    availability = availability or {}
    if teams:
        base = (float(np.mean([t.base.x for t in teams])), float(np.mean([t.base.y for t in teams])))
    else:
        base = (0.0, 0.0)
    by_type: dict[AssetType, list[Team]] = {}
    for t in sorted(teams, key=lambda t: t.code):
        by_type.setdefault(t.type, []).append(t)
    wanted = dict(units) if units is not None else {}
    out: list[PlanTeam] = []
    for ty in AssetType:
        own = by_type.get(ty, [])
        per_unit = rates[ty].median[0] * availability.get(ty, 1.0)
        have = [(t.code, units_of(t), (t.base.x, t.base.y)) for t in own]
        target = wanted.get(ty)
        if target is not None:
            kept: list[tuple[str, float, tuple[float, float]]] = []
            left = float(target)
            for code, u, b in have:
                if left <= 1e-9:
                    break
                kept.append((code, min(u, left), b))
                left -= min(u, left)
            size = float(np.median([u for _, u, _ in have])) if have else (8.0 if ty is AssetType.MANUAL else 1.0)
            n = 0
            while left > 1e-9:
                n += 1
                kept.append((f"{ty.value[:3].upper()}-X{n:03d}", min(size, left), base))
                left -= min(size, left)
            have = kept
        out += [PlanTeam(code, ty.value, u * per_unit, b) for code, u, b in have]
    return tuple(out)


def calendar_teams(teams: Sequence[PlanTeam], working_days_per_year: float = 220.0) -> tuple[PlanTeam, ...]:
    """Teams with their rate per calendar day (and a machine's rate that counts as clearance)."""
    days = working_days_per_year / 365.0
    return tuple(
        replace(
            t,
            rate_m2_per_day=t.rate_m2_per_day * days * (MECHANICAL_FOLLOW_UP if t.type == AssetType.MECHANICAL else 1),
        )
        for t in teams
    )


def site_slowdown(area: HazardArea, types: Sequence[AssetType], rates: Mapping[AssetType, UnitRate]) -> float:
    """Median site factor of the eligible types on this area (1 = ideal ground), floored at 0.1:
    vegetation and slope (``model.productivity``) × the clutter factor of the calibrated rates."""
    c = LEVEL_INDEX[area.clutter]
    factors = [
        float(
            site_factor(
                t,
                np.array([c]),
                np.array([LEVEL_INDEX[area.vegetation]]),
                np.array([area.slope_deg]),
                with_clutter=False,
            )[0]
        )
        * rates[t].clutter_factor[c]
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
    p_any: Mapping[str, float] | None = None,
    model: ReleaseModel | None = None,
    rates: Mapping[AssetType, UnitRate] | None = None,
    area_m2: Mapping[str, float] | None = None,
    working_days_per_year: float = 220.0,
    goal_areas: Collection[str] = (),
) -> WorkProblem:
    """The planning instance of the open areas of the register (pure; the caller reads the register).

    ``p_any``: each area's assessed probability of holding EO (an area missing from it takes
    the model's prior by kind); ``model``: the release model (default: calibrated to the 2022
    global split on these areas, as the forecast does); ``rates``: the unit rates of the
    productivity model (default: the priors); ``area_m2``: stored areas (default: computed);
    ``working_days_per_year``: the scenario's (its forecast section says it for both);
    ``goal_areas`` (the blocking areas of the settlements a goal names) are lifted above every
    other area: their score gains :data:`GOAL_LIFT` times the highest score (the areas' own
    priorities, as ``priorities --explain`` shows them, are unchanged).
    """
    open_areas = [a for a in areas if a.is_open]
    lift = GOAL_LIFT * max((pr.score for pr in priorities.values()), default=1.0) if goal_areas else 0.0
    goals = frozenset(goal_areas)
    teams = calendar_teams(teams, working_days_per_year)
    rates = rates or unit_rates([])
    if area_m2 is not None and all(a.code in area_m2 for a in open_areas):
        sizes = np.array([area_m2[a.code] for a in open_areas], float)
    else:
        sizes = areas_m2([a.geometry for a in open_areas]) if open_areas else np.zeros(0)
    area_of = {a.code: float(s) for a, s in zip(open_areas, sizes, strict=True)}
    prior = unassessed_p_any([a.kind for a in open_areas])
    p = np.array(
        [
            float(p_any[a.code]) if p_any is not None and a.code in p_any else float(prior[i])
            for i, a in enumerate(open_areas)
        ]
    )
    sha = np.array([a.kind is HazardKind.SHA for a in open_areas], bool)
    dense = np.array([a.land_use in SENSITIVE_USES for a in open_areas], bool)
    if model is None:
        model = calibrate_mix(sizes, p, sha, dense)
    nts_by = nts_assets(AssetType(tm.type) for tm in teams)
    survey = bool(nts_by)
    # a manual team's rate in the instance is its clearance rate: its NTS task is the area scaled
    # so that the team covers it at its NTS walking rate
    nts_scale = (
        rates[AssetType.MANUAL].median[0] / NTS_PRIORS[AssetType.MANUAL].median_m2_per_day
        if nts_by == (AssetType.MANUAL,)
        else 1.0
    )
    expected = expected_stages(sizes, p, sha, dense, model, survey=survey)
    done: dict[str, set[ActivityKind]] = {}
    for act in activities:
        if act.status == "completed":
            done.setdefault(act.hazard_code, set()).add(act.kind)
    rates_by_type: dict[str, list[float]] = {}
    for tm in teams:
        rates_by_type.setdefault(tm.type, []).append(tm.rate_m2_per_day)
    tasks: list[PlanTask] = []
    meta: dict[str, TaskMeta] = {}
    excluded: dict[str, dict[str, str]] = {}
    stage_ids: dict[str, list[list[str]]] = {}
    for i, a in enumerate(open_areas):
        score = priorities[a.code].score if a.code in priorities else 0.0
        if a.code in goals:
            score += lift
        pt = a.geometry.representative_point()
        loc = (float(pt.x), float(pt.y))
        finished = done.get(a.code, set())
        # (stage, m² to process, m² it is expected to release): the release model's expected values
        stages: list[tuple[ActivityKind, float, float]] = []
        cancelled = float(expected.cancelled_m2[i])
        clearance = float(expected.clearance_m2[i])
        if survey and expected.nts_m2[i] > 0 and ActivityKind.NTS not in finished:  # SHAs, and CHAs it may cancel
            stages.append((ActivityKind.NTS, float(expected.nts_m2[i]), cancelled))
        else:  # NTS done (it did not cancel the area, which is still open) or not possible
            clearance += cancelled
        if ActivityKind.TS not in finished and expected.ts_m2[i] > 0:
            stages.append((ActivityKind.TS, float(expected.ts_m2[i]), float(expected.reduced_m2[i])))
        else:
            clearance += float(expected.reduced_m2[i])
        stages.append((ActivityKind.CLEARANCE, clearance, clearance))
        chain: list[list[str]] = []
        prev: tuple[str, ...] = ()
        for stage, effort, released in stages:
            elig = exclusions(a, stage)
            types = tuple(ty.value for ty, why in elig.items() if why is None)
            if stage is ActivityKind.NTS:
                types = tuple(t.value for t in nts_by if elig[t] is None)
                effort = effort * nts_scale
            if params.site_conditions and types and stage is not ActivityKind.NTS:
                effort = effort / site_slowdown(a, [AssetType(t) for t in types], rates)
            present = [r for ty in types for r in rates_by_type.get(ty, [])]
            ref_rate = float(np.median(present)) if present else rates[AssetType.MANUAL].median[0] * 8
            cells = max(1, math.ceil(effort / (params.cell_team_days * ref_rate) - 1e-9))
            ids = []
            for c in range(cells):
                tid = task_code(a.code, stage, c)
                ids.append(tid)
                released_c = released / cells
                tasks.append(PlanTask(tid, effort / cells, score * released_c / 1e6, loc, types, prev, 0.0))
                meta[tid] = TaskMeta(a.code, stage, c, cells, released_c)
                excluded[tid] = {ty.value: why for ty, why in elig.items() if why is not None}
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
    return WorkProblem(instance, meta, priorities, area_of, start_date, excluded)


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


def stage_order(tasks: Iterable[Task]) -> list[tuple[str, ActivityKind]]:
    """(hazard code, stage) of each area's TS and clearance in the order the plan starts them
    (planned start, then task code): the order the forecast's queues follow for that work.

    Planned stages come first; unplanned ones are left to the forecast's default order.
    """
    first: dict[tuple[str, ActivityKind], tuple[date, str]] = {}
    for t in tasks:
        if t.planned_start is None or t.method not in (ActivityKind.TS, ActivityKind.CLEARANCE):
            continue
        key = (t.hazard_code, t.method)
        if key not in first or (t.planned_start, t.code) < first[key]:
            first[key] = (t.planned_start, t.code)
    return [k for k, _ in sorted(first.items(), key=lambda kv: (kv[1], kv[0][0], kv[0][1].value))]


class PlanOrder(list[str]):
    """The plan's order for the forecast: hazard codes in dispatch order (a list), with
    ``stages``, the order in which it starts each area's TS and clearance, and ``survey_travel``,
    the calendar days the plan's survey teams spend travelling to each area's NTS."""

    def __init__(
        self,
        codes: Iterable[str],
        stages: Iterable[tuple[str, ActivityKind]] = (),
        survey_travel: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(codes)
        self.stages: list[tuple[str, ActivityKind]] = list(stages)
        self.survey_travel: dict[str, float] = dict(survey_travel or {})


def survey_travel(
    tasks: Iterable[Task],
    locations: Mapping[str, tuple[float, float]],
    bases: Mapping[str, tuple[float, float]],
    days_per_km: float,
) -> dict[str, float]:
    """Calendar days each area's NTS costs its survey team in travel: each team's NTS tasks in
    planned order (start day, then code), from its base, at ``days_per_km`` (the plan's
    mobilisation). Survey teams' tasks are short, so travel is a large part of their time.

    >>> t = [Task(code="A/nts/1", hazard_code="A", method=ActivityKind.NTS, area_m2=1.0, team="D",
    ...           planned_start=date(2027, 1, 1), planned_end=date(2027, 1, 1))]
    >>> round(survey_travel(t, {"A": (0.0, 1.0)}, {"D": (0.0, 0.0)}, 0.02)["A"], 2)
    2.22
    """
    from landrelease.domain.geometry import haversine_km

    by_team: dict[str, list[Task]] = {}
    for t in tasks:
        if t.method is ActivityKind.NTS and t.team and t.planned_start is not None and t.hazard_code in locations:
            by_team.setdefault(t.team, []).append(t)
    out: dict[str, float] = {}
    for team, mine in by_team.items():
        at = bases.get(team)
        for t in sorted(mine, key=lambda t: (t.planned_start, t.code)):
            here = locations[t.hazard_code]
            if at is not None:
                km = float(haversine_km(at[0], at[1], here[0], here[1]))
                out[t.hazard_code] = out.get(t.hazard_code, 0.0) + km * days_per_km
            at = here
    return out


def plan_order(
    tasks: Iterable[Task],
    locations: Mapping[str, tuple[float, float]] | None = None,
    bases: Mapping[str, tuple[float, float]] | None = None,
    days_per_km: float = 0.0,
) -> PlanOrder:
    """The dispatch order, the stage order and the survey teams' travel of these planned tasks."""
    tasks = list(tasks)
    travel = survey_travel(tasks, locations, bases, days_per_km) if locations and bases and days_per_km else {}
    return PlanOrder(dispatch_order(tasks), stage_order(tasks), travel)


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
