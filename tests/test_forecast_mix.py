"""The land-release model: its outcome probabilities, its expected stages (the planner's) and
what the forecast samples, and the fallback probability of an unassessed area."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from landrelease.domain.enums import AssetType, HazardKind, ReleaseMethod
from landrelease.model.contamination import ContaminationParams
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast
from landrelease.planning.release_model import (
    GLOBAL_2022_SPLIT,
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


def test_nothing_with_direct_evidence_is_cancelled() -> None:
    area = np.ones(10)
    mix = calibrate_mix(area, np.full(10, 0.7), np.zeros(10, bool), np.zeros(10, bool))
    probs = outcome_probabilities(np.full(10, 0.7), np.zeros(10, bool), np.zeros(10, bool), mix)
    assert np.all(probs[ReleaseMethod.CANCELLED] == 0)


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
    assert np.all(st_.nts_m2 == (area * sha if survey else 0))
    assert np.all(st_.cancelled_m2[~sha] == 0)


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
