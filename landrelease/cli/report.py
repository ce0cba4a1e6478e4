"""`landrelease report`: the monthly land release report as HTML or PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from landrelease.cli.base import app, console, fail, open_register
from landrelease.domain.errors import LandreleaseError

if TYPE_CHECKING:
    from landrelease.services.register import Register
    from landrelease.services.report_data import MonthlyReport


def _summary(report: MonthlyReport) -> str:
    return (
        f"{report.period.label}: {report.released_period_m2 / 1e6:,.3f} km² released "
        f"({len(report.released_in_period)} parts), {len(report.finds_in_period)} items found, "
        f"{report.open_m2 / 1e6:,.2f} km² open"
    )


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="report.html or report.pdf (the suffix picks the format)")],
    period: Annotated[
        str | None, typer.Option("--period", help="calendar month YYYY-MM (default: the latest month with activity)")
    ] = None,
    forecast: Annotated[
        bool, typer.Option("--forecast/--no-forecast", help="show the stored forecast (landrelease forecast --store)")
    ] = True,
) -> None:
    """Write the monthly report for the authority and donors: figures, map, charts, plan, forecast."""
    from landrelease.reports.render import check_output, render_html, write_pdf
    from landrelease.services.report_data import Period, gather, latest_period, parse_period

    try:
        check_output(out)
        chosen = parse_period(period) if period is not None else None
    except LandreleaseError as exc:
        raise fail(exc) from None
    with (
        open_register() as register,
        Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        ) as progress,
    ):
        step = progress.add_task("reading the register", total=None)
        if chosen is None:
            chosen = latest_period(register) or Period.of(datetime.now(UTC).date())
        report = gather(register, chosen, with_forecast=forecast)
        progress.update(step, description="drawing the map and charts")
        rendered = render_html(report)
        if out.suffix.lower() == ".pdf":
            progress.update(step, description="printing the PDF")
            write_pdf(rendered.html, out)
        else:
            out.write_text(rendered.html, encoding="utf-8")
    console.print(_summary(report))
    console.print(f"report written: [bold]{out}[/]")


def demo_step(register: Register, console: Console, output_dir: Path) -> dict[str, Any]:
    """For `landrelease demo`: report.html and report.pdf for the latest month with activity.

    Returns the paths, the period and the headline figure; a register with no activity yet
    gets a report for the current month that says so.
    """
    from landrelease.reports.render import render_html, write_pdf
    from landrelease.services.report_data import Period, gather, latest_period

    output_dir.mkdir(parents=True, exist_ok=True)
    period = latest_period(register) or Period.of(datetime.now(UTC).date())
    report = gather(register, period)
    rendered = render_html(report)
    html_path, pdf_path = output_dir / "report.html", output_dir / "report.pdf"
    html_path.write_text(rendered.html, encoding="utf-8")
    write_pdf(rendered.html, pdf_path)
    console.print(f"[bold]Monthly report[/] {_summary(report)}")
    console.print(f"  {html_path}")
    console.print(f"  {pdf_path}")
    return {
        "period": period.key,
        "html": html_path,
        "pdf": pdf_path,
        "released_km2": report.released_period_m2 / 1e6,
        "released_to_date_km2": report.released_cumulative_m2 / 1e6,
        "open_km2": report.open_m2 / 1e6,
    }
