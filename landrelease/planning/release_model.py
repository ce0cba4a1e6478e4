"""The land-release model: one account of how a hazard area is released, and what each stage costs.

Most land in real programmes is released by survey, not clearance: in 2022 the States
Parties of the Mine Ban Treaty released 497.34 km², of which 219.31 km² were cleared (44 %),
121.11 km² reduced by technical survey (24 %) and 156.92 km² cancelled by non-technical
survey (32 %) (Landmine Monitor 2023). "Less than 5 % of SHAs prove to have any mines"
(Journal of Conventional Weapons Destruction 13.2). A forecast that sends every suspected
square metre to clearance lies by an order of magnitude.

For an area (its kind SHA/CHA, its size, whether it is a dense site) and its contamination
estimate (``p_any``: the probability that it holds any EO, from the contamination model):

1. The area holds EO with probability ``p_any``.
2. If it holds none: an SHA is cancelled by NTS with probability ``cancel_clean``, a CHA with
   the smaller ``cha_cancel_ratio`` × ``cancel_clean`` (:data:`CHA_CANCEL_RATIO`: NTS must
   disprove the direct evidence that confirmed it); otherwise TS reduces it with probability
   ``reduce_clean`` (a Beta share of it, mean 0.8); otherwise it is cleared in full (the
   evidence was not enough to release it by survey).
3. If it holds EO it cannot be cancelled: TS reduces it (SHA or CHA) with probability
   ``reduce_mined`` (share mean 0.5) and the rest is cleared; a dense site (cemetery,
   religious site) is cleared in full.

The effort of each stage: NTS surveys the whole of every area it may cancel — each SHA, and
each CHA while ``cha_cancel_ratio`` > 0 (a re-survey) — at a survey team's rate; TS searches
``ts_search_fraction`` of an area it reduces; clearance searches every m² it clears. Without
survey capacity nothing is cancelled (that land is cleared instead).

The planner schedules the *expected* stages (:func:`expected_stages`); the forecast
*samples* the same outcomes run by run (:mod:`landrelease.planning.forecast`).
:func:`calibrate_mix` chooses ``cancel_clean`` and ``reduce_clean`` so that the expected
area-weighted split over the whole portfolio equals a target (by default the 2022 global
split). That split is measured on land *released* in a year; using it as the split of the
whole suspected area is an assumption, stated wherever the forecast is shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from landrelease.domain.enums import HazardKind, Level, ReleaseMethod
from landrelease.model.contamination import ContaminationParams

GLOBAL_2022_SPLIT: dict[ReleaseMethod, float] = {
    # Landmine Monitor 2023: 497.34 km² released in 2022 by Mine Ban Treaty States Parties.
    ReleaseMethod.CANCELLED: 156.92 / 497.34,
    ReleaseMethod.REDUCED: 121.11 / 497.34,
    ReleaseMethod.CLEARED: 219.31 / 497.34,
}


M2_PER_ITEM = 1300.0
"""About 1,300 m² cleared per AP mine destroyed (derived from the 2022 global figures)."""
DENSITY_ITEMS_FACTOR = (0.3, 1.0, 3.0)
"""Items per 1,300 m² in a contaminated area by density class low/medium/high (assumption)."""


CHA_CANCEL_RATIO = 0.0
"""A clean CHA's chance of cancellation by NTS relative to a clean SHA's: off (0) by default.
A quarter (:data:`CHA_CANCEL_RATIO_PUBLISHED_CASE`) is what the published cancellations below
suggest, but with it on, the forecast also re-cancels CHAs whose NTS is already recorded as
done (it does not yet know which those are), and on the synthetic backtest the band's coverage
fell from 0.78 to 0.55 (the forecast overshooting year two); it stays off until the portfolio
carries "NTS done" per area. Published programmes do cancel land recorded as confirmed: Zimbabwe,
whose recorded contamination is all CHA (62.99 km² in 199 CHAs at the end of 2014), cancelled
0.4, 6.3 and 1.77 km² by NTS in 2015, 2016 and 2017 (Landmine Monitor 2016–2018, Zimbabwe);
Croatia and Cambodia cancel and reduce recorded hazardous area every year (Landmine Monitor
2016: Croatia 27.15 km² cancelled, Cambodia 70.38). No source gives the rate per clean CHA: a
CHA rests on direct evidence (IMAS 07.11), which NTS must show to be wrong before it cancels,
so it is taken as a quarter of the SHA's; TS already reduces CHAs as it does SHAs."""

