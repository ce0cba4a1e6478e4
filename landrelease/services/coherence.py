"""Coherence: plan the register and forecast it along the plan, and compare the two accounts."""

from __future__ import annotations

from datetime import date

import numpy as np

from landrelease.planning.coherence import Coherence, compare, plan_cumulative_km2
from landrelease.planning.scenario import PlanSpec, ScenarioSpec
from landrelease.planning.workplan import PlanningParameters
from landrelease.services.forecast import forecast_register
from landrelease.services.plan import PlanResult, plan_register
from landrelease.services.register import Register


def plan_km2_by_month(result: PlanResult, months: int) -> np.ndarray:
    """The plan's cumulative released km² at each month end."""
    a = result.solution.assignments
    end = np.array([x.end_day for x in a], float)
    released = np.array([result.work.meta[x.task].released_m2 for x in a], float)
    return plan_cumulative_km2(end, released, months)


def plan_and_forecast(
    register: Register,
    *,
    start: date,
    runs: int = 1000,
    seed: int = 0,
    time_limit_s: float = 10.0,
    months: int = 60,
    store: bool = False,
) -> Coherence:
    """Plan the register (stored when asked), forecast it along the plan's dispatch order from the
    same start, and compare the plan's cumulative release with the forecast's band."""
    scenario = ScenarioSpec(plan=PlanSpec(planning=PlanningParameters(time_limit_s=time_limit_s, start_date=start)))
    plan = plan_register(register, scenario, store=store)
    fc = forecast_register(register, dispatch_order=plan.dispatch_order(), runs=runs, seed=seed, start=start)
    return compare(plan_km2_by_month(plan, fc.months), fc.cumulative_m2 / 1e6, months)
