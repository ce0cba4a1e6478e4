"""Field operations in the database: daily reports with their review state, review history,
proposals, QA inspections, handover certificates, accidents, victims and EORE sessions.

Plain functions on a connection inside the caller's unit of work; no rule lives here (the
rules are in :mod:`landrelease.field`). Personal fields (a report's team leader, a victim's
name and contact) are stored but never written to the audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Connection, case, func, select, update

from landrelease.domain.activity import Find
from landrelease.domain.enums import ActivityKind, EOType, StoppageReason, WorkMethod
from landrelease.domain.task import DailyReport, Stoppage
from landrelease.field.reports import UNSPECIFIED, SiteFacts, TaskFacts
from landrelease.field.review import ReviewKind, ReviewState, ReviewStep
from landrelease.storage import schema

METHOD_COLUMNS: dict[WorkMethod, str] = {m: f"{m.value}_m2" for m in WorkMethod}
CHUNK = 900  # bound parameters per IN (SQLite's limit is 999 on old builds)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


# ------------------------------------------------------------------------------ daily reports


def report_row(
    r: DailyReport, *, operator: str | None, state: ReviewState, actor: str, now: datetime
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "uuid": str(r.uuid),
        "team_code": r.team,
        "task_code": r.task,
        "hazard_code": r.hazard_code,
        "date": r.date,
        "m2_processed": float(r.m2_processed),
        "finds": int(r.finds),
        "hours": r.hours,
        "received_at": now,
        "review_state": state.value,
        "operator": operator,
        "items": [
            {
                "eo_type": EOType(f.eo_type).value,
                "lon": f.position.x,
                "lat": f.position.y,
                "depth_cm": f.depth_cm,
                "model": f.model,
                "condition": f.condition,
                "disposal": f.disposal,
            }
            for f in r.items
        ],
        "stoppages": [{"reason": s.reason.value, "hours": s.hours} for s in r.stoppages],
        "team_leader": r.team_leader,
        "lon": r.position.x if r.position is not None and not r.position.is_empty else None,
        "lat": r.position.y if r.position is not None and not r.position.is_empty else None,
        "notes": r.notes or "",
        "source": (r.source or "")[:120],
        "submitted_at": r.submitted_at,
        "submitted_by": actor,
        "updated_at": now,
        "version": 1,
    }
    for method, col in METHOD_COLUMNS.items():
        row[col] = float(r.area_by_method.get(method, 0.0))
    return row


def report_from_row(row: Any) -> DailyReport:
    m = row._mapping
    areas = {method: float(m[col]) for method, col in METHOD_COLUMNS.items() if m.get(col)}
    return DailyReport(
        id=m["id"],
        uuid=m["uuid"],
        team=m["team_code"],
        task=m["task_code"],
        hazard_code=m["hazard_code"],
        date=m["date"],
        m2_processed=m["m2_processed"],
        finds=m["finds"],
        hours=m["hours"],
        area_by_method=areas,
        items=[
            Find(
                EOType(i["eo_type"]),
                Point(i["lon"], i["lat"]),
                i.get("depth_cm"),
                i.get("model"),
                i.get("condition"),
                i.get("disposal"),
            )
            for i in (m.get("items") or [])
        ],
        stoppages=[Stoppage(StoppageReason(s["reason"]), float(s["hours"])) for s in (m.get("stoppages") or [])],
        team_leader=m.get("team_leader"),
        position=Point(m["lon"], m["lat"]) if m.get("lon") is not None and m.get("lat") is not None else None,
        notes=m.get("notes") or "",
        submitted_at=m.get("submitted_at"),
        source=m.get("source") or "",
    )


def stored_reports(conn: Connection, uuids: Iterable[str]) -> dict[str, tuple[DailyReport, ReviewState]]:
    d = schema.daily_report
    wanted = list(dict.fromkeys(str(u) for u in uuids))
    out: dict[str, tuple[DailyReport, ReviewState]] = {}
    for chunk in _chunks(wanted):
        for row in conn.execute(select(d).where(d.c.uuid.in_(chunk))):
            out[row.uuid] = (report_from_row(row), ReviewState(row.review_state))
    return out


def report_facts(
    conn: Connection, reports: Sequence[DailyReport], *, replacing: Iterable[str] = ()
) -> tuple[dict[str, str | None], dict[str, TaskFacts], dict[str, SiteFacts]]:
    """Teams, tasks and hazard areas the reports name, with what stored reports already processed.

    Returned reports do not count; nor do the stored versions of reports being ``replacing``
    (resubmitted), whose new content is what will count.
    """
    tm, t, h, d = schema.team, schema.task, schema.hazard_area, schema.daily_report
    q: Any
    teams: dict[str, str | None] = {}
    for chunk in _chunks(list({r.team for r in reports})):
        teams.update(
            {
                row.code: row.operator
                for row in conn.execute(select(tm.c.code, tm.c.operator).where(tm.c.code.in_(chunk)))
            }
        )
    tasks: dict[str, TaskFacts] = {}
    for chunk in _chunks(list({r.task for r in reports if r.task})):
        q = select(t.c.code, t.c.method, h.c.code.label("hazard_code")).select_from(t.join(h, t.c.hazard_id == h.c.id))
        for row in conn.execute(q.where(t.c.code.in_(chunk))):
            tasks[row.code] = TaskFacts(row.code, row.hazard_code, ActivityKind(row.method))
    codes = list({r.hazard_code for r in reports if r.hazard_code} | {x.hazard_code for x in tasks.values()})
    sites: dict[str, SiteFacts] = {}
    skip = list(dict.fromkeys(replacing))
    with_items = {r.hazard_code or (tasks[r.task].hazard_code if r.task in tasks else None) for r in reports if r.items}
    for chunk in _chunks(codes):
        rows = conn.execute(select(h.c.code, h.c.area_m2).where(h.c.code.in_(chunk))).all()
        # Geometry only where a device's position is to be checked against it (the costly column).
        wanted = [c for c in chunk if c in with_items]
        shapes = dict(conn.execute(select(h.c.code, h.c.geometry).where(h.c.code.in_(wanted))).all()) if wanted else {}
        detail = d.c.nts_walked_m2 + d.c.ts_searched_m2 + d.c.cleared_m2 + d.c.machine_processed_m2
        q = (
            select(
                d.c.hazard_code,
                *[func.sum(d.c[col]).label(col) for col in METHOD_COLUMNS.values()],
                func.sum(case((detail == 0, d.c.m2_processed), else_=0.0)).label(UNSPECIFIED),
            )
            .where(d.c.hazard_code.in_(chunk), d.c.review_state != ReviewState.RETURNED.value)
            .group_by(d.c.hazard_code)
        )
        if skip:
            q = q.where(d.c.uuid.not_in(skip))
        done: dict[str, Any] = {r.hazard_code: r._mapping for r in conn.execute(q)}
        for row in rows:
            sums: Any = done.get(row.code, {})
            processed = {m.value: float(sums.get(col) or 0.0) for m, col in METHOD_COLUMNS.items()}
            processed[UNSPECIFIED] = float(sums.get(UNSPECIFIED) or 0.0)
            sites[row.code] = SiteFacts(row.code, shapes.get(row.code), float(row.area_m2), processed)
    return teams, tasks, sites


def insert_reports(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(schema.daily_report.insert(), list(rows))


def replace_report(conn: Connection, row: dict[str, Any]) -> None:
    """Store a resubmission over the returned report with the same UUID (its version goes up)."""
    d = schema.daily_report
    values = {k: v for k, v in row.items() if k not in ("uuid", "received_at", "version")}
    conn.execute(update(d).where(d.c.uuid == row["uuid"]).values(**values, version=d.c.version + 1))


def approved_reports(conn: Connection, *, since: date | None = None, until: date | None = None) -> list[DailyReport]:
    d = schema.daily_report
    q = select(d).where(d.c.review_state == ReviewState.APPROVED.value)
    if since:
        q = q.where(d.c.date >= since)
    if until:
        q = q.where(d.c.date <= until)
    return [report_from_row(r) for r in conn.execute(q.order_by(d.c.date, d.c.id))]


def report_page(
    conn: Connection,
    *,
    limit: int,
    offset: int,
    team: str | None = None,
    since: date | None = None,
    states: Sequence[ReviewState] | None = None,
    operator: str | None = None,
) -> tuple[list[DailyReport], list[dict[str, Any]], int]:
    """Reports newest first (with their state, organisation, who submitted) and the total."""
    d = schema.daily_report
    conds = []
    if team:
        conds.append(d.c.team_code == team)
    if since:
        conds.append(d.c.date >= since)
    if states is not None:
        conds.append(d.c.review_state.in_([s.value for s in states]))
    if operator is not None:
        conds.append(d.c.operator == operator)
    q, tq = select(d).order_by(d.c.date.desc(), d.c.id.desc()), select(func.count()).select_from(d)
    for c in conds:
        q, tq = q.where(c), tq.where(c)
    total = int(conn.execute(tq).scalar_one())
    rows = conn.execute(q.limit(limit).offset(offset)).all()
    meta = [
        {
            "review_state": r.review_state,
            "operator": r.operator,
            "submitted_by": r.submitted_by,
            "received_at": r.received_at,
            "version": r.version,
            "source": r.source,
        }
        for r in rows
    ]
    return [report_from_row(r) for r in rows], meta, total


def count_reports(conn: Connection) -> dict[str, int]:
    d = schema.daily_report
    return {
        r.review_state: int(r.n)
        for r in conn.execute(select(d.c.review_state, func.count().label("n")).group_by(d.c.review_state))
    }


# ------------------------------------------------------------------------------ review


def review_target(conn: Connection, kind: ReviewKind, record: str) -> tuple[ReviewState, str | None, str | None] | None:
    """(state, submitted_by, organisation) of a reviewable record; None when there is none."""
    if kind is ReviewKind.DAILY_REPORT:
        d = schema.daily_report
        r = conn.execute(select(d.c.review_state, d.c.submitted_by, d.c.operator).where(d.c.uuid == record)).first()
    else:
        p = schema.proposal
        r = conn.execute(
            select(p.c.review_state, p.c.submitted_by, p.c.operator).where(p.c.code == record, p.c.kind == kind.value)
        ).first()
    return None if r is None else (ReviewState(r[0]), r[1], r[2])


def apply_step(conn: Connection, s: ReviewStep) -> None:
    """Move the record to the step's state and keep the step in the history."""
    if s.kind is ReviewKind.DAILY_REPORT:
        d = schema.daily_report
        conn.execute(
            update(d)
            .where(d.c.uuid == s.record, d.c.review_state == s.from_state.value)
            .values(review_state=s.to_state.value, updated_at=s.at)
        )
    else:
        p = schema.proposal
        conn.execute(
            update(p)
            .where(p.c.code == s.record, p.c.review_state == s.from_state.value)
            .values(review_state=s.to_state.value, updated_at=s.at)
        )
    conn.execute(
        schema.review_event.insert().values(
            kind=s.kind.value,
            record=s.record,
            action=s.action.value,
            from_state=s.from_state.value,
            to_state=s.to_state.value,
            actor=s.actor,
            at=s.at,
            reason=s.reason,
        )
    )


