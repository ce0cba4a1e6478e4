"""Engine commands: calibrate, forecast (registered on the shared app when imported).

Also what the demo, the web dashboards and the reports call: :func:`forecast_register`
(a :class:`ForecastResult`), :func:`forecast_data` (the same as plain data: headline,
burn-down band, release by month and method, per-area dates), :func:`store_forecast`
(each area's forecast into its ``extra['forecast']`` for the map) and :func:`demo_step`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from landrelease.cli.app import app, console, err_console, fail, open_register, settings
from landrelease.domain.errors import LandreleaseError, Problem, ValidationError
from landrelease.domain.geometry import areas_m2
from landrelease.model.productivity import LEVELS, Calibration, calibrate
from landrelease.planning.forecast import Capacity, ForecastResult, Mapper, Portfolio, forecast
from landrelease.planning.release_mix import (
    CLEARANCE_ALONE,
    ReleaseMix,
    calibrate_mix,
    default_p_any,
    expected_items,
    level_index,
)
from landrelease.planning.scenario import ScenarioSpec, parse_scenario
from landrelease.storage.forecasts import REGISTER, SCENARIO, save_forecasts
from landrelease.storage.repository import HazardFilter, Register, merge_hazard_extra

ChartOption = Annotated[Path | None, typer.Option("--chart", help="write a chart (.png or .svg)")]


# ---------------------------------------------------------------- what the register holds


def register_calibration(register: Register) -> Calibration:
    """Posterior rates from the register's daily reports (priors: its teams' stated rates)."""
    clutter = {a.code: a.clutter for a in register.hazard_areas(HazardFilter(include_superseded=True))}
    return calibrate(register.daily_reports(), register.teams(), clutter)


def register_portfolio(register: Register, record_reliability: float | None = None) -> tuple[Portfolio, str]:
    """The register's open hazard areas with their probability of holding any EO, and where
    that probability came from.

    ``p_any`` (and the expected items) come from the contamination model where
    ``landrelease model`` has stored them in the area's ``extra``; otherwise from the simple
    rule of :func:`~landrelease.planning.release_mix.default_p_any`. A scenario's
    ``record_reliability`` asks for the rule everywhere (the model's results were computed
    with the records' own reliabilities).
    """
    areas = register.hazard_areas(HazardFilter(open_only=True))
    if not areas:
        raise ValidationError(
            [Problem("the register holds no open hazard area", check="forecast")], "nothing to forecast"
        )
    area = areas_m2([a.geometry for a in areas])
    evidence = register.evidence([a.code for a in areas])
    codes = [a.code for a in areas]
    p_rule = default_p_any([a.kind for a in areas], codes, evidence, record_reliability)
    items_rule = expected_items(area, level_index(a.density for a in areas))
    stored = np.full(len(areas), np.nan)
    for i, a in enumerate(areas):
        v = a.extra.get("p_any") if isinstance(a.extra, dict) else None
        if isinstance(v, int | float) and 0 <= v <= 1:
            stored[i] = float(v)
    modelled = ~np.isnan(stored) & (record_reliability is None)
    p_any = np.where(modelled, stored, p_rule)
    items = items_rule.copy()
    for i, a in enumerate(areas):
        e = a.extra.get("expected_items") if modelled[i] else None
        if isinstance(e, int | float) and p_any[i] > 0:
            items[i] = float(e) / p_any[i]
    n = int(modelled.sum())
    if n == len(areas):
        source = "probability of contamination from the contamination model"
    elif n:
        source = (
            f"probability of contamination from the contamination model for {n} of {len(areas)} areas, "
            "the rest from the evidence rule"
        )
    else:
        source = "probability of contamination from the evidence rule (run `landrelease model` for the cell model)"
    portfolio = Portfolio.from_hazard_areas(areas, area, p_any=p_any, items_if_contaminated=items)
    return portfolio, source


def register_capacity(register: Register, calibration: Calibration | None = None) -> Capacity:
    """The register's fleet, with rates calibrated from its daily reports when it has any."""
    teams = register.teams()
    if calibration is None:
        calibration = register_calibration(register)
    return Capacity.from_teams(teams, calibration if calibration.used else None)


def stored_plan_order(register: Register) -> list[str] | None:
    """Hazard codes in the stored plan's dispatch order (``landrelease plan``), or None if no plan is stored."""
    from landrelease.planning.workplan import dispatch_order

    tasks = register.tasks()
    return dispatch_order(tasks) if tasks else None


def _mapper(scheduler: str | None) -> tuple[Mapper | None, int | None, Any]:
    if not scheduler:
        return None, None, None
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
    return dask(client), 2 * dask_workers(client), client


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
    """Forecast the register as it is (or under ``scenario``): its open areas, evidence, teams."""
    seed = settings().seed if seed is None else seed
    a = scenario.assumptions if scenario else None
    portfolio, p_source = register_portfolio(register, a.record_reliability if a else None)
    fleet = register_capacity(register)
    capacity = scenario.build_capacity(fleet) if scenario else fleet
    mix: ReleaseMix
    if a is not None and not a.release_by_survey:
        mix = CLEARANCE_ALONE
    else:
        target = a.release_mix.target() if a is not None and a.release_mix is not None else None
        mix = calibrate_mix(portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site, target)
    result = forecast(
        portfolio,
        capacity,
        mix=mix,
        dispatch_order=dispatch_order,
        horizon_years=a.horizon_years if a else horizon_years,
        runs=runs,
        seed=seed,
        working_days_per_year=float(a.working_days_per_year) if a else 220.0,
        start=(a.start if a and a.start else start),
        mapper=mapper,
        groups=groups,
        name=scenario.name if scenario else "the register as it is",
    )
    result.notes.insert(0, p_source)
    return result


def forecast_data(register: Register, *, per_area: bool = True, **kwargs: Any) -> dict[str, Any]:
    """The register's forecast as plain data (JSON-ready) for the web dashboards and reports:
    headline, overall/region/area P10/P50/P90 dates, burn-down series with bands, km²
    released per month by method with bands. ``kwargs`` go to :func:`forecast_register`."""
    return forecast_register(register, **kwargs).as_dict(per_area=per_area)


def _charts() -> ModuleType:
    """The chart module, imported when a command draws (matplotlib takes ~0.3 s to import)."""
    from landrelease.cli import forecast_charts

    return forecast_charts


def store_forecast(register: Register, result: ForecastResult, *, actor: str = "forecast") -> int:
    """Write each forecast area's summary into its ``extra['forecast']`` (one audited unit of
    work), where the map's side panel and the API read it. Returns the areas updated."""
    values = {code: {"forecast": item} for code, item in result.area_summaries().items()}
    with register.unit_of_work(actor=actor) as uow:
        save_forecasts(uow, REGISTER, [result.as_dict(per_area=False)])
        return merge_hazard_extra(uow, values, source=f"landrelease forecast ({result.runs} runs, seed {result.seed})")


def store_comparison(register: Register, results: Sequence[ForecastResult], *, actor: str = "forecast") -> str:
    """Store scenarios forecast together as one batch (the dashboards' scenario comparison)."""
    with register.unit_of_work(actor=actor) as uow:
        return save_forecasts(uow, SCENARIO, [r.as_dict(per_area=False) for r in results])


def compare_demo_step(
    register: Register, console: Console, output_dir: Path, dispatch_order: Sequence[str] | None = None
) -> dict[str, Any]:
    """For ``landrelease demo``: today's capacity against +200 deminers and +20 dogs, stored for
    the dashboards, printed side by side and drawn as one chart."""
    results = [
        forecast_register(register, dispatch_order=dispatch_order, runs=300, scenario=s) for s in builtin_scenarios()
    ]
    store_comparison(register, results)
    output_dir.mkdir(parents=True, exist_ok=True)
    chart = _charts().comparison_chart(results, output_dir / "scenario-comparison.png")
    console.print(comparison_table(results))
    console.print(f"Scenario chart: {chart}", highlight=False)
    data = comparison_data(results, [r.name for r in results])
    data["chart"] = str(chart)
    return data


def builtin_scenarios() -> list[ScenarioSpec]:
    """The sample scenarios shipped with the package: today's capacity, and +200 deminers, +20 dogs."""
    folder = resources.files("landrelease.samples") / "scenarios"
    names = ("today.yaml", "more-deminers-and-dogs.yaml")
    return [parse_scenario((folder / n).read_text(encoding="utf-8"), n) for n in names]


def demo_step(
    register: Register, console: Console, output_dir: Path, dispatch_order: Sequence[str] | None = None
) -> dict[str, Any]:
    """For ``landrelease demo``: forecast the register, print the headline with its band, write
    the burn-down chart, and store each area's forecast for the map. Returns the forecast as
    plain data plus ``chart`` (its path)."""
    result = forecast_register(register, dispatch_order=dispatch_order, runs=500)
    store_forecast(register, result)
    output_dir.mkdir(parents=True, exist_ok=True)
    chart = _charts().burn_down_chart(result, output_dir / "forecast-burn-down.png")
    console.print(f"[bold]Forecast[/] ({result.runs} runs): {result.headline()}", highlight=False)
    console.print(f"Burn-down chart: {chart}", highlight=False)
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False)
    data = result.as_dict(per_area=True)
    data["chart"] = str(chart)
    return data


