"""Productivity: how fast each kind of asset searches land, and what the project's own days say.

A rate is the area one *unit* of an asset searches in one working day: one deminer for
``manual``, one team (handler and dog, machine and crew, survey team) for the others. Rates
are lognormal: ``log(rate) ~ N(log(median), sigma²)``. The priors come from the published
figures in ``shared/reference/figures.md`` (the source of each is named next to it); they
vary widely between programmes, so their spread is wide. Daily reports then move them.

The modifiers for metal clutter, vegetation and slope are *assumptions* of this project,
not published figures: they encode what every operator reports qualitatively (metal
fragments make detectors alarm, dense growth must be cut first, machines need accessible
ground) and are the first thing a programme should replace with its own calibration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, Level
from landrelease.domain.task import DailyReport

LEVELS: tuple[Level, ...] = (Level.LOW, Level.MEDIUM, Level.HIGH)
LEVEL_INDEX: dict[Level, int] = {lv: i for i, lv in enumerate(LEVELS)}


@dataclass(frozen=True, slots=True)
class RatePrior:
    """Median m²/day per unit and the lognormal spread of that median, with its source."""

    asset: AssetType
    unit: str
    median_m2_per_day: float
    sigma: float
    source: str


PRIORS: dict[AssetType, RatePrior] = {
    # The seed article (Caliber.Az, Feb 2023): 50 m²/day per deminer in Karabakh; HALO Trust
    # "Manual demining": 10–50 m²/day; Digger DTR: 5–20 m²/day. Median 30, sigma 0.7 spans
    # roughly 7–120 m²/day at two sigma, covering all three.
    AssetType.MANUAL: RatePrior(
        AssetType.MANUAL, "deminer", 30.0, 0.7, "seed article 50; HALO 10–50; Digger DTR 5–20 m²/day per deminer"
    ),
    # The seed article: 750 m²/day with a dog (Karabakh); NATO SFOR Bosnia 2001: 800–900 m²/day
    # with 2 dogs; MAG (Ukraine, 2025): up to 1,500 m²/day per dog.
    AssetType.MDD: RatePrior(
        AssetType.MDD, "dog team", 750.0, 0.5, "seed article 750; NATO SFOR 800–900; MAG up to 1,500 m²/day"
    ),
    # Digger DTR: 300–1,800 m²/hour (D-250); DFID-funded report: Mine Wolf up to 12,000 m²/day;
    # Cambodia Daily: CMAC flail 15,000 m² per 5-hour day on flat ground. HALO: machines "will
    # not destroy all mines" — see MECHANICAL_FOLLOW_UP for how the forecast counts that.
    AssetType.MECHANICAL: RatePrior(
        AssetType.MECHANICAL, "machine", 6000.0, 0.6, "Digger 300–1,800 m²/h; Mine Wolf ≤12,000; CMAC 15,000 m²/day"
    ),
    # Humanity & Inclusion (Chad, 2020): ~3 km² of imagery in 2 hours — the upper bound. The
    # forecast uses survey teams for non-technical survey, which is slower than the flight
    # (visits, interviews, analysis: an SHA of 0.1–1 km² takes a team one to a few days), so
    # 0.15 km²/day per team is an assumption with a wide spread, to be calibrated.
    AssetType.DRONE_SURVEY: RatePrior(
        AssetType.DRONE_SURVEY, "survey team", 150_000.0, 0.8, "HI Chad 2020: ~3 km² in 2 h of flight; NTS pace assumed"
    ),
    # No published area rate in the reference figures: EOD teams do spot tasks (single items)
    # and battle-area clearance; 2,000 m²/day is an assumption. The forecast does not count EOD
    # teams as area capacity.
    AssetType.EOD: RatePrior(AssetType.EOD, "EOD team", 2000.0, 0.7, "assumption (no published figure)"),
}

NTS_PRIORS: dict[AssetType, RatePrior] = {
    # Non-technical survey by people (IMAS 08.10: survey teams visit the area, interview the
    # community, walk and look; nothing is searched). No published per-person NTS rate is in
    # the reference figures. The survey team's prior above (0.15 km²/day, NTS pace, a team of
    # about four people with imagery) gives ~37,500 m²/day per person; without the drone's
    # imagery a person on foot is taken at about half that: 20,000 m²/day per deminer, with a
    # wider spread (sigma 0.9) than the survey team's. An assumption, to be calibrated.
    AssetType.MANUAL: RatePrior(
        AssetType.MANUAL,
        "deminer",
        20_000.0,
        0.9,
        "assumption: half the survey team's NTS pace per person (HI Chad 2020 prior, ~4 people), no imagery",
    ),
}
"""m² of NTS one unit covers per working day, for asset types that do NTS besides their own work."""

MECHANICAL_FOLLOW_UP = 0.5
"""Share of a machine's ground-preparation rate that counts as clearance. HALO: machines
"will not destroy all mines", so prepared ground needs manual or MDD follow-up; the
forecast charges that follow-up by halving the machine's effective rate (assumption)."""

