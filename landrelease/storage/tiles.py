"""Mapbox vector tiles of the register, so the map stays fast with 100,000+ hazard areas.

Two builders give the same tile: the same features, ids, layers and properties.

- PostGIS builds the tile in the database (``ST_AsMVTGeom`` clips and snaps to the tile's
  grid, ``ST_AsMVT`` encodes), as Martin and pg_tileserv do: one round trip, no geometry
  crosses the wire. Hazard areas keep their Web Mercator geometry in a generated column with
  its own GiST index (migration ``tiles_2_1``), so nothing is reprojected per tile.
- SQLite has no MVT encoder: geometries are read as WKB and handled as Shapely 2 arrays —
  projected, simplified with the zoom's tolerance, clipped and snapped to the grid in bulk —
  and encoded by :mod:`landrelease.storage.mvt` (vectorised; ``mapbox_vector_tile`` took a
  tenth of a millisecond per feature).

From ``DETAIL_ZOOM`` on, rows are the ones whose bounding box meets the tile plus its buffer
(SQLite's R*Tree, PostGIS's GiST on the Web Mercator geometry through ``&&``) and every area
is its own polygon. Below it, areas narrower than two screen pixels are sent as one point per
4×4-pixel cell (layer ``hazard-points``; the highest priority area of the cell stands for it
and ``n`` counts them all), so a whole region stays light; nothing is hidden. Which areas are
drawn and how the small ones cluster comes, on both backends, from a :class:`TileIndex` of
the areas' boxes kept per data version (read once after each write), so a zoom-6 tile reads
only the rows it sends rather than every area of the region.
"""

from __future__ import annotations

import json
import math
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    String,
    bindparam,
    case,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy import column as sa_column
from sqlalchemy.dialects.postgresql import ARRAY

from landrelease.domain.enums import OPEN_STATUS_VALUES, HazardStatus
from landrelease.storage import mvt, schema
from landrelease.storage.assessments import p_any_of
from landrelease.storage.features import wkb
from landrelease.storage.summary import data_version_of

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
    version: int | None = None  # the data version (None: read it when needed)


def tile_context(conn: Connection, version: int | None = None) -> TileContext:
    """The context of the data version this connection sees (``version`` when the caller has
    read it already); computed once per version."""
    version = data_version_of(conn) if version is None else version
    held = _CONTEXTS.get(conn.engine)
    if held is not None and held[0] == version:
        return held[1]
    context = _tile_context(conn, version)
    with _LOCK:
        _CONTEXTS[conn.engine] = (version, context)
    return context


def _tile_context(conn: Connection, version: int) -> TileContext:
    t = schema.task
    origin = conn.execute(select(func.min(t.c.planned_start))).scalar()
    if origin is None or conn.dialect.name == "postgresql":
        return TileContext(origin, version=version)
    rows = conn.execute(
        select(t.c.hazard_id, func.min(t.c.planned_start)).where(t.c.planned_start.is_not(None)).group_by(t.c.hazard_id)
    ).all()
    return TileContext(origin, {int(r[0]): _phase(origin, r[1]) for r in rows}, version)


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
    key: str = ""  # names the selection (collection and audience) for the version's index


def _spec(collection: str) -> _Spec:
    if collection == "hazard-areas":
        h = schema.hazard_area
        return _Spec(
            h,
            ("code", "status", "priority", "land_use", "kind", "p_any"),
            (h.c.status != HazardStatus.SUPERSEDED.value,),
            True,
            key="hazard-areas",
        )
    if collection == "settlements":
        return _Spec(schema.settlement, ("code", "name", "population", "displaced"), (), False, key="settlements")
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
    if spec.by_id:
        return [tbl.c.id]
    return [tbl.c.population.desc(), tbl.c.id]


def _padded(z: int, x: int, y: int) -> tuple[tuple[float, float, float, float], float]:
    """The tile's bounds grown by the buffer, and the width in degrees under which an area is a point."""
    west, south, east, north = tile_bounds(z, x, y)
    pad_x = (east - west) * BUFFER / EXTENT
    pad_y = (north - south) * BUFFER / EXTENT
    small_deg = (east - west) * SMALL_UNITS / EXTENT if z < DETAIL_ZOOM else 0.0
    return (west - pad_x, south - pad_y, east + pad_x, north + pad_y), small_deg


