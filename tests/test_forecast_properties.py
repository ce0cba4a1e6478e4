"""Properties of the forecast that must hold for any portfolio and fleet (hypothesis)."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from landrelease.domain.enums import AssetType
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast, threaded

portfolios = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 5e5), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
    )
)
fleets = st.fixed_dictionaries(
    {a: st.floats(0, 50) for a in (AssetType.MANUAL, AssetType.MDD, AssetType.MECHANICAL, AssetType.DRONE_SURVEY)}
)


@settings(max_examples=60, deadline=None)
@given(portfolios, fleets, st.integers(0, 2**32 - 1))
def test_forecast_invariants(pf_rows, units, seed) -> None:
    area, p, sha, dense, clutter = (np.array(c) for c in pf_rows)
    pf = Portfolio.from_arrays(area, p_any=p, sha=sha, dense_site=dense, clutter=clutter)
    cap = Capacity({a: AssetCapacity.from_rate(a, u) for a, u in units.items()})
    assume(any(u >= 1e-6 for u in units.values()))  # a fleet of nothing is refused (tested elsewhere)
    r = forecast(pf, cap, runs=16, seed=seed, horizon_years=2, start=date(2027, 1, 1), mapper=threaded(1))
    total = area.sum()
    # released land only grows, never exceeds the suspected area, and is never negative by method
    assert np.all(np.diff(r.cumulative_m2, axis=1) >= -1e-6 * max(total, 1))
    assert np.all(r.cumulative_m2 <= total * (1 + 1e-6) + 1e-6)
    assert np.all(r.monthly_by_method >= 0)
    # quantiles are ordered; the whole is done no earlier than any region
    assert np.all(r.area_month_q[:, :-1] <= r.area_month_q[:, 1:])
    assert np.all(r.overall_days_q[:-1] <= r.overall_days_q[1:])
    assert np.all(r.region_days_q <= r.overall_days_q[:, None])
    assert np.all((r.area_done_share >= 0) & (r.area_done_share <= 1))
    # an area released within the horizon in every run has its P90 within the horizon
    assert np.all(r.area_month_q[r.area_done_share == 1.0, 2] < r.months)
    # the burn-down starts at the whole and its band is ordered
    burn = r.burn_down_km2()
    assert np.isclose(burn[1, 0], total / 1e6)
    assert np.all(burn[0] <= burn[1] + 1e-9) and np.all(burn[1] <= burn[2] + 1e-9)
