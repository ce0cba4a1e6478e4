"""The feature provider: the register's collections queried and written as GeoJSON, on either backend.

pygeoapi's provider pattern: each collection is declared once (:class:`CollectionSpec`: its
tables, key, geometry, properties, filters); the API only formats what this returns. Rows are
read with plain SQLAlchemy Core (no domain objects on the hot path) and the GeoJSON is
assembled as text: geometries are converted in bulk by Shapely, properties by the fastest
JSON encoder available. Paging is by ``id`` order so that a page is stable. Hazard areas
carry the model's assessment (``p_any``, ``expected_items``) and their release in the newest
stored forecast (``forecast``), read from the typed result tables.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    column,
    func,
    literal,
    or_,
    select,
    table,
    type_coerce,
)
from sqlalchemy import LargeBinary as _LB

from landrelease.domain.enums import HazardStatus
from landrelease.storage import schema
from landrelease.storage.forecasts import area_forecast_columns, area_forecast_from_mapping, newest_register_forecast_id
from landrelease.storage.types import SRID

try:  # orjson is several times faster; the standard library is the fallback
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value, default=_default).decode()

    def loads(text: str) -> Any:
        return orjson.loads(text)

except ImportError:  # pragma: no cover - orjson is a pinned dependency

    def dumps(value: Any) -> str:
        return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)

    def loads(text: str) -> Any:
        return json.loads(text)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


BBox = tuple[float, float, float, float]
Interval = tuple[datetime | None, datetime | None]

h, e, a, s = schema.hazard_area, schema.evidence, schema.activity, schema.settlement


@dataclass(frozen=True)
class CollectionSpec:
    """How one feature collection maps onto the register's tables."""

    id: str
    title: str
    description: str
    source: FromClause
    key: ColumnElement[Any]  # the feature id (text)
    order: ColumnElement[Any]
    geometry: ColumnElement[Any]
    bbox: tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]
    properties: dict[str, ColumnElement[Any]]
    temporal: tuple[ColumnElement[Any], ColumnElement[Any]] | None = None
    where: Sequence[ColumnElement[bool]] = ()
    personal: frozenset[str] = frozenset()  # properties a viewer (donor) never sees
    by_key: Callable[[str], ColumnElement[bool]] | None = None
    queryables: dict[str, str] = field(default_factory=dict)  # property → JSON-schema type
    # What a feature's full row is read from (``source`` plus joined results) and the columns
    # it adds; ``compose`` turns those columns into properties. Filters and paging use ``source``.
    detail: FromClause | None = None
    detail_columns: dict[str, ColumnElement[Any]] = field(default_factory=dict)
    compose: Callable[[Any, dict[str, Any]], None] | None = None

    def key_filter(self, fid: str) -> ColumnElement[bool]:
        return self.by_key(fid) if self.by_key else self.key == fid


def _code_or_id(table: Any, prefix: str) -> ColumnElement[Any]:
    return func.coalesce(table.c.code, literal(prefix) + func.cast(table.c.id, schema.String))


def _lookup(table: Any, prefix: str) -> Callable[[str], ColumnElement[bool]]:
    def by_key(fid: str) -> ColumnElement[bool]:
        cond = table.c.code == fid
        if fid.startswith(prefix) and fid[len(prefix) :].isascii() and fid[len(prefix) :].isdigit() and len(fid) < 30:
            cond = or_(cond, and_(table.c.code.is_(None), table.c.id == int(fid[len(prefix) :])))
        return cond

    return by_key


HAZARD_PROPERTIES: dict[str, ColumnElement[Any]] = {
    "code": h.c.code,
    "name": h.c.name,
    "kind": h.c.kind,
    "status": h.c.status,
    "land_use": h.c.land_use,
    "eo_types": h.c.eo_types,
    "operator": h.c.operator,
    "region": h.c.region,
    "priority_score": h.c.priority_score,
    "beneficiaries": h.c.beneficiaries,
    "area_m2": h.c.area_m2,
    "clutter": h.c.clutter,
    "vegetation": h.c.vegetation,
    "density": h.c.density,
    "machine_accessible": h.c.machine_accessible,
    "slope_deg": h.c.slope_deg,
    "version": h.c.version,
    "updated_at": h.c.updated_at,
}

