"""Register commands: import, export, check, record-activity, summary (registered on the shared app when imported)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from landrelease.cli.base import app, console, fail, open_register
from landrelease.domain.enums import METHOD_OF_ACTIVITY, ActivityKind, EOType, ReleaseMethod
from landrelease.domain.errors import LandreleaseError, Problem, Severity, ValidationError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from landrelease.domain.activity import Find, ReleasedPart
    from landrelease.services.activity import RecordedActivity
    from landrelease.services.register import Register
    from landrelease.services.summary import ReleaseSummary

# ---------------------------------------------------------------- reading activity files


def _refuse(
    source: str,
    record: str | None,
    field: str | None,
    message: str,
    found: str | None = None,
    expected: str | None = None,
) -> ValidationError:
    return ValidationError([Problem(message, record, field, found, expected, source)], f"{source} refused")


def _parse_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _refuse("command line", None, field, "not a date", value, "YYYY-MM-DD") from None


def _required_date(value: str, field: str) -> date:
    parsed = _parse_date(value, field)
    assert parsed is not None
    return parsed


def _features(path: Path) -> list[tuple[str, dict[str, Any], BaseGeometry | None]]:
    """(feature id, properties, geometry) of a GeoJSON file, which must be EPSG:4326."""
    from shapely.geometry import shape

    src = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _refuse(src, None, None, "file not found", str(path), "an existing GeoJSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _refuse(src, None, None, "not a GeoJSON file", str(exc), "GeoJSON (RFC 7946)") from None
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name") if isinstance(doc, dict) else None
    if crs and not any(tag in str(crs).upper() for tag in ("4326", "CRS84")):
        raise _refuse(src, None, "crs", "coordinates must be longitude/latitude on WGS 84", str(crs), "EPSG:4326")
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        raw = doc.get("features") or []
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        raw = [doc]
    elif isinstance(doc, dict) and "coordinates" in doc:
        raw = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise _refuse(src, None, "type", "not a GeoJSON feature collection", str(doc)[:40], "FeatureCollection")
    out = []
    problems: list[Problem] = []
    for i, f in enumerate(raw, start=1):
        fid = str(f.get("id", i))
        props = f.get("properties") or {}
        geom = None
        if f.get("geometry"):
            try:
                geom = shape(f["geometry"])
            except Exception as exc:  # shapely raises several types for bad coordinates
                problems.append(Problem("unreadable geometry", fid, "geometry", str(exc), "a GeoJSON geometry", src))
                continue
            if not geom.is_empty:
                minx, miny, maxx, maxy = geom.bounds
                if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
                    hint = " (latitude and longitude swapped?)" if minx >= -90 and maxx <= 90 else ""
                    problems.append(
                        Problem(
                            f"coordinates out of range{hint}",
                            fid,
                            "geometry",
                            f"bounds {geom.bounds}",
                            "longitude -180..180, latitude -90..90",
                            src,
                        )
                    )
        out.append((fid, props, geom))
    if problems:
        raise ValidationError(problems, f"{src} refused")
    return out


def read_released(path: Path, default: ReleaseMethod) -> list[ReleasedPart]:
    """Released polygons from GeoJSON; each feature's ``method`` property, else ``default``."""
    from landrelease.domain.activity import ReleasedPart

    parts: list[ReleasedPart] = []
    problems: list[Problem] = []
    for fid, props, geom in _features(path):
        raw = props.get("method")
        try:
            method = ReleaseMethod(raw) if raw not in (None, "") else default
        except ValueError:
            problems.append(
                Problem(
                    "unknown release method", fid, "method", str(raw), ", ".join(ReleaseMethod.allowed()), str(path)
                )
            )
            continue
        if geom is None:
            problems.append(Problem("the feature has no geometry", fid, "geometry", "null", "a polygon", str(path)))
            continue
        parts.append(ReleasedPart(method, geom))
    if problems:
        raise ValidationError(problems, f"{path} refused")
    if not parts:
        raise _refuse(str(path), None, None, "no released polygon in the file", "0 features", "at least one")
    return parts


