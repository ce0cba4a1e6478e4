"""One account of what holds a settlement up: the planner's priority ("settlements awaiting
return") and readiness name the same blocking areas — footprint, a buffer along the access
routes, the farmland ring — never a radius of their own."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import LineString, Point

from landrelease.domain.enums import LandUse
from landrelease.domain.errors import ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.planning.priority import PriorityWeights, weights_from_mapping
from landrelease.services.plan import priorities
from landrelease.services.readiness import readiness
from landrelease.storage.repository import Register


def _box(code: str, x: float, y: float, use: LandUse, half: float = 0.0002) -> HazardArea:
    return HazardArea(code=code, geometry=shapely.box(x - half, y - half, x + half, y + half), land_use=use)


# At 47° E, 40° N: 0.001° of longitude ≈ 85 m, of latitude ≈ 111 m.
VILLAGE = Settlement(
    "S-A",
    "Village A",
    Point(47.0, 40.0).buffer(0.002),
    population=900,
    displaced=800,
    access_routes=LineString([(47.0, 40.0), (47.06, 40.0)]),
    farmland_ring_m=1500.0,
)
AREAS = [
    _box("ON", 47.0005, 40.0005, LandUse.OTHER),  # on the footprint
    _box("ROADSIDE", 47.03, 40.0004, LandUse.FOREST),  # ~22 m from the access route
    _box("ROAD", 47.05, 40.0, LandUse.ROAD),  # on the access route
    _box("FIELD-1200", 47.0, 40.0133, LandUse.FARMLAND),  # farmland ~1.2 km out: inside its 1.5 km ring
    _box("FOREST-800", 47.0, 40.0072, LandUse.FOREST),  # forest 800 m out: no reason to hold anyone up
    _box("FAR-ROAD", 47.03, 40.003, LandUse.ROAD),  # a road ~310 m off the route: not its access
]
BLOCKING = {"ON", "ROADSIDE", "ROAD", "FIELD-1200"}


def test_planner_and_readiness_name_the_same_blocking_areas(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_settlements([VILLAGE])
        uow.add_hazard_areas(AREAS)
    _, prios, links = priorities(register, PriorityWeights())
    (ready,) = readiness(register)
    assert set(ready.blocking) == BLOCKING
    assert links.blocking("S-A") == sorted(ready.blocking)
    assert links.reasons["S-A"] == dict(ready.reasons)
    held = {c for c, p in prios.items() if p.indicators["settlements_awaiting_return"] > 0}
    assert held == BLOCKING  # the old 1 km radius took FOREST-800 and missed FIELD-1200
    # the road on its access route comes before the village's other blocking areas
    assert links.roads["S-A"] == ["ROAD"] and "ROAD" not in links.areas["S-A"]


def test_the_old_radius_setting_is_refused_saying_why() -> None:
    with pytest.raises(ValidationError) as err:
        weights_from_mapping({"settlement_radius_km": 2.0}, "weights.yaml")
    (p,) = err.value.problems
    assert p.field == "settlement_radius_km" and "farmland ring" in p.message