aa, fa, fr = schema.area_assessment, schema.forecast_area, schema.forecast_run
HAZARD_DETAIL = (
    h.outerjoin(aa, aa.c.hazard_id == h.c.id)
    .outerjoin(fa, and_(fa.c.hazard_id == h.c.id, fa.c.forecast_id == newest_register_forecast_id()))
    .outerjoin(fr, fr.c.id == fa.c.forecast_id)
)
HAZARD_RESULTS: dict[str, ColumnElement[Any]] = {
    "p_any": aa.c.p_any,
    "expected_items": aa.c.expected_items,
    **area_forecast_columns(fa, fr, prefix="_fc_"),
}


def _hazard_results(row: Any, out: dict[str, Any]) -> None:
    """The assessment and the newest stored forecast of the area, where they exist (the map's
    colouring and side panel read them)."""
    m = row._mapping
    for name in ("p_any", "expected_items"):
        if m[name] is not None:
            out[name] = m[name]
    if m["_fc_position"] is not None:
        out["forecast"] = area_forecast_from_mapping(str(m["code"]), m, prefix="_fc_").summary()


COLLECTIONS: dict[str, CollectionSpec] = {
    spec.id: spec
    for spec in (
        CollectionSpec(
            id="hazard-areas",
            title="Hazard areas",
            description="Suspected (SHA) and confirmed (CHA) hazardous areas of the register; "
            "records superseded by a partial release are left out. Temporal property: updated_at.",
            source=h,
            key=h.c.code,
            order=h.c.id,
            geometry=h.c.geometry,
            bbox=(h.c.minx, h.c.miny, h.c.maxx, h.c.maxy),
            properties=HAZARD_PROPERTIES,
            temporal=(h.c.updated_at, h.c.updated_at),
            where=(h.c.status != HazardStatus.SUPERSEDED.value,),
            queryables={
                "status": "string",
                "operator": "string",
                "land_use": "string",
                "kind": "string",
                "region": "string",
            },
            detail=HAZARD_DETAIL,
            detail_columns=HAZARD_RESULTS,
            compose=_hazard_results,
        ),
        CollectionSpec(
            id="settlements",
            title="Settlements",
            description="Villages and towns whose people wait to come home.",
            source=s,
            key=s.c.code,
            order=s.c.id,
            geometry=s.c.geometry,
            bbox=(s.c.minx, s.c.miny, s.c.maxx, s.c.maxy),
            properties={
                "code": s.c.code,
                "name": s.c.name,
                "population": s.c.population,
                "displaced": s.c.displaced,
                "region": s.c.region,
            },
            queryables={"region": "string"},
        ),
        CollectionSpec(
            id="activities",
            title="Activities",
            description="NTS, TS, clearance and EOD activities; the geometry is the hazard area worked on. "
            "Temporal properties: start_date … end_date.",
            source=a.join(h, a.c.hazard_id == h.c.id),
            key=_code_or_id(a, "activity-"),
            order=a.c.id,
            geometry=h.c.geometry,
            bbox=(h.c.minx, h.c.miny, h.c.maxx, h.c.maxy),
            properties={
                "code": a.c.code,
                "hazard_code": h.c.code,
                "kind": a.c.kind,
                "team": a.c.team_code,
                "operator": a.c.operator,
                "start_date": a.c.start_date,
                "end_date": a.c.end_date,
                "area_processed_m2": a.c.area_processed_m2,
                "clearance_depth_cm": a.c.clearance_depth_cm,
                "status": a.c.status,
            },
            temporal=(a.c.start_date, func.coalesce(a.c.end_date, a.c.start_date)),
            by_key=_lookup(a, "activity-"),
            queryables={"operator": "string", "kind": "string"},
        ),
        CollectionSpec(
            id="evidence",
            title="Evidence",
            description="Evidence of contamination: minefield records, accidents, interviews, drone detections, "
            "finds. The source of a piece of evidence is personal data and hidden from viewers.",
            source=e.outerjoin(h, e.c.hazard_id == h.c.id),
            key=_code_or_id(e, "evidence-"),
            order=e.c.id,
            geometry=e.c.geometry,
            bbox=(e.c.minx, e.c.miny, e.c.maxx, e.c.maxy),
            properties={
                "code": e.c.code,
                "hazard_code": h.c.code,
                "kind": e.c.kind,
                "date": e.c.date,
                "source": e.c.source,
                "reliability": e.c.reliability,
                "confidence": e.c.confidence,
                "eo_type": e.c.eo_type,
                "count": e.c.count,
                "positive": e.c.positive,
            },
            temporal=(e.c.date, e.c.date),
            personal=frozenset({"source"}),
            by_key=_lookup(e, "evidence-"),
            queryables={"kind": "string"},
        ),
    )
}


