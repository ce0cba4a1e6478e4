"""`landrelease import` and `landrelease export`: files in and out of the register."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from landrelease.cli.app import app, console, fail, open_register
from landrelease.domain.errors import LandreleaseError, Problem
from landrelease.io.kinds import KINDS
from landrelease.services.importing import ImportReport, import_file
from landrelease.services.importing import export as export_register

KIND_HELP = "what the file holds: hazard-areas, evidence, settlements or teams (columns below)"
COLUMNS_EPILOG = "\n\n".join(
    [
        "Columns are matched by name or alias, case, spaces and camelCase ignored (typeArea = type_area); "
        "other columns of hazard areas are kept in their 'extra'. Records without a code get one from the "
        "file name and feature id. An area column (area, area_m2, area_ha; or area + area_unit) is checked.",
        *(f"[bold]{k}[/]: {spec.help()}" for k, spec in KINDS.items()),
    ]
)


def _grouped(problems: list[Problem]) -> dict[str, list[Problem]]:
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        groups[(p.check or "other").replace("_", " ")].append(p)
    return groups


def print_report(report: ImportReport, verbose: bool = False) -> None:
    """What was stored, what was repaired, what was skipped (every record named), what to look at."""
    console.print(
        f"[bold]{report.source}[/]: {report.read:,} records read, [bold]{report.stored:,} {report.kind} "
        f"stored[/] in {report.seconds:,.1f} s ({report.crs_note}).",
        highlight=False,
    )
    if report.derived_codes:
        console.print(
            f"{report.derived_codes:,} records had no code: derived from the feature id as {report.code_pattern}.",
            highlight=False,
        )
    if report.skipped:
        total = sum(report.count("skipped").values())
        console.print(f"[yellow]Skipped {total:,} record(s)[/] (not stored):", highlight=False)
        for check, items in _grouped(report.skipped).items():
            console.print(
                f"  {check} ({len(items):,}): " + ", ".join(str(p.record) for p in items),
                highlight=False,
                soft_wrap=True,
            )
    if report.fixed:
        fixed = report.count("fixed")
        console.print(f"[yellow]Repaired {sum(fixed.values()):,} record(s)[/]:", highlight=False)
        for check, items in _grouped(report.fixed).items():
            console.print(f"  {check} ({fixed.get(items[0].check or '', len(items)):,})", highlight=False)
            for p in items if verbose else items[:10]:
                console.print(f"    {p.record}: {p.message}", highlight=False, soft_wrap=True)
            if not verbose and len(items) > 10:
                console.print(f"    … and {len(items) - 10:,} more (--verbose lists them all)", highlight=False)
    if report.warnings:
        console.print(f"Warnings and advisories ({len(report.warnings):,}, not blocking):", highlight=False)
        for p in report.warnings if verbose else report.warnings[:20]:
            console.print(f"  - [{p.severity.value}] {p}", highlight=False, soft_wrap=True)
        if not verbose and len(report.warnings) > 20:
            console.print(f"  … and {len(report.warnings) - 20:,} more (--verbose lists them all)", highlight=False)


def refusal_summary(error: LandreleaseError) -> str:
    counts: dict[str, int] = defaultdict(int)
    for p in error.problems:
        counts[f"{p.severity.value}: {(p.check or 'other').replace('_', ' ')}"] += 1
    return "\n".join(f"  {n:,} × {k}" for k, n in sorted(counts.items()))


@app.command("import", epilog=COLUMNS_EPILOG)
def import_(
    file: Annotated[Path, typer.Argument(help="a .gpkg, .geojson/.json, .shp, zipped Shapefile .zip or .csv")],
    layer: Annotated[str | None, typer.Option(help="the layer to read (GeoPackage or zip with several)")] = None,
    kind: Annotated[str, typer.Option(help=KIND_HELP)] = "hazard-areas",
    fix: Annotated[
        bool,
        typer.Option(
            help="repair invalid geometry with make_valid, skip records with no usable "
            "geometry or a duplicate geometry; every change is reported"
        ),
    ] = False,
    status: Annotated[str | None, typer.Option(help="hazard status of records that give none, e.g. cleared")] = None,
    crs: Annotated[str | None, typer.Option(help="the CRS of a file that declares none, e.g. EPSG:32638")] = None,
    verbose: Annotated[bool, typer.Option(help="list every repair and warning")] = False,
) -> None:
    """Import a file into the register in one transaction: every record, or none.

    Every refusal names the file, the record (feature id, or CSV data row counted from 1),
    the field, what was found and what was expected. Geometry is reprojected to EPSG:4326.
    """
    if kind not in KINDS:
        raise fail(f"unknown --kind {kind!r}: expected one of {', '.join(KINDS)}")
    try:
        with (
            open_register() as register,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(f"checking and storing {file.name}", total=None)
            report = import_file(
                register,
                file,
                kind=kind,
                layer=layer,
                fix=fix,
                status=status,
                crs=crs,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except LandreleaseError as exc:
        console.print(refusal_summary(exc), highlight=False)
        raise fail(exc) from None
    print_report(report, verbose=verbose)


@app.command("export")
def export_(
    out: Annotated[Path, typer.Argument(help="OUT.gpkg (one layer a kind), OUT.geojson or OUT.csv (WKT column)")],
    kind: Annotated[
        str | None,
        typer.Option(
            help="only this kind: hazard-areas, evidence, settlements, teams "
            "(default: all kinds in a GeoPackage, hazard areas otherwise)"
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="replace OUT if it exists")] = False,
) -> None:
    """Export what the register holds, in EPSG:4326, with the columns `import` reads back."""
    try:
        with open_register() as register:
            written = export_register(register, out, kind, overwrite=overwrite)
    except LandreleaseError as exc:
        raise fail(exc) from None
    for layer, n in written.items():
        console.print(f"{out}: layer [bold]{layer}[/], {n:,} records", highlight=False)
    if kind is None and out.suffix.lower() != ".gpkg":
        console.print("(a GeoJSON or CSV file holds one kind: hazard areas; --kind evidence|settlements|teams)")
