"""The forecast kernel made faster gives the numbers it gave before.

The queues of the default work sequence (each area's TS, then its clearance) are scanned one row
per area (:func:`paired_queue`) instead of one row per stage: the same recurrence, summed in
another order, so float32 rounding (far below a day) may move a rare completion across a month
end. The random stream is unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landrelease.planning.forecast import (
    block_sizes,
    calibrate_mix,
    forecast,
    paired_queue,
    prepare,
    resolve_dispatch_order,
    simulate_block,
)
from tests.test_forecast_engine import fleet, portfolio

START = date(2027, 1, 1)


def plain_queue(w_ts: np.ndarray, w_cl: np.ndarray, release: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The queue played area by area, in float64."""
    m, runs = w_ts.shape
    ts, cl = np.zeros((m, runs)), np.zeros((m, runs))
    clock = np.zeros(runs)
    for i in range(m):
        start = np.maximum(clock, release[i])
        ts[i] = start + w_ts[i]
        cl[i] = ts[i] + w_cl[i]
        clock = cl[i]
    return ts, cl


work = hnp.arrays(np.float64, (7, 3), elements=st.floats(0, 50, allow_nan=False) | st.just(0.0))


@settings(max_examples=200, deadline=None)
@given(work, work, work)
def test_paired_queue_is_the_queue_played_area_by_area(w_ts: np.ndarray, w_cl: np.ndarray, release: np.ndarray) -> None:
    want_ts, want_cl = plain_queue(w_ts, w_cl, release)
    got_ts, got_cl = paired_queue(w_ts.copy(), w_cl.copy(), release.copy())
    np.testing.assert_allclose(got_ts, want_ts, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got_cl, want_cl, rtol=1e-9, atol=1e-9)
    # float32, as the kernel runs it: within rounding of the float64 loop
    got32 = paired_queue(w_ts.astype(np.float32), w_cl.astype(np.float32), release.astype(np.float32))
    np.testing.assert_allclose(got32[1], want_cl, rtol=1e-5, atol=1e-3)


def test_one_row_per_area_equals_the_two_row_queue() -> None:
    """Same problem and seed through the one-row-per-area scan and the general two-row scan."""
    pf, cap = portfolio(3000, seed=4), fleet()
    mix = calibrate_mix(pf.area_m2, pf.p_any, pf.sha, pf.dense_site)
    order, _ = resolve_dispatch_order(pf, None)
    prep = prepare(pf, cap, mix, order, 10, 220.0)
    assert prep.paired == [True, True, True]  # the default sequence
    general = replace(prep, paired=[False, False, False])
    runs = block_sizes(200, prep.n)[0]
    seed = np.random.SeedSequence(8)
    a, b = simulate_block(prep, runs, seed), simulate_block(general, runs, seed)
    assert a.area_month is not None and b.area_month is not None
    differ = a.area_month != b.area_month
    assert differ.mean() < 1e-3  # a completion within float32 rounding of a month end
    assert np.abs(a.area_month.astype(int) - b.area_month.astype(int)).max() <= 1
    np.testing.assert_allclose(a.overall_done, b.overall_done, rtol=1e-5)
    np.testing.assert_allclose(a.region_done, b.region_done, rtol=1e-5)
    total_a, total_b = a.released.sum(axis=(1, 2)), b.released.sum(axis=(1, 2))
    np.testing.assert_allclose(total_a, total_b, rtol=1e-6)


def test_same_seed_same_quantiles_as_before_the_faster_kernel() -> None:
    """Figures of the forecast before the kernel was made faster (commit 256ebe7), same seed.
    A change to the model or its random stream changes them on purpose: then update them."""
    pf, cap = portfolio(2000, seed=5), fleet(manual=800, mdd=40, mech=10, survey=8)
    r = forecast(pf, cap, runs=200, seed=13, start=START, horizon_years=10)
    before = {
        1: [54.3652, 70.6428, 80.8553],
        2: [76.3331, 90.5931, 107.5],
        5: [110.1724, 129.8703, 153.5782],
        10: [132.0, 159.0437, 164.2629],
    }
    for years, km2 in before.items():
        np.testing.assert_allclose(r.released_at_years(years), km2, rtol=1e-4)
    np.testing.assert_allclose(r.overall_days_q, [1398.6, 2442.28, 5509.42], atol=0.5)
    np.testing.assert_allclose(
        r.region_days_q,
        [[1398.6, 1367.19, 1384.12], [2429.76, 2397.11, 2438.97], [5489.36, 5318.35, 5422.77]],
        atol=0.5,
    )
    assert np.abs(r.area_month_q.sum(axis=0) - [8830, 50184, 125112]).max() <= 2
    assert r.area_done_share.sum() == pytest.approx(1878.845, abs=0.05)
