"""A realistic synthetic region: settlements, roads, a railway, hazard areas, evidence, a fleet.

The numbers follow ``shared/reference/figures.md``: most SHAs hold nothing ("less than 5 %
of SHAs prove to have any mines"), minefield records are ~20 % reliable and their true
fields are displaced from where the record puts them, sites near settlements carry more
metal clutter, cemeteries and religious sites are small, dense and manual-only. The
synthetic truth (how many items an area really holds) is kept in ``extra['synthetic']`` so
that models can be checked against it; real data never has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay
from shapely.geometry import LineString, MultiLineString, Point

from landrelease.domain.asset import Team
from landrelease.domain.enums import (
    AssetType,
    EOType,
    EvidenceKind,
    HazardKind,
    LandUse,
    Level,
)
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement

CENTRE = (47.0, 39.9)  # lon, lat of the sample region's centre
METRIC = CRS.from_epsg(32638)  # WGS 84 / UTM 38N contains the centre

# Published team rates (m²/day for the whole team) used as the fleet's priors.
TEAM_RATES = {
    AssetType.MANUAL: (8, 50.0),  # 8 deminers × 50 m²/day
    AssetType.MDD: (2, 750.0),  # a dog team: 750 m²/day
    AssetType.MECHANICAL: (3, 8000.0),
    AssetType.DRONE_SURVEY: (3, 400_000.0),
    AssetType.EOD: (4, 2000.0),
}

_SYLLABLES = ["ka", "ra", "li", "mo", "sa", "te", "vi", "du", "ne", "ba", "gor", "zan", "mir", "lu", "pe", "tor"]


@dataclass
class Scenario:
    """Everything a demo or a test needs, as domain objects."""

    hazard_areas: list[HazardArea]
    evidence: list[Evidence]
    settlements: list[Settlement]
    teams: list[Team]
    roads: list[LineString] = field(default_factory=list)
    railway: LineString | None = None
    seed: int = 0


def _name(rng: np.random.Generator) -> str:
    k = int(rng.integers(2, 4))
    return "".join(rng.choice(_SYLLABLES, size=k)).capitalize()


def _blob(rng: np.random.Generator, cx: float, cy: float, area: float) -> shapely.Polygon:
    """An irregular (star-shaped, so valid) polygon of about ``area`` m² around (cx, cy)."""
    n = int(rng.integers(6, 12))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.7, 1.3, n)
    aspect = rng.uniform(0.6, 1.6)
    ring = np.column_stack([np.cos(angles) * radii * aspect, np.sin(angles) * radii / aspect])
    poly = shapely.Polygon(ring)
    if not poly.is_valid:  # repeated angles can fold the ring
        poly = shapely.convex_hull(poly)
    scale = np.sqrt(area / max(poly.area, 1e-9))
    return shapely.Polygon(np.asarray(poly.exterior.coords) * scale + (cx, cy))


def generate(n_areas: int = 300, seed: int = 20201110, n_teams: int | None = None) -> Scenario:
    """A region with ``n_areas`` hazard areas; the same seed gives the same region."""
    if n_areas < 1:
        raise ValueError("n_areas must be at least 1")
    rng = np.random.default_rng(seed)
    to_wgs = Transformer.from_crs(METRIC, CRS.from_epsg(4326), always_xy=True)
    cx0, cy0 = Transformer.from_crs(CRS.from_epsg(4326), METRIC, always_xy=True).transform(*CENTRE)
    # about one hazard area per 1.5 km² of region
    half = np.sqrt(n_areas * 1.5e6) / 2.0

    def wgs(geom: shapely.Geometry) -> shapely.Geometry:
        # Vertices every 100 m keep long edges where they were: a straight UTM edge is not
        # straight in longitude/latitude.
        dense = shapely.segmentize(geom, 100.0)
        return shapely.transform(dense, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))

    # --- settlements, roads (a minimum spanning tree plus a few loops), a railway
    n_set = max(5, n_areas // 25)
    sx = rng.uniform(cx0 - half * 0.9, cx0 + half * 0.9, n_set)
    sy = rng.uniform(cy0 - half * 0.9, cy0 + half * 0.9, n_set)
    pts = np.column_stack([sx, sy])
    tri = Delaunay(pts)
    edges = set()
    for simplex in tri.simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = sorted((int(simplex[a]), int(simplex[b])))
            edges.add((i, j))
    dist = np.zeros((n_set, n_set))
    for i, j in edges:
        dist[i, j] = np.hypot(*(pts[i] - pts[j]))
    mst = minimum_spanning_tree(dist).tocoo()
    road_edges = {(int(i), int(j)) for i, j in zip(mst.row, mst.col, strict=True)}
    extra_edges = [e for e in edges if e not in road_edges]
    rng.shuffle(extra_edges)
    road_edges |= set(extra_edges[: max(1, len(extra_edges) // 5)])
    roads_m = [LineString([pts[i], pts[j]]) for i, j in sorted(road_edges)]
    rail_m = LineString(
        [(cx0 - half, cy0 + rng.uniform(-half, half) * 0.5), (cx0 + half, cy0 + rng.uniform(-half, half) * 0.5)]
    )

    settlements: list[Settlement] = []
    for k in range(n_set):
        pop = int(rng.lognormal(7.0, 1.0))
        routes = [r for (i, j), r in zip(sorted(road_edges), roads_m, strict=True) if k in (i, j)]
        settlements.append(
            Settlement(
                code=f"S{k + 1:04d}",
                name=_name(rng),
                geometry=wgs(Point(pts[k]).buffer(300 + 3 * np.sqrt(pop), quad_segs=4)),
                population=pop,
                displaced=int(pop * rng.uniform(0.5, 1.0)),
                access_routes=wgs(MultiLineString(routes)) if routes else None,
                region=_region(pts[k], cx0, cy0),
            )
        )

    # --- hazard areas
    land_uses = [
        LandUse.ROAD,
        LandUse.RAIL,
        LandUse.SETTLEMENT,
        LandUse.CEMETERY,
        LandUse.RELIGIOUS_SITE,
        LandUse.FARMLAND,
        LandUse.FOREST,
        LandUse.INFRASTRUCTURE,
        LandUse.OTHER,
    ]
    weights = np.array([0.12, 0.03, 0.10, 0.04, 0.03, 0.35, 0.15, 0.05, 0.13])
    uses = rng.choice(len(land_uses), size=n_areas, p=weights / weights.sum())
    # Jittered grid so that areas rarely overlap.
    side = int(np.ceil(np.sqrt(n_areas * 1.3)))
    cell = 2 * half / side
    slots = rng.permutation(side * side)[:n_areas]
    gx = cx0 - half + (slots % side + 0.5) * cell
    gy = cy0 - half + (slots // side + 0.5) * cell
    areas: list[HazardArea] = []
    evidence: list[Evidence] = []
    start = date(2021, 1, 1)
    operators = ["National Agency", "Operator A", "Operator B", "Operator C"]
    shapes: list[tuple[LandUse, float, float, shapely.Geometry]] = []
    for k in range(n_areas):
        use = land_uses[int(uses[k])]
        x = gx[k] + rng.uniform(-0.2, 0.2) * cell
        y = gy[k] + rng.uniform(-0.2, 0.2) * cell
        if use in (LandUse.ROAD, LandUse.RAIL):
            line = roads_m[int(rng.integers(len(roads_m)))] if use is LandUse.ROAD else rail_m
            pos = line.interpolate(rng.uniform(0, line.length))
            x, y = pos.x, pos.y
            length = rng.uniform(300, 2500)
            ang = rng.uniform(0, np.pi)
            seg = LineString(
                [
                    (x - np.cos(ang) * length / 2, y - np.sin(ang) * length / 2),
                    (x + np.cos(ang) * length / 2, y + np.sin(ang) * length / 2),
                ]
            )
            geom_m = seg.buffer(rng.uniform(8, 25), cap_style="flat")
        elif use in (LandUse.CEMETERY, LandUse.RELIGIOUS_SITE):
            geom_m = _blob(rng, x, y, float(rng.uniform(800, 12000)))
        else:
            geom_m = _blob(rng, x, y, float(np.clip(rng.lognormal(np.log(80_000), 1.1), 2_000, 3e6)))
        shapes.append((use, x, y, geom_m))
    # A register counts every m² once: earlier areas keep land that later ones also cover.
    kept = _without_overlaps([g for *_, g in shapes])
    for k, ((use, x, y, _), geom_m) in enumerate(zip(shapes, kept, strict=True)):
        kind = HazardKind.CHA if rng.random() < 0.2 else HazardKind.SHA
        near_settlement = use in (LandUse.SETTLEMENT, LandUse.CEMETERY, LandUse.RELIGIOUS_SITE, LandUse.INFRASTRUCTURE)
        clutter = (
            Level.HIGH
            if near_settlement and rng.random() < 0.6
            else (Level.MEDIUM if rng.random() < 0.3 else Level.LOW)
        )
        dense = use in (LandUse.CEMETERY, LandUse.RELIGIOUS_SITE) or (kind is HazardKind.CHA and rng.random() < 0.25)
        # Synthetic truth: CHAs are usually mined, SHAs rarely (< 5 %).
        mined = rng.random() < (0.7 if kind is HazardKind.CHA else 0.04)
        true_items = int(rng.poisson(geom_m.area / 1300.0 * (3.0 if dense else 0.3))) + 1 if mined else 0
        eo = (EOType.AP_MINE, EOType.AT_MINE) if use in (LandUse.ROAD, LandUse.RAIL) else (EOType.AP_MINE,)
        if rng.random() < 0.2:
            eo = (*eo, EOType.UXO)
        code = f"HA-{k + 1:06d}"
        area = HazardArea(
            code=code,
            name=f"{_name(rng)} {use.value.replace('_', ' ')}",
            geometry=wgs(geom_m),
            kind=kind,
            eo_types=eo,
            land_use=use,
            machine_accessible=bool(use in (LandUse.FARMLAND, LandUse.ROAD, LandUse.OTHER) and rng.random() < 0.7),
            slope_deg=float(rng.gamma(2.0, 3.0)),
            vegetation=[Level.LOW, Level.MEDIUM, Level.HIGH][int(rng.choice(3, p=[0.5, 0.3, 0.2]))],
            clutter=clutter,
            density=Level.HIGH if dense else (Level.MEDIUM if kind is HazardKind.CHA else Level.LOW),
            operator=operators[int(rng.integers(len(operators)))],
            region=_region((x, y), cx0, cy0),
            beneficiaries=int(rng.lognormal(5, 1.2)),
            created_at=None,
            extra={"synthetic": {"mined": bool(mined), "true_items": true_items}},
        )
        areas.append(area)
        centroid = geom_m.centroid

        def note(kind: EvidenceKind, where: shapely.Geometry, _code: str = code, **fields: Any) -> None:
            """One piece of evidence on this area, numbered in the order it is made."""
            evidence.append(
                Evidence(
                    kind=kind, geometry=wgs(where), hazard_code=_code, code=f"EV-{len(evidence) + 1:07d}", **fields
                )
            )

        def inside(_geom: shapely.Geometry = geom_m) -> Point:
            return _point_in(rng, _geom)

        day = start + timedelta(days=int(rng.integers(0, 1400)))
        if kind is HazardKind.CHA or rng.random() < 0.15:
            # A minefield record; its true field is displaced by 50-400 m.
            shift = rng.uniform(50, 400)
            ang = rng.uniform(0, 2 * np.pi)
            rec = shapely.affinity.translate(
                geom_m.buffer(-np.sqrt(geom_m.area) * 0.15), np.cos(ang) * shift, np.sin(ang) * shift
            )
            if rec.is_empty:
                rec = centroid.buffer(30)
            note(
                EvidenceKind.MINEFIELD_RECORD,
                rec,
                date=date(2020, 11, 20),
                source="handed-over minefield record",
                reliability=0.2,
                eo_type=EOType.AP_MINE,
                count=max(1, true_items + int(rng.integers(0, 30))),
            )
        if mined and rng.random() < 0.15:
            note(EvidenceKind.ACCIDENT, inside(), date=day, source="casualty report", reliability=0.95, eo_type=eo[0])
        if rng.random() < 0.3:
            positive = bool(mined or rng.random() < 0.2)
            note(EvidenceKind.INTERVIEW, inside(), date=day, source="NTS interview", reliability=0.3, positive=positive)
        if rng.random() < 0.1:
            false_alarm = clutter is Level.HIGH or not mined
            where = inside()
            confidence = float(rng.uniform(0.3, 0.6) if false_alarm else rng.uniform(0.6, 0.95))
            note(EvidenceKind.DRONE_DETECTION, where, date=day, source="drone survey", confidence=confidence)
        if mined and kind is HazardKind.CHA and rng.random() < 0.3:
            note(
                EvidenceKind.EO_FIND,
                inside(),
                date=day,
                source="EOD spot task",
                reliability=0.95,
                eo_type=eo[0],
                count=1,
            )

    # --- the fleet: mostly manual teams, as in the published mix
    n_teams = n_teams if n_teams is not None else max(6, n_areas // 15)
    mix = [
        (AssetType.MANUAL, 0.55),
        (AssetType.MDD, 0.2),
        (AssetType.MECHANICAL, 0.1),
        (AssetType.DRONE_SURVEY, 0.05),
        (AssetType.EOD, 0.1),
    ]
    teams: list[Team] = []
    counts = {t: max(1, round(n_teams * w)) for t, w in mix}
    for asset, count in counts.items():
        size, per_person = TEAM_RATES[asset]
        for _ in range(count):
            base = settlements[int(rng.integers(len(settlements)))].geometry.centroid
            rate = per_person * size if asset in (AssetType.MANUAL,) else per_person
            teams.append(
                Team(
                    code=f"{asset.value[:3].upper()}-{len(teams) + 1:04d}",
                    type=asset,
                    base=Point(base.x, base.y),
                    size=size if asset is not AssetType.MANUAL else 8,
                    operator=operators[int(rng.integers(len(operators)))],
                    cost_per_day=float(
                        {
                            AssetType.MANUAL: 1200,
                            AssetType.MDD: 900,
                            AssetType.MECHANICAL: 3000,
                            AssetType.DRONE_SURVEY: 800,
                            AssetType.EOD: 700,
                        }[asset]
                    ),
                    rate_m2_per_day=rate,
                    rate_sigma=0.5,
                )
            )
    return Scenario(
        hazard_areas=areas,
        evidence=evidence,
        settlements=settlements,
        teams=teams,
        roads=[wgs(r) for r in roads_m],
        railway=wgs(rail_m),
        seed=seed,
    )


def _without_overlaps(geoms: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Each geometry minus the ones before it, so areas tile without double counting.

    A piece that would shrink below a quarter of itself (or 200 m²) is moved aside instead
    of being cut, by shrinking it about its own centre until it fits.
    """
    out = list(geoms)
    for _ in range(4):  # a moved piece may meet a new neighbour: repeat until none is left
        arr = np.asarray(out, dtype=object)
        left, right = shapely.STRtree(arr).query(arr, predicate="intersects")
        earlier: dict[int, list[int]] = {}
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if j < i:
                earlier.setdefault(i, []).append(j)
        if not earlier:
            break
        _cut_earlier(out, earlier)
    return out