def build_public_tile(conn: Connection, z: int, x: int, y: int, generalise: Any, version: int | None = None) -> bytes:
    """The public safety map's tile: open hazard areas, code/kind/status only, each geometry
    passed through ``generalise`` (an array of Shapely geometries in, the same out) before it is
    projected; built by the Python path on both backends so the generalisation is the one the
    public OGC items use."""
    h = schema.hazard_area
    spec = _Spec(h, ("code", "status", "kind"), (h.c.status.in_(OPEN_STATUS_VALUES),), False, by_id=True, key="public")
    return _build_python(conn, "hazard-areas", spec, z, x, y, TileContext(None, version=version), generalise)


def build_tile(conn: Connection, collection: str, z: int, x: int, y: int, context: TileContext) -> bytes:
    """Encode one tile of a collection (``KeyError`` for a collection without tiles)."""
    spec = _spec(collection)
    if conn.dialect.name == "postgresql":
        return _build_postgis(conn, collection, spec, z, x, y, context)
    return _build_python(conn, collection, spec, z, x, y, context)


# ---------------------------------------------------------------- PostGIS: ST_AsMVT


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:3857 metres of a lon/lat point."""
    r = 6378137.0
    lat = min(max(lat, -85.0511287798), 85.0511287798)
    return math.radians(lon) * r, r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _build_postgis(
    conn: Connection, collection: str, spec: _Spec, z: int, x: int, y: int, context: TileContext
) -> bytes:
    (west, south, east, north), small_deg = _padded(z, x, y)
    # The functions' high declared costs would make PostgreSQL JIT-compile this query and scan
    # the table in parallel rather than through the GiST index, both slower for one tile: off
    # for this transaction.
    conn.exec_driver_sql("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
    tbl = spec.table
    tile_env = func.ST_TileEnvelope(z, x, y)
    width = tile_env_width(z)
    # Hazard areas carry their Web Mercator geometry (a generated column with its own GiST
    # index): nothing is reprojected per tile. Settlements (a few thousand) are projected here.
    stored = "geom_3857" if tbl is schema.hazard_area else None
    merc = literal_column(f"{tbl.name}.{stored}") if stored else func.ST_Transform(tbl.c.geometry, 3857)
    index = _index(conn, spec, context.version) if z < DETAIL_ZOOM else None
    if index is not None:  # below DETAIL_ZOOM the version's index names the drawn areas
        near = [_id_in(conn, tbl.c.id, index.big_ids((west, south, east, north), small_deg))]
    else:
        # The box in degrees is the one SQLite's R*Tree uses; projected, it is exactly the
        # same test on the Web Mercator geometry's GiST index (Mercator keeps boxes boxes).
        (mx0, my0), (mx1, my1) = _mercator(west, south), _mercator(east, north)
        env = func.ST_MakeEnvelope(mx0 - 1e-3, my0 - 1e-3, mx1 + 1e-3, my1 + 1e-3, 3857)
        box = (
            merc.op("&&")(env)
            if stored
            else tbl.c.geometry.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326))
        )
        near = [box, tbl.c.maxx >= west, tbl.c.minx <= east, tbl.c.maxy >= south, tbl.c.miny <= north, *spec.where]

    def props(of: Any) -> list[Any]:
        """The properties, read only for the features sent (P(any EO) and the phase are lookups)."""
        cols = _prop_columns(spec, of)
        if spec.by_priority and context.origin is not None:
            t = schema.task
            start = select(func.min(t.c.planned_start)).where(t.c.hazard_id == of.c.id).scalar_subquery()
            months = (func.extract("year", start) - context.origin.year) * 12 + func.extract("month", start)
            cols.append((1 + func.floor((months - context.origin.month) / 3)).cast(Integer).label("phase"))
        return cols

    # Polygons: simplified in Web Mercator (the zoom's tolerance in tile units), then clipped and
    # snapped by ST_AsMVTGeom (materialized, so each is computed once).
    g = func.ST_Simplify(merc, width / EXTENT * _tolerance(z), True)
    drawn = select(tbl.c.id, g.label("g")).where(*near).cte("drawn")
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
    poly_mvt = (
        select(func.ST_AsMVT(text("polys"), collection, EXTENT, "geom", "id"))
        .select_from(polys)
        .where(polys.c.geom.is_not(None))
        .scalar_subquery()
    )
    point_mvt: Any = None
    if index is not None:
        # Points: the index's cells (computed as on SQLite), encoded here with the
        # representatives' properties.
        ids, gx, gy, counts = index.cells(z, x, y, small_deg)
        if len(ids):
            cells = (
                func.unnest(
                    bindparam("cell_ids", ids.tolist(), type_=ARRAY(BigInteger)),
                    bindparam("cell_gx", gx.tolist(), type_=ARRAY(Integer)),
                    bindparam("cell_gy", gy.tolist(), type_=ARRAY(Integer)),
                    bindparam("cell_n", counts.tolist(), type_=ARRAY(Integer)),
                )
                .table_valued("id", "gx", "gy", "n")
                .render_derived(name="cells")
            )
            point_tbl = tbl.alias("q")
            points = (
                select(
                    cells.c.id,
                    *props(point_tbl),
                    cells.c.n.label("n"),
                    func.ST_MakePoint((cells.c.gx + 0.5) * POINT_GRID, (cells.c.gy + 0.5) * POINT_GRID).label("geom"),
                )
                .join_from(cells, point_tbl, point_tbl.c.id == cells.c.id)
                .order_by(cells.c.id)
                .subquery("points")
            )
            point_mvt = (
                select(func.ST_AsMVT(text("points"), POINT_LAYERS[collection], EXTENT, "geom", "id"))
                .select_from(points)
                .scalar_subquery()
            )
    both: Any = func.coalesce(poly_mvt, b"")
    if point_mvt is not None:
        both = both.op("||")(func.coalesce(point_mvt, b""))
    data = conn.execute(select(both)).scalar()
    return bytes(data or b"")


def _tolerance(z: int) -> float:
    """Simplification tolerance in tile units: two below ``DETAIL_ZOOM``, half a unit from there."""
    return 2.0 if z < DETAIL_ZOOM else 0.5


def tile_env_width(z: int) -> float:
    """Width of a tile at zoom ``z`` in Web Mercator metres."""
    return 2 * 20037508.342789244 / 2.0**z


# ---------------------------------------------------------------- the version's index


def _id_in(conn: Connection, column: Any, ids: np.ndarray) -> Any:
    """``column`` among ``ids``, passed as one parameter (an array on PostgreSQL, a JSON list on
    SQLite) however many there are."""
    values = [int(i) for i in ids]
    if conn.dialect.name == "postgresql":
        return column == func.any(bindparam("ids", values, type_=ARRAY(BigInteger)))
    each = func.json_each(bindparam("ids", json.dumps(values), type_=String)).table_valued("value")
    return column.in_(select(each.c.value))


@dataclass(frozen=True)
class TileIndex:
    """What a low-zoom tile needs of every area of a collection, as NumPy arrays in the
    collection's order (the area that stands for a point cell first): the bounding box, its
    larger side in degrees, and the box centre in Web Mercator world units (0…1, y down).

    Built once per data version (reading the bounding boxes, not the geometries), so a zoom-6
    tile selects its few drawable polygons and clusters its tens of thousands of small areas
    in NumPy instead of reading every row; high zooms keep using the spatial index."""

    ids: np.ndarray
    box: np.ndarray  # minx, miny, maxx, maxy
    side: np.ndarray
    wx: np.ndarray
    wy: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray) -> TileIndex:
        ids = rows[:, 0].astype(np.int64)
        box = rows[:, 1:5]
        side = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
        lon = (box[:, 0] + box[:, 2]) / 2
        rad = np.radians(np.clip((box[:, 1] + box[:, 3]) / 2, -85.0511, 85.0511))
        wx = (lon + 180.0) / 360.0
        wy = (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0
        return cls(ids, box, side, wx, wy)

    def big_ids(self, bounds: tuple[float, float, float, float], small_deg: float) -> np.ndarray:
        """The areas drawn as polygons: wide enough, their box meeting the (padded) bounds."""
        west, south, east, north = bounds
        b = self.box
        hit = (b[:, 2] >= west) & (b[:, 0] <= east) & (b[:, 3] >= south) & (b[:, 1] <= north)
        return np.sort(self.ids[hit & (self.side >= small_deg)])

    def cells(self, z: int, x: int, y: int, small_deg: float) -> tuple[np.ndarray, ...]:
        """The point cells of a tile: the standing area's id, the cell (gx, gy) and how many
        small areas it holds, by id."""
        n = 2.0**z
        near = (self.wx >= x / n - 1e-9) & (self.wx <= (x + 1) / n + 1e-9)
        near &= (self.wy >= y / n - 1e-9) & (self.wy <= (y + 1) / n + 1e-9)
        pick = np.flatnonzero(near & (self.side < small_deg))
        tx = (self.wx[pick] * n - x) * EXTENT  # as ``_to_tile`` computes it
        ty = (self.wy[pick] * n - y) * EXTENT
        ok = (tx >= 0) & (tx < EXTENT) & (ty >= 0) & (ty < EXTENT)
        pick, tx, ty = pick[ok], tx[ok], ty[ok]
        gx = (tx // POINT_GRID).astype(np.int64)
        gy = (ty // POINT_GRID).astype(np.int64)
        _, first, counts = np.unique(gx * 100_000 + gy, return_index=True, return_counts=True)
        ids = self.ids[pick[first]]
        order = np.argsort(ids)
        return ids[order], gx[first][order], gy[first][order], counts[order]


_INDEXES: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, TileIndex]]] = weakref.WeakKeyDictionary()
_CONTEXTS: weakref.WeakKeyDictionary[Engine, tuple[int, TileContext]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _index(conn: Connection, spec: _Spec, version: int | None) -> TileIndex:
    """The collection's index for the data version this connection sees (built on first use)."""
    version = data_version_of(conn) if version is None else version
    held = _INDEXES.get(conn.engine, {}).get(spec.key)
    if held is not None and held[0] == version:
        return held[1]
    tbl = spec.table
    stmt = select(tbl.c.id, tbl.c.minx, tbl.c.miny, tbl.c.maxx, tbl.c.maxy).where(*spec.where).order_by(*_order(spec))
    index = TileIndex.of(_numbers(conn, stmt, 5))
    with _LOCK:
        _INDEXES.setdefault(conn.engine, {})[spec.key] = (version, index)
    return index


