"""The land-release mix: how much of each hazard area NTS cancels, TS reduces, clearance clears.

Most land in real programmes is released by survey, not clearance: in 2022 the States
Parties of the Mine Ban Treaty released 497.34 km², of which 219.31 km² were cleared (44 %),
121.11 km² reduced by technical survey (24 %) and 156.92 km² cancelled by non-technical
survey (32 %) (Landmine Monitor 2023). "Less than 5 % of SHAs prove to have any mines"
(Journal of Conventional Weapons Destruction 13.2). A forecast that sends every suspected
square metre to clearance lies by an order of magnitude.

The model, per area and per Monte-Carlo run:

1. The area holds EO with probability ``p_any`` (from the contamination model, or from
   :func:`default_p_any` below).
2. If it holds none: an SHA is cancelled by NTS with probability ``cancel_clean``; otherwise
   TS reduces it with probability ``reduce_clean`` (a Beta share of it, mean 0.8); otherwise
   it is cleared in full (the evidence was not enough to release it by survey).
3. If it holds EO it cannot be cancelled: TS reduces it with probability ``reduce_mined``
   (share mean 0.5) and the rest is cleared; a dense site (cemetery, religious site) is
   cleared in full.

:func:`calibrate_mix` chooses ``cancel_clean`` and ``reduce_clean`` so that the expected
area-weighted split over the whole portfolio equals a target (by default the 2022 global
split). That split is measured on land *released* in a year; using it as the split of the
whole suspected area is an assumption, stated wherever the forecast is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from landrelease.domain.enums import EvidenceKind, HazardKind, Level, ReleaseMethod
from landrelease.domain.evidence import Evidence

GLOBAL_2022_SPLIT: dict[ReleaseMethod, float] = {
    # Landmine Monitor 2023: 497.34 km² released in 2022 by Mine Ban Treaty States Parties.
    ReleaseMethod.CANCELLED: 156.92 / 497.34,
    ReleaseMethod.REDUCED: 121.11 / 497.34,
    ReleaseMethod.CLEARED: 219.31 / 497.34,
}

SHA_BASE_P_ANY = 0.04
"""Prior probability that an SHA holds any EO: "less than 5 % of SHAs prove to have any mines"."""
CHA_BASE_P_ANY = 0.7
"""Prior for a CHA (direct evidence, yet TS often confines it to part of the area): assumption."""

M2_PER_ITEM = 1300.0
"""About 1,300 m² cleared per AP mine destroyed (derived from the 2022 global figures)."""
DENSITY_ITEMS_FACTOR = (0.3, 1.0, 3.0)
"""Items per 1,300 m² in a contaminated area by density class low/medium/high (assumption)."""


@dataclass(frozen=True, slots=True)
class ReleaseMix:
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
        }


CLEARANCE_ALONE = ReleaseMix(cancel_clean=0.0, reduce_clean=0.0, reduce_mined=0.0, by_survey=False)


def outcome_probabilities(
    p_any: np.ndarray, sha: np.ndarray, dense_site: np.ndarray, mix: ReleaseMix
) -> dict[ReleaseMethod, np.ndarray]:
    """Per area, the probability that it ends cancelled, reduced (in part) or cleared in full."""
    p = np.asarray(p_any, dtype=float)
    if not mix.by_survey:
        return {
            ReleaseMethod.CANCELLED: np.zeros_like(p),
            ReleaseMethod.REDUCED: np.zeros_like(p),
            ReleaseMethod.CLEARED: np.ones_like(p),
        }
    c = mix.cancel_clean * np.asarray(sha, dtype=float)
    r_mined = mix.reduce_mined * (1.0 - np.asarray(dense_site, dtype=float))
    cancel = (1 - p) * c
    reduce = (1 - p) * mix.reduce_clean + p * r_mined
    return {ReleaseMethod.CANCELLED: cancel, ReleaseMethod.REDUCED: reduce, ReleaseMethod.CLEARED: 1 - cancel - reduce}


def expected_split(
    area_m2: np.ndarray, p_any: np.ndarray, sha: np.ndarray, dense_site: np.ndarray, mix: ReleaseMix
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
    base: ReleaseMix | None = None,
) -> ReleaseMix:
    """The mix whose expected area-weighted split over this portfolio matches ``target``.

    Closed form: the cancelled share is linear in ``cancel_clean`` and the reduced share in
    ``reduce_clean``. Where the portfolio cannot reach the target (say, all CHAs: nothing can
    be cancelled) the probabilities are clipped to [0, 1] and the achieved split is what
    :func:`expected_split` reports.
    """
    target = dict(target or GLOBAL_2022_SPLIT)
    base = base or ReleaseMix(0.0, 0.0)
    a = np.asarray(area_m2, float)
    p = np.asarray(p_any, float)
    s = np.asarray(sha, float)
    d = np.asarray(dense_site, float)
    total = a.sum()
    if total <= 0:
        return base
    clean_sha = float((a * (1 - p) * s).sum())
    c = target[ReleaseMethod.CANCELLED] * total / clean_sha if clean_sha > 0 else 0.0
    c = float(np.clip(c, 0.0, 1.0))
    clean = float((a * (1 - p)).sum())
    from_mined = base.reduce_mined * base.mean_reduced_mined * float((a * p * (1 - d)).sum())
    t = (target[ReleaseMethod.REDUCED] * total - from_mined) / (base.mean_reduced_clean * clean) if clean > 0 else 0.0
    t = float(np.clip(t, 0.0, 1.0 - c))
    return replace(base, cancel_clean=c, reduce_clean=t, by_survey=True)


def default_p_any(
    kinds: Sequence[HazardKind],
    codes: Sequence[str],
    evidence: Iterable[Evidence] = (),
    record_reliability: float | None = None,
) -> np.ndarray:
    """Probability that each area holds any EO, from its kind and its evidence (a simple rule).

    Used until the contamination model gives a better one. Start from 0.04 for an SHA
    ("less than 5 % of SHAs prove to have any mines") and 0.7 for a CHA, then for each piece
    of evidence tied to the area:

    - a minefield record of reliability r: ``p ← 1 − (1 − p)(1 − r)`` (right with probability r;
      ``record_reliability`` overrides every record's own);
    - an accident or an earlier find: ``p ← max(p, 0.95)`` (strong local evidence);
    - an interview: odds × 2 if it says there are mines, × 0.5 if it says there are none;
    - a drone detection of confidence c: odds × c / (1 − c), bounded to [0.25, 4].
    """
    index = {c: i for i, c in enumerate(codes)}
    p = np.array([CHA_BASE_P_ANY if k is HazardKind.CHA else SHA_BASE_P_ANY for k in kinds], dtype=float)
    for e in evidence:
        i = index.get(e.hazard_code or "")
        if i is None:
            continue
        if e.kind is EvidenceKind.MINEFIELD_RECORD:
            r = record_reliability if record_reliability is not None else e.effective_reliability()
            p[i] = p[i] + (1 - p[i]) * float(np.clip(r, 0.0, 1.0))
        elif e.kind in (EvidenceKind.ACCIDENT, EvidenceKind.EO_FIND):
            p[i] = max(p[i], 0.95)
        elif e.kind is EvidenceKind.INTERVIEW:
            p[i] = _times_odds(p[i], 2.0 if e.positive else 0.5)
        elif e.kind is EvidenceKind.DRONE_DETECTION:
            c = float(np.clip(e.confidence if e.confidence is not None else 0.5, 1e-3, 1 - 1e-3))
            p[i] = _times_odds(p[i], float(np.clip(c / (1 - c), 0.25, 4.0)))
    return p


def _times_odds(p: float, ratio: float) -> float:
    if p >= 1.0:
        return 1.0
    odds = p / (1 - p) * ratio
    return odds / (1 + odds)


def expected_items(area_m2: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Expected items in an area *if* it is contaminated, from its density class (0/1/2)."""
    return np.asarray(area_m2, float) / M2_PER_ITEM * np.asarray(DENSITY_ITEMS_FACTOR)[np.asarray(density, int)]


def level_index(levels: Iterable[Level]) -> np.ndarray:
    order = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}
    return np.array([order[lv] for lv in levels], dtype=np.int8)
