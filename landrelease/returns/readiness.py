"""When can a village come back? When the land it needs is released (and, where set, rebuilt).

A settlement's *blocking areas* are the open hazard areas on its footprint, along its access
routes and on its farmland ring: the one rule of :mod:`landrelease.domain.blocking`, which the
planner's priority uses too.

Its ready date comes from the forecast's **runs**: in each Monte-Carlo run the settlement is
ready at the latest release month among its blocking areas (and the end of its
reconstruction, where it has a programme); P10/P50/P90 are taken over the runs. These are
joint quantiles — the latest of the areas' own (marginal) P50s is only a lower bound, because
in a given run some area is usually late. The *critical* areas are those that are last in the
largest share of runs: the ones to bring forward.

Everything is vectorised over runs with NumPy; the spatial joins use STRtrees in a metric CRS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from landrelease.domain.blocking import (
    DEFAULT_ROUTE_BUFFER_M,
    REASONS,
    Blocking,
    blocking_areas,
)
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement

READY = "ready"  # nothing holds it up
WAITING = "waiting"  # blocked; every blocking area has per-run release months
UNKNOWN = "unknown"  # blocked, and some blocking area has no per-run forecast
QUANTILES = ("p10", "p50", "p90")
Q_VALUES = (0.1, 0.5, 0.9)
JOINT = "joint"

CRITICAL_SHOWN = 3  # critical areas listed per settlement


_CHUNK_CELLS = 8_000_000  # pairs × runs handled at once (bounds peak memory)


@dataclass(frozen=True, slots=True)
class RunMonths:
    """Release month of every run of each area, rows in the order of the areas given.

    ``known[i]`` is False where the forecast holds no per-run months for area i (its row is
    ignored). Month ``horizon_months`` (or more) means not released within the horizon;
    ``month_ends[m]`` is the last day of month m.
    """

    months: np.ndarray  # (areas, runs) unsigned ints
    known: np.ndarray  # (areas,) bool
    horizon_months: int
    month_ends: Sequence[date]

    @property
    def runs(self) -> int:
        return int(self.months.shape[1]) if self.months.ndim == 2 else 0

    def label(self, month: int) -> str:
        """ "YYYY-MM" of a month index, or "beyond N years"."""
        if month >= self.horizon_months or month >= len(self.month_ends):
            return f"beyond {self.horizon_months // 12} years"
        return self.month_ends[month].strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class Readiness:
    """One settlement's readiness: joint P10/P50/P90 over runs, and its critical areas."""

    code: str
    name: str
    displaced: int
    status: str
    blocking: tuple[str, ...]  # open hazard codes that hold the settlement up
    months: tuple[int, int, int] | None  # joint P10/P50/P90 month index (None: ready or unknown)
    ready_by: Mapping[str, str | None]  # "p10"/"p50"/"p90" -> "YYYY-MM", "beyond N years" or None
    critical: tuple[tuple[str, float], ...] = ()  # (hazard code, share of runs in which it is last)
    reasons: Mapping[str, str] = field(default_factory=dict)  # hazard code -> why it blocks
    missing: tuple[str, ...] = ()  # blocking areas without per-run months (status unknown)
    reconstruction_last: float = 0.0  # share of runs in which reconstruction, not land, is last

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "displaced": self.displaced,
            "status": self.status,
            "quantiles": JOINT,
            **{q: self.ready_by.get(q) for q in QUANTILES},
            **{f"ready_by_{q}": self.ready_by.get(q) for q in QUANTILES},
            "critical": [{"code": c, "share": round(s, 4)} for c, s in self.critical],
            "blocking": list(self.blocking),
            "reasons": dict(self.reasons),
            "missing": list(self.missing),
            "reconstruction_last": round(self.reconstruction_last, 4),
        }


@dataclass(frozen=True, slots=True)
class JointResult:
    """Per settlement (arrays of length settlements): joint quantile months (-1: ready or
    unknown), status code, and the critical areas as (settlement, area, share) triples."""

    months: np.ndarray  # (settlements, 3) int
    status: np.ndarray  # (settlements,) object: READY / WAITING / UNKNOWN
    critical_settlement: np.ndarray
    critical_area: np.ndarray
    critical_share: np.ndarray
    reconstruction_last: np.ndarray  # (settlements,) float