def _numbers(conn: Connection, stmt: Any, width: int) -> np.ndarray:
    """A numeric query's rows as one float array, straight from the driver (SQLAlchemy's row
    objects for 100,000 rows cost seconds on psycopg, a tenth of that without them)."""
    cur = conn.connection.cursor()
    try:
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = [compiled.params[k] for k in compiled.positiontup or ()] if compiled.positional else compiled.params
        cur.execute(str(compiled), params)
        return np.asarray(cur.fetchall(), dtype=float).reshape(-1, width)
    finally:
        cur.close()


# ---------------------------------------------------------------- SQLite: Shapely + our MVT encoder


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
    index = _index(conn, spec, context.version) if z < DETAIL_ZOOM else None
    if index is not None:  # the areas wide enough to draw, from the version's index: few at low zoom
        inside = _id_in(conn, tbl.c.id, index.big_ids(bounds, small_deg))
    elif conn.dialect.name == "sqlite":
        rt = _rtree(tbl.name)
        inside = tbl.c.id.in_(
            select(rt.c.id).where(rt.c.maxx >= west, rt.c.minx <= east, rt.c.maxy >= south, rt.c.miny <= north)
        )
    else:
        inside = tbl.c.geometry.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326))
    project = _to_tile(z, x, y)
    polygons = mvt.Layer(collection, np.empty(0, dtype=object), [], {})
    points = None

    # Polygons: the areas wide enough to show, with their geometry and properties.
    big_rows = conn.execute(
        select(tbl.c.id, *props, wkb(tbl.c.geometry, conn.dialect.name).label("_wkb"))
        .where(inside, *spec.where)
        .order_by(tbl.c.id)
    ).all()
    if big_rows:
        geoms = shapely.from_wkb([bytes(r._wkb) for r in big_rows])
        if generalise is not None:
            geoms = generalise(geoms)
        # Projected to tile units, then simplified there with the zoom's tolerance, as PostGIS's
        # ST_Simplify(…, preserve_collapsed) does on the stored Web Mercator geometry: plain
        # Douglas-Peucker (a tenth of the topology-preserving one's time); a thin strip it would
        # collapse is simplified with half the tolerance, and so on, and kept as it was at last.
        geoms = shapely.transform(geoms, project)
        simple = np.empty(len(geoms), dtype=object)
        gone = np.ones(len(geoms), dtype=bool)
        for tolerance in _tolerance(z) / np.array([1, 2, 4, 8]):
            simple[gone] = shapely.simplify(geoms[gone], tolerance, preserve_topology=False)
            gone &= shapely.is_empty(simple) | (shapely.area(simple) <= 0)
            if not gone.any():
                break
        geoms = np.where(gone, geoms, simple)
        geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        # Snap to the tile's integer grid as ST_AsMVTGeom does (vertex by vertex, and made valid
        # where that broke the outline); what collapses there (a strip under a unit wide) is
        # drawn as one unit square at its place: never hidden.
        shown = ~shapely.is_empty(geoms)
        snapped = shapely.set_precision(geoms, 1.0, mode="pointwise")
        broken = shown & ~shapely.is_valid(snapped)
        if broken.any():
            snapped[broken] = shapely.set_precision(geoms[broken], 1.0)
        collapsed = shown & (shapely.is_empty(snapped) | (shapely.area(snapped) <= 0))
        if collapsed.any():
            b = shapely.bounds(geoms[collapsed])
            ux = np.floor((b[:, 0] + b[:, 2]) / 2)
            uy = np.floor((b[:, 1] + b[:, 3]) / 2)
            snapped[collapsed] = shapely.box(ux, uy, ux + 1, uy + 1)
        # MVT's exterior rings have a positive surveyor's area in tile units (clockwise on screen).
        snapped = shapely.orient_polygons(snapped[shown], exterior_cw=False)
        rows = [r for r, k in zip(big_rows, shown, strict=True) if k]
        polygons = mvt.Layer(collection, snapped, [int(r.id) for r in rows], _columns(rows, names, phases))

    # Points: the index's cells (the first area of each in the collection's order stands for it);
    # only the representatives' properties are read.
    if index is not None:
        ids, gx, gy, counts = index.cells(z, x, y, small_deg)
        if len(ids):
            read = conn.execute(select(tbl.c.id, *props).where(_id_in(conn, tbl.c.id, ids))).all()
            by_id = {int(r.id): r for r in read}
            columns = _columns([by_id[i] for i in ids.tolist()], names, phases)
            columns["n"] = counts.tolist()
            xy = np.column_stack([(gx + 0.5) * POINT_GRID, (gy + 0.5) * POINT_GRID])
            points = mvt.Layer(POINT_LAYERS[collection], shapely.points(xy), ids.tolist(), columns)
    return mvt.encode(polygons, points, EXTENT)


def _columns(rows: list[Any], names: list[str], phases: dict[int, int]) -> dict[str, list[Any]]:
    """The features' properties as columns (``None`` is left out of the tile), with the plan
    phase where the area is planned."""
    out = {n: [r[1 + j] for r in rows] for j, n in enumerate(names)}
    if phases:
        out["phase"] = [phases.get(int(r.id)) for r in rows]
    return out
