"""Explosive ordnance risk education: sessions recorded, and the figures by sex and age band."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from shapely.geometry import Point

from landrelease.domain.errors import Problem, ValidationError
from landrelease.field.casualty import AgeBand, Sex
from landrelease.field.eore import EoreMethod, EoreSession, EoreSummary, check_session, summarise
from landrelease.field.reports import latest_calendar_date
from landrelease.services.register import Register
from landrelease.storage import field as store
from landrelease.storage import schema

__all__ = ["eore_sessions", "eore_summary", "record_eore_sessions"]


def record_eore_sessions(
    register: Register, sessions: Sequence[EoreSession], *, actor: str, now: datetime | None = None
) -> int:
    """Store sessions, all or none (each refusal names the session and field)."""
    today = latest_calendar_date(now or datetime.now(UTC))
    problems: list[Problem] = []
    for s in sessions:
        problems += check_session(s, today=today)
    with register.unit_of_work(actor=actor) as uow:
        t = schema.eore_session
        codes = [s.code for s in sessions]
        taken = (
            {r.code for r in uow.conn.execute(t.select().with_only_columns(t.c.code).where(t.c.code.in_(codes)))}
            if codes
            else set()
        )
        problems += [
            Problem("a session with this code is already recorded", record=c, field="code") for c in sorted(taken)
        ]
        if problems:
            raise ValidationError(problems, summary="risk education sessions refused")
        store.add_eore_sessions(uow.conn, sessions)
        uow.audit("insert", "eore_session", None, {"sessions": codes})
    return len(sessions)


def eore_sessions(register: Register, start: date | None = None, end: date | None = None) -> list[EoreSession]:
    with register.reading() as conn:
        rows = store.eore_rows(conn, since=start, until=end)
    out = []
    for r in rows:
        cells = {}
        for key, n in (r["beneficiaries"] or {}).items():
            sex, band = key.split("/", 1)
            cells[(Sex(sex), AgeBand(band))] = int(n)
        out.append(
            EoreSession(
                r["code"],
                Point(r["lon"], r["lat"]),
                r["place_name"],
                r["date"],
                r["organisation"],
                EoreMethod(r["method"]),
                cells,
                r["id"],
            )
        )
    return out


def eore_summary(register: Register, start: date | None = None, end: date | None = None) -> EoreSummary:
    return summarise(eore_sessions(register, start, end))


def summary_json(s: EoreSummary) -> dict[str, Any]:
    """The summary as plain data (dashboards, the API, the monthly report)."""
    return {
        "sessions": s.sessions,
        "beneficiaries": s.total,
        "by_sex_age": [
            {"sex": sex.value, "age_band": band.value, "people": n}
            for (sex, band), n in sorted(s.by_sex_age.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value))
        ],
        "by_method": {m.value: n for m, n in s.by_method.items()},
        "by_organisation": dict(s.by_organisation),
    }
