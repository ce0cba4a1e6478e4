"""Which hazard areas block which settlement: its access roads, and the land around it.

A village can come back when its land and its access road are released. The planner uses
these links twice: the priority of an area grows with the displaced people it keeps from
home, and an access road is scheduled before the village it serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from landrelease.domain.enums import LandUse
from landrelease.domain.geometry import to_metric, utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement

ROAD_USES = frozenset({LandUse.ROAD, LandUse.RAIL})


@dataclass
class SettlementLinks:
    """``roads[s]``: road/rail areas crossing settlement s's access routes; ``areas[s]``: its other areas."""

    roads: dict[str, list[str]] = field(default_factory=dict)
    areas: dict[str, list[str]] = field(default_factory=dict)
    nearest_km: dict[str, float] = field(default_factory=dict)  # hazard code -> km to the nearest settlement

    def settlements_served(self) -> dict[str, set[str]]:
        """hazard code -> the settlements whose return it holds up."""
        out: dict[str, set[str]] = {}
        for s, codes in list(self.roads.items()) + list(self.areas.items()):
            for c in codes:
                out.setdefault(c, set()).add(s)
        return out


def link_settlements(
    areas: Sequence[HazardArea], settlements: Sequence[Settlement], radius_km: float = 1.0
) -> SettlementLinks:
    """Link areas to settlements in a metric CRS (distances in metres, never degrees)."""
    links = SettlementLinks()
    if not areas:
        return links
    if not settlements:
        links.nearest_km = {a.code: float("inf") for a in areas}
        return links
    crs = utm_crs_for_geometries([a.geometry for a in areas] + [s.geometry for s in settlements])
    area_m, _ = to_metric([a.geometry for a in areas], crs)
    sett_m, _ = to_metric([s.geometry for s in settlements], crs)
    tree = shapely.STRtree(sett_m)
    idx, dist = tree.query_nearest(area_m, return_distance=True, all_matches=False)
    nearest = np.full(len(areas), np.inf)
    nearest[idx[0]] = dist / 1000.0
    links.nearest_km = {a.code: float(nearest[i]) for i, a in enumerate(areas)}
    # the land around each settlement (anything but roads and railways)
    pairs = tree.query(area_m, predicate="dwithin", distance=radius_km * 1000.0)
    for ai, si in zip(pairs[0], pairs[1], strict=True):
        a = areas[int(ai)]
        if a.land_use not in ROAD_USES:
            links.areas.setdefault(settlements[int(si)].code, []).append(a.code)
    # access roads: road/rail areas that cross a settlement's access routes
    with_routes = [s for s in settlements if s.access_routes is not None and not s.access_routes.is_empty]
    road_idx = [i for i, a in enumerate(areas) if a.land_use in ROAD_USES]
    if with_routes and road_idx:
        routes_m, _ = to_metric([s.access_routes for s in with_routes], crs)
        rtree = shapely.STRtree(routes_m)
        hits = rtree.query(area_m[road_idx], predicate="intersects")
        for ri, si in zip(hits[0], hits[1], strict=True):
            links.roads.setdefault(with_routes[int(si)].code, []).append(areas[road_idx[int(ri)]].code)
    for d in (links.roads, links.areas):
        for k in d:
            d[k] = sorted(set(d[k]))
    return links
