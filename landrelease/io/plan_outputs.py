"""What a plan looks like outside the program: a Gantt chart per team and the map of phases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from landrelease.domain.enums import ActivityKind  # noqa: E402
from landrelease.domain.errors import Problem, ValidationError  # noqa: E402
from landrelease.domain.hazard import HazardArea  # noqa: E402
from landrelease.planning.instance import Solution  # noqa: E402
from landrelease.planning.workplan import WorkProblem  # noqa: E402

METHOD_COLOURS = {ActivityKind.NTS: "#8ecae6", ActivityKind.TS: "#ffb703", ActivityKind.CLEARANCE: "#d62828",
                  ActivityKind.EOD: "#6a4c93"}
MAX_GANTT_TEAMS = 80


def write_gantt(work: WorkProblem, solution: Solution, path: Path, *, title: str = "Plan") -> int:
    """A Gantt chart (PNG or SVG by suffix): one row per team, bars coloured by method; returns rows drawn."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValidationError([Problem("a Gantt chart is written as .png or .svg", field="--gantt", found=str(path))],
                              "output refused")
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
                    ax.broken_barh(bars, (y - 0.4, 0.8), facecolors=METHOD_COLOURS[method], edgecolor="white", linewidth=0.4)
        ax.set_yticks(range(shown))
        ax.set_yticklabels(teams, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"days from {work.start_date.isoformat()}")
        more = sum(1 for t in rows if rows[t]) - shown
        ax.set_title(title + (f" (first {shown} teams of {shown + more})" if more > 0 else ""))
        ax.legend(handles=[Patch(color=c, label=m.value) for m, c in METHOD_COLOURS.items() if m is not ActivityKind.EOD],
                  loc="upper right", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return shown


def phase_rows(work: WorkProblem, solution: Solution) -> dict[str, dict[str, object]]:
    """Per hazard area: first start, planned release (end of its last task) and the quarter it falls in."""
    by_task = solution.by_task()
    unscheduled = {u.task for u in solution.unscheduled}
    out: dict[str, dict[str, object]] = {}
    for tid, m in work.meta.items():
        row = out.setdefault(m.hazard_code, {"first": None, "last": None, "unscheduled": 0})
        a = by_task.get(tid)
        if a is None or tid in unscheduled:
            row["unscheduled"] = int(row["unscheduled"]) + 1  # type: ignore[call-overload]
            continue
        row["first"] = a.start_day if row["first"] is None else min(row["first"], a.start_day)  # type: ignore[type-var]
        row["last"] = a.end_day if row["last"] is None else max(row["last"], a.end_day)  # type: ignore[type-var]
    for row in out.values():
        if row["unscheduled"] or row["last"] is None:
            row["quarter"] = "unscheduled"
            row["release"] = None
        else:
            d = work.start_date + timedelta(days=float(row["last"]))  # type: ignore[arg-type]
            row["quarter"] = f"{d.year}-Q{(d.month - 1) // 3 + 1}"
            row["release"] = d.isoformat()
        row["start"] = ((work.start_date + timedelta(days=float(row["first"]))).isoformat()  # type: ignore[arg-type]
                        if row["first"] is not None else None)
    return out


def write_phases(work: WorkProblem, solution: Solution, areas: Sequence[HazardArea], path: Path,
                 layer: str = "plan_phases") -> int:
    """The map phases as a GeoPackage layer (GeoPackage 1.2 so that older GDAL/QGIS read it)."""
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise ValidationError([Problem("phases are written as a GeoPackage (.gpkg)", field="--phases", found=str(path))],
                              "output refused")
    rows = phase_rows(work, solution)
    geom = {a.code: a for a in areas}
    records = []
    quarters = sorted({str(r["quarter"]) for r in rows.values() if r["quarter"] != "unscheduled"})
    for code, r in rows.items():
        a = geom[code]
        q = str(r["quarter"])
        records.append({
            "code": code, "land_use": a.land_use.value, "kind": a.kind.value,
            "priority": work.priorities[code].score if code in work.priorities else None,
            "area_m2": work.area_m2.get(code), "planned_start": r["start"], "planned_release": r["release"],
            "quarter": q, "phase": quarters.index(q) + 1 if q in quarters else None,
            "geometry": a.geometry,
        })
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", dataset_options={"VERSION": "1.2"})
    return len(records)
