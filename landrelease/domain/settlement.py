"""Settlements whose people wait to come home."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry


@dataclass(slots=True)
class Settlement:
    """A village or town; ``access_routes`` is the road(s) people need to reach it, and
    ``farmland_ring_m`` how far around it the farmland its people live from reaches (None:
    the readiness default)."""

    code: str
    name: str
    geometry: BaseGeometry
    population: int = 0
    displaced: int = 0
    access_routes: BaseGeometry | None = None
    region: str | None = None
    id: int | None = None
    farmland_ring_m: float | None = None
