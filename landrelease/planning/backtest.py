"""Backtest: does the forecast hold against what a programme really released?

From a published programme (:mod:`landrelease.planning.programme`) the backtest builds the
contaminated area at the start, forecasts with the capacity the programme published — never
looking at its published release — and compares each year's published km² with the
forecast's P10/P50/P90 of that year's release. Two figures sum it up:

- **coverage**: the share of scored years whose published release lies inside P10–P90 (an
  honest 80 % band covers about 80 %);
- **sharpness**: the median P90/P10 over those years (1 is a point; a band whose top is five
  times its bottom helps nobody decide).

How a programme becomes a forecast (the assumptions, printed with every result):

- The start area is cut into ``n_areas`` hazard areas, SHA and CHA separately, with sizes
  drawn once from a lognormal (fixed seed) and scaled to the published km²; every area is
  flat, machine-accessible and of low clutter, with the forecast's default probabilities of
  holding EO (SHA 0.04, CHA 0.7). Where the split is not published the programme file's rule
  applies (:meth:`~landrelease.planning.programme.Area.split_km2`).
- Capacity is what the programme published for that year, or the latest earlier published
  figure (the row says which). Published counts map to asset types as deminers → manual,
  MDD teams → mdd, machines → mechanical, survey teams → drone_survey; a headcount without a
  split counts as manual deminers. Rates are the published priors (no tuning). An asset the
  programme did not publish is absent: with no survey teams, nothing is cancelled by NTS.
- The forecast core takes one fleet for its whole horizon, so each year is read from a
  forecast that ran with that year's fleet from the start: year k's release is the release
  between the end of year k−1 and the end of year k, run by run.
- A year is scored only when its published release covers every method (or gives a total)
  and a capacity is available; a capacity of one operator only is a lower bound, and the
  row is flagged.

Two priors (``prior=``):

- ``published`` (:data:`PUBLISHED`): the published per-unit rates of the productivity model
  (30 m²/day per deminer, …) and the release model calibrated to the 2022 global split; NTS
  only where the programme publishes survey teams.
- ``others`` (:func:`others_prior`, leave-one-out): what the *other* programmes published,
  never the held-out programme's own release. (1) Productivity: each other programme-year
  with capacity published for that very year and its reduced + cleared km² published gives
  one observation of log(km² reduced + cleared per published unit-year); a programme's
  observations are averaged, then the programmes (one vote each). The spread is the
  between-programme standard deviation of those means, never below the manual prior's 0.7
  (with one other programme it is 0.7). The engine's rate is m² *searched* per day, so the
  release rate is multiplied by the release model's searched/released ratio on the held-out
  start area (TS searches only part of what it reduces) and divided by the working days.
  (2) The release split: each other programme's published shares (years that split all three
  methods) averaged over programmes; the release model is calibrated to it. (3) NTS: where
  the programme publishes survey teams they work at the published prior; where it does not,
  one pooled survey capacity is set so that the expected cancelled km² per year is
  s/(1−s) × the expected reduced + cleared km² per year, s the others' cancelled share (its
  spread is the rate's, widened by the others' spread of log(s/(1−s))). CHAs are not
  cancelled (:data:`~landrelease.planning.release_model.CHA_CANCEL_RATIO` is 0 by default), so
  a programme whose start area is all CHA (Zimbabwe) releases by TS and clearance only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from landrelease.domain.enums import AssetType, ReleaseMethod
from landrelease.domain.errors import InfeasibleError, Problem
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast
from landrelease.planning.programme import CapacityFigure, Programme, Release
from landrelease.planning.release_model import ReleaseModel, calibrate_mix, expected_split, expected_stages

DEFAULT_AREAS = 300
MIN_PRIOR_SIGMA = 0.7
"""Smallest programme-to-programme spread of the leave-one-out rate: the manual prior's sigma."""
DEFAULT_RUNS = 400
AREA_SIZE_SIGMA = 1.0
"""Spread (log) of the synthetic hazard areas' sizes; a fixed assumption, not tuned."""


