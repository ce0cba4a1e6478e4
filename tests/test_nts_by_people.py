"""NTS by people (IMAS 08.10): a fleet of manual (multi-task) teams does its own NTS, so it
cancels SHA land, in the plan and in the forecast alike; storage on SQLite and PostGIS."""

from __future__ import annotations

from datetime import date

import numpy as np
from shapely.geometry import Point

from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, HazardKind
from landrelease.domain.hazard import HazardArea
from landrelease.model.productivity import NTS_PRIORS
from landrelease.planning.eligibility import exclusions, nts_assets
from landrelease.services.forecast import forecast_register
from landrelease.services.plan import plan_register
from landrelease.storage.repository import Register
from tests.test_release_rule import square


def _register(register: Register, teams: list[Team]) -> None:
    areas = [
        HazardArea(
            code=f"HA-{i}",
            geometry=square(150.0, 47.0 + 0.01 * i, 39.9),
            region="North",
            kind=HazardKind.SHA if i % 3 else HazardKind.CHA,
        )
        for i in range(18)
    ]
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(areas)
        uow.add_teams(teams)


def test_the_eligibility_matrix_lets_manual_teams_do_nts_where_no_survey_team_is() -> None:
    area = HazardArea(code="A", geometry=square(100.0, 47.0, 39.9))
    ok = {t for t, why in exclusions(area, ActivityKind.NTS).items() if why is None}
    assert ok == {AssetType.DRONE_SURVEY, AssetType.MANUAL}
    assert nts_assets([AssetType.MANUAL]) == (AssetType.MANUAL,)
    assert nts_assets([AssetType.MANUAL, AssetType.DRONE_SURVEY]) == (AssetType.DRONE_SURVEY,)
    assert nts_assets([AssetType.MDD, AssetType.MECHANICAL]) == ()
    assert "assumption" in NTS_PRIORS[AssetType.MANUAL].source


def test_manual_teams_only_cancel_sha_land_in_plan_and_forecast(register: Register) -> None:
    _register(
        register,
        [
            Team("M-1", AssetType.MANUAL, Point(39.9, 47.0), size=10),
            Team("M-2", AssetType.MANUAL, Point(39.9, 47.05), size=10),
        ],
    )
    plan = plan_register(register, start_date=date(2026, 11, 1), store=True)
    by_task = plan.solution.by_task()
    nts = [t for t, m in plan.work.meta.items() if m.method is ActivityKind.NTS]
    assert nts, "the plan gives the SHAs NTS"
    done = [t for t in nts if t in by_task]
    assert done and {by_task[t].team for t in done} <= {"M-1", "M-2"}
    cancelled_plan = sum(plan.work.meta[t].released_m2 for t in done)
    assert cancelled_plan > 0
    # at people's NTS walking rate: the task's days are its area over the team's NTS rate
    t = done[0]
    m = plan.work.meta[t]
    area = plan.work.area_m2[m.hazard_code] / m.cells
    days = by_task[t].end_day - by_task[t].start_day
    nts_rate_cal = 10 * NTS_PRIORS[AssetType.MANUAL].median_m2_per_day * 220 / 365
    assert abs(days - area / nts_rate_cal) <= 1e-6 * max(days, 1)

    result = forecast_register(register, runs=100, horizon_years=5, start=date(2026, 11, 1))
    cancelled = result.monthly_by_method[:, :, 0].sum(axis=1)
    assert float(np.mean(cancelled)) > 0
    assert any("manual teams do the NTS" in n for n in result.notes)