# Multipliers on the rate (assumptions, see the module docstring), indexed low/medium/high.
CLUTTER_FACTOR: dict[AssetType, tuple[float, float, float]] = {
    AssetType.MANUAL: (1.0, 0.7, 0.45),  # every fragment is a detector alarm to excavate
    AssetType.MDD: (1.0, 0.9, 0.8),  # dogs smell explosive, not metal
    AssetType.MECHANICAL: (1.0, 1.0, 1.0),
    AssetType.DRONE_SURVEY: (1.0, 0.85, 0.7),  # false alarms rise with clutter and need confirming
    AssetType.EOD: (1.0, 0.8, 0.6),
}
VEGETATION_FACTOR: dict[AssetType, tuple[float, float, float]] = {
    AssetType.MANUAL: (1.0, 0.75, 0.5),
    AssetType.MDD: (1.0, 0.85, 0.65),
    AssetType.MECHANICAL: (1.0, 0.9, 0.75),
    AssetType.DRONE_SURVEY: (1.0, 0.8, 0.6),
    AssetType.EOD: (1.0, 0.8, 0.6),
}
MAX_MACHINE_SLOPE_DEG = 20.0
"""Above this slope a remote-controlled machine is not deployed (assumption)."""

TIME_PER_FIND_DAYS: dict[AssetType, float] = {
    # Unit-days one find costs beyond the average find load already inside the published
    # rates (the global average is about one AP mine per 1,300 m² cleared). Assumptions.
    AssetType.MANUAL: 0.25,  # excavate, identify, mark: about 2 hours of one deminer
    AssetType.MDD: 0.1,  # the dog indicates, a deminer confirms
    AssetType.MECHANICAL: 0.05,
    AssetType.DRONE_SURVEY: 0.0,
    AssetType.EOD: 0.5,
}

OBSERVATION_SIGMA = 0.5
"""Day-to-day spread of one team's log-rate (known variance of the conjugate model)."""


def slope_factor(asset: AssetType, slope_deg: np.ndarray | float) -> np.ndarray:
    """Rate multiplier for slope: people and dogs slow down, machines more so (assumption)."""
    s = np.asarray(slope_deg, dtype=float)
    if asset is AssetType.MECHANICAL:
        return np.where(s > MAX_MACHINE_SLOPE_DEG, 0.0, np.clip(1.0 - s / 40.0, 0.5, 1.0))
    if asset is AssetType.DRONE_SURVEY:
        return np.ones_like(s)
    return np.clip(1.0 - s / 60.0, 0.5, 1.0)


def site_factor(
    asset: AssetType, clutter: np.ndarray, vegetation: np.ndarray, slope_deg: np.ndarray, *, with_clutter: bool = True
) -> np.ndarray:
    """Combined rate multiplier per area (clutter/vegetation as 0/1/2 class indices); 0 = not deployable.

    A deminer on flat, open, clean ground works at the full rate; on high clutter and dense
    vegetation at a quarter of it, slower still on a 30° slope; a machine is not deployed there:

    >>> site_factor(AssetType.MANUAL, np.array([0, 2, 2]), np.array([0, 2, 2]), np.array([0.0, 0.0, 30.0])).tolist()
    [1.0, 0.225, 0.1125]
    >>> site_factor(AssetType.MECHANICAL, np.array([0]), np.array([0]), np.array([30.0])).tolist()
    [0.0]
    """
    veg = np.asarray(VEGETATION_FACTOR[asset])[np.asarray(vegetation, dtype=int)]
    out = veg * slope_factor(asset, slope_deg)
    if with_clutter:
        out = out * np.asarray(CLUTTER_FACTOR[asset])[np.asarray(clutter, dtype=int)]
    return out


