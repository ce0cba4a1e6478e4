"""Recording an activity in the register: released parts, finds, the split, the audit event.

Called from :meth:`UnitOfWork.record_activity`, inside the caller's transaction, so a
refused or failed activity writes nothing. History is never overwritten: a partial release
marks the original record ``superseded`` and opens a child record (``parent_id`` = the
original, code ``ORIG/n``, version + 1) for the open remainder; every released part keeps
the activity (and so the team, operator and dates) and the method that released it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import shapely
from sqlalchemy import Connection, func, select, update

from landrelease.domain.activity import Activity
from landrelease.domain.enums import ActivityKind, HazardStatus
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.release import DEFAULT_TOLERANCE_M, ReleaseSplit, plan_release
from landrelease.storage import audit, schema
from landrelease.storage.rows import hazard_from_row, hazard_rows

CODE_LENGTH = 64


@dataclass(frozen=True, slots=True)
class RecordedActivity:
    """What recording one activity did to the register."""

    activity_id: int
    activity_code: str
    hazard_code: str
    status: HazardStatus  # the worked-on record's status afterwards
    released: list[tuple[str, float]] = field(default_factory=list)  # (method, m²)
    remainder_code: str | None = None
    remainder_m2: float = 0.0
    original_m2: float = 0.0
    finds: int = 0

    @property
    def released_m2(self) -> float:
        return float(sum(m2 for _, m2 in self.released))


def _child_code(conn: Connection, parent: HazardArea, root: str) -> str:
    """``ROOT/n`` with n one more than any part split from the same root so far."""
    h = schema.hazard_area
    prefix = f"{root}/"
    taken = conn.execute(select(h.c.code).where(h.c.code.like(prefix.replace("%", r"\%") + "%", escape="\\")))
    highest = 0
    for (code,) in taken:
        tail = code[len(prefix) :]
        if tail.isascii() and tail.isdigit():
            highest = max(highest, int(tail))
    code = f"{prefix}{highest + 1}"
    if len(code) > CODE_LENGTH:
        raise ValidationError(
            [
                Problem(
                    "the code of the remaining part would be too long",
                    parent.code,
                    "code",
                    f"{len(code)} characters",
                    f"at most {CODE_LENGTH}",
                )
            ],
            "activity refused",
        )
    return code


def _free_activity_code(conn: Connection, activity_id: int) -> str:
    """``ACT-nnnnnnn`` from the row id, with a suffix if someone already used that code."""
    a = schema.activity
    base = code = f"ACT-{activity_id:07d}"
    n = 1
    while conn.execute(select(a.c.id).where(a.c.code == code)).first() is not None:
        code = f"{base}-{n}"
        n += 1
    return code


def _root_code(conn: Connection, hazard: HazardArea) -> str:
    """The code of the first record in this area's line (children are numbered under it)."""
    h = schema.hazard_area
    code, parent_id = hazard.code, hazard.parent_id
    seen = 0
    while parent_id is not None and seen < 10_000:
        row = conn.execute(select(h.c.code, h.c.parent_id).where(h.c.id == parent_id)).one()
        code, parent_id = row.code, row.parent_id
        seen += 1
    return code