# ---------------------------------------------------------------- printing


def _km2(v: np.ndarray) -> str:
    if np.any(np.isnan(v)):
        return "–"
    return f"{v[1]:,.0f} ({v[0]:,.0f}–{v[2]:,.0f})"


def _years(v: np.ndarray, horizon: int) -> str:
    def one(x: float) -> str:
        return f"{x:.1f}" if math.isfinite(x) else f">{horizon}"

    return f"{one(v[1])} ({one(v[0])}–{one(v[2])})"


def _date_band(result: ForecastResult, days: np.ndarray) -> str:
    ds = [result.day_to_date(float(d)) for d in days]
    f = [d.strftime("%Y-%m") if d else f">{result.horizon_years}y" for d in ds]
    return f"{f[1]} ({f[0]} – {f[2]})"


def forecast_tables(result: ForecastResult) -> list[Table]:
    """Rich tables: the release over time, and completion per region."""
    t = Table(title=f"Released km² (P50, P10–P90) of {result.total_m2 / 1e6:,.1f} km²", title_justify="left")
    t.add_column("by the end of")
    t.add_column("released km²", justify="right")
    for y in (1, 2, 5, 10):
        if y <= result.horizon_years:
            t.add_row(f"year {y}", _km2(result.released_at_years(y)))
    for s in (0.5, 0.9):
        t.add_row(f"{int(s * 100)} % released (years)", _years(result.years_to_share(s), result.horizon_years))
    split = ", ".join(f"{m.value} {v:.0%}" for m, v in result.expected_split.items())
    t.caption = f"expected release mix: {split}"
    r = Table(title="All hazard areas released (P50, P10–P90)", title_justify="left")
    r.add_column("region")
    r.add_column("areas", justify="right")
    r.add_column("date", justify="right")
    r.add_row("[bold]overall[/]", f"{len(result.codes):,}", _date_band(result, result.overall_days_q))
    for j, region in enumerate(result.regions):
        r.add_row(region, f"{result.region_areas[j]:,}", _date_band(result, result.region_days_q[:, j]))
    return [t, r, areas_table(result)]


