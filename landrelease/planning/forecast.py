"""Monte-Carlo forecast of land release: when will each area, each region, the whole job be done?

Each run samples the programme's rates (lognormal, per asset type), which areas really hold
EO, the release outcome of every area (cancelled by NTS, reduced by TS, cleared — see
:mod:`landrelease.planning.release_model`), the share TS reduces, and the finds. Then it
plays the programme forward. Everything is vectorised in NumPy over runs × areas.

The fluid capacity model (an approximation, good at national scale):

- Survey teams (``drone_survey``) do NTS on the SHAs (and the CHAs the release model may
  cancel) one after the other in the dispatch order, at their pooled rate; an area cancelled
  by NTS is released when its NTS ends. A fleet without survey teams has its manual teams do
  the NTS (the eligibility matrix's ``nts_assets``) at people's NTS walking rate, with the share
  of the deminers' time that the expected NTS days are of all their expected days.
- Manual, MDD and mechanical capacity each work as one pooled queue. Each area's TS and
  clearance work is split between the asset types eligible for it (dense sites: manual
  only; machines: accessible ground, slope ≤ 20°) in fixed shares, chosen once by an
  expected-value pass of the fluid schedule (types join an area as they become free and
  finish it together; see ``_fluid_shares``). Each queue consumes its shares in dispatch
  order; a share cannot start before the area's NTS has ended. Completion times follow
  from cumulative sums (``C = S + max.accumulate(release − S + w)``), so no event loop.
- A reduced area's reduced part is released when its TS work ends, the rest when its
  clearance ends. EOD teams do spot tasks and are not counted as area capacity.
- Time is counted in working days (``working_days_per_year``, default 220) and shown as
  calendar dates.

Along a plan, the queues take the plan's order of each area's TS and clearance, and the survey
queue is charged the travel the plan's survey teams make between NTS tasks (short tasks, so
travel is a large part of their time). What the approximation leaves out: the travel of the
clearance teams (long tasks), a queue skipping ahead to
another ready area while it waits for NTS, and shares re-balancing when a run's sampled
rates differ from the expected ones.

Reproducible: runs are cut into blocks whose size depends only on the problem; block b
draws from ``np.random.SeedSequence(seed).spawn(n_blocks)[b]``, so the numbers are the
same whether the blocks run here or on a Dask cluster (see ``execution.py``).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, HazardKind, LandUse, ReleaseMethod
from landrelease.domain.errors import InfeasibleError, Problem
from landrelease.domain.hazard import HazardArea
from landrelease.model.productivity import (
    CLUTTER_FACTOR,
    MECHANICAL_FOLLOW_UP,
    NTS_PRIORS,
    PRIORS,
    TIME_PER_FIND_DAYS,
    Calibration,
    site_factor,
    unit_rates,
    units_of,
)
from landrelease.planning.eligibility import SENSITIVE_USES, eligible, manual_only, nts_assets
from landrelease.planning.release_model import (
    GLOBAL_2022_SPLIT,
    M2_PER_ITEM,
    ReleaseModel,
    calibrate_mix,
    expected_items,
    expected_split,
    level_index,
    outcome_probabilities,
    unassessed_p_any,
)

CLEARANCE_ASSETS: tuple[AssetType, ...] = (AssetType.MANUAL, AssetType.MDD, AssetType.MECHANICAL)
SURVEY_ASSET = AssetType.DRONE_SURVEY
METHODS: tuple[ReleaseMethod, ...] = (ReleaseMethod.CANCELLED, ReleaseMethod.REDUCED, ReleaseMethod.CLEARED)
QUANTILES = (0.1, 0.5, 0.9)
BLOCK_ELEMENTS = 1_000_000
"""Runs × areas simulated at once; fixes the block partition (and hence the random streams)."""

DISPATCH_RANK: dict[LandUse, int] = {
    # Roads and railways first (nobody can go home without them), then cemeteries and
    # religious sites (people go there first), then villages, farmland, infrastructure, the rest.
    LandUse.ROAD: 0,
    LandUse.RAIL: 0,
    LandUse.CEMETERY: 1,
    LandUse.RELIGIOUS_SITE: 1,
    LandUse.SETTLEMENT: 2,
    LandUse.FARMLAND: 3,
    LandUse.INFRASTRUCTURE: 4,
    LandUse.FOREST: 5,
    LandUse.OTHER: 5,
}
DENSE_SITES = SENSITIVE_USES
"""Cemeteries and religious sites: cleared in full, never reduced (the release model)."""


# ---------------------------------------------------------------- inputs


@dataclass(slots=True)
class Portfolio:
    """The hazard areas to forecast, as arrays (one entry per area)."""

    codes: np.ndarray
    area_m2: np.ndarray
    sha: np.ndarray
    p_any: np.ndarray
    dispatch_rank: np.ndarray
    dense_site: np.ndarray
    machine_accessible: np.ndarray
    slope_deg: np.ndarray
    clutter: np.ndarray
    vegetation: np.ndarray
    region: np.ndarray
    items_if_contaminated: np.ndarray
    manual_only: np.ndarray  # cemeteries, religious sites, high-density areas (the eligibility matrix)

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def from_arrays(
        cls,
        area_m2: np.ndarray,
        *,
        sha: np.ndarray | None = None,
        p_any: np.ndarray | None = None,
        codes: Sequence[str] | None = None,
        dispatch_rank: np.ndarray | None = None,
        dense_site: np.ndarray | None = None,
        machine_accessible: np.ndarray | None = None,
        slope_deg: np.ndarray | None = None,
        clutter: np.ndarray | None = None,
        vegetation: np.ndarray | None = None,
        density: np.ndarray | None = None,
        region: Sequence[str] | None = None,
        items_if_contaminated: np.ndarray | None = None,
        manual_only: np.ndarray | None = None,
    ) -> Portfolio:
        """A portfolio built from arrays, with plain defaults (all SHA, low clutter, flat, accessible)."""
        a = np.asarray(area_m2, dtype=float)
        n = len(a)
        if np.any(~np.isfinite(a)) or np.any(a < 0):
            raise ValueError("area_m2 must be finite and not negative")
        sha_arr = np.ones(n, bool) if sha is None else np.asarray(sha, bool)
        if p_any is None:
            p_any = unassessed_p_any([HazardKind.SHA if s else HazardKind.CHA for s in sha_arr])
        p = np.asarray(p_any, dtype=float)
        if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
            raise ValueError("p_any must lie in [0, 1]")
        dens = np.zeros(n, np.int8) if density is None else np.asarray(density, np.int8)
        dense = np.zeros(n, bool) if dense_site is None else np.asarray(dense_site, bool)
        return cls(
            codes=np.asarray(codes if codes is not None else [f"A{i}" for i in range(n)], dtype=object),
            area_m2=a,
            sha=sha_arr,
            p_any=p,
            dispatch_rank=np.zeros(n, np.int8) if dispatch_rank is None else np.asarray(dispatch_rank, np.int8),
            dense_site=dense,
            machine_accessible=np.ones(n, bool) if machine_accessible is None else np.asarray(machine_accessible, bool),
            slope_deg=np.zeros(n) if slope_deg is None else np.asarray(slope_deg, float),
            clutter=np.zeros(n, np.int8) if clutter is None else np.asarray(clutter, np.int8),
            vegetation=np.zeros(n, np.int8) if vegetation is None else np.asarray(vegetation, np.int8),
            region=np.asarray(region if region is not None else ["all"] * n, dtype=object),
            items_if_contaminated=(
                expected_items(a, dens) if items_if_contaminated is None else np.asarray(items_if_contaminated, float)
            ),
            manual_only=(dense | (dens == 2)) if manual_only is None else np.asarray(manual_only, bool),
        )

    @classmethod
    def from_hazard_areas(
        cls,
        areas: Sequence[HazardArea],
        area_m2: np.ndarray,
        *,
        p_any: np.ndarray | None = None,
        items_if_contaminated: np.ndarray | None = None,
    ) -> Portfolio:
        """The open hazard areas of a register; ``p_any`` from the contamination model's
        assessment if given, else its prior by kind
        (:func:`~landrelease.planning.release_model.unassessed_p_any`)."""
        codes = [a.code for a in areas]
        if p_any is None:
            p_any = unassessed_p_any([a.kind for a in areas])
        return cls.from_arrays(
            area_m2,
            sha=np.array([a.kind is HazardKind.SHA for a in areas], bool),
            p_any=p_any,
            codes=codes,
            dispatch_rank=np.array([DISPATCH_RANK[a.land_use] for a in areas], np.int8),
            dense_site=np.array([a.land_use in DENSE_SITES for a in areas], bool),
            machine_accessible=np.array([a.machine_accessible for a in areas], bool),
            slope_deg=np.array([a.slope_deg for a in areas], float),
            clutter=level_index(a.clutter for a in areas),
            vegetation=level_index(a.vegetation for a in areas),
            density=level_index(a.density for a in areas),
            region=[a.region or "(no region)" for a in areas],
            items_if_contaminated=items_if_contaminated,
            manual_only=np.array([manual_only(a) for a in areas], bool),
        )


def default_dispatch_order(portfolio: Portfolio) -> np.ndarray:
    """Indices in a simple priority order: land use (roads/rail, cemeteries and religious
    sites, settlements, farmland, infrastructure, the rest), then the smaller area first (more
    areas handed back sooner), then the code for a stable order."""
    return np.lexsort((portfolio.codes.astype(str), portfolio.area_m2, portfolio.dispatch_rank))


def resolve_dispatch_order(
    portfolio: Portfolio, order: Sequence[str] | np.ndarray | None
) -> tuple[np.ndarray, list[str]]:
    """Indices from a dispatch order given as hazard codes, and the codes it names that are not
    in the portfolio (a plan made before some areas were released): those are left out and
    reported, and the areas the order leaves out follow in the default order."""
    default = default_dispatch_order(portfolio)
    if order is None:
        return default, []
    index = {str(c): i for i, c in enumerate(portfolio.codes)}
    unknown = [str(c) for c in order if str(c) not in index]
    first = list(dict.fromkeys(index[str(c)] for c in order if str(c) in index))
    seen = set(first)
    return np.array(first + [i for i in default if i not in seen], dtype=np.int64), unknown


@dataclass(frozen=True, slots=True)
class AssetCapacity:
    """A pool of one asset type: units (deminers for manual, else teams) and their rates.

    ``median`` and ``sigma`` are per clutter class (low, medium, high): the per-unit median
    m²/day and the spread of the programme's log-rate around it.
    """

    asset: AssetType
    units: float
    median: tuple[float, float, float]
    sigma: tuple[float, float, float]
    availability: float = 1.0

    @classmethod
    def from_rate(
        cls,
        asset: AssetType,
        units: float,
        rate: float | None = None,
        sigma: float | None = None,
        availability: float = 1.0,
    ) -> AssetCapacity:
        """Per-unit median ``rate`` at low clutter (default the published prior), spread by clutter factor."""
        prior = PRIORS[asset]
        r = prior.median_m2_per_day if rate is None else rate
        s = prior.sigma if sigma is None else sigma
        f = CLUTTER_FACTOR[asset]
        return cls(asset, float(units), (r * f[0], r * f[1], r * f[2]), (s, s, s), availability)

    @property
    def pooled_m2_per_day(self) -> float:
        """Nominal pooled rate on low-clutter ground (for display)."""
        return self.units * self.availability * self.median[0]


@dataclass(frozen=True, slots=True)
class Capacity:
    """The fleet by asset type."""

    assets: Mapping[AssetType, AssetCapacity]

    def get(self, asset: AssetType) -> AssetCapacity | None:
        return self.assets.get(asset)

    def units(self, asset: AssetType) -> float:
        a = self.assets.get(asset)
        return a.units if a else 0.0

    def with_units(self, asset: AssetType, units: float) -> Capacity:
        current = self.assets.get(asset) or AssetCapacity.from_rate(asset, 0.0)
        return Capacity({**self.assets, asset: replace(current, units=float(units))})

    @classmethod
    def from_teams(cls, teams: Sequence[Team], calibration: Calibration | None = None) -> Capacity:
        """The register's fleet; rates from the calibration where it has reports, else the
        register's stated team rates, else the published priors."""
        rates = unit_rates(teams, calibration)
        units: dict[AssetType, float] = {}
        for t in teams:
            units[t.type] = units.get(t.type, 0.0) + units_of(t)
        out = {a: AssetCapacity(a, u, rates[a].median, rates[a].sigma) for a, u in units.items()}
        return cls(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            a.value: {
                "units": c.units,
                "median_m2_per_day_by_clutter": list(c.median),
                "sigma_by_clutter": list(c.sigma),
                "availability": c.availability,
            }
            for a, c in self.assets.items()
        }


