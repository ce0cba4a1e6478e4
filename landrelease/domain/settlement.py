"""Settlements whose people wait to come home."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry


@dataclass(slots=True)
class Settlement:
    """A village or town; ``access_routes`` is the road(s) people need to reach it."""

    code: str
    name: str
    geometry: BaseGeometry
    population: int = 0
    displaced: int = 0
    access_routes: BaseGeometry | None = None
    region: str | None = None
    id: int | None = None
