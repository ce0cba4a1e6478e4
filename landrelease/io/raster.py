"""Contamination grids out to files: a GeoTIFF for GIS, cells as polygons for the map.

The model (``landrelease.model.contamination``) stays pure; this adapter writes what it
computed. All grids of one assessment share a metric CRS and a lattice of ``cell_m``
multiples, so they mosaic into one raster without resampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from landrelease.domain.geometry import WGS84
from landrelease.model.contamination import AreaContamination, cell_polygons

BANDS = ("p", "expected_items", "coverage")


def mosaic(results: Sequence[AreaContamination]) -> tuple[np.ndarray, Affine]:
    """One ``(3, rows, cols)`` float32 array (p, expected items, coverage) over all grids.

    Cells outside every area are NaN. Where two areas overlap (double-counted land, which
    the register flags) the larger value of each band is kept, never a sum.
    """
    grids = [r for r in results if r.p.size]
    if not grids:
        raise ValueError("nothing to write: no area has any cell")
    cell = grids[0].cell_m
    crs = grids[0].crs
    for r in grids:
        if r.cell_m != cell or not r.crs.equals(crs):
            raise ValueError(f"area {r.code}: grids of different cell size or CRS cannot share one raster")
    x0 = min(r.transform.c for r in grids)
    y1 = max(r.transform.f for r in grids)
    x1 = max(r.transform.c + r.p.shape[1] * cell for r in grids)
    y0 = min(r.transform.f - r.p.shape[0] * cell for r in grids)
    cols = round((x1 - x0) / cell)
    rows = round((y1 - y0) / cell)
    out = np.full((len(BANDS), rows, cols), np.nan, dtype=np.float32)
    for r in grids:
        c0 = round((r.transform.c - x0) / cell)
        r0 = round((y1 - r.transform.f) / cell)
        h, w = r.p.shape
        inside = r.coverage > 0
        for band, values in enumerate((r.p, r.lam, r.coverage)):
            window = out[band, r0 : r0 + h, c0 : c0 + w]
            window[inside] = np.fmax(window[inside], values[inside].astype(np.float32))
    return out, Affine(cell, 0.0, x0, 0.0, -cell, y1)


def write_geotiff(results: Sequence[AreaContamination], path: str | Path) -> Path:
    """Write the contamination grids as one tiled, compressed GeoTIFF in their metric CRS.

    Band 1: probability that the cell holds EO; band 2: expected items in the cell;
    band 3: fraction of the cell inside a hazard area. NaN outside the areas.
    """
    path = Path(path)
    data, transform = mosaic(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "height": data.shape[1],
        "width": data.shape[2],
        "count": data.shape[0],
        "dtype": "float32",
        "crs": results[0].crs.to_wkt(),
        "transform": transform,
        "nodata": np.nan,
        "compress": "deflate",
        "predictor": 3,
    }
    if data.shape[1] >= 256 and data.shape[2] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        for i, name in enumerate(BANDS, start=1):
            dst.set_band_description(i, name)
        dst.update_tags(model="landrelease contamination", cell_m=str(results[0].cell_m))
    return path


def write_cells(results: Sequence[AreaContamination], path: str | Path, *, layer: str = "cells") -> Path:
    """Write every cell as a polygon (EPSG:4326) with its area code, p, expected items and
    coverage, to a GeoPackage (1.2, so older GDAL and QGIS read it) or any OGR format."""
    import geopandas as gpd

    path = Path(path)
    table = cell_polygons(results, WGS84)
    frame = gpd.GeoDataFrame(
        {
            "hazard_code": table.code.astype(str),
            "row": table.row,
            "col": table.col,
            "p": table.p,
            "expected_items": table.lam,
            "coverage": table.coverage,
        },
        geometry=gpd.GeoSeries(table.geometry, crs="EPSG:4326"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"dataset_options": {"VERSION": "1.2"}} if path.suffix.lower() == ".gpkg" else {}
    frame.to_file(path, layer=layer, engine="pyogrio", **options)
    return path