def areas_table(result: ForecastResult, limit: int = 15) -> Table:
    """The first hazard areas in dispatch order with their release month (P50, P10–P90)."""

    def month(m: int) -> str:
        d = result.month_end(int(m))
        return d.strftime("%Y-%m") if d else f">{result.horizon_years}y"

    shown = min(limit, len(result.codes))
    t = Table(title=f"Hazard areas in dispatch order (first {shown}; --json for all)", title_justify="left")
    for col in ("hazard area", "km²", "released by (P50)", "P10 – P90"):
        t.add_column(col, justify="left" if col == "hazard area" else "right")
    for i in range(shown):
        q = result.area_month_q[i]
        t.add_row(
            str(result.codes[i]), f"{result.area_m2[i] / 1e6:,.3f}", month(q[1]), f"{month(q[0])} – {month(q[2])}"
        )
    return t


def comparison_table(results: Sequence[ForecastResult]) -> Table:
    t = Table(title="Scenarios compared (P50, P10–P90)", title_justify="left")
    t.add_column("")
    for r in results:
        t.add_column(r.name, justify="right")
    for y in (1, 2, 5, 10):
        t.add_row(f"released km², year {y}", *[_km2(r.released_at_years(y)) for r in results])
    for s in (0.5, 0.9):
        t.add_row(
            f"years to {int(s * 100)} % released", *[_years(r.years_to_share(s), r.horizon_years) for r in results]
        )
    t.add_row("all released", *[_date_band(r, r.overall_days_q) for r in results])
    return t


