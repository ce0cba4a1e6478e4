"""What the monthly report reads: released parts and finds up to a day, the live hazard areas,
settlements, the stored plan's tasks and the daily reports of a window."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from landrelease.domain.enums import HazardStatus
from landrelease.storage import schema


def released_parts(conn: Connection, before: date) -> list[Any]:
    """Every part released before ``before``, with its activity and hazard area, oldest first."""
    rp, a, h = schema.released_part, schema.activity, schema.hazard_area
    q = (
        select(
            rp.c.method,
            rp.c.geometry,
            rp.c.area_m2,
            rp.c.released_on,
            a.c.code.label("activity_code"),
            a.c.kind.label("activity_kind"),
            a.c.team_code,
            a.c.operator.label("activity_operator"),
            h.c.code.label("hazard_code"),
            h.c.name.label("hazard_name"),
            h.c.region,
            h.c.land_use,
            h.c.operator.label("hazard_operator"),
            h.c.geometry.label("hazard_geometry"),
        )
        .select_from(rp.join(a, rp.c.activity_id == a.c.id).join(h, rp.c.hazard_id == h.c.id))
        .where(rp.c.released_on < before)
        .order_by(rp.c.released_on, rp.c.id)
    )
    return list(conn.execute(q))


def finds(conn: Connection, before: date) -> list[Any]:
    """Every item found by an activity that ended before ``before``."""
    f, a, h = schema.find, schema.activity, schema.hazard_area
    on = func.coalesce(a.c.end_date, a.c.start_date)
    q = (
        select(
            f.c.eo_type,
            f.c.geometry,
            on.label("on"),
            h.c.code.label("hazard_code"),
            func.coalesce(a.c.operator, h.c.operator).label("operator"),
            h.c.geometry.label("hazard_geometry"),
        )
        .select_from(f.join(a, f.c.activity_id == a.c.id).join(h, a.c.hazard_id == h.c.id))
        .where(on < before)
        .order_by(f.c.id)
    )
    return list(conn.execute(q))


def live_hazard_areas(conn: Connection) -> list[Any]:
    """Status, geometry and stored area of every record not superseded, by id."""
    h = schema.hazard_area
    q = select(h.c.status, h.c.geometry, h.c.area_m2).where(h.c.status != HazardStatus.SUPERSEDED.value)
    return list(conn.execute(q.order_by(h.c.id)))


def settlements(conn: Connection) -> list[Any]:
    s = schema.settlement
    return list(conn.execute(select(s.c.name, s.c.geometry, s.c.population, s.c.access_routes).order_by(s.c.id)))


def activities_between(conn: Connection, start: date, end: date) -> int:
    """Activities that ended (or, unfinished, started) in [start, end)."""
    a = schema.activity
    on = func.coalesce(a.c.end_date, a.c.start_date)
    return int(conn.execute(select(func.count()).select_from(a).where(on >= start, on < end)).scalar_one())


def last_days(conn: Connection) -> list[Any]:
    """The latest day land was released, an activity ended, a daily report was made (None each if none)."""
    a, rp, d = schema.activity, schema.released_part, schema.daily_report
    return [
        conn.execute(select(func.max(rp.c.released_on))).scalar(),
        conn.execute(select(func.max(func.coalesce(a.c.end_date, a.c.start_date)))).scalar(),
        conn.execute(select(func.max(d.c.date))).scalar(),
    ]


def planned_tasks(conn: Connection) -> list[Any]:
    """(area m², planned start, planned end) of every stored task."""
    t = schema.task
    return list(conn.execute(select(t.c.area_m2, t.c.planned_start, t.c.planned_end)))


def daily_reports_between(conn: Connection, start: date, end: date) -> list[Any]:
    """(team, date, m² processed) of the daily reports in [start, end)."""
    d = schema.daily_report
    q = select(d.c.team_code, d.c.date, d.c.m2_processed).where(d.c.date >= start, d.c.date < end)
    return list(conn.execute(q))