# ---------------------------------------------------------------- the prepared problem


@dataclass(slots=True)
class Prepared:
    """Everything a block of runs needs, in dispatch order (small; sent once to Dask workers)."""

    codes: np.ndarray
    area: np.ndarray
    sha: np.ndarray
    p_any: np.ndarray
    cancel_thr: np.ndarray
    reduce_clean: float
    reduce_mined_thr: np.ndarray
    reduced_clean_table: np.ndarray  # quantiles of the Beta share TS reduces (clean areas)
    reduced_mined_table: np.ndarray
    ts_fraction: float
    items: np.ndarray
    clutter: np.ndarray
    share_slow: np.ndarray  # (n, 3): share × 1/site factor, 0 where the type does not work
    share: np.ndarray  # (n, 3)
    no_capacity: np.ndarray  # areas no eligible type can work on
    pool: np.ndarray  # (3,) units × availability
    log_median: np.ndarray  # (3, 3) type × clutter, per unit
    log_sigma: np.ndarray  # (3, 3)
    tfind: np.ndarray  # (3,) unit-days per find
    survey_pool: float
    survey_mu: float
    survey_sigma: float
    nts_cum: np.ndarray  # cumulative SHA area in dispatch order (0 where not surveyed)
    nts_travel: np.ndarray  # cumulative survey travel, pooled working days (0 where not surveyed)
    months: int
    wd_per_month: float
    regions: list[str]
    region_perm: np.ndarray
    region_starts: np.ndarray
    ts_row: np.ndarray  # (n,) row of each area's TS in the queues' work sequence (2n rows)
    cl_row: np.ndarray  # (n,) row of its clearance
    row_area: np.ndarray  # (2n,) the area (in dispatch order) of each row
    queues: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None]
    """Per clearance asset type: the areas it works on, the area of each of its queue's rows
    (the work sequence restricted to those areas), and the rows of each area's TS and clearance."""
    paired: list[bool]
    """Per clearance asset type: its queue's rows are each area's TS then its clearance, area by
    area (the default sequence), so the kernel scans one row per area."""
    area_pos: list[np.ndarray]  # per type: each area's position among the type's areas (-1: none)
    keep_run_months: bool = False  # return every run's release month of each area (joint quantiles)
    draw_cancel: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """Per drawn release model (:func:`~landrelease.planning.release_model.posterior_mixes`): its
    ``cancel_clean``; each run takes one draw at random. Empty: every run uses the one mix."""
    draw_reduce: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    cancel_weight: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """Per area, its cancel threshold per unit of ``cancel_clean`` (1 on an SHA; 0 where nothing
    can be cancelled)."""

    @property
    def n(self) -> int:
        return len(self.area)