def record_activity(
    conn: Connection,
    actor: str,
    activity: Activity,
    *,
    today: date | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> RecordedActivity:
    """Check and store one activity and the land it released; see the module docstring."""
    h, a, rp, fd, ev = schema.hazard_area, schema.activity, schema.released_part, schema.find, schema.evidence
    now = datetime.now(UTC)
    today = today or now.date()
    rec = activity.code or f"activity on {activity.hazard_code}"
    row = conn.execute(select(h).where(h.c.code == activity.hazard_code).with_for_update()).first()
    if row is None:
        raise ValidationError(
            [
                Problem(
                    "no hazard area with this code",
                    rec,
                    "hazard_code",
                    activity.hazard_code,
                    "the code of a stored hazard area",
                )
            ],
            "activity refused",
        )
    if activity.code is not None and conn.execute(select(a.c.id).where(a.c.code == activity.code)).first():
        raise ValidationError(
            [Problem("an activity with this code is already recorded", rec, "code", activity.code, "a new code")],
            "activity refused",
        )
    hazard = hazard_from_row(row)
    split: ReleaseSplit = plan_release(hazard, activity, today=today, tolerance_m=tolerance_m)

    processed = activity.area_processed_m2 or split.released_m2
    activity_id = conn.execute(
        a.insert()
        .values(
            code=activity.code,
            hazard_id=hazard.id,
            kind=activity.kind.value,
            team_code=activity.team,
            operator=activity.operator,
            start_date=activity.start_date,
            end_date=activity.end_date,
            area_processed_m2=processed,
            clearance_depth_cm=activity.clearance_depth_cm,
            status=activity.status,
            created_at=now,
        )
        .returning(a.c.id)
    ).scalar_one()
    code = activity.code or _free_activity_code(conn, int(activity_id))
    if activity.code is None:
        conn.execute(update(a).where(a.c.id == activity_id).values(code=code))

    released_on = activity.end_date or activity.start_date
    if split.parts:
        bounds = shapely.bounds([p.geometry for p in split.parts])
        conn.execute(
            rp.insert(),
            [
                {
                    "activity_id": activity_id,
                    "hazard_id": hazard.id,
                    "method": p.method.value,
                    "geometry": p.geometry,
                    "minx": b[0],
                    "miny": b[1],
                    "maxx": b[2],
                    "maxy": b[3],
                    "area_m2": p.area_m2,
                    "released_on": released_on,
                }
                for p, b in zip(split.parts, bounds, strict=True)
            ],
        )
    if activity.finds:
        conn.execute(
            fd.insert(),
            [
                {
                    "activity_id": activity_id,
                    "eo_type": f.eo_type.value,
                    "geometry": f.position,
                    "depth_cm": f.depth_cm,
                    "model": f.model,
                    "condition": f.condition,
                }
                for f in activity.finds
            ],
        )

    status = hazard.status
    remainder_code: str | None = None
    moved_evidence: list[int] = []
    if split.is_full:
        status = split.closing_status()
        conn.execute(
            update(h).where(h.c.id == hazard.id).values(status=status.value, updated_at=now, version=hazard.version + 1)
        )
    elif split.is_partial:
        assert split.remainder is not None
        remainder_code = _child_code(conn, hazard, _root_code(conn, hazard))
        child = replace(
            hazard,
            id=None,
            code=remainder_code,
            geometry=split.remainder,
            parent_id=hazard.id,
            version=hazard.version + 1,
            created_at=now,
            updated_at=now,
            extra={**hazard.extra, "split_from": hazard.code, "split_by": code},
        )
        child_row = hazard_rows([child], now=now)[0]
        child_row["area_m2"] = split.remainder_m2  # the same UTM zone as the released parts: sums are exact
        child_id = conn.execute(h.insert().values(**child_row).returning(h.c.id)).scalar_one()
        status = HazardStatus.SUPERSEDED
        conn.execute(update(h).where(h.c.id == hazard.id).values(status=status.value, updated_at=now))
        # Evidence that lies in the open remainder now belongs to it; evidence in released land
        # stays with the superseded record (its history).
        for ev_id, geom in conn.execute(select(ev.c.id, ev.c.geometry).where(ev.c.hazard_id == hazard.id)).all():
            if shapely.intersects(geom, split.remainder):
                moved_evidence.append(int(ev_id))
        if moved_evidence:
            conn.execute(update(ev).where(ev.c.id.in_(moved_evidence)).values(hazard_id=child_id))
    elif activity.kind in (ActivityKind.TS, ActivityKind.CLEARANCE) and hazard.status is HazardStatus.OPEN:
        status = HazardStatus.IN_PROGRESS
        conn.execute(update(h).where(h.c.id == hazard.id).values(status=status.value, updated_at=now))

    released = [(p.method.value, p.area_m2) for p in split.parts]
    payload: dict[str, Any] = {
        "hazard": hazard.code,
        "kind": activity.kind.value,
        "team": activity.team,
        "operator": activity.operator,
        "start": activity.start_date,
        "end": activity.end_date,
        "released": released,
        "status": status.value,
        "remainder": remainder_code,
        "remainder_m2": split.remainder_m2,
        "finds": len(activity.finds),
        "evidence_moved": moved_evidence,
    }
    audit.append(conn, actor, "record", "activity", code, payload)
    return RecordedActivity(
        activity_id=int(activity_id),
        activity_code=code,
        hazard_code=hazard.code,
        status=status,
        released=released,
        remainder_code=remainder_code,
        remainder_m2=split.remainder_m2,
        original_m2=split.original_m2,
        finds=len(activity.finds),
    )


def release_history(conn: Connection, hazard_code: str | None = None) -> list[dict[str, Any]]:
    """Every released part: which area, when, by which activity, team, operator and method."""
    h, a, rp = schema.hazard_area, schema.activity, schema.released_part
    q = (
        select(
            rp.c.id,
            h.c.code.label("hazard_code"),
            rp.c.method,
            rp.c.area_m2,
            rp.c.released_on,
            rp.c.geometry,
            a.c.code.label("activity_code"),
            a.c.kind,
            a.c.team_code,
            func.coalesce(a.c.operator, h.c.operator).label("operator"),
            a.c.start_date,
            a.c.end_date,
        )
        .select_from(rp.join(a, rp.c.activity_id == a.c.id).join(h, rp.c.hazard_id == h.c.id))
        .order_by(rp.c.id)
    )
    if hazard_code is not None:
        q = q.where(h.c.code == hazard_code)
    return [dict(r._mapping) for r in conn.execute(q)]
