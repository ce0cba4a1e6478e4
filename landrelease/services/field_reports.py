"""Daily reports in, reviewed, and counted: the use cases of field reporting.

- :func:`submit_reports`: a batch from the API, a KoboToolbox/ODK export or a pull. One unit
  of work: the batch is reconciled with what is stored (a resend is a no-op; a changed
  resend is refused, naming the UUID and fields; a returned report may be resubmitted),
  checked against the register (:mod:`landrelease.field.reports`) and stored as
  ``submitted`` — all of it, or nothing. A concurrent writer of the same UUID makes the
  database refuse the insert; the batch is then read again and reconciled once more, so
  two clients sending one report store it once.
- :func:`review`: one step of the review workflow (:mod:`landrelease.field.review`) on a
  daily report or a proposal, with its history and the audit trail. Approving a report
  moves its hazard area from open to in progress; approving a proposal applies it.
- :func:`propose_activity` / :func:`propose_hazard_change`: an operator's change to the
  register, held for review. An activity is checked against the register when proposed
  (a dry run of the land-release rule that writes nothing) and applied when approved.

Who may do what is the adapter's rule: each function takes an ``authorise`` callback that
sees what the call touches (read in the same transaction) and raises to refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry import Point
from sqlalchemy.exc import IntegrityError

from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.authority import require_own_land
from landrelease.domain.enums import ActivityKind, EOType, HazardStatus, ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.task import DailyReport
from landrelease.domain.user import User
from landrelease.field.reports import ReportContext, latest_calendar_date, reconcile, validate_reports
from landrelease.field.review import ReviewAction, ReviewKind, ReviewState, ReviewStep, step
from landrelease.services.register import Register
from landrelease.storage import field as store
from landrelease.storage import schema

__all__ = [
    "Intake",
    "IntakeContext",
    "ReviewContext",
    "approved_reports",
    "propose_activity",
    "propose_hazard_change",
    "report_page",
    "review",
    "review_history",
    "review_queue",
    "submit_reports",
]

RETRIES = 3


class NotFound(ValidationError):
    """The record a call names is not in the register (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class Intake:
    """What a batch did: received, newly stored, resubmissions stored, resends ignored."""

    received: int
    stored: int
    resubmitted: int
    duplicates: int
    uuids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IntakeContext:
    """What a batch about to be stored touches: its reports and each team's organisation."""

    reports: Sequence[DailyReport]
    team_operators: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class ProposalContext:
    """What a proposed change touches: its hazard area's organisation and its team's."""

    hazard_operator: str | None
    team_exists: bool
    team_operator: str | None


@dataclass(frozen=True, slots=True)
class ReviewContext:
    kind: ReviewKind
    record: str
    operator: str | None
    action: ReviewAction


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def submit_reports(
    register: Register,
    reports: Sequence[DailyReport],
    *,
    actor: str,
    source: str | None = None,
    now: datetime | None = None,
    authorise: Callable[[IntakeContext], None] | None = None,
    user: User | None = None,
) -> Intake:
    """Store a batch of daily reports for review, all or nothing (see the module).

    With ``user``, every hazard area a report names (directly or through its task) must be
    one that user may change (:func:`landrelease.domain.authority.require_own_land`).
    """
    at = _now(now)
    for attempt in range(RETRIES):
        try:
            return _submit_once(register, reports, actor=actor, source=source, now=at, authorise=authorise, user=user)
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _submit_once(
    register: Register,
    reports: Sequence[DailyReport],
    *,
    actor: str,
    source: str | None,
    now: datetime,
    authorise: Callable[[IntakeContext], None] | None,
    user: User | None = None,
) -> Intake:
    with register.unit_of_work(actor=actor) as uow:
        conn = uow.conn
        stored = store.stored_reports(conn, [r.uuid for r in reports])
        rec = reconcile(reports, stored, source=source)
        todo = rec.to_store
        if not todo:
            return Intake(len(reports), 0, 0, len(rec.duplicates))
        again = [r.uuid for r in rec.resubmitted]
        teams, tasks, sites = store.report_facts(conn, todo, replacing=again)
        if authorise is not None:
            authorise(IntakeContext(todo, teams))
        if user is not None:
            from landrelease.storage.records import hazard_operators

            touched = {r.hazard_code or (tasks[r.task].hazard_code if r.task in tasks else None): r for r in todo}
            owners = hazard_operators(conn, [c for c in touched if c])
            for hazard_code, owner in owners.items():
                require_own_land(user, hazard_code, owner)
        validate_reports(todo, ReportContext(teams, tasks, sites, latest_calendar_date(now)), source=source)
        for r in todo:
            if r.hazard_code is None and r.task in tasks:
                r.hazard_code = tasks[r.task].hazard_code
        store.insert_reports(
            conn,
            [
                store.report_row(r, operator=teams.get(r.team), state=ReviewState.SUBMITTED, actor=actor, now=now)
                for r in rec.fresh
            ],
        )
        for r in rec.resubmitted:
            s = step(
                ReviewKind.DAILY_REPORT,
                r.uuid,
                ReviewState.RETURNED,
                ReviewAction.RESUBMIT,
                actor=actor,
                at=now,
                reviewer=False,
            )
            row = store.report_row(r, operator=teams.get(r.team), state=ReviewState.RETURNED, actor=actor, now=now)
            store.replace_report(conn, row)
            store.apply_step(conn, s)
        uow.audit(
            "submit",
            "daily_report",
            None,
            {
                "new": [r.uuid for r in rec.fresh],
                "resubmitted": again,
                "duplicates": len(rec.duplicates),
                "source": source,
            },
        )
        return Intake(len(reports), len(rec.fresh), len(again), len(rec.duplicates), [r.uuid for r in todo])


def review(
    register: Register,
    kind: ReviewKind,
    record: str,
    action: ReviewAction,
    *,
    actor: str,
    reviewer: bool,
    reason: str | None = None,
    now: datetime | None = None,
    authorise: Callable[[ReviewContext], None] | None = None,
) -> ReviewStep:
    """Take one review step on a record; approving applies it (see the module)."""
    kind, action = ReviewKind(kind), ReviewAction(action)
    at = _now(now)
    with register.unit_of_work(actor=actor) as uow:
        target = store.review_target(uow.conn, kind, record)
        if target is None:
            raise NotFound(
                [Problem(f"no {kind.value.replace('_', ' ')} {record!r}", record=record, field="record")],
                summary="not found",
            )
        state, submitted_by, operator = target
        if authorise is not None:
            authorise(ReviewContext(kind, record, operator, action))
        s = step(
            kind, record, state, action, actor=actor, at=at, reviewer=reviewer, submitted_by=submitted_by, reason=reason
        )
        store.apply_step(uow.conn, s)
        result: dict[str, Any] | None = None
        if s.to_state is ReviewState.APPROVED:
            result = _apply_approved(uow, kind, record)
        uow.audit(
            action.value,
            kind.value,
            record,
            {"from": s.from_state.value, "to": s.to_state.value, "reason": s.reason, "result": result},
        )
        return s


def _apply_approved(uow: Any, kind: ReviewKind, record: str) -> dict[str, Any] | None:
    conn = uow.conn
    if kind is ReviewKind.DAILY_REPORT:
        ((report, _),) = store.stored_reports(conn, [record]).values()
        if report.hazard_code and report.m2_processed > 0:
            from sqlalchemy import update

            h = schema.hazard_area
            done = conn.execute(
                update(h)
                .where(h.c.code == report.hazard_code, h.c.status == HazardStatus.OPEN.value)
                .values(status=HazardStatus.IN_PROGRESS.value, updated_at=datetime.now(UTC), version=h.c.version + 1)
            ).rowcount
            return {"hazard_in_progress": report.hazard_code} if done else None
        return None
    prop = store.proposal(conn, record)
    assert prop is not None
    if kind is ReviewKind.ACTIVITY:
        done = uow.record_activity(activity_from_payload(prop["payload"]))
        result = {"activity": done.activity_code, "status": done.status.value, "remainder": done.remainder_code}
    else:
        from landrelease.storage.edits import update_hazard_area

        payload = prop["payload"]
        changes = dict(payload["changes"])
        if changes.get("geometry") is not None:
            changes["geometry"] = shapely.geometry.shape(changes["geometry"])
        area = update_hazard_area(uow, prop["hazard_code"], changes, int(payload["expected_version"]))
        result = {"hazard": area.code, "version": area.version}
    store.set_proposal_result(conn, record, result)
    return result


# ------------------------------------------------------------------------------ proposals


def activity_payload(a: Activity) -> dict[str, Any]:
    return {
        "hazard_code": a.hazard_code,
        "kind": a.kind.value,
        "start_date": a.start_date.isoformat(),
        "end_date": a.end_date.isoformat() if a.end_date else None,
        "team": a.team,
        "operator": a.operator,
        "area_processed_m2": a.area_processed_m2,
        "clearance_depth_cm": a.clearance_depth_cm,
        "released": [{"method": p.method.value, "wkt": p.geometry.wkt} for p in a.released],
        "finds": [
            {
                "eo_type": f.eo_type.value,
                "lon": f.position.x,
                "lat": f.position.y,
                "depth_cm": f.depth_cm,
                "model": f.model,
                "condition": f.condition,
                "disposal": f.disposal,
            }
            for f in a.finds
        ],
    }


def activity_from_payload(p: dict[str, Any]) -> Activity:
    return Activity(
        hazard_code=p["hazard_code"],
        kind=ActivityKind(p["kind"]),
        start_date=date.fromisoformat(p["start_date"]),
        end_date=date.fromisoformat(p["end_date"]) if p.get("end_date") else None,
        team=p.get("team"),
        operator=p.get("operator"),
        area_processed_m2=float(p.get("area_processed_m2") or 0.0),
        clearance_depth_cm=p.get("clearance_depth_cm"),
        released=[ReleasedPart(ReleaseMethod(r["method"]), shapely.from_wkt(r["wkt"])) for r in p.get("released", [])],
        finds=[
            Find(
                EOType(f["eo_type"]),
                Point(f["lon"], f["lat"]),
                f.get("depth_cm"),
                f.get("model"),
                f.get("condition"),
                f.get("disposal"),
            )
            for f in p.get("finds", [])
        ],
    )


class _DryRun(Exception):
    pass


def propose_activity(
    register: Register,
    activity: Activity,
    *,
    actor: str,
    operator: str | None,
    now: datetime | None = None,
    authorise: Callable[[ProposalContext], None] | None = None,
    user: User | None = None,
) -> str:
    """Hold an activity for review; returns its proposal code. Checked now against the register (nothing written).

    With ``user``, refused unless that user may change the hazard area (``require_own_land``).
    """
    at = _now(now)
    if user is not None:
        from landrelease.storage.records import hazard_operator

        with register.reading() as conn:
            exists, owner = hazard_operator(conn, activity.hazard_code)
        if exists:
            require_own_land(user, activity.hazard_code, owner)
    if authorise is not None:
        from landrelease.storage.records import team_operators

        with register.reading() as conn:
            teams = team_operators(conn, [activity.team] if activity.team else [])
            authorise(
                ProposalContext(
                    _hazard_operator(conn, activity.hazard_code),
                    activity.team in teams if activity.team else False,
                    teams.get(activity.team) if activity.team else None,
                )
            )
    try:
        with register.unit_of_work(actor=actor) as uow:
            uow.record_activity(activity_from_payload(activity_payload(activity)))
            raise _DryRun
    except _DryRun:
        pass
    payload = activity_payload(activity)
    payload["summary"] = (
        f"{activity.kind.value.upper()} on {activity.hazard_code}, {sum(1 for _ in activity.released)} released part(s)"
    )
    with register.unit_of_work(actor=actor) as uow:
        code = store.next_code(uow.conn, "proposal", "PA-")
        store.add_proposal(
            uow.conn,
            code=code,
            kind=ReviewKind.ACTIVITY,
            hazard_code=activity.hazard_code,
            payload=payload,
            operator=operator,
            actor=actor,
            now=at,
        )
        uow.audit("propose", "activity", code, {"hazard_code": activity.hazard_code})
    return code


def propose_hazard_change(
    register: Register,
    hazard_code: str,
    changes: dict[str, Any],
    expected_version: int,
    *,
    actor: str,
    operator: str | None,
    now: datetime | None = None,
    authorise: Callable[[str | None], None] | None = None,
    user: User | None = None,
) -> str:
    """Hold a change of a hazard area's attributes for review; applied (version-checked) when approved.

    With ``user``, refused unless that user may change the hazard area (``require_own_land``).
    """
    at = _now(now)
    with register.unit_of_work(actor=actor) as uow:
        exists = uow.conn.execute(
            schema.hazard_area.select()
            .with_only_columns(schema.hazard_area.c.operator)
            .where(schema.hazard_area.c.code == hazard_code)
        ).first()
        if exists is None:
            raise NotFound(
                [Problem(f"no hazard area {hazard_code!r}", record=hazard_code, field="hazard_code")],
                summary="not found",
            )
        if user is not None:
            require_own_land(user, hazard_code, exists.operator, field="code")
        if authorise is not None:
            authorise(exists.operator)
        code = store.next_code(uow.conn, "proposal", "PH-")
        payload = {
            "changes": changes,
            "expected_version": expected_version,
            "summary": f"change {', '.join(sorted(changes))} of {hazard_code}",
        }
        store.add_proposal(
            uow.conn,
            code=code,
            kind=ReviewKind.HAZARD_CHANGE,
            hazard_code=hazard_code,
            payload=payload,
            operator=operator,
            actor=actor,
            now=at,
        )
        uow.audit("propose", "hazard_change", code, {"hazard_code": hazard_code, "fields": sorted(changes)})
    return code


def _hazard_operator(conn: Any, code: str) -> str | None:
    h = schema.hazard_area
    r = conn.execute(h.select().with_only_columns(h.c.operator).where(h.c.code == code)).first()
    return r.operator if r else None


# ------------------------------------------------------------------------------ reads


def review_queue(
    register: Register,
    *,
    operator: str | None = None,
    states: Sequence[ReviewState] | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    with register.reading() as conn:
        return store.review_queue(conn, operator=operator, states=states, limit=limit)


def review_history(register: Register, kind: ReviewKind, record: str) -> list[dict[str, Any]]:
    with register.reading() as conn:
        return store.review_history(conn, ReviewKind(kind), record)


def approved_reports(register: Register, *, since: date | None = None, until: date | None = None) -> list[DailyReport]:
    with register.reading() as conn:
        return store.approved_reports(conn, since=since, until=until)


def report_page(register: Register, **kw: Any) -> tuple[list[DailyReport], list[dict[str, Any]], int]:
    with register.reading() as conn:
        return store.report_page(conn, **kw)


def report_counts(register: Register) -> dict[str, int]:
    with register.reading() as conn:
        return store.count_reports(conn)


def form_lists(register: Register) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The choices of the form's CSV attachments: teams, open hazard areas, planned tasks."""
    from landrelease.storage.repository import HazardFilter

    teams = [(t.code, f"{t.code} ({t.type.value}, {t.operator or 'no organisation'})") for t in register.teams()]
    areas = [(a.code, f"{a.code} {a.name}".strip()) for a in register.hazard_areas(HazardFilter(open_only=True))]
    tasks = [(t.code, f"{t.code}: {t.method.value} {t.area_m2:,.0f} m²", t.hazard_code) for t in register.tasks()]
    return teams, areas, tasks


def last_submission(register: Register, source: str) -> datetime | None:
    """When the newest report from ``source`` was received by its collection server (for ``pull``)."""
    with register.reading() as conn:
        return store.last_submitted_at(conn, source)


def period_reports(register: Register, start: date, end: date) -> dict[str, Any]:
    """Daily reports dated in [start, end]: counts by review state, m² approved by method, devices found."""
    with register.reading() as conn:
        return store.period_reports(conn, start, end)


def task_progress(register: Register) -> list[dict[str, Any]]:
    """Each planned task's progress from approved reports: m² processed over its planned m²."""
    with register.reading() as conn:
        done = store.processed_by_task(conn)
    out = []
    for t in register.tasks():
        m2 = done.get(t.code, 0.0)
        out.append(
            {
                "task": t.code,
                "hazard_code": t.hazard_code,
                "team": t.team,
                "method": t.method.value,
                "planned_m2": t.area_m2,
                "processed_m2": m2,
                "share": min(1.0, m2 / t.area_m2) if t.area_m2 else 0.0,
            }
        )
    return out


def area_progress(register: Register) -> dict[str, dict[str, float]]:
    """m² by method that approved reports processed on each hazard area."""
    with register.reading() as conn:
        return store.processed_by_area(conn)
