"""The forecast as the report shows it: a burn-down of open land with its P10–P90 band.

The report asks the forecast engine (:mod:`landrelease.planning.forecast`) for a Monte-Carlo
forecast of the register's open areas with the register's fleet, seeded so that the same
register gives the same report. When the engine is not installed, or the register has
nothing to forecast, the report says so in words instead of drawing a chart.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from pyproj import CRS

from landrelease.model.geometry import areas_m2
from landrelease.storage.repository import HazardFilter, Register

DEFAULT_RUNS = 300
HORIZON_YEARS = 10


@dataclass(slots=True)
class ForecastView:
    """Open km² over time: P10 (optimistic, less left), P50, P90; finish dates by quantile."""

    dates: list[date]
    p10_km2: list[float]
    p50_km2: list[float]
    p90_km2: list[float]
    finish: dict[str, date | None] = field(default_factory=dict)  # "P10"/"P50"/"P90" → date (None: beyond)
    headline: str = ""
    note: str = ""
    runs: int = 0
    seed: int = 0


def _trim(burn: np.ndarray, keep_after: int = 6, at_least: int = 24) -> int:
    """How many points of the burn-down to show: until the P90 curve is (nearly) done, plus a margin."""
    start = float(burn[2, 0]) if burn.shape[1] else 0.0
    done = np.nonzero(burn[2] <= 0.005 * start)[0]
    end = int(done[0]) + keep_after if len(done) else burn.shape[1]
    return int(min(burn.shape[1], max(end, at_least)))


def _p_any(areas: list[Any]) -> tuple[np.ndarray | None, str]:
    values = [a.extra.get("p_any") if isinstance(a.extra, dict) else None for a in areas]
    if values and all(isinstance(v, int | float) for v in values):
        return np.asarray(values, dtype=float), "contamination probabilities from the contamination model"
    return None, "contamination probabilities from the evidence (the contamination model has not been run)"


def burn_down(
    register: Register, crs: CRS, *, start: date, seed: int, runs: int = DEFAULT_RUNS
) -> tuple[ForecastView | None, str]:
    """A burn-down forecast of the register's open land, or None and the reason in words."""
    if runs <= 0:
        return None, "No forecast was asked for with this report."
    try:
        engine = importlib.import_module("landrelease.planning.forecast")
    except ImportError:
        return None, "The forecast engine is not available in this version of landrelease."
    run = getattr(engine, "forecast", None)
    portfolio_type = getattr(engine, "Portfolio", None)
    capacity_type = getattr(engine, "Capacity", None)
    if not (callable(run) and portfolio_type is not None and capacity_type is not None):
        return None, "This version of the forecast engine offers no forecast of a register."
    areas = register.hazard_areas(HazardFilter(open_only=True))
    if not areas:
        return None, "No open hazard area is left to forecast."
    teams = register.teams()
    if not teams:
        return None, "The register holds no teams, so there is no capacity to forecast with."
    try:
        area = areas_m2([a.geometry for a in areas], crs)
        p_any, p_source = _p_any(areas)
        portfolio = portfolio_type.from_hazard_areas(areas, area, evidence=register.evidence(), p_any=p_any)
        capacity = capacity_type.from_teams(teams)
        result = run(portfolio, capacity, runs=runs, seed=seed, start=start, horizon_years=HORIZON_YEARS)
        burn = np.asarray(result.burn_down_km2(), dtype=float)
        n = _trim(burn)
        dates: list[date] = [result.start]
        for m in range(n - 1):
            end = result.month_end(m)
            if end is None:  # only beyond the horizon, which the burn-down never reaches
                raise ValueError(f"no date for month {m} of the forecast")
            dates.append(end)
        finish = {
            f"P{round(q * 100)}": result.day_to_date(float(d))
            for q, d in zip((0.1, 0.5, 0.9), result.overall_days_q, strict=True)
        }
        notes = "; ".join(str(x) for x in getattr(result, "notes", []))
    except Exception as exc:  # the report stands without a forecast; it says why
        return None, f"The forecast could not be computed: {exc}"
    return (
        ForecastView(
            dates=dates,
            p10_km2=burn[0, :n].tolist(),
            p50_km2=burn[1, :n].tolist(),
            p90_km2=burn[2, :n].tolist(),
            finish=finish,
            headline=str(result.headline()),
            note=f"{runs} simulated futures (seed {seed}) from {start.isoformat()} with the register's teams; "
            f"{p_source}. {notes}",
            runs=runs,
            seed=seed,
        ),
        "",
    )
