"""The land-release mix and the default probability of contamination."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from landrelease.domain.enums import EvidenceKind, HazardKind, ReleaseMethod
from landrelease.domain.evidence import Evidence
from landrelease.planning.release_model import (
    GLOBAL_2022_SPLIT,
    SHA_BASE_P_ANY,
    calibrate_mix,
    default_p_any,
    expected_split,
    outcome_probabilities,
)

P = Point(0, 0)


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


def _ev(kind: EvidenceKind, **kw) -> Evidence:
    return Evidence(kind=kind, geometry=P, hazard_code="A", **kw)


def test_default_p_any_rule() -> None:
    def p(*evidence: Evidence, kind: HazardKind = HazardKind.SHA, **kw) -> float:
        return float(default_p_any([kind], ["A"], evidence, **kw)[0])

    assert p() == SHA_BASE_P_ANY
    assert p(kind=HazardKind.CHA) == 0.7
    assert p(_ev(EvidenceKind.ACCIDENT)) >= 0.95
    assert p(_ev(EvidenceKind.INTERVIEW, positive=False)) < SHA_BASE_P_ANY < p(_ev(EvidenceKind.INTERVIEW))
    # a record of reliability 0 adds no information; the default reliability is 0.2
    assert p(_ev(EvidenceKind.MINEFIELD_RECORD, reliability=0.0)) == SHA_BASE_P_ANY
    assert abs(p(_ev(EvidenceKind.MINEFIELD_RECORD)) - (1 - 0.96 * 0.8)) < 1e-12
    assert p(_ev(EvidenceKind.MINEFIELD_RECORD, reliability=0.9), record_reliability=0.0) == SHA_BASE_P_ANY
    # evidence tied to another area changes nothing here
    assert p(Evidence(kind=EvidenceKind.ACCIDENT, geometry=P, hazard_code="B")) == SHA_BASE_P_ANY


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list(EvidenceKind)), max_size=8), st.floats(0, 1), st.floats(0.01, 0.99))
def test_default_p_any_stays_a_probability(kinds, reliability, confidence) -> None:
    evidence = [
        _ev(k, reliability=reliability, confidence=confidence, positive=i % 2 == 0) for i, k in enumerate(kinds)
    ]
    p = default_p_any([HazardKind.SHA], ["A"], evidence)
    assert 0 <= p[0] <= 1