@dataclass(frozen=True, slots=True)
class YearRow:
    """One year of a backtest."""

    year: int
    published_km2: float | None
    p10_km2: float
    p50_km2: float
    p90_km2: float
    inside: bool | None
    scored: bool
    capacity_year: int | None
    capacity: dict[str, float]
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "published_km2": self.published_km2,
            "p10_km2": self.p10_km2,
            "p50_km2": self.p50_km2,
            "p90_km2": self.p90_km2,
            "inside": self.inside,
            "scored": self.scored,
            "capacity_year": self.capacity_year,
            "capacity": self.capacity,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class BacktestResult:
    programme: str
    start_year: int
    start_km2: float
    start_split: tuple[float, float, str]
    runs: int
    seed: int
    rows: list[YearRow]
    assumptions: list[str] = field(default_factory=list)
    prior: dict[str, Any] = field(default_factory=dict)
    mix: dict[str, Any] = field(default_factory=dict)
    """The release model used (:class:`~landrelease.planning.release_model.ReleaseModel`) and
    its expected split over the start area."""

    @property
    def scored(self) -> list[YearRow]:
        return [r for r in self.rows if r.scored]

    @property
    def coverage(self) -> float | None:
        """Share of scored years whose published release lies inside P10–P90 (None: none scored)."""
        rows = self.scored
        if not rows:
            return None
        return sum(1 for r in rows if r.inside) / len(rows)

    @property
    def sharpness(self) -> float | None:
        """Median P90/P10 over the scored years (inf where P10 is zero; None: none scored)."""
        rows = self.scored
        if not rows:
            return None
        return float(np.median([band_ratio(r.p10_km2, r.p90_km2) for r in rows]))

    def as_dict(self) -> dict[str, Any]:
        def finite(x: float | None) -> float | None:
            return x if x is None or math.isfinite(x) else None

        return {
            "programme": self.programme,
            "start_year": self.start_year,
            "start_km2": self.start_km2,
            "start_sha_km2": self.start_split[0],
            "start_cha_km2": self.start_split[1],
            "start_split": self.start_split[2],
            "runs": self.runs,
            "seed": self.seed,
            "coverage": self.coverage,
            "sharpness": finite(self.sharpness),
            "sharpness_infinite": self.sharpness is not None and not math.isfinite(self.sharpness),
            "years_scored": len(self.scored),
            "years": [r.as_dict() for r in self.rows],
            "prior": dict(self.prior),
            "release_model": dict(self.mix),
            "assumptions": list(self.assumptions),
        }


@dataclass(frozen=True, slots=True)
class BacktestSummary:
    """Coverage and sharpness pooled over several programmes' scored years."""

    results: list[BacktestResult]

    @property
    def scored(self) -> list[YearRow]:
        return [r for res in self.results for r in res.scored]

    @property
    def coverage(self) -> float | None:
        """Share of all scored years (every programme) inside P10–P90.

        >>> BacktestSummary([]).coverage is None
        True
        """
        rows = self.scored
        return sum(1 for r in rows if r.inside) / len(rows) if rows else None

    @property
    def sharpness(self) -> float | None:
        """Median P90/P10 over all scored years."""
        rows = self.scored
        return float(np.median([band_ratio(r.p10_km2, r.p90_km2) for r in rows])) if rows else None

    def as_dict(self) -> dict[str, Any]:
        sharp = self.sharpness
        return {
            "coverage": self.coverage,
            "sharpness": sharp if sharp is None or math.isfinite(sharp) else None,
            "years_scored": len(self.scored),
            "programmes_scored": [r.programme for r in self.results if r.scored],
            "programmes": [r.as_dict() for r in self.results],
        }


def band_ratio(p10: float, p90: float) -> float:
    """P90/P10, with 1 for an empty band at zero and inf for a band from zero."""
    if p10 > 0:
        return p90 / p10
    return 1.0 if p90 <= 0 else math.inf


