"""Reading the public safety map's rows: open hazard areas and only their public columns.

Nothing else is selected here, so no other field can reach an anonymous answer by mistake:
the code, kind, status and geometry of areas still open (never the operator, evidence,
forecasts, contamination estimates or personal data).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from landrelease.domain.enums import OPEN_STATUSES
from landrelease.storage import schema
from landrelease.storage.features import wkb

PUBLIC_COLUMNS = ("code", "kind", "status")
BBox = tuple[float, float, float, float]


def _open() -> Any:
    h = schema.hazard_area
    return h.c.status.in_([s.value for s in OPEN_STATUSES])


def _box(bbox: BBox | None) -> list[Any]:
    if bbox is None:
        return []
    h = schema.hazard_area
    west, south, east, north = bbox
    return [h.c.maxx >= west, h.c.minx <= east, h.c.maxy >= south, h.c.miny <= north]


def open_areas(conn: Connection, bbox: BBox | None, limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of open areas (code, kind, status, WKB) by id, and how many match."""
    h = schema.hazard_area
    where = [_open(), *_box(bbox)]
    total = int(conn.execute(select(func.count()).select_from(h).where(*where)).scalar_one())
    rows = conn.execute(
        select(h.c.code, h.c.kind, h.c.status, wkb(h.c.geometry, conn.dialect.name).label("wkb"))
        .where(*where)
        .order_by(h.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def open_area(conn: Connection, code: str) -> Any | None:
    """The open area with this code, or None (closed, superseded and unknown areas alike)."""
    h = schema.hazard_area
    return conn.execute(
        select(h.c.code, h.c.kind, h.c.status, wkb(h.c.geometry, conn.dialect.name).label("wkb")).where(
            h.c.code == code, _open()
        )
    ).one_or_none()
