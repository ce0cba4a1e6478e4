"""Exporting what the register holds: GeoPackage (one layer a kind), GeoJSON, CSV with WKT.

The columns written are the ones :mod:`landrelease.io.kinds` reads, so an export imports
back into a fresh register as the same records. GeoPackages are written as version 1.2
so that older GDAL readers (Debian's GDAL 3.6 ``ogrinfo``, QGIS LTR) open them cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import areas_m2
from landrelease.storage.repository import HazardFilter, Register

LAYER_OF_KIND = {"hazard-areas": "hazard_areas", "evidence": "evidence", "settlements": "settlements", "teams": "teams"}
FORMATS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV"}


def _frame(columns: dict[str, Any], geometry: list[Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=gpd.GeoSeries(geometry, crs=4326), crs=4326)


def hazard_frame(register: Register) -> gpd.GeoDataFrame:
    """Every hazard area, superseded history included, with its parent's code."""
    areas = register.hazard_areas(HazardFilter(include_superseded=True))
    code_of = {a.id: a.code for a in areas}
    geoms = [a.geometry for a in areas]
    return _frame(
        {
            "code": pd.array([a.code for a in areas], dtype="string"),
            "name": pd.array([a.name for a in areas], dtype="string"),
            "kind": pd.array([a.kind.value for a in areas], dtype="string"),
            "land_use": pd.array([a.land_use.value for a in areas], dtype="string"),
            "eo_types": pd.array([";".join(e.value for e in a.eo_types) for a in areas], dtype="string"),
            "machine_accessible": pd.array([a.machine_accessible for a in areas], dtype="boolean"),
            "slope_deg": pd.array([a.slope_deg for a in areas], dtype="Float64"),
            "vegetation": pd.array([a.vegetation.value for a in areas], dtype="string"),
            "clutter": pd.array([a.clutter.value for a in areas], dtype="string"),
            "density": pd.array([a.density.value for a in areas], dtype="string"),
            "status": pd.array([a.status.value for a in areas], dtype="string"),
            "operator": pd.array([a.operator for a in areas], dtype="string"),
            "region": pd.array([a.region for a in areas], dtype="string"),
            "priority_score": pd.array([a.priority_score for a in areas], dtype="Float64"),
            "beneficiaries": pd.array([a.beneficiaries for a in areas], dtype="Int64"),
            "parent_code": pd.array([code_of.get(a.parent_id) if a.parent_id else None for a in areas], dtype="string"),
            "version": pd.array([a.version for a in areas], dtype="Int64"),
            "area_m2": areas_m2(geoms) if areas else np.zeros(0),
            "extra": pd.array(
                [json.dumps(a.extra, sort_keys=True) if a.extra else None for a in areas], dtype="string"
            ),
        },
        geoms,
    )


def evidence_frame(register: Register) -> gpd.GeoDataFrame:
    items = register.evidence()
    return _frame(
        {
            "code": pd.array([e.code for e in items], dtype="string"),
            "kind": pd.array([e.kind.value for e in items], dtype="string"),
            "hazard_code": pd.array([e.hazard_code for e in items], dtype="string"),
            "date": pd.array([e.date.isoformat() if e.date else None for e in items], dtype="string"),
            "source": pd.array([e.source for e in items], dtype="string"),
            "reliability": pd.array([e.reliability for e in items], dtype="Float64"),
            "confidence": pd.array([e.confidence for e in items], dtype="Float64"),
            "eo_type": pd.array([e.eo_type.value if e.eo_type else None for e in items], dtype="string"),
            "count": pd.array([e.count for e in items], dtype="Int64"),
            "positive": pd.array([e.positive for e in items], dtype="boolean"),
        },
        [e.geometry for e in items],
    )


def settlement_frame(register: Register) -> gpd.GeoDataFrame:
    items = register.settlements()
    return _frame(
        {
            "code": pd.array([s.code for s in items], dtype="string"),
            "name": pd.array([s.name for s in items], dtype="string"),
            "population": pd.array([s.population for s in items], dtype="Int64"),
            "displaced": pd.array([s.displaced for s in items], dtype="Int64"),
            "region": pd.array([s.region for s in items], dtype="string"),
            "access_routes": pd.array(
                [
                    shapely.to_wkt(s.access_routes, rounding_precision=-1) if s.access_routes is not None else None
                    for s in items
                ],
                dtype="string",
            ),
        },
        [s.geometry for s in items],
    )


def team_frame(register: Register) -> gpd.GeoDataFrame:
    items = register.teams()
    return _frame(
        {
            "code": pd.array([t.code for t in items], dtype="string"),
            "type": pd.array([t.type.value for t in items], dtype="string"),
            "size": pd.array([t.size for t in items], dtype="Int64"),
            "operator": pd.array([t.operator for t in items], dtype="string"),
            "cost_per_day": pd.array([t.cost_per_day for t in items], dtype="Float64"),
            "rate_m2_per_day": pd.array([t.rate_m2_per_day for t in items], dtype="Float64"),
            "rate_sigma": pd.array([t.rate_sigma for t in items], dtype="Float64"),
        },
        [t.base for t in items],
    )


FRAMES = {
    "hazard-areas": hazard_frame,
    "evidence": evidence_frame,
    "settlements": settlement_frame,
    "teams": team_frame,
}


def export(register: Register, out: str | Path, kind: str | None = None, *, overwrite: bool = False) -> dict[str, int]:
    """Write what the register holds; returns records written per layer.

    A GeoPackage gets one layer a kind (all kinds unless ``kind`` is given); GeoJSON and
    CSV hold one kind (hazard areas unless ``kind`` is given). Empty kinds are left out.
    """
    out = Path(out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValidationError(
            [
                Problem(
                    "unsupported output format", field="OUT", found=out.suffix or out.name, expected=", ".join(FORMATS)
                )
            ],
            "export refused",
        )
    if kind is not None and kind not in FRAMES:
        raise ValidationError(
            [Problem("unknown kind", field="kind", found=kind, expected=", ".join(FRAMES))], "export refused"
        )
    if out.exists() and not overwrite:
        raise ValidationError(
            [Problem("the output file exists (use --overwrite to replace it)", field="OUT", found=str(out))],
            "export refused",
        )
    kinds = [kind] if kind else (list(FRAMES) if fmt == "GPKG" else ["hazard-areas"])
    frames = {k: FRAMES[k](register) for k in kinds}
    frames = {k: f for k, f in frames.items() if len(f)}
    if not frames:
        raise ValidationError(
            [Problem("nothing to export: the register holds no such records", field="kind", found=", ".join(kinds))],
            "export refused",
        )
    if out.exists():
        out.unlink()
    written: dict[str, int] = {}
    for k, frame in frames.items():
        layer = LAYER_OF_KIND[k]
        if fmt == "CSV":
            # pandas writes floats and coordinates at full precision (GDAL's CSV writer keeps 15 digits)
            table = pd.DataFrame(frame.drop(columns="geometry"))
            table.insert(0, "WKT", shapely.to_wkt(frame.geometry.values, rounding_precision=-1))
            table.to_csv(out, index=False)
            written[layer] = len(frame)
            continue
        options: dict[str, Any] = {}
        if fmt == "GPKG" and not out.exists():
            options = {"dataset_options": {"VERSION": "1.2"}}
        elif fmt == "GeoJSON":
            options = {"layer_options": {"RFC7946": "NO", "WRITE_NAME": "NO"}}
        pyogrio.write_dataframe(frame, out, layer=layer, driver=fmt, append=out.exists(), **options)
        written[layer] = len(frame)
    return written