CHA_CANCEL_RATIO_PUBLISHED_CASE = 0.25
"""The ratio a user may set (``ReleaseModel(cha_cancel_ratio=…)``) for a programme whose
recorded land is all CHA and whose NTS has not yet been recorded (an assumption, see above)."""


@dataclass(frozen=True, slots=True)
class ReleaseModel:
    """Probabilities of the release outcomes and the shares TS reduces (see the module text)."""

    cancel_clean: float
    reduce_clean: float
    reduce_mined: float = 0.6
    reduced_share_clean: tuple[float, float] = (8.0, 2.0)  # Beta(a, b): mean 0.8
    reduced_share_mined: tuple[float, float] = (3.0, 3.0)  # mean 0.5
    ts_search_fraction: float = 0.15
    """Share of a reduced area that TS physically searches (assumption; IMAS 08.20 leaves it to
    the programme)."""
    by_survey: bool = True
    """False models clearance alone: nothing is cancelled or reduced."""
    cha_cancel_ratio: float = CHA_CANCEL_RATIO
    """A clean CHA's chance of cancellation relative to a clean SHA's (:data:`CHA_CANCEL_RATIO`)."""

    def cancel_weight(self, sha: np.ndarray) -> np.ndarray:
        """Per area, its chance of cancellation (if clean) per unit of ``cancel_clean``: 1 on an
        SHA, ``cha_cancel_ratio`` on a CHA."""
        s = np.asarray(sha, float)
        return s + self.cha_cancel_ratio * (1.0 - s)

    def surveyed(self, sha: np.ndarray) -> np.ndarray:
        """Per area, whether NTS surveys it: every area it may cancel."""
        return np.asarray(self.cancel_weight(sha) > 0, bool)

    @property
    def mean_reduced_clean(self) -> float:
        a, b = self.reduced_share_clean
        return a / (a + b)

    @property
    def mean_reduced_mined(self) -> float:
        a, b = self.reduced_share_mined
        return a / (a + b)

    def as_dict(self) -> dict[str, object]:
        return {
            "cancel_clean": self.cancel_clean,
            "reduce_clean": self.reduce_clean,
            "reduce_mined": self.reduce_mined,
            "reduced_share_clean_beta": list(self.reduced_share_clean),
            "reduced_share_mined_beta": list(self.reduced_share_mined),
            "ts_search_fraction": self.ts_search_fraction,
            "by_survey": self.by_survey,
            "cha_cancel_ratio": self.cha_cancel_ratio,
        }


CLEARANCE_ALONE = ReleaseModel(cancel_clean=0.0, reduce_clean=0.0, reduce_mined=0.0, by_survey=False)


def outcome_probabilities(
    p_any: np.ndarray, sha: np.ndarray, dense_site: np.ndarray, mix: ReleaseModel
) -> dict[ReleaseMethod, np.ndarray]:
    """Per area, the probability that it ends cancelled, reduced (in part) or cleared in full.

    A likely-clean SHA is mostly cancelled; a CHA is not (unless ``cha_cancel_ratio`` is set),
    and a dense site (cemetery) that holds EO is cleared in full:

    >>> m = ReleaseModel(cancel_clean=0.5, reduce_clean=0.3, reduce_mined=0.6)
    >>> p = outcome_probabilities(np.array([0.04, 0.9, 1.0]), np.array([True, False, False]),
    ...                           np.array([False, False, True]), m)
    >>> [round(float(x), 4) for x in p[ReleaseMethod.CANCELLED]]
    [0.48, 0.0, 0.0]
    >>> [round(float(x), 4) for x in p[ReleaseMethod.REDUCED]]
    [0.312, 0.57, 0.0]
    >>> [round(float(x), 4) for x in p[ReleaseMethod.CLEARED]]
    [0.208, 0.43, 1.0]
    """
    p = np.asarray(p_any, dtype=float)
    if not mix.by_survey:
        return {
            ReleaseMethod.CANCELLED: np.zeros_like(p),
            ReleaseMethod.REDUCED: np.zeros_like(p),
            ReleaseMethod.CLEARED: np.ones_like(p),
        }
    c = mix.cancel_clean * mix.cancel_weight(sha)
    r_mined = mix.reduce_mined * (1.0 - np.asarray(dense_site, dtype=float))
    cancel = (1 - p) * c
    reduce = (1 - p) * mix.reduce_clean + p * r_mined
    return {ReleaseMethod.CANCELLED: cancel, ReleaseMethod.REDUCED: reduce, ReleaseMethod.CLEARED: 1 - cancel - reduce}


