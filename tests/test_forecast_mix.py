"""The land-release model: its outcome probabilities, its expected stages (the planner's) and
what the forecast samples, and the fallback probability of an unassessed area."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landrelease.domain.enums import AssetType, HazardKind, ReleaseMethod
from landrelease.model.contamination import ContaminationParams
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast
from landrelease.planning.release_model import (
    CHA_CANCEL_RATIO,
    CHA_CANCEL_RATIO_PUBLISHED_CASE,
    GLOBAL_2022_SPLIT,
    ReleaseModel,
    calibrate_mix,
    expected_split,
    expected_stages,
    outcome_probabilities,
    unassessed_p_any,
)


def test_global_split_figures() -> None:
    assert abs(sum(GLOBAL_2022_SPLIT.values()) - 1) < 1e-12
    assert round(GLOBAL_2022_SPLIT[ReleaseMethod.CLEARED], 2) == 0.44


def test_calibrated_mix_reproduces_the_global_split_on_a_typical_portfolio() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    area = rng.lognormal(11, 1, n)
    sha = rng.random(n) < 0.85
    p = np.where(sha, 0.04, 0.7)
    dense = rng.random(n) < 0.03
    mix = calibrate_mix(area, p, sha, dense)
    split = expected_split(area, p, sha, dense, mix)
    for m, v in GLOBAL_2022_SPLIT.items():
        assert abs(split[m] - v) < 1e-9


def test_a_cha_is_cancelled_seldom_and_only_where_clean() -> None:
    """A CHA rests on direct evidence: where it holds EO it is never cancelled; where clean, NTS
    cancels it with a quarter of a clean SHA's chance (CHA_CANCEL_RATIO, an assumption)."""
    assert CHA_CANCEL_RATIO == 0.0  # off by default (see its docstring)
    mix = ReleaseModel(cancel_clean=0.8, reduce_clean=0.1, cha_cancel_ratio=CHA_CANCEL_RATIO_PUBLISHED_CASE)
    p = np.array([0.0, 0.0, 1.0, 1.0])
    sha = np.array([True, False, True, False])
    probs = outcome_probabilities(p, sha, np.zeros(4, bool), mix)[ReleaseMethod.CANCELLED]
    assert probs.tolist() == pytest.approx([0.8, 0.8 * CHA_CANCEL_RATIO_PUBLISHED_CASE, 0.0, 0.0])
    assert CHA_CANCEL_RATIO_PUBLISHED_CASE < 1
    default = outcome_probabilities(p, sha, np.zeros(4, bool), replace(mix, cha_cancel_ratio=CHA_CANCEL_RATIO))
    assert default[ReleaseMethod.CANCELLED].tolist() == pytest.approx([0.8, 0.0, 0.0, 0.0])


def test_an_all_cha_programme_cancels_some_land_in_plan_and_forecast() -> None:
    """Zimbabwe's recorded land is all CHA and its programme cancels land by NTS (Landmine
    Monitor 2017: 6.3 km² in 2016): the release model cancels CHA land too, NTS re-surveys the
    CHAs, and the forecast samples what the plan expects."""
    n = 40
    area = np.full(n, 50_000.0)
    sha = np.zeros(n, bool)
    p = np.full(n, 0.5)
    base = ReleaseModel(0.0, 0.0, cha_cancel_ratio=CHA_CANCEL_RATIO_PUBLISHED_CASE)
    mix = calibrate_mix(area, p, sha, np.zeros(n, bool), base=base)
    st_ = expected_stages(area, p, sha, np.zeros(n, bool), mix)
    assert st_.cancelled_m2.sum() > 0.05 * area.sum()
    assert np.all(st_.nts_m2 == area)  # every CHA it may cancel is surveyed
    pf = Portfolio.from_arrays(area, sha=sha, p_any=p)
    cap = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 400.0),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 2.0),
        }
    )
    res = forecast(pf, cap, mix=mix, horizon_years=10, runs=300, seed=1)
    cancelled = res.monthly_by_method[:, :, 0].sum(axis=1).mean()
    assert cancelled == pytest.approx(st_.cancelled_m2.sum(), rel=0.1)
    assert res.expected_split[ReleaseMethod.CANCELLED] > 0.05


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1, 1e7), st.floats(0, 1), st.booleans(), st.booleans()), min_size=1, max_size=30),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_mix_probabilities_are_probabilities(rows, cancelled, reduced) -> None:
    area, p, sha, dense = (np.array(c) for c in zip(*rows, strict=True))
    total = cancelled + reduced
    target = {ReleaseMethod.CANCELLED: cancelled / max(total, 1), ReleaseMethod.REDUCED: reduced / max(total, 1)}
    target[ReleaseMethod.CLEARED] = 1 - sum(target.values())
    mix = calibrate_mix(area, p, sha, dense, target)
    assert 0 <= mix.cancel_clean <= 1 and 0 <= mix.reduce_clean <= 1 - mix.cancel_clean + 1e-12
    probs = outcome_probabilities(p, sha, dense, mix)
    stacked = np.stack(list(probs.values()))
    assert np.all(stacked >= -1e-12) and np.all(stacked <= 1 + 1e-12)
    np.testing.assert_allclose(stacked.sum(axis=0), 1.0)
    split = expected_split(area, p, sha, dense, mix)
    assert all(-1e-9 <= v <= 1 + 1e-9 for v in split.values())
    # the cancelled share never overshoots the target
    assert split[ReleaseMethod.CANCELLED] <= target[ReleaseMethod.CANCELLED] + 1e-9


