"""Land release as a pure rule: what one activity released from one hazard area (IMAS 07.11).

An activity reports released parts as polygons, each with its method: NTS *cancels*, TS
*reduces*, clearance *clears*. The rule here checks them against the area and splits the
area into the released parts and the open remainder, all in a metric CRS (the UTM zone of
the area), so that the released m² plus the remaining m² are exactly the original m².

Choices (IMAS 07.11, 08.10, 08.20, 09.10, 09.30):
- NTS may only cancel; cancellation needs no physical intrusion, so no other method.
- TS reduces; where a TS team searched a part to the clearance standard (and destroyed what
  it found there) the part may be recorded as *cleared*. TS never cancels.
- Clearance only clears.
- An EOD spot task removes reported items; it releases no land, so it carries finds only.

Geometric tolerance (``tolerance_m``, default 1 m, about the accuracy of survey-grade GPS):
a released part may stick out of the area by less than the tolerance (it is clipped to the
area), released parts may overlap each other in slivers narrower than the tolerance (the
later part gives way), and slivers of remainder narrower than the tolerance that touch a
released part are given to that part rather than left as a hazard area no team could find.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.enums import ActivityKind, HazardStatus, ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import WGS84, to_metric, utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea

DEFAULT_TOLERANCE_M = 1.0

ALLOWED_METHODS: dict[ActivityKind, frozenset[ReleaseMethod]] = {
    ActivityKind.NTS: frozenset({ReleaseMethod.CANCELLED}),
    ActivityKind.TS: frozenset({ReleaseMethod.REDUCED, ReleaseMethod.CLEARED}),
    ActivityKind.CLEARANCE: frozenset({ReleaseMethod.CLEARED}),
    ActivityKind.EOD: frozenset(),
}

STATUS_OF_METHOD: dict[ReleaseMethod, HazardStatus] = {
    ReleaseMethod.CANCELLED: HazardStatus.CANCELLED,
    ReleaseMethod.REDUCED: HazardStatus.REDUCED,
    ReleaseMethod.CLEARED: HazardStatus.CLEARED,
}

_EMPTY_M2 = 1e-6  # below this many m² a piece of geometry is numerical noise
MEASURE_STEP_DEG = 1e-5  # ~1 m: edge length at which pieces are densified before measuring


@dataclass(frozen=True, slots=True)
class ReleasedPiece:
    """One released part as it will be stored: clipped to the area, in EPSG:4326."""

    method: ReleaseMethod
    geometry: BaseGeometry
    area_m2: float


@dataclass(frozen=True, slots=True)
class ReleaseSplit:
    """A hazard area split by one activity into released parts and an open remainder.

    All areas are m² computed in ``crs`` (the UTM zone of the hazard area).
    """

    hazard_code: str
    parts: tuple[ReleasedPiece, ...]
    remainder: BaseGeometry | None
    remainder_m2: float
    original_m2: float
    crs: CRS

    @property
    def released_m2(self) -> float:
        return float(sum(p.area_m2 for p in self.parts))

    @property
    def is_full(self) -> bool:
        """Everything was released: the record closes instead of being split."""
        return bool(self.parts) and self.remainder is None

    @property
    def is_partial(self) -> bool:
        return bool(self.parts) and self.remainder is not None

    def closing_status(self) -> HazardStatus:
        """The status of a fully released area: its one method, or ``released`` when mixed."""
        return closing_status(p.method for p in self.parts)


def closing_status(methods: Iterable[ReleaseMethod]) -> HazardStatus:
    kinds = set(methods)
    if not kinds:
        raise ValueError("no released part: nothing closes the area")
    if len(kinds) == 1:
        return STATUS_OF_METHOD[kinds.pop()]
    return HazardStatus.RELEASED


def activity_problems(activity: Activity, *, today: date, record: str | None = None) -> list[Problem]:
    """What is wrong with an activity's own fields (dates, methods), before any geometry."""
    rec = record or activity.code or activity.hazard_code
    problems: list[Problem] = []
    if activity.start_date > today:
        problems.append(
            Problem(
                "the start date is in the future", rec, "start_date", str(activity.start_date), f"on or before {today}"
            )
        )
    if activity.end_date is not None:
        if activity.end_date < activity.start_date:
            problems.append(
                Problem(
                    "the end date is before the start date",
                    rec,
                    "end_date",
                    str(activity.end_date),
                    f"on or after {activity.start_date}",
                )
            )
        if activity.end_date > today:
            problems.append(
                Problem(
                    "the end date is in the future", rec, "end_date", str(activity.end_date), f"on or before {today}"
                )
            )
    allowed = ALLOWED_METHODS[activity.kind]
    for i, part in enumerate(activity.released, start=1):
        if part.method not in allowed:
            expected = ", ".join(sorted(m.value for m in allowed)) or "no released land (finds only)"
            problems.append(
                Problem(
                    f"a {activity.kind.value} activity cannot release land as '{part.method.value}'",
                    f"{rec} released part {i}",
                    "method",
                    part.method.value,
                    expected,
                )
            )
    if activity.area_processed_m2 < 0:
        problems.append(
            Problem("the processed area is negative", rec, "area_processed_m2", str(activity.area_processed_m2), ">= 0")
        )
    if activity.clearance_depth_cm is not None and activity.clearance_depth_cm <= 0:
        problems.append(
            Problem(
                "the clearance depth must be positive",
                rec,
                "clearance_depth_cm",
                str(activity.clearance_depth_cm),
                "> 0 cm",
            )
        )
    for i, f in enumerate(activity.finds, start=1):
        if f.depth_cm is not None and f.depth_cm < 0:
            problems.append(
                Problem("a find's depth is negative", f"{rec} find {i}", "depth_cm", str(f.depth_cm), ">= 0 cm")
            )
    return problems


