"""The release split learns from the register's recorded release (Dirichlet shrinkage to the
published split), and the forecast service uses it; storage tests on SQLite and PostGIS."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, HazardKind, ReleaseMethod
from landrelease.domain.hazard import HazardArea
from landrelease.planning.release_model import (
    GLOBAL_2022_SPLIT,
    RecordedRelease,
    expected_split,
    learn_split,
    shrink_split,
)
from landrelease.services.forecast import forecast_register, register_learned_split, register_portfolio
from landrelease.services.portfolio import release_model_for
from landrelease.storage.repository import Register
from tests.test_release_rule import square

M = list(ReleaseMethod)
shares = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=3, max_size=3).filter(lambda v: sum(v) > 1e-3)


@settings(max_examples=100, deadline=None)
@given(shares, shares, st.floats(0, 1e4))
def test_shrunk_split_lies_between_prior_and_data(prior_v, obs_v, n) -> None:
    prior = dict(zip(M, prior_v, strict=True))
    obs = dict(zip(M, obs_v, strict=True))
    post = shrink_split(prior, obs, n)
    assert sum(post.values()) == pytest.approx(1.0)
    p = [v / sum(prior_v) for v in prior_v]
    o = [v / sum(obs_v) for v in obs_v]
    for m, pv, ov in zip(M, p, o, strict=True):
        assert min(pv, ov) - 1e-9 <= post[m] <= max(pv, ov) + 1e-9


@settings(max_examples=60, deadline=None)
@given(shares)
def test_no_data_gives_the_prior_and_much_data_the_datas_split(obs_v) -> None:
    obs = dict(zip(M, obs_v, strict=True))
    assert learn_split([]).overall == pytest.approx(GLOBAL_2022_SPLIT)
    assert shrink_split(GLOBAL_2022_SPLIT, obs, 0) == pytest.approx(GLOBAL_2022_SPLIT)
    many = [RecordedRelease("r", HazardKind.SHA, obs)] * 100_000
    learned = learn_split(many)
    for m, v in zip(M, obs_v, strict=True):
        assert learned.overall[m] == pytest.approx(v / sum(obs_v), abs=1e-3)
        assert learned.for_area("r", HazardKind.SHA)[m] == pytest.approx(v / sum(obs_v), abs=1e-3)


def test_groups_learn_apart_and_a_group_without_data_takes_the_overall_split() -> None:
    north = [RecordedRelease("north", HazardKind.SHA, {ReleaseMethod.CANCELLED: 5e4})] * 200
    south = [RecordedRelease("south", HazardKind.CHA, {ReleaseMethod.CLEARED: 5e3})] * 200
    learned = learn_split(north + south)
    assert learned.for_area("north", HazardKind.SHA)[ReleaseMethod.CANCELLED] > 0.9
    assert learned.for_area("south", HazardKind.CHA)[ReleaseMethod.CLEARED] > 0.9
    assert learned.for_area("east", HazardKind.SHA) == learned.overall
    empty = learn_split([RecordedRelease("x", HazardKind.SHA, {ReleaseMethod.CLEARED: 0.0})])
    assert empty.n_areas == 0 and empty.overall == pytest.approx(GLOBAL_2022_SPLIT)


def _seed(register: Register, n: int) -> None:
    areas = [
        HazardArea(code=f"HA-{i}", geometry=square(200.0, 47.0 + 0.01 * i, 39.9), region="North") for i in range(n)
    ]
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(areas)
        uow.add_teams(
            [
                Team("NTS-1", AssetType.DRONE_SURVEY, Point(39.9, 47.0)),
                Team("M-1", AssetType.MANUAL, Point(39.9, 47.0), size=20),
            ]
        )


def test_the_forecast_learns_the_registers_recorded_split(register: Register) -> None:
    """Ten SHAs cancelled in full by NTS: the learned split leans to cancellation, the forecast
    says so, and its release model cancels more than the published prior's."""
    _seed(register, 30)
    before = register_learned_split(register)
    assert before.n_areas == 0 and before.overall == pytest.approx(GLOBAL_2022_SPLIT)
    for i in range(10):
        area = register.hazard_area(f"HA-{i}")
        assert area is not None
        with register.unit_of_work() as uow:
            uow.record_activity(
                Activity(
                    f"HA-{i}",
                    ActivityKind.NTS,
                    date(2026, 3, 1),
                    date(2026, 3, 2),
                    released=[ReleasedPart(ReleaseMethod.CANCELLED, area.geometry)],
                ),
                today=date(2026, 11, 1),
            )
    learned = register_learned_split(register)
    assert learned.n_areas == 10
    expected = (20 * GLOBAL_2022_SPLIT[ReleaseMethod.CANCELLED] + 10 * 1.0) / 30
    assert learned.overall[ReleaseMethod.CANCELLED] == pytest.approx(expected, rel=1e-6)
    assert learned.for_area("North", HazardKind.SHA)[ReleaseMethod.CANCELLED] > expected
    portfolio, _ = register_portfolio(register)
    assert len(portfolio) == 20
    prior_mix = release_model_for(portfolio)
    learned_mix = release_model_for(portfolio, None, learned)
    a = (portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site)
    assert (
        expected_split(*a, learned_mix)[ReleaseMethod.CANCELLED]
        > expected_split(*a, prior_mix)[ReleaseMethod.CANCELLED]
    )
    result = forecast_register(register, runs=50, horizon_years=2, start=date(2026, 11, 1))
    assert result.mix == learned_mix
    assert any("learned from 10 hazard area(s)" in n for n in result.notes)
    assert not any(n.startswith("release mix calibrated to the 2022 global split") for n in result.notes)