def test_an_unassessed_area_takes_the_contamination_models_prior() -> None:
    prior = ContaminationParams()
    p = unassessed_p_any([HazardKind.SHA, HazardKind.CHA])
    assert p.tolist() == [prior.sha_prior, prior.cha_prior]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1, 1e7), st.floats(0, 1), st.booleans(), st.booleans()), min_size=1, max_size=30),
    st.booleans(),
)
def test_expected_stages_are_the_split_the_forecast_samples(rows, survey) -> None:
    """The planner's expected stages add up to the area and to the release model's expected split."""
    area, p, sha, dense = (np.array(c) for c in zip(*rows, strict=True))
    mix = calibrate_mix(area, p, sha, dense)
    st_ = expected_stages(area, p, sha, dense, mix, survey=survey)
    np.testing.assert_allclose(st_.released_m2, area, rtol=1e-9)
    split = expected_split(area, p, sha, dense, mix if survey else replace(mix, cancel_clean=0.0))
    total = area.sum()
    assert abs(st_.cancelled_m2.sum() / total - split[ReleaseMethod.CANCELLED]) < 1e-9
    assert abs(st_.reduced_m2.sum() / total - split[ReleaseMethod.REDUCED]) < 1e-9
    assert np.all(st_.ts_m2 <= area * mix.ts_search_fraction + 1e-9)
    assert np.all(st_.nts_m2 == (np.where(mix.surveyed(sha), area, 0.0) if survey else 0))  # what it may cancel
    assert np.all(st_.cancelled_m2[~sha] <= CHA_CANCEL_RATIO * area[~sha] * (1 - p[~sha]) + 1e-9)


def test_the_forecast_samples_the_expected_stages() -> None:
    """Averaged over many runs, what the forecast releases by each method is the expected split."""
    rng = np.random.default_rng(3)
    n = 400
    area = rng.lognormal(10, 0.8, n)
    sha = rng.random(n) < 0.8
    p = np.where(sha, 0.05, 0.6)
    pf = Portfolio.from_arrays(area, sha=sha, p_any=p)
    cap = Capacity(
        {a: AssetCapacity.from_rate(a, u) for a, u in ((AssetType.MANUAL, 5000), (AssetType.DRONE_SURVEY, 50))}
    )
    fc = forecast(pf, cap, runs=400, seed=1, horizon_years=30, start=date(2027, 1, 1))
    released = fc.monthly_by_method.sum(axis=1).mean(axis=0)
    stages = expected_stages(area, p, sha, pf.dense_site, fc.mix)
    expected = [stages.cancelled_m2.sum(), stages.reduced_m2.sum(), stages.clearance_m2.sum()]
    np.testing.assert_allclose(released, expected, rtol=0.03)


def test_calibrate_mix_against_a_case_solved_by_hand() -> None:
    """Independent of :func:`expected_split`: two areas of 100 m² each, solved on paper.

    Area 1 is an SHA known clean (p_any 0); area 2 a CHA known mined (p_any 1, not a dense site).
    Target: 30 % cancelled, 20 % reduced, 50 % cleared. Defaults: reduce_mined 0.6, mean reduced
    share 0.8 of clean land and 0.5 of mined land.
      cancelled: 100·c / 200 = 0.30               → c = 0.6
      reduced:   (100·t·0.8 + 100·0.6·0.5) / 200 = 0.20 → 80·t = 10 → t = 0.125
    """
    from landrelease.domain.enums import ReleaseMethod as M

    target = {M.CANCELLED: 0.3, M.REDUCED: 0.2, M.CLEARED: 0.5}
    mix = calibrate_mix(np.array([100.0, 100.0]), np.array([0.0, 1.0]), np.array([True, False]), np.zeros(2), target)
    assert mix.cancel_clean == pytest.approx(0.6, abs=1e-12)
    assert mix.reduce_clean == pytest.approx(0.125, abs=1e-12)
    # an unreachable target is clipped, not extrapolated: only half the land can be cancelled
    greedy = {M.CANCELLED: 0.9, M.REDUCED: 0.0, M.CLEARED: 0.1}
    mix = calibrate_mix(np.array([100.0, 100.0]), np.array([0.0, 1.0]), np.array([True, False]), np.zeros(2), greedy)
    assert mix.cancel_clean == 1.0 and mix.reduce_clean == 0.0


def test_calibrated_to_a_published_split_of_another_programme() -> None:
    """Cambodia 2015 (Landmine Monitor 2016): 147 km² released = 70.38 cancelled, 30.11 reduced,
    46.47 cleared. On an all-SHA portfolio of known-clean land with equal areas the split is
    c and 0.8·t by hand, so the mix must be c = 70.38/147 and t = (30.11/147)/0.8 — numbers
    taken from the publication, not from our own split function."""
    from landrelease.domain.enums import ReleaseMethod as M

    total = 70.38 + 30.11 + 46.47
    target = {M.CANCELLED: 70.38 / total, M.REDUCED: 30.11 / total, M.CLEARED: 46.47 / total}
    n = 50
    mix = calibrate_mix(np.full(n, 2.0), np.zeros(n), np.ones(n, bool), np.zeros(n, bool), target)
    assert mix.cancel_clean == pytest.approx(70.38 / 146.96, rel=1e-9)
    assert mix.reduce_clean == pytest.approx(30.11 / 146.96 / 0.8, rel=1e-9)
