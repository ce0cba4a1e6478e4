"""``landrelease backtest PROGRAMME.yaml``: the forecast against a programme's published release."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from landrelease.cli.base import app, console, fail
from landrelease.domain.errors import LandreleaseError

if TYPE_CHECKING:
    from landrelease.services.backtest import BacktestResult


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


def backtest_chart(result: BacktestResult, path: Path) -> Path:
    """Each year's P10–P90 band with its P50, and the published release as a dot."""
    from landrelease.cli import forecast_charts as charts

    plt = charts.plt
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    rows = [r for r in result.rows if math.isfinite(r.p50_km2)]
    for r in rows:
        ax.vlines(r.year, r.p10_km2, r.p90_km2, color="#377eb8", lw=8, alpha=0.45)
        ax.hlines(r.p50_km2, r.year - 0.18, r.year + 0.18, color="#377eb8", lw=2)
    pub = [r for r in result.rows if r.published_km2 is not None]
    colours = ["#4daf4a" if r.inside else ("#e41a1c" if r.scored else "#999999") for r in pub]
    ax.scatter(
        [r.year for r in pub], [r.published_km2 or 0.0 for r in pub], c=colours, zorder=3, s=36, label="published"
    )
    ax.set_xticks([r.year for r in result.rows])
    ax.set_ylabel("km² released in the year")
    cov = "–" if result.coverage is None else f"{result.coverage:.0%}"
    ax.set_title(
        f"{result.programme}: forecast P10–P90 (bar), P50 (tick), published (dot)\n"
        f"coverage {cov} of {len(result.scored)} scored years, sharpness P90/P10 {_fmt(result.sharpness, 1)}",
        fontsize=10,
    )
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    return charts._save(fig, path)


def _chart_path(chart: Path, programme: str, several: bool) -> Path:
    """One chart per programme: ``out.png`` for one, ``out-<programme>.png`` for several."""
    if not several:
        return chart
    slug = "".join(ch if ch.isalnum() else "-" for ch in programme.lower()).strip("-")
    return chart.with_name(f"{chart.stem}-{slug}{chart.suffix}")


def _print_result(result: BacktestResult) -> None:
    table = Table(title=f"{result.programme}: published release against the forecast (km² in the year)")
    for col in ("year", "published", "P10", "P50", "P90", "inside", "capacity", "notes"):
        table.add_column(col, justify="right" if col in ("published", "P10", "P50", "P90") else "left")
    for r in result.rows:
        inside = "–" if r.inside is None else ("yes" if r.inside else "no")
        if not r.scored:
            inside += " (not scored)"
        cap = ", ".join(f"{v:g} {k}" for k, v in r.capacity.items()) or "–"
        table.add_row(
            str(r.year),
            _fmt(r.published_km2),
            _fmt(r.p10_km2),
            _fmt(r.p50_km2),
            _fmt(r.p90_km2),
            inside,
            cap,
            "; ".join(r.notes),
        )
    console.print(table)
    cov = (
        "no year could be scored" if result.coverage is None else f"{result.coverage:.0%} of {len(result.scored)} years"
    )
    console.print(f"coverage (published inside P10–P90): {cov}")
    console.print(f"sharpness (median P90/P10): {_fmt(result.sharpness, 2)}")
    for a in result.assumptions:
        console.print(f"[dim]assumption: {a}[/dim]")


@app.command("backtest")
def backtest_command(
    programmes: Annotated[list[Path], typer.Argument(help="programme file(s) (landrelease/samples/programmes/*.yaml)")],
    as_json: Annotated[bool, typer.Option("--json", help="print machine-readable output")] = False,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="write a chart (.png or .svg; one per programme when several)")
    ] = None,
    runs: Annotated[
        int | None, typer.Option(min=10, max=100_000, help="Monte-Carlo runs (default: the backtest's)")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="random seed (same seed, same numbers)")] = 0,
    prior: Annotated[
        str,
        typer.Option(
            help="others: leave-one-out prior from the other shipped programmes' published capacity and release; "
            "published: the published per-unit rates and the 2022 global split"
        ),
    ] = "others",
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="write the pooled summary as JSON (landrelease/samples/programmes/backtest-summary.json is "
            "what the dashboard shows)",
        ),
    ] = None,
) -> None:
    """Forecast published programmes from their start with their published capacity (never their
    published release) and show, per year, the published km² against our P10/P50/P90; then the
    coverage (share inside P10–P90) and the sharpness (median P90/P10), per programme and, for
    several files, over all of them."""
    from landrelease.services.backtest import (
        DEFAULT_RUNS,
        backtest_programmes,
        read_programme,
        summary_record,
        write_summary,
    )

    runs = DEFAULT_RUNS if runs is None else runs
    several = len(programmes) > 1
    if prior not in ("others", "published"):
        raise fail(f"--prior must be 'others' or 'published', not {prior!r}")
    try:
        if chart is not None:
            from landrelease.cli import forecast_charts

            forecast_charts.check_chart_path(chart)
        progs = [read_programme(p) for p in programmes]
        names = ", ".join(p.programme for p in progs)
        with console.status(f"forecasting {names} ({runs} runs)…"):
            summary = backtest_programmes(
                progs, runs=runs, seed=seed, prior="others" if prior == "others" else "published"
            )
        if save is not None:
            write_summary(save, summary_record(summary, runs=runs, seed=seed, prior=prior))
        charts_written = []
        if chart is not None:
            for result in summary.results:
                charts_written.append(backtest_chart(result, _chart_path(chart, result.programme, several)))
    except LandreleaseError as exc:
        raise fail(exc) from None
    if as_json:
        data = summary.results[0].as_dict() if not several else summary.as_dict()
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for result in summary.results:
        _print_result(result)
    if several:
        cov = (
            "no year could be scored"
            if summary.coverage is None
            else f"{summary.coverage:.0%} of {len(summary.scored)} years "
            f"({', '.join(r.programme for r in summary.results if r.scored)})"
        )
        console.print(
            f"[bold]over all {len(summary.results)} programmes[/bold]: coverage {cov}; "
            f"sharpness (median P90/P10) {_fmt(summary.sharpness, 2)}"
        )
    for path in charts_written:
        console.print(f"chart: {path}")
