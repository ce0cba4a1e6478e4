"""Dashboards: released land by month and method, the burn-down with the forecast's band,
team use, the plan by phase, the scenario comparison and settlements' readiness.

Each answer says ``available: false`` with "not yet computed" when what it shows (release
records, the plan, a stored forecast) does not exist yet, so the page can say so instead of
drawing an empty or invented chart. Figures come from the same use cases as the command
line and the report (the release summary, the stored forecasts, readiness).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from landrelease.services.backtest import stored_coverage
from landrelease.services.forecast import REGISTER, SCENARIO, latest_forecasts
from landrelease.services.readiness import JOINT, readiness
from landrelease.services.readiness import NOTE as READINESS_RULE
from landrelease.services.register import Register
from landrelease.services.summary import METHODS, release_summary
from landrelease.storage import dashboards as queries

NOT_YET = "not yet computed"
READINESS_NOTE = READINESS_RULE


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def released_by_month(register: Register) -> dict[str, Any]:
    """km² released per month and method (the release summary's, by month)."""
    by_month = release_summary(register).by_month
    if not by_month:
        return {"available": False, "message": NOT_YET}
    months = sorted(by_month)
    present = {m for v in by_month.values() for m, km2 in v.items() if km2 > 0}
    methods = [m for m in METHODS if m in present] + sorted(present - set(METHODS))
    return {
        "available": True,
        "months": months,
        "methods": methods,
        "unit": "km²",
        "series": {m: [round(by_month[mo].get(m, 0.0), 6) for mo in months] for m in methods},
    }


def forecast_band(register: Register) -> list[dict[str, Any]] | None:
    """P10/P50/P90 remaining km² by month from the newest stored forecast of the register."""
    runs = latest_forecasts(register, REGISTER)
    band = runs[0].get("band") if runs else None
    return list(band) if band else None


def burndown(register: Register) -> dict[str, Any]:
    """Remaining open km²: the record so far, the forecast's P10–P90 band where computed, and how
    often such a band held in the backtest against published programmes (stored, not rerun)."""
    summary = release_summary(register)
    open_now = summary.open_km2
    actual: list[dict[str, Any]] = []
    if summary.by_month:
        remaining = open_now + summary.released_km2
        first = min(summary.by_month)
        before = date(int(first[:4]), int(first[5:7]), 1) - timedelta(days=1)
        actual.append({"month": _month(before), "km2": round(remaining, 6)})
        for mo in sorted(summary.by_month):
            remaining -= sum(summary.by_month[mo].values())
            actual.append({"month": mo, "km2": round(remaining, 6)})
    band = forecast_band(register)
    return {
        "available": bool(actual) or band is not None,
        "open_km2": round(open_now, 6),
        "actual": actual,
        "band": band,
        "band_message": None if band else NOT_YET,
        "band_coverage": stored_coverage(),
    }


def utilisation(register: Register) -> dict[str, Any]:
    """Planned working days per team and month, as a share of the month's working days."""
    with register.reading() as conn:
        rows = queries.planned_team_spans(conn)
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


def scenarios(register: Register, years: int = 5) -> dict[str, Any]:
    """The newest stored scenario comparison: km² released after ``years`` (P10/P50/P90 each)."""
    runs = latest_forecasts(register, SCENARIO)
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


def plan_phases(register: Register) -> dict[str, Any]:
    """The plan by phase (quarter of planned start): tasks, hazard areas, km², first start, last end."""
    with register.reading() as conn:
        rows = queries.planned_tasks(conn)
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


def settlement_readiness(register: Register) -> dict[str, Any]:
    """Each settlement by date: ready, waiting (joint P10/P50/P90 over the forecast's runs, and
    its critical areas) or unknown."""
    rows = [r.as_dict() for r in readiness(register)]
    return {"available": bool(rows), "quantiles": JOINT, "settlements": rows, "note": READINESS_NOTE}


def returns_overview(register: Register) -> dict[str, Any]:
    """People coming home: each settlement's joint readiness (by date), the accepted
    consolidations, and the housing allocation in figures (no names: for every reader)."""
    from landrelease.services import consolidation, housing

    rows = [r.as_dict() for r in readiness(register)]
    names = {s.code: s.name for s in register.settlements()}
    done = [
        {
            "settlement": c["settlement"],
            "name": names.get(c["settlement"], c["settlement"]),
            "former": [{"code": f, "name": names.get(f, f)} for f in c["former"]],
            "site": c.get("site"),
        }
        for c in consolidation.accepted(register)
    ]
    alloc = housing.current_allocation(register)
    waiting: dict[str, int] = {}
    for a in alloc:
        if a["status"] != "allocated":
            waiting[a["settlement"]] = waiting.get(a["settlement"], 0) + 1
    housed = sum(a["status"] == "allocated" for a in alloc)
    return {
        "available": bool(rows),
        "quantiles": JOINT,
        "settlements": rows,
        "consolidations": done,
        "households": len(alloc),
        "housed": housed,
        "waiting": len(alloc) - housed,
        "waiting_by_settlement": dict(sorted(waiting.items())),
        "note": READINESS_NOTE,
    }
