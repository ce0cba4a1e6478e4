"""What would bring a settlement forward: its blocking areas first in the dispatch order, and
what that costs everyone else; and whether a goal ("return to X by D") is met at P50/P80.

The comparison is between two forecasts of the same runs and seed, one along the plan's
order and one with the settlement's areas moved to the front: the settlement's new joint P50,
the other settlements whose joint P50 moves later, and the delay elsewhere as km²·days — for
every other open area, the area times the days its P50 release moves later (areas that move
earlier are not netted against it: the cost is what others wait).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

DAYS_PER_MONTH = 365.25 / 12


def areas_first(order: Sequence[str], first: Sequence[str]) -> list[str]:
    """The dispatch order with ``first`` moved to the front (in the order they had)."""
    pick = set(first)
    lead = [c for c in order if c in pick] + [c for c in first if c not in set(order)]
    return list(dict.fromkeys(lead + [c for c in order if c not in pick]))


def p50_months(months: np.ndarray) -> np.ndarray:
    """Each area's P50 release month over runs (rows: areas)."""
    if months.size == 0:
        return np.zeros(months.shape[0], dtype=np.int64)
    return np.quantile(months, 0.5, axis=1, method="inverted_cdf").astype(np.int64)


def delay_km2_days(area_km2: np.ndarray, before: np.ndarray, after: np.ndarray, exclude: np.ndarray) -> float:
    """Sum over areas not excluded of km² × days their P50 release moves later."""
    later = np.maximum(after.astype(np.int64) - before.astype(np.int64), 0)
    later[exclude] = 0
    return float(np.sum(area_km2 * later * DAYS_PER_MONTH))


def goal_month(month_ends: Sequence[date], by: date) -> int:
    """The last month index that has ended by ``by`` (-1: none has)."""
    return bisect.bisect_right(list(month_ends), by) - 1


@dataclass(frozen=True, slots=True)
class Goal:
    """ "Return to settlement X by date D": is it met at P50 and at P80, in the plan's order and
    with the settlement's areas first (share of runs in which it is ready by D)."""

    by: date
    share_before: float
    share_after: float

    @property
    def p50_before(self) -> bool:
        return self.share_before >= 0.5

    @property
    def p80_before(self) -> bool:
        return self.share_before >= 0.8

    @property
    def p50_after(self) -> bool:
        return self.share_after >= 0.5

    @property
    def p80_after(self) -> bool:
        return self.share_after >= 0.8

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by.isoformat(),
            "share_of_runs_ready_by_then": {
                "plan": round(self.share_before, 4),
                "areas_first": round(self.share_after, 4),
            },
            "feasible_p50": {"plan": self.p50_before, "areas_first": self.p50_after},
            "feasible_p80": {"plan": self.p80_before, "areas_first": self.p80_after},
        }


def share_ready_by(latest: np.ndarray, month: int) -> float:
    """Share of runs in which the settlement is ready by the end of month index ``month``."""
    return float(np.mean(latest <= month)) if latest.size and month >= 0 else 0.0


@dataclass(frozen=True, slots=True)
class BringForward:
    settlement: str
    p50_before: str | None
    p50_after: str | None
    months_gained: int
    delayed: tuple[tuple[str, str | None, str | None], ...]  # other settlements: code, P50 before, after
    km2_days_elsewhere: float
    runs: int
    goal: Goal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            **({"goal": self.goal.as_dict()} if self.goal is not None else {}),
            "settlement": self.settlement,
            "p50_before": self.p50_before,
            "p50_after": self.p50_after,
            "months_gained": self.months_gained,
            "delayed_settlements": [{"code": c, "p50_before": b, "p50_after": a} for c, b, a in self.delayed],
            "km2_days_delay_elsewhere": round(self.km2_days_elsewhere, 3),
            "runs": self.runs,
            "quantiles": "joint",
        }