def synthetic_portfolio(sha_km2: float, cha_km2: float, n_areas: int = DEFAULT_AREAS, seed: int = 0) -> Portfolio:
    """``n_areas`` hazard areas (SHA and CHA in proportion to their km², at least one each
    when present) with lognormal sizes scaled to the published totals.

    >>> p = synthetic_portfolio(30.0, 10.0, n_areas=8)
    >>> round(float(p.area_m2.sum()) / 1e6, 6), int(p.sha.sum()), len(p)
    (40.0, 6, 8)
    """
    total = sha_km2 + cha_km2
    if total <= 0:
        raise InfeasibleError(
            [Problem("the start area is zero: nothing to forecast", field="start")], "nothing to backtest"
        )
    rng = np.random.default_rng(seed)
    n_sha = 0 if sha_km2 <= 0 else max(1, round(n_areas * sha_km2 / total))
    n_cha = 0 if cha_km2 <= 0 else max(1, n_areas - n_sha)
    parts = []
    for km2, n, is_sha in ((sha_km2, n_sha, True), (cha_km2, n_cha, False)):
        if n == 0:
            continue
        w = rng.lognormal(0.0, AREA_SIZE_SIGMA, n)
        parts.append((km2 * 1e6 * w / w.sum(), np.full(n, is_sha)))
    area = np.concatenate([a for a, _ in parts])
    sha = np.concatenate([s for _, s in parts])
    return Portfolio.from_arrays(area, sha=sha, codes=[f"P{i:05d}" for i in range(len(area))])


def capacity_of(figures: Sequence[CapacityFigure]) -> tuple[Capacity, dict[str, float], list[str]]:
    """The fleet from a year's published capacity figures: national figures where any are
    published (the largest per asset type), else the operators' added up (a lower bound)."""
    national = [f for f in figures if f.scope == "national"]
    notes: list[str] = []
    units: dict[AssetType, float] = {}
    if national:
        for f in national:
            for asset, u in f.units().items():
                units[asset] = max(units.get(asset, 0.0), u)
    else:
        for f in figures:
            for asset, u in f.units().items():
                units[asset] = units.get(asset, 0.0) + u
        names = ", ".join(sorted({f.operator or "?" for f in figures}))
        notes.append(f"capacity of {names} only: a lower bound on the programme's")
    if any(f.deminers is None and f.personnel is not None for f in figures):
        notes.append("a headcount without a split by asset counted as manual deminers")
    if AssetType.DRONE_SURVEY not in units:
        notes.append("no survey teams published: nothing can be cancelled by NTS")
    cap = Capacity({a: AssetCapacity.from_rate(a, u) for a, u in units.items()})
    return cap, {a.value: u for a, u in units.items()}, notes


def _capacity_for(programme: Programme, year: int) -> tuple[int | None, list[CapacityFigure]]:
    """The capacity published for ``year``, or the latest earlier published one."""
    best: tuple[int | None, list[CapacityFigure]] = (None, [])
    for py in programme.years:
        if py.year > year:
            break
        if py.capacity:
            best = (py.year, list(py.capacity))
    return best


@dataclass(frozen=True, slots=True)
class ProgrammePrior:
    """A programme-level prior: release per published unit-year, the release split and the
    cancelled share, with their spreads and the programme-years they come from.
    ``km2_per_unit_year`` None means the published per-unit rates of the productivity model."""

    name: str
    km2_per_unit_year: float | None = None
    sigma: float | None = None
    split: dict[ReleaseMethod, float] | None = None
    cancelled_share: float | None = None
    cancelled_logodds_sd: float = 0.0
    sources: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "km2_per_unit_year": self.km2_per_unit_year,
            "sigma": self.sigma,
            "split": None if self.split is None else {m.value: v for m, v in self.split.items()},
            "cancelled_share": self.cancelled_share,
            "cancelled_logodds_sd": self.cancelled_logodds_sd,
            "sources": list(self.sources),
        }


PUBLISHED = ProgrammePrior("published")
"""The published per-unit priors and the 2022 global split (what every forecast uses)."""


