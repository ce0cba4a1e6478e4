"""The release split learns from the register's recorded release (Dirichlet shrinkage to the
published split), and the forecast service uses it; storage tests on SQLite and PostGIS."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, HazardKind, ReleaseMethod
from landrelease.domain.hazard import HazardArea
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast
from landrelease.planning.release_model import (
    GLOBAL_2022_SPLIT,
    RecordedRelease,
    expected_split,
    learn_split,
    posterior_mixes,
    shrink_split,
)
from landrelease.services.forecast import (
    forecast_register,
    register_capacity,
    register_learned_split,
    register_portfolio,
)
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


def _band_portfolio() -> tuple[Portfolio, Capacity]:
    rng = np.random.default_rng(3)
    n = 120
    pf = Portfolio.from_arrays(rng.lognormal(np.log(40_000.0), 0.8, n), sha=rng.random(n) < 0.7, region=["r"] * n)
    cap = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 60.0, sigma=0.05),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 1.0, sigma=0.05),
        }
    )
    return pf, cap


def _draw_forecast(pf: Portfolio, cap: Capacity, learned, seed: int = 5):  # type: ignore[no-untyped-def]
    args = (pf.area_m2, [str(r) for r in pf.region], pf.p_any, pf.sha, pf.dense_site)
    draws = posterior_mixes(learned, 200, np.random.default_rng(seed), *args)
    mix = release_model_for(pf, None, learned)
    return forecast(pf, cap, mix=mix, mix_draws=draws, horizon_years=2, runs=400, seed=seed), mix


def test_the_band_is_wider_with_little_recorded_release_and_the_p50_holds() -> None:
    """The split drawn per run from its posterior: two released areas leave the split nearly as
    uncertain as the prior (a wide band); two thousand pin it (the band of the one split). The
    P50 is the one split's, in expectation."""
    pf, cap = _band_portfolio()
    split = {ReleaseMethod.CANCELLED: 3e4, ReleaseMethod.REDUCED: 2e4, ReleaseMethod.CLEARED: 5e4}
    few = learn_split([RecordedRelease("r", HazardKind.SHA, split)] * 2)
    many = learn_split([RecordedRelease("r", HazardKind.SHA, split)] * 2000)

    def width(r) -> float:  # type: ignore[no-untyped-def]
        q = r.released_at_years(1)
        return float(q[2] - q[0])

    f_few, mix_few = _draw_forecast(pf, cap, few)
    f_many, mix_many = _draw_forecast(pf, cap, many)
    one_few = forecast(pf, cap, mix=mix_few, horizon_years=2, runs=400, seed=5)
    one_many = forecast(pf, cap, mix=mix_many, horizon_years=2, runs=400, seed=5)
    assert width(f_few) > 1.5 * width(f_many)
    assert width(f_few) > 1.5 * width(one_few)  # one split for all runs: too narrow
    assert width(f_many) == pytest.approx(width(one_many), rel=0.25)
    # P50 unchanged in expectation: averaged over seeds, within 3 % of the one split's
    p50_draw = np.mean([_draw_forecast(pf, cap, few, s)[0].released_at_years(1)[1] for s in range(6)])
    p50_one = np.mean(
        [forecast(pf, cap, mix=mix_few, horizon_years=2, runs=400, seed=s).released_at_years(1)[1] for s in range(6)]
    )
    assert p50_draw == pytest.approx(p50_one, rel=0.03)


def test_the_forecast_service_draws_the_split_per_run_seeded(register: Register) -> None:
    """The register's forecast carries the learned split's uncertainty (nothing recorded: the
    prior's 20 areas' worth), reproducibly; a scenario that fixes the split draws nothing."""
    _seed(register, 30)
    a = forecast_register(register, runs=200, horizon_years=2, start=date(2026, 11, 1))
    b = forecast_register(register, runs=200, horizon_years=2, start=date(2026, 11, 1))
    assert np.array_equal(a.cumulative_m2, b.cumulative_m2)
    assert any("draws its split from the Dirichlet posterior (200 draws)" in n for n in a.notes)
    portfolio, _ = register_portfolio(register)
    fleet = register_capacity(register)
    one = forecast(portfolio, fleet, mix=a.mix, horizon_years=2, runs=200, seed=a.seed, start=date(2026, 11, 1))
    qa, q1 = a.released_at_years(1), one.released_at_years(1)
    assert qa[2] - qa[0] > q1[2] - q1[0]
