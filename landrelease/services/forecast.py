"""Forecast: when the register's open land is released, P10/P50/P90, and what more capacity would change.

Reads the open hazard areas with their stored areas and assessments in one query, the
evidence (for areas the model has not assessed), the fleet and its calibration, and the
stored plan's dispatch order; runs the Monte-Carlo forecast of the core; stores it (each
area's release months, and every run's month where the core keeps them) in one unit of
work. Readers get stored forecasts from here, never by running one again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from importlib import resources
from typing import Any

import numpy as np

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.results import AreaForecast, JointRelease
from landrelease.planning.forecast import ForecastResult, Mapper, forecast
from landrelease.planning.release_model import SPLIT_DRAWS, posterior_mixes
from landrelease.planning.scenario import ScenarioSpec, parse_scenario
from landrelease.services.plan import stored_dispatch_order
from landrelease.services.portfolio import (
    register_calibration,
    register_capacity,
    register_learned_split,
    register_portfolio,
    release_model_for,
)
from landrelease.services.register import Register
from landrelease.storage import forecasts as stored
from landrelease.storage.forecasts import REGISTER, SCENARIO, ForecastRecord

DEFAULT_SEED = 20201110
"""The settings' default seed: the same register gives the same forecast."""
SPLIT_STREAM = 7
"""Second word of the seed of the split draws' stream (the runs' streams come from the seed alone)."""

__all__ = [
    "REGISTER",
    "SCENARIO",
    "area_forecast",
    "area_forecasts",
    "builtin_scenarios",
    "compare_scenarios",
    "dask_mapper",
    "forecast_record",
    "forecast_register",
    "joint_release",
    "latest_forecasts",
    "read_scenario",
    "register_calibration",
    "register_capacity",
    "register_learned_split",
    "register_portfolio",
    "store_comparison",
    "store_forecast",
    "stored_dispatch_order",
]


# ---------------------------------------------------------------- what the register holds


@contextmanager
def dask_mapper(scheduler: str | None) -> Iterator[tuple[Mapper | None, int | None]]:
    """Run the forecast's blocks on the Dask cluster at ``scheduler`` (None: in this process);
    yields the mapper and how many groups to split the runs into."""
    if not scheduler:
        yield None, None
        return
    from distributed import Client

    from landrelease.planning.execution import dask, dask_workers

    try:
        client = Client(scheduler, timeout=5)
    except (OSError, TimeoutError) as exc:
        raise ValidationError(
            [
                Problem(
                    f"cannot reach the Dask scheduler: {exc}",
                    field="--scheduler",
                    found=scheduler,
                    expected="tcp://HOST:PORT of a running scheduler",
                )
            ],
            "forecast refused",
        ) from None
    try:
        yield dask(client), 2 * dask_workers(client)
    finally:
        client.close()


# ---------------------------------------------------------------- forecasting


def forecast_register(
    register: Register,
    *,
    dispatch_order: Sequence[str] | None = None,
    runs: int = 1000,
    seed: int | None = None,
    horizon_years: int = 10,
    start: date | None = None,
    mapper: Mapper | None = None,
    groups: int | None = None,
    scenario: ScenarioSpec | None = None,
) -> ForecastResult:
    """Forecast the register as it is (or under ``scenario``): its open areas, evidence, teams.

    ``dispatch_order``: hazard codes; a plan's order (:class:`~landrelease.planning.workplan.PlanOrder`,
    from :func:`~landrelease.services.plan.stored_dispatch_order`) also orders each area's TS
    and clearance as the plan does."""
    seed = DEFAULT_SEED if seed is None else seed
    a = scenario.forecast if scenario else None
    portfolio, p_source = register_portfolio(register, a.record_reliability if a else None)
    fleet = register_capacity(register)
    capacity = scenario.build_capacity(fleet) if scenario else fleet
    learned = register_learned_split(register)
    mix = release_model_for(portfolio, a, learned)
    fixed_mix = a is not None and bool(a.release_mix or not a.release_by_survey)
    draws = (
        None
        if fixed_mix
        else posterior_mixes(
            learned,
            min(runs, SPLIT_DRAWS),
            np.random.default_rng([seed, SPLIT_STREAM]),
            portfolio.area_m2,
            [str(r) for r in portfolio.region],
            portfolio.p_any,
            portfolio.sha,
            portfolio.dense_site,
        )
    )
    result = forecast(
        portfolio,
        capacity,
        mix=mix,
        dispatch_order=dispatch_order,
        stage_order=getattr(dispatch_order, "stages", None),
        survey_travel=getattr(dispatch_order, "survey_travel", None),
        horizon_years=a.horizon_years if a else horizon_years,
        runs=runs,
        seed=seed,
        working_days_per_year=float(a.working_days_per_year) if a else 220.0,
        start=(a.start if a and a.start else start),
        mapper=mapper,
        groups=groups,
        name=scenario.name if scenario else "the register as it is",
        keep_run_months=True,  # stored, so readiness takes joint quantiles over the runs
        mix_draws=draws,
    )
    result.notes.insert(0, p_source)
    if not fixed_mix:
        result.notes = [n for n in result.notes if not n.startswith("release mix calibrated to the 2022 global split")]
        result.notes.append(
            f"release mix learned from {learned.n_areas} hazard area(s) with recorded release, shrunk to the "
            f"2022 global split ({learned.strength:g} areas' worth), by region and hazard kind: overall "
            + ", ".join(f"{m.value} {v:.0%}" for m, v in learned.overall.items())
            + f"; each run draws its split from the Dirichlet posterior ({len(draws or ())} draws), so the band "
            "carries how little or much release is recorded"
        )
    return result