def _find(src: str, rec: str, props: dict[str, Any], geom: BaseGeometry | None, problems: list[Problem]) -> Find | None:
    from landrelease.domain.activity import Find
    from landrelease.io.vocabulary import vocabulary

    raw = props.get("eo_type")
    eo = vocabulary(EOType).lookup(raw) if raw is not None else None  # "AP mine", "MUSE", "ap_mine" …
    if not isinstance(eo, EOType):
        problems.append(Problem("unknown EO type", rec, "eo_type", str(raw), ", ".join(EOType.allowed()), src))
        return None
    depth = props.get("depth_cm")
    try:
        depth_cm = float(depth) if depth not in (None, "") else None
    except ValueError:
        problems.append(Problem("not a number", rec, "depth_cm", str(depth), "depth in cm", src))
        return None
    if geom is None:
        problems.append(Problem("the find has no position", rec, "geometry", "null", "a point", src))
        return None
    return Find(eo, geom, depth_cm, props.get("model") or None, props.get("condition") or None)


def read_finds(path: Path) -> list[Find]:
    """Finds from GeoJSON points or a CSV with ``lon``, ``lat``, ``eo_type`` (+ ``depth_cm``,
    ``model``, ``condition``)."""
    import shapely

    src = str(path)
    problems: list[Problem] = []
    finds: list[Find] = []
    if path.suffix.lower() == ".csv":
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:  # a byte-order mark is no part of "lon"
                rows = list(csv.DictReader(fh))
        except FileNotFoundError:
            raise _refuse(src, None, None, "file not found", str(path), "an existing CSV file") from None
        except UnicodeDecodeError as exc:
            raise _refuse(
                src, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})", None, "the CSV saved as UTF-8"
            ) from None
        for i, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                lon, lat = float(row.get("lon") or ""), float(row.get("lat") or "")
            except ValueError:
                problems.append(
                    Problem(
                        "lon/lat are not numbers",
                        f"row {i}",
                        "lon/lat",
                        f"{row.get('lon')!r}, {row.get('lat')!r}",
                        "decimal degrees",
                        src,
                    )
                )
                continue
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                problems.append(
                    Problem(
                        "coordinates out of range",
                        f"row {i}",
                        "lon/lat",
                        f"{lon}, {lat}",
                        "longitude -180..180, latitude -90..90",
                        src,
                    )
                )
                continue
            f = _find(src, f"row {i}", row, shapely.Point(lon, lat), problems)
            if f:
                finds.append(f)
    else:
        for fid, props, geom in _features(path):
            f = _find(src, fid, props, geom, problems)
            if f:
                finds.append(f)
    if problems:
        raise ValidationError(problems, f"{src} refused")
    return finds


# ---------------------------------------------------------------- printing


def recorded_table(r: RecordedActivity) -> Table:
    t = Table(title=f"Activity {r.activity_code} on {r.hazard_code}", title_justify="left")
    t.add_column("what")
    t.add_column("value", justify="right")
    for method, m2 in r.released:
        t.add_row(f"released ({method})", f"{m2:,.0f} m²")
    t.add_row("status of the record", r.status.value)
    if r.remainder_code:
        t.add_row(f"open remainder {r.remainder_code}", f"{r.remainder_m2:,.0f} m²")
    t.add_row("finds", str(r.finds))
    return t


