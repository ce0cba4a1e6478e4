"""Mapbox vector tiles of the register, so the map stays fast with 100,000+ hazard areas.

A tile is built from the rows whose bounding box meets it (the bbox columns; SQLite's
R*Tree, PostGIS's GiST through ``&&``). Geometries are projected to tile units, clipped and
simplified in bulk by Shapely. Areas smaller than a couple of pixels at the tile's zoom are
sent as one point per grid cell (layer ``hazard-points``, with the count ``n``) so a whole
region stays light at low zoom; nothing is hidden, and from ``DETAIL_ZOOM`` on every area
is its own polygon. Tiles are cached per data version (the newest audit event), so any
write through a unit of work refreshes them.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, and_, case, func, select, table
from sqlalchemy import column as sa_column

from landrelease.api.problems import ApiProblem
from landrelease.api.public import Visitor, public_only
from landrelease.domain.enums import OPEN_STATUS_VALUES, HazardStatus
from landrelease.services.public import generalise
from landrelease.storage import schema
from landrelease.storage.assessments import p_any_of
from landrelease.storage.features import wkb

EXTENT = 4096
BUFFER = 64  # tile units around the tile kept so that strokes join across tiles
DETAIL_ZOOM = 13
SMALL_UNITS = 32  # an area narrower than this (2 screen pixels) is drawn as a point below DETAIL_ZOOM
POINT_GRID = 64  # one point per 4×4 screen pixels stands for the small areas in it (``n`` counts them)
MVT = "application/vnd.mapbox-vector-tile"
TILE_COLLECTIONS = ("hazard-areas", "settlements")

router = APIRouter(tags=["vector tiles"])


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Lon/lat bounds (west, south, east, north) of a Web Mercator tile."""
    n = 2.0**z
    west = x / n * 360.0 - 180.0
    east = (x + 1) / n * 360.0 - 180.0
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    return west, south, east, north


