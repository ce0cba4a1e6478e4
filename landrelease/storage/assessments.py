"""Stored contamination assessments: one typed row per hazard area (``area_assessment``).

Written by the assess use case in one unit of work, read with the hazard areas in one query
(:func:`portfolio`), by the feature provider and the tiles (:func:`p_any_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, select

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.results import AreaPortfolio, Assessment
from landrelease.storage import schema
from landrelease.storage.filters import HazardFilter
from landrelease.storage.rows import hazard_from_row

if TYPE_CHECKING:
    from landrelease.storage.repository import UnitOfWork

CHUNK = 5000


def save_assessments(uow: UnitOfWork, assessments: Sequence[Assessment], *, source: str = "") -> int:
    """Store each area's newest assessment, replacing the one before (all or nothing, audited).

    Codes not in the register are refused, naming them; nothing is written then.
    """
    if not assessments:
        return 0
    aa = schema.area_assessment
    ids = uow.hazard_ids(a.hazard_code for a in assessments)
    missing = [a.hazard_code for a in assessments if a.hazard_code not in ids]
    if missing:
        raise ValidationError(
            [Problem("no hazard area with this code", record=c, field="hazard_code", found=c) for c in missing],
            "assessment refused",
        )
    rows = [
        {
            "hazard_id": ids[a.hazard_code],
            "p_any": a.p_any,
            "expected_items": a.expected_items,
            "params_hash": a.params_hash,
            "cell_m": a.cell_m,
            "assessed_at": a.assessed_at,
        }
        for a in assessments
    ]
    hazard_ids = [r["hazard_id"] for r in rows]
    for i in range(0, len(rows), CHUNK):
        uow.conn.execute(aa.delete().where(aa.c.hazard_id.in_(hazard_ids[i : i + CHUNK])))
        uow.conn.execute(aa.insert(), rows[i : i + CHUNK])
    hashes = sorted({a.params_hash for a in assessments})
    uow.audit("replace", "area_assessment", None, {"count": len(rows), "params_hash": hashes, "source": source})
    return len(rows)


def assessment_from_row(code: str, r: Any) -> Assessment:
    return Assessment(
        hazard_code=code,
        p_any=float(r.p_any),
        expected_items=float(r.expected_items),
        params_hash=r.params_hash,
        assessed_at=r.assessed_at,
        cell_m=r.cell_m,
    )


def portfolio(conn: Connection, where: HazardFilter | None = None) -> AreaPortfolio:
    """Hazard areas (with their stored area) and their assessments, in one query, by id."""
    h, aa = schema.hazard_area, schema.area_assessment
    cols = [
        aa.c.p_any.label("_p_any"),
        aa.c.expected_items.label("_expected_items"),
        aa.c.params_hash.label("_params_hash"),
        aa.c.cell_m.label("_cell_m"),
        aa.c.assessed_at.label("_assessed_at"),
    ]
    q = (where or HazardFilter()).apply(select(h, *cols).select_from(h.outerjoin(aa, aa.c.hazard_id == h.c.id)))
    areas, assessments = [], []
    for r in conn.execute(q.order_by(h.c.id)):
        area = hazard_from_row(r)
        areas.append(area)
        assessments.append(
            Assessment(
                hazard_code=area.code,
                p_any=float(r._p_any),
                expected_items=float(r._expected_items),
                params_hash=r._params_hash,
                assessed_at=r._assessed_at,
                cell_m=r._cell_m,
            )
            if r._p_any is not None
            else None
        )
    return AreaPortfolio(areas, assessments)


def assessments(conn: Connection, codes: Sequence[str] | None = None) -> dict[str, Assessment]:
    """Stored assessments by hazard code (all, or of ``codes``)."""
    h, aa = schema.hazard_area, schema.area_assessment
    q = select(aa, h.c.code).join(h, h.c.id == aa.c.hazard_id)
    out: dict[str, Assessment] = {}
    if codes is None:
        for r in conn.execute(q):
            out[r.code] = assessment_from_row(r.code, r)
        return out
    codes = list(codes)
    for i in range(0, len(codes), CHUNK):
        for r in conn.execute(q.where(h.c.code.in_(codes[i : i + CHUNK]))):
            out[r.code] = assessment_from_row(r.code, r)
    return out


def p_any_of(hazard_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The stored P(any EO) of the hazard area whose id is ``hazard_id`` (NULL if not assessed),
    as a column expression any query over ``hazard_area`` (features, tiles) can select."""
    aa = schema.area_assessment
    return select(aa.c.p_any).where(aa.c.hazard_id == hazard_id).scalar_subquery()