def expected_split(
    area_m2: np.ndarray, p_any: np.ndarray, sha: np.ndarray, dense_site: np.ndarray, mix: ReleaseModel
) -> dict[ReleaseMethod, float]:
    """Expected share of the total area released by each method under ``mix``."""
    a = np.asarray(area_m2, dtype=float)
    total = float(a.sum())
    if total <= 0:
        return {m: 0.0 for m in ReleaseMethod}
    probs = outcome_probabilities(p_any, sha, dense_site, mix)
    p = np.asarray(p_any, dtype=float)
    share_reduced = (1 - p) * mix.reduce_clean * mix.mean_reduced_clean + p * (
        mix.reduce_mined * (1 - np.asarray(dense_site, float)) * mix.mean_reduced_mined
    )
    if not mix.by_survey:
        share_reduced = np.zeros_like(p)
    cancelled = float((a * probs[ReleaseMethod.CANCELLED]).sum()) / total
    reduced = float((a * share_reduced).sum()) / total
    return {
        ReleaseMethod.CANCELLED: cancelled,
        ReleaseMethod.REDUCED: reduced,
        ReleaseMethod.CLEARED: 1.0 - cancelled - reduced,
    }


def calibrate_mix(
    area_m2: np.ndarray,
    p_any: np.ndarray,
    sha: np.ndarray,
    dense_site: np.ndarray,
    target: Mapping[ReleaseMethod, float] | None = None,
    base: ReleaseModel | None = None,
) -> ReleaseModel:
    """The mix whose expected area-weighted split over this portfolio matches ``target``.

    Closed form: the cancelled share is linear in ``cancel_clean`` and the reduced share in
    ``reduce_clean``. Where the portfolio cannot reach the target (say, all CHAs: nothing can
    be cancelled but by the rarer CHA re-survey) the probabilities are clipped to [0, 1] and the achieved split is what
    :func:`expected_split` reports.
    """
    return calibrate_mixes(area_m2, p_any, sha, dense_site, [dict(target or GLOBAL_2022_SPLIT)], base)[0]


def calibrate_mixes(
    area_m2: np.ndarray,
    p_any: np.ndarray,
    sha: np.ndarray,
    dense_site: np.ndarray,
    targets: Sequence[Mapping[ReleaseMethod, float]],
    base: ReleaseModel | None = None,
) -> list[ReleaseModel]:
    """:func:`calibrate_mix` for several targets at once (the portfolio's sums taken once): what
    a forecast needs for every split it draws from the learned split's posterior."""
    base = base or ReleaseModel(0.0, 0.0)
    a = np.asarray(area_m2, float)
    p = np.asarray(p_any, float)
    s = np.asarray(sha, float)
    d = np.asarray(dense_site, float)
    total = a.sum()
    if total <= 0:
        return [base for _ in targets]
    clean_sha = float((a * (1 - p) * base.cancel_weight(s)).sum())  # cancellable clean m² per unit of c
    clean = float((a * (1 - p)).sum())
    from_mined = base.reduce_mined * base.mean_reduced_mined * float((a * p * (1 - d)).sum())
    out = []
    for target in targets:
        c = target[ReleaseMethod.CANCELLED] * total / clean_sha if clean_sha > 0 else 0.0
        c = float(np.clip(c, 0.0, 1.0))
        t = (
            (target[ReleaseMethod.REDUCED] * total - from_mined) / (base.mean_reduced_clean * clean)
            if clean > 0
            else 0.0
        )
        t = float(np.clip(t, 0.0, 1.0 - c))
        out.append(replace(base, cancel_clean=c, reduce_clean=t, by_survey=True))
    return out


RELEASE_PRIOR_STRENGTH = 20.0
"""How many released hazard areas' worth of evidence the published split counts for (the
Dirichlet pseudo-count; an assumption, as the productivity prior's weight is). With 20 areas
recorded the register's own split and the published one weigh the same."""