def summary_tables(s: ReleaseSummary) -> list[Table]:
    """Rich tables of the release summary (km², metric)."""
    from landrelease.services.summary import METHODS

    tables = []
    t = Table(title=f"Land released (km², metric: {s.metric_crs or 'no data'})", title_justify="left")
    t.add_column("method")
    t.add_column("km²", justify="right")
    t.add_column("share", justify="right")
    for m in METHODS:
        share = s.by_method.get(m, 0.0) / s.released_km2 if s.released_km2 else 0.0
        t.add_row(m, f"{s.by_method.get(m, 0.0):,.4f}", f"{share:.0%}")
    t.add_row("[bold]released[/]", f"[bold]{s.released_km2:,.4f}[/]", "")
    t.add_row("open remaining", f"{s.open_km2:,.4f}", f"{s.open_areas:,} areas")
    for status, km2 in sorted(s.closed_without_activity_km2.items()):
        t.add_row(f"{status} (no activity recorded)", f"{km2:,.4f}", "")
    tables.append(t)
    for title, groups in (("by operator", s.by_operator), ("by region", s.by_region), ("by month", s.by_month)):
        if not groups:
            continue
        g = Table(title=f"Released {title} (km²)", title_justify="left")
        g.add_column(title.split()[-1])
        for m in METHODS:
            g.add_column(m, justify="right")
        g.add_column("total", justify="right")
        for name, vals in groups.items():
            g.add_row(name, *(f"{vals.get(m, 0.0):,.4f}" for m in METHODS), f"{sum(vals.values()):,.4f}")
        tables.append(g)
    return tables


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


# ---------------------------------------------------------------- commands