def wkb(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The geometry as WKB bytes on either backend."""
    if dialect == "postgresql":
        return func.ST_AsBinary(column)
    return type_coerce(column, _LB)


@dataclass
class Query:
    """What a client asked a collection for."""

    bbox: BBox | None = None
    interval: Interval | None = None
    limit: int = 10
    offset: int = 0
    equals: dict[str, Any] = field(default_factory=dict)  # property → value or list of values


def _where(conn: Connection, spec: CollectionSpec, q: Query) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = list(spec.where)
    if q.bbox:
        conds += _intersects(conn, spec, q.bbox)
    if q.interval and spec.temporal:
        start, end = q.interval
        if start is not None:
            conds.append(spec.temporal[1] >= _temporal_value(spec.temporal[1], start))
        if end is not None:
            conds.append(spec.temporal[0] <= _temporal_value(spec.temporal[0], end))
    for name, value in q.equals.items():
        col = spec.properties[name]
        if isinstance(value, list | tuple):
            conds.append(col.in_(list(value)))
        else:
            conds.append(col == value)
    return conds


def _rtree(name: str) -> Any:
    return table(f"{name}_rtree", column("id"), column("minx"), column("maxx"), column("miny"), column("maxy"))


def _intersects(conn: Connection, spec: CollectionSpec, bbox: BBox) -> list[ColumnElement[bool]]:
    """Features whose geometry intersects the box (not merely its bounding box), through the
    spatial index: GiST and ``ST_Intersects`` on PostGIS; on SQLite the R*Tree gives the
    candidates, a candidate whose bounding box lies inside the query box intersects it, and
    only those whose bounding box crosses the box's edge are tested with Shapely here. The
    ones that fail that test are left out by id, so the database still filters, orders and
    pages (SQLite here cannot load SpatiaLite)."""
    minx, miny, maxx, maxy = bbox
    bx = spec.bbox
    overlaps = [bx[2] >= minx, bx[0] <= maxx, bx[3] >= miny, bx[1] <= maxy]
    if conn.dialect.name == "postgresql":
        envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID)
        return [*overlaps, func.ST_Intersects(spec.geometry, envelope)]
    geom_table: Any = spec.geometry.table
    gid = geom_table.c.id
    conds: list[ColumnElement[bool]] = []
    if geom_table.name in schema.RTREE_TABLES:
        rt = _rtree(geom_table.name)
        conds.append(
            gid.in_(select(rt.c.id).where(rt.c.maxx >= minx, rt.c.minx <= maxx, rt.c.maxy >= miny, rt.c.miny <= maxy))
        )
    conds += overlaps
    # the candidates whose bounding box crosses an edge of the query box
    crossing = select(gid, wkb(spec.geometry, "sqlite").label("_wkb")).where(
        *conds, or_(bx[0] < minx, bx[1] < miny, bx[2] > maxx, bx[3] > maxy)
    )
    rows = conn.execute(crossing).all()
    if rows:
        geoms = shapely.from_wkb([bytes(r._wkb) for r in rows])
        hit = shapely.intersects(geoms, shapely.box(minx, miny, maxx, maxy))
        missed = [int(r.id) for r, keep in zip(rows, hit, strict=True) if not keep]
        if missed:
            each: Select[Any] = select(column("value")).select_from(func.json_each(literal(dumps(missed))))
            conds.append(gid.not_in(each))
    return conds


def _temporal_value(col: ColumnElement[Any], moment: datetime) -> Any:
    python_type = getattr(col.type, "python_type", None) if hasattr(col, "type") else None
    try:
        if python_type is date:
            return moment.date()
    except NotImplementedError:  # pragma: no cover
        pass
    return moment


def select_rows(spec: CollectionSpec, dialect: str, names: Sequence[str] | None = None) -> Select[Any]:
    """Full rows of a collection (properties, and the joined results when ``names`` is None),
    unfiltered: the callers choose the rows by id or key."""
    props = spec.properties if names is None else {n: spec.properties[n] for n in names}
    cols = [spec.key.label("_fid"), wkb(spec.geometry, dialect).label("_wkb")]
    cols += [c.label(n) for n, c in props.items()]
    if names is None and spec.detail is not None:
        cols += [c.label(n) for n, c in spec.detail_columns.items()]
        stmt = select(*cols).select_from(spec.detail)
    else:
        stmt = select(*cols).select_from(spec.source)
    return stmt.order_by(spec.order)


def count(conn: Connection, spec: CollectionSpec, q: Query) -> int:
    """How many features match the query's filters."""
    stmt = select(func.count()).select_from(spec.source).where(*_where(conn, spec, q))
    return int(conn.execute(stmt).scalar_one())


def page_ids(conn: Connection, spec: CollectionSpec, q: Query) -> tuple[list[int], int]:
    """The ordered ids of one page, paged by the database (``ORDER BY`` the id, ``LIMIT`` and
    ``OFFSET``; a narrow read of the id alone), and the number matched.

    The count is inferred where the page itself tells it (a short, non-empty page ends the
    matches; an empty first page means none) and read with ``COUNT`` otherwise.
    """
    conds = _where(conn, spec, q)
    stmt = select(spec.order).select_from(spec.source).where(*conds).order_by(spec.order)
    ids = [int(r[0]) for r in conn.execute(stmt.limit(q.limit).offset(q.offset))]
    if 0 < len(ids) < q.limit or (not ids and q.offset == 0):
        return ids, q.offset + len(ids)
    matched = conn.execute(select(func.count()).select_from(spec.source).where(*conds)).scalar_one()
    return ids, int(matched)


def rows_by_id(conn: Connection, spec: CollectionSpec, ids: Sequence[int]) -> list[Any]:
    """Full rows of these ids (by ``spec.order``), in id order, with the id as ``_order``."""
    if not ids:
        return []
    stmt = select_rows(spec, conn.dialect.name).add_columns(spec.order.label("_order"))
    return list(conn.execute(stmt.where(spec.order.in_(list(ids)))))


class FeatureTexts:
    """Serialised GeoJSON features of one data version, least recently used dropped first.

    Keyed by collection, whether personal data is shown, and row id; a new data version (any
    audited write) empties it, so a page never mixes features from before and after a write.
    """

    def __init__(self, max_features: int) -> None:
        self._max = max_features
        self._version: int | None = None
        self._texts: OrderedDict[tuple[str, bool, int], str] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def keeps(self) -> bool:
        return self._max > 0

    def get_many(self, collection: str, personal: bool, version: int, ids: Sequence[int]) -> list[str | None]:
        if not self.keeps:
            return [None] * len(ids)
        with self._lock:
            if version != self._version:
                return [None] * len(ids)
            out = []
            for i in ids:
                key = (collection, personal, i)
                text = self._texts.get(key)
                if text is not None:
                    self._texts.move_to_end(key)
                out.append(text)
            return out

    def put_many(self, collection: str, personal: bool, version: int, texts: dict[int, str]) -> None:
        with self._lock:
            if version != self._version:
                if self._version is not None and version < self._version:
                    return  # a slow reader of an older version must not evict the newer one
                self._texts.clear()
                self._version = version
            for i, text in texts.items():
                self._texts[(collection, personal, i)] = text
            while len(self._texts) > self._max:
                self._texts.popitem(last=False)


class PageIndex:
    """Paging behind ``limit``/``offset``, with or without memory.

    Kept (the default): the ordered ids of a filter are read once per data version (a narrow,
    index-only read), a page is then the rows whose id is in ``ids[offset:offset+limit]``,
    ``numberMatched`` is ``len(ids)``, and serialised features are kept too. Any write through
    a unit of work appends an audit event, which changes the version and the ids.

    Not kept (``max_entries=0``, caches off): nothing is held; the database pages the ids
    (:func:`page_ids`) and the page's rows are read by id. Both ways give the same features in
    the same order with the same ``numberMatched``.
    """

    def __init__(self, max_entries: int = 64, max_features: int = 200_000) -> None:
        self._items: OrderedDict[tuple[Any, ...], tuple[int, np.ndarray]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self.texts = FeatureTexts(max_features)

    @property
    def keeps(self) -> bool:
        """Whether id lists are kept between requests."""
        return self._max > 0

    def ids(self, conn: Connection, spec: CollectionSpec, q: Query, version: int) -> np.ndarray:
        key = (spec.id, q.bbox, q.interval, tuple(sorted((k, str(v)) for k, v in q.equals.items())))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(key)
                return hit[1]
            building = self._building.setdefault(key, threading.Lock())
        # One reader builds a filter's ids; concurrent requests for it wait instead of all
        # reading the same 100,000 rows at once.
        with building:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and hit[0] == version:
                    return hit[1]
            stmt = select(spec.order).select_from(spec.source).where(*_where(conn, spec, q))
            ids = np.fromiter((r[0] for r in conn.execute(stmt.order_by(spec.order))), dtype=np.int64)
            with self._lock:
                self._items[key] = (version, ids)
                while len(self._items) > self._max:
                    old, _ = self._items.popitem(last=False)
                    self._building.pop(old, None)
        return ids

    def _chosen(self, conn: Connection, spec: CollectionSpec, q: Query, version: int) -> tuple[list[int], int]:
        """The ids of one page and the number matched: from the kept list, or paged by the database."""
        if not self.keeps:
            return page_ids(conn, spec, q)
        ids = self.ids(conn, spec, q, version)
        return [int(i) for i in ids[q.offset : q.offset + q.limit]], len(ids)

    def page_texts(
        self, conn: Connection, spec: CollectionSpec, q: Query, version: int, *, personal: bool
    ) -> tuple[list[str], int]:
        """One page as GeoJSON Feature texts, and the number matched.

        Features already serialised at this data version come from memory; only the others
        are read and converted (then kept), so paging through a large collection costs a
        dictionary lookup a feature once it has been read.
        """
        chosen, matched = self._chosen(conn, spec, q, version)
        if not chosen:
            return [], matched
        texts = self.texts.get_many(spec.id, personal, version, chosen)
        missing = [i for i, t in zip(chosen, texts, strict=True) if t is None]
        if missing:
            rows = rows_by_id(conn, spec, missing)
            fresh = dict(
                zip(
                    (int(r._mapping["_order"]) for r in rows), feature_texts(spec, rows, personal=personal), strict=True
                )
            )
            if self.texts.keeps:
                self.texts.put_many(spec.id, personal, version, fresh)
            texts = [t if t is not None else fresh.get(i) for i, t in zip(chosen, texts, strict=True)]
        return [t for t in texts if t is not None], matched

    def page(self, conn: Connection, spec: CollectionSpec, q: Query, version: int) -> tuple[list[Any], int]:
        """The rows of one page and the number matched."""
        chosen, matched = self._chosen(conn, spec, q, version)
        return rows_by_id(conn, spec, chosen), matched


def one(conn: Connection, spec: CollectionSpec, fid: str) -> Any | None:
    stmt = select_rows(spec, conn.dialect.name).where(spec.key_filter(fid)).limit(1)
    return conn.execute(stmt).first()


def _properties(spec: CollectionSpec, row: Any, names: Sequence[str], hidden: frozenset[str]) -> dict[str, Any]:
    m = row._mapping
    out = {n: m[n] for n in names if n not in hidden}
    if spec.compose is not None:
        spec.compose(row, out)
    return out


def geometries_json(rows: Sequence[Any]) -> list[str]:
    """GeoJSON geometry text of each row, converted in one vectorised pass."""
    if not rows:
        return []
    blobs = [bytes(r._mapping["_wkb"]) if r._mapping["_wkb"] is not None else None for r in rows]
    geoms = shapely.from_wkb(np.asarray(blobs, dtype=object))
    return [g if g is not None else "null" for g in shapely.to_geojson(geoms)]


def feature_texts(spec: CollectionSpec, rows: Sequence[Any], *, personal: bool) -> list[str]:
    """Each row as a GeoJSON Feature (text)."""
    names = list(spec.properties)
    hidden = frozenset() if personal else spec.personal
    geoms = geometries_json(rows)
    return [
        f'{{"type":"Feature","id":{dumps(r._mapping["_fid"])},"geometry":{g},'
        f'"properties":{dumps(_properties(spec, r, names, hidden))}}}'
        for r, g in zip(rows, geoms, strict=True)
    ]


def feature_dict(spec: CollectionSpec, row: Any, *, personal: bool) -> dict[str, Any]:
    return loads(feature_texts(spec, [row], personal=personal)[0])


def extent(conn: Connection, spec: CollectionSpec) -> BBox | None:
    bx = spec.bbox
    stmt = select(func.min(bx[0]), func.min(bx[1]), func.max(bx[2]), func.max(bx[3])).select_from(spec.source)
    for cond in spec.where:
        stmt = stmt.where(cond)
    r = conn.execute(stmt).one()
    return None if r[0] is None else (float(r[0]), float(r[1]), float(r[2]), float(r[3]))


def temporal_extent(conn: Connection, spec: CollectionSpec) -> tuple[str | None, str | None] | None:
    if spec.temporal is None:
        return None
    r = conn.execute(select(func.min(spec.temporal[0]), func.max(spec.temporal[1])).select_from(spec.source)).one()

    def iso(v: Any) -> str | None:
        if v is None:
            return None
        if isinstance(v, datetime):
            return v.isoformat().replace("+00:00", "Z") if v.tzinfo else v.isoformat() + "Z"
        if isinstance(v, date):
            return f"{v.isoformat()}T00:00:00Z"
        return str(v)

    return iso(r[0]), iso(r[1])
