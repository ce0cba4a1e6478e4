"""Run the data-quality checks of :mod:`landrelease.domain.quality` over the stored register.

Loads ids and geometries in bulk (no domain objects, so a national register fits) and
hands them to the pure checks. Superseded records are left out of the overlap and
duplicate-geometry checks: their open remainder lives on in a child record that overlaps
them by design.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, select

from landrelease.domain import quality
from landrelease.domain.enums import HazardStatus
from landrelease.domain.errors import Problem
from landrelease.storage import schema


def _object_array(values: list[object]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def check_register(conn: Connection) -> list[Problem]:
    """Every geocheck check over hazard areas, evidence and finds, plus overlapping areas."""
    h, e, a, fd = schema.hazard_area, schema.evidence, schema.activity, schema.find
    live = conn.execute(
        select(h.c.code, h.c.geometry, h.c.extra).where(h.c.status != HazardStatus.SUPERSEDED.value).order_by(h.c.id)
    ).all()
    codes = [r.code for r in live]
    geoms = _object_array([r.geometry for r in live])
    local_ids = [(r.extra or {}).get("local_id") for r in live]
    src = "hazard areas"
    problems = quality.check_polygons(codes, geoms, local_ids=local_ids, source=src)

    ev = conn.execute(
        select(e.c.id, e.c.code, e.c.geometry, h.c.code.label("hazard_code"))
        .select_from(e.outerjoin(h, e.c.hazard_id == h.c.id))
        .order_by(e.c.id)
    ).all()
    ev_ids = [r.code or f"#{r.id}" for r in ev]
    problems += quality.duplicate_ids([r.code for r in ev], source="evidence")
    points = [(i, r) for i, r in enumerate(ev) if r.geometry is not None and r.geometry.geom_type == "Point"]
    if points:
        problems += quality.duplicate_points(
            [ev_ids[i] for i, _ in points],
            _object_array([r.geometry for _, r in points]),
            [r.hazard_code for _, r in points],
            source="evidence",
        )

    finds = conn.execute(
        select(fd.c.id, fd.c.eo_type, fd.c.geometry, a.c.code.label("activity_code"))
        .select_from(fd.join(a, fd.c.activity_id == a.c.id))
        .order_by(fd.c.id)
    ).all()
    if finds:
        problems += quality.duplicate_points(
            [f"{r.activity_code} find #{r.id}" for r in finds],
            _object_array([r.geometry for r in finds]),
            [r.eo_type for r in finds],
            source="finds",
            check="duplicate_device",
            what="device",
            owner_label="EO type",
        )
    return problems