def joint_quantiles(
    n_settlements: int,
    blocking: Blocking,
    runs: RunMonths,
    *,
    after: Mapping[int, np.ndarray] | None = None,
    critical_shown: int = CRITICAL_SHOWN,
) -> JointResult:
    """Joint P10/P50/P90 per settlement over runs, and the critical areas (vectorised).

    ``after`` maps a settlement index to the month (per run) before which it cannot be
    ready whatever the land (its reconstruction programme's end).
    """
    months_q = np.full((n_settlements, 3), -1, dtype=np.int64)
    status = np.full(n_settlements, READY, dtype=object)
    recon_last = np.zeros(n_settlements)
    crit_s: list[np.ndarray] = []
    crit_a: list[np.ndarray] = []
    crit_v: list[np.ndarray] = []
    s, a = blocking.settlement, blocking.area
    # settlements with a blocking area that has no per-run months: unknown, not guessed
    unknown = np.zeros(n_settlements, dtype=bool)
    if len(a):
        unknown[np.unique(s[~runs.known[a]])] = True
    blocked = np.zeros(n_settlements, dtype=bool)
    blocked[s] = True
    status[blocked] = WAITING
    status[unknown] = UNKNOWN
    keep = ~unknown[s]
    s, a = s[keep], a[keep]
    n_runs = runs.runs
    after = after or {}
    # settlements that wait only for reconstruction
    only_after = [i for i in after if not blocked[i] and not unknown[i]]
    for i in only_after:
        status[i] = WAITING
    if n_runs == 0:
        status[(status == WAITING)] = UNKNOWN
        return JointResult(months_q, status, *(np.zeros(0, np.int64),) * 2, np.zeros(0), recon_last)
    qs = np.array(Q_VALUES)
    starts_all = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if len(s) else np.zeros(0, np.int64)
    # chunks of whole settlements, so that pairs × runs stays bounded
    bounds = [*starts_all.tolist(), len(s)]
    chunk_pairs = max(1, _CHUNK_CELLS // max(n_runs, 1))
    k = 0
    while k < len(starts_all):
        j = k + 1
        while j < len(starts_all) and bounds[j + 1] - bounds[k] <= chunk_pairs:
            j += 1
        lo, hi = bounds[k], bounds[j]
        seg_starts = np.asarray(starts_all[k:j]) - lo
        sett = s[lo:hi][seg_starts]
        m = runs.months[a[lo:hi]].astype(np.uint16, copy=False)  # (pairs, runs)
        latest = np.maximum.reduceat(m, seg_starts, axis=0)  # (settlements in chunk, runs)
        extra = [(r, after[int(si)]) for r, si in enumerate(sett) if int(si) in after]
        land_latest = latest
        if extra:
            latest = latest.copy()
            for r, arr in extra:
                latest[r] = np.maximum(latest[r], arr)
        months_q[sett] = np.quantile(latest, qs, axis=1, method="inverted_cdf").T.astype(np.int64)
        # critical: the share of runs in which each area is (one of) the last
        counts = np.diff(np.r_[seg_starts, hi - lo])
        is_last = m == np.repeat(latest, counts, axis=0)
        share = is_last.mean(axis=1)
        if extra:
            rows = np.array([r for r, _ in extra])
            recon_last[sett[rows]] = (latest[rows] > land_latest[rows]).mean(axis=1)
        seg_id = np.repeat(np.arange(len(sett)), counts)
        order = np.lexsort((-share, seg_id))
        rank = np.arange(len(order)) - np.repeat(seg_starts, counts)
        pick = order[(rank < critical_shown) & (share[order] > 0)]
        crit_s.append(sett[seg_id[pick]])
        crit_a.append(a[lo:hi][pick])
        crit_v.append(share[pick])
        k = j
    for i in only_after:
        latest = np.asarray(after[i])
        months_q[i] = np.quantile(latest, qs, method="inverted_cdf").astype(np.int64)
        recon_last[i] = 1.0
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt)  # noqa: E731
    return JointResult(months_q, status, cat(crit_s, np.int64), cat(crit_a, np.int64), cat(crit_v, float), recon_last)