def _fluid_shares(speed: np.ndarray, work: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """Fixed shares of each area's work per asset type, from one expected-value pass of the
    fluid schedule.

    Areas are taken in dispatch order. Each asset type has a clock (when its pool is free);
    an area's work is shared by its eligible types, each joining from the later of its clock
    and the area's ``ready`` time (its NTS), at its pooled ``speed`` (m²/day), so that they all
    finish the area at the same moment τ ("water filling"). The types' clocks then move to τ.
    A type held up by work only it can do (deminers on a cemetery) thus takes a smaller share
    of the next areas while the others catch up. The Monte-Carlo runs keep these shares and
    sample the rates.
    """
    n, m = speed.shape
    rows: list[list[float]] = []
    zero = [0.0] * m
    clock = [0.0] * m
    # Plain Python floats: with at most three types per area they beat NumPy's per-call cost.
    for r, w, t0 in zip(speed.tolist(), work.tolist(), ready.tolist(), strict=True):
        eligible = [k for k in range(m) if r[k] > 0]
        row = zero.copy()
        rows.append(row)
        if not eligible:
            continue
        if w <= 1e-6:  # no work to speak of (under a mm²): shares by speed, and no clock moves
            total = sum(r[k] for k in eligible)
            for k in eligible:
                row[k] = r[k] / total
            continue
        if len(eligible) == 1:  # one type alone (the same arithmetic as below, without the sort)
            k = eligible[0]
            start = max(clock[k], t0)
            tau = (w + r[k] * start) / r[k]
            row[k] = r[k] * (tau - start) / w
            clock[k] = tau
            continue
        ks = sorted(eligible, key=lambda k: max(clock[k], t0))
        rate_sum = weighted = tau = 0.0
        used = 0
        for j, k in enumerate(ks):
            start = max(clock[k], t0)
            rate_sum += r[k]
            weighted += r[k] * start
            tau = (w + weighted) / rate_sum
            used = j + 1
            if used == len(ks) or tau <= max(clock[ks[used]], t0):
                break
        for k in ks[:used]:
            row[k] = r[k] * (tau - max(clock[k], t0)) / w
            clock[k] = tau
    return np.array(rows, dtype=float).reshape(n, m)


QUANTILE_TABLE = 4096
MIN_UNITS = 1e-6
"""A pool smaller than this (units × availability) counts as no capacity at all."""


def _quantile_table(ab: tuple[float, float]) -> np.ndarray:
    """Beta(a, b) at the mid-points of QUANTILE_TABLE equal-probability strata: drawing a
    stratum at random samples the Beta (to 1/4096 in probability) at a fraction of the cost."""
    from scipy.special import betaincinv  # the Beta quantile function (scipy.stats is slow to import)

    q = (np.arange(QUANTILE_TABLE) + 0.5) / QUANTILE_TABLE
    return np.asarray(betaincinv(ab[0], ab[1], q), dtype=np.float32)


def prepare(
    portfolio: Portfolio,
    capacity: Capacity,
    mix: ReleaseModel,
    order: np.ndarray,
    horizon_years: int,
    working_days_per_year: float,
    stage_order: Sequence[tuple[str, ActivityKind]] | None = None,
    survey_travel: Mapping[str, float] | None = None,
) -> Prepared:
    """Arrange the problem in dispatch order, fix the per-type shares and the queues' work
    sequence (each area's TS and clearance: in ``stage_order`` where given, else together)."""
    o = np.asarray(order, dtype=np.int64)
    area = portfolio.area_m2[o]
    sha = portfolio.sha[o]
    dense = portfolio.dense_site[o]
    p = portfolio.p_any[o]
    clutter = portfolio.clutter[o].astype(np.int64)
    veg = portfolio.vegetation[o]
    slope = portfolio.slope_deg[o]
    n = len(o)

    pool = np.zeros(3)
    log_median = np.zeros((3, 3))
    log_sigma = np.zeros((3, 3))
    speed = np.zeros((n, 3))
    slow = np.zeros((n, 3))
    for k, asset in enumerate(CLEARANCE_ASSETS):
        cap = capacity.get(asset)
        ok = eligible(
            asset,
            ActivityKind.CLEARANCE,
            manual_only=portfolio.manual_only[o],
            high_clutter=clutter == 2,
            machine_accessible=portfolio.machine_accessible[o],
            slope_deg=slope,
        )
        factor = np.where(ok, site_factor(asset, clutter, veg, slope, with_clutter=False), 0.0)
        slow[:, k] = np.divide(1.0, factor, out=np.zeros(n), where=factor > 0)
        if cap is None or cap.units * cap.availability < MIN_UNITS:
            continue
        med = np.asarray(cap.median, float) * (MECHANICAL_FOLLOW_UP if asset is AssetType.MECHANICAL else 1.0)
        pool[k] = cap.units * cap.availability
        log_median[k] = np.log(med)
        log_sigma[k] = np.asarray(cap.sigma, float)
        speed[:, k] = pool[k] * med[clutter] * factor

    survey = capacity.get(SURVEY_ASSET)
    survey_pool = survey.units * survey.availability if survey is not None else 0.0
    survey_pool = survey_pool if survey_pool >= MIN_UNITS else 0.0
    survey_mu = float(math.log(survey.median[0])) if survey is not None and survey_pool > 0 else 0.0
    survey_sigma = float(survey.sigma[0]) if survey is not None and survey_pool > 0 else 0.0
    fleet = [a for a, c in capacity.assets.items() if c.units * c.availability >= MIN_UNITS]
    manual_nts = mix.by_survey and nts_assets(fleet) == (AssetType.MANUAL,)  # no survey teams: deminers survey
    surveying = mix.by_survey and (survey_pool > 0 or manual_nts)
    weight = mix.cancel_weight(sha) if surveying else np.zeros(n)
    cancel_thr = (mix.cancel_clean * weight).astype(np.float32)
    nts_on = mix.surveyed(sha) if surveying else np.zeros(n, bool)  # SHAs, and CHAs it may cancel
    reduce_mined_thr = (mix.reduce_mined * ~dense).astype(np.float32) if mix.by_survey else np.zeros(n, np.float32)
    reduce_clean = mix.reduce_clean if mix.by_survey else 0.0

    # Expected TS + clearance work per area (m² searched) and NTS end, to fix the shares.
    rc, rm = mix.mean_reduced_clean, mix.mean_reduced_mined
    ts = mix.ts_search_fraction
    c = cancel_thr.astype(float)
    clean_work = reduce_clean * (ts + 1 - rc) + np.clip(1 - c - reduce_clean, 0, 1) * 1.0
    mined_work = reduce_mined_thr * (ts + 1 - rm) + (1 - reduce_mined_thr) * 1.0
    work = area * ((1 - p) * clean_work + p * mined_work)
    nts_cum = np.cumsum(np.where(nts_on, area, 0.0)) if surveying else np.zeros(n)
    nts_cum = np.where(nts_on, nts_cum, 0.0)
    if manual_nts:
        # The deminers share their time between NTS (at people's NTS walking rate) and their TS
        # and clearance in proportion to the expected days of each over the portfolio.
        k = CLEARANCE_ASSETS.index(AssetType.MANUAL)
        prior = NTS_PRIORS[AssetType.MANUAL]
        nts_days = float(area[nts_on].sum()) / (pool[k] * prior.median_m2_per_day)
        total_speed = speed.sum(axis=1)
        mine = speed[:, k] > 0
        work_days = float((work[mine] * speed[mine, k] / total_speed[mine] / speed[mine, k]).sum())
        f = nts_days / (nts_days + work_days) if nts_days + work_days > 0 else 0.0
        survey_pool = float(pool[k] * f)
        survey_mu, survey_sigma = math.log(prior.median_m2_per_day), prior.sigma
        pool[k] *= 1.0 - f
        speed[:, k] *= 1.0 - f
    survey_speed = survey_pool * math.exp(survey_mu) if surveying and survey_pool > 0 else 1.0
    # the survey teams' travel to each SHA (team working days), shared by the pool
    travel = np.zeros(n)
    if surveying and survey_travel:
        codes_o = portfolio.codes[o]
        days = working_days_per_year / 365.0
        travel = np.array([float(survey_travel.get(str(c), 0.0)) * days for c in codes_o]) * nts_on
    nts_travel = np.where(nts_on, np.cumsum(travel) / max(survey_pool, MIN_UNITS), 0.0)
    share = _fluid_shares(speed, work, nts_cum / survey_speed + nts_travel)
    share_slow = share * slow

    ts_row, cl_row, row_area = work_sequence(portfolio.codes[o], stage_order)
    queues: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None] = []
    area_pos: list[np.ndarray] = []
    paired: list[bool] = []
    for k in range(3):
        mask = share[:, k] > 0
        areas_k = np.flatnonzero(mask)
        pos = np.full(n, -1, np.int64)
        pos[areas_k] = np.arange(len(areas_k))
        area_pos.append(pos)
        if not len(areas_k):
            queues.append(None)
            paired.append(False)
            continue
        rows = np.flatnonzero(mask[row_area])  # the sequence's rows of these areas, in order
        rank = np.full(2 * n, -1, np.int64)
        rank[rows] = np.arange(len(rows))
        ts_pos, cl_pos = rank[ts_row[areas_k]], rank[cl_row[areas_k]]
        queues.append((areas_k, row_area[rows], ts_pos, cl_pos))
        m = np.arange(len(areas_k))
        paired.append(bool(np.array_equal(ts_pos, 2 * m) and np.array_equal(cl_pos, 2 * m + 1)))

    names, rid = np.unique(portfolio.region[o].astype(str), return_inverse=True)
    regions = [str(r) for r in names]
    perm = np.argsort(rid, kind="stable")
    starts = np.searchsorted(rid[perm], np.arange(len(regions)))
    return Prepared(
        codes=portfolio.codes[o],
        area=area,
        sha=sha,
        p_any=p.astype(np.float32),
        cancel_thr=cancel_thr,
        cancel_weight=weight.astype(np.float32),
        reduce_clean=float(reduce_clean),
        reduce_mined_thr=reduce_mined_thr,
        reduced_clean_table=_quantile_table(mix.reduced_share_clean),
        reduced_mined_table=_quantile_table(mix.reduced_share_mined),
        ts_fraction=float(ts),
        items=portfolio.items_if_contaminated[o],
        clutter=clutter,
        share_slow=share_slow,
        share=share,
        no_capacity=share.sum(axis=1) <= 0,
        pool=pool,
        log_median=log_median,
        log_sigma=log_sigma,
        tfind=np.array([TIME_PER_FIND_DAYS[a] for a in CLEARANCE_ASSETS]),
        survey_pool=float(survey_pool) if surveying else 0.0,
        survey_mu=survey_mu if surveying else 0.0,
        survey_sigma=survey_sigma if surveying else 0.0,
        nts_cum=nts_cum,
        nts_travel=nts_travel,
        months=int(horizon_years * 12),
        wd_per_month=working_days_per_year / 12.0,
        regions=regions,
        region_perm=perm,
        region_starts=starts,
        ts_row=ts_row,
        cl_row=cl_row,
        row_area=row_area,
        queues=queues,
        area_pos=area_pos,
        paired=paired,
    )