# Snapping grid for an overlay that GEOS cannot compute exactly: 1e-10° is about 0.01 mm.
_SNAP_DEGREES = 1e-10


def _robust(op: Callable[..., Any], *geoms: Any) -> Any:
    """``op`` on the pieces of a hazard area, snapped to a fine grid if exact overlay fails.

    Released parts drawn on the area's own edges meet it along nearly coincident lines,
    where GEOS may raise a TopologyException; snapping to ~0.01 mm changes no m² that
    the register reports but lets the cut go through.
    """
    try:
        return op(*geoms)
    except shapely.errors.GEOSException:
        return op(*geoms, grid_size=_SNAP_DEGREES)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygons of an overlay result (drops the lines and points it may carry)."""
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Projected copies made valid (polygonal parts only) where the projection broke them.

    The "structure" repair unions a multipolygon's members and drops collapsed ones; the
    default "linework" repair would also fill any land the members enclose, which made one
    released part swallow another that it surrounded.
    """
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        repaired = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        geoms[bad] = [_polygonal(g) for g in repaired]
    return geoms


def _eroded_empty(geom: BaseGeometry, tolerance_m: float) -> bool:
    """True when no piece of ``geom`` is wider than ``tolerance_m`` (a sliver)."""
    return bool(shapely.buffer(geom, -tolerance_m / 2.0).is_empty)


