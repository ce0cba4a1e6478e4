"""Readiness: when each settlement can come back (its land, access routes and farmland
released, and its reconstruction done), as joint P10/P50/P90 over the stored forecast's runs.

Reads the settlements, the open hazard areas and every run's release month of each area in
the newest stored forecast; the rule is the core's (:mod:`landrelease.returns.readiness`).
One definition for the command line, the API, the map, the dashboard and the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from landrelease.domain.blocking import DEFAULT_FARMLAND_RING_M, DEFAULT_ROUTE_BUFFER_M
from landrelease.domain.errors import Problem, ValidationError
from landrelease.returns.bring_forward import (
    BringForward,
    Goal,
    areas_first,
    delay_km2_days,
    goal_month,
    p50_months,
    share_ready_by,
)
from landrelease.returns.readiness import (
    JOINT,
    READY,
    UNKNOWN,
    WAITING,
    Readiness,
    RunMonths,
    settlement_readiness,
)
from landrelease.returns.reconstruction import programme_end
from landrelease.services.register import HazardFilter, Register
from landrelease.storage import forecasts as stored
from landrelease.storage import returns as stored_returns

if TYPE_CHECKING:
    from landrelease.planning.scenario import ScenarioSpec
    from landrelease.services.plan import PlanResult

__all__ = [
    "JOINT",
    "NOTE",
    "READY",
    "UNKNOWN",
    "WAITING",
    "Readiness",
    "bring_forward",
    "find_settlement",
    "forecast_run_months",
    "goal_outcomes",
    "readiness",
    "reconstruction_after",
    "share_ready",
    "stored_run_months",
]

NOTE = (
    "A settlement is ready when the open hazard areas on its footprint, within "
    f"{DEFAULT_ROUTE_BUFFER_M:g} m of its access routes and on its farmland (a ring of "
    f"{DEFAULT_FARMLAND_RING_M:g} m unless the settlement sets its own) are released, and its reconstruction "
    "(where it has a programme) is done. P10/P50/P90 are joint quantiles over the forecast's runs: in each run "
    "the latest release among its blocking areas. Critical areas are last in the largest share of runs (areas "
    "released in the same month share a run). "
    "Unknown: a blocking area has no per-run forecast (run `landrelease forecast --store`)."
)


def stored_run_months(register: Register, codes: Sequence[str]) -> RunMonths:
    """Every run's release month of each area in ``codes`` (rows in that order) from the
    newest stored forecast; areas it does not hold are marked unknown."""
    with register.reading() as conn:
        by_code, run = stored.run_months(conn, codes)
    if run is None or not by_code:
        return RunMonths(np.zeros((len(codes), 0), np.uint16), np.zeros(len(codes), bool), 0, [])
    n_runs = int(run.runs)
    months = np.zeros((len(codes), n_runs), dtype=np.uint16)
    known = np.zeros(len(codes), dtype=bool)
    for i, c in enumerate(codes):
        m = by_code.get(c)
        if m is not None and len(m) == n_runs:
            months[i] = m
            known[i] = True
    ends = [date.fromisoformat(d) for d in (run.month_ends or [])]
    return RunMonths(months, known, int(run.horizon_years) * 12, ends)


def readiness(
    register: Register,
    *,
    route_buffer_m: float = DEFAULT_ROUTE_BUFFER_M,
    after: Mapping[str, np.ndarray] | None = None,
) -> list[Readiness]:
    """Each settlement's readiness from the stored forecast's runs, by date (ready first).

    ``after``: per-run months before which a settlement cannot be ready (its reconstruction);
    by default read from the stored reconstruction programmes.
    """
    areas = register.hazard_areas(HazardFilter(open_only=True))
    runs = stored_run_months(register, [a.code for a in areas])
    unknown: dict[str, list[str]] = {}
    if after is None:
        after, unknown = reconstruction_after(register, [a.code for a in areas], runs)
    return settlement_readiness(
        register.settlements(), areas, runs, route_buffer_m=route_buffer_m, after=after, after_unknown=unknown
    )


def reconstruction_after(
    register: Register, open_codes: Sequence[str], runs: RunMonths
) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Per-run end month of each settlement's stored reconstruction programme; and the
    settlements whose programme has an open plot without per-run months (with those plots)."""
    with register.reading() as conn:
        progs = stored_returns.programmes(conn)
    if not progs:
        return {}, {}
    row = {c: i for i, c in enumerate(open_codes)}
    ends: dict[str, np.ndarray] = {}
    unknown: dict[str, list[str]] = {}
    for code, items in progs.items():
        plots = {p for i in items for p in i.plots}
        blind = sorted(p for p in plots if p in row and not runs.known[row[p]])
        if blind or runs.runs == 0:
            unknown[code] = blind
            continue
        released = {p: runs.months[row[p]] for p in plots if p in row}
        ends[code], _ = programme_end(items, released, runs.runs)
    return ends, unknown


