"""Data-quality checks on hazard-area data (GICHD's geocheck), as pure functions over arrays.

IMSMA users run these by hand as SQL; here each check takes ids and geometries (EPSG:4326)
as arrays, works in bulk (Shapely 2 vectorised functions, an STRtree for pairs) so it scales
to national registers, does no I/O, and returns :class:`Problem` records naming the record,
the field, what was found and what was expected. The register (``landrelease check``) and
the importer both call them.

Severity: errors make the data wrong for any report (invalid or degenerate polygons,
duplicates); warnings distort figures (overlapping hazard areas count land twice, duplicate
points and devices inflate evidence); advisories are worth a look (long jumps between
vertices, overlapping parts of one multipolygon).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from landrelease.domain.errors import Problem, Severity
from landrelease.domain.geometry import to_metric, utm_crs_for_geometries

MAX_VERTEX_GAP_KM = 5.0  # GICHD geocheck: consecutive vertices further apart are suspicious
SAME_PLACE_M = 0.5  # two points closer than this are "the same coordinates"
MIN_OVERLAP_M2 = 1.0  # overlaps smaller than this are digitising noise

_GEOD = Geod(ellps="WGS84")
_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon

Array = np.ndarray


def _arr(values: Sequence[Any] | Array) -> Array:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _polygonal_mask(geoms: Array) -> Array:
    present = ~shapely.is_missing(geoms)
    mask = np.zeros(len(geoms), dtype=bool)
    if present.any():
        mask[present] = np.isin(shapely.get_type_id(geoms[present]), _POLYGONAL) & ~shapely.is_empty(geoms[present])
    return mask


def invalid_polygons(ids: Sequence[str], geoms: Sequence[Any] | Array, *, source: str | None = None) -> list[Problem]:
    """Missing, empty, non-polygon and invalid (self-intersecting, unclosed…) geometries."""
    ids_a, g = _arr(ids), _arr(geoms)
    problems: list[Problem] = []
    missing = shapely.is_missing(g)
    for i in np.flatnonzero(missing):
        problems.append(
            Problem(
                "the record has no geometry",
                str(ids_a[i]),
                "geometry",
                "nothing",
                "a polygon",
                source,
                Severity.ERROR,
                "empty_geometry",
            )
        )
    present = np.flatnonzero(~missing)
    if len(present) == 0:
        return problems
    types = shapely.get_type_id(g[present])
    empty = shapely.is_empty(g[present])
    for k in np.flatnonzero(empty):
        problems.append(
            Problem(
                "the geometry is empty",
                str(ids_a[present[k]]),
                "geometry",
                "an empty geometry",
                "a polygon",
                source,
                Severity.ERROR,
                "empty_geometry",
            )
        )
    wrong = ~np.isin(types, _POLYGONAL) & ~empty
    for k in np.flatnonzero(wrong):
        problems.append(
            Problem(
                "a hazard area must be a polygon",
                str(ids_a[present[k]]),
                "geometry",
                g[present[k]].geom_type,
                "Polygon or MultiPolygon",
                source,
                Severity.ERROR,
                "wrong_geometry_type",
            )
        )
    poly = present[~wrong & ~empty]
    valid = shapely.is_valid(g[poly])
    bad = poly[~valid]
    if len(bad):
        reasons = shapely.is_valid_reason(g[bad])
        for i, reason in zip(bad, reasons, strict=True):
            problems.append(
                Problem(
                    "the polygon is invalid",
                    str(ids_a[i]),
                    "geometry",
                    str(reason),
                    "a valid polygon (OGC simple features)",
                    source,
                    Severity.ERROR,
                    "invalid_polygon",
                )
            )
    return problems


def too_few_vertices(ids: Sequence[str], geoms: Sequence[Any] | Array, *, source: str | None = None) -> list[Problem]:
    """Polygons with a ring of fewer than 3 distinct vertices (a point or a line, not an area)."""
    ids_a, g = _arr(ids), _arr(geoms)
    idx = np.flatnonzero(_polygonal_mask(g))
    if len(idx) == 0:
        return []
    polys, owner = shapely.get_parts(g[idx], return_index=True)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    order = np.lexsort((coords[:, 1], coords[:, 0], ring_of))
    r, xy = ring_of[order], coords[order]
    new = np.ones(len(r), dtype=bool)  # first occurrence of each (ring, x, y)
    new[1:] = (r[1:] != r[:-1]) | np.any(xy[1:] != xy[:-1], axis=1)
    counts = np.bincount(r[new], minlength=len(rings))
    bad_rings = np.flatnonzero(counts < 3)
    problems: list[Problem] = []
    worst: dict[int, int] = {}
    for r in bad_rings:
        rec = int(idx[owner[ring_poly[r]]])
        worst[rec] = min(worst.get(rec, 99), int(counts[r]))
    for rec, n in sorted(worst.items()):
        problems.append(
            Problem(
                "a ring of the polygon has fewer than 3 distinct vertices",
                str(ids_a[rec]),
                "geometry",
                f"{n} distinct vertices",
                "at least 3",
                source,
                Severity.ERROR,
                "too_few_vertices",
            )
        )
    return problems


def duplicate_ids(
    ids: Sequence[Any],
    *,
    field: str = "code",
    source: str | None = None,
    check: str = "duplicate_id",
    what: str = "code",
) -> list[Problem]:
    """Ids (codes, local ids) used by more than one record; blanks are ignored."""
    ids_a = np.asarray([str(i) for i in ids if i is not None and str(i).strip() != ""], dtype=object)
    if len(ids_a) == 0:
        return []
    values, counts = np.unique(ids_a, return_counts=True)
    return [
        Problem(
            f"the {what} is used by more than one record",
            str(v),
            field,
            f"{int(c)} records",
            "unique",
            source,
            Severity.ERROR,
            check,
        )
        for v, c in zip(values, counts, strict=True)
        if c > 1
    ]


def _groups(n: int, left: Array, right: Array) -> list[Array]:
    """Connected groups (of 2 or more) from pairs of indices."""
    if len(left) == 0:
        return []
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    return [np.flatnonzero(labels == lab) for lab in np.flatnonzero(sizes > 1)]


def duplicate_geometries(
    ids: Sequence[str], geoms: Sequence[Any] | Array, *, source: str | None = None
) -> list[Problem]:
    """Records whose polygons have the same coordinates (in any vertex order or start point)."""
    ids_a, g = _arr(ids), _arr(geoms)
    idx = np.flatnonzero(_polygonal_mask(g))
    if len(idx) < 2:
        return []
    keys = shapely.to_wkt(shapely.normalize(g[idx]), rounding_precision=7, trim=True)  # ~1 cm
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    problems = []
    for grp in np.flatnonzero(counts > 1):
        members = [str(ids_a[idx[k]]) for k in np.flatnonzero(inverse == grp)]
        for rec in members[1:]:
            problems.append(
                Problem(
                    "the polygon has the same coordinates as another record",
                    rec,
                    "geometry",
                    f"same as {members[0]}",
                    "a distinct polygon",
                    source,
                    Severity.ERROR,
                    "duplicate_geometry",
                )
            )
    return problems


def _same_place_pairs(points: Array, tolerance_m: float) -> tuple[Array, Array]:
    if len(points) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    metric, _ = to_metric(points)
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="dwithin", distance=tolerance_m)
    keep = left < right
    return left[keep], right[keep]


def duplicate_points(
    ids: Sequence[str],
    points: Sequence[Any] | Array,
    owners: Sequence[Any],
    *,
    tolerance_m: float = SAME_PLACE_M,
    source: str | None = None,
    check: str = "duplicate_point",
    what: str = "point",
    owner_label: str = "hazard area",
) -> list[Problem]:
    """Points at the same place (within ``tolerance_m``) that share an owner.

    For evidence the owner is the hazard area (GICHD: duplicate points inside a polygon);
    for finds (devices) it is the EO type, so a mine and a fuze at one spot are not flagged.
    """
    ids_a, p, own = _arr(ids), _arr(points), _arr(owners)
    ok = np.flatnonzero(~shapely.is_missing(p) & ~shapely.is_empty(p) & (own != None))  # noqa: E711 - elementwise
    left, right = _same_place_pairs(p[ok], tolerance_m)
    same_owner = own[ok][left] == own[ok][right]
    left, right = left[same_owner], right[same_owner]
    problems = []
    for members in _groups(len(ok), left, right):
        names = [str(ids_a[ok[k]]) for k in members]
        for rec in names[1:]:
            problems.append(
                Problem(
                    f"the {what} is at the same place as another in the same {owner_label}",
                    rec,
                    "geometry",
                    f"same place as {names[0]} ({owner_label} {own[ok[members[0]]]})",
                    f"one record per {what} (closer than {tolerance_m:g} m counts as the same)",
                    source,
                    Severity.WARNING,
                    check,
                )
            )
    return problems


def long_vertex_gaps(
    ids: Sequence[str], geoms: Sequence[Any] | Array, *, max_km: float = MAX_VERTEX_GAP_KM, source: str | None = None
) -> list[Problem]:
    """Consecutive vertices further apart than ``max_km`` (geodesic, WGS 84): a typing slip?"""
    ids_a, g = _arr(ids), _arr(geoms)
    idx = np.flatnonzero(_polygonal_mask(g))
    if len(idx) == 0:
        return []
    polys, owner = shapely.get_parts(g[idx], return_index=True)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_of[1:] == ring_of[:-1]
    _, _, dist = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    gap_km = np.where(same_ring, np.asarray(dist) / 1000.0, 0.0)
    far = np.flatnonzero(gap_km > max_km)
    worst: dict[int, float] = {}
    for k in far:
        rec = int(idx[owner[ring_poly[ring_of[k]]]])
        worst[rec] = max(worst.get(rec, 0.0), float(gap_km[k]))
    return [
        Problem(
            "consecutive vertices are far apart",
            str(ids_a[rec]),
            "geometry",
            f"{km:,.1f} km",
            f"at most {max_km:g} km",
            source,
            Severity.ADVISORY,
            "long_vertex_gap",
        )
        for rec, km in sorted(worst.items())
    ]


def overlapping_multipolygon_parts(
    ids: Sequence[str],
    geoms: Sequence[Any] | Array,
    *,
    min_overlap_m2: float = MIN_OVERLAP_M2,
    source: str | None = None,
) -> list[Problem]:
    """Parts of one multipolygon that overlap each other (their area counts twice)."""
    ids_a, g = _arr(ids), _arr(geoms)
    multi = np.flatnonzero(_polygonal_mask(g) & (shapely.get_type_id(g) == 6))
    if len(multi) == 0:
        return []
    parts, owner = shapely.get_parts(g[multi], return_index=True)
    metric, _ = to_metric(parts, utm_crs_for_geometries(parts))
    metric = np.where(shapely.is_valid(metric), metric, shapely.make_valid(metric))
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = (left < right) & (owner[left] == owner[right])
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return []
    shared = shapely.area(shapely.intersection(metric[left], metric[right]))
    worst: dict[int, float] = {}
    for k in np.flatnonzero(shared > min_overlap_m2):
        rec = int(multi[owner[left[k]]])
        worst[rec] = worst.get(rec, 0.0) + float(shared[k])
    return [
        Problem(
            "parts of the multipolygon overlap each other",
            str(ids_a[rec]),
            "geometry",
            f"{m2:,.0f} m² counted twice",
            "disjoint parts",
            source,
            Severity.ADVISORY,
            "overlapping_parts",
        )
        for rec, m2 in sorted(worst.items())
    ]


def overlapping_areas(
    ids: Sequence[str],
    geoms: Sequence[Any] | Array,
    *,
    min_overlap_m2: float = MIN_OVERLAP_M2,
    crs: CRS | None = None,
    source: str | None = None,
) -> list[Problem]:
    """Pairs of hazard areas that overlap: land counted twice in every total. STRtree pairs,
    overlap measured in m² in the UTM zone of the data."""
    ids_a, g = _arr(ids), _arr(geoms)
    idx = np.flatnonzero(_polygonal_mask(g))
    if len(idx) < 2:
        return []
    metric, _ = to_metric(g[idx], crs or utm_crs_for_geometries(g[idx]))
    invalid = ~shapely.is_valid(metric)
    if invalid.any():
        metric[invalid] = shapely.make_valid(metric[invalid])
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return []
    shared = shapely.area(shapely.intersection(metric[left], metric[right]))
    problems = []
    for k in np.flatnonzero(shared > min_overlap_m2):
        a, b = str(ids_a[idx[left[k]]]), str(ids_a[idx[right[k]]])
        problems.append(
            Problem(
                f"the hazard area overlaps {b}",
                a,
                "geometry",
                f"{float(shared[k]):,.0f} m² shared with {b}",
                "no overlap between hazard areas",
                source,
                Severity.WARNING,
                "overlapping_areas",
            )
        )
    return problems


def check_polygons(
    ids: Sequence[str],
    geoms: Sequence[Any] | Array,
    *,
    local_ids: Sequence[Any] | None = None,
    source: str | None = None,
) -> list[Problem]:
    """Every polygon check of geocheck, plus overlaps between records."""
    problems = invalid_polygons(ids, geoms, source=source)
    problems += too_few_vertices(ids, geoms, source=source)
    problems += duplicate_ids(ids, source=source)
    if local_ids is not None:
        problems += duplicate_ids(
            local_ids, field="local_id", source=source, check="duplicate_local_id", what="local id"
        )
    problems += duplicate_geometries(ids, geoms, source=source)
    problems += overlapping_areas(ids, geoms, source=source)
    problems += long_vertex_gaps(ids, geoms, source=source)
    problems += overlapping_multipolygon_parts(ids, geoms, source=source)
    return problems


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.ADVISORY: 2}


def by_severity(problems: Sequence[Problem]) -> dict[Severity, list[Problem]]:
    """Problems grouped by severity (errors first), each group sorted by check and record."""
    out: dict[Severity, list[Problem]] = {s: [] for s in SEVERITY_ORDER}
    for p in problems:
        out[p.severity].append(p)
    for group in out.values():
        group.sort(key=lambda p: (p.check or "", p.record or ""))
    return out
