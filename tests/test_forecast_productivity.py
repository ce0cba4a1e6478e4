"""Productivity priors and calibration from daily reports (conjugate normal on the log-rate)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, Level
from landrelease.domain.task import DailyReport
from landrelease.model.productivity import (
    CLUTTER_FACTOR,
    PRIORS,
    calibrate,
    fleet_priors,
    posterior_log_rate,
    site_factor,
)


def test_every_asset_type_has_a_sourced_prior() -> None:
    assert set(PRIORS) == set(AssetType)
    assert PRIORS[AssetType.MANUAL].median_m2_per_day <= 50 <= PRIORS[AssetType.MANUAL].median_m2_per_day * 2
    assert PRIORS[AssetType.MDD].median_m2_per_day == 750
    assert all(p.source and p.sigma > 0 for p in PRIORS.values())


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-5, 15),
    st.floats(0.05, 2),
    st.lists(st.floats(-5, 15), min_size=1, max_size=50),
)
def test_posterior_lies_between_prior_and_data_and_is_surer(mu0, tau0, logs) -> None:
    logs_a = np.array(logs)
    mean, sd = posterior_log_rate(mu0, tau0, logs_a)
    lo, hi = sorted((mu0, float(logs_a.mean())))
    assert lo - 1e-9 <= mean <= hi + 1e-9
    assert sd < tau0
    more_mean, more_sd = posterior_log_rate(mu0, tau0, np.concatenate([logs_a, logs_a]))
    assert more_sd < sd
    # more of the same data pulls further from the prior
    assert abs(more_mean - logs_a.mean()) <= abs(mean - logs_a.mean()) + 1e-9


def test_no_data_gives_the_prior() -> None:
    assert posterior_log_rate(1.0, 0.5, np.array([])) == (1.0, 0.5)


def team(code: str, asset: AssetType, size: int = 1, rate: float | None = None) -> Team:
    return Team(code=code, type=asset, base=Point(0, 0), size=size, rate_m2_per_day=rate)


def report(i: int, team_code: str, m2: float, hazard: str | None = "H1") -> DailyReport:
    return DailyReport(uuid=f"u{i}", team=team_code, date=date(2026, 1, 1), m2_processed=m2, hazard_code=hazard)


def test_calibration_moves_towards_the_reports_and_counts_what_it_skips() -> None:
    teams = [team("M1", AssetType.MANUAL, size=8), team("D1", AssetType.MDD)]
    clutter = {"H1": Level.HIGH, "H2": Level.LOW}
    reports = [report(i, "M1", 8 * 20.0) for i in range(40)]  # 20 m²/day per deminer, high clutter
    reports += [
        report(100, "D1", 900.0, "H2"),
        report(101, "ghost", 10.0),
        report(102, "M1", 0.0),
        report(103, "M1", 100.0, "nowhere"),
    ]
    cal = calibrate(reports, teams, clutter)
    e = cal.estimate(AssetType.MANUAL, Level.HIGH)
    assert e.n_reports == 40 and e.observed_median is not None and abs(e.observed_median - 20.0) < 1e-9
    prior = PRIORS[AssetType.MANUAL].median_m2_per_day * CLUTTER_FACTOR[AssetType.MANUAL][2]
    assert e.prior_median == prior
    assert abs(math.log(e.posterior_median / 20.0)) < abs(math.log(prior / 20.0)) / 5  # much data: near the data
    # one report weighs as much as the prior (prior sigma 0.5 = day-to-day sigma 0.5): half-way in log
    one = cal.estimate(AssetType.MDD, Level.LOW)
    assert one.n_reports == 1 and abs(one.posterior_median - math.sqrt(750 * 900)) < 1e-6
    untouched = cal.estimate(AssetType.MANUAL, Level.LOW)
    assert untouched.n_reports == 0 and untouched.posterior_median == untouched.prior_median
    assert cal.used == 41
    assert cal.skipped == {"unknown team": 1, "no area processed": 1, "hazard area unknown": 1}


def test_fleet_priors_take_the_register_team_rates_per_unit() -> None:
    priors = fleet_priors([team("M1", AssetType.MANUAL, size=8, rate=400.0), team("M2", AssetType.MANUAL, 4, 160.0)])
    assert abs(priors[AssetType.MANUAL].median_m2_per_day - math.sqrt(50 * 40)) < 1e-9
    assert priors[AssetType.MDD] == PRIORS[AssetType.MDD]


def test_machines_stay_off_steep_ground() -> None:
    f = site_factor(AssetType.MECHANICAL, np.zeros(3, int), np.zeros(3, int), np.array([0.0, 15.0, 25.0]))
    assert f[0] == 1.0 and 0 < f[1] < 1 and f[2] == 0.0
    manual = site_factor(AssetType.MANUAL, np.array([0, 1, 2]), np.zeros(3, int), np.zeros(3))
    assert manual[0] > manual[1] > manual[2] > 0
