"""What the dashboards read of the stored plan: each task's team, hazard area, area and dates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from landrelease.storage import schema


def planned_team_spans(conn: Connection) -> list[Any]:
    """(team, planned start, planned end) of every task given to a team and dated."""
    t = schema.task
    q = select(t.c.team_code, t.c.planned_start, t.c.planned_end).where(
        t.c.team_code.is_not(None), t.c.planned_start.is_not(None)
    )
    return list(conn.execute(q))


def planned_tasks(conn: Connection) -> list[Any]:
    """(hazard id, area m², planned start, planned end) of every dated task."""
    t = schema.task
    q = select(t.c.hazard_id, t.c.area_m2, t.c.planned_start, t.c.planned_end).where(t.c.planned_start.is_not(None))
    return list(conn.execute(q))
