"""Engine commands: calibrate, forecast (registered on the shared app when imported).

The work is the forecast use case's (:mod:`landrelease.services.forecast`); this module
reads the options, prints tables and draws charts. ``demo_step`` and ``compare_demo_step``
are the demo's forecast steps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from landrelease.cli.base import app, console, err_console, fail, open_register, settings
from landrelease.domain.errors import LandreleaseError, Problem, ValidationError

if TYPE_CHECKING:
    import numpy as np

    from landrelease.planning.forecast import ForecastResult
    from landrelease.services.register import Register

ChartOption = Annotated[Path | None, typer.Option("--chart", help="write a chart (.png or .svg)")]


def _charts() -> ModuleType:
    """The chart module, imported when a command draws (matplotlib takes ~0.3 s to import)."""
    from landrelease.cli import forecast_charts

    return forecast_charts


def compare_demo_step(
    register: Register, console: Console, output_dir: Path, dispatch_order: Sequence[str] | None = None
) -> dict[str, Any]:
    """For ``landrelease demo``: today's capacity against +200 deminers and +20 dogs, stored for
    the dashboards, printed side by side and drawn as one chart."""
    from landrelease.services.forecast import builtin_scenarios, compare_scenarios

    results = compare_scenarios(
        register, builtin_scenarios(), dispatch_order=dispatch_order, runs=300, seed=settings().seed, store=True
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    chart = _charts().comparison_chart(results, output_dir / "scenario-comparison.png")
    console.print(comparison_table(results))
    console.print(f"Scenario chart: {chart}", highlight=False)
    data = comparison_data(results, [r.name for r in results])
    data["chart"] = str(chart)
    return data


def demo_step(
    register: Register, console: Console, output_dir: Path, dispatch_order: Sequence[str] | None = None
) -> dict[str, Any]:
    """For ``landrelease demo``: forecast the register, print the headline with its band, write
    the burn-down chart, and store each area's forecast for the map. Returns the forecast as
    plain data plus ``chart`` (its path)."""
    from landrelease.services.forecast import forecast_register, store_forecast

    result = forecast_register(register, dispatch_order=dispatch_order, runs=500, seed=settings().seed)
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
    import numpy as np

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


# ---------------------------------------------------------------- commands


@app.command("calibrate")
def calibrate_command(
    as_json: Annotated[bool, typer.Option("--json", help="print machine-readable output")] = False,
    chart: ChartOption = None,
) -> None:
    """Productivity rates per asset type × metal clutter: prior vs posterior from the daily reports."""
    from landrelease.model.productivity import LEVELS
    from landrelease.services.forecast import register_calibration

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
    from landrelease.services.forecast import (
        compare_scenarios,
        dask_mapper,
        forecast_register,
        read_scenario,
        store_forecast,
        stored_dispatch_order,
    )

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
        specs = [read_scenario(p) for p in (scenario or [])]
        stored = 0
        with (
            dask_mapper(scheduler) as (mapper, groups),
            open_register(cfg) as register,
            _progress("forecasting"),
        ):
            dispatch = stored_dispatch_order(register) if order == "plan" else None
            if not specs:
                results = [
                    forecast_register(
                        register,
                        dispatch_order=dispatch,
                        runs=runs or 1000,
                        seed=cfg.seed if seed is None else seed,
                        horizon_years=horizon,
                        mapper=mapper,
                        groups=groups,
                    )
                ]
                if store:
                    stored = store_forecast(register, results[0])
            else:
                results = compare_scenarios(
                    register,
                    specs,
                    dispatch_order=dispatch,
                    runs=runs,
                    seed=seed,
                    mapper=mapper,
                    groups=groups,
                    store=store,
                )
                stored = len(results) if store else 0
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
