"""The REST API under ``/api``: the register's records, paged and filtered, and its writes.

Every write goes through ``register.unit_of_work(actor=user)`` (one transaction, audited)
after the role check; bodies are strict models, so a refusal names the field and nothing
is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from landrelease.api.auth import (
    DATA_EDITORS,
    WRITERS,
    Principal,
    current_principal,
    require,
    require_own_operator,
)
from landrelease.api.params import CODE_LENGTH, CODE_PATTERN, TEXT_PATTERN, is_code, parse_bbox
from landrelease.api.problems import ApiProblem
from landrelease.api.schemas import (
    ActivityIn,
    HazardAreaIn,
    HazardAreaPatch,
    TaskPatch,
    point_from_geojson,
    polygon_from_geojson,
)
from landrelease.domain.enums import ActivityKind, AssetType, EvidenceKind, HazardKind, HazardStatus, LandUse
from landrelease.domain.hazard import HazardArea
from landrelease.domain.user import Role, User
from landrelease.services import activity, records
from landrelease.services import features as fc
from landrelease.services.records import VersionConflict

router = APIRouter(prefix="/api", tags=["register"])
Reader = Annotated[Principal, Depends(current_principal)]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size (1–1000)")]
Offset = Annotated[int, Query(ge=0, le=10**9)]
BBoxText = Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat", max_length=400)]
CodeQ = Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=CODE_LENGTH)]
TextQ = Annotated[str | None, Query(pattern=TEXT_PATTERN)]


def _register(request: Request) -> Any:
    return request.app.state.register


def _page(request: Request, principal: Principal, collection: str, q: fc.Query) -> dict[str, Any]:
    spec = fc.COLLECTIONS[collection]
    state = request.app.state
    return fc.page(state.register, state.page_index, spec, q, personal=principal.user.sees_personal_data)


def _code(code: str, field: str = "code") -> str:
    if not is_code(code):
        raise ApiProblem(404, f"no record with {field} {code[:40]!r}", field=field)
    return code


# ---------------------------------------------------------------- hazard areas


@router.get("/hazard-areas", summary="Hazard areas (paged, filtered)")
def list_hazard_areas(
    request: Request,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
    bbox: BBoxText = None,
    status: Annotated[list[HazardStatus] | None, Query()] = None,
    operator: TextQ = None,
    land_use: Annotated[list[LandUse] | None, Query()] = None,
    region: TextQ = None,
    kind: HazardKind | None = None,
) -> dict[str, Any]:
    equals: dict[str, Any] = {}
    if status:
        equals["status"] = [s.value for s in status]
    if operator:
        equals["operator"] = operator
    if land_use:
        equals["land_use"] = [lu.value for lu in land_use]
    if region:
        equals["region"] = region
    if kind:
        equals["kind"] = kind.value
    return _page(
        request, principal, "hazard-areas", fc.Query(bbox=parse_bbox(bbox), limit=limit, offset=offset, equals=equals)
    )


def _hazard_feature(request: Request, principal: Principal, code: str) -> dict[str, Any]:
    found = fc.feature(_register(request), "hazard-areas", code, personal=principal.user.sees_personal_data)
    if found is None:
        raise ApiProblem(404, f"no hazard area {code!r}", field="code")
    return found


@router.post("/hazard-areas", status_code=201, summary="Create a hazard area (admin, analyst)")
def create_hazard_area(
    request: Request, body: HazardAreaIn, user: Annotated[User, Depends(require(*DATA_EDITORS))]
) -> dict[str, Any]:
    register = _register(request)
    area = HazardArea(
        code=body.code,
        geometry=polygon_from_geojson(body.geometry),
        kind=body.kind,
        name=body.name,
        eo_types=tuple(body.eo_types),
        land_use=body.land_use,
        machine_accessible=body.machine_accessible,
        slope_deg=body.slope_deg,
        vegetation=body.vegetation,
        clutter=body.clutter,
        density=body.density,
        status=body.status,
        operator=body.operator,
        region=body.region,
        priority_score=body.priority_score,
        beneficiaries=body.beneficiaries,
    )
    if not records.create_hazard_area(register, area, actor=user.name):
        raise ApiProblem(409, f"a hazard area with code {body.code!r} already exists", field="code")
    return _hazard_feature(request, current_principal(request), body.code)


@router.patch("/hazard-areas/{code:path}", summary="Change a hazard area (admin, analyst)")
def update_hazard_area(
    request: Request, code: str, body: HazardAreaPatch, user: Annotated[User, Depends(require(*DATA_EDITORS))]
) -> dict[str, Any]:
    _code(code)
    try:
        records.update_hazard_area(_register(request), code, body.changes(), body.version, actor=user.name)
    except VersionConflict as exc:
        raise ApiProblem(409, str(exc.problems[0].message), field="version") from None
    except records.ValidationError as exc:
        if exc.problems and exc.problems[0].field == "code":
            raise ApiProblem(404, f"no hazard area {code!r}", field="code") from None
        raise
    return _hazard_feature(request, current_principal(request), code)


@router.get("/hazard-areas/{code:path}/evidence", summary="Evidence about one hazard area")
def hazard_evidence(request: Request, code: str, principal: Reader) -> dict[str, Any]:
    _code(code)
    return _page(request, principal, "evidence", fc.Query(limit=1000, equals={"hazard_code": code}))


@router.get("/hazard-areas/{code:path}/activities", summary="Activities on one hazard area, with releases and finds")
def hazard_activities(request: Request, code: str, principal: Reader) -> dict[str, Any]:
    _code(code)
    out = []
    for act in records.activities(_register(request), code):
        out.append(
            {
                "code": act.code,
                "kind": act.kind.value,
                "team": act.team,
                "operator": act.operator,
                "start_date": act.start_date,
                "end_date": act.end_date,
                "status": act.status,
                "area_processed_m2": act.area_processed_m2,
                "clearance_depth_cm": act.clearance_depth_cm,
                "released": [{"method": p.method.value} for p in act.released],
                "finds": [{"eo_type": f.eo_type.value, "depth_cm": f.depth_cm} for f in act.finds],
            }
        )
    return {"items": out, "total": len(out)}


@router.get("/hazard-areas/{code:path}/forecast", summary="The forecast for one hazard area, where computed")
def hazard_forecast(request: Request, code: str, principal: Reader) -> dict[str, Any]:
    feature = _hazard_feature(request, principal, _code(code))
    forecast = feature["properties"].get("forecast")
    if forecast is None:
        return {"code": code, "available": False, "message": "not yet computed"}
    return {"code": code, "available": True, "forecast": forecast}


# Registered after the sub-resources above: a code may hold "/" (``HA-000149/1``), so
# ``/hazard-areas/{code:path}`` would otherwise also match ``…/evidence``. New codes have no
# "/" and derived ones end in a number or method, never in a sub-resource's name.
@router.get("/hazard-areas/{code:path}", summary="One hazard area (any status, including superseded)")
def get_hazard_area(request: Request, code: str, principal: Reader) -> dict[str, Any]:
    return _hazard_feature(request, principal, _code(code))


# ---------------------------------------------------------------- other records


@router.get("/evidence", summary="Evidence (paged)")
def list_evidence(
    request: Request,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
    bbox: BBoxText = None,
    hazard: CodeQ = None,
    kind: EvidenceKind | None = None,
) -> dict[str, Any]:
    equals: dict[str, Any] = {}
    if hazard:
        equals["hazard_code"] = hazard
    if kind:
        equals["kind"] = kind.value
    return _page(
        request, principal, "evidence", fc.Query(bbox=parse_bbox(bbox), limit=limit, offset=offset, equals=equals)
    )


@router.get("/activities", summary="Activities (paged)")
def list_activities(
    request: Request,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
    bbox: BBoxText = None,
    hazard: CodeQ = None,
    operator: TextQ = None,
    kind: ActivityKind | None = None,
) -> dict[str, Any]:
    equals: dict[str, Any] = {}
    if hazard:
        equals["hazard_code"] = hazard
    if operator:
        equals["operator"] = operator
    if kind:
        equals["kind"] = kind.value
    return _page(
        request, principal, "activities", fc.Query(bbox=parse_bbox(bbox), limit=limit, offset=offset, equals=equals)
    )


@router.get("/settlements", summary="Settlements (paged)")
def list_settlements(
    request: Request,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
    bbox: BBoxText = None,
    region: TextQ = None,
) -> dict[str, Any]:
    equals = {"region": region} if region else {}
    return _page(
        request, principal, "settlements", fc.Query(bbox=parse_bbox(bbox), limit=limit, offset=offset, equals=equals)
    )


@router.get("/teams", summary="Teams")
def list_teams(
    request: Request, principal: Reader, operator: TextQ = None, type: AssetType | None = None
) -> dict[str, Any]:
    items = records.teams(_register(request), operator=operator, type_=type.value if type else None)
    return {"items": items, "total": len(items)}


@router.get("/tasks", summary="Planned tasks (paged)")
def list_tasks(
    request: Request,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
    hazard: CodeQ = None,
    team: CodeQ = None,
    operator: TextQ = None,
) -> dict[str, Any]:
    items, total = records.tasks(
        _register(request), limit=limit, offset=offset, hazard=hazard, team=team, operator=operator
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.patch("/tasks/{code:path}", summary="Re-plan a task (admin, analyst; an operator for its own teams)")
def update_task(
    request: Request, code: str, body: TaskPatch, user: Annotated[User, Depends(require(*WRITERS))]
) -> dict[str, Any]:
    _code(code)
    changes: dict[str, Any] = {}
    if "team" in body.model_fields_set:
        changes["team_code"] = body.team
    for name in ("planned_start", "planned_end"):
        if name in body.model_fields_set:
            changes[name] = getattr(body, name)

    def authorise(ctx: activity.TaskContext) -> None:
        if not ctx.exists:
            raise ApiProblem(404, f"no task {code!r}", field="code")
        require_own_operator(user, ctx.current_operator, f"task {code}", field="team")
        if ctx.new_team:
            if not ctx.new_team_exists:
                raise ApiProblem(422, f"no team {ctx.new_team!r}", field="team")
            require_own_operator(user, ctx.new_operator, f"team {ctx.new_team}", field="team")

    stored = activity.update_task(_register(request), code, changes, actor=user.name, authorise=authorise)
    return {
        "code": stored["code"],
        "team": stored["team_code"],
        "planned_start": stored["planned_start"],
        "planned_end": stored["planned_end"],
        "method": stored["method"],
        "area_m2": stored["area_m2"],
    }


@router.post(
    "/activities",
    status_code=201,
    response_model=None,
    summary="Record an activity and the land it released (admin, analyst); an operator's own work is held "
    "for review (202, applied when approved)",
)
def record_activity(
    request: Request, body: ActivityIn, user: Annotated[User, Depends(require(*WRITERS))]
) -> dict[str, Any] | JSONResponse:
    from landrelease.domain.activity import Activity, Find, ReleasedPart

    operator = body.operator if body.operator is not None else (user.operator if user.role is Role.OPERATOR else None)
    require_own_operator(user, operator, "this activity", field="operator")
    activity_ = Activity(
        hazard_code=body.hazard_code,
        kind=body.kind,
        start_date=body.start_date,
        end_date=body.end_date,
        team=body.team,
        operator=operator,
        area_processed_m2=body.area_processed_m2,
        clearance_depth_cm=body.clearance_depth_cm,
        code=body.code,
        released=[ReleasedPart(p.method, polygon_from_geojson(p.geometry)) for p in body.released],
        finds=[Find(f.eo_type, point_from_geojson(f.position), f.depth_cm, f.model, f.condition) for f in body.finds],
    )
    if user.role is Role.OPERATOR:
        # An operator's activity waits for the authority's review; it is applied when approved.
        from landrelease.services.field_reports import ProposalContext, propose_activity

        def authorise_proposal(ctx: ProposalContext) -> None:
            if body.team:
                if not ctx.team_exists:
                    raise ApiProblem(422, f"no team {body.team!r}", field="team")
                require_own_operator(user, ctx.team_operator, f"team {body.team}", field="team")

        code = propose_activity(
            _register(request), activity_, actor=user.name, operator=operator, authorise=authorise_proposal, user=user
        )
        return JSONResponse({"proposal": code, "review_state": "submitted"}, status_code=202)

    def authorise(ctx: activity.ActivityContext) -> None:
        if body.team:
            if not ctx.team_exists:
                raise ApiProblem(422, f"no team {body.team!r}", field="team")
            require_own_operator(user, ctx.team_operator, f"team {body.team}", field="team")

    done = activity.record_activity(_register(request), activity_, actor=user.name, authorise=authorise, user=user)
    return {
        "code": done.activity_code,
        "hazard_code": done.hazard_code,
        "status": done.status.value,
        "released": [{"method": m, "area_m2": a} for m, a in done.released],
        "remainder_code": done.remainder_code,
        "finds": done.finds,
    }


# Daily reports: landrelease.api.field (intake, review).