def _reduced_and_cleared(release: Release) -> float | None:
    if release.reduced_and_cleared_km2 is not None:
        return release.reduced_and_cleared_km2
    if release.reduced_km2 is not None and release.cleared_km2 is not None:
        return release.reduced_km2 + release.cleared_km2
    return None


def _full_split(release: Release) -> tuple[float, float, float] | None:
    if release.cancelled_km2 is None or release.reduced_km2 is None or release.cleared_km2 is None:
        return None
    return release.cancelled_km2, release.reduced_km2, release.cleared_km2


def others_prior(others: Sequence[Programme], held_out: str) -> ProgrammePrior:
    """The leave-one-out prior for ``held_out`` from ``others`` (the module text says how).
    A programme named ``held_out`` among ``others`` is skipped: it never informs itself.

    Two programmes, one held out: the prior is the other's.

    >>> a = Programme.model_validate({"programme": "A", "start_year": 2015,
    ...     "start": {"sha_km2": 10, "source": {"publication": "pub", "section": "s", "year": 2015}},
    ...     "years": [{"year": 2015, "release": {"cancelled_km2": 1, "reduced_km2": 1, "cleared_km2": 2,
    ...         "source": {"publication": "pub", "section": "s", "year": 2016}},
    ...       "capacity": [{"deminers": 100, "basis": "all", "scope": "national",
    ...         "source": {"publication": "pub", "section": "s", "year": 2016}}]}]})
    >>> p = others_prior([a], "B")
    >>> round(p.km2_per_unit_year, 3), p.sigma, round(p.cancelled_share, 2)
    (0.03, 0.7, 0.25)
    >>> others_prior([a], "A").km2_per_unit_year is None
    True
    """
    rate_means: list[float] = []
    splits: list[np.ndarray] = []
    logodds: list[float] = []
    sources: list[str] = []
    for prog in others:
        if prog.programme == held_out:
            continue
        logs: list[float] = []
        parts = np.zeros(3)
        cancelled = total = 0.0
        for py in prog.years:
            if py.release is None:
                continue
            rc = _reduced_and_cleared(py.release)
            if py.capacity and rc is not None and rc > 0:
                _, units, _ = capacity_of(py.capacity)
                u = sum(v for k, v in units.items() if k != AssetType.DRONE_SURVEY.value)
                if u > 0:
                    logs.append(math.log(rc / u))
                    sources.append(f"{prog.programme} {py.year}: {rc:g} km² reduced + cleared by {u:g} units")
            full = _full_split(py.release)
            if full is not None:
                parts += full
            if py.release.cancelled_km2 is not None and rc is not None:
                cancelled += py.release.cancelled_km2
                total += py.release.cancelled_km2 + rc
        if logs:
            rate_means.append(float(np.mean(logs)))
        if parts.sum() > 0:
            splits.append(parts / parts.sum())
        if total > 0 and 0 < cancelled < total:
            logodds.append(math.log(cancelled / (total - cancelled)))
    rate = float(math.exp(np.mean(rate_means))) if rate_means else None
    sigma = max(float(np.std(rate_means, ddof=1)) if len(rate_means) > 1 else 0.0, MIN_PRIOR_SIGMA)
    split = None
    if splits:
        m = np.mean(splits, axis=0)
        split = {
            ReleaseMethod.CANCELLED: float(m[0]),
            ReleaseMethod.REDUCED: float(m[1]),
            ReleaseMethod.CLEARED: float(m[2]),
        }
    share = float(1.0 / (1.0 + math.exp(-np.mean(logodds)))) if logodds else None
    lo_sd = float(np.std(logodds, ddof=1)) if len(logodds) > 1 else 0.0
    return ProgrammePrior(
        name="others",
        km2_per_unit_year=rate,
        sigma=sigma if rate is not None else None,
        split=split,
        cancelled_share=share,
        cancelled_logodds_sd=lo_sd,
        sources=tuple(sources),
    )


