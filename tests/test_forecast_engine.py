"""The Monte-Carlo forecast: reproducibility, conservation, the queue maths, dispatch order."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from landrelease.domain.enums import AssetType, HazardKind, LandUse
from landrelease.domain.errors import InfeasibleError
from landrelease.domain.hazard import HazardArea
from landrelease.planning.forecast import (
    METHODS,
    AssetCapacity,
    Capacity,
    Portfolio,
    block_sizes,
    default_dispatch_order,
    forecast,
    threaded,
)
from landrelease.planning.release_model import CLEARANCE_ALONE, ReleaseModel

START = date(2027, 1, 1)


def portfolio(n: int = 400, seed: int = 3) -> Portfolio:
    rng = np.random.default_rng(seed)
    return Portfolio.from_arrays(
        rng.lognormal(np.log(50_000), 1.0, n),
        sha=rng.random(n) < 0.8,
        dispatch_rank=rng.integers(0, 6, n),
        dense_site=rng.random(n) < 0.05,
        machine_accessible=rng.random(n) < 0.5,
        clutter=rng.integers(0, 3, n),
        vegetation=rng.integers(0, 3, n),
        slope_deg=rng.gamma(2.0, 3.0, n),
        density=rng.integers(0, 3, n),
        region=[f"R{i % 3}" for i in range(n)],
    )


def fleet(
    manual: float = 400, mdd: float = 20, mech: float = 5, survey: float = 4, sigma: float | None = None
) -> Capacity:
    return Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, manual, 50.0, sigma),
            AssetType.MDD: AssetCapacity.from_rate(AssetType.MDD, mdd, sigma=sigma),
            AssetType.MECHANICAL: AssetCapacity.from_rate(AssetType.MECHANICAL, mech, sigma=sigma),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, survey, sigma=sigma),
        }
    )


def test_same_seed_same_numbers_whatever_the_threads_and_groups() -> None:
    pf, cap = portfolio(), fleet()
    a = forecast(pf, cap, runs=300, seed=11, start=START, mapper=threaded(1), groups=1)
    b = forecast(pf, cap, runs=300, seed=11, start=START, mapper=threaded(2), groups=3)
    np.testing.assert_array_equal(a.cumulative_m2, b.cumulative_m2)
    np.testing.assert_array_equal(a.area_month_q, b.area_month_q)
    np.testing.assert_array_equal(a.overall_days_q, b.overall_days_q)
    assert a.as_dict() == b.as_dict()
    c = forecast(pf, cap, runs=300, seed=12, start=START)
    assert not np.array_equal(a.cumulative_m2, c.cumulative_m2)


def test_everything_is_released_once_with_ample_capacity() -> None:
    pf = portfolio(200)
    r = forecast(pf, fleet(manual=1e6, mdd=1e4, mech=1e3, survey=1e3), runs=50, seed=1, horizon_years=2, start=START)
    # every run releases exactly the suspected area, split over the three methods
    np.testing.assert_allclose(r.cumulative_m2[:, -1], pf.area_m2.sum(), rtol=1e-5)
    assert np.all(r.area_done_share == 1.0)
    by_method = r.monthly_by_method.sum(axis=1).mean(axis=0) / pf.area_m2.sum()
    # the Monte-Carlo split agrees with the expected split of the mix
    expected = np.array(list(r.expected_split.values()))
    np.testing.assert_allclose(by_method, expected, atol=0.05)


def test_clearance_queue_matches_a_plain_loop() -> None:
    """One manual pool, no spread, clearance alone: completion = cumulative area / rate."""
    areas = np.array([1000.0, 5000.0, 200.0, 12_000.0, 700.0])
    pf = Portfolio.from_arrays(areas, p_any=np.zeros(5), codes=list("abcde"))
    cap = Capacity({AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 10, 50.0, sigma=0.0)})
    order = ["d", "a", "e", "b", "c"]
    r = forecast(
        pf,
        cap,
        mix=CLEARANCE_ALONE,
        dispatch_order=order,
        runs=3,
        seed=0,
        horizon_years=1,
        working_days_per_year=240,
        start=START,
    )
    rate = 10 * 50.0  # m²/day
    t = 0.0
    expected_month = {}
    for code in order:
        t += areas["abcde".index(code)] / rate
        expected_month[code] = int(t // 20)  # 240 working days a year: 20 a month
    got = dict(zip(r.codes, r.area_month_q[:, 1], strict=True))
    assert got == expected_month
    assert list(r.codes) == order
    assert r.overall_days_q[1] == pytest.approx(areas.sum() / rate)


def test_ts_waits_for_nts_and_cancelled_land_comes_from_survey() -> None:
    """Everything clean and cancellable: all land is released by NTS at the survey pace."""
    areas = np.full(10, 150_000.0)
    pf = Portfolio.from_arrays(areas, p_any=np.zeros(10))
    cap = Capacity({AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 1, 150_000.0, 0.0)})
    mix = ReleaseModel(cancel_clean=1.0, reduce_clean=0.0)
    r = forecast(pf, cap, mix=mix, runs=5, seed=0, horizon_years=1, working_days_per_year=240, start=START)
    assert r.overall_days_q[1] == pytest.approx(10.0)  # ten areas of one day each
    assert r.monthly_by_method[:, :, 0].sum() == pytest.approx(5 * areas.sum())
    assert r.monthly_by_method[:, :, 1:].sum() == 0


def test_more_deminers_never_release_less() -> None:
    pf = Portfolio.from_arrays(np.random.default_rng(5).lognormal(10, 1, 300))
    base = Capacity({AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 300, 50.0)})
    more = base.with_units(AssetType.MANUAL, 600)
    kw = {"runs": 100, "seed": 4, "start": START, "horizon_years": 3, "mix": CLEARANCE_ALONE}
    a, b = forecast(pf, base, **kw), forecast(pf, more, **kw)
    assert np.all(b.cumulative_m2 >= a.cumulative_m2 - 1e-6)  # same draws, run by run
    assert b.released_at_years(2)[1] > 1.3 * a.released_at_years(2)[1]


def test_dense_sites_wait_for_manual_capacity() -> None:
    """A cemetery cannot be worked by dogs or machines: with no deminers it is never released."""
    pf = Portfolio.from_arrays(
        np.array([5000.0, 5000.0]), dense_site=np.array([True, False]), p_any=np.zeros(2), codes=["cemetery", "field"]
    )
    cap = Capacity({AssetType.MDD: AssetCapacity.from_rate(AssetType.MDD, 5)})
    r = forecast(pf, cap, mix=CLEARANCE_ALONE, runs=20, seed=0, horizon_years=1, start=START)
    share = dict(zip(r.codes, r.area_done_share, strict=True))
    assert share == {"cemetery": 0.0, "field": 1.0}
    assert any("no eligible clearance capacity" in n for n in r.notes)


def test_default_dispatch_order_follows_land_use_then_size() -> None:
    from shapely.geometry import Point

    uses = [LandUse.FARMLAND, LandUse.ROAD, LandUse.CEMETERY, LandUse.SETTLEMENT, LandUse.OTHER, LandUse.ROAD]
    areas = [
        HazardArea(code=f"H{i}", geometry=Point(0, 0), land_use=u, kind=HazardKind.SHA) for i, u in enumerate(uses)
    ]
    pf = Portfolio.from_hazard_areas(areas, np.array([10.0, 500.0, 50.0, 20.0, 1.0, 100.0]))
    order = [pf.codes[i] for i in default_dispatch_order(pf)]
    assert order == ["H5", "H1", "H2", "H3", "H0", "H4"]


def test_a_dispatch_order_naming_released_areas_is_followed_for_the_rest() -> None:
    pf = Portfolio.from_arrays(np.full(3, 1000.0), p_any=np.zeros(3), codes=["a", "b", "c"])
    cap = Capacity({AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 1, 100.0, sigma=0.0)})
    r = forecast(pf, cap, mix=CLEARANCE_ALONE, dispatch_order=["gone", "c", "a"], runs=2, start=START)
    assert list(r.codes) == ["c", "a", "b"]
    assert any("gone" in n for n in r.notes)
    with pytest.raises(InfeasibleError, match="nothing to forecast"):
        forecast(Portfolio.from_arrays(np.zeros(0)), cap, runs=2, start=START)


def test_blocks_cover_all_runs() -> None:
    for runs, n in [(1000, 10_000), (7, 3), (1000, 200_000), (1, 5_000_000)]:
        sizes = block_sizes(runs, n)
        assert sum(sizes) == runs and all(s >= 1 for s in sizes)


def test_plain_data_is_json_ready() -> None:
    import json

    r = forecast(portfolio(50), fleet(), runs=40, seed=2, start=START, horizon_years=3)
    d = json.loads(json.dumps(r.as_dict()))
    assert len(d["areas"]) == 50
    for a in d["areas"]:
        probs = (a["p_cancelled"], a["p_reduced"], a["p_cleared_in_full"])
        assert all(0 <= x <= 1 for x in probs) and abs(sum(probs) - 1) < 1e-9 and 0 <= a["p_any"] <= 1
    assert len(d["burn_down"]["remaining_km2_p50"]) == 3 * 12 + 1
    assert d["burn_down"]["remaining_km2_p50"][0] == pytest.approx(r.total_m2 / 1e6)
    p10, p50, p90 = (np.array(d["burn_down"][f"remaining_km2_p{q}"]) for q in (10, 50, 90))
    assert np.all(p10 <= p50 + 1e-9) and np.all(p50 <= p90 + 1e-9)
    assert set(d["released_per_month_km2"]) == {"month_end", "cancelled", "reduced", "cleared"}
    assert "50 % released by" in d["headline"]


def test_fluid_shares_let_free_teams_take_over() -> None:
    """Deminers busy on a cemetery (manual only): the dogs take the next field alone, then
    both share the third so that they finish it together."""
    from landrelease.planning.forecast import _fluid_shares

    speed = np.array([[10.0, 0.0], [10.0, 10.0], [10.0, 30.0]])  # m²/day: manual, dogs
    work = np.array([100.0, 100.0, 400.0])
    shares = _fluid_shares(speed, work, np.zeros(3))
    np.testing.assert_allclose(shares[0], [1.0, 0.0])
    np.testing.assert_allclose(shares[1], [0.0, 1.0])
    # both free at day 10: 400 m² at 40 m²/day, shares by speed
    np.testing.assert_allclose(shares[2], [0.25, 0.75])
    # an area cannot start before its NTS ends: the clocks jump to its ready time
    late = _fluid_shares(np.array([[10.0, 10.0]]), np.array([100.0]), np.array([50.0]))
    np.testing.assert_allclose(late[0], [0.5, 0.5])


def test_monte_carlo_split_against_a_split_computed_by_hand() -> None:
    """Independent of ``expected_split``: 1,000 equal areas, half SHAs known clean (p_any 0),
    half CHAs known mined (p_any 1, no dense sites), a fixed mix cancel_clean 0.6, reduce_clean
    0.125, reduce_mined 0.6 (Beta(8,2) and Beta(3,3) reduced shares: means 0.8 and 0.5).
    By hand, as shares of the whole area:
      cancelled = ½·0.6                         = 0.30
      reduced   = ½·0.125·0.8 + ½·0.6·0.5        = 0.05 + 0.15 = 0.20
      cleared   = 1 − 0.30 − 0.20               = 0.50
    """
    n = 1000
    clean = np.arange(n) % 2 == 0
    pf = Portfolio.from_arrays(
        np.full(n, 10_000.0), p_any=np.where(clean, 0.0, 1.0), sha=clean, dense_site=np.zeros(n, bool)
    )
    mix = ReleaseModel(cancel_clean=0.6, reduce_clean=0.125, reduce_mined=0.6)
    r = forecast(pf, fleet(manual=1e6, mdd=1e4, mech=1e3, survey=1e3), mix=mix, runs=40, seed=5, start=START)
    np.testing.assert_allclose(r.cumulative_m2[:, -1], pf.area_m2.sum(), rtol=1e-5)
    share = r.monthly_by_method.sum(axis=1).mean(axis=0) / pf.area_m2.sum()
    by_hand = {"cancelled": 0.30, "reduced": 0.20, "cleared": 0.50}
    for i, method in enumerate(METHODS):  # the method axis of monthly_by_method
        assert share[i] == pytest.approx(by_hand[str(method)], abs=0.01), (method, share)