def comparison_data(results: Sequence[ForecastResult], files: Sequence[str]) -> dict[str, Any]:
    rows = []
    for r, f in zip(results, files, strict=True):
        d = r.as_dict(per_area=False)
        d["file"] = f
        d["years_to_share_released"] = {
            f"{int(s * 100)}%": {
                f"p{int(q * 100)}": (float(v) if math.isfinite(v) else None)
                for q, v in zip((0.1, 0.5, 0.9), r.years_to_share(s), strict=True)
            }
            for s in (0.5, 0.9)
        }
        rows.append(d)
    return {"scenarios": rows}


@contextmanager
def _progress(description: str) -> Iterator[None]:
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, transient=True
    ) as progress:
        progress.add_task(description, total=None)
        yield


def _read_scenario(path: Path) -> ScenarioSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            [Problem(f"cannot read the scenario file: {exc.strerror}", source=str(path))], "scenario refused"
        ) from None
    return parse_scenario(text, str(path))


# ---------------------------------------------------------------- commands


@app.command("calibrate")
def calibrate_command(
    as_json: Annotated[bool, typer.Option("--json", help="print machine-readable output")] = False,
    chart: ChartOption = None,
) -> None:
    """Productivity rates per asset type × metal clutter: prior vs posterior from the daily reports."""
    try:
        if chart is not None:
            _charts().check_chart_path(chart)
        with open_register() as register:
            cal = register_calibration(register)
    except LandreleaseError as exc:
        raise fail(exc) from None
    if chart is not None:
        _charts().calibration_chart(cal, chart)
    if as_json:
        out = cal.as_dict()
        if chart is not None:
            out["chart"] = str(chart)
        typer.echo(json.dumps(out))
        return
    t = Table(title=f"Productivity (m²/day per unit): {cal.used} daily report(s) used", title_justify="left")
    for col in ("asset", "clutter", "reports", "prior median (σ)", "observed median", "posterior median (σ)"):
        t.add_column(col, justify="left" if col in ("asset", "clutter") else "right")
    for (asset, lv), e in cal.estimates.items():
        t.add_row(
            asset.value if lv is LEVELS[0] else "",
            lv.value,
            f"{e.n_reports:,}",
            f"{e.prior_median:,.0f} ({e.prior_sigma:.2f})",
            f"{e.observed_median:,.0f}" if e.observed_median is not None else "–",
            f"{e.posterior_median:,.0f} ({e.posterior_sigma:.2f})",
        )
    console.print(t)
    for reason, n in sorted(cal.skipped.items()):
        console.print(f"[yellow]not used[/]: {n} report(s): {reason}")
    if chart is not None:
        console.print(f"Chart written to {chart}")


