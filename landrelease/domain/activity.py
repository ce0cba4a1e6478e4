"""Activities on hazard areas and what they released or found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import ActivityKind, EOType, ReleaseMethod


@dataclass(slots=True)
class Find:
    """One device found (GICHD minimum data: coordinates, category, model, condition, depth)."""

    eo_type: EOType
    position: BaseGeometry
    depth_cm: float | None = None
    model: str | None = None
    condition: str | None = None
    disposal: str | None = None  # a Disposal value: how the device was destroyed or made safe


@dataclass(slots=True)
class ReleasedPart:
    """A polygon released by one activity with one method."""

    method: ReleaseMethod
    geometry: BaseGeometry


@dataclass(slots=True)
class Activity:
    """NTS, TS, clearance or EOD on a hazard area, with its land-release product."""

    hazard_code: str
    kind: ActivityKind
    start_date: date
    end_date: date | None = None
    team: str | None = None
    operator: str | None = None
    area_processed_m2: float = 0.0
    released: list[ReleasedPart] = field(default_factory=list)
    finds: list[Find] = field(default_factory=list)
    clearance_depth_cm: float | None = None
    status: str = "completed"
    code: str | None = None
    id: int | None = None