def find_settlement(items: Sequence[Readiness], name: str) -> list[Readiness]:
    """The settlements whose code or name is ``name`` (case-insensitive); refused, naming the
    field, when none is."""
    want = name.strip().casefold()
    hits = [r for r in items if r.code.casefold() == want or r.name.casefold() == want]
    if not hits:
        raise ValidationError(
            [Problem("no settlement with this name or code", field="--settlement", found=name)],
            "readiness refused",
        )
    return hits


def bring_forward(
    register: Register, settlement: str, *, runs: int = 200, seed: int | None = None, goal: date | None = None
) -> BringForward:
    """Re-forecast with the settlement's blocking areas first in the plan's order (same runs
    and seed as a re-forecast along the plan's own order): its new joint P50, the settlements
    that move later, and the km²·days of delay elsewhere; with ``goal``, whether the
    settlement is ready by then at P50/P80 in either order. Nothing is stored."""
    from landrelease.planning.workplan import PlanOrder
    from landrelease.services.plan import stored_dispatch_order

    items = readiness(register)
    (target,) = find_settlement(items, settlement)[:1]
    if not target.blocking:
        raise ValidationError(
            [Problem("nothing holds this settlement up", record=target.code, field="--settlement", found=settlement)],
            "nothing to bring forward",
        )
    stored_order = stored_dispatch_order(register)
    base_order: list[str] = stored_order or []
    areas = register.hazard_areas(HazardFilter(open_only=True))
    codes = [a.code for a in areas]
    by_code = {a.code: a for a in areas}
    results = []
    # the variant keeps the plan's survey travel; its areas' TS and clearance follow its own order
    first = PlanOrder(
        areas_first(base_order or codes, target.blocking),
        survey_travel=stored_order.survey_travel if stored_order is not None else None,
    )
    for order in (stored_order, first):
        rm = forecast_run_months(register, codes, order, runs=runs, seed=seed)
        results.append((rm, {r.code: r for r in settlement_readiness(register.settlements(), areas, rm)}))
    (before, r0), (after, r1) = results
    t0, t1 = r0[target.code], r1[target.code]
    m0 = t0.months[1] if t0.months else 0
    m1 = t1.months[1] if t1.months else 0
    delayed = tuple(
        (c, r0[c].ready_by.get("p50"), r1[c].ready_by.get("p50"))
        for c in sorted(r0)
        if c != target.code
        and r0[c].months is not None
        and r1[c].months is not None
        and r1[c].months[1] > r0[c].months[1]  # type: ignore[index]
    )
    km2 = np.array([(by_code[c].area_m2 or 0.0) / 1e6 for c in codes])
    exclude = np.array([c in set(target.blocking) for c in codes], dtype=bool)
    cost = delay_km2_days(km2, p50_months(before.months), p50_months(after.months), exclude)
    verdict = None
    if goal is not None:
        rows = np.flatnonzero(exclude)
        shares = [share_ready(register, target.code, codes, rows, rm, goal) for rm in (before, after)]
        verdict = Goal(goal, shares[0], shares[1])
    return BringForward(
        target.code, t0.ready_by.get("p50"), t1.ready_by.get("p50"), m0 - m1, delayed, cost, runs, verdict
    )


