"""Which hazard areas hold up which settlement, for the planner: the readiness rule, split.

What holds a settlement up is :func:`landrelease.domain.blocking.blocking_areas` (its
footprint, a buffer along its access routes, its farmland ring) — the same pairs readiness
dates the settlement by. The planner uses them twice: the priority of an area grows with the
displaced people it keeps from home, and the roads and railways among a settlement's blocking
areas are scheduled before its other blocking areas (an access road before the village).
Splitting by land use (never by reason) keeps that order free of cycles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from landrelease.domain.blocking import DEFAULT_ROUTE_BUFFER_M, REASONS, blocking_areas
from landrelease.domain.enums import LandUse
from landrelease.domain.geometry import to_metric, utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement

ROAD_USES = frozenset({LandUse.ROAD, LandUse.RAIL})


@dataclass
class SettlementLinks:
    """``roads[s]``: road/rail areas among settlement s's blocking areas; ``areas[s]``: its other
    blocking areas; ``reasons[s]``: each blocking area's reason (footprint, access route, farmland)."""

    roads: dict[str, list[str]] = field(default_factory=dict)
    areas: dict[str, list[str]] = field(default_factory=dict)
    nearest_km: dict[str, float] = field(default_factory=dict)  # hazard code -> km to the nearest settlement
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)

    def blocking(self, settlement: str) -> list[str]:
        """Every area that holds the settlement up, sorted (readiness names the same)."""
        return sorted({*self.roads.get(settlement, []), *self.areas.get(settlement, [])})

    def settlements_served(self) -> dict[str, set[str]]:
        """hazard code -> the settlements whose return it holds up."""
        out: dict[str, set[str]] = {}
        for s, codes in list(self.roads.items()) + list(self.areas.items()):
            for c in codes:
                out.setdefault(c, set()).add(s)
        return out


def link_settlements(
    areas: Sequence[HazardArea],
    settlements: Sequence[Settlement],
    *,
    route_buffer_m: float = DEFAULT_ROUTE_BUFFER_M,
) -> SettlementLinks:
    """Link the open areas to the settlements they hold up, and every area to its nearest settlement."""
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
    live = [a for a in areas if a.is_open]
    b = blocking_areas(settlements, live, route_buffer_m=route_buffer_m)
    for si, ai, r in zip(b.settlement.tolist(), b.area.tolist(), b.reason.tolist(), strict=True):
        s, a = settlements[si].code, live[ai]
        (links.roads if a.land_use in ROAD_USES else links.areas).setdefault(s, []).append(a.code)
        links.reasons.setdefault(s, {})[a.code] = REASONS[r]
    for d in (links.roads, links.areas):
        for k in d:
            d[k] = sorted(set(d[k]))
    return links