def units_of(team: Team) -> float:
    """Units a team counts for: its deminers for manual teams, else one team."""
    return float(max(team.size, 1)) if team.type is AssetType.MANUAL else 1.0


def sample_rates(median: float, sigma: float, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Lognormal draws of a rate (m²/day)."""
    return np.exp(np.log(median) + sigma * rng.standard_normal(size))


# ---------------------------------------------------------------- calibration


@dataclass(frozen=True, slots=True)
class RateEstimate:
    """Prior and posterior of one asset type's median rate on one clutter class."""

    asset: AssetType
    clutter: Level
    prior_median: float
    prior_sigma: float
    n_reports: int
    observed_median: float | None
    posterior_median: float
    posterior_sigma: float
    prior_source: str

    def as_dict(self) -> dict[str, object]:
        return {
            "asset": self.asset.value,
            "clutter": self.clutter.value,
            "prior_median_m2_per_day": self.prior_median,
            "prior_sigma": self.prior_sigma,
            "n_reports": self.n_reports,
            "observed_median_m2_per_day": self.observed_median,
            "posterior_median_m2_per_day": self.posterior_median,
            "posterior_sigma": self.posterior_sigma,
            "prior_source": self.prior_source,
        }


@dataclass(slots=True)
class Calibration:
    """Rates per asset type × clutter class, and what was left out of the data and why."""

    estimates: dict[tuple[AssetType, Level], RateEstimate]
    skipped: dict[str, int] = field(default_factory=dict)
    used: int = 0

    def estimate(self, asset: AssetType, clutter: Level) -> RateEstimate:
        return self.estimates[(asset, clutter)]

    def medians(self, asset: AssetType) -> np.ndarray:
        """Posterior median per clutter class (low, medium, high)."""
        return np.array([self.estimates[(asset, lv)].posterior_median for lv in LEVELS])

    def sigmas(self, asset: AssetType) -> np.ndarray:
        return np.array([self.estimates[(asset, lv)].posterior_sigma for lv in LEVELS])

    def as_dict(self) -> dict[str, object]:
        return {
            "used_reports": self.used,
            "skipped_reports": dict(self.skipped),
            "observation_sigma": OBSERVATION_SIGMA,
            "estimates": [e.as_dict() for e in self.estimates.values()],
        }


def fleet_priors(teams: Sequence[Team], priors: Mapping[AssetType, RatePrior] = PRIORS) -> dict[AssetType, RatePrior]:
    """Priors per asset type: the register's stated team rates where it has them, else published.

    A team's stated ``rate_m2_per_day`` is its whole-team median; per unit it is divided by
    the team's units. Several teams of a type give the geometric mean.
    """
    out = dict(priors)
    by_type: dict[AssetType, list[float]] = {}
    sig: dict[AssetType, list[float]] = {}
    for t in teams:
        if t.rate_m2_per_day and t.rate_m2_per_day > 0:
            by_type.setdefault(t.type, []).append(math.log(t.rate_m2_per_day / units_of(t)))
            if t.rate_sigma is not None and t.rate_sigma >= 0:
                sig.setdefault(t.type, []).append(t.rate_sigma)
    for asset, logs in by_type.items():
        base = priors[asset]
        sigma = float(np.mean(sig[asset])) if asset in sig else base.sigma
        out[asset] = RatePrior(asset, base.unit, float(math.exp(np.mean(logs))), sigma, "the register's team rates")
    return out


@dataclass(frozen=True, slots=True)
class UnitRate:
    """One asset type's per-unit median m²/working day by clutter class (low, medium, high)
    and the lognormal spread of the programme's rate: what the planner and the forecast use."""

    asset: AssetType
    median: tuple[float, float, float]
    sigma: tuple[float, float, float]

    @property
    def clutter_factor(self) -> tuple[float, float, float]:
        """The rate on each clutter class relative to low clutter (from the calibration)."""
        m0 = self.median[0]
        return (1.0, self.median[1] / m0, self.median[2] / m0) if m0 > 0 else (1.0, 1.0, 1.0)


def unit_rates(teams: Sequence[Team], calibration: Calibration | None = None) -> dict[AssetType, UnitRate]:
    """Every asset type's unit rate: the calibration's posterior where it used daily reports,
    else the register's stated team rates (:func:`fleet_priors`), else the published priors —
    each spread over the clutter classes by :data:`CLUTTER_FACTOR`.

    >>> r = unit_rates([])[AssetType.MANUAL]
    >>> r.median, r.clutter_factor[2]
    ((30.0, 21.0, 13.5), 0.45)
    """
    out: dict[AssetType, UnitRate] = {}
    priors = fleet_priors(teams)
    for asset in AssetType:
        if calibration is not None and calibration.used:
            med, sig = calibration.medians(asset), calibration.sigmas(asset)
            out[asset] = UnitRate(
                asset, (float(med[0]), float(med[1]), float(med[2])), (float(sig[0]), float(sig[1]), float(sig[2]))
            )
        else:
            p = priors[asset]
            f = CLUTTER_FACTOR[asset]
            r = p.median_m2_per_day
            out[asset] = UnitRate(asset, (r * f[0], r * f[1], r * f[2]), (p.sigma, p.sigma, p.sigma))
    return out


def posterior_log_rate(
    mu0: float, tau0: float, logs: np.ndarray, sigma: float = OBSERVATION_SIGMA
) -> tuple[float, float]:
    """Conjugate normal update of a log-rate with known observation variance.

    Returns the posterior mean and standard deviation. With no data it is the prior; with
    much data it approaches the data's mean, and the prior's weight is ``sigma²/tau0²``
    observations' worth, which is what shrinks thin data towards the prior.
    """
    n = len(logs)
    if n == 0:
        return mu0, tau0
    if tau0 <= 0:
        return mu0, 0.0
    precision = 1.0 / tau0**2 + n / sigma**2
    mean = (mu0 / tau0**2 + float(np.sum(logs)) / sigma**2) / precision
    return mean, math.sqrt(1.0 / precision)


def calibrate(
    reports: Iterable[DailyReport],
    teams: Sequence[Team],
    hazard_clutter: Mapping[str, Level],
    priors: Mapping[AssetType, RatePrior] | None = None,
    sigma: float = OBSERVATION_SIGMA,
) -> Calibration:
    """Posterior rates per asset type × clutter class from the project's daily reports.

    Each report gives one observation ``log(m² processed / units of the team)``. The prior
    for a clutter class is the asset's prior median times its clutter factor. Reports that
    cannot be used are counted by reason in ``skipped`` — never dropped silently: unknown
    team, no area processed (a day of finds or bad weather), hazard area unknown (so the
    clutter class is unknown).
    """
    priors = dict(priors) if priors is not None else fleet_priors(teams)
    team_by_code = {t.code: t for t in teams}
    obs: dict[tuple[AssetType, Level], list[float]] = {}
    skipped: dict[str, int] = {}
    used = 0
    for r in reports:
        team = team_by_code.get(r.team)
        if team is None:
            skipped["unknown team"] = skipped.get("unknown team", 0) + 1
            continue
        if not (r.m2_processed > 0 and math.isfinite(r.m2_processed)):
            skipped["no area processed"] = skipped.get("no area processed", 0) + 1
            continue
        clutter = hazard_clutter.get(r.hazard_code or "")
        if clutter is None:
            skipped["hazard area unknown"] = skipped.get("hazard area unknown", 0) + 1
            continue
        obs.setdefault((team.type, clutter), []).append(math.log(r.m2_processed / units_of(team)))
        used += 1
    estimates: dict[tuple[AssetType, Level], RateEstimate] = {}
    for asset in AssetType:
        prior = priors[asset]
        for i, lv in enumerate(LEVELS):
            mu0 = math.log(prior.median_m2_per_day * CLUTTER_FACTOR[asset][i])
            logs = np.asarray(obs.get((asset, lv), []), dtype=float)
            mean, sd = posterior_log_rate(mu0, prior.sigma, logs, sigma)
            estimates[(asset, lv)] = RateEstimate(
                asset=asset,
                clutter=lv,
                prior_median=math.exp(mu0),
                prior_sigma=prior.sigma,
                n_reports=len(logs),
                observed_median=float(math.exp(logs.mean())) if len(logs) else None,
                posterior_median=math.exp(mean),
                posterior_sigma=sd,
                prior_source=prior.source,
            )
    return Calibration(estimates=estimates, skipped=skipped, used=used)