@dataclass(frozen=True, slots=True)
class RecordedRelease:
    """Land released so far on one hazard area record: m² by method, with its region and kind."""

    region: str
    kind: HazardKind
    m2: Mapping[ReleaseMethod, float]


def shrink_split(
    prior: Mapping[ReleaseMethod, float],
    observed_m2: Mapping[ReleaseMethod, float],
    n_areas: float,
    strength: float = RELEASE_PRIOR_STRENGTH,
) -> dict[ReleaseMethod, float]:
    """The posterior mean split: a Dirichlet with ``strength`` × ``prior`` pseudo-counts, updated
    by ``n_areas`` released areas whose area-weighted split is ``observed_m2``'s.

    Each released area counts as one observation spread over the methods in the data's
    area-weighted proportions; so no data gives the prior, and many areas give the data's split:

    >>> prior = {ReleaseMethod.CANCELLED: 0.3, ReleaseMethod.REDUCED: 0.2, ReleaseMethod.CLEARED: 0.5}
    >>> obs = {ReleaseMethod.CANCELLED: 9e4, ReleaseMethod.CLEARED: 1e4}
    >>> shrink_split(prior, obs, 0)[ReleaseMethod.CANCELLED]
    0.3
    >>> round(shrink_split(prior, obs, 20)[ReleaseMethod.CANCELLED], 3)
    0.6
    >>> round(shrink_split(prior, obs, 1e6)[ReleaseMethod.CANCELLED], 3)
    0.9
    """
    p = np.array([max(float(prior.get(m, 0.0)), 0.0) for m in ReleaseMethod])
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
    o = np.array([max(float(observed_m2.get(m, 0.0)), 0.0) for m in ReleaseMethod])
    if n_areas <= 0 or o.sum() <= 0:
        return {m: float(v) for m, v in zip(ReleaseMethod, p, strict=True)}
    post = (strength * p + n_areas * o / o.sum()) / (strength + n_areas)
    return {m: float(v) for m, v in zip(ReleaseMethod, post, strict=True)}


@dataclass(frozen=True, slots=True)
class LearnedSplit:
    """The release split learned from the register's recorded release: programme-wide (shrunk to
    the published prior) and per region and hazard kind (shrunk to the programme-wide one)."""

    prior: dict[ReleaseMethod, float]
    overall: dict[ReleaseMethod, float]
    n_areas: int
    by_group: dict[tuple[str, HazardKind], tuple[dict[ReleaseMethod, float], int]]
    strength: float = RELEASE_PRIOR_STRENGTH

    def for_area(self, region: str, kind: HazardKind) -> dict[ReleaseMethod, float]:
        """The split for an area of this region and kind (the programme-wide one where the group
        has released nothing yet)."""
        got = self.by_group.get((region, kind))
        return got[0] if got is not None else self.overall

    def target(self, area_m2: np.ndarray, regions: Sequence[str], sha: np.ndarray) -> dict[ReleaseMethod, float]:
        """The area-weighted split over a portfolio's open areas (what :func:`calibrate_mix` takes)."""
        a = np.asarray(area_m2, float)
        total = float(a.sum())
        if total <= 0:
            return dict(self.overall)
        out = dict.fromkeys(ReleaseMethod, 0.0)
        for key, w in group_weights(a, regions, sha).items():
            split = self.for_area(*key)
            for m in ReleaseMethod:
                out[m] += w * split[m] / total
        return out

    def draws(self, k: int, rng: np.random.Generator) -> list[LearnedSplit]:
        """``k`` splits drawn from the Dirichlet posteriors (concentration: the prior's pseudo-count
        plus the areas seen), so a forecast can carry the split's uncertainty into its band."""

        def draw(split: dict[ReleaseMethod, float], n: float) -> dict[ReleaseMethod, float]:
            alpha = np.maximum(np.array([split[m] for m in ReleaseMethod]) * (self.strength + n), 1e-6)
            return dict(zip(ReleaseMethod, (float(v) for v in rng.dirichlet(alpha)), strict=True))

        return [
            replace(
                self,
                overall=draw(self.overall, self.n_areas),
                by_group={g: (draw(sp, n), n) for g, (sp, n) in self.by_group.items()},
            )
            for _ in range(k)
        ]

    def as_dict(self) -> dict[str, object]:
        return {
            "prior": {m.value: v for m, v in self.prior.items()},
            "overall": {m.value: v for m, v in self.overall.items()},
            "released_areas": self.n_areas,
            "prior_strength_areas": self.strength,
            "by_region_and_kind": [
                {"region": r, "kind": k.value, "released_areas": n, "split": {m.value: v for m, v in sp.items()}}
                for (r, k), (sp, n) in sorted(self.by_group.items(), key=lambda kv: (kv[0][0], kv[0][1].value))
            ],
        }


