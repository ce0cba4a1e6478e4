"""`landrelease model`: where the EO probably is, area by area, from the register's evidence.

Runs the contamination model over the open hazard areas, stores each area's ``p_any`` and
``expected_items`` in its ``extra`` (so the map can colour by probability), prints the areas
most likely to be contaminated, and optionally writes the grid as a GeoTIFF and the cells as
a GeoPackage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from landrelease.cli.app import app, console, fail, open_register, settings
from landrelease.domain.enums import EvidenceKind
from landrelease.domain.errors import LandreleaseError
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.field.progress import finds_as_evidence as report_finds
from landrelease.field.progress import search_detection
from landrelease.model.contamination import AreaContamination, ContaminationParams, search
from landrelease.model.contamination_dask import assess_partitioned
from landrelease.storage.repository import HazardFilter, Register, merge_hazard_extra

LIKELY = 0.5
"""An area is counted as likely contaminated when p_any is at least this."""


@dataclass
class ModelRun:
    """The open hazard areas and what the model says of each, in the same order."""

    areas: list[HazardArea]
    results: list[AreaContamination]
    cell_m: float

    @property
    def likely(self) -> list[int]:
        return [i for i, r in enumerate(self.results) if r.p_any >= LIKELY]

    def headline(self) -> dict[str, Any]:
        likely = self.likely
        return {
            "areas": len(self.areas),
            "modelled_km2": sum(r.area_m2 for r in self.results) / 1e6,
            "cells": sum(r.n_cells for r in self.results),
            "cell_m": self.cell_m,
            "likely_threshold": LIKELY,
            "likely_contaminated": len(likely),
            "likely_contaminated_km2": sum(self.results[i].area_m2 for i in likely) / 1e6,
            "expected_contaminated_areas": sum(r.p_any for r in self.results),
            "expected_items": sum(r.expected_items for r in self.results),
        }


def finds_as_evidence(register: Register) -> list[Evidence]:
    """Items found by recorded activities, as EO-find evidence placed where they were found.

    They are not tied to an area code: a find counts for the open area it lies in, so an
    item removed from land since released no longer weighs on the remainder.
    """
    out = []
    for activity in register.activities():
        for k, f in enumerate(activity.finds):
            out.append(
                Evidence(
                    kind=EvidenceKind.EO_FIND,
                    geometry=f.position,
                    code=f"{activity.code or activity.hazard_code}/find-{k + 1}",
                    date=activity.end_date or activity.start_date,
                    source=f"{activity.kind.value} activity",
                    eo_type=f.eo_type,
                    count=1,
                )
            )
    return out


def field_evidence(register: Register) -> list[Evidence]:
    """Accidents as evidence where they happened (landrelease.field.casualty)."""
    from landrelease.services.casualties import accidents_as_evidence

    return accidents_as_evidence(register)


def run_model(
    register: Register,
    *,
    cell_m: float = 25.0,
    scheduler: str | None = None,
    params: ContaminationParams | None = None,
    record_reliability: float | None = None,
    progress: Progress | None = None,
) -> ModelRun:
    """Read the open areas and all evidence, and assess them (on Dask if a scheduler is given).

    ``record_reliability`` replaces every minefield record's own (a "what if the records are
    better or worse than stated" question); the register is not changed.
    """
    step = progress.add_task("reading the register", total=None) if progress else None
    areas = register.hazard_areas(HazardFilter(open_only=True))
    reports = register.daily_reports()  # approved ones only
    evidence = register.evidence() + finds_as_evidence(register) + report_finds(reports) + field_evidence(register)
    if record_reliability is not None:
        evidence = [
            replace(e, reliability=record_reliability) if e.kind is EvidenceKind.MINEFIELD_RECORD else e
            for e in evidence
        ]
    if progress and step is not None:
        where = f"on {scheduler}" if scheduler else "in process"
        progress.update(step, description=f"modelling {len(areas):,} hazard areas, {cell_m:g} m cells ({where})")
    results = assess_partitioned(areas, evidence, scheduler=scheduler, cell_m=cell_m, params=params)
    # Ground processed on days that found nothing: the search update (landrelease.field.progress).
    detection = search_detection(reports, {a.code: r.area_m2 for a, r in zip(areas, results, strict=True)})
    results = [search(r, None, detection[r.code]) if r.code in detection else r for r in results]
    if progress and step is not None:
        progress.update(step, description="modelled", completed=1, total=1)
    return ModelRun(areas, results, cell_m)


def store_results(register: Register, run: ModelRun, *, actor: str = "model") -> int:
    """Write p_any and expected_items into each area's ``extra``, in one unit of work."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    values = {
        r.code: {
            "p_any": round(r.p_any, 6),
            "expected_items": round(r.expected_items, 3),
            "contamination_model": {"cell_m": run.cell_m, "at": stamp},
        }
        for r in run.results
    }
    with register.unit_of_work(actor=actor) as uow:
        return merge_hazard_extra(uow, values, source="landrelease model")


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


def _write_outputs(run: ModelRun, geotiff: Path | None, cells: Path | None) -> dict[str, str]:
    from landrelease.io.raster import write_cells, write_geotiff

    written: dict[str, str] = {}
    if run.results and geotiff is not None:
        written["geotiff"] = str(write_geotiff(run.results, geotiff))
    if run.results and cells is not None:
        written["cells"] = str(write_cells(run.results, cells))
    return written


def _result_dict(a: HazardArea, r: AreaContamination) -> dict[str, Any]:
    return {
        "code": r.code,
        "kind": a.kind.value,
        "land_use": a.land_use.value,
        "p_any": r.p_any,
        "expected_items": r.expected_items,
        "area_m2": r.area_m2,
        "cells": r.n_cells,
        "evidence": r.evidence_used,
    }


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
            run = run_model(
                register,
                cell_m=cell_m,
                scheduler=scheduler,
                record_reliability=record_reliability,
                progress=progress,
            )
            if run.results:
                store_results(register, run)
            written = _write_outputs(run, geotiff, cells)
    except LandreleaseError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(f"cannot write the output: {exc}") from None
    h = run.headline()
    if as_json:
        payload = {**h, **written, "results": [_result_dict(a, r) for a, r in zip(run.areas, run.results, strict=True)]}
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
    out = Path(output_dir)
    run = run_model(register)
    if not run.results:
        console.print("Contamination model: no open hazard areas.")
        return run.headline()
    store_results(register, run, actor="demo")
    written = _write_outputs(run, out / "contamination.tif", None)
    h = {**run.headline(), **written}
    console.print(headline_text(h))
    console.print(top_table(run, 10))
    return h
