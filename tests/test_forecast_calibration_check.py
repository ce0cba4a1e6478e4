"""Calibration check: a Karabakh-like programme against the published two-year release.

Published (the seed article, Caliber.Az, Feb 2023): about 10,000 km² contaminated; about
600 km² released in two years by more than 2,000 people; 50 m²/day per deminer, 750 m²/day
with a dog; remote-controlled machines. The claim checked here: a forecast reaches the order
of 600 km² in two years only when it models release by survey (NTS cancels, TS reduces), and
is an order of magnitude lower with clearance alone.

Assumptions (written down because the article does not give them):

- 10,000 km² in 5,000 hazard areas (lognormal sizes, median ≈ 1 km²); 10 % of the area is
  CHA (direct evidence), the rest SHA; 3 % of the areas are dense sites (cemeteries,
  religious sites: manual only); half the areas are accessible to machines; metal clutter
  50 % low / 30 % medium / 20 % high; vegetation 50 / 30 / 20 %; slope gamma(2, 3)°.
- Probability that an area holds any EO: 0.04 for an SHA ("less than 5 % of SHAs prove to
  have any mines"), 0.7 for a CHA (the default rule without further evidence).
- The ≈2,000 people: 1,500 manual deminers (50 m²/day each), 100 dog teams of one handler
  (750 m²/day), 30 machines with 3 crew (prior 6,000 m²/day, half of it counted as clearance
  for the follow-up), 20 non-technical survey teams of 4 (0.15 km²/day each, prior), 40 EOD
  teams of 4 (not area capacity): 1,500 + 100 + 90 + 80 + 160 = 1,930 people.
- 220 working days a year; the release mix calibrated to the 2022 global split.

Built from arrays (no polygons).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from landrelease.domain.enums import AssetType
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast
from landrelease.planning.release_model import CLEARANCE_ALONE


def karabakh_like(seed: int = 2020) -> tuple[Portfolio, Capacity]:
    rng = np.random.default_rng(seed)
    n = 5000
    area = rng.lognormal(np.log(1e6), 1.0, n)
    area *= 10_000e6 / area.sum()
    cha = np.zeros(n, bool)
    order = rng.permutation(n)
    cum = np.cumsum(area[order])
    cha[order[cum <= 0.10 * cum[-1]]] = True
    dense = rng.random(n) < 0.03
    portfolio = Portfolio.from_arrays(
        area,
        sha=~cha,
        p_any=np.where(cha, 0.7, 0.04),
        dispatch_rank=rng.integers(0, 6, n),
        dense_site=dense,
        machine_accessible=rng.random(n) < 0.5,
        slope_deg=rng.gamma(2.0, 3.0, n),
        clutter=rng.choice(3, n, p=[0.5, 0.3, 0.2]),
        vegetation=rng.choice(3, n, p=[0.5, 0.3, 0.2]),
        density=np.where(dense, 2, np.where(cha, 1, 0)),
        region=[f"district {i % 7}" for i in range(n)],
    )
    capacity = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 1500, rate=50.0),
            AssetType.MDD: AssetCapacity.from_rate(AssetType.MDD, 100, rate=750.0),
            AssetType.MECHANICAL: AssetCapacity.from_rate(AssetType.MECHANICAL, 30),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 20),
            AssetType.EOD: AssetCapacity.from_rate(AssetType.EOD, 40),
        }
    )
    return portfolio, capacity


def test_two_year_release_needs_release_by_survey() -> None:
    portfolio, capacity = karabakh_like()
    assert abs(portfolio.area_m2.sum() / 1e6 - 10_000) < 1e-6
    kw = {"horizon_years": 2, "runs": 200, "seed": 7, "start": date(2021, 1, 1)}
    with_survey = forecast(portfolio, capacity, **kw)
    clearance_alone = forecast(portfolio, capacity, mix=CLEARANCE_ALONE, **kw)
    survey_km2 = with_survey.released_at_years(2)
    alone_km2 = clearance_alone.released_at_years(2)
    # Of the order of the published ≈600 km²: within a factor of two at the median.
    assert 300 <= survey_km2[1] <= 1200, survey_km2
    # An order of magnitude lower with clearance alone.
    assert alone_km2[1] <= 120, alone_km2
    assert survey_km2[1] / alone_km2[1] >= 5
    # Most of the survey release is by survey, as in real programmes.
    by_method = with_survey.monthly_by_method.sum(axis=1).mean(axis=0)
    assert by_method[0] + by_method[1] > by_method[2]
    # Clearance alone releases nothing by survey.
    assert clearance_alone.monthly_by_method[:, :, :2].sum() == 0