def group_weights(area_m2: np.ndarray, regions: Sequence[str], sha: np.ndarray) -> dict[tuple[str, HazardKind], float]:
    """m² of the portfolio per (region, kind): the weights of :meth:`LearnedSplit.target`."""
    out: dict[tuple[str, HazardKind], float] = {}
    for w, r, s in zip(np.asarray(area_m2, float).tolist(), regions, np.asarray(sha, bool).tolist(), strict=True):
        key = (str(r), HazardKind.SHA if s else HazardKind.CHA)
        out[key] = out.get(key, 0.0) + w
    return out


SPLIT_DRAWS = 200
"""Splits a forecast draws from the learned split's posterior; each run takes one at random."""


def posterior_mixes(
    learned: LearnedSplit,
    k: int,
    rng: np.random.Generator,
    area_m2: np.ndarray,
    regions: Sequence[str],
    p_any: np.ndarray,
    sha: np.ndarray,
    dense_site: np.ndarray,
    base: ReleaseModel | None = None,
) -> list[ReleaseModel]:
    """``k`` release models, each calibrated to one split drawn from the learned split's Dirichlet
    posteriors (:meth:`LearnedSplit.draws`): so a forecast carries the split's uncertainty into
    its band, wide while little release is recorded and narrowing as the register records more.

    >>> rec = RecordedRelease("r", HazardKind.SHA, {ReleaseMethod.CANCELLED: 3e3, ReleaseMethod.CLEARED: 7e3})
    >>> few, many = learn_split([rec] * 2), learn_split([rec] * 2000)
    >>> args = (np.full(10, 1e4), ["r"] * 10, np.full(10, 0.04), np.ones(10, bool), np.zeros(10, bool))
    >>> spread = [np.std([m.cancel_clean for m in posterior_mixes(s, 200, np.random.default_rng(1), *args)])
    ...           for s in (few, many)]
    >>> bool(spread[0] > 5 * spread[1] > 0)
    True
    """
    a = np.asarray(area_m2, float)
    weights = group_weights(a, regions, sha)
    total = float(a.sum())
    targets = []
    for draw in learned.draws(k, rng):
        t = dict.fromkeys(ReleaseMethod, 0.0)
        for key, w in weights.items():
            split = draw.for_area(*key)
            for m in ReleaseMethod:
                t[m] += w * split[m] / total if total > 0 else split[m] / len(weights)
        targets.append(t)
    return calibrate_mixes(a, p_any, sha, dense_site, targets, base)


def learn_split(
    records: Iterable[RecordedRelease],
    prior: Mapping[ReleaseMethod, float] | None = None,
    strength: float = RELEASE_PRIOR_STRENGTH,
) -> LearnedSplit:
    """The release split learned from recorded release, as productivity learns from daily reports:
    programme-wide, the published ``prior`` (default the 2022 global split) updated by every
    released area (:func:`shrink_split`); per region and hazard kind, the programme-wide split
    updated by that group's areas. Records that released nothing are not observations.

    >>> rec = [RecordedRelease("north", HazardKind.SHA, {ReleaseMethod.CANCELLED: 1e4})] * 20
    >>> s = learn_split(rec)
    >>> round(s.overall[ReleaseMethod.CANCELLED], 3), s.n_areas
    (0.658, 20)
    >>> round(s.for_area("north", HazardKind.SHA)[ReleaseMethod.CANCELLED], 3)
    0.829
    >>> s.for_area("south", HazardKind.CHA) == s.overall
    True
    >>> learn_split([]).overall == learn_split([]).prior
    True
    """
    prior_split = dict(prior or GLOBAL_2022_SPLIT)
    total = dict.fromkeys(ReleaseMethod, 0.0)
    groups: dict[tuple[str, HazardKind], dict[ReleaseMethod, float]] = {}
    counts: dict[tuple[str, HazardKind], int] = {}
    n = 0
    for r in records:
        m2 = {m: float(v) for m, v in r.m2.items() if v is not None and math.isfinite(v) and v > 0}
        if not m2:
            continue
        n += 1
        key = (r.region, r.kind)
        g = groups.setdefault(key, dict.fromkeys(ReleaseMethod, 0.0))
        counts[key] = counts.get(key, 0) + 1
        for m, v in m2.items():
            total[m] += v
            g[m] += v
    overall = shrink_split(prior_split, total, n, strength)
    by_group = {k: (shrink_split(overall, g, counts[k], strength), counts[k]) for k, g in groups.items()}
    return LearnedSplit(prior_split, overall, n, by_group, strength)


