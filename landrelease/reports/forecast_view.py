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

import numpy as np
from sqlalchemy import select

from landrelease.domain.enums import HazardStatus
from landrelease.domain.errors import LandreleaseError
from landrelease.storage import schema
from landrelease.storage.repository import Register

DEFAULT_RUNS = 500
OPEN = (HazardStatus.OPEN.value, HazardStatus.IN_PROGRESS.value)
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


def _plan_order(register: Register) -> tuple[list[str] | None, str]:
    """The stored plan's dispatch order over the areas still open (a report never plans: it reads)."""
    tasks = register.tasks()
    if not tasks:
        return None, "in the default priority order (no plan is stored)"
    try:
        workplan = importlib.import_module("landrelease.planning.workplan")
    except ImportError:
        return None, "in the default priority order"
    h = schema.hazard_area
    with register.reading() as conn:
        open_codes = {c for (c,) in conn.execute(select(h.c.code).where(h.c.status.in_(OPEN)))}
    order = [c for c in workplan.dispatch_order(tasks) if c in open_codes]
    return order, f"along the stored plan ({len(tasks):,} tasks)"


def burn_down(
    register: Register, *, start: date, seed: int, runs: int = DEFAULT_RUNS
) -> tuple[ForecastView | None, str]:
    """A burn-down forecast of the register's open land, or None and the reason in words.

    Uses the register forecast that the demo and the dashboards use
    (``landrelease.cli.engine.forecast_register``), along the stored plan when there is one.
    """
    if runs <= 0:
        return None, "No forecast was asked for with this report."
    try:
        engine = importlib.import_module("landrelease.cli.engine")
    except ImportError:
        return None, "The forecast engine is not available in this version of landrelease."
    forecast_register = getattr(engine, "forecast_register", None)
    if not callable(forecast_register):
        return None, "This version of the forecast engine offers no forecast of a register."
    if not register.teams():
        return None, "The register holds no teams, so there is no capacity to forecast with."
    h = schema.hazard_area
    with register.reading() as conn:
        if not conn.execute(select(h.c.id).where(h.c.status.in_(OPEN)).limit(1)).first():
            return None, "No open hazard area is left to forecast."
    try:
        order, how = _plan_order(register)
        result = forecast_register(register, dispatch_order=order, runs=runs, seed=seed, start=start)
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
    except LandreleaseError as exc:
        return None, f"The forecast could not be computed: {exc}"
    except Exception as exc:  # the report stands without a forecast; it says why
        return None, f"The forecast could not be computed ({type(exc).__name__}: {exc})."
    return (
        ForecastView(
            dates=dates,
            p10_km2=burn[0, :n].tolist(),
            p50_km2=burn[1, :n].tolist(),
            p90_km2=burn[2, :n].tolist(),
            finish=finish,
            headline=str(result.headline()),
            note=f"{runs} simulated futures (seed {seed}) from {start.isoformat()} with the register's teams, "
            f"{how}. {notes}".strip(),
            runs=runs,
            seed=seed,
        ),
        "",
    )