def _to_tile(z: int, x: int, y: int) -> Any:
    n = 2.0**z

    def project(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], np.clip(xy[:, 1], -85.0511, 85.0511)
        tx = ((lon + 180.0) / 360.0 * n - x) * EXTENT
        rad = np.radians(lat)
        ty = ((1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0 * n - y) * EXTENT
        return np.column_stack([tx, ty])

    return project


def _rtree(name: str) -> Any:
    return table(
        f"{name}_rtree", sa_column("id"), sa_column("minx"), sa_column("maxx"), sa_column("miny"), sa_column("maxy")
    )


class TileCache:
    """A bounded LRU of encoded tiles keyed by (collection, z, x, y, data version)."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[Any, ...], data: bytes) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = data
            self._bytes += len(data)
            while self._bytes > self._max and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= len(old)


def data_version(conn: Connection) -> int:
    """Every write through a unit of work appends an audit event: its id versions the data."""
    return int(conn.execute(select(func.max(schema.audit_event.c.id))).scalar() or 0)


def _phases(conn: Connection) -> dict[int, int]:
    """Plan phase (quarter of the planned start, 1 = the plan's first quarter) of each hazard area."""
    t = schema.task
    rows = conn.execute(
        select(t.c.hazard_id, func.min(t.c.planned_start)).where(t.c.planned_start.is_not(None)).group_by(t.c.hazard_id)
    ).all()
    if not rows:
        return {}
    first = min(r[1] for r in rows)
    return {int(r[0]): 1 + ((r[1].year - first.year) * 12 + r[1].month - first.month) // 3 for r in rows}


def _bbox_filter(conn: Connection, tbl: Any, name: str, bounds: tuple[float, float, float, float]) -> Any:
    west, south, east, north = bounds
    if conn.dialect.name == "sqlite":
        rt = _rtree(name)
        return tbl.c.id.in_(
            select(rt.c.id).where(rt.c.maxx >= west, rt.c.minx <= east, rt.c.maxy >= south, rt.c.miny <= north)
        )
    envelope = func.ST_MakeEnvelope(west, south, east, north, 4326)
    return and_(tbl.c.geometry.op("&&")(envelope))


def build_tile(
    conn: Connection,
    collection: str,
    z: int,
    x: int,
    y: int,
    phases: dict[int, int] | None = None,
    public_digits: int | None = None,
) -> bytes:
    """Encode one tile of a collection; with ``public_digits``, the public safety map's tile (open
    hazard areas, code/kind/status only, geometry generalised to that many decimal places)."""
    west, south, east, north = tile_bounds(z, x, y)
    pad_x = (east - west) * BUFFER / EXTENT
    pad_y = (north - south) * BUFFER / EXTENT
    bounds = (west - pad_x, south - pad_y, east + pad_x, north + pad_y)
    # Width in degrees under which an area becomes a point at this zoom.
    small_deg = (east - west) * SMALL_UNITS / EXTENT if z < DETAIL_ZOOM else 0.0
    project = _to_tile(z, x, y)
    dialect = conn.dialect.name
    if collection == "hazard-areas" and public_digits is not None:
        tbl = schema.hazard_area
        props: list[Any] = [tbl.c.code, tbl.c.status, tbl.c.kind]
        where: list[Any] = [tbl.c.status.in_(OPEN_STATUS_VALUES)]
        order: list[Any] = [tbl.c.id]
        phases = None
    elif collection == "hazard-areas":
        tbl = schema.hazard_area
        props = [
            tbl.c.code,
            tbl.c.status,
            tbl.c.priority_score.label("priority"),
            tbl.c.land_use,
            tbl.c.kind,
            p_any_of(tbl.c.id).label("p_any"),
        ]
        where = [tbl.c.status != HazardStatus.SUPERSEDED.value]
        order = [tbl.c.priority_score.desc(), tbl.c.id] if small_deg else [tbl.c.id]
    elif collection == "settlements":
        tbl = schema.settlement
        props = [tbl.c.code, tbl.c.name, tbl.c.population, tbl.c.displaced]
        where = []
        order = [tbl.c.population.desc(), tbl.c.id]
    else:
        raise ApiProblem(404, f"no tiles for {collection!r} (have: {', '.join(TILE_COLLECTIONS)})", field="collection")
    big = ((tbl.c.maxx - tbl.c.minx) >= small_deg) | ((tbl.c.maxy - tbl.c.miny) >= small_deg)
    stmt = (
        select(
            tbl.c.id,
            *props,
            tbl.c.minx,
            tbl.c.miny,
            tbl.c.maxx,
            tbl.c.maxy,
            case((big, wkb(tbl.c.geometry, dialect)), else_=None).label("_wkb"),
        )
        .where(_bbox_filter(conn, tbl, tbl.name, bounds), *where)
        .order_by(*order)
    )
    rows = conn.execute(stmt).all()
    names = [c.name for c in props]
    polygons: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    if rows:
        blobs = np.asarray([bytes(r._wkb) if r._wkb is not None else None for r in rows], dtype=object)
        is_big = np.asarray([b is not None for b in blobs])
        if is_big.any():
            geoms = shapely.from_wkb(blobs[is_big])
            if public_digits is not None:
                geoms = generalise(geoms, public_digits)
            geoms = shapely.transform(geoms, project)
            geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
            geoms = shapely.simplify(geoms, 2.0 if z < DETAIL_ZOOM else 0.5, preserve_topology=True)
            big_rows = [r for r, b in zip(rows, is_big, strict=True) if b]
            for r, g in zip(big_rows, geoms, strict=True):
                if g is None or g.is_empty:
                    continue
                polygons.append({"geometry": g, "properties": _props(r, names, phases), "id": int(r.id)})
        small_rows = [r for r, b in zip(rows, is_big, strict=True) if not b]
        if small_rows:
            bb = np.asarray([[r.minx, r.miny, r.maxx, r.maxy] for r in small_rows], dtype=float)
            centres = project(np.column_stack([(bb[:, 0] + bb[:, 2]) / 2, (bb[:, 1] + bb[:, 3]) / 2]))
            inside = (centres[:, 0] >= 0) & (centres[:, 0] < EXTENT) & (centres[:, 1] >= 0) & (centres[:, 1] < EXTENT)
            cells = (centres[:, 0] // POINT_GRID).astype(np.int64) * 100_000 + (centres[:, 1] // POINT_GRID).astype(
                np.int64
            )
            # Rows come ordered by priority: the first in a cell represents it, ``n`` counts them all.
            _, first, counts = np.unique(np.where(inside, cells, -1), return_index=True, return_counts=True)
            for i, n in zip(first, counts, strict=True):
                if not inside[i]:
                    continue
                cx = (centres[i, 0] // POINT_GRID + 0.5) * POINT_GRID
                cy = (centres[i, 1] // POINT_GRID + 0.5) * POINT_GRID
                p = _props(small_rows[i], names, phases)
                p["n"] = int(n)
                points.append({"geometry": shapely.Point(cx, cy), "properties": p, "id": int(small_rows[i].id)})
    layer = "hazard-areas" if collection == "hazard-areas" else "settlements"
    layers = [{"name": layer, "features": polygons}]
    if points:
        layers.append(
            {"name": "hazard-points" if collection == "hazard-areas" else "settlement-points", "features": points}
        )
    return mapbox_vector_tile.encode(
        layers,
        default_options={
            "extents": EXTENT,
            "y_coord_down": True,
            "check_winding_order": True,
            "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid,
        },
    )


def _props(r: Any, names: list[str], phases: dict[int, int] | None) -> dict[str, Any]:
    m = r._mapping
    out = {n: m[n] for n in names if m[n] is not None}
    if phases:
        phase = phases.get(int(r.id))
        if phase is not None:
            out["phase"] = phase
    return out


@router.get(
    "/tiles/{collection}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {MVT: {}}, "description": "a Mapbox vector tile"}},
    summary="A vector tile of hazard areas or settlements",
)
def tile(request: Request, collection: str, z: int, x: int, y: int, visitor: Visitor) -> Response:
    if collection not in TILE_COLLECTIONS:
        raise ApiProblem(404, f"no tiles for {collection!r} (have: {', '.join(TILE_COLLECTIONS)})", field="collection")
    if not 0 <= z <= 22:
        raise ApiProblem(400, "zoom must be 0…22", field="z")
    if not (0 <= x < 2**z):
        raise ApiProblem(400, f"x must be 0…{2**z - 1} at zoom {z}", field="x")
    if not (0 <= y < 2**z):
        raise ApiProblem(400, f"y must be 0…{2**z - 1} at zoom {z}", field="y")
    state = request.app.state
    public_digits = None
    if visitor is None:
        public_only(collection)
        public_digits = state.settings.public_map_precision
    with state.register.reading() as conn:
        version = data_version(conn)
        key = (collection, z, x, y, version, public_digits)
        data = state.tile_cache.get(key)
        if data is None:
            phases = None
            if collection == "hazard-areas" and public_digits is None:
                cached = getattr(state, "phases", None)
                if cached is None or cached[0] != version:
                    cached = (version, _phases(conn))
                    state.phases = cached
                phases = cached[1]
            data = build_tile(conn, collection, z, x, y, phases, public_digits)
            state.tile_cache.put(key, data)
    return Response(
        data, media_type=MVT, headers={"Cache-Control": "private, max-age=30", "ETag": f'"{version}-{z}-{x}-{y}"'}
    )