def prior_capacity(
    units: dict[str, float],
    prior: ProgrammePrior,
    portfolio: Portfolio,
    mix: ReleaseModel,
    working_days_per_year: float,
) -> tuple[Capacity, list[str]]:
    """The fleet of a year under ``prior``: published units; rates from the prior (see the module text)."""
    notes: list[str] = []
    if prior.km2_per_unit_year is None:
        cap = Capacity({AssetType(a): AssetCapacity.from_rate(AssetType(a), u) for a, u in units.items()})
        return cap, notes
    st = expected_stages(portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site, mix)
    released_by_work = float((st.reduced_m2 + st.clearance_m2).sum())
    searched_per_released = float((st.ts_m2 + st.clearance_m2).sum()) / released_by_work if released_by_work else 1.0
    per_unit_m2_day = prior.km2_per_unit_year * 1e6 * searched_per_released / working_days_per_year
    assets: dict[AssetType, AssetCapacity] = {}
    work_units = 0.0
    for a, u in units.items():
        asset = AssetType(a)
        if asset is AssetType.DRONE_SURVEY:
            assets[asset] = AssetCapacity.from_rate(asset, u)
            continue
        assets[asset] = AssetCapacity.from_rate(AssetType.MANUAL, u, rate=per_unit_m2_day, sigma=prior.sigma)
        assets[asset] = replace(assets[asset], asset=asset)
        work_units += u
    notes.append(
        f"rate: {prior.km2_per_unit_year:.4f} km² reduced + cleared per published unit-year "
        f"(the other programmes'), {per_unit_m2_day:,.0f} m² searched per unit-day, sigma {prior.sigma:.2f}"
    )
    s = prior.cancelled_share
    if AssetType.DRONE_SURVEY not in assets and s is not None and work_units > 0:
        cancel_per_m2_surveyed = float(st.cancelled_m2.sum()) / float(st.nts_m2.sum()) if st.nts_m2.sum() > 0 else 0.0
        if cancel_per_m2_surveyed > 0:
            target_cancel_m2_year = s / (1 - s) * prior.km2_per_unit_year * 1e6 * work_units
            survey_m2_day = target_cancel_m2_year / cancel_per_m2_surveyed / working_days_per_year
            sigma = math.hypot(prior.sigma or MIN_PRIOR_SIGMA, prior.cancelled_logodds_sd)
            assets[AssetType.DRONE_SURVEY] = AssetCapacity.from_rate(
                AssetType.DRONE_SURVEY, 1.0, rate=survey_m2_day, sigma=sigma
            )
            notes.append(
                f"NTS: no survey teams published; one pooled survey capacity cancels the others' share "
                f"{s:.0%} of release in expectation ({survey_m2_day / 1e6:,.3f} km² surveyed per day)"
            )
        else:
            notes.append("NTS: the release model cancels nothing on this start area")
    return Capacity(assets), notes