def forecast_record(result: ForecastResult, *, per_area: bool = True) -> ForecastRecord:
    """A forecast as storage keeps it: its figures, its calendar, each area's release months
    and, where the core kept them, every run's (``area_run_month``, areas × runs)."""
    months = result.months
    month_ends = [result.month_end(m) for m in range(months)]
    if any(d is None for d in month_ends):
        raise ValueError("a month within the horizon has no end date")
    run_months = getattr(result, "area_run_month", None)
    if run_months is not None and np.shape(run_months) != (len(result.codes), result.runs):
        run_months = None  # the core kept no per-run months for this forecast
    return ForecastRecord(
        name=result.name,
        seed=result.seed,
        runs=result.runs,
        start=result.start,
        horizon_years=result.horizon_years,
        month_ends=[d for d in month_ends if d is not None],
        result=result.as_dict(per_area=False),
        codes=[str(c) for c in result.codes],
        area_m2=np.asarray(result.area_m2, dtype=float),
        months_q=np.asarray(result.area_month_q, dtype=int),
        p_released=np.asarray(result.area_done_share, dtype=float),
        p_any=np.asarray(result.p_any, dtype=float) if len(result.p_any) == len(result.codes) else None,
        outcome_p=np.asarray(result.outcome_p, dtype=float) if len(result.outcome_p) == len(result.codes) else None,
        run_months=np.asarray(run_months, dtype=np.uint16) if run_months is not None else None,
        per_area=per_area,
    )


def store_forecast(register: Register, result: ForecastResult, *, actor: str = "forecast") -> int:
    """Store the register's forecast (its figures and each area's release) in one audited unit
    of work, for the map, the API, the dashboards, readiness and the report. Returns the
    areas stored."""
    with register.unit_of_work(actor=actor) as uow:
        stored.save_forecasts(uow, REGISTER, [forecast_record(result)])
    return len(result.codes)


def compare_scenarios(
    register: Register,
    scenarios: Sequence[ScenarioSpec],
    *,
    dispatch_order: Sequence[str] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    mapper: Mapper | None = None,
    groups: int | None = None,
    store: bool = False,
) -> list[ForecastResult]:
    """Forecast the register under each scenario (each with its own runs and seed unless
    given), along the same dispatch order; stored as one batch when asked (the dashboards'
    comparison)."""
    results = [
        forecast_register(
            register,
            dispatch_order=dispatch_order,
            runs=runs or s.forecast.runs,
            seed=seed if seed is not None else s.forecast.seed,
            mapper=mapper,
            groups=groups,
            scenario=s,
        )
        for s in scenarios
    ]
    if store:
        store_comparison(register, results)
    return results


def store_comparison(register: Register, results: Sequence[ForecastResult], *, actor: str = "forecast") -> str:
    """Store scenarios forecast together as one batch (the dashboards' scenario comparison)."""
    with register.unit_of_work(actor=actor) as uow:
        return stored.save_forecasts(uow, SCENARIO, [forecast_record(r) for r in results])


def builtin_scenarios() -> list[ScenarioSpec]:
    """The sample scenarios shipped with the package: today's capacity, and +200 deminers, +20 dogs."""
    folder = resources.files("landrelease.samples") / "scenarios"
    names = ("today.yaml", "more-deminers-and-dogs.yaml")
    return [parse_scenario((folder / n).read_text(encoding="utf-8"), n) for n in names]


def read_scenario(path: Any) -> ScenarioSpec:
    """A scenario file (YAML or TOML), refused with the reason when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            [Problem(f"cannot read the scenario file: {exc.strerror}", source=str(path))], "scenario refused"
        ) from None
    return parse_scenario(text, str(path))


# ---------------------------------------------------------------- stored forecasts


def latest_forecasts(register: Register, kind: str = REGISTER) -> list[dict[str, Any]]:
    """The newest stored batch of ``kind`` (register or scenario), each run's figures as plain data."""
    with register.reading() as conn:
        return stored.latest_batch(conn, kind)


def area_forecasts(register: Register, codes: Sequence[str] | None = None) -> dict[str, AreaForecast]:
    """Each area's release in the newest stored forecast of the register, by code."""
    with register.reading() as conn:
        return stored.area_forecasts(conn, codes)


def area_forecast(register: Register, code: str) -> AreaForecast | None:
    return area_forecasts(register, [code]).get(code)


def joint_release(register: Register, codes: Sequence[str]) -> JointRelease | None:
    """When all of ``codes`` are released together (joint P10/P50/P90 over the stored runs)."""
    with register.reading() as conn:
        return stored.joint_release(conn, codes)