def work_sequence(
    codes: np.ndarray, stage_order: Sequence[tuple[str, ActivityKind]] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of the TS/clearance queues: ``stage_order`` (hazard code, TS or clearance) as the
    plan starts them, then what it leaves out in dispatch order (TS, then clearance). An area's
    clearance never comes before its TS.

    >>> ts, cl, area = work_sequence(np.array(["A", "B"]), [("B", ActivityKind.TS), ("A", ActivityKind.TS),
    ...                                                     ("B", ActivityKind.CLEARANCE)])
    >>> ts.tolist(), cl.tolist(), area.tolist()
    ([1, 0], [3, 2], [1, 0, 1, 0])
    """
    n = len(codes)
    if not stage_order:  # each area's TS then its clearance, in dispatch order
        row_area = np.repeat(np.arange(n, dtype=np.int64), 2)
        return 2 * np.arange(n, dtype=np.int64), 2 * np.arange(n, dtype=np.int64) + 1, row_area
    index = {str(c): i for i, c in enumerate(codes)}
    items: list[tuple[int, bool]] = []
    seen: set[tuple[int, bool]] = set()
    for code, stage in stage_order or ():
        i = index.get(str(code))
        if i is None or stage not in (ActivityKind.TS, ActivityKind.CLEARANCE):
            continue
        key = (i, stage is ActivityKind.TS)
        if key in seen:
            continue
        if not key[1] and (i, True) not in seen:  # clearance named first: its TS goes just before it
            items.append((i, True))
            seen.add((i, True))
        items.append(key)
        seen.add(key)
    for i in range(n):
        for key in ((i, True), (i, False)):
            if key not in seen:
                items.append(key)
    ts_row = np.zeros(n, np.int64)
    cl_row = np.zeros(n, np.int64)
    row_area = np.zeros(2 * n, np.int64)
    for r, (i, is_ts) in enumerate(items):
        (ts_row if is_ts else cl_row)[i] = r
        row_area[r] = i
    return ts_row, cl_row, row_area


# ---------------------------------------------------------------- simulation


@dataclass(slots=True)
class BlockResult:
    """What a block (or a group of blocks) of runs returns; merging is exact and order-free
    for ``area_hist`` (integer counts) and in block order for the per-run arrays."""

    area_hist: np.ndarray | None  # (n, months + 1) runs completing in each month; last = beyond horizon
    released: np.ndarray  # (runs, months + 1, 3) m² released per month by method
    region_done: np.ndarray  # (runs, regions) working day the region's last area is released
    overall_done: np.ndarray  # (runs,)
    area_month: np.ndarray | None = None  # (n, runs) completion month per run (blocks only)


def block_sizes(runs: int, n_areas: int) -> list[int]:
    """The fixed partition of the runs into blocks (depends on the problem only)."""
    per = max(1, min(runs, BLOCK_ELEMENTS // max(n_areas, 1)))
    sizes = [per] * (runs // per)
    if runs % per:
        sizes.append(runs % per)
    return sizes


def paired_queue(w_ts: np.ndarray, w_cl: np.ndarray, release: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Completion times of a queue that takes each area's TS and then its clearance, area by area
    (arrays (areas, runs): the work in days of each, and when the area is ready, its NTS end).

    An area's TS starts at the later of the previous area's completion and its release; its
    clearance follows at once. Over the areas, with S the running sum of the work,
    C = S + max.accumulate(release − S + w): two scans over one row per area (the TS and the
    clearance rows need not be scanned apart).

    >>> ts, cl = paired_queue(np.array([[1.0], [2.0]]), np.array([[3.0], [1.0]]), np.array([[0.0], [5.0]]))
    >>> ts.ravel().tolist(), cl.ravel().tolist()
    ([1.0, 7.0], [4.0, 8.0])
    """
    c = w_ts + w_cl
    s_ = np.cumsum(c, axis=0, dtype=c.dtype)
    c -= s_  # minus the start offset
    c += release
    np.maximum.accumulate(c, axis=0, out=c)
    c += s_  # completion of each area's clearance
    del s_
    start = release.copy()
    np.maximum(start[1:], c[:-1], out=start[1:])  # when each area's TS starts
    start += w_ts
    return start, c


def simulate_block(prep: Prepared, runs: int, seed: np.random.SeedSequence) -> BlockResult:
    """``runs`` Monte-Carlo runs of the whole programme (see the module text for the model).

    Arrays are area-major, (areas, runs): the queues' cumulative sums run along the areas
    and so are vectorised across the runs.
    """
    rng = np.random.default_rng(seed)
    n = prep.n
    m1 = prep.months + 1
    zc = rng.standard_normal((3, runs))
    zs = rng.standard_normal(runs)
    col = np.s_[:, None]  # a per-area vector against (areas, runs)
    contaminated = rng.random((n, runs), dtype=np.float32) < prep.p_any[col]
    u = rng.random((n, runs), dtype=np.float32)
    if len(prep.draw_cancel):  # each run its own release model, drawn from the split's posterior
        pick = rng.integers(0, len(prep.draw_cancel), size=runs)
        cancel_thr = prep.cancel_weight[col] * prep.draw_cancel[pick][None, :]
        reduce_clean: np.ndarray | float = prep.draw_reduce[pick][None, :]
    else:
        cancel_thr = prep.cancel_thr[col]
        reduce_clean = prep.reduce_clean
    cancel = u < cancel_thr
    cancel &= ~contaminated
    reduce = np.where(contaminated, u < prep.reduce_mined_thr[col], (u >= cancel_thr) & (u < cancel_thr + reduce_clean))
    del cancel_thr
    del u
    # share of the area that TS reduces, from the Beta quantile tables
    rho = np.zeros((n, runs), np.float32)
    flat = np.flatnonzero(reduce)
    mined_r = contaminated.ravel()[flat]
    pick = rng.integers(0, QUANTILE_TABLE, size=len(flat))
    rho.ravel()[flat] = np.where(mined_r, prep.reduced_mined_table[pick], prep.reduced_clean_table[pick])
    clear_frac = 1.0 - rho
    del rho, pick, mined_r
    clear_frac[cancel] = 0.0
    # finds beyond the average load already inside the published rates (sparse)
    flat = np.flatnonzero(contaminated)
    rows = flat // runs
    cf = clear_frac.ravel()[flat].astype(float)
    items = rng.poisson(prep.items[rows] * cf)
    extra = np.maximum(items - cf * prep.area[rows] / M2_PER_ITEM, 0.0)
    keep = extra > 0
    finds_at, finds_extra, finds_row = flat[keep], extra[keep], rows[keep]
    del contaminated, flat, rows, cf, items, extra, keep

    # NTS queue: SHAs in dispatch order at the pooled survey rate
    if prep.survey_pool > 0:
        survey_rate = prep.survey_pool * np.exp(prep.survey_mu + prep.survey_sigma * zs)
        t_nts = prep.nts_cum[col] / survey_rate[None, :]
        if prep.nts_travel.any():  # travel from the plan (adding zeros would change nothing)
            t_nts += prep.nts_travel[col]
    else:
        t_nts = np.zeros((n, runs))
    cidx = np.flatnonzero(cancel)
    # what waits for NTS in the TS/clearance queues (a cancelled area never enters them)
    queued32 = t_nts.astype(np.float32)
    queued32.ravel()[cidx] = 0.0

    # TS and clearance queues, one per asset type, over the work sequence (each area's TS and
    # its clearance, in the plan's order of them), restricted to the areas the type works on.
    # Float32: working days up to the horizon keep a resolution far below a day.
    area_cl = clear_frac
    area_cl *= prep.area.astype(np.float32)[col]
    area_ts = (prep.area * prep.ts_fraction).astype(np.float32)[col] * reduce
    done = np.zeros((n, runs), np.float32)
    ts_done = np.zeros((n, runs), np.float32)
    finds_col = finds_at % runs
    for k in range(3):
        q = prep.queues[k]
        if prep.pool[k] <= 0 or q is None:
            continue
        areas, rows_area, ts_pos, cl_pos = q
        full = len(areas) == n
        paired = prep.paired[k]
        m = len(areas)
        inv = (
            np.exp(-(prep.log_median[k][:, None] + prep.log_sigma[k][:, None] * zc[k][None, :])) / prep.pool[k]
        ).astype(np.float32)
        per_m2 = np.take(inv, prep.clutter if full else prep.clutter[areas], axis=0)  # (areas, runs): days per m²
        per_m2 *= prep.share_slow[areas, k].astype(np.float32)[col]
        q_k = queued32 if full else np.take(queued32, areas, axis=0)  # np.take: rows, fast
        w_cl = (area_cl if full else np.take(area_cl, areas, axis=0)) * per_m2
        if prep.tfind[k] > 0 and len(finds_at):  # the finds' time
            at = finds_row if full else prep.area_pos[k][finds_row]
            ok = at >= 0
            extra = finds_extra[ok] * (prep.share[finds_row[ok], k] * prep.tfind[k] / prep.pool[k])
            w_cl[at[ok], finds_col[ok]] += extra.astype(np.float32)
        w_ts = per_m2
        w_ts *= area_ts if full else np.take(area_ts, areas, axis=0)
        del per_m2
        if paired:
            ts_k, cl_k = paired_queue(w_ts, w_cl, q_k)
        else:
            # the plan's sequence of TS and clearance rows
            w = np.empty((2 * m, runs), np.float32)
            w[cl_pos] = w_cl
            w[ts_pos] = w_ts
            s_ = np.cumsum(w, axis=0, dtype=np.float32)
            w -= s_  # minus the start offset
            w += np.take(queued32, rows_area, axis=0)
            np.maximum.accumulate(w, axis=0, out=w)
            w += s_  # completion time of each row's share in this queue
            del s_
            ts_k, cl_k = np.take(w, ts_pos, axis=0), np.take(w, cl_pos, axis=0)
            del w
        del w_ts, w_cl
        if full:
            np.maximum(ts_done, ts_k, out=ts_done)
            np.maximum(done, cl_k, out=done)
        else:
            ts_done[areas] = np.maximum(ts_k, np.take(ts_done, areas, axis=0), out=ts_k)
            done[areas] = np.maximum(cl_k, np.take(done, areas, axis=0), out=cl_k)
        del ts_k, cl_k
    np.maximum(done, ts_done, out=done)
    if prep.no_capacity.any():
        done[prep.no_capacity, :] = np.inf
        ts_done[prep.no_capacity, :] = np.inf

    # outputs (the float32 times are widened exactly to float64 before they are cut into months)
    inv_wpm = 1.0 / prep.wd_per_month

    def month(t: np.ndarray) -> np.ndarray:
        m = np.multiply(t, inv_wpm, dtype=np.float64)
        np.fmin(m, prep.months, out=m)  # beyond the horizon (or never: inf) → the last bin
        return m.astype(np.intp)

    run_base = np.arange(runs, dtype=np.intp) * m1
    released = np.zeros((runs, m1, 3))
    c_area, c_run = np.divmod(cidx, runs)
    m_nts = month(t_nts.ravel()[cidx])
    released[:, :, 0] = np.bincount(run_base[c_run] + m_nts, weights=prep.area[c_area], minlength=runs * m1).reshape(
        runs, m1
    )
    ridx = np.flatnonzero(reduce)
    r_area, r_run = np.divmod(ridx, runs)
    released[:, :, 1] = np.bincount(
        run_base[r_run] + month(ts_done.ravel()[ridx]),
        weights=np.maximum(prep.area[r_area] - area_cl.ravel()[ridx], 0.0),  # float32 rounding never negative
        minlength=runs * m1,
    ).reshape(runs, m1)
    del ts_done, ridx, r_area, r_run
    m_done = month(done)
    area_month = m_done.astype(np.uint16)  # when each area is released: its clearance, or its NTS if cancelled
    area_month.ravel()[cidx] = m_nts
    m_done += run_base[None, :]
    released[:, :, 2] = np.bincount(m_done.ravel(), weights=area_cl.ravel(), minlength=runs * m1).reshape(runs, m1)
    del m_done
    area_done = done.astype(np.float64)  # when each area is released (working days)
    area_done.ravel()[cidx] = t_nts.ravel()[cidx]
    # np.take copies whole rows, several times faster here than fancy indexing
    region_done = np.maximum.reduceat(np.take(area_done, prep.region_perm, axis=0), prep.region_starts, axis=0).T
    overall = region_done.max(axis=1) if n else np.zeros(runs)  # the regions cover every area
    return BlockResult(None, released, region_done, overall, area_month)


def month_histogram(area_month: np.ndarray, months: int, chunk_elements: int = 4_000_000) -> np.ndarray:
    """(n, months + 1) counts of runs per completion month, from an (n, runs) matrix of month
    indices; counted in chunks of areas so the temporaries stay small."""
    n, runs = area_month.shape
    m1 = months + 1
    out = np.zeros((n, m1), np.uint16 if runs < 65535 else np.int32)
    step = max(1, chunk_elements // max(runs, 1))
    for a in range(0, n, step):
        b = min(n, a + step)
        idx = np.add(area_month[a:b, :], (np.arange(b - a, dtype=np.intp) * m1)[:, None], dtype=np.intp)
        out[a:b] = np.bincount(idx.ravel(), minlength=(b - a) * m1).reshape(b - a, m1)
    return out


def merge(results: Sequence[BlockResult]) -> BlockResult:
    """Combine group results in group order (their histograms are added)."""
    hist = np.zeros(results[0].area_hist.shape, np.int32) if results[0].area_hist is not None else None
    for r in results:
        if r.area_hist is None or hist is None:
            raise ValueError("merge needs group results with their histograms")
        hist += r.area_hist
    kept = [r.area_month for r in results if r.area_month is not None]
    return BlockResult(
        hist,
        np.concatenate([r.released for r in results]),
        np.concatenate([r.region_done for r in results]),
        np.concatenate([r.overall_done for r in results]),
        np.concatenate(kept, axis=1) if kept and len(kept) == len(results) else None,
    )


def simulate_group(prep: Prepared, sizes: Sequence[int], seeds: Sequence[np.random.SeedSequence]) -> BlockResult:
    """Several consecutive blocks, merged (one Dask task). The per-area completion months are
    counted once per group (counting them per block would cost areas × months each time)."""
    blocks = [simulate_block(prep, s, q) for s, q in zip(sizes, seeds, strict=True)]
    months = np.concatenate([b.area_month for b in blocks if b.area_month is not None], axis=1)
    return BlockResult(
        month_histogram(months, prep.months),
        np.concatenate([b.released for b in blocks]),
        np.concatenate([b.region_done for b in blocks]),
        np.concatenate([b.overall_done for b in blocks]),
        months if prep.keep_run_months else None,
    )


Mapper = Callable[[Prepared, list[tuple[list[int], list[np.random.SeedSequence]]]], list[BlockResult]]
"""Runs groups of blocks somewhere (in-process, or on Dask) and returns their results in order."""


def threaded(workers: int | None = None) -> Mapper:
    """Run the groups on threads in this process (default: one per core, at most 4). NumPy
    releases the GIL in its loops, so this uses the cores without copying the problem."""
    n = workers or min(os.cpu_count() or 1, 4)

    def run(prep: Prepared, groups: list[tuple[list[int], list[np.random.SeedSequence]]]) -> list[BlockResult]:
        if n <= 1 or len(groups) <= 1:
            return [simulate_group(prep, sizes, seeds) for sizes, seeds in groups]
        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(lambda g: simulate_group(prep, g[0], g[1]), groups))

    run.workers = n  # type: ignore[attr-defined]
    return run


# ---------------------------------------------------------------- results


def _q(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """P10/P50/P90 as order statistics (inverted CDF), so infinite values stay exact."""
    return np.quantile(values, QUANTILES, axis=axis, method="inverted_cdf")


@dataclass(slots=True)
class ForecastResult:
    """A forecast: per area, region and overall dates with bands, and release by month."""

    start: date
    horizon_years: int
    runs: int
    seed: int
    working_days_per_year: float
    codes: np.ndarray  # dispatch order
    area_m2: np.ndarray
    regions: list[str]
    region_areas: list[int]
    area_month_q: np.ndarray  # (n, 3) month index of P10/P50/P90 completion; == months: beyond horizon
    area_done_share: np.ndarray  # (n,) share of runs in which the area is released within the horizon
    region_days_q: np.ndarray  # (3, regions) working days
    overall_days_q: np.ndarray  # (3,)
    cumulative_m2: np.ndarray  # (runs, months) released by the end of each month
    monthly_by_method: np.ndarray  # (runs, months, 3)
    mix: ReleaseModel
    expected_split: dict[ReleaseMethod, float]
    capacity: Capacity
    name: str = "register"
    notes: list[str] = field(default_factory=list)
    p_any: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n,) in dispatch order
    # (n, runs) uint16 release month of every run (== months: beyond the horizon), when kept:
    # what readiness takes joint quantiles over (several areas late in the same run)
    area_run_month: np.ndarray | None = None
    outcome_p: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # (n, 3) cancelled/reduced/cleared

    @property
    def months(self) -> int:
        return self.horizon_years * 12

    @property
    def total_m2(self) -> float:
        return float(self.area_m2.sum())

    def day_to_date(self, working_days: float) -> date | None:
        if not math.isfinite(working_days) or working_days > self.horizon_years * self.working_days_per_year:
            return None
        return self.start + timedelta(days=round(working_days * 365.25 / self.working_days_per_year))

    def month_end(self, m: int) -> date | None:
        """The date by which month index ``m`` (0 = the first month) has ended; None beyond the horizon."""
        if m >= self.months:
            return None
        return self.start + timedelta(days=round((m + 1) * 365.25 / 12))

    def released_at_years(self, years: float) -> np.ndarray:
        """P10/P50/P90 km² released by the end of ``years`` (NaN beyond the horizon)."""
        m = round(years * 12) - 1
        if m < 0 or m >= self.months:
            return np.full(3, np.nan)
        return _q(self.cumulative_m2[:, m]) / 1e6

    def years_to_share(self, share: float) -> np.ndarray:
        """P10/P50/P90 years until ``share`` of the suspected area is released (inf: not within horizon)."""
        reached = self.cumulative_m2 >= share * self.total_m2 * (1 - 1e-9)
        first = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, np.inf) / 12.0
        return _q(first)

    def share_date_band(self, share: float) -> list[date | None]:
        return [self.month_end(round(y * 12) - 1) if math.isfinite(y) else None for y in self.years_to_share(share)]

    def burn_down_km2(self) -> np.ndarray:
        """(3, months+1) remaining suspected km² at the start and after each month: P10/P50/P90
        of the *remaining* area (P10 row = the optimistic, lower remaining)."""
        remaining = (self.total_m2 - self.cumulative_m2) / 1e6
        q = _q(remaining)
        start = np.full((3, 1), self.total_m2 / 1e6)
        return np.concatenate([start, q], axis=1)

    def band(self) -> list[dict[str, Any]]:
        """The burn-down band as the dashboards chart it: one entry per month ("YYYY-MM") with
        the P10/P50/P90 suspected km² still open at its end (the first entry: the start)."""
        burn = self.burn_down_km2()
        months = [self.start] + [self.month_end(m) for m in range(self.months)]
        return [
            {
                "month": f"{d.year:04d}-{d.month:02d}",
                "p10": float(burn[0, i]),
                "p50": float(burn[1, i]),
                "p90": float(burn[2, i]),
            }
            for i, d in enumerate(months)
            if d is not None
        ]

    def area_summaries(self) -> dict[str, dict[str, Any]]:
        """Per hazard code, a flat summary of its forecast (for the map's side panel)."""
        out: dict[str, dict[str, Any]] = {}
        for k, code in enumerate(self.codes):
            q = self.area_month_q[k]
            item: dict[str, Any] = {
                f"released_by_p{int(p * 100)}": (
                    d.strftime("%Y-%m") if (d := self.month_end(int(q[i]))) else f"beyond {self.horizon_years} years"
                )
                for i, p in enumerate(QUANTILES)
            }
            item["released_within_horizon"] = round(float(self.area_done_share[k]), 4)
            if len(self.p_any) == len(self.codes):
                item["p_any_eo"] = round(float(self.p_any[k]), 4)
                item["p_cancelled_by_nts"] = round(float(self.outcome_p[k, 0]), 4)
                item["p_reduced_by_ts"] = round(float(self.outcome_p[k, 1]), 4)
                item["p_cleared_in_full"] = round(float(self.outcome_p[k, 2]), 4)
            item["dispatch_position"] = k + 1
            item["runs"] = self.runs
            item["seed"] = self.seed
            item["start"] = self.start.isoformat()
            out[str(code)] = item
        return out

    def headline(self) -> str:
        """One sentence with the bands, e.g. "50 % released by 2029-03 (P10–P90 …); all by …"."""
        half = self.share_date_band(0.5)
        done = [self.day_to_date(d) for d in self.overall_days_q]
        horizon = f"the {self.horizon_years}-year horizon"

        def fmt(d: date | None) -> str:
            return d.strftime("%Y-%m") if d else f"beyond {horizon}"

        text = f"{self.total_m2 / 1e6:,.1f} km² suspected in {len(self.codes):,} hazard areas: "
        if half[1] is not None:
            text += f"50 % released by {fmt(half[1])} (P10–P90 {fmt(half[0])} – {fmt(half[2])}); "
        else:
            text += f"50 % not released within {horizon} (P50); "
        if done[2] is not None:
            text += f"all by {fmt(done[1])} (P10–P90 {fmt(done[0])} – {fmt(done[2])})."
        elif done[1] is not None:
            text += f"all by {fmt(done[1])} at P50, but beyond {horizon} at P90."
        else:
            share = float(np.mean(self.cumulative_m2[:, -1])) / max(self.total_m2, 1e-9)
            text += f"not all within {horizon} (P50); {share:.0%} released by then on average."
        return text

    def as_dict(self, *, per_area: bool = True) -> dict[str, Any]:
        """The forecast as plain data (JSON-ready): for the CLI, the web dashboards and reports."""
        months = self.months
        cum_q = _q(self.cumulative_m2) / 1e6
        monthly_q = _q(self.monthly_by_method) / 1e6  # (3, months, 3)
        monthly_mean = self.monthly_by_method.mean(axis=0) / 1e6
        month_ends = [self.month_end(m) for m in range(months)]
        burn = self.burn_down_km2()

        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        out: dict[str, Any] = {
            "name": self.name,
            "start": self.start.isoformat(),
            "horizon_years": self.horizon_years,
            "runs": self.runs,
            "seed": self.seed,
            "working_days_per_year": self.working_days_per_year,
            "hazard_areas": len(self.codes),
            "total_km2": self.total_m2 / 1e6,
            "headline": self.headline(),
            "quantiles": list(QUANTILES),
            "overall_completion": {
                f"p{int(q * 100)}": iso(self.day_to_date(d))
                for q, d in zip(QUANTILES, self.overall_days_q, strict=True)
            },
            "share_released_by": {
                f"{int(s * 100)}%": {
                    f"p{int(q * 100)}": iso(d) for q, d in zip(QUANTILES, self.share_date_band(s), strict=True)
                }
                for s in (0.5, 0.9)
            },
            "released_km2_at_years": {
                str(y): {
                    f"p{int(q * 100)}": (None if math.isnan(v) else float(v))
                    for q, v in zip(QUANTILES, self.released_at_years(y), strict=True)
                }
                for y in (1, 2, 5, 10)
                if y <= self.horizon_years
            },
            "regions": [
                {
                    "region": r,
                    "hazard_areas": self.region_areas[j],
                    **{
                        f"p{int(q * 100)}": iso(self.day_to_date(float(self.region_days_q[i, j])))
                        for i, q in enumerate(QUANTILES)
                    },
                }
                for j, r in enumerate(self.regions)
            ],
            "band": self.band(),
            "burn_down": {
                "month_end": [self.start.isoformat()] + [iso(d) for d in month_ends],
                "remaining_km2_p10": burn[0].tolist(),
                "remaining_km2_p50": burn[1].tolist(),
                "remaining_km2_p90": burn[2].tolist(),
            },
            "released_cumulative_km2": {
                "month_end": [iso(d) for d in month_ends],
                **{f"p{int(q * 100)}": cum_q[i].tolist() for i, q in enumerate(QUANTILES)},
            },
            "released_per_month_km2": {
                "month_end": [iso(d) for d in month_ends],
                **{
                    m.value: {
                        "mean": monthly_mean[:, j].tolist(),
                        **{f"p{int(q * 100)}": monthly_q[i, :, j].tolist() for i, q in enumerate(QUANTILES)},
                    }
                    for j, m in enumerate(METHODS)
                },
            },
            "release_mix": {
                **self.mix.as_dict(),
                "expected_split": {m.value: v for m, v in self.expected_split.items()},
                "target_split": {m.value: v for m, v in GLOBAL_2022_SPLIT.items()},
            },
            "capacity": self.capacity.as_dict(),
            "notes": list(self.notes),
        }
        if per_area:
            out["areas"] = [
                {
                    "code": str(c),
                    "area_m2": float(a),
                    "p_released_within_horizon": float(s),
                    **{f"p{int(q * 100)}": iso(self.month_end(int(mq[i]))) for i, q in enumerate(QUANTILES)},
                    **(
                        {
                            "p_any": float(self.p_any[k]),
                            "p_cancelled": float(self.outcome_p[k, 0]),
                            "p_reduced": float(self.outcome_p[k, 1]),
                            "p_cleared_in_full": float(self.outcome_p[k, 2]),
                        }
                        if len(self.p_any) == len(self.codes)
                        else {}
                    ),
                }
                for k, (c, a, s, mq) in enumerate(
                    zip(self.codes, self.area_m2, self.area_done_share, self.area_month_q, strict=True)
                )
            ]
        return out