def split_release(
    hazard_code: str,
    area: BaseGeometry,
    parts: Sequence[ReleasedPart],
    *,
    record: str | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    crs: CRS | None = None,
) -> ReleaseSplit:
    """Check released parts against their hazard area and split the area by them.

    Raises :class:`ValidationError` naming every bad part: not a polygon, invalid, outside
    the area by more than ``tolerance_m``, overlapping another part by more than it, or
    covering nothing of the area.
    """
    rec = record or hazard_code
    crs = crs or utm_crs_for_geometries([area])
    area_g = area if area.is_valid else _polygonal(shapely.make_valid(area))
    area_m = _valid(to_metric([area_g], crs)[0])[0]
    original_m2 = _metric_area(area_g, crs)
    problems: list[Problem] = []
    geoms: list[BaseGeometry] = []
    for i, part in enumerate(parts, start=1):
        where = f"{rec} released part {i}"
        g = part.geometry
        if g is None or g.is_empty:
            problems.append(Problem("the released part has no geometry", where, "geometry", "empty", "a polygon"))
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem("a released part must be a polygon", where, "geometry", g.geom_type, "Polygon or MultiPolygon")
            )
        elif not g.is_valid:
            problems.append(
                Problem(
                    "the released part is not a valid polygon",
                    where,
                    "geometry",
                    shapely.is_valid_reason(g),
                    "a valid polygon",
                )
            )
        geoms.append(g)
    if problems:
        raise ValidationError(problems, f"activity on {hazard_code} refused")

    # The checks measure in metres; a polygon valid in degrees may nearly touch itself and
    # come out of the projection invalid, so repair the projected copies (checks only).
    parts_m = _valid(to_metric(geoms, crs)[0]) if geoms else np.empty(0, dtype=object)
    grown = shapely.buffer(area_m, tolerance_m)
    for i, pm in enumerate(parts_m, start=1):
        beyond = float(shapely.difference(pm, grown).area)
        if beyond > _EMPTY_M2:
            outside = float(shapely.difference(pm, area_m).area)
            problems.append(
                Problem(
                    f"the released part lies outside hazard area {hazard_code}",
                    f"{rec} released part {i}",
                    "geometry",
                    f"{outside:,.1f} m² of {float(pm.area):,.1f} m² outside",
                    f"inside the area (tolerance {tolerance_m:g} m)",
                )
            )
    if len(parts_m) > 1:
        tree = shapely.STRtree(parts_m)
        left, right = tree.query(parts_m, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            overlap = shapely.intersection(parts_m[i], parts_m[j])
            if not _eroded_empty(_polygonal(overlap), tolerance_m):
                problems.append(
                    Problem(
                        f"released parts {i + 1} and {j + 1} overlap",
                        f"{rec} released part {j + 1}",
                        "geometry",
                        f"{float(overlap.area):,.1f} m² shared with part {i + 1}",
                        f"no overlap (tolerance {tolerance_m:g} m)",
                    )
                )
    if problems:
        raise ValidationError(problems, f"activity on {hazard_code} refused")

    # Cut in the stored CRS (EPSG:4326) so the stored pieces are exactly what GEOS produced,
    # valid and sharing their vertices; measure every piece in the metric CRS.
    clipped: list[BaseGeometry] = []
    taken = shapely.Polygon()
    for i, part in enumerate(geoms, start=1):
        c = _polygonal(_robust(shapely.difference, _robust(shapely.intersection, part, area_g), taken))
        if _metric_area(c, crs) <= _EMPTY_M2:
            problems.append(
                Problem(
                    f"the released part covers nothing of hazard area {hazard_code}",
                    f"{rec} released part {i}",
                    "geometry",
                    "0 m² inside the area",
                    "a part of the area",
                )
            )
        clipped.append(c)
        taken = _robust(shapely.union, taken, c)
    if problems:
        raise ValidationError(problems, f"activity on {hazard_code} refused")

    remainder = _polygonal(_robust(shapely.difference, area_g, taken)) if clipped else area_g
    if clipped and not remainder.is_empty:
        kept: list[BaseGeometry] = []
        clipped_m = _valid(to_metric(clipped, crs)[0])
        for piece in shapely.get_parts(remainder):
            piece_m = _valid(to_metric([piece], crs)[0])[0]
            if piece_m.area > _EMPTY_M2 and not _eroded_empty(piece_m, tolerance_m):
                kept.append(piece)
                continue
            # A sliver: give it to the released part it touches most, if any.
            shares = shapely.area(shapely.intersection(shapely.buffer(piece_m, tolerance_m), clipped_m))
            best = int(np.argmax(shares))
            if shares[best] > 0.0:
                clipped[best] = _polygonal(_robust(shapely.union, clipped[best], piece))
            else:
                kept.append(piece)
        remainder = _polygonal(shapely.union_all(kept)) if kept else shapely.Polygon()

    pieces: list[ReleasedPiece] = []
    if clipped:
        measured = _measure(clipped, crs)
        for part, c, m2 in zip(parts, clipped, measured, strict=True):
            pieces.append(ReleasedPiece(part.method, c, float(m2)))
    rem_m2 = _metric_area(remainder, crs)
    if remainder.is_empty or rem_m2 <= _EMPTY_M2:
        return ReleaseSplit(hazard_code, tuple(pieces), None, 0.0, original_m2, crs)
    return ReleaseSplit(hazard_code, tuple(pieces), remainder, rem_m2, original_m2, crs)


def _measure(geoms: Sequence[BaseGeometry], crs: CRS) -> np.ndarray:
    """Areas in m² of EPSG:4326 pieces, with edges densified before projection.

    A straight edge in longitude/latitude is slightly curved in UTM; cutting an edge adds a
    vertex on it, so without densifying, the pieces of an area would not sum to its m²
    (off by ~1e-5 of the area). Densified to ~1 m, the sum holds to a few cm². Rings are
    densified as lines: GEOS repairs densified *polygons* with buffer(0), which can drop
    parts of a valid polygon that nearly touches itself.
    """
    transformer = Transformer.from_crs(WGS84, crs, always_xy=True)
    out = np.zeros(len(geoms))
    for k, geom in enumerate(geoms):
        for poly in shapely.get_parts(geom):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            for sign, ring in [(1.0, poly.exterior), *((-1.0, r) for r in poly.interiors)]:
                line = shapely.segmentize(shapely.LineString(ring.coords), MEASURE_STEP_DEG)
                xy = shapely.get_coordinates(line)
                x, y = transformer.transform(xy[:, 0], xy[:, 1])
                x, y = np.asarray(x), np.asarray(y)
                x = x - x.mean()  # shoelace on centred coordinates: less cancellation
                y = y - y.mean()
                out[k] += sign * abs(0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])))
    return out