def forecast_run_months(
    register: Register, codes: Sequence[str], order: Sequence[str] | None, *, runs: int, seed: int | None
) -> RunMonths:
    """Every run's release month of each area in ``codes`` (rows in that order), forecast along
    ``order`` (None: the register's default order); nothing is stored."""
    from landrelease.services.forecast import forecast_register

    res = forecast_register(register, dispatch_order=order, runs=runs, seed=seed)
    row = {str(c): i for i, c in enumerate(res.codes)}
    months = np.zeros((len(codes), res.runs), dtype=np.uint16)
    known = np.zeros(len(codes), dtype=bool)
    kept = res.area_run_month
    for i, c in enumerate(codes):
        if c in row and kept is not None:
            months[i] = kept[row[c]]
            known[i] = True
    ends = [res.month_end(m) for m in range(res.months)]
    return RunMonths(months, known, res.months, [d for d in ends if d is not None])


def share_ready(
    register: Register, settlement: str, codes: Sequence[str], rows: np.ndarray, rm: RunMonths, by: date
) -> float:
    """Share of runs in which the settlement is back by ``by``: its blocking areas (``rows`` of
    ``codes``) released and its reconstruction done."""
    latest = rm.months[rows].max(axis=0).astype(np.int64) if len(rows) else np.zeros(rm.runs, np.int64)
    rebuilt, _ = reconstruction_after(register, codes, rm)
    if settlement in rebuilt:
        latest = np.maximum(latest, rebuilt[settlement])
    return share_ready_by(latest, goal_month(rm.month_ends, by))


def goal_outcomes(
    register: Register, result: PlanResult, scenario: ScenarioSpec, *, runs: int = 200, seed: int | None = None
) -> dict[str, Any]:
    """Whether the plan meets each of the scenario's goals at P50/P80, and what the goals cost
    the others: the plan is forecast along its own order and along the plan made without the
    goals (same runs and seed); per goal the share of runs in which the settlement is back by
    its date in each; and the km²·days by which the areas no goal needs are released later.
    With the plan stored, ``readiness --settlement X --goal D`` says the same ("plan")."""
    from landrelease.services.plan import plan_register, resolve_goals

    goals = resolve_goals(register, scenario.plan.goals)
    if not goals:
        return {"goals": [], "km2_days_delay_elsewhere": 0.0, "runs": runs, "quantiles": JOINT}
    plain_spec = scenario.model_copy(update={"plan": scenario.plan.model_copy(update={"goals": ()})})
    without = plan_register(register, plain_spec, start_date=result.work.start_date, store=False)
    areas = register.hazard_areas(HazardFilter(open_only=True))
    codes = [a.code for a in areas]
    row = {c: i for i, c in enumerate(codes)}
    blocking = {r.code: r.blocking for r in readiness(register)}
    with_goals = forecast_run_months(register, codes, result.dispatch_order() or None, runs=runs, seed=seed)
    plain = forecast_run_months(register, codes, without.dispatch_order() or None, runs=runs, seed=seed)
    needed = {c for s, _ in goals for c in blocking.get(s.code, ())}
    exclude = np.array([c in needed for c in codes], dtype=bool)
    km2 = np.array([(a.area_m2 or 0.0) / 1e6 for a in areas])
    cost = delay_km2_days(km2, p50_months(plain.months), p50_months(with_goals.months), exclude)
    out = []
    for s, by in goals:
        rows = np.array([row[c] for c in blocking.get(s.code, ()) if c in row], dtype=np.int64)
        share = share_ready(register, s.code, codes, rows, with_goals, by)
        share0 = share_ready(register, s.code, codes, rows, plain, by)
        out.append(
            {
                "settlement": s.code,
                "name": s.name,
                "by": by.isoformat(),
                "blocking": sorted(blocking.get(s.code, ())),
                "share_of_runs_ready_by_then": round(share, 4),
                "met_p50": share >= 0.5,
                "met_p80": share >= 0.8,
                "without_goals": {"share": round(share0, 4), "met_p50": share0 >= 0.5, "met_p80": share0 >= 0.8},
            }
        )
    return {"goals": out, "km2_days_delay_elsewhere": round(cost, 3), "runs": runs, "quantiles": JOINT}
