"""Figures for the dashboards (``/api/stats``): the dashboards use case, formatted as JSON.

Each answer says ``available: false`` with "not yet computed" when the engine that
produces it (release records, the planner, the forecast) has not written anything yet.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from landrelease.api.auth import Principal, current_principal
from landrelease.services import dashboards, summary

router = APIRouter(prefix="/api/stats", tags=["dashboards"])
Reader = Annotated[Principal, Depends(current_principal)]
NOT_YET = dashboards.NOT_YET


@router.get("/released", summary="Released km² by month and method")
def released(request: Request, _: Reader) -> dict[str, Any]:
    return dashboards.released_by_month(request.app.state.register)


@router.get("/burndown", summary="Remaining open km²: record so far and forecast band")
def burn_down(request: Request, _: Reader) -> dict[str, Any]:
    return dashboards.burndown(request.app.state.register)


@router.get("/utilisation", summary="Team utilisation by month (planned)")
def team_utilisation(request: Request, _: Reader) -> dict[str, Any]:
    return dashboards.utilisation(request.app.state.register)


@router.get("/scenarios", summary="Scenario comparison (forecast)")
def scenario_comparison(request: Request, _: Reader) -> dict[str, Any]:
    return dashboards.scenarios(request.app.state.register)


@router.get("/readiness", summary="When settlements can come back (from the stored forecast)")
def readiness(request: Request, _: Reader) -> dict[str, Any]:
    """Each settlement: ready, waiting (with the ready month P10/P50/P90) or unknown; cached per data version."""
    state = request.app.state
    version = summary.data_version(state.register)
    cached = getattr(state, "readiness", None)
    if cached is None or cached[0] != version:
        cached = (version, dashboards.settlement_readiness(state.register))
        state.readiness = cached
    return dict(cached[1])


@router.get("/returns", summary="People coming home: joint readiness, consolidations, housing (figures only)")
def returns_overview(request: Request, _: Reader) -> dict[str, Any]:
    return dashboards.returns_overview(request.app.state.register)


@router.get("/housing", summary="The housing allocation (household names for administrators and analysts only)")
def housing_allocation(request: Request, principal: Reader) -> dict[str, Any]:
    from landrelease.services.housing import ORDER_RULE, current_allocation

    role = principal.user.role.value if principal.user.sees_personal_data else None
    rows = current_allocation(request.app.state.register, role=role)
    return {"order": ORDER_RULE, "households": rows}


@router.get("/summary", summary="What the register holds")
def inventory(request: Request, _: Reader) -> dict[str, Any]:
    return summary.inventory(request.app.state.register)


@router.get("/plan", summary="The plan by phase (quarters of planned start)")
def plan(request: Request, _: Reader) -> dict[str, Any]:
    return dashboards.plan_phases(request.app.state.register)
