"""Accidents and victims (GICHD minimum data), and accidents as evidence for the model.

Recording is all or nothing and audited without personal data; reading victims gives names
and contacts only to the roles that may see them (``domain.user.ROLES_SEEING_PERSONAL_DATA``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from shapely.geometry import Point

from landrelease.domain.enums import EOType
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.field.casualty import (
    Accident,
    ActivityAtTime,
    Victim,
    accident_evidence,
    check_accident,
    check_victims,
)
from landrelease.field.reports import latest_calendar_date
from landrelease.services.register import Register
from landrelease.storage import field as store

__all__ = ["accidents", "accidents_as_evidence", "record_accidents", "victims"]


def record_accidents(
    register: Register,
    accidents_: Sequence[Accident],
    victims_: Sequence[Victim] = (),
    *,
    actor: str,
    now: datetime | None = None,
) -> int:
    """Store accidents and their victims; refused whole (naming record and field) if any is wrong."""
    at = now or datetime.now(UTC)
    today = latest_calendar_date(at)
    problems: list[Problem] = []
    for a in accidents_:
        problems += check_accident(a, today=today)
    with register.unit_of_work(actor=actor) as uow:
        known = set(store.accident_ids(uow.conn, [v.accident_code for v in victims_]))
        taken = store.accident_ids(uow.conn, [a.code for a in accidents_])
        problems += [Problem("an accident with this code is already recorded", record=c, field="code") for c in taken]
        problems += check_victims(victims_, known | {a.code for a in accidents_})
        if problems:
            raise ValidationError(problems, summary="accident records refused")
        for a in accidents_:
            store.add_accident(uow.conn, a, at)
        ids = store.accident_ids(uow.conn, [v.accident_code for v in victims_])
        for i, v in enumerate(victims_):
            if v.code is None:
                v.code = f"{v.accident_code}/V{i + 1}"
        store.add_victims(uow.conn, victims_, ids)
        # The audit keeps codes and counts, never names or contacts.
        uow.audit("insert", "accident", None, {"accidents": [a.code for a in accidents_], "victims": len(victims_)})
    return len(accidents_)


def accidents(register: Register) -> list[Accident]:
    with register.reading() as conn:
        rows = store.accidents(conn)
    return [
        Accident(
            code=r["code"],
            position=Point(r["lon"], r["lat"]),
            date=r["date"],
            device=EOType(r["device"]) if r["device"] else None,
            demining_accident=bool(r["demining_accident"]),
            activity=ActivityAtTime(r["activity"]),
            hazard_code=r["hazard_code"],
            description=r["description"],
            id=r["id"],
        )
        for r in rows
    ]


def accidents_as_evidence(register: Register) -> list[Evidence]:
    return [accident_evidence(a) for a in accidents(register)]


def victims(register: Register, *, personal: bool) -> list[dict[str, Any]]:
    """Victim records; ``name`` and ``contact`` only when ``personal`` (the caller's role may see them)."""
    with register.reading() as conn:
        return store.victims(conn, personal=personal)


def casualty_summary(register: Register, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """Counts for dashboards and reports (no personal data): accidents, killed, injured, by sex and age band."""
    with register.reading() as conn:
        acc = [
            a
            for a in store.accidents(conn)
            if (start is None or a["date"] >= start) and (end is None or a["date"] <= end)
        ]
        vic = [
            v
            for v in store.victims(conn, personal=False)
            if (start is None or v["date"] >= start) and (end is None or v["date"] <= end)
        ]
    by: dict[str, int] = {}
    for v in vic:
        key = f"{v['sex']}/{v['age_band']}"
        by[key] = by.get(key, 0) + 1
    return {
        "accidents": len(acc),
        "demining_accidents": sum(1 for a in acc if a["demining_accident"]),
        "killed": sum(1 for v in vic if v["outcome"] == "killed"),
        "injured": sum(1 for v in vic if v["outcome"] == "injured"),
        "victims_by_sex_age": by,
    }