@app.command("record-activity")
def record_activity_command(
    hazard: Annotated[str, typer.Option(help="code of the hazard area worked on")],
    kind: Annotated[ActivityKind, typer.Option(help="nts, ts, clearance or eod")],
    start: Annotated[str, typer.Option(help="start date, YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option(help="end date, YYYY-MM-DD (the release date)")] = None,
    team: Annotated[str | None, typer.Option(help="team code")] = None,
    operator: Annotated[str | None, typer.Option(help="organisation that did the work")] = None,
    released: Annotated[
        Path | None, typer.Option(help="GeoJSON of released polygons (EPSG:4326), optional 'method' property")
    ] = None,
    release_all: Annotated[bool, typer.Option("--all", help="the activity released the whole area")] = False,
    method: Annotated[
        ReleaseMethod | None, typer.Option(help="method of parts without one (default: the activity's own)")
    ] = None,
    finds: Annotated[Path | None, typer.Option(help="finds: GeoJSON points or CSV lon,lat,eo_type[,depth_cm]")] = None,
    depth: Annotated[float | None, typer.Option(help="clearance depth in cm")] = None,
    processed: Annotated[float, typer.Option(help="area processed in m² (default: the released area)")] = 0.0,
    code: Annotated[str | None, typer.Option(help="activity code (default: ACT-nnnnnnn)")] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(help="metres a released part may stick out of the area (default: the release rule's)"),
    ] = None,
    actor: Annotated[str, typer.Option(help="who records it (audit trail)")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Record an NTS / TS / clearance / EOD result; a partial release splits the area, keeping history."""
    from landrelease.domain.activity import Activity
    from landrelease.domain.release import DEFAULT_TOLERANCE_M
    from landrelease.services import activity as activities

    try:
        if released is not None and release_all:
            raise _refuse(
                "command line",
                None,
                "--released/--all",
                "give either released polygons or --all",
                "both",
                "one of them",
            )
        default_method = method or METHOD_OF_ACTIVITY.get(kind)
        parts: list[ReleasedPart] = []
        if (released is not None or release_all) and default_method is None:
            raise _refuse(
                "command line",
                None,
                "--kind",
                f"a {kind.value} activity releases no land",
                kind.value,
                "nts, ts or clearance (or finds only)",
            )
        if released is not None:
            assert default_method is not None
            parts = read_released(released, default_method)
        activity = Activity(
            hazard_code=hazard,
            kind=kind,
            start_date=_required_date(start, "--start"),
            end_date=_parse_date(end, "--end"),
            team=team,
            operator=operator,
            area_processed_m2=processed,
            released=parts,
            finds=read_finds(finds) if finds else [],
            clearance_depth_cm=depth,
            code=code,
        )
        with open_register() as register:
            result = activities.record_activity(
                register,
                activity,
                actor=actor,
                release_all=default_method if release_all else None,
                tolerance_m=DEFAULT_TOLERANCE_M if tolerance is None else tolerance,
            )
    except LandreleaseError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_json(_recorded_dict(result))
    else:
        console.print(recorded_table(result))


def _recorded_dict(r: RecordedActivity) -> dict[str, Any]:
    return {
        "activity": r.activity_code,
        "hazard": r.hazard_code,
        "status": r.status.value,
        "released": r.released,
        "released_m2": r.released_m2,
        "remainder": r.remainder_code,
        "remainder_m2": r.remainder_m2,
        "original_m2": r.original_m2,
        "finds": r.finds,
    }


@app.command()
def summary(as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False) -> None:
    """Released km² by method (cancelled / reduced / cleared), operator, region and month; open km²."""
    from landrelease.services import summary as summaries

    with open_register() as register:
        s = summaries.release_summary(register)
    if as_json:
        _echo_json(s.to_dict())
        return
    for t in summary_tables(s):
        console.print(t)


def problems_json(problems: list[Problem]) -> dict[str, Any]:
    from landrelease.domain.quality import by_severity

    groups = by_severity(problems)
    return {
        "counts": {sev.value: len(ps) for sev, ps in groups.items()},
        "problems": [
            {
                "severity": p.severity.value,
                "check": p.check,
                "source": p.source,
                "record": p.record,
                "field": p.field,
                "message": p.message,
                "found": p.found,
                "expected": p.expected,
            }
            for ps in groups.values()
            for p in ps
        ],
    }


def problem_tables(problems: list[Problem], limit: int = 200) -> list[Table]:
    from landrelease.domain.quality import by_severity

    tables = []
    colours = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.ADVISORY: "cyan"}
    for sev, ps in by_severity(problems).items():
        if not ps:
            continue
        t = Table(title=f"[bold {colours[sev]}]{sev.value}s: {len(ps):,}[/]", title_justify="left")
        for col in ("check", "layer", "record", "problem", "found"):
            t.add_column(col, overflow="fold")
        for p in ps[:limit]:
            t.add_row(p.check or "", p.source or "", p.record or "", p.message, p.found or "")
        if len(ps) > limit:
            t.add_row("…", "", f"{len(ps) - limit:,} more", "(use --json for all)", "")
        tables.append(t)
    return tables


@app.command()
def check(
    as_json: Annotated[bool, typer.Option("--json", help="print every problem as JSON")] = False,
) -> None:
    """Data-quality checks (GICHD geocheck) and overlapping hazard areas; exit 1 if errors exist."""
    from landrelease.services import summary as summaries

    with open_register() as register:
        problems = summaries.check(register)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    if as_json:
        _echo_json(problems_json(problems))
    elif not problems:
        console.print("[green]No problem found.[/]")
    else:
        for t in problem_tables(problems):
            console.print(t)
    if errors:
        raise typer.Exit(1)


# ---------------------------------------------------------------- for `landrelease demo`


def demo_step(register: Register, console: Console, *, seed: int = 20201110, today: date | None = None) -> dict:
    """Record sample activities on the demo register (once) and print the release summary.

    Two NTS cancellations, a TS reduction, a clearance with finds, a partial TS release (which
    splits its area) and an EOD spot task. If activities are already recorded, only prints.
    Returns ``{"recorded": [...], "summary": {...}}``.
    """
    from landrelease.services import activity as activities
    from landrelease.services import summary as summaries

    today = today or datetime.now(UTC).date()
    recorded = [_recorded_dict(r) for r in activities.record_sample_activities(register, seed=seed, today=today)]
    s = summaries.release_summary(register)
    for r in recorded:
        tail = f", open remainder {r['remainder']}" if r["remainder"] else ""
        console.print(
            f"recorded {r['activity']} on {r['hazard']}: {r['released_m2']:,.0f} m² released, "
            f"status {r['status']}{tail}, {r['finds']} finds"
        )
    for t in summary_tables(s):
        console.print(t)
    return {"recorded": recorded, "summary": s.to_dict()}
