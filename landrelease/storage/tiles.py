"""Mapbox vector tiles of the register, so the map stays fast with 100,000+ hazard areas.

Two builders give the same tile: the same features, ids, layers and properties.

- PostGIS builds the tile in the database (``ST_AsMVTGeom`` clips and snaps to the tile's
  grid, ``ST_AsMVT`` encodes), as Martin and pg_tileserv do: one round trip, no geometry
  crosses the wire.
- SQLite has no MVT encoder: geometries are read as WKB and handled as Shapely 2 arrays —
  simplified in degrees before projection (the tolerance follows the zoom, so a zoom-6
  tile projects a fraction of the vertices), projected, clipped and snapped to the grid in
  bulk — and then encoded by ``mapbox_vector_tile``.

Rows are the ones whose bounding box meets the tile plus its buffer (SQLite's R*Tree,
PostGIS's GiST through ``&&``). Areas narrower than two screen pixels at the tile's zoom are
sent as one point per 4×4-pixel cell (layer ``hazard-points``; the highest priority area of
the cell stands for it and ``n`` counts them all), so a whole region stays light at low
zoom; nothing is hidden, and from ``DETAIL_ZOOM`` on every area is its own polygon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from sqlalchemy import Connection, Integer, case, func, select, table, text
from sqlalchemy import column as sa_column

from landrelease.domain.enums import OPEN_STATUS_VALUES, HazardStatus
from landrelease.storage import schema
from landrelease.storage.assessments import p_any_of
from landrelease.storage.features import wkb

EXTENT = 4096
BUFFER = 64  # tile units around the tile kept so that strokes join across tiles
DETAIL_ZOOM = 13
SMALL_UNITS = 32  # an area narrower than this (2 screen pixels) is drawn as a point below DETAIL_ZOOM
POINT_GRID = 64  # one point per 4×4 screen pixels stands for the small areas in it (``n`` counts them)
TILE_COLLECTIONS = ("hazard-areas", "settlements")
POINT_LAYERS = {"hazard-areas": "hazard-points", "settlements": "settlement-points"}


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Lon/lat bounds (west, south, east, north) of a Web Mercator tile."""
    n = 2.0**z
    west = x / n * 360.0 - 180.0
    east = (x + 1) / n * 360.0 - 180.0
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    return west, south, east, north


@dataclass(frozen=True)
class TileContext:
    """What every tile of one data version shares: the plan's first quarter (phase 1), and on
    SQLite the phase of each planned hazard area (PostGIS computes it in the tile's query)."""

    origin: date | None
    phases: dict[int, int] = field(default_factory=dict)


def tile_context(conn: Connection) -> TileContext:
    t = schema.task
    origin = conn.execute(select(func.min(t.c.planned_start))).scalar()
    if origin is None or conn.dialect.name == "postgresql":
        return TileContext(origin)
    rows = conn.execute(
        select(t.c.hazard_id, func.min(t.c.planned_start)).where(t.c.planned_start.is_not(None)).group_by(t.c.hazard_id)
    ).all()
    return TileContext(origin, {int(r[0]): _phase(origin, r[1]) for r in rows})


def _phase(origin: date, start: date) -> int:
    """Plan phase: the quarter of the planned start, counted from the plan's first month (1 = first)."""
    return 1 + ((start.year - origin.year) * 12 + start.month - origin.month) // 3


@dataclass(frozen=True)
class _Spec:
    table: Any
    props: tuple[str, ...]  # property name → column (label); NULLs are left out of the tile
    where: tuple[Any, ...]
    by_priority: bool  # which small area stands for its cell: highest priority first, else most people
    by_id: bool = False  # …or the lowest id (the public map shows no priorities)