@app.command("forecast")
def forecast_command(
    scenario: Annotated[
        list[Path] | None, typer.Option("--scenario", help="scenario file (YAML or TOML); repeat to compare")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print machine-readable output")] = False,
    chart: ChartOption = None,
    runs: Annotated[int | None, typer.Option(min=1, max=100_000, help="Monte-Carlo runs (default 1000)")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="random seed (same seed, same numbers)")] = None,
    horizon: Annotated[int, typer.Option(min=1, max=100, help="horizon in years (without a scenario)")] = 10,
    scheduler: Annotated[
        str | None, typer.Option(help="run on a Dask cluster: tcp://HOST:PORT (default: in-process)")
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="store the forecast in the register: each area's (map, API) and the burn-down band; "
            "with --scenario, the comparison (dashboards)",
        ),
    ] = False,
    order: Annotated[
        str,
        typer.Option(
            help="dispatch order: 'plan' (the stored plan's, else land use) or 'land-use' "
            "(roads/rail, cemeteries and religious sites, settlements, farmland, infrastructure, the rest)"
        ),
    ] = "plan",
) -> None:
    """Forecast land release: P10/P50/P90 dates, km² released by method, burn-down; compare scenarios."""
    cfg = settings()
    scheduler = scheduler or cfg.dask_scheduler
    try:
        if chart is not None:
            _charts().check_chart_path(chart)
        if order not in ("plan", "land-use"):
            raise ValidationError(
                [Problem("unknown dispatch order", field="--order", found=order, expected="plan or land-use")],
                "forecast refused",
            )
        specs = [_read_scenario(p) for p in (scenario or [])]
        stored = 0
        mapper, groups, client = _mapper(scheduler)
        try:
            with open_register(cfg) as register, _progress("forecasting"):
                dispatch = stored_plan_order(register) if order == "plan" else None
                if not specs:
                    results = [
                        forecast_register(
                            register,
                            dispatch_order=dispatch,
                            runs=runs or 1000,
                            seed=seed,
                            horizon_years=horizon,
                            mapper=mapper,
                            groups=groups,
                        )
                    ]
                    if store:
                        stored = store_forecast(register, results[0])
                else:
                    results = [
                        forecast_register(
                            register,
                            dispatch_order=dispatch,
                            runs=runs or s.assumptions.runs,
                            seed=seed if seed is not None else s.assumptions.seed,
                            mapper=mapper,
                            groups=groups,
                            scenario=s,
                        )
                        for s in specs
                    ]
                    if store:
                        store_comparison(register, results)
                        stored = len(results)
        finally:
            if client is not None:
                client.close()
    except LandreleaseError as exc:
        raise fail(exc) from None
    if store:
        what = "scenario forecasts (the dashboards' comparison)" if specs else "hazard areas' forecasts"
        err_console.print(f"Stored {stored:,} {what} in the register.")
    if chart is not None:
        if specs:
            _charts().comparison_chart(results, chart)
        else:
            _charts().burn_down_chart(results[0], chart)
    if as_json:
        out = results[0].as_dict() if not specs else comparison_data(results, [str(p) for p in scenario or []])
        if chart is not None:
            out["chart"] = str(chart)
        typer.echo(json.dumps(out))
        return
    if specs:
        console.print(comparison_table(results))
        for r in results:
            console.print(f"[bold]{r.name}[/]: {r.headline()}", highlight=False)
    else:
        r = results[0]
        console.print(f"[bold]Forecast[/] ({r.runs} runs, seed {r.seed}): {r.headline()}", highlight=False)
        for t in forecast_tables(r):
            console.print(t)
    for note in dict.fromkeys(n for r in results for n in r.notes):
        console.print(f"[dim]note: {note}[/]", highlight=False)
    if chart is not None:
        console.print(f"Chart written to {chart}")
