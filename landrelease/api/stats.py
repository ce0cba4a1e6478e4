"""Figures for the dashboards: released land by month and method, burn-down, team use, scenarios.

Each answer says ``available: false`` with "not yet computed" when the engine that
produces it (release records, the planner, the forecast) has not written anything yet, so
the page can say so instead of drawing an empty or invented chart.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, func, select

from landrelease.api.auth import Principal, current_principal
from landrelease.domain.enums import HazardStatus
from landrelease.storage import schema
from landrelease.storage.forecasts import REGISTER, SCENARIO, latest_batch

router = APIRouter(prefix="/api/stats", tags=["dashboards"])
Reader = Annotated[Principal, Depends(current_principal)]
NOT_YET = "not yet computed"


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def released_by_month(conn: Connection) -> dict[str, Any]:
    rp = schema.released_part
    rows = conn.execute(select(rp.c.released_on, rp.c.method, rp.c.area_m2)).all()
    if not rows:
        return {"available": False, "message": NOT_YET}
    series: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for released_on, method, m2 in rows:
        series[method][_month(released_on)] += m2 / 1e6
    months = sorted({m for s in series.values() for m in s})
    methods = [m for m in ("cancelled", "reduced", "cleared") if m in series] + sorted(
        set(series) - {"cancelled", "reduced", "cleared"}
    )
    return {
        "available": True,
        "months": months,
        "methods": methods,
        "unit": "km²",
        "series": {m: [round(series[m].get(mo, 0.0), 6) for mo in months] for m in methods},
    }


def burndown(conn: Connection) -> dict[str, Any]:
    """Remaining open km²: the record so far, and the forecast's P10–P90 band where computed."""
    h, rp = schema.hazard_area, schema.released_part
    open_now = (
        float(
            conn.execute(
                select(func.coalesce(func.sum(h.c.area_m2), 0.0)).where(
                    h.c.status.in_([HazardStatus.OPEN.value, HazardStatus.IN_PROGRESS.value])
                )
            ).scalar_one()
        )
        / 1e6
    )
    rows = conn.execute(
        select(rp.c.released_on, func.sum(rp.c.area_m2)).group_by(rp.c.released_on).order_by(rp.c.released_on)
    ).all()
    actual: list[dict[str, Any]] = []
    if rows:
        released_total = sum(float(r[1]) for r in rows) / 1e6
        remaining = open_now + released_total
        by_month: dict[str, float] = defaultdict(float)
        for d, m2 in rows:
            by_month[_month(d)] += float(m2) / 1e6
        first = min(r[0] for r in rows)
        before = first.replace(day=1) - timedelta(days=1)
        actual.append({"month": _month(before), "km2": round(remaining, 6)})
        for mo in sorted(by_month):
            remaining -= by_month[mo]
            actual.append({"month": mo, "km2": round(remaining, 6)})
    band = forecast_band(conn)
    return {
        "available": bool(actual) or band is not None,
        "open_km2": round(open_now, 6),
        "actual": actual,
        "band": band,
        "band_message": None if band else NOT_YET,
    }


def forecast_band(conn: Connection) -> list[dict[str, Any]] | None:
    """P10/P50/P90 remaining km² by month from the newest stored forecast of the register."""
    runs = latest_batch(conn, REGISTER)
    return list(runs[0]["band"]) if runs else None


def utilisation(conn: Connection) -> dict[str, Any]:
    """Planned working days per team and month, as a share of the month's working days."""
    t = schema.task
    rows = conn.execute(
        select(t.c.team_code, t.c.planned_start, t.c.planned_end).where(
            t.c.team_code.is_not(None), t.c.planned_start.is_not(None)
        )
    ).all()
    if not rows:
        return {"available": False, "message": NOT_YET}
    busy: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for team, start, end in rows:
        end = end or start
        d = start
        for _ in range(366 * 3):
            if d > end:
                break
            if d.weekday() < 6:
                busy[team][_month(d)] += 1
            d += timedelta(days=1)
    months = sorted({m for b in busy.values() for m in b})[:24]
    teams = sorted(busy)
    capacity = 26  # six working days a week
    return {
        "available": True,
        "months": months,
        "teams": teams,
        "share": {tm: [round(min(1.0, busy[tm].get(m, 0) / capacity), 3) for m in months] for tm in teams},
    }


