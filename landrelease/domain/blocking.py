"""What holds a settlement's return up: the one rule, used by readiness and by the planner.

A settlement's *blocking areas* are the open hazard areas

- on its footprint (any land use),
- within ``route_buffer_m`` of its access routes (roads and railways as lines: nobody drives
  past a suspected minefield at the roadside), and
- on the farmland it needs: farmland areas within its ``farmland_ring_m`` (a parameter of
  each settlement; :data:`DEFAULT_FARMLAND_RING_M` where it has none).

Readiness (:mod:`landrelease.returns.readiness`) dates a settlement by the latest release
among these areas; the planner's priority ("settlements awaiting return") counts the
displaced people each area holds up by the same pairs. The spatial joins use STRtrees in a
metric CRS (distances in metres, never degrees).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from landrelease.domain.enums import LandUse
from landrelease.domain.geometry import to_metric, utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement

DEFAULT_FARMLAND_RING_M = 1000.0
DEFAULT_ROUTE_BUFFER_M = 50.0

FOOTPRINT, ROUTE, FARMLAND = 0, 1, 2
REASONS = ("footprint", "access route", "farmland")


@dataclass(frozen=True, slots=True)
class Blocking:
    """Which areas block which settlements: index pairs sorted by settlement then area, one
    pair per (settlement, area), with the first reason found (footprint, route, farmland)."""

    settlement: np.ndarray  # int64 index into the settlements
    area: np.ndarray  # int64 index into the areas
    reason: np.ndarray  # int8: FOOTPRINT, ROUTE or FARMLAND


def _empty_blocking() -> Blocking:
    e = np.zeros(0, dtype=np.int64)
    return Blocking(e, e.copy(), np.zeros(0, dtype=np.int8))


def blocking_areas(
    settlements: Sequence[Settlement],
    areas: Sequence[HazardArea],
    *,
    route_buffer_m: float = DEFAULT_ROUTE_BUFFER_M,
    metric: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Blocking:
    """The blocking (settlement, area) pairs, by three STRtree queries in a metric CRS.

    ``metric`` may give the already projected (settlement footprints, access routes or None,
    areas) to skip the projection (the benchmark's synthetic data is metric already).
    """
    if not settlements or not areas:
        return _empty_blocking()
    if metric is None:
        crs = utm_crs_for_geometries([s.geometry for s in settlements] + [a.geometry for a in areas])
        sett_m, _ = to_metric([s.geometry for s in settlements], crs)
        area_m, _ = to_metric([a.geometry for a in areas], crs)
        routes = np.array([s.access_routes for s in settlements], dtype=object)
        has = ~(shapely.is_missing(routes) | shapely.is_empty(routes))
        routes_m = np.full(len(settlements), None, dtype=object)
        if has.any():
            routes_m[has], _ = to_metric(routes[has], crs)
    else:
        sett_m, routes_m, area_m = metric
    tree = shapely.STRtree(area_m)
    parts_s, parts_a, parts_r = [], [], []
    s1, a1 = tree.query(sett_m, predicate="intersects")
    parts_s.append(s1)
    parts_a.append(a1)
    parts_r.append(np.full(len(s1), FOOTPRINT, np.int8))
    has_route = np.flatnonzero(~(shapely.is_missing(routes_m) | shapely.is_empty(routes_m)))
    if len(has_route):
        r2, a2 = tree.query(routes_m[has_route], predicate="dwithin", distance=float(route_buffer_m))
        parts_s.append(has_route[r2])
        parts_a.append(a2)
        parts_r.append(np.full(len(r2), ROUTE, np.int8))
    farm = np.flatnonzero(np.array([a.land_use == LandUse.FARMLAND for a in areas], dtype=bool))
    if len(farm):
        ring = np.array(
            [DEFAULT_FARMLAND_RING_M if s.farmland_ring_m is None else float(s.farmland_ring_m) for s in settlements]
        )
        ftree = shapely.STRtree(area_m[farm])
        s3, f3 = ftree.query(sett_m, predicate="dwithin", distance=ring)
        parts_s.append(s3)
        parts_a.append(farm[f3])
        parts_r.append(np.full(len(s3), FARMLAND, np.int8))
    s = np.concatenate(parts_s).astype(np.int64)
    a = np.concatenate(parts_a).astype(np.int64)
    r = np.concatenate(parts_r)
    if not len(s):
        return _empty_blocking()
    order = np.lexsort((r, a, s))  # by settlement, area, then the first reason
    s, a, r = s[order], a[order], r[order]
    first = np.ones(len(s), dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (a[1:] != a[:-1])
    return Blocking(s[first], a[first], r[first])