def _spec(collection: str) -> _Spec:
    if collection == "hazard-areas":
        h = schema.hazard_area
        return _Spec(
            h,
            ("code", "status", "priority", "land_use", "kind", "p_any"),
            (h.c.status != HazardStatus.SUPERSEDED.value,),
            True,
        )
    if collection == "settlements":
        return _Spec(schema.settlement, ("code", "name", "population", "displaced"), (), False)
    raise KeyError(collection)


def _prop_columns(spec: _Spec, tbl: Any = None) -> list[Any]:
    tbl = spec.table if tbl is None else tbl
    out = []
    for name in spec.props:
        if name == "priority":
            out.append(tbl.c.priority_score.label("priority"))
        elif name == "p_any":
            out.append(p_any_of(tbl.c.id).label("p_any"))
        else:
            out.append(tbl.c[name])
    return out


def _order(spec: _Spec) -> list[Any]:
    tbl = spec.table
    if spec.by_priority:
        return [tbl.c.priority_score.desc().nulls_last(), tbl.c.id]
    return [tbl.c.population.desc(), tbl.c.id]


def _padded(z: int, x: int, y: int) -> tuple[tuple[float, float, float, float], float]:
    """The tile's bounds grown by the buffer, and the width in degrees under which an area is a point."""
    west, south, east, north = tile_bounds(z, x, y)
    pad_x = (east - west) * BUFFER / EXTENT
    pad_y = (north - south) * BUFFER / EXTENT
    small_deg = (east - west) * SMALL_UNITS / EXTENT if z < DETAIL_ZOOM else 0.0
    return (west - pad_x, south - pad_y, east + pad_x, north + pad_y), small_deg


def build_public_tile(conn: Connection, z: int, x: int, y: int, generalise: Any) -> bytes:
    """The public safety map's tile: open hazard areas, code/kind/status only, each geometry
    passed through ``generalise`` (an array of Shapely geometries in, the same out) before it is
    projected; built by the Python path on both backends so the generalisation is the one the
    public OGC items use."""
    h = schema.hazard_area
    spec = _Spec(h, ("code", "status", "kind"), (h.c.status.in_(OPEN_STATUS_VALUES),), False, by_id=True)
    return _build_python(conn, "hazard-areas", spec, z, x, y, TileContext(None), generalise)


def build_tile(conn: Connection, collection: str, z: int, x: int, y: int, context: TileContext) -> bytes:
    """Encode one tile of a collection (``KeyError`` for a collection without tiles)."""
    spec = _spec(collection)
    if conn.dialect.name == "postgresql":
        return _build_postgis(conn, collection, spec, z, x, y, context)
    return _build_python(conn, collection, spec, z, x, y, context)


# ---------------------------------------------------------------- PostGIS: ST_AsMVT