def settlement_readiness(
    settlements: Sequence[Settlement],
    open_areas: Sequence[HazardArea],
    runs: RunMonths,
    *,
    route_buffer_m: float = DEFAULT_ROUTE_BUFFER_M,
    after: Mapping[str, np.ndarray] | None = None,
    after_unknown: Mapping[str, Sequence[str]] | None = None,
) -> list[Readiness]:
    """Each settlement's readiness, by joint P50 (ready first, unknown last).

    ``open_areas`` are the areas not yet released, ``runs`` their per-run release months in
    that order; ``after`` a settlement code's per-run month before which it cannot be ready
    (its reconstruction; see :mod:`landrelease.returns.reconstruction`); ``after_unknown``
    settlements whose reconstruction cannot be dated (plots without per-run months), with
    those plots: they are unknown, not guessed.
    """
    live_idx = [i for i, a in enumerate(open_areas) if a.is_open]
    live = [open_areas[i] for i in live_idx]
    if len(live_idx) < len(open_areas):  # (no copy of areas × runs when all are open)
        runs = RunMonths(runs.months[live_idx], runs.known[live_idx], runs.horizon_months, runs.month_ends)
    blocking = blocking_areas(settlements, live, route_buffer_m=route_buffer_m)
    index = {s.code: i for i, s in enumerate(settlements)}
    after_idx = {index[c]: np.asarray(v) for c, v in (after or {}).items() if c in index}
    res = joint_quantiles(len(settlements), blocking, runs, after=after_idx)
    by_s: dict[int, list[int]] = {}
    reasons: dict[int, dict[str, str]] = {}
    for si, ai, r in zip(blocking.settlement.tolist(), blocking.area.tolist(), blocking.reason.tolist(), strict=True):
        by_s.setdefault(si, []).append(ai)
        reasons.setdefault(si, {})[live[ai].code] = REASONS[r]
    crit: dict[int, list[tuple[str, float]]] = {}
    for si, ai, v in zip(
        res.critical_settlement.tolist(), res.critical_area.tolist(), res.critical_share.tolist(), strict=True
    ):
        crit.setdefault(si, []).append((live[ai].code, float(v)))
    out = []
    for i, st in enumerate(settlements):
        codes = tuple(live[a].code for a in by_s.get(i, []))
        status = str(res.status[i])
        missing = tuple(c for c, a in zip(codes, by_s.get(i, []), strict=True) if not runs.known[a])
        if after_unknown and st.code in after_unknown:
            status = UNKNOWN
            missing = tuple(dict.fromkeys([*missing, *after_unknown[st.code]]))
        if status == WAITING:
            mq = tuple(int(m) for m in res.months[i])
            months: tuple[int, int, int] | None = (mq[0], mq[1], mq[2])
            ready_by: dict[str, str | None] = {q: runs.label(m) for q, m in zip(QUANTILES, mq, strict=True)}
        else:
            months, ready_by = None, dict.fromkeys(QUANTILES)
        out.append(
            Readiness(
                st.code,
                st.name,
                st.displaced,
                status,
                codes,
                months,
                ready_by,
                tuple(crit.get(i, [])),
                reasons.get(i, {}),
                missing,
                float(res.reconstruction_last[i]),
            )
        )
    return sorted(out, key=sort_key)


_RANK = {READY: 0, WAITING: 1, UNKNOWN: 2}


def sort_key(r: Readiness) -> tuple[int, int, int, int, str]:
    """By date: ready now, then by joint P50 (then P90), unknown last; most displaced first."""
    m = r.months or (0, 0, 0)
    return (_RANK.get(r.status, 3), m[1], m[2], -r.displaced, r.code)


def marginal_latest(runs: RunMonths, rows: Sequence[int]) -> tuple[int, int, int]:
    """The latest of the areas' own P10/P50/P90 months: what a settlement's date would be if
    areas were never late together. Shown only beside the joint figure, as its lower bound."""
    q = np.quantile(runs.months[list(rows)], np.array(Q_VALUES), axis=1, method="inverted_cdf")
    top = q.max(axis=1)
    return (int(top[0]), int(top[1]), int(top[2]))
