"""`landrelease import` and `landrelease export`: files in and out of the register."""

from __future__ import annotations

import getpass
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand

from landrelease.cli.base import app, console, fail, open_register
from landrelease.domain.errors import LandreleaseError, Problem

if TYPE_CHECKING:
    from landrelease.services.importing import ImportReport

KIND_HELP = "what the file holds: hazard-areas (default), evidence, settlements or teams (columns below)"
COLUMNS_INTRO = (
    "Columns are matched by name or alias, case, spaces and camelCase ignored (typeArea = type_area), "
    "or by their values: a column whose values are all terms of one built-in vocabulary (SHA/CHA terms, "
    "statuses, device categories, event types) is read as that field. A crosswalk (--mapping) says it "
    "for a programme's own dialect; --write-mapping writes one to start from. Other columns of hazard "
    "areas are kept in their 'extra'. Records without a code get one from the file name and feature id. "
    "An area column (area, area_m2, area_ha; or area + area_unit) is checked."
)


def columns_epilog() -> str:
    """The columns each kind reads (from the kinds themselves, loaded only when help is shown)."""
    from landrelease.io.kinds import KINDS

    return "\n\n".join([COLUMNS_INTRO, *(f"[bold]{k}[/]: {spec.help()}" for k, spec in KINDS.items())])


class _ImportCommand(TyperCommand):
    """``import --help`` ends with the columns of each kind, built when the help is shown so
    that starting the command line does not load the readers (pandas)."""

    @property
    def epilog(self) -> str:
        return columns_epilog()

    @epilog.setter
    def epilog(self, _value: str | None) -> None:
        pass


def _grouped(problems: list[Problem]) -> dict[str, list[Problem]]:
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        groups[(p.check or "other").replace("_", " ")].append(p)
    return groups


def print_report(report: ImportReport, verbose: bool = False) -> None:
    """What was stored, what was repaired, what was skipped (every record named), what to look at."""
    if not report.dry_run:
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
            console.print(f"  - [{p.severity.value}] {p}", highlight=False, soft_wrap=True, markup=False)
        if not verbose and len(report.warnings) > 20:
            console.print(f"  … and {len(report.warnings) - 20:,} more (--verbose lists them all)", highlight=False)


def refusal_summary(error: LandreleaseError) -> str:
    counts: dict[str, int] = defaultdict(int)
    for p in error.problems:
        counts[f"{p.severity.value}: {(p.check or 'other').replace('_', ' ')}"] += 1
    return "\n".join(f"  {n:,} × {k}" for k, n in sorted(counts.items()))


@app.command("import", cls=_ImportCommand)
def import_(
    file: Annotated[Path, typer.Argument(help="a .gpkg, .geojson/.json, .shp, zipped Shapefile .zip or .csv")],
    layer: Annotated[str | None, typer.Option(help="the layer to read (GeoPackage or zip with several)")] = None,
    kind: Annotated[str | None, typer.Option(help=KIND_HELP)] = None,
    fix: Annotated[
        bool,
        typer.Option(
            help="repair invalid geometry with make_valid, skip records with no usable "
            "geometry or a duplicate geometry; every change is reported"
        ),
    ] = False,
    status: Annotated[str | None, typer.Option(help="hazard status of records that give none, e.g. cleared")] = None,
    crs: Annotated[str | None, typer.Option(help="the CRS of a file that declares none, e.g. EPSG:32638")] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="a crosswalk (YAML): which column feeds which field, what values mean")
    ] = None,
    write_mapping: Annotated[
        Path | None,
        typer.Option(help="write a starting crosswalk for the file to this path (and import nothing)"),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="check everything, print what would be stored, write nothing")] = False,
    encoding: Annotated[str | None, typer.Option(help="text encoding of a CSV that is not UTF-8, e.g. cp1252")] = None,
    verbose: Annotated[bool, typer.Option(help="list every repair and warning")] = False,
) -> None:
    """Import a file into the register in one transaction: every record, or none.

    Every refusal names the file, the record (feature id, or CSV data row counted from 1),
    the field, what was found and what was expected. Geometry is reprojected to EPSG:4326.
    """
    from landrelease.io.kinds import KINDS
    from landrelease.io.preview import column_lines, preview_lines
    from landrelease.services.importing import import_file

    if kind is not None and kind not in KINDS:
        raise fail(f"unknown --kind {kind!r}: expected one of {', '.join(KINDS)}")
    if write_mapping is not None:
        _write_mapping(file, write_mapping, kind, layer, crs, encoding, mapping)
        return
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
                mapping=mapping,
                dry_run=dry_run,
                encoding=encoding,
                actor=_user(),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except LandreleaseError as exc:
        console.print(refusal_summary(exc), highlight=False)
        raise fail(exc) from None
    if dry_run or verbose or report.notes:
        console.print("[bold]Columns[/]:", highlight=False)
        for line in column_lines(report):
            console.print("  " + line, highlight=False, markup=False)
    if dry_run:
        console.print(f"[bold]Dry run[/] of {report.source}: nothing written ({report.crs_note}).", highlight=False)
        for line in preview_lines(report):
            console.print(line, highlight=False, markup=False)
    print_report(report, verbose=verbose)


def _user() -> str:
    """Who runs the import, for its record: the operating system's user name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "import"


def _write_mapping(
    file: Path,
    out: Path,
    kind: str | None,
    layer: str | None,
    crs: str | None,
    encoding: str | None,
    mapping: Path | None,
) -> None:
    from landrelease.services.importing import starting_crosswalk

    if out.exists():
        raise fail(f"{out} exists: remove it or choose another name (it may hold your edits)")
    try:
        text, plan = starting_crosswalk(file, kind=kind, layer=layer, crs=crs, encoding=encoding, mapping=mapping)
    except LandreleaseError as exc:
        raise fail(exc) from None
    out.write_text(text, encoding="utf-8")
    undecided = text.count(': "?"  #')
    console.print(
        f"wrote {out}: {len(plan.sources)} field(s) from columns, {undecided} value(s) to decide (?). "
        f"Edit it, then: landrelease import {file} --mapping {out} --dry-run",
        highlight=False,
    )


@app.command("imports")
def imports_(
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON, crosswalks included")] = False,
) -> None:
    """The history of imports: which file (name, SHA-256), which crosswalk, who, when, what was stored."""
    from landrelease.services.importing import import_history

    with open_register() as register:
        runs = import_history(register, limit)
    if as_json:
        console.print_json(data=[r.to_json() for r in runs])
        return
    for r in runs:
        crosswalk = r.crosswalk_file or "no crosswalk file"
        console.print(
            f"#{r.id} {r.at:%Y-%m-%d %H:%M} {r.actor}: {r.source} → {r.stored:,} {r.kind} "
            f"(of {r.read:,} read; {crosswalk}; sha256 {(r.source_sha256 or '?')[:12]})",
            highlight=False,
            markup=False,
        )


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
    from landrelease.services.importing import export as export_register

    try:
        with open_register() as register:
            written = export_register(register, out, kind, overwrite=overwrite)
    except LandreleaseError as exc:
        raise fail(exc) from None
    for layer, n in written.items():
        console.print(f"{out}: layer [bold]{layer}[/], {n:,} records", highlight=False)
    if kind is None and out.suffix.lower() != ".gpkg":
        console.print("(a GeoJSON or CSV file holds one kind: hazard areas; --kind evidence|settlements|teams)")
