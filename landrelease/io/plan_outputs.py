"""What a plan looks like outside the program: a Gantt chart per team and the map of phases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from landrelease.domain.enums import ActivityKind
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.planning.instance import Solution
from landrelease.planning.workplan import WorkProblem

METHOD_COLOURS = {
    ActivityKind.NTS: "#8ecae6",
    ActivityKind.TS: "#ffb703",
    ActivityKind.CLEARANCE: "#d62828",
    ActivityKind.EOD: "#6a4c93",
}
MAX_GANTT_TEAMS = 80


def write_gantt(work: WorkProblem, solution: Solution, path: Path, *, title: str = "Plan") -> int:
    """A Gantt chart (PNG or SVG by suffix): one row per team, bars coloured by method; returns rows drawn."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValidationError(
            [Problem("a Gantt chart is written as .png or .svg", field="--gantt", found=str(path))], "output refused"
        )
    rows: dict[str, list[tuple[float, float, ActivityKind]]] = {tm.id: [] for tm in work.instance.teams}
    for a in solution.assignments:
        rows[a.team].append((a.start_day, a.end_day - a.start_day, work.meta[a.task].method))
    teams = [t for t in rows if rows[t]][:MAX_GANTT_TEAMS]
    shown = len(teams)
    height = max(2.5, 0.28 * shown + 1.5)
    fig, ax = plt.subplots(figsize=(12, height))
    try:
        for y, team in enumerate(teams):
            for method in METHOD_COLOURS:
                bars = [(s, d) for s, d, m in rows[team] if m is method]
                if bars:
                    ax.broken_barh(
                        bars, (y - 0.4, 0.8), facecolors=METHOD_COLOURS[method], edgecolor="white", linewidth=0.4
                    )
        ax.set_yticks(range(shown))
        ax.set_yticklabels(teams, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"days from {work.start_date.isoformat()}")
        more = sum(1 for t in rows if rows[t]) - shown
        ax.set_title(title + (f" (first {shown} teams of {shown + more})" if more > 0 else ""))
        ax.legend(
            handles=[Patch(color=c, label=m.value) for m, c in METHOD_COLOURS.items() if m is not ActivityKind.EOD],
            loc="upper right",
            fontsize=8,
        )
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return shown


def phase_rows(work: WorkProblem, solution: Solution) -> dict[str, dict[str, str | None]]:
    """Per hazard area: first start, planned release (end of its last task) and the quarter it falls in."""
    by_task = solution.by_task()
    unscheduled = {u.task for u in solution.unscheduled}
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    missing: set[str] = set()
    codes: list[str] = []
    for tid, m in work.meta.items():
        code = m.hazard_code
        if code not in first and code not in missing and code not in last:
            codes.append(code)
        a = by_task.get(tid)
        if a is None or tid in unscheduled:
            missing.add(code)
            continue
        first[code] = min(first.get(code, a.start_day), a.start_day)
        last[code] = max(last.get(code, a.end_day), a.end_day)
    out: dict[str, dict[str, str | None]] = {}
    for code in dict.fromkeys(codes):
        start = (work.start_date + timedelta(days=first[code])).isoformat() if code in first else None
        if code in missing or code not in last:
            out[code] = {"start": start, "release": None, "quarter": "unscheduled"}
        else:
            d = work.start_date + timedelta(days=last[code])
            out[code] = {"start": start, "release": d.isoformat(), "quarter": f"{d.year}-Q{(d.month - 1) // 3 + 1}"}
    return out


def write_phases(
    work: WorkProblem, solution: Solution, areas: Sequence[HazardArea], path: Path, layer: str = "plan_phases"
) -> int:
    """The map phases as a GeoPackage layer (GeoPackage 1.2 so that older GDAL/QGIS read it)."""
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise ValidationError(
            [Problem("phases are written as a GeoPackage (.gpkg)", field="--phases", found=str(path))], "output refused"
        )
    rows = phase_rows(work, solution)
    geom = {a.code: a for a in areas}
    records = []
    quarters = sorted({str(r["quarter"]) for r in rows.values() if r["quarter"] != "unscheduled"})
    for code, r in rows.items():
        a = geom[code]
        q = str(r["quarter"])
        records.append(
            {
                "code": code,
                "land_use": a.land_use.value,
                "kind": a.kind.value,
                "priority": work.priorities[code].score if code in work.priorities else None,
                "area_m2": work.area_m2.get(code),
                "planned_start": r["start"],
                "planned_release": r["release"],
                "quarter": q,
                "phase": quarters.index(q) + 1 if q in quarters else None,
                "geometry": a.geometry,
            }
        )
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", dataset_options={"VERSION": "1.2"})
    return len(records)
