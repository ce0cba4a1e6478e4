"""Coherence of the plan and the forecast: does the plan's cumulative release lie in the band?

The plan (one schedule on expected values) and the forecast (Monte-Carlo runs of the same
release and productivity model) describe the same work. Month ``m`` ends ``(m + 1) × 365.25 / 12``
calendar days after the start in both, so the plan's cumulative km² at each month end can be
set against the forecast's P10–P90 band and its P50.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_PER_MONTH = 365.25 / 12


def plan_cumulative_km2(end_days: np.ndarray, released_m2: np.ndarray, months: int) -> np.ndarray:
    """Cumulative km² the plan releases by the end of each month (tasks released when they end).

    >>> plan_cumulative_km2(np.array([10.0, 40.0, 400.0]), np.array([1e6, 2e6, 5e5]), 3).tolist()
    [1.0, 3.0, 3.0]
    """
    month = np.floor(np.asarray(end_days, float) / DAYS_PER_MONTH).astype(np.int64)
    inside = month < months
    per_month = np.bincount(month[inside], weights=np.asarray(released_m2, float)[inside], minlength=months)
    return np.cumsum(per_month[:months]) / 1e6


@dataclass(frozen=True, slots=True)
class Coherence:
    """The plan against the forecast's band, month by month over ``months``."""

    months: int
    months_outside_band: int
    plan_vs_p50_pct: dict[int, float]  # years → signed % (+: the plan is ahead of the P50)
    plan_km2: np.ndarray
    p10_km2: np.ndarray
    p50_km2: np.ndarray
    p90_km2: np.ndarray

    def as_dict(self) -> dict[str, object]:
        return {
            "months": self.months,
            "months_outside_band": self.months_outside_band,
            "plan_vs_p50_pct": {str(y): v for y, v in self.plan_vs_p50_pct.items()},
        }


def compare(plan_km2: np.ndarray, runs_cumulative_km2: np.ndarray, months: int = 60) -> Coherence:
    """The plan's cumulative km² against the P10/P50/P90 of the runs' (runs × months), over the
    first ``months`` months.

    >>> runs = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    >>> c = compare(np.array([2.2, 7.0]), runs, months=2)
    >>> c.months_outside_band, c.p50_km2.tolist()
    (1, [2.0, 4.0])
    """
    months = min(months, runs_cumulative_km2.shape[1], len(plan_km2))
    q = np.quantile(runs_cumulative_km2[:, :months], (0.1, 0.5, 0.9), axis=0, method="inverted_cdf")
    plan = np.asarray(plan_km2[:months], float)
    tol = 1e-9 + 1e-6 * np.abs(q[1])
    outside = int(((plan < q[0] - tol) | (plan > q[2] + tol)).sum())
    pct = {}
    for years in (1, 2):
        m = years * 12 - 1
        if m < months and q[1, m] > 0:
            pct[years] = 100.0 * (plan[m] / q[1, m] - 1.0)
    return Coherence(months, outside, pct, plan, q[0], q[1], q[2])