UNASSESSED_PRIOR = ContaminationParams()
"""Where the contamination model has not assessed an area, its ``p_any`` is the model's own
prior for the area's kind (``sha_prior`` 0.04, ``cha_prior`` 0.5): what the model would say
with no evidence at all. This is the one fallback; run the model to use the evidence."""


def unassessed_p_any(kinds: Sequence[HazardKind]) -> np.ndarray:
    """The fallback ``p_any`` of areas the contamination model has not assessed (its prior by kind).

    >>> unassessed_p_any([HazardKind.SHA, HazardKind.CHA]).tolist()
    [0.04, 0.5]
    """
    prior = UNASSESSED_PRIOR
    return np.array([prior.cha_prior if k is HazardKind.CHA else prior.sha_prior for k in kinds], dtype=float)


@dataclass(frozen=True, slots=True)
class Stages:
    """Expected m² per area of each stage: what NTS surveys and cancels, what TS searches and
    reduces, what clearance searches (and so clears)."""

    nts_m2: np.ndarray
    cancelled_m2: np.ndarray
    ts_m2: np.ndarray
    reduced_m2: np.ndarray
    clearance_m2: np.ndarray

    @property
    def released_m2(self) -> np.ndarray:
        return self.cancelled_m2 + self.reduced_m2 + self.clearance_m2


def expected_stages(
    area_m2: np.ndarray,
    p_any: np.ndarray,
    sha: np.ndarray,
    dense_site: np.ndarray,
    model: ReleaseModel,
    *,
    survey: bool = True,
) -> Stages:
    """The expected effort and release of each stage, per area (the planner's account of the
    outcomes the forecast samples). ``survey=False``: no survey capacity, so nothing is
    cancelled and NTS does nothing.

    A clean SHA of 1 ha under a model that cancels half of clean SHAs and reduces 30 % more:

    >>> m = ReleaseModel(cancel_clean=0.5, reduce_clean=0.3)
    >>> s = expected_stages(np.array([10_000.0]), np.array([0.0]), np.array([True]), np.array([False]), m)
    >>> [round(float(x[0])) for x in (s.nts_m2, s.cancelled_m2, s.ts_m2, s.reduced_m2, s.clearance_m2)]
    [10000, 5000, 450, 2400, 2600]
    >>> round(float(s.released_m2[0]))
    10000
    """
    a = np.asarray(area_m2, float)
    p = np.asarray(p_any, float)
    sha_f = np.asarray(sha, float)
    dense = np.asarray(dense_site, float)
    if not model.by_survey:
        zero = np.zeros_like(a)
        return Stages(zero, zero, zero, zero, a.copy())
    cancel_p = (1 - p) * model.cancel_clean * model.cancel_weight(sha_f) if survey else np.zeros_like(a)
    reduce_clean = (1 - p) * model.reduce_clean
    reduce_mined = p * model.reduce_mined * (1 - dense)
    cancelled = a * cancel_p
    reduced = a * (reduce_clean * model.mean_reduced_clean + reduce_mined * model.mean_reduced_mined)
    ts = a * model.ts_search_fraction * (reduce_clean + reduce_mined)
    nts = a * model.surveyed(sha_f) if survey else np.zeros_like(a)
    clearance = np.maximum(a - cancelled - reduced, 0.0)
    return Stages(nts, cancelled, ts, reduced, clearance)


def expected_items(area_m2: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Expected items in an area *if* it is contaminated, from its density class (0/1/2)."""
    return np.asarray(area_m2, float) / M2_PER_ITEM * np.asarray(DENSITY_ITEMS_FACTOR)[np.asarray(density, int)]


def level_index(levels: Iterable[Level]) -> np.ndarray:
    order = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}
    return np.array([order[lv] for lv in levels], dtype=np.int8)