def _build_postgis(
    conn: Connection, collection: str, spec: _Spec, z: int, x: int, y: int, context: TileContext
) -> bytes:
    (west, south, east, north), small_deg = _padded(z, x, y)
    # The functions' high declared costs would make PostgreSQL JIT-compile this query and scan
    # the table in parallel rather than through the GiST index, both slower for one tile: off
    # for this transaction.
    conn.exec_driver_sql("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
    tbl = spec.table
    big = ((tbl.c.maxx - tbl.c.minx) >= small_deg) | ((tbl.c.maxy - tbl.c.miny) >= small_deg)
    near = [tbl.c.geometry.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326)), *spec.where]
    tile_env = func.ST_TileEnvelope(z, x, y)
    width = tile_env_width(z)

    def props(of: Any) -> list[Any]:
        """The properties, read only for the features sent (P(any EO) and the phase are lookups)."""
        cols = _prop_columns(spec, of)
        if spec.by_priority and context.origin is not None:
            t = schema.task
            start = select(func.min(t.c.planned_start)).where(t.c.hazard_id == of.c.id).scalar_subquery()
            months = (func.extract("year", start) - context.origin.year) * 12 + func.extract("month", start)
            cols.append((1 + func.floor((months - context.origin.month) / 3)).cast(Integer).label("phase"))
        return cols

    # Polygons: simplified, then clipped and snapped by ST_AsMVTGeom (materialized,
    # so each is computed once).
    # (In degrees before the projection, as on SQLite, so fewer vertices are projected.)
    unit_deg = (east - west) / (EXTENT + 2 * BUFFER) * math.cos(math.radians((south + north) / 2))
    g = func.ST_Transform(func.ST_Simplify(tbl.c.geometry, unit_deg * _tolerance(z), True), 3857)
    drawn = select(tbl.c.id, g.label("g")).where(big, *near).cte("drawn")
    drawn = (
        select(drawn.c.id, drawn.c.g, func.ST_AsMVTGeom(drawn.c.g, tile_env, EXTENT, BUFFER, True).label("mvt"))
        .cte("mvt")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    # What the grid collapses (a strip under a unit wide) is drawn as one unit square: never hidden.
    clipped = func.ST_ClipByBox2D(drawn.c.g, func.ST_Expand(tile_env, width * BUFFER / EXTENT))
    ux = func.floor(((func.ST_XMin(clipped) + func.ST_XMax(clipped)) / 2 - func.ST_XMin(tile_env)) * EXTENT / width)
    uy = func.floor((func.ST_YMax(tile_env) - (func.ST_YMin(clipped) + func.ST_YMax(clipped)) / 2) * EXTENT / width)
    unit = case((~func.ST_IsEmpty(clipped), func.ST_MakeEnvelope(ux, uy, ux + 1, uy + 1)), else_=None)
    poly_tbl = tbl.alias("p")
    polys = (
        select(
            drawn.c.id,
            *props(poly_tbl),
            case((drawn.c.mvt.is_not(None), drawn.c.mvt), else_=unit).label("geom"),
        )
        .join_from(drawn, poly_tbl, poly_tbl.c.id == drawn.c.id)
        .order_by(drawn.c.id)
        .subquery("polys")
    )
    # Points: the small areas' bbox centres in tile units (the Python path's spherical Mercator),
    # one per grid cell, the collection's first standing for it.
    lat = func.least(func.greatest((tbl.c.miny + tbl.c.maxy) / 2, -85.0511), 85.0511)
    rad = func.radians(lat)
    n = 2.0**z
    cx = (((tbl.c.minx + tbl.c.maxx) / 2 + 180.0) / 360.0 * n - x) * EXTENT
    cy = ((1.0 - func.ln(func.tan(rad) + 1.0 / func.cos(rad)) / math.pi) / 2.0 * n - y) * EXTENT
    rank = tbl.c.priority_score.desc().nulls_last() if spec.by_priority else tbl.c.population.desc()
    centres = (
        select(tbl.c.id, cx.label("cx"), cy.label("cy"), func.row_number().over(order_by=(rank, tbl.c.id)).label("o"))
        .where(~big, *near)
        .subquery("centres")
    )
    gx = func.floor(centres.c.cx / POINT_GRID)
    gy = func.floor(centres.c.cy / POINT_GRID)
    ranked = (
        select(
            centres.c.id,
            gx.label("gx"),
            gy.label("gy"),
            func.row_number().over(partition_by=(gx, gy), order_by=centres.c.o).label("rn"),
            func.count().over(partition_by=(gx, gy)).label("n"),
        )
        .where(centres.c.cx >= 0, centres.c.cx < EXTENT, centres.c.cy >= 0, centres.c.cy < EXTENT)
        .subquery("ranked")
    )
    point_tbl = tbl.alias("q")
    points = (
        select(
            ranked.c.id,
            *props(point_tbl),
            ranked.c.n.cast(Integer).label("n"),
            func.ST_MakePoint((ranked.c.gx + 0.5) * POINT_GRID, (ranked.c.gy + 0.5) * POINT_GRID).label("geom"),
        )
        .join_from(ranked, point_tbl, point_tbl.c.id == ranked.c.id)
        .where(ranked.c.rn == 1)
        .order_by(ranked.c.id)
        .subquery("points")
    )
    poly_mvt = (
        select(func.ST_AsMVT(text("polys"), collection, EXTENT, "geom", "id"))
        .select_from(polys)
        .where(polys.c.geom.is_not(None))
        .scalar_subquery()
    )
    point_mvt = (
        select(func.ST_AsMVT(text("points"), POINT_LAYERS[collection], EXTENT, "geom", "id"))
        .select_from(points)
        .scalar_subquery()
    )
    data = conn.execute(select(func.coalesce(poly_mvt, b"").op("||")(func.coalesce(point_mvt, b"")))).scalar()
    return bytes(data or b"")


def _tolerance(z: int) -> float:
    """Simplification tolerance in tile units: two below ``DETAIL_ZOOM``, half a unit from there."""
    return 2.0 if z < DETAIL_ZOOM else 0.5


def tile_env_width(z: int) -> float:
    """Width of a tile at zoom ``z`` in Web Mercator metres."""
    return 2 * 20037508.342789244 / 2.0**z


# ---------------------------------------------------------------- SQLite: Shapely + mapbox_vector_tile


def _rtree(name: str) -> Any:
    return table(
        f"{name}_rtree", sa_column("id"), sa_column("minx"), sa_column("maxx"), sa_column("miny"), sa_column("maxy")
    )


def _to_tile(z: int, x: int, y: int) -> Any:
    n = 2.0**z

    def project(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], np.clip(xy[:, 1], -85.0511, 85.0511)
        tx = ((lon + 180.0) / 360.0 * n - x) * EXTENT
        rad = np.radians(lat)
        ty = ((1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0 * n - y) * EXTENT
        return np.column_stack([tx, ty])

    return project


def _build_python(
    conn: Connection,
    collection: str,
    spec: _Spec,
    z: int,
    x: int,
    y: int,
    context: TileContext,
    generalise: Any = None,
) -> bytes:
    bounds, small_deg = _padded(z, x, y)
    west, south, east, north = bounds
    tbl = spec.table
    props = _prop_columns(spec)
    names = [c.name for c in props]
    phases = context.phases if spec.by_priority else {}
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        rt = _rtree(tbl.name)
        inside = tbl.c.id.in_(
            select(rt.c.id).where(rt.c.maxx >= west, rt.c.minx <= east, rt.c.maxy >= south, rt.c.miny <= north)
        )
    else:
        inside = tbl.c.geometry.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326))
    big = ((tbl.c.maxx - tbl.c.minx) >= small_deg) | ((tbl.c.maxy - tbl.c.miny) >= small_deg)
    project = _to_tile(z, x, y)
    polygons: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []

    # Polygons: the areas wide enough to show, with their geometry and properties.
    big_rows = conn.execute(
        select(tbl.c.id, *props, wkb(tbl.c.geometry, conn.dialect.name).label("_wkb")).where(inside, big, *spec.where)
    ).all()
    if big_rows:
        geoms = shapely.from_wkb([bytes(r._wkb) for r in big_rows])
        if generalise is not None:
            geoms = generalise(geoms)
        # Simplify in degrees first (the zoom's tolerance; a tile unit spans fewer degrees of
        # latitude than of longitude, so cos(lat) keeps it fine), so the projection and the
        # clip see only the vertices that will show.
        unit_deg = (east - west) / (EXTENT + 2 * BUFFER) * math.cos(math.radians((south + north) / 2))
        geoms = shapely.simplify(geoms, unit_deg * _tolerance(z), preserve_topology=True)
        geoms = shapely.transform(geoms, project)
        geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        # Snap to the tile's integer grid as ST_AsMVTGeom does; what collapses there (a strip
        # under a unit wide) is drawn as one unit square at its place: never hidden.
        shown = ~shapely.is_empty(geoms)
        snapped = shapely.set_precision(geoms, 1.0)
        collapsed = shown & (shapely.is_empty(snapped) | (shapely.area(snapped) <= 0))
        if collapsed.any():
            b = shapely.bounds(geoms[collapsed])
            ux = np.floor((b[:, 0] + b[:, 2]) / 2)
            uy = np.floor((b[:, 1] + b[:, 3]) / 2)
            snapped[collapsed] = shapely.box(ux, uy, ux + 1, uy + 1)
        # MVT's exterior rings have a positive surveyor's area in tile units (clockwise on screen).
        snapped = shapely.orient_polygons(snapped, exterior_cw=False)
        for r, g, k in zip(big_rows, snapped, shown, strict=True):
            if k:
                polygons.append({"geometry": g, "properties": _props(r, names, phases), "id": int(r.id)})
        polygons.sort(key=lambda f: f["id"])

    # Points: only numbers are read for the small areas; the cell's first (by the collection's
    # order) stands for it and only its properties are read.
    rank = tbl.c.priority_score if spec.by_priority else tbl.c.id if spec.by_id else tbl.c.population
    stmt = select(tbl.c.id, tbl.c.minx, tbl.c.miny, tbl.c.maxx, tbl.c.maxy, rank).where(inside, ~big, *spec.where)
    if sqlite:  # straight from the driver: no row objects for what may be 100,000 rows
        cur = conn.connection.cursor()
        try:
            compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
            cur.execute(str(compiled), [compiled.params[k] for k in compiled.positiontup or ()])
            small = np.asarray(cur.fetchall(), dtype=float).reshape(-1, 6)
        finally:
            cur.close()
    else:
        small = np.asarray(conn.execute(stmt).all(), dtype=float).reshape(-1, 6)
    if len(small):
        centres = project(np.column_stack([(small[:, 1] + small[:, 3]) / 2, (small[:, 2] + small[:, 4]) / 2]))
        ok = (centres[:, 0] >= 0) & (centres[:, 0] < EXTENT) & (centres[:, 1] >= 0) & (centres[:, 1] < EXTENT)
        small, centres = small[ok], centres[ok]
        rank_desc = -np.where(np.isnan(small[:, 5]), -np.inf, small[:, 5])  # NULL ranks last
        if spec.by_id:
            rank_desc = np.zeros(len(small))
        order = np.lexsort((small[:, 0], rank_desc))
        small, centres = small[order], centres[order]
        gx = (centres[:, 0] // POINT_GRID).astype(np.int64)
        gy = (centres[:, 1] // POINT_GRID).astype(np.int64)
        _, first, counts = np.unique(gx * 100_000 + gy, return_index=True, return_counts=True)
        ids = small[first, 0].astype(np.int64)
        rows = {int(r.id): r for r in conn.execute(select(tbl.c.id, *props).where(tbl.c.id.in_(ids.tolist()))).all()}
        for i, n, fid in zip(first, counts, ids, strict=True):
            cx = (gx[i] + 0.5) * POINT_GRID
            cy = (gy[i] + 0.5) * POINT_GRID
            p = _props(rows[int(fid)], names, phases)
            p["n"] = int(n)
            points.append({"geometry": shapely.Point(cx, cy), "properties": p, "id": int(fid)})
        points.sort(key=lambda f: f["id"])
    layers = [{"name": collection, "features": polygons}]
    if points:
        layers.append({"name": POINT_LAYERS[collection], "features": points})
    return mapbox_vector_tile.encode(
        layers,
        default_options={
            "extents": EXTENT,
            "y_coord_down": True,
            "check_winding_order": False,  # oriented above, in bulk
            "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid,
        },
    )


def _props(r: Any, names: list[str], phases: dict[int, int]) -> dict[str, Any]:
    m = r._mapping
    out = {n: m[n] for n in names if m[n] is not None}
    phase = phases.get(int(r.id))
    if phase is not None:
        out["phase"] = phase
    return out
