"""The public safety map: open hazard areas for anyone, with only public fields, generalised.

Many mine action centres publish where danger is so that people do not walk into it. With
``LANDRELEASE_PUBLIC_MAP=true`` the map page, the hazard-area tiles and the OGC items of open
hazard areas answer without sign-in, carrying ``code``, ``kind`` and ``status`` only. The
geometry is snapped to a grid of 10^-N degrees (N = ``public_map_precision``, 4 ≈ 11 m) so
survey detail is not published. Generalising only ever grows an area: the outline is first
pushed outward by more than simplification and snapping can pull it back (1.25 cells), so the
published shape always covers the surveyed one and never shows land as safe that is not.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from landrelease.services.register import Register
from landrelease.storage import public as store

PUBLIC_PROPERTIES = store.PUBLIC_COLUMNS


def generalise(geoms: Any, digits: int) -> Any:
    """Geometries (one or an array) snapped to a 10^-digits degree grid, each covering its input.

    Douglas–Peucker moves an outline by at most its tolerance (half a cell) and snapping moves a
    vertex by at most half a cell's diagonal, so an outward margin of 1.25 cells keeps the
    original inside.

    >>> sq = shapely.box(0.00012, 0.00012, 0.00088, 0.00088)
    >>> g = generalise(sq, 3)
    >>> bool(g.covers(sq)), g.bounds
    (True, (-0.001, -0.001, 0.002, 0.002))
    """
    grid = 10.0**-digits
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    grown = shapely.buffer(arr, 1.25 * grid, join_style="mitre", mitre_limit=2.0)
    out = shapely.set_precision(shapely.simplify(grown, grid / 2, preserve_topology=True), grid)
    for i in np.flatnonzero(shapely.is_empty(out) | (shapely.area(out) == 0)):
        minx, miny, maxx, maxy = shapely.bounds(arr[i])
        out[i] = shapely.box(
            math.floor(minx / grid) * grid,
            math.floor(miny / grid) * grid,
            max(math.ceil(maxx / grid), math.floor(minx / grid) + 1) * grid,
            max(math.ceil(maxy / grid), math.floor(miny / grid) + 1) * grid,
        )
    return out if np.ndim(geoms) else out[0]


def _round(coords: Any, digits: int) -> Any:
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        return [round(float(c), digits) for c in coords]
    return [_round(c, digits) for c in coords]


def _feature(row: Any, digits: int) -> dict[str, Any]:
    geom = generalise(shapely.from_wkb(bytes(row.wkb)), digits)
    mapped = shapely.geometry.mapping(geom)
    return {
        "type": "Feature",
        "id": row.code,
        "geometry": {"type": mapped["type"], "coordinates": _round(mapped["coordinates"], digits)},
        "properties": {"code": row.code, "kind": row.kind, "status": row.status},
    }


def open_areas(
    register: Register, bbox: tuple[float, float, float, float] | None, limit: int, offset: int, digits: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of public features of open hazard areas, and how many match."""
    with register.reading() as conn:
        rows, total = store.open_areas(conn, bbox, limit, offset)
    return [_feature(r, digits) for r in rows], total


def open_area(register: Register, code: str, digits: int) -> dict[str, Any] | None:
    with register.reading() as conn:
        row = store.open_area(conn, code)
    return None if row is None else _feature(row, digits)