def _metric_area(geom: BaseGeometry, crs: CRS) -> float:
    if geom.is_empty:
        return 0.0
    return float(_measure([geom], crs)[0])


def find_problems(
    area: BaseGeometry,
    finds: Sequence[Find],
    *,
    crs: CRS,
    record: str,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> list[Problem]:
    """Finds must be points inside the area worked on (within the tolerance)."""
    problems: list[Problem] = []
    if not finds:
        return problems
    points = [f.position for f in finds]
    for i, p in enumerate(points, start=1):
        if p is None or p.is_empty or p.geom_type != "Point":
            problems.append(
                Problem(
                    "a find's position must be a point",
                    f"{record} find {i}",
                    "position",
                    "empty" if p is None or p.is_empty else p.geom_type,
                    "Point",
                )
            )
    if problems:
        return problems
    area_m = to_metric([area], crs)[0][0]
    pts_m = to_metric(points, crs)[0]
    dist = shapely.distance(pts_m, area_m)
    for i, d in enumerate(dist, start=1):
        if d > tolerance_m:
            p = points[i - 1]
            problems.append(
                Problem(
                    "the find lies outside the hazard area worked on",
                    f"{record} find {i}",
                    "position",
                    f"({p.x:.6f}, {p.y:.6f}), {d:,.1f} m outside",
                    f"inside the area (tolerance {tolerance_m:g} m)",
                )
            )
    return problems


def plan_release(
    hazard: HazardArea,
    activity: Activity,
    *,
    today: date,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> ReleaseSplit:
    """Everything an activity must satisfy on its hazard area, and the split it causes.

    Collects all problems (dates, methods, closed area, geometry of parts and finds) and
    raises one :class:`ValidationError` naming each, or returns the split.
    """
    rec = activity.code or f"activity on {hazard.code}"
    problems = activity_problems(activity, today=today, record=rec)
    if hazard.status.is_closed:
        hint = (
            " (it was split by a partial release: record on its open part)"
            if hazard.status is HazardStatus.SUPERSEDED
            else ""
        )
        problems.append(
            Problem(
                f"hazard area {hazard.code} is closed{hint}",
                rec,
                "hazard_code",
                f"status {hazard.status.value}",
                "an open or in-progress area",
            )
        )
    if problems:
        raise ValidationError(problems, f"activity on {hazard.code} refused")
    split = split_release(hazard.code, hazard.geometry, activity.released, record=rec, tolerance_m=tolerance_m)
    problems = find_problems(hazard.geometry, activity.finds, crs=split.crs, record=rec, tolerance_m=tolerance_m)
    if problems:
        raise ValidationError(problems, f"activity on {hazard.code} refused")
    return split


def whole_area_part(hazard: HazardArea, method: ReleaseMethod) -> ReleasedPart:
    """The released part that releases the whole area by one method."""
    return ReleasedPart(method, hazard.geometry)


STATUS_CHANGE_HINT = (
    "a hazard area's status changes only through the land-release rules: record an activity "
    "(POST /api/activities, or propose one) to cancel, reduce or clear land; approving a daily "
    "report moves it to in_progress; a failed QA inspection reopens it"
)


def edit_problems(code: str, status: HazardStatus, fields: Iterable[str]) -> list[Problem]:
    """Why a plain edit of a hazard area's attributes is refused (empty: allowed).

    Status is never edited directly (:data:`STATUS_CHANGE_HINT`), and a closed record —
    released, or superseded by the parts a partial release split it into — is history and
    read-only: reopening it by an edit would count its land twice and leave no record why.
    """
    problems: list[Problem] = []
    if "status" in fields:
        problems.append(Problem(STATUS_CHANGE_HINT, code, "status", expected="no status in an edit"))
    if status.is_closed:
        hint = " (split by a partial release: edit its open remainder)" if status is HazardStatus.SUPERSEDED else ""
        problems.append(
            Problem(
                f"hazard area {code} is {status.value} and read-only{hint}",
                code,
                "status",
                f"status {status.value}",
                "an open or in-progress area",
            )
        )
    return problems
