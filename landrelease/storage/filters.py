"""What the register, the API and exports filter hazard areas by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_

from landrelease.domain.enums import OPEN_STATUS_VALUES, HazardKind, HazardStatus, LandUse
from landrelease.storage import schema

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class HazardFilter:
    """What the register, the API and exports filter hazard areas by."""

    status: Sequence[HazardStatus] | None = None
    open_only: bool = False
    include_superseded: bool = False
    operator: str | None = None
    land_use: Sequence[LandUse] | None = None
    region: str | None = None
    kind: HazardKind | None = None
    bbox: BBox | None = None
    codes: Sequence[str] | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        t = schema.hazard_area
        if self.status:
            query = query.where(t.c.status.in_([s.value for s in self.status]))
        elif self.open_only:
            query = query.where(t.c.status.in_(OPEN_STATUS_VALUES))
        elif not self.include_superseded:
            query = query.where(t.c.status != HazardStatus.SUPERSEDED.value)
        if self.operator:
            query = query.where(t.c.operator == self.operator)
        if self.land_use:
            query = query.where(t.c.land_use.in_([lu.value for lu in self.land_use]))
        if self.region:
            query = query.where(t.c.region == self.region)
        if self.kind:
            query = query.where(t.c.kind == self.kind.value)
        if self.codes is not None:
            query = query.where(t.c.code.in_(list(self.codes)))
        if self.bbox:
            minx, miny, maxx, maxy = self.bbox
            query = query.where(and_(t.c.maxx >= minx, t.c.minx <= maxx, t.c.maxy >= miny, t.c.miny <= maxy))
        return query
