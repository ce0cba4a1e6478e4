"""What the engines conclude about hazard areas, as typed records (stored in their own tables).

The register holds what people recorded; these hold what the contamination model and the
forecast computed from it. They are never mixed into a hazard area's ``extra`` (which keeps
only the user's own columns), so every reader (map, API, dashboards, readiness, report)
reads one typed account of each area.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from landrelease.domain.hazard import HazardArea

QUANTILE_KEYS = ("p10", "p50", "p90")


def params_hash(params: Mapping[str, Any]) -> str:
    """A stable SHA-256 of a model's parameters (keys sorted), so an assessment says which
    assumptions produced it.

    >>> params_hash({"b": 1, "a": 0.5}) == params_hash({"a": 0.5, "b": 1})
    True
    >>> len(params_hash({}))
    64
    """
    text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Assessment:
    """The contamination model's verdict on one hazard area.

    ``p_any`` is the probability that the area holds any explosive ordnance, and
    ``expected_items`` the expected number of items in it (unconditional); ``params_hash``
    names the model's assumptions and ``cell_m`` its grid, so two assessments can be told
    apart.
    """

    hazard_code: str
    p_any: float
    expected_items: float
    params_hash: str
    assessed_at: datetime
    cell_m: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.p_any <= 1.0:
            raise ValueError(f"{self.hazard_code}: p_any {self.p_any} is not a probability")
        if not self.expected_items >= 0.0:
            raise ValueError(f"{self.hazard_code}: expected_items {self.expected_items} is negative")


@dataclass(frozen=True, slots=True)
class AreaPortfolio:
    """Hazard areas as the use cases read them in one query: each record (with the area in m²
    stored when it was written) and the model's assessment of it, None where none exists."""

    areas: list[HazardArea]
    assessments: list[Assessment | None]

    def __post_init__(self) -> None:
        if len(self.areas) != len(self.assessments):
            raise ValueError("one assessment (or None) per hazard area")

    def __len__(self) -> int:
        return len(self.areas)

    @property
    def codes(self) -> list[str]:
        return [a.code for a in self.areas]

    def area_m2(self) -> list[float]:
        """The stored metric areas; refuses an area that was never stored (no measured area)."""
        out = []
        for a in self.areas:
            if a.area_m2 is None:
                raise ValueError(f"{a.code}: no stored area (read the portfolio from the register)")
            out.append(a.area_m2)
        return out


@dataclass(frozen=True, slots=True)
class AreaForecast:
    """One hazard area's release in one stored forecast.

    ``months`` are month indices of the P10/P50/P90 release (0 = the forecast's first month;
    ``horizon_years * 12`` means not within the horizon); ``released_by`` the end of those
    months (None beyond the horizon). ``run_months`` is the release month of every simulated
    run, when the forecast kept them (so quantiles over several areas can be joint).
    """

    hazard_code: str
    position: int  # place in the dispatch order, from 0
    area_m2: float
    months: tuple[int, int, int]
    released_by: tuple[date | None, date | None, date | None]
    p_released: float  # share of runs in which the area is released within the horizon
    horizon_years: int
    runs: int
    seed: int
    start: date
    p_any: float | None = None
    p_cancelled: float | None = None
    p_reduced: float | None = None
    p_cleared: float | None = None

    def label(self, q: str) -> str:
        """ "YYYY-MM" of the ``q`` ("p10"/"p50"/"p90") release month, or "beyond N years"."""
        d = self.released_by[QUANTILE_KEYS.index(q)]
        return d.strftime("%Y-%m") if d is not None else f"beyond {self.horizon_years} years"

    def summary(self) -> dict[str, Any]:
        """The area's forecast as the map's side panel, the API and readiness show it."""
        out: dict[str, Any] = {f"released_by_{q}": self.label(q) for q in QUANTILE_KEYS}
        out["released_within_horizon"] = round(self.p_released, 4)
        if self.p_any is not None:
            out["p_any_eo"] = round(self.p_any, 4)
        for key, value in (
            ("p_cancelled_by_nts", self.p_cancelled),
            ("p_reduced_by_ts", self.p_reduced),
            ("p_cleared_in_full", self.p_cleared),
        ):
            if value is not None:
                out[key] = round(value, 4)
        out["dispatch_position"] = self.position + 1
        out["runs"] = self.runs
        out["seed"] = self.seed
        out["start"] = self.start.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class JointRelease:
    """When a set of hazard areas is released together (all of them), over the runs of one
    forecast: the quantiles of the latest month among them, run by run."""

    codes: tuple[str, ...]
    months: tuple[int, int, int]  # P10/P50/P90 month index; horizon_years * 12: beyond
    released_by: tuple[date | None, date | None, date | None]
    runs: int
    horizon_years: int
    missing: tuple[str, ...] = field(default_factory=tuple)  # codes the forecast does not hold

    def label(self, q: str) -> str:
        d = self.released_by[QUANTILE_KEYS.index(q)]
        return d.strftime("%Y-%m") if d is not None else f"beyond {self.horizon_years} years"


def latest_label(labels: Sequence[str]) -> str:
    """The latest of "YYYY-MM" months; any "beyond …" (not within the horizon) is later still.

    >>> latest_label(["2027-03", "2026-11"])
    '2027-03'
    >>> latest_label(["2027-03", "beyond 10 years"])
    'beyond 10 years'
    """
    beyond = [v for v in labels if not v[:1].isdigit()]
    return beyond[0] if beyond else max(labels)
