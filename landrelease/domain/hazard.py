"""Hazard areas: the land that the register says may hold explosive ordnance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import EOType, HazardKind, HazardStatus, LandUse, Level


@dataclass(slots=True)
class HazardArea:
    """One SHA or CHA. Geometry is a (Multi)Polygon in EPSG:4326.

    ``parent_id`` links a part created by a partial release to the record it was split
    from, so history is never overwritten. ``area_m2`` is the area the register measured in
    the data's UTM zone when the record was written (None until it is stored): readers carry
    it instead of reprojecting the geometry again. ``extra`` holds only the user's own
    columns; what the engines compute is kept in :mod:`landrelease.domain.results`.
    """

    code: str
    geometry: BaseGeometry
    kind: HazardKind = HazardKind.SHA
    name: str = ""
    eo_types: tuple[EOType, ...] = ()
    land_use: LandUse = LandUse.OTHER
    machine_accessible: bool = True
    slope_deg: float = 0.0
    vegetation: Level = Level.LOW
    clutter: Level = Level.LOW
    density: Level = Level.LOW
    status: HazardStatus = HazardStatus.OPEN
    operator: str | None = None
    region: str | None = None
    priority_score: float | None = None
    beneficiaries: int | None = None
    id: int | None = None
    parent_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    extra: dict[str, object] = field(default_factory=dict)
    area_m2: float | None = None

    @property
    def is_open(self) -> bool:
        return not self.status.is_closed