def _cut_earlier(out: list[shapely.Geometry], earlier: dict[int, list[int]]) -> None:
    for i in sorted(earlier):
        others = shapely.union_all([out[j] for j in earlier[i]])
        # a 10 cm gap, so reprojected neighbours never overlap by rounding
        cut = shapely.make_valid(shapely.difference(out[i], shapely.buffer(others, 0.1, quad_segs=2)))
        polys = [g for g in getattr(cut, "geoms", [cut]) if g.geom_type == "Polygon" and g.area > 0]
        if polys:
            cut = max(polys, key=lambda g: g.area)  # one polygon an area: the largest piece
        if not polys or cut.area < max(200.0, 0.25 * out[i].area):
            shrunk = out[i]
            for _ in range(6):
                shrunk = shapely.affinity.scale(shrunk, 0.6, 0.6, origin="centroid")
                if not shapely.intersects(shrunk, others):
                    break
            if not shapely.intersects(shrunk, others):
                cut = shrunk
            elif not polys:  # wholly covered: a small site just beside the others
                cut = _free_square(out[i].centroid, others)
        out[i] = cut


def _free_square(centre: Point, others: shapely.Geometry, side: float = 30.0) -> shapely.Polygon:
    """A ``side`` m square on an outward spiral from ``centre`` that touches nothing in ``others``."""
    for step in range(1, 20_000):  # out to ~3.5 km
        ang = step * 2.399963  # golden angle: an even spiral
        r = 25.0 * np.sqrt(step)
        sq = shapely.box(-side / 2, -side / 2, side / 2, side / 2)
        sq = shapely.affinity.translate(sq, centre.x + r * np.cos(ang), centre.y + r * np.sin(ang))
        if not shapely.intersects(sq.buffer(0.1), others):
            return sq
    raise RuntimeError("no free place for a hazard area")  # pragma: no cover - the region is mostly empty


def _point_in(rng: np.random.Generator, poly: shapely.Geometry) -> Point:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(100):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.representative_point()


def _region(xy: tuple[float, float] | np.ndarray, cx0: float, cy0: float) -> str:
    x, y = float(xy[0]), float(xy[1])
    ns = "North" if y >= cy0 else "South"
    ew = "East" if x >= cx0 else "West"
    return f"{ns}-{ew} district"
