"""The land-release summary: km² released by method, operator, region and month, and what is open.

Every figure is a sum of the stored ``area_m2`` columns, which are computed in a UTM zone
when a row is written (never in degrees); nothing here measures a geometry again. The web
app, reports and the CLI all read this one function.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from landrelease.domain.enums import CLOSED_STATUSES, OPEN_STATUS_VALUES, HazardStatus, ReleaseMethod
from landrelease.domain.geometry import utm_crs_for
from landrelease.storage import schema

METHODS = [m.value for m in ReleaseMethod]


def _by_method() -> dict[str, float]:
    return dict.fromkeys(METHODS, 0.0)


@dataclass
class ReleaseSummary:
    """Released and open land in km²; nested dicts are ``{group: {method: km²}}``."""

    released_km2: float = 0.0
    by_method: dict[str, float] = field(default_factory=_by_method)
    by_operator: dict[str, dict[str, float]] = field(default_factory=dict)
    by_region: dict[str, dict[str, float]] = field(default_factory=dict)
    by_month: dict[str, dict[str, float]] = field(default_factory=dict)
    open_km2: float = 0.0
    open_areas: int = 0
    open_by_region: dict[str, float] = field(default_factory=dict)
    closed_without_activity_km2: dict[str, float] = field(default_factory=dict)
    activities_by_kind: dict[str, int] = field(default_factory=dict)
    finds_by_type: dict[str, int] = field(default_factory=dict)
    metric_crs: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def release_summary(conn: Connection) -> ReleaseSummary:
    """Sum the register's released parts and open areas (see the module docstring)."""
    h, a, rp, fd = schema.hazard_area, schema.activity, schema.released_part, schema.find
    out = ReleaseSummary()
    nest: dict[str, defaultdict[str, dict[str, float]]] = {
        k: defaultdict(_by_method) for k in ("operator", "region", "month")
    }
    # Group by plain columns (portable GROUP BY); the operator who did the work, else the area's.
    keys = (rp.c.method, a.c.operator, h.c.operator, h.c.region, rp.c.released_on)
    q = (
        select(*keys, func.sum(rp.c.area_m2))
        .select_from(rp.join(a, rp.c.activity_id == a.c.id).join(h, rp.c.hazard_id == h.c.id))
        .group_by(*keys)
    )
    for method, act_op, area_op, reg, day, m2 in conn.execute(q):
        km2 = float(m2) / 1e6
        op = act_op or area_op or "unknown"
        reg = reg or "unknown"
        out.by_method[method] = out.by_method.get(method, 0.0) + km2
        out.released_km2 += km2
        for key, group in (("operator", op), ("region", reg), ("month", f"{day:%Y-%m}")):
            nest[key][group][method] += km2
    out.by_operator = dict(sorted(nest["operator"].items()))
    out.by_region = dict(sorted(nest["region"].items()))
    out.by_month = dict(sorted(nest["month"].items()))

    is_open = h.c.status.in_(OPEN_STATUS_VALUES)
    n, m2 = conn.execute(select(func.count(), func.coalesce(func.sum(h.c.area_m2), 0.0)).where(is_open)).one()
    out.open_areas, out.open_km2 = int(n), float(m2) / 1e6
    q2 = select(h.c.region, func.sum(h.c.area_m2)).where(is_open).group_by(h.c.region)
    out.open_by_region = {
        str(r or "unknown"): float(v) / 1e6 for r, v in sorted(conn.execute(q2), key=lambda rv: str(rv[0] or ""))
    }

    # Records closed without any recorded release (e.g. imported as already cleared).
    closed = [s.value for s in CLOSED_STATUSES if s is not HazardStatus.SUPERSEDED]
    has_part = select(rp.c.id).where(rp.c.hazard_id == h.c.id).exists()
    q3 = select(h.c.status, func.sum(h.c.area_m2)).where(h.c.status.in_(closed), ~has_part).group_by(h.c.status)
    out.closed_without_activity_km2 = {str(s): float(v) / 1e6 for s, v in conn.execute(q3)}

    out.activities_by_kind = {
        str(k): int(c) for k, c in conn.execute(select(a.c.kind, func.count()).group_by(a.c.kind))
    }
    out.finds_by_type = {
        str(k): int(c) for k, c in conn.execute(select(fd.c.eo_type, func.count()).group_by(fd.c.eo_type))
    }

    minx, miny, maxx, maxy = conn.execute(
        select(func.min(h.c.minx), func.min(h.c.miny), func.max(h.c.maxx), func.max(h.c.maxy))
    ).one()
    if minx is not None:
        out.metric_crs = utm_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0).to_string()
    return out


def data_version_of(conn: Connection) -> int:
    """Every write through a unit of work appends an audit event: its id versions the data."""
    return int(conn.execute(select(func.max(schema.audit_event.c.id))).scalar() or 0)


def priority_range_of(conn: Connection) -> tuple[float | None, float | None]:
    """min and max of the hazard areas' priority scores."""
    h = schema.hazard_area
    low, high = conn.execute(select(func.min(h.c.priority_score), func.max(h.c.priority_score))).one()
    return low, high