def backtest(
    programme: Programme,
    *,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    n_areas: int = DEFAULT_AREAS,
    working_days_per_year: float = 220.0,
    prior: ProgrammePrior = PUBLISHED,
) -> BacktestResult:
    """Forecast ``programme`` from its start with its published capacity and compare each
    year's published release with the forecast's band. The published release is read only to
    score, never to set the forecast."""
    sha_km2, cha_km2, how = programme.start.split_km2()
    portfolio = synthetic_portfolio(sha_km2, cha_km2, n_areas=n_areas, seed=seed)
    # The one release model, as every forecast uses it: calibrated to the 2022 global split.
    mix = calibrate_mix(portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site, target=prior.split)
    last = programme.years[-1].year
    horizon = max(1, last - programme.start_year + 1)
    cache: dict[int, np.ndarray] = {}  # capacity year → (runs, horizon) release per year in km²
    rows: list[YearRow] = []
    prior_lines: list[str] = []
    for py in programme.years:
        k = py.year - programme.start_year
        published = py.release.km2 if py.release is not None else None
        cap_year, figures = _capacity_for(programme, py.year)
        notes: list[str] = []
        if py.release is None:
            notes.append("no release published for this year")
        elif published is None:
            covered = ", ".join(sorted(m.value for m in py.release.covered()))
            notes.append(f"release published only for: {covered} (not scored)")
        if cap_year is None:
            notes.append("no capacity published for this year or before (not scored)")
            rows.append(YearRow(py.year, published, math.nan, math.nan, math.nan, None, False, None, {}, tuple(notes)))
            continue
        _, units, cap_notes = capacity_of(figures)
        cap, prior_notes = prior_capacity(units, prior, portfolio, mix, working_days_per_year)
        if prior.km2_per_unit_year is not None:
            cap_notes = [n for n in cap_notes if not n.startswith("no survey teams published")]
        notes += cap_notes
        prior_lines.extend(n for n in prior_notes if n not in prior_lines)
        if cap_year != py.year:
            notes.append(f"capacity carried from {cap_year} (none published for {py.year})")
        if cap_year not in cache:
            cache[cap_year] = _yearly_release_km2(portfolio, cap, mix, horizon, runs, seed, working_days_per_year)
        per_year = cache[cap_year][:, k]
        p10, p50, p90 = (float(v) for v in np.quantile(per_year, (0.1, 0.5, 0.9)))
        scored = published is not None
        inside = (p10 <= published <= p90) if published is not None else None
        rows.append(YearRow(py.year, published, p10, p50, p90, inside, scored, cap_year, units, tuple(notes)))
    assumptions = [
        f"start: {sha_km2:,.2f} km² SHA + {cha_km2:,.2f} km² CHA ({how}), cut into {len(portfolio)} areas "
        "(lognormal sizes), flat, accessible, low clutter, default probabilities of holding EO",
        "capacity: as published for the year, else the latest earlier published; held for the whole forecast",
    ]
    if prior.km2_per_unit_year is None:
        assumptions += [
            "rates: the published priors per asset type (not tuned to this programme)",
            "release mix: the one release model (planning/release_model.py) calibrated to the 2022 global split "
            "(Landmine Monitor 2023), as in every forecast",
        ]
    else:
        assumptions += [
            "prior: leave-one-out, from the other programmes' published capacity and release "
            f"({len(prior.sources)} programme-year(s)), never this programme's release",
            *prior_lines,
            "release mix: the one release model (planning/release_model.py) calibrated to the other programmes' "
            "split: " + ", ".join(f"{m.value} {v:.0%}" for m, v in (prior.split or {}).items()),
        ]
    split = expected_split(portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site, mix)
    return BacktestResult(
        programme=programme.programme,
        start_year=programme.start_year,
        start_km2=programme.start.km2,
        start_split=(sha_km2, cha_km2, how),
        runs=runs,
        seed=seed,
        rows=rows,
        assumptions=assumptions,
        mix={**mix.as_dict(), "expected_split": {m.value: v for m, v in split.items()}},
        prior=prior.as_dict(),
    )


def _yearly_release_km2(
    portfolio: Portfolio,
    capacity: Capacity,
    mix: ReleaseModel,
    horizon: int,
    runs: int,
    seed: int,
    working_days_per_year: float,
) -> np.ndarray:
    """(runs, horizon) km² released in each year of the forecast."""
    try:
        result = forecast(
            portfolio,
            capacity,
            mix=mix,
            horizon_years=horizon,
            runs=runs,
            seed=seed,
            working_days_per_year=working_days_per_year,
            start=date(2000, 1, 1),
            name="backtest",
        )
    except InfeasibleError:
        return np.zeros((runs, horizon))
    cum = result.cumulative_m2[:, 11::12][:, :horizon] / 1e6  # end of each year
    return np.diff(np.concatenate([np.zeros((cum.shape[0], 1)), cum], axis=1), axis=1)


__all__ = [
    "BacktestResult",
    "BacktestSummary",
    "YearRow",
    "backtest",
    "band_ratio",
    "capacity_of",
    "synthetic_portfolio",
]
