"""Consolidation: where there were two or three villages, one larger one with a school, a
medical centre, shops and a post office.

A *proposal* is a cluster of nearby former settlements whose people could return to one new
settlement: settlements are neighbours when their centres lie within ``max_km`` of each
other **and** they are contiguous along roads (an access route of one reaches the other's
footprint, or their access routes meet, within ``road_gap_m``). Clusters grow from the most
populous settlement through neighbours while the combined pre-war population stays within
``max_population``; a settlement joins one proposal at most.

Each proposal ranks candidate sites (the members' own footprints) by, in order: the joint
P50 readiness month (earlier first), access (how many other members reach the site along
roads, then whether the site has access routes at all), and the land released around it
(the ring of ``ring_m`` minus open hazard areas, in km²; more first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from landrelease.domain.geometry import to_metric, utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement

DEFAULT_MAX_KM = 5.0
DEFAULT_MAX_POPULATION = 5000
DEFAULT_ROAD_GAP_M = 250.0
DEFAULT_SITE_RING_M = 1000.0
NOT_READY = 10**6  # sorts after any month


@dataclass(frozen=True, slots=True)
class Site:
    settlement: str  # the member whose footprint is the candidate site
    ready_p50: str | None  # label of its joint P50 (None: ready now or unknown)
    ready_month: int  # its P50 month index (0: ready now; NOT_READY: unknown)
    reached_by: int  # other members that reach it along roads
    has_access: bool
    released_km2: float  # land around it not in an open hazard area

    def as_dict(self) -> dict[str, Any]:
        return {
            "settlement": self.settlement,
            "ready_p50": self.ready_p50,
            "reached_by": self.reached_by,
            "has_access": self.has_access,
            "released_km2": round(self.released_km2, 3),
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    code: str
    members: tuple[str, ...]
    population: int
    displaced: int
    span_km: float  # largest distance between two members' centres
    sites: tuple[Site, ...]  # best first

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "members": list(self.members),
            "population": self.population,
            "displaced": self.displaced,
            "span_km": round(self.span_km, 2),
            "sites": [s.as_dict() for s in self.sites],
        }


def _road_contiguous(sett_m: np.ndarray, routes_m: np.ndarray, gap_m: float) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, contiguous along roads: a route of one within ``gap_m`` of the other's
    footprint, or their routes within ``gap_m`` of each other."""
    pairs: set[tuple[int, int]] = set()
    has = np.flatnonzero(~(shapely.is_missing(routes_m) | shapely.is_empty(routes_m)))
    if not len(has):
        return pairs
    foot = shapely.STRtree(sett_m)
    r, s = foot.query(routes_m[has], predicate="dwithin", distance=gap_m)
    for a, b in zip(has[r].tolist(), s.tolist(), strict=True):
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    rtree = shapely.STRtree(routes_m[has])
    r1, r2 = rtree.query(routes_m[has], predicate="dwithin", distance=gap_m)
    for a, b in zip(has[r1].tolist(), has[r2].tolist(), strict=True):
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    return pairs


def propose(
    settlements: Sequence[Settlement],
    open_areas: Sequence[HazardArea],
    ready: Mapping[str, tuple[int, str | None]],
    *,
    max_km: float = DEFAULT_MAX_KM,
    max_population: int = DEFAULT_MAX_POPULATION,
    road_gap_m: float = DEFAULT_ROAD_GAP_M,
    ring_m: float = DEFAULT_SITE_RING_M,
    exclude: frozenset[str] = frozenset(),
) -> list[Proposal]:
    """Consolidation proposals, most people first. ``ready`` maps a settlement code to its
    joint P50 (month index, label); ``exclude`` settlements already consolidated."""
    pool = [s for s in settlements if s.code not in exclude]
    if len(pool) < 2:
        return []
    crs = utm_crs_for_geometries([s.geometry for s in pool])
    sett_m, _ = to_metric([s.geometry for s in pool], crs)
    routes = np.array([s.access_routes for s in pool], dtype=object)
    has = ~(shapely.is_missing(routes) | shapely.is_empty(routes))
    routes_m = np.full(len(pool), None, dtype=object)
    if has.any():
        routes_m[has], _ = to_metric(routes[has], crs)
    centres = shapely.centroid(sett_m)
    ctree = shapely.STRtree(centres)
    a, b = ctree.query(centres, predicate="dwithin", distance=max_km * 1000.0)
    near = {(int(x), int(y)) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x < y}
    roads = _road_contiguous(sett_m, routes_m, road_gap_m)
    edges = near & roads
    nbrs: dict[int, set[int]] = {}
    for x, y in edges:
        nbrs.setdefault(x, set()).add(y)
        nbrs.setdefault(y, set()).add(x)
    pop = [max(s.population, 0) for s in pool]
    taken: set[int] = set()
    clusters: list[list[int]] = []
    for seed in sorted(range(len(pool)), key=lambda i: (-pop[i], pool[i].code)):
        if seed in taken or seed not in nbrs:
            continue
        members = [seed]
        total = pop[seed]
        frontier = sorted(nbrs[seed] - taken, key=lambda i: (-pop[i], pool[i].code))
        while frontier:
            nxt = frontier.pop(0)
            if nxt in members or nxt in taken or total + pop[nxt] > max_population:
                continue
            members.append(nxt)
            total += pop[nxt]
            frontier = sorted(
                ({n for m in members for n in nbrs.get(m, set())} - taken - set(members)),
                key=lambda i: (-pop[i], pool[i].code),
            )
        if len(members) >= 2:
            taken.update(members)
            clusters.append(members)
    # released land around each candidate: the ring minus open hazard areas
    area_m = to_metric([h.geometry for h in open_areas if h.is_open], crs)[0] if open_areas else np.array([])
    atree = shapely.STRtree(area_m) if len(area_m) else None
    out = []
    for members in clusters:
        sites = []
        for m in members:
            ring = shapely.buffer(sett_m[m], ring_m)
            ring_area = float(shapely.area(ring))
            blocked = 0.0
            if atree is not None:
                hits = atree.query(ring, predicate="intersects")
                if len(hits):
                    blocked = float(shapely.area(shapely.intersection(shapely.union_all(area_m[hits]), ring)))
            month, label = ready.get(pool[m].code, (NOT_READY, None))
            reached = sum(1 for o in members if o != m and (min(o, m), max(o, m)) in roads)
            sites.append(Site(pool[m].code, label, month, reached, bool(has[m]), (ring_area - blocked) / 1e6))
        sites.sort(key=lambda s: (s.ready_month, -s.reached_by, not s.has_access, -s.released_km2, s.settlement))
        codes = tuple(sorted(pool[m].code for m in members))
        cx = shapely.get_coordinates(centres[members])
        span = float(np.max(np.hypot(*(cx[:, None, :] - cx[None, :, :]).transpose(2, 0, 1)))) / 1000.0
        out.append(
            Proposal(
                "C-" + "-".join(codes),
                codes,
                sum(pool[m].population for m in members),
                sum(pool[m].displaced for m in members),
                span,
                tuple(sites),
            )
        )
    return sorted(out, key=lambda p: (-p.population, p.code))
