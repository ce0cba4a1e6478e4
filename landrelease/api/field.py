"""Field reporting over HTTP: daily reports in (one or a batch), the review queue and its steps.

- ``POST /api/daily-report`` (one) and ``POST /api/daily-reports`` (``{"reports": [...]}``,
  up to 1,000). All or
  nothing: 201 when something new was stored, 200 when every report was a resend; 409
  naming each UUID and the fields that differ when a UUID comes back with other content;
  422 naming ``reports.N.FIELD`` for a bad report. Stored reports wait for review.
- ``GET /api/daily-reports``: viewers see approved reports only; operators also their own
  organisation's drafts and returns; the team leader's name only for administrators and
  analysts.
- ``GET /api/review-queue``, ``POST /api/review/{kind}/{record}/{action}``,
  ``GET /api/review/{kind}/{record}``: the authority's review (operators see their own
  organisation's queue and resubmit their returns).
- ``POST /api/proposals/activities``, ``POST /api/proposals/hazard-areas/{code}``: an
  operator's change held for review.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from landrelease.api.auth import WRITERS, Principal, current_principal, require, require_own_operator
from landrelease.api.params import CODE_LENGTH, CODE_PATTERN
from landrelease.api.problems import ApiProblem, problem_errors, problem_response
from landrelease.api.schemas import (
    ActivityIn,
    DailyReportIn,
    DailyReportsIn,
    HazardAreaPatch,
    ReviewIn,
    point_from_geojson,
    polygon_from_geojson,
)
from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.task import DailyReport, Stoppage
from landrelease.domain.user import Role, User
from landrelease.field.reports import ConflictError
from landrelease.field.review import ReviewAction, ReviewKind, ReviewState
from landrelease.services import field_reports as svc

router = APIRouter(prefix="/api", tags=["field"])
Reader = Annotated[Principal, Depends(current_principal)]
Writer = Annotated[User, Depends(require(*WRITERS))]
REVIEWERS = (Role.ADMIN, Role.ANALYST)

# Batches are checked and stored by at most two threads of a worker at once. Writes are
# serialised by the database anyway; a thread that holds the write lock while dozens of
# others parse bodies gets a sliver of the interpreter and holds the lock for seconds.
# Queued requests wait here without using the processor.
INTAKE_SLOTS = threading.BoundedSemaphore(2)


def _register(request: Request) -> Any:
    return request.app.state.register


def report_of(r: DailyReportIn) -> DailyReport:
    common: dict[str, Any] = {
        "task": r.task,
        "hazard_code": r.hazard_code,
        "hours": r.hours,
        "team_leader": r.team_leader,
        "position": point_from_geojson(r.position) if r.position else None,
        "notes": r.notes,
        "source": "api",
    }
    stoppages = [Stoppage(s.reason, s.hours) for s in r.stoppages]
    if r.area_by_method is not None or r.items is not None:
        items = [
            Find(
                i.eo_type,
                point_from_geojson(i.position),
                i.depth_cm,
                i.model,
                i.condition.value if i.condition else None,
                i.disposal.value if i.disposal else None,
            )
            for i in (r.items or [])
        ]
        out = DailyReport.detailed(
            str(r.uuid),
            r.team,
            r.date,
            area_by_method=r.area_by_method or {},
            items=items,
            stoppages=stoppages,
            **common,
        )
        # A total or a count sent beside the detail is kept as sent: the rules refuse it
        # when it disagrees with the detail, rather than silently preferring one.
        if r.m2_processed is not None:
            out.m2_processed = r.m2_processed
        if r.finds is not None:
            out.finds = r.finds
        return out
    return DailyReport(
        uuid=str(r.uuid),
        team=r.team,
        date=r.date,
        m2_processed=float(r.m2_processed or 0.0),
        finds=r.finds or 0,
        stoppages=stoppages,
        **common,
    )


def report_json(r: DailyReport, meta: dict[str, Any], *, personal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": r.uuid,
        "team": r.team,
        "task": r.task,
        "hazard_code": r.hazard_code,
        "date": r.date.isoformat(),
        "m2_processed": r.m2_processed,
        "area_by_method": {k.value: v for k, v in r.area_by_method.items()},
        "finds": r.finds,
        "items": [
            {
                "eo_type": f.eo_type.value,
                "position": {"type": "Point", "coordinates": [f.position.x, f.position.y]},
                "depth_cm": f.depth_cm,
                "model": f.model,
                "condition": f.condition,
                "disposal": f.disposal,
            }
            for f in r.items
        ],
        "hours": r.hours,
        "stoppages": [{"reason": s.reason.value, "hours": s.hours} for s in r.stoppages],
        "notes": r.notes,
        "review_state": meta["review_state"],
        "operator": meta["operator"],
        "version": meta["version"],
        "source": meta["source"],
    }
    if personal:
        out["team_leader"] = r.team_leader
    return out


def _indexed(problems: list[Problem], uuids: list[str], prefix: str) -> list[dict[str, Any]]:
    """Problems with ``reports.N.FIELD`` names (N the report's place in the body)."""
    where = {u: i for i, u in enumerate(uuids)}
    errors = problem_errors(problems)
    for e, p in zip(errors, problems, strict=True):
        i = where.get(str(p.record))
        if i is not None and p.field:
            first = p.field.split(", ")[0]
            e["field"] = f"{prefix}{i}.{first}" if prefix else first
            if ", " in p.field:
                e["fields"] = [f"{prefix}{i}.{f}" if prefix else f for f in p.field.split(", ")]
    return errors


@router.post("/daily-reports", summary="Send a batch of daily reports (idempotent by uuid; held for review)")
def post_daily_reports(request: Request, body: DailyReportsIn, user: Writer) -> JSONResponse:
    return _intake(request, body.reports, "reports.", user)


@router.post("/daily-report", summary="Send one daily report (idempotent by uuid; held for review)")
def post_daily_report(request: Request, body: DailyReportIn, user: Writer) -> JSONResponse:
    return _intake(request, [body], "", user)


def _intake(request: Request, batch: list[DailyReportIn], prefix: str, user: User) -> JSONResponse:
    with INTAKE_SLOTS:
        return _intake_now(request, batch, prefix, user)


def _intake_now(request: Request, batch: list[DailyReportIn], prefix: str, user: User) -> JSONResponse:
    reports = [report_of(r) for r in batch]
    uuids = [r.uuid for r in reports]

    def authorise(ctx: svc.IntakeContext) -> None:
        for r in ctx.reports:
            if r.team in ctx.team_operators:
                where = f"{prefix}{uuids.index(r.uuid)}.team" if prefix else "team"
                require_own_operator(user, ctx.team_operators[r.team], f"team {r.team}", field=where)

    try:
        done = svc.submit_reports(
            _register(request), reports, actor=user.name, source="api", authorise=authorise, user=user
        )
    except ConflictError as exc:
        errors = _indexed(exc.problems, uuids, prefix)
        detail = "; ".join(f"uuid {p.record}: {p.message}, differing field(s): {p.field}" for p in exc.problems)
        return problem_response(409, detail, request.url.path, errors)
    except ValidationError as exc:
        return problem_response(422, exc.summary, request.url.path, _indexed(exc.problems, uuids, prefix))
    body_out = {
        "received": done.received,
        "stored": done.stored,
        "resubmitted": done.resubmitted,
        "duplicates": done.duplicates,
        "review_state": ReviewState.SUBMITTED.value,
    }
    return JSONResponse(body_out, status_code=201 if done.stored or done.resubmitted else 200)


@router.get("/daily-reports", summary="Daily reports (newest first); approved ones for viewers")
def list_daily_reports(
    request: Request,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    team: Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=CODE_LENGTH)] = None,
    since: date | None = None,
    state: ReviewState | None = None,
) -> dict[str, Any]:
    user = principal.user
    reg = _register(request)
    if user.role in REVIEWERS:
        states = [state] if state else None
        reports, meta, total = svc.report_page(reg, limit=limit, offset=offset, team=team, since=since, states=states)
    elif user.role is Role.OPERATOR and state not in (None, ReviewState.APPROVED):
        reports, meta, total = svc.report_page(
            reg,
            limit=limit,
            offset=offset,
            team=team,
            since=since,
            states=[state] if state else None,
            operator=user.operator or "",  # an operator without an organisation sees none
        )
    else:
        if state not in (None, ReviewState.APPROVED):
            raise ApiProblem(403, "only approved reports are public", field="state")
        reports, meta, total = svc.report_page(
            reg, limit=limit, offset=offset, team=team, since=since, states=[ReviewState.APPROVED]
        )
    personal = user.sees_personal_data
    items = [report_json(r, m, personal=personal) for r, m in zip(reports, meta, strict=True)]
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/review-queue", summary="Records waiting for review (operators: their own organisation's)")
def review_queue(request: Request, user: Writer, state: ReviewState | None = None) -> dict[str, Any]:
    operator = None if user.role in REVIEWERS else (user.operator or "")
    items = svc.review_queue(_register(request), operator=operator, states=[state] if state else None)
    return {"total": len(items), "items": items}


@router.post(
    "/review/{kind}/{record:path}/{action}", summary="One review step: review, approve, return (with reason), resubmit"
)
def review_step(
    request: Request, kind: ReviewKind, record: str, action: ReviewAction, user: Writer, body: ReviewIn | None = None
) -> dict[str, Any]:
    def authorise(ctx: svc.ReviewContext) -> None:
        if ctx.action is ReviewAction.RESUBMIT:
            require_own_operator(user, ctx.operator, f"{kind.value} {record}", field="record")

    try:
        s = svc.review(
            _register(request),
            kind,
            record,
            action,
            actor=user.name,
            reviewer=user.role in REVIEWERS,
            reason=body.reason if body else None,
            authorise=authorise,
        )
    except svc.NotFound as exc:
        raise ApiProblem(404, exc.problems[0].message, field="record") from None
    except ValidationError as exc:
        p = exc.problems[0]
        if p.check in ("review_role", "review_four_eyes"):
            raise ApiProblem(403, p.message, field=p.field) from None
        raise
    return {
        "kind": s.kind.value,
        "record": s.record,
        "action": s.action.value,
        "from": s.from_state.value,
        "to": s.to_state.value,
        "actor": s.actor,
        "at": s.at.isoformat(),
        "reason": s.reason,
    }


@router.get("/review/{kind}/{record:path}", summary="A record's review history")
def review_history(request: Request, kind: ReviewKind, record: str, user: Writer) -> dict[str, Any]:
    return {"kind": kind.value, "record": record, "steps": svc.review_history(_register(request), kind, record)}


@router.post("/proposals/activities", status_code=202, summary="Propose an activity (applied when approved)")
def propose_activity(request: Request, body: ActivityIn, user: Writer) -> dict[str, Any]:
    activity = Activity(
        hazard_code=body.hazard_code,
        kind=body.kind,
        start_date=body.start_date,
        end_date=body.end_date,
        team=body.team,
        operator=body.operator or user.operator,
        area_processed_m2=body.area_processed_m2,
        clearance_depth_cm=body.clearance_depth_cm,
        released=[ReleasedPart(p.method, polygon_from_geojson(p.geometry)) for p in body.released],
        finds=[Find(f.eo_type, point_from_geojson(f.position), f.depth_cm, f.model, f.condition) for f in body.finds],
    )

    code = svc.propose_activity(_register(request), activity, actor=user.name, operator=user.operator, user=user)
    return {"proposal": code, "review_state": ReviewState.SUBMITTED.value}


@router.post("/proposals/hazard-areas/{code:path}", status_code=202, summary="Propose a change of a hazard area")
def propose_hazard_change(request: Request, code: str, body: HazardAreaPatch, user: Writer) -> dict[str, Any]:
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    if not changes:
        raise ApiProblem(422, "nothing to change", field="body")

    try:
        prop = svc.propose_hazard_change(
            _register(request), code, changes, body.version, actor=user.name, operator=user.operator, user=user
        )
    except svc.NotFound as exc:
        raise ApiProblem(404, exc.problems[0].message, field="code") from None
    return {"proposal": prop, "review_state": ReviewState.SUBMITTED.value}


# ---------------------------------------------------------------- casualties, risk education, QA


@router.get("/accidents", summary="Accidents (position, date, device, demining or not, activity)")
def list_accidents(request: Request, principal: Reader) -> dict[str, Any]:
    from landrelease.services.casualties import accidents

    items = [
        {
            "code": a.code,
            "position": {"type": "Point", "coordinates": [a.position.x, a.position.y]},
            "date": a.date.isoformat(),
            "device": a.device.value if a.device else None,
            "demining_accident": a.demining_accident,
            "activity": a.activity.value,
            "hazard_code": a.hazard_code,
        }
        for a in accidents(_register(request))
    ]
    return {"total": len(items), "items": items}


@router.get("/victims", summary="Victims (names and contacts for administrators and analysts only)")
def list_victims(request: Request, principal: Reader) -> dict[str, Any]:
    from landrelease.services.casualties import victims

    items = victims(_register(request), personal=principal.user.sees_personal_data)
    return {
        "total": len(items),
        "items": [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in i.items()} for i in items],
    }


@router.get("/eore", summary="Risk education: sessions and beneficiaries by sex and age band")
def eore_figures(
    request: Request, principal: Reader, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    from landrelease.services.eore import eore_summary, summary_json

    return summary_json(eore_summary(_register(request), since, until))


@router.get("/inspections", summary="Post-clearance inspections and their nonconformities")
def list_inspections(
    request: Request,
    principal: Reader,
    hazard_code: Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=CODE_LENGTH)] = None,
) -> dict[str, Any]:
    from landrelease.services.quality import inspections

    items = inspections(_register(request), hazard_code)
    for i in items:
        for k in ("inspected_on", "created_at"):
            i[k] = i[k].isoformat() if i.get(k) else None
    return {"total": len(items), "items": items}
