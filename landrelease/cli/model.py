"""`landrelease model`: where the EO probably is, area by area, from the register's evidence.

Runs the assess use case (the contamination model over the open hazard areas, each area's
assessment stored for the map, the API and the forecast), prints the areas most likely to be
contaminated, and optionally writes the grid as a GeoTIFF and the cells as a GeoPackage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from landrelease.cli.base import app, console, fail, open_register, settings
from landrelease.domain.errors import LandreleaseError

if TYPE_CHECKING:
    from landrelease.services.assess import ModelRun
    from landrelease.services.register import Register


def top_table(run: ModelRun, limit: int = 20) -> Table:
    """The areas most likely to hold EO, then by expected items."""
    order = sorted(range(len(run.results)), key=lambda i: (-run.results[i].p_any, -run.results[i].expected_items))
    t = Table(title=f"Most likely contaminated hazard areas (top {min(limit, len(order))})", title_justify="left")
    for col, justify in (
        ("code", "left"),
        ("name", "left"),
        ("kind", "left"),
        ("land use", "left"),
        ("km²", "right"),
        ("P(any EO)", "right"),
        ("expected items", "right"),
        ("evidence", "right"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for i in order[:limit]:
        a, r = run.areas[i], run.results[i]
        t.add_row(
            a.code,
            a.name,
            a.kind.value,
            a.land_use.value,
            f"{r.area_m2 / 1e6:,.3f}",
            f"{r.p_any:.2f}",
            f"{r.expected_items:,.1f}",
            str(r.evidence_used),
        )
    return t


def headline_text(h: dict[str, Any]) -> str:
    return (
        f"[bold]Contamination model[/]: {h['areas']:,} open hazard areas ({h['modelled_km2']:,.2f} km², "
        f"{h['cells']:,} cells of {h['cell_m']:g} m); "
        f"[bold]{h['likely_contaminated']:,}[/] likely contaminated (P ≥ {h['likely_threshold']:.0%}, "
        f"{h['likely_contaminated_km2']:,.2f} km²); "
        f"expected {h['expected_contaminated_areas']:,.1f} contaminated areas holding "
        f"[bold]{h['expected_items']:,.0f}[/] items"
    )


@app.command("model")
def model_command(
    geotiff: Annotated[Path | None, typer.Option("--geotiff", help="write the grid as a GeoTIFF here")] = None,
    cells: Annotated[Path | None, typer.Option("--cells", help="write the cells as polygons (GeoPackage)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
    cell_m: Annotated[float, typer.Option("--cell-m", min=1.0, help="cell size in metres")] = 25.0,
    top: Annotated[int, typer.Option(min=1, help="rows in the table of most likely areas")] = 20,
    scheduler: Annotated[
        str | None, typer.Option(help="tcp://HOST:PORT of a Dask scheduler (default: LANDRELEASE_DASK_SCHEDULER)")
    ] = None,
    record_reliability: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="assume every minefield record is right with this probability (default: its own)"
        ),
    ] = None,
) -> None:
    """Model where the EO probably is, store P(any EO) and expected items per area, show the worst."""
    from landrelease.services.assess import assess, write_grid

    cfg = settings()
    scheduler = scheduler or cfg.dask_scheduler
    quiet = Console(stderr=True, quiet=as_json)
    try:
        with (
            open_register(cfg) as register,
            Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=quiet, transient=True
            ) as progress,
        ):
            run = assess(
                register,
                cell_m=cell_m,
                scheduler=scheduler,
                record_reliability=record_reliability,
                progress=progress,
            )
            written = write_grid(run, geotiff, cells)
    except LandreleaseError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(f"cannot write the output: {exc}") from None
    h = run.headline()
    if as_json:
        payload = {**h, **written, "results": run.result_rows()}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if not run.results:
        console.print("No open hazard areas in the register: nothing to model.")
        return
    console.print(headline_text(h))
    console.print(top_table(run, top))
    for kind, path in written.items():
        console.print(f"wrote {kind}: {path}")


def demo_step(register: Register, console: Console, output_dir: Path | str) -> dict[str, Any]:
    """For `landrelease demo`: model the register, store the results, write the GeoTIFF into
    ``output_dir``, print the headline; returns the headline figures (and the file written)."""
    from landrelease.services.assess import assess, write_grid

    out = Path(output_dir)
    run = assess(register, actor="demo")
    if not run.results:
        console.print("Contamination model: no open hazard areas.")
        return run.headline()
    written = write_grid(run, out / "contamination.tif", None)
    h = {**run.headline(), **written}
    console.print(headline_text(h))
    console.print(top_table(run, 10))
    return h
