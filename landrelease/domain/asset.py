"""Teams and assets that do the work."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point

from landrelease.domain.enums import AssetType


@dataclass(slots=True)
class Team:
    """A deployable unit. ``rate_m2_per_day`` is the whole team's median rate;
    ``rate_sigma`` is the lognormal spread of that rate (log scale)."""

    code: str
    type: AssetType
    base: Point
    size: int = 1
    operator: str | None = None
    cost_per_day: float | None = None
    rate_m2_per_day: float | None = None
    rate_sigma: float | None = None
    id: int | None = None