def scenarios(conn: Connection, years: int = 5) -> dict[str, Any]:
    """The newest stored scenario comparison: km² released after ``years`` (P10/P50/P90 each)."""
    runs = latest_batch(conn, SCENARIO)
    if not runs:
        return {"available": False, "message": NOT_YET}
    at = str(min([years, *[int(r["horizon_years"]) for r in runs]]))
    rows = []
    for r in runs:
        q = r["released_km2_at_years"].get(at, {})
        rows.append(
            {
                "name": r["name"],
                "p10": q.get("p10"),
                "p50": q.get("p50"),
                "p90": q.get("p90"),
                "headline": r["headline"],
                "share_released_by": r["share_released_by"],
            }
        )
    return {
        "available": True,
        "unit": f"km² released after {at} years",
        "created_at": runs[0]["created_at"].isoformat() if runs[0]["created_at"] else None,
        "scenarios": rows,
    }


@router.get("/released", summary="Released km² by month and method")
def released(request: Request, _: Reader) -> dict[str, Any]:
    with request.app.state.register.reading() as conn:
        return released_by_month(conn)


@router.get("/burndown", summary="Remaining open km²: record so far and forecast band")
def burn_down(request: Request, _: Reader) -> dict[str, Any]:
    with request.app.state.register.reading() as conn:
        return burndown(conn)


@router.get("/utilisation", summary="Team utilisation by month (planned)")
def team_utilisation(request: Request, _: Reader) -> dict[str, Any]:
    with request.app.state.register.reading() as conn:
        return utilisation(conn)


@router.get("/scenarios", summary="Scenario comparison (forecast)")
def scenario_comparison(request: Request, _: Reader) -> dict[str, Any]:
    with request.app.state.register.reading() as conn:
        return scenarios(conn)


@router.get("/readiness", summary="When settlements can come back (from the stored forecast)")
def readiness(request: Request, _: Reader) -> dict[str, Any]:
    """Each settlement: ready, waiting (with the ready month P10/P50/P90) or unknown; cached per data version."""
    from landrelease.api.tiles import data_version
    from landrelease.returns.readiness import settlement_readiness
    from landrelease.storage.repository import HazardFilter

    state = request.app.state
    register = state.register
    with register.reading() as conn:
        version = data_version(conn)
    cached = getattr(state, "readiness", None)
    if cached is None or cached[0] != version:
        items = settlement_readiness(register.settlements(), register.hazard_areas(HazardFilter(open_only=True)))
        cached = (version, [r.as_dict() for r in items])
        state.readiness = cached
    rows = cached[1]
    return {
        "available": bool(rows),
        "settlements": rows,
        "note": "ready month = the latest of the blocking areas' forecast months, per quantile "
        "(a lower bound on the true quantile)",
    }


@router.get("/summary", summary="What the register holds")
def summary(request: Request, _: Reader) -> dict[str, Any]:
    return request.app.state.register.inventory()


def plan_phases(conn: Connection) -> dict[str, Any]:
    """The plan by phase (quarter of planned start): tasks, hazard areas, km², first start, last end."""
    t = schema.task
    rows = conn.execute(
        select(t.c.hazard_id, t.c.area_m2, t.c.planned_start, t.c.planned_end).where(t.c.planned_start.is_not(None))
    ).all()
    if not rows:
        return {"available": False, "message": NOT_YET}
    first = min(r.planned_start for r in rows)
    phases: dict[int, dict[str, Any]] = {}
    for r in rows:
        n = 1 + ((r.planned_start.year - first.year) * 12 + r.planned_start.month - first.month) // 3
        p = phases.setdefault(
            n,
            {
                "phase": n,
                "tasks": 0,
                "hazard_areas": set(),
                "km2": 0.0,
                "start": r.planned_start,
                "end": r.planned_end or r.planned_start,
            },
        )
        p["tasks"] += 1
        p["hazard_areas"].add(r.hazard_id)
        p["km2"] += r.area_m2 / 1e6
        p["start"] = min(p["start"], r.planned_start)
        p["end"] = max(p["end"], r.planned_end or r.planned_start)
    out = []
    for n in sorted(phases):
        p = phases[n]
        out.append({**p, "hazard_areas": len(p["hazard_areas"]), "km2": round(p["km2"], 6)})
    return {"available": True, "phases": out}


@router.get("/plan", summary="The plan by phase (quarters of planned start)")
def plan(request: Request, _: Reader) -> dict[str, Any]:
    with request.app.state.register.reading() as conn:
        return plan_phases(conn)