def summarise(prep: Prepared, merged: BlockResult, **meta: Any) -> ForecastResult:
    runs = merged.released.shape[0]
    months = prep.months
    assert merged.area_hist is not None
    cum_hist = np.cumsum(merged.area_hist, axis=1, dtype=np.int32)  # counts of runs: int32 is exact, and fast
    area_q = np.stack([(cum_hist >= math.ceil(q * runs - 1e-9)).argmax(axis=1) for q in QUANTILES], axis=1)
    inside = merged.released[:, :months, :]
    return ForecastResult(
        codes=prep.codes,
        area_m2=prep.area,
        regions=prep.regions,
        region_areas=np.diff(np.append(prep.region_starts, prep.n)).tolist(),
        area_month_q=area_q,
        area_done_share=1.0 - merged.area_hist[:, months] / runs if prep.n else np.zeros(0),
        region_days_q=_q(merged.region_done) if prep.regions else np.zeros((3, 0)),
        overall_days_q=_q(merged.overall_done),
        cumulative_m2=np.cumsum(inside.sum(axis=2), axis=1),
        monthly_by_method=inside,
        area_run_month=merged.area_month,
        **meta,
    )


def forecast(
    portfolio: Portfolio,
    capacity: Capacity,
    *,
    mix: ReleaseModel | None = None,
    dispatch_order: Sequence[str] | np.ndarray | None = None,
    stage_order: Sequence[tuple[str, ActivityKind]] | None = None,
    survey_travel: Mapping[str, float] | None = None,
    horizon_years: int = 10,
    runs: int = 1000,
    seed: int = 0,
    working_days_per_year: float = 220.0,
    start: date | None = None,
    mapper: Mapper | None = None,
    groups: int | None = None,
    name: str = "register",
    keep_run_months: bool = False,
    mix_draws: Sequence[ReleaseModel] | None = None,
) -> ForecastResult:
    """Forecast the release of ``portfolio`` with ``capacity``.

    ``mix`` defaults to the mix calibrated to the 2022 global split on this portfolio;
    ``dispatch_order`` (hazard codes) defaults to :func:`default_dispatch_order`;
    ``stage_order`` (hazard code, TS or clearance, as the plan starts them) orders the
    TS/clearance queues' work (default: each area's TS then its clearance); ``survey_travel``
    (hazard code → calendar days a survey team travels to its NTS, from the plan) is added to
    the survey queue (default: none); ``mapper``
    runs the blocks elsewhere (default: threads here; or Dask), in ``groups`` tasks (default:
    one per worker); the result does not depend on either. ``keep_run_months`` keeps every
    run's release month of each area (areas × runs, two bytes each) for joint quantiles.
    ``mix_draws``: release models drawn from the release split's posterior
    (:func:`~landrelease.planning.release_model.posterior_mixes`); each run takes one at random
    (from its block's seeded stream), so the band carries the split's uncertainty. ``mix`` is
    then their expected model: it fixes the asset types' shares and the outcome probabilities.
    """
    if not 1 <= horizon_years <= 200:
        raise ValueError("horizon_years must lie between 1 and 200")
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if len(portfolio) == 0:
        raise InfeasibleError([Problem("there is no open hazard area to forecast")], "nothing to forecast")
    pools = [capacity.get(a) for a in (*CLEARANCE_ASSETS, SURVEY_ASSET)]
    working = [c for c in pools if c is not None and c.units * c.availability >= MIN_UNITS]
    if not working:
        raise InfeasibleError(
            [
                Problem(
                    "no capacity to release land with",
                    field="capacity",
                    expected="teams of type " + ", ".join(a.value for a in (*CLEARANCE_ASSETS, SURVEY_ASSET)),
                )
            ],
            "nothing can be forecast",
        )
    if mix is None:
        mix = calibrate_mix(portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site)
    order, not_open = resolve_dispatch_order(portfolio, dispatch_order)
    prep = prepare(portfolio, capacity, mix, order, horizon_years, working_days_per_year, stage_order, survey_travel)
    prep.keep_run_months = keep_run_months
    if mix_draws and mix.by_survey:
        prep.draw_cancel = np.array([m.cancel_clean for m in mix_draws], np.float32)
        prep.draw_reduce = np.array([m.reduce_clean for m in mix_draws], np.float32)
    sizes = block_sizes(runs, prep.n)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    mapper = mapper or threaded()
    g = max(1, min(groups or int(getattr(mapper, "workers", 1)), len(sizes)))
    bounds = np.linspace(0, len(sizes), g + 1).round().astype(int)
    jobs = [(sizes[a:b], seeds[a:b]) for a, b in itertools.pairwise(bounds) if b > a]
    results = mapper(prep, jobs)
    notes = []
    if not_open:
        notes.append(
            f"{len(not_open)} hazard code(s) of the dispatch order are not among the areas forecast "
            f"(released or unknown) and were left out, e.g. {', '.join(not_open[:3])}"
        )
    if dispatch_order is not None:
        notes.append("dispatch order: as given (the plan), then the default priority order")
    else:
        notes.append(
            "dispatch order: by land use (roads and rail, cemeteries and religious sites, settlements, farmland, "
            "infrastructure, the rest), smaller areas first"
        )
    if mix.by_survey and prep.survey_pool <= 0:
        notes.append("no survey (drone_survey) or manual capacity: nothing can be cancelled by NTS")
    elif nts_assets(a for a, c in capacity.assets.items() if c.units * c.availability >= MIN_UNITS) == (
        AssetType.MANUAL,
    ):
        share = prep.survey_pool / max(
            prep.survey_pool + prep.pool[CLEARANCE_ASSETS.index(AssetType.MANUAL)], MIN_UNITS
        )
        notes.append(
            f"no survey teams: the manual teams do the NTS ({share:.0%} of the deminers' time, at "
            f"{NTS_PRIORS[AssetType.MANUAL].median_m2_per_day:,.0f} m² per deminer-day, an assumption)"
        )
    if prep.pool.sum() <= 0:
        notes.append("no manual, MDD or mechanical capacity: nothing can be reduced or cleared")
    if prep.no_capacity.any():
        notes.append(f"{int(prep.no_capacity.sum())} area(s) have no eligible clearance capacity")
    notes.append(
        "release mix calibrated to the 2022 global split of released land (Landmine Monitor 2023), "
        "used here as the split of the whole suspected area (an assumption)"
    )
    probs = outcome_probabilities(portfolio.p_any[order], portfolio.sha[order], portfolio.dense_site[order], mix)
    if prep.survey_pool <= 0:  # nothing can be cancelled without survey teams: that land is cleared
        probs = {
            **probs,
            ReleaseMethod.CLEARED: probs[ReleaseMethod.CLEARED] + probs[ReleaseMethod.CANCELLED],
            ReleaseMethod.CANCELLED: np.zeros(len(order)),
        }
    return summarise(
        prep,
        merge(results),
        p_any=portfolio.p_any[order],
        outcome_p=np.stack([probs[m] for m in METHODS], axis=1),
        start=start or date.today(),
        horizon_years=horizon_years,
        runs=runs,
        seed=seed,
        working_days_per_year=working_days_per_year,
        mix=mix,
        expected_split=expected_split(
            portfolio.area_m2,
            portfolio.p_any,
            portfolio.sha,
            portfolio.dense_site,
            mix if prep.survey_pool > 0 else replace(mix, cancel_clean=0.0),
        ),
        capacity=capacity,
        name=name,
        notes=notes,
    )


__all__ = [
    "CLEARANCE_ASSETS",
    "DISPATCH_RANK",
    "METHODS",
    "QUANTILES",
    "AssetCapacity",
    "BlockResult",
    "Capacity",
    "ForecastResult",
    "Portfolio",
    "Prepared",
    "block_sizes",
    "default_dispatch_order",
    "forecast",
    "merge",
    "paired_queue",
    "prepare",
    "simulate_block",
    "simulate_group",
    "threaded",
]