def review_history(conn: Connection, kind: ReviewKind, record: str) -> list[dict[str, Any]]:
    e = schema.review_event
    q = select(e.c.action, e.c.from_state, e.c.to_state, e.c.actor, e.c.at, e.c.reason)
    q = q.where(e.c.kind == kind.value, e.c.record == record).order_by(e.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


def review_queue(
    conn: Connection, *, operator: str | None = None, states: Sequence[ReviewState] | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Records waiting (or in the given states), oldest first: daily reports and proposals together."""
    wanted = [s.value for s in (states or [s for s in ReviewState if s.waiting])]
    d, p = schema.daily_report, schema.proposal
    q1 = select(
        d.c.uuid,
        d.c.team_code,
        d.c.hazard_code,
        d.c.date,
        d.c.m2_processed,
        d.c.finds,
        d.c.review_state,
        d.c.operator,
        d.c.submitted_by,
        d.c.received_at,
        d.c.version,
    ).where(d.c.review_state.in_(wanted))
    q2 = select(
        p.c.code,
        p.c.kind,
        p.c.hazard_code,
        p.c.review_state,
        p.c.operator,
        p.c.submitted_by,
        p.c.created_at,
        p.c.payload,
    ).where(p.c.review_state.in_(wanted))
    if operator is not None:
        q1, q2 = q1.where(d.c.operator == operator), q2.where(p.c.operator == operator)
    out: list[dict[str, Any]] = []
    r: Any
    for r in conn.execute(q1.order_by(d.c.received_at, d.c.id).limit(limit)):
        out.append(
            {
                "kind": ReviewKind.DAILY_REPORT.value,
                "record": r.uuid,
                "hazard_code": r.hazard_code,
                "summary": f"{r.team_code}, {r.date.isoformat()}: {r.m2_processed:,.0f} m², {r.finds} find(s)",
                "state": r.review_state,
                "operator": r.operator,
                "submitted_by": r.submitted_by,
                "submitted_at": r.received_at,
                "version": r.version,
            }
        )
    for r in conn.execute(q2.order_by(p.c.created_at, p.c.id).limit(limit)):
        out.append(
            {
                "kind": r.kind,
                "record": r.code,
                "hazard_code": r.hazard_code,
                "summary": (r.payload or {}).get("summary", ""),
                "state": r.review_state,
                "operator": r.operator,
                "submitted_by": r.submitted_by,
                "submitted_at": r.created_at,
                "version": 1,
            }
        )
    out.sort(key=lambda x: (x["submitted_at"] is None, x["submitted_at"]))
    return out[:limit]


# ------------------------------------------------------------------------------ proposals


def add_proposal(
    conn: Connection,
    *,
    code: str,
    kind: ReviewKind,
    hazard_code: str,
    payload: dict[str, Any],
    operator: str | None,
    actor: str,
    now: datetime,
) -> None:
    conn.execute(
        schema.proposal.insert().values(
            code=code,
            kind=kind.value,
            hazard_code=hazard_code,
            payload=payload,
            operator=operator,
            review_state=ReviewState.SUBMITTED.value,
            submitted_by=actor,
            created_at=now,
            updated_at=now,
        )
    )


def proposal(conn: Connection, code: str) -> dict[str, Any] | None:
    p = schema.proposal
    r = conn.execute(select(p).where(p.c.code == code)).first()
    return dict(r._mapping) if r else None


def set_proposal_payload(conn: Connection, code: str, payload: dict[str, Any], now: datetime) -> None:
    p = schema.proposal
    conn.execute(update(p).where(p.c.code == code).values(payload=payload, updated_at=now))


def set_proposal_result(conn: Connection, code: str, result: dict[str, Any]) -> None:
    p = schema.proposal
    conn.execute(update(p).where(p.c.code == code).values(result=result))


def next_code(conn: Connection, table: str, prefix: str) -> str:
    t = schema.metadata.tables[table]
    n = int(conn.execute(select(func.count()).select_from(t)).scalar_one()) + 1
    col = t.c.number if "number" in t.c else t.c.code
    while conn.execute(select(t.c.id).where(col == f"{prefix}{n:05d}")).first() is not None:
        n += 1
    return f"{prefix}{n:05d}"


def processed_by_task(conn: Connection) -> dict[str, float]:
    """m² processed by approved reports per task code."""
    d = schema.daily_report
    q = (
        select(d.c.task_code, func.sum(d.c.m2_processed))
        .where(d.c.review_state == ReviewState.APPROVED.value, d.c.task_code.is_not(None))
        .group_by(d.c.task_code)
    )
    return {code: float(m2 or 0.0) for code, m2 in conn.execute(q)}


def processed_by_area(conn: Connection) -> dict[str, dict[str, float]]:
    """m² by method processed by approved reports per hazard code."""
    d = schema.daily_report
    q = select(
        d.c.hazard_code,
        *[func.sum(d.c[c]).label(c) for c in METHOD_COLUMNS.values()],
        func.sum(d.c.m2_processed).label("total"),
    )
    q = q.where(d.c.review_state == ReviewState.APPROVED.value, d.c.hazard_code.is_not(None)).group_by(d.c.hazard_code)
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for r in conn.execute(q):
        m = r._mapping
        out[r.hazard_code] = {
            **{meth.value: float(m[c] or 0.0) for meth, c in METHOD_COLUMNS.items()},
            "total": float(m["total"] or 0.0),
        }
    return dict(out)


def last_submitted_at(conn: Connection, source: str) -> datetime | None:
    d = schema.daily_report
    at = conn.execute(select(func.max(d.c.submitted_at)).where(d.c.source == source)).scalar()
    if isinstance(at, datetime) and at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    return at if isinstance(at, datetime) else None


# ------------------------------------------------------------------------------ accidents, victims


def add_accident(conn: Connection, a: Any, now: datetime) -> int:
    res = conn.execute(
        schema.accident.insert().values(
            code=a.code,
            lon=a.position.x,
            lat=a.position.y,
            date=a.date,
            device=a.device.value if a.device else None,
            demining_accident=a.demining_accident,
            activity=a.activity.value,
            hazard_code=a.hazard_code,
            description=a.description,
            created_at=now,
        )
    )
    return int(res.inserted_primary_key[0])  # type: ignore[index]


def accident_ids(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    t = schema.accident
    wanted = list(dict.fromkeys(codes))
    return {r.code: r.id for r in conn.execute(select(t.c.code, t.c.id).where(t.c.code.in_(wanted)))} if wanted else {}


def add_victims(conn: Connection, victims: Sequence[Any], ids: dict[str, int]) -> None:
    if not victims:
        return
    conn.execute(
        schema.victim.insert(),
        [
            {
                "code": v.code,
                "accident_id": ids[v.accident_code],
                "sex": v.sex.value,
                "age_band": v.age_band.value,
                "outcome": v.outcome.value,
                "injury": v.injury,
                "follow_up": v.follow_up,
                "name": v.name,
                "contact": v.contact,
            }
            for v in victims
        ],
    )


def accidents(conn: Connection) -> list[dict[str, Any]]:
    t = schema.accident
    return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.date, t.c.id))]


def victims(conn: Connection, *, personal: bool) -> list[dict[str, Any]]:
    v, a = schema.victim, schema.accident
    cols = [
        v.c.code,
        a.c.code.label("accident"),
        a.c.date,
        v.c.sex,
        v.c.age_band,
        v.c.outcome,
        v.c.injury,
        v.c.follow_up,
    ]
    if personal:
        cols += [v.c.name, v.c.contact]
    q = select(*cols).select_from(v.join(a, v.c.accident_id == a.c.id)).order_by(a.c.date, v.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


# ------------------------------------------------------------------------------ EORE


def add_eore_sessions(conn: Connection, sessions: Sequence[Any]) -> None:
    if not sessions:
        return
    conn.execute(
        schema.eore_session.insert(),
        [
            {
                "code": s.code,
                "lon": s.place.x,
                "lat": s.place.y,
                "place_name": s.place_name,
                "date": s.date,
                "organisation": s.organisation,
                "method": s.method.value,
                "beneficiaries": {f"{sex.value}/{band.value}": n for (sex, band), n in s.beneficiaries.items()},
                "total": s.total,
            }
            for s in sessions
        ],
    )


def eore_rows(conn: Connection, *, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
    t = schema.eore_session
    q = select(t)
    if since:
        q = q.where(t.c.date >= since)
    if until:
        q = q.where(t.c.date <= until)
    return [dict(r._mapping) for r in conn.execute(q.order_by(t.c.date, t.c.id))]


# ------------------------------------------------------------------------------ QA, handover


def add_inspection(conn: Connection, insp: Any, *, reopened_code: str | None, now: datetime) -> int:
    p = insp.plan
    res = conn.execute(
        schema.qa_inspection.insert().values(
            code=insp.code,
            hazard_code=insp.hazard_code,
            inspected_on=insp.inspected_on,
            inspecting_organisation=insp.inspecting_organisation,
            inspected_organisation=insp.inspected_organisation,
            lot_m2=p.lot_m2,
            unit_m2=p.unit_m2,
            lot_units=p.lot_units,
            limiting_quality=p.limiting_quality,
            confidence=p.confidence,
            sample_units=p.sample_units,
            seed=insp.seed,
            units_inspected=insp.units_inspected,
            result=insp.result.value,
            reopened_code=reopened_code,
            created_at=now,
        )
    )
    iid = int(res.inserted_primary_key[0])  # type: ignore[index]
    if insp.nonconformities:
        conn.execute(
            schema.qa_nonconformity.insert(),
            [
                {
                    "inspection_id": iid,
                    "severity": n.severity.value,
                    "description": n.description,
                    "lon": n.position.x if n.position is not None else None,
                    "lat": n.position.y if n.position is not None else None,
                    "eo_type": n.eo_type.value if n.eo_type else None,
                    "depth_cm": n.depth_cm,
                    "corrective_action": n.corrective_action,
                }
                for n in insp.nonconformities
            ],
        )
    return iid


def inspections(conn: Connection, hazard_code: str | None = None) -> list[dict[str, Any]]:
    q, n = schema.qa_inspection, schema.qa_nonconformity
    sel = select(q).order_by(q.c.inspected_on, q.c.id)
    if hazard_code:
        sel = sel.where(q.c.hazard_code == hazard_code)
    out = []
    for r in conn.execute(sel):
        row = dict(r._mapping)
        row["nonconformities"] = [
            dict(x._mapping) for x in conn.execute(select(n).where(n.c.inspection_id == r.id).order_by(n.c.id))
        ]
        out.append(row)
    return out


def add_handover(
    conn: Connection, number: str, hazard_code: str, on: date, authority: str, cert: dict[str, Any], now: datetime
) -> None:
    conn.execute(
        schema.handover.insert().values(
            number=number,
            hazard_code=hazard_code,
            handed_over_on=on,
            receiving_authority=authority,
            certificate=cert,
            created_at=now,
        )
    )


def handover(conn: Connection, number: str) -> dict[str, Any] | None:
    t = schema.handover
    r = conn.execute(select(t).where(t.c.number == number)).first()
    return dict(r._mapping) if r else None


def handovers(conn: Connection) -> list[dict[str, Any]]:
    t = schema.handover
    return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.handed_over_on, t.c.id))]


def period_reports(conn: Connection, start: date, end: date) -> dict[str, Any]:
    d = schema.daily_report
    where = (d.c.date >= start, d.c.date <= end)
    states = {
        r.review_state: int(r.n)
        for r in conn.execute(
            select(d.c.review_state, func.count().label("n")).where(*where).group_by(d.c.review_state)
        )
    }
    ok = (*where, d.c.review_state == ReviewState.APPROVED.value)
    sums = conn.execute(
        select(
            *[func.coalesce(func.sum(d.c[c]), 0.0) for c in METHOD_COLUMNS.values()],
            func.coalesce(func.sum(d.c.m2_processed), 0.0),
            func.coalesce(func.sum(d.c.finds), 0),
            func.count(func.distinct(d.c.team_code)),
        ).where(*ok)
    ).one()
    by_method = {m.value: float(v) for m, v in zip(METHOD_COLUMNS, sums[: len(METHOD_COLUMNS)], strict=True)}
    return {
        "by_state": states,
        "approved_m2_by_method": by_method,
        "approved_m2": float(sums[len(METHOD_COLUMNS)]),
        "approved_finds": int(sums[len(METHOD_COLUMNS) + 1]),
        "teams": int(sums[len(METHOD_COLUMNS) + 2]),
    }
