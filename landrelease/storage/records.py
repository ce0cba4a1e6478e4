"""Reads of the register's records the API lists and checks writes against: teams, tasks,
daily reports, and who (which organisation) owns a team or a hazard area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from landrelease.storage import schema


def team_operators(conn: Connection, codes: Iterable[str]) -> dict[str, str | None]:
    """The organisation of each team that exists (teams not in the register are absent)."""
    tm = schema.team
    wanted = [c for c in dict.fromkeys(codes) if c]
    if not wanted:
        return {}
    return {r.code: r.operator for r in conn.execute(select(tm.c.code, tm.c.operator).where(tm.c.code.in_(wanted)))}


def hazard_operator(conn: Connection, code: str) -> tuple[bool, str | None]:
    """(exists, organisation) of a hazard area."""
    h = schema.hazard_area
    r = conn.execute(select(h.c.operator).where(h.c.code == code)).first()
    return (r is not None, r.operator if r is not None else None)


def hazard_operators(conn: Connection, codes: Iterable[str]) -> dict[str, str | None]:
    """The organisation of each hazard area that exists (areas not in the register are absent)."""
    h = schema.hazard_area
    wanted = [c for c in dict.fromkeys(codes) if c]
    out: dict[str, str | None] = {}
    for i in range(0, len(wanted), 5000):
        chunk = wanted[i : i + 5000]
        out.update(
            {r.code: r.operator for r in conn.execute(select(h.c.code, h.c.operator).where(h.c.code.in_(chunk)))}
        )
    return out


def hazard_geometry(conn: Connection, code: str) -> Any:
    """The geometry of one hazard area (None if there is none with this code)."""
    h = schema.hazard_area
    r = conn.execute(select(h.c.geometry).where(h.c.code == code)).first()
    return r.geometry if r is not None else None


def hazard_exists(conn: Connection, code: str) -> bool:
    h = schema.hazard_area
    return conn.execute(select(h.c.id).where(h.c.code == code)).first() is not None


def task_team(conn: Connection, code: str) -> tuple[bool, str | None]:
    """(exists, team code) of a planned task."""
    t = schema.task
    r = conn.execute(select(t.c.team_code).where(t.c.code == code)).first()
    return (r is not None, r.team_code if r is not None else None)


def teams(conn: Connection, operator: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
    t = schema.team
    q = select(
        t.c.code, t.c.type, t.c.size, t.c.operator, t.c.cost_per_day, t.c.rate_m2_per_day, t.c.rate_sigma
    ).order_by(t.c.id)
    if operator:
        q = q.where(t.c.operator == operator)
    if type_:
        q = q.where(t.c.type == type_)
    return [dict(r._mapping) for r in conn.execute(q)]


def task_page(
    conn: Connection,
    *,
    limit: int,
    offset: int,
    hazard: str | None = None,
    team: str | None = None,
    operator: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Planned tasks (by planned start) with their hazard code and team's organisation; and the total."""
    t, h, tm = schema.task, schema.hazard_area, schema.team
    source = t.join(h, t.c.hazard_id == h.c.id).outerjoin(tm, tm.c.code == t.c.team_code)
    q = (
        select(
            t.c.code,
            h.c.code.label("hazard_code"),
            t.c.method,
            t.c.area_m2,
            t.c.team_code.label("team"),
            tm.c.operator,
            t.c.planned_start,
            t.c.planned_end,
        )
        .select_from(source)
        .order_by(t.c.planned_start, t.c.id)
    )
    total_q = select(func.count()).select_from(source)
    for cond in (
        h.c.code == hazard if hazard else None,
        t.c.team_code == team if team else None,
        tm.c.operator == operator if operator else None,
    ):
        if cond is not None:
            q, total_q = q.where(cond), total_q.where(cond)
    total = int(conn.execute(total_q).scalar_one())
    return [dict(r._mapping) for r in conn.execute(q.limit(limit).offset(offset))], total
