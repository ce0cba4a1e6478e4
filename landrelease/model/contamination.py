"""Where the explosive ordnance probably is: a cell grid of probabilities over each hazard area.

Interface (stable; the forecast, the map and the exports read it)
-----------------------------------------------------------------
``assess(areas, evidence, *, cell_m=25.0, params=None, crs=None) -> list[AreaContamination]``
    One :class:`AreaContamination` per hazard area, in the order given. Pure: no I/O.
``AreaContamination``
    ``code``; ``p_any`` (probability that the area holds any EO); ``expected_items``;
    ``crs`` (the metric CRS of the grid, a UTM zone), ``transform`` (affine, north-up,
    cells of ``cell_m`` metres aligned on multiples of ``cell_m``), ``coverage`` (fraction
    of each cell inside the area, 0 outside), ``p`` (probability that the cell holds EO) and
    ``lam`` (expected items in the cell), all ``(rows, cols)`` arrays of the same shape.
    ``items_if_contaminated`` (= expected_items / p_any) is what a clearance would find.
``search(result, footprint, d)`` / ``find(result, x, y)``
    Bayesian updates of one area's grid after a search that found nothing, or a find.
``cell_polygons(results, crs=WGS84)``
    The cells as polygons with their values, for the map and the GeoPackage export.
``landrelease.model.contamination_dask.assess_partitioned``
    The same, in batches of areas on a Dask cluster (same numbers).
``landrelease.io.raster.write_geotiff`` / ``write_cells``
    The files (adapters; this module does no I/O).

The model
---------
*Area level.* Whether an area holds any EO at all starts from the published base rate for
its kind ("less than 5 % of SHAs prove to have any mines"; a CHA has direct evidence) and
is moved by each piece of evidence as a likelihood ratio, in odds::

    odds(area) = odds(base) · Π LR(evidence)

Evidence with a reliability ``r`` (the probability that it is right; minefield records
default to 0.2, "records were about 20 % accurate") is a mixture of a truthful report (with
probability r) and noise that says nothing, which gives ``LR = 1 + κ · r / (1 - r)``: no
information at r = 0, certainty as r → 1, and κ says how much likelier a truthful report
is over contaminated land than over clean land. A negative interview divides by the same
ratio. A drone detection with confidence c has ``LR = 1 + c · (sensitivity / FAR - 1)``,
where the false-alarm rate FAR rises with metal clutter.

*Cell level.* The area's hazard ``H = -ln(1 - P(area))`` is spread over its cells by a
weight map ``w`` (summing to 1, cells weighted by the fraction of them inside the area).
It starts uniform, ``U``; each positive piece of evidence adds its spatial kernel ``K``
(normalised over the area) with weight ``r / (1 - r)``, so that one minefield record gives
exactly ``w = r · K(record) + (1 - r) · U``. A record's kernel is its geometry blurred by
its positional error; accidents, finds, drone detections and positive interviews are
Gaussian kernels around their point. Then per cell::

    p = 1 - exp(-H · w)          (so that 1 - Π(1 - p) = P(area))
    λ = P(area) · N · w          (expected items; N = items if contaminated)

``N`` is the area times an item density by its density class, anchored on the derived
global figure of ~1,300 m² cleared per AP mine destroyed (at least one item).

*Updates* treat cells as independent (Bayesian search theory). A search with detection
probability d over a cell that finds nothing gives ``p' = p(1 - d) / (1 - p·d)``; a find
makes its cell certain and multiplies the odds of its neighbours by
``1 + (LR_find - 1) · K`` with an elongated kernel along the area's pattern (the long axis
of its minefield record, or of the area itself: mines are laid in rows and along roads).
The items expected in a cell if it is contaminated, ``m = λ / p``, are kept, so
``λ' = p' · m`` (which is ``λ(1 - d)`` for small p). EO finds in the evidence are applied
as finds after the prior.

Limits, said plainly: cells are independent given the evidence, so a search of half an
area lowers the area's probability in proportion rather than by the clustering of a real
minefield; the parameters below are priors from published figures and judgement, to be
replaced by calibration against the programme's own results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import EvidenceKind, HazardKind, Level
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import WGS84, from_metric, to_metric, utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea
from landrelease.model.cells import coverage_fractions, grids_for, ragged_arange

_MAX_RELIABILITY = 0.999  # r = 1 would be an infinite likelihood ratio
_CELLS_PER_CHUNK = 2_000_000  # cells of bounding boxes computed at once (~0.5 GB of temporaries)


@dataclass(frozen=True, slots=True)
class ContaminationParams:
    """The model's assumptions. Defaults and their sources:

    - ``sha_prior`` 0.04: "less than 5 % of SHAs prove to have any mines" (Journal of
      Conventional Weapons Destruction 13.2).
    - ``cha_prior`` 0.5: a CHA has direct evidence, yet two thirds of one operator's
      clearance tasks in Mozambique found nothing (same source); an even prior.
    - ``items_per_m2_*``: about 1,300 m² cleared per AP mine destroyed (Landmine Monitor
      2023, derived) for the medium class; ×0.3 for low, ×3 for high density (mosques and
      cemeteries mined so densely that only manual clearance works, the seed article).
    - ``record_kappa`` 4: a truthful minefield record is 4× likelier over a mined area
      than over a clean one (judgement; with r = 0.2 a record raises the odds by 2).
    - ``record_blur_m`` 150: positional error of hand-drawn records (judgement; records
      were "about 20 % accurate", the seed article).
    - ``accident_kappa`` 4 with the default accident reliability 0.95: LR ≈ 77, strong
      direct evidence; ``accident_sigma_m`` 50.
    - ``interview_kappa`` 2 with the default interview reliability 0.3: LR ≈ 1.9 either
      way (weak); ``interview_sigma_m`` 150.
    - ``drone_sensitivity`` 0.8 and ``drone_false_alarm_*`` 0.05 / 0.15 / 0.40 by metal
      clutter (judgement: metal fragments make detectors and drones raise false alarms,
      DESIGN §1); ``drone_sigma_m`` 15.
    - ``find_lr`` 20 and ``find_sigma_along_m`` 100 / ``find_sigma_across_m`` 25: a find
      raises its neighbours along the pattern (11 AP mines on a 2 m² road patch, the seed).
    """

    sha_prior: float = 0.04
    cha_prior: float = 0.5
    items_per_m2_low: float = 0.3 / 1300.0
    items_per_m2_medium: float = 1.0 / 1300.0
    items_per_m2_high: float = 3.0 / 1300.0
    record_kappa: float = 4.0
    record_blur_m: float = 150.0
    accident_kappa: float = 4.0
    accident_sigma_m: float = 50.0
    interview_kappa: float = 2.0
    interview_sigma_m: float = 150.0
    drone_sensitivity: float = 0.8
    drone_false_alarm_low: float = 0.05
    drone_false_alarm_medium: float = 0.15
    drone_false_alarm_high: float = 0.40
    drone_sigma_m: float = 15.0
    find_lr: float = 20.0
    find_sigma_along_m: float = 100.0
    find_sigma_across_m: float = 25.0

    def __post_init__(self) -> None:
        problems = []
        probabilities = (
            "sha_prior",
            "cha_prior",
            "drone_sensitivity",
            "drone_false_alarm_low",
            "drone_false_alarm_medium",
            "drone_false_alarm_high",
        )
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in probabilities:
                ok, expected = 0.0 < value < 1.0, "a probability strictly between 0 and 1"
            elif f.name.startswith("items_per_m2") or f.name.endswith("kappa"):
                ok, expected = value >= 0.0, "a number >= 0"
            elif f.name == "find_lr":
                ok, expected = value >= 1.0, "a likelihood ratio >= 1"
            else:
                ok, expected = value > 0.0, "a number > 0"
            if not (ok and np.isfinite(value)):
                problems.append(Problem("invalid model parameter", field=f.name, found=str(value), expected=expected))
        if problems:
            raise ValidationError(problems, "contamination parameters refused")

    def items_per_m2(self, density: Level) -> float:
        return {
            Level.LOW: self.items_per_m2_low,
            Level.MEDIUM: self.items_per_m2_medium,
            Level.HIGH: self.items_per_m2_high,
        }[density]

    def drone_false_alarm(self, clutter: Level) -> float:
        return {
            Level.LOW: self.drone_false_alarm_low,
            Level.MEDIUM: self.drone_false_alarm_medium,
            Level.HIGH: self.drone_false_alarm_high,
        }[clutter]


@dataclass(slots=True)
class AreaContamination:
    """The contamination grid of one hazard area and its summary.

    Arrays are ``(rows, cols)``; row 0 is the northern edge (``transform`` maps
    (col, row) to metric x, y of the cell's top-left corner). Cells outside the area have
    coverage 0, p 0 and lam 0. ``axis_rad`` is the direction of the area's pattern
    (radians from the x axis), used to raise the neighbours of a find.
    """

    code: str
    p_any: float
    expected_items: float
    crs: CRS
    transform: Affine
    coverage: np.ndarray
    p: np.ndarray
    lam: np.ndarray
    cell_m: float = 25.0
    axis_rad: float = 0.0
    evidence_used: int = 0
    prior: float = field(default=0.0)
    # Expected items per cell *given* the cell holds any. Kept explicitly once a search or a
    # find has run, since lam/p loses it where a perfect search drives p to 0.
    items_given: np.ndarray | None = None

    @property
    def n_cells(self) -> int:
        """Cells with any part inside the area."""
        return int(np.count_nonzero(self.coverage))

    @property
    def area_m2(self) -> float:
        return float(self.coverage.sum() * self.cell_m * self.cell_m)

    @property
    def items_if_contaminated(self) -> float:
        """Expected items given that the area holds any (what a clearance would find)."""
        return self.expected_items / self.p_any if self.p_any > 0 else 0.0

    def summarised(self) -> AreaContamination:
        """The same grid with ``p_any`` and ``expected_items`` recomputed from the cells."""
        return replace(self, p_any=_p_any(self.p), expected_items=float(self.lam.sum()))


# ---------------------------------------------------------------- assessment


def assess(
    areas: Sequence[HazardArea],
    evidence: Sequence[Evidence],
    *,
    cell_m: float = 25.0,
    params: ContaminationParams | None = None,
    crs: CRS | None = None,
) -> list[AreaContamination]:
    """The contamination grid and summary of every hazard area, from its evidence.

    Evidence is tied to an area by ``hazard_code``; evidence without one counts for every
    area its geometry intersects. ``crs`` fixes the metric CRS (chosen from the areas
    otherwise), so batches of one region computed apart agree. All areas are computed
    together, vectorised over their cells (see :mod:`landrelease.model.cells`).
    """
    params = params or ContaminationParams()
    if not cell_m > 0:
        raise ValidationError([Problem("cell size must be positive", field="cell_m", found=str(cell_m))])
    _check_evidence(evidence)
    if not areas:
        return []
    area_geoms = [a.geometry for a in areas]
    _check_areas(areas, area_geoms)
    crs = crs or utm_crs_for_geometries(area_geoms)
    metric_areas, _ = to_metric(area_geoms, crs)
    by_area = evidence_by_area(areas, evidence)
    used = sorted({i for idx in by_area for i in idx})
    metric_ev = np.empty(len(evidence), dtype=object)
    if used:
        metric_ev[used], _ = to_metric([evidence[i].geometry for i in used], crs)
    # Areas go through in chunks of a few million cells, which bounds the memory (and gives
    # the same numbers: no area's grid depends on another's).
    b = shapely.bounds(metric_areas)
    est = (np.nan_to_num((b[:, 2] - b[:, 0]) / cell_m) + 2) * (np.nan_to_num((b[:, 3] - b[:, 1]) / cell_m) + 2)
    cuts = np.searchsorted(np.cumsum(est), np.arange(1, int(est.sum() // _CELLS_PER_CHUNK) + 1) * _CELLS_PER_CHUNK)
    out: list[AreaContamination] = []
    for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), len(areas)], strict=True):
        if hi > lo:
            out += _assess_batch(
                areas[lo:hi], metric_areas[lo:hi], evidence, metric_ev, by_area[lo:hi], cell_m, params, crs
            )
    return out


def evidence_by_area(areas: Sequence[HazardArea], evidence: Sequence[Evidence]) -> list[list[int]]:
    """Indexes into ``evidence`` for each area: by hazard code, or by intersection if none."""
    index = {a.code: k for k, a in enumerate(areas)}
    out: list[list[int]] = [[] for _ in areas]
    loose = []
    for i, e in enumerate(evidence):
        if e.hazard_code is not None:
            k = index.get(e.hazard_code)
            if k is not None:
                out[k].append(i)
        else:
            loose.append(i)
    if loose:
        tree = shapely.STRtree(np.asarray([a.geometry for a in areas], dtype=object))
        ev_idx, area_idx = tree.query(
            np.asarray([evidence[i].geometry for i in loose], dtype=object), predicate="intersects"
        )
        for e_pos, k in sorted(zip(ev_idx.tolist(), area_idx.tolist(), strict=True), key=lambda t: (t[1], t[0])):
            out[k].append(loose[e_pos])
        for lst in out:
            lst.sort()
    return out


def _check_areas(areas: Sequence[HazardArea], geoms: list[BaseGeometry]) -> None:
    """Cells are only defined over valid polygons: refuse anything else by name."""
    arr = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(arr)
    kinds = shapely.get_type_id(arr)
    polygonal = np.isin(kinds, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    bad = np.flatnonzero(missing | ~polygonal | shapely.is_empty(arr) | ~shapely.is_valid(arr))
    if len(bad) == 0:
        return
    problems = []
    for k in bad[:200].tolist():
        g = geoms[k]
        if g is None or g.is_empty:
            found, message = "empty", "hazard area has no geometry"
        elif not polygonal[k]:
            found, message = g.geom_type, "hazard area geometry is not a polygon"
        else:
            found, message = shapely.is_valid_reason(g), "hazard area geometry is invalid"
        problems.append(
            Problem(message, record=areas[k].code, field="geometry", found=found, expected="a valid (Multi)Polygon")
        )
    raise ValidationError(problems, "hazard areas refused by the contamination model")


def _check_evidence(evidence: Sequence[Evidence]) -> None:
    problems = []
    for i, e in enumerate(evidence):
        for name in ("reliability", "confidence"):
            value = getattr(e, name)
            if value is not None and not (0.0 <= value <= 1.0):
                problems.append(
                    Problem(
                        f"{e.kind.value} {name} outside [0, 1]",
                        record=e.code or str(i + 1),
                        field=name,
                        found=str(value),
                        expected="a number in [0, 1]",
                    )
                )
        if e.geometry is None or e.geometry.is_empty:
            problems.append(Problem("evidence has no geometry", record=e.code or str(i + 1), field="geometry"))
    if problems:
        raise ValidationError(problems, "evidence refused by the contamination model")


def _reliability_odds(r: float) -> float:
    r = min(max(r, 0.0), _MAX_RELIABILITY)
    return r / (1.0 - r)


@dataclass(slots=True)
class _Pairs:
    """What each (evidence, area) pair says: its likelihood ratio, and where (if anywhere)."""

    area: list[int] = field(default_factory=list)
    log_lr: list[float] = field(default_factory=list)
    s_area: list[int] = field(default_factory=list)  # spatial pairs from here on
    s_geom: list[BaseGeometry] = field(default_factory=list)
    s_sigma: list[float] = field(default_factory=list)
    s_weight: list[float] = field(default_factory=list)


def _read_evidence(
    areas: Sequence[HazardArea],
    evidence: Sequence[Evidence],
    metric_ev: np.ndarray,
    by_area: list[list[int]],
    params: ContaminationParams,
) -> tuple[_Pairs, list[BaseGeometry | None], list[list[tuple[BaseGeometry, int]]]]:
    """Likelihood ratios and kernels of every piece of evidence, the pattern geometry and the
    finds of every area."""
    pairs = _Pairs()
    axis_geom: list[BaseGeometry | None] = [None] * len(areas)
    finds: list[list[tuple[BaseGeometry, int]]] = [[] for _ in areas]
    for k, idx in enumerate(by_area):
        area = areas[k]
        for i in idx:
            e, g = evidence[i], metric_ev[i]
            r = e.effective_reliability()
            a = _reliability_odds(r)
            sigma: float | None = None
            if e.kind is EvidenceKind.MINEFIELD_RECORD:
                lr = 1.0 + params.record_kappa * a
                sigma = params.record_blur_m
                if r > 0:
                    axis_geom[k] = g
            elif e.kind is EvidenceKind.ACCIDENT:
                lr = 1.0 + params.accident_kappa * a
                sigma = params.accident_sigma_m
            elif e.kind is EvidenceKind.EO_FIND:
                lr = 1.0 + params.accident_kappa * a
                sigma = params.accident_sigma_m
                finds[k].append((g, max(1, e.count or 1)))
            elif e.kind is EvidenceKind.INTERVIEW:
                lr = 1.0 + params.interview_kappa * a
                if e.positive:
                    sigma = params.interview_sigma_m
                else:
                    lr = 1.0 / lr
            else:  # drone detection; a sensor worse than its false alarms says nothing
                far = params.drone_false_alarm(area.clutter)
                lr = max(1.0, 1.0 + min(max(r, 0.0), 1.0) * (params.drone_sensitivity / far - 1.0))
                sigma = params.drone_sigma_m
            pairs.area.append(k)
            pairs.log_lr.append(float(np.log(lr)))
            if sigma is not None and a > 0:
                pairs.s_area.append(k)
                pairs.s_geom.append(g)
                pairs.s_sigma.append(sigma)
                pairs.s_weight.append(a)
    return pairs, axis_geom, finds


def _pattern_axes(geoms: np.ndarray) -> np.ndarray:
    """Direction (radians) of the long side of each geometry's minimum rotated rectangle."""
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    xy, owner = shapely.get_coordinates(shapely.oriented_envelope(geoms), return_index=True)
    first = np.searchsorted(owner, np.arange(len(geoms)))
    n = np.bincount(owner, minlength=len(geoms))
    ok = n >= 3  # a rectangle has 5 coordinates; a point keeps 0
    i = first[ok]
    e1, e2 = xy[i + 1] - xy[i], xy[i + 2] - xy[i + 1]
    long1 = np.hypot(e1[:, 0], e1[:, 1]) >= np.hypot(e2[:, 0], e2[:, 1])
    side = np.where(long1[:, None], e1, e2)
    out[ok] = np.arctan2(side[:, 1], side[:, 0])
    line = n == 2  # the envelope of a line (a record drawn as a line) is the line itself
    j = first[line]
    out[line] = np.arctan2(xy[j + 1, 1] - xy[j, 1], xy[j + 1, 0] - xy[j, 0])
    return out


def _assess_batch(
    areas: Sequence[HazardArea],
    metric_areas: np.ndarray,
    evidence: Sequence[Evidence],
    metric_ev: np.ndarray,
    by_area: list[list[int]],
    cell_m: float,
    params: ContaminationParams,
    crs: CRS,
) -> list[AreaContamination]:
    n = len(areas)
    grids = grids_for(metric_areas, cell_m)
    active = np.flatnonzero(grids.coverage > 0)
    owner = grids.owner(active)
    x, y = grids.centres(active, owner)
    cov = grids.coverage[active]
    act_count = np.bincount(owner, minlength=n)
    act_start = np.zeros(n, dtype=np.int64)
    np.cumsum(act_count[:-1], out=act_start[1:])
    total = np.bincount(owner, weights=cov, minlength=n)
    uniform = cov / total[owner]

    pairs, axis_geom, finds = _read_evidence(areas, evidence, metric_ev, by_area, params)
    prior = np.array([params.cha_prior if a.kind is HazardKind.CHA else params.sha_prior for a in areas])
    log_odds = np.log(prior) - np.log1p(-prior)
    log_odds += np.bincount(np.asarray(pairs.area, dtype=np.int64), weights=pairs.log_lr, minlength=n)

    # The weight map: uniform, plus each spatial piece of evidence's normalised kernel.
    weights = uniform.copy()
    weight_sum = np.ones(n)
    s_area = np.asarray(pairs.s_area, dtype=np.int64)
    if len(s_area):
        s_weight = np.asarray(pairs.s_weight)
        s_sigma = np.asarray(pairs.s_sigma)
        counts = act_count[s_area]
        q_pair = np.repeat(np.arange(len(s_area)), counts)
        q_cell = np.repeat(act_start[s_area], counts) + ragged_arange(counts)
        geoms = np.asarray(pairs.s_geom, dtype=object)
        is_point = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
        px = np.where(is_point, shapely.get_x(np.where(is_point, geoms, shapely.Point(0, 0))), np.nan)
        py = np.where(is_point, shapely.get_y(np.where(is_point, geoms, shapely.Point(0, 0))), np.nan)
        d2 = (x[q_cell] - px[q_pair]) ** 2 + (y[q_cell] - py[q_pair]) ** 2
        shaped = ~is_point[q_pair]
        if shaped.any():
            shapely.prepare(geoms[~is_point])
            where = np.flatnonzero(shaped)
            # inside a record the distance is 0: a point-in-polygon test needs no point objects
            inside = shapely.contains_xy(geoms[q_pair[where]], x[q_cell[where]], y[q_cell[where]])
            d2[where[inside]] = 0.0
            where = where[~inside]
            pts = shapely.points(x[q_cell[where]], y[q_cell[where]])
            d2[where] = shapely.distance(geoms[q_pair[where]], pts) ** 2
        kern = np.exp(-0.5 * d2 / s_sigma[q_pair] ** 2) * cov[q_cell]
        ks = np.bincount(q_pair, weights=kern, minlength=len(s_area))
        ok = ks[q_pair] > 1e-12
        share = np.where(ok, kern / np.where(ok, ks[q_pair], 1.0), uniform[q_cell])
        weights += np.bincount(q_cell, weights=s_weight[q_pair] * share, minlength=len(active))
        weight_sum += np.bincount(s_area, weights=s_weight, minlength=n)
    weights /= weight_sum[owner]

    p_area = 1.0 / (1.0 + np.exp(-log_odds))
    hazard = -np.log1p(-np.minimum(p_area, 1.0 - 1e-15))
    density = np.array([params.items_per_m2(a.density) for a in areas])
    n_items = np.maximum(1.0, density * total * cell_m * cell_m)
    p_flat = np.zeros_like(grids.coverage)
    lam_flat = np.zeros_like(grids.coverage)
    p_flat[active] = -np.expm1(-hazard[owner] * weights)
    lam_flat[active] = (p_area * n_items)[owner] * weights
    lam_sum = np.bincount(owner, weights=lam_flat[active], minlength=n)

    axes = _pattern_axes(np.asarray([g if g is not None else metric_areas[k] for k, g in enumerate(axis_geom)]))
    out = []
    for k, area in enumerate(areas):
        grid = grids.grid(k)
        sl = slice(int(grids.offsets[k]), int(grids.offsets[k + 1]))
        result = AreaContamination(
            code=area.code,
            p_any=float(p_area[k]),
            expected_items=float(lam_sum[k]),
            crs=crs,
            transform=grid.transform,
            coverage=grid.coverage,
            p=p_flat[sl].reshape(grid.shape),
            lam=lam_flat[sl].reshape(grid.shape),
            cell_m=cell_m,
            axis_rad=float(axes[k]),
            evidence_used=len(by_area[k]),
            prior=float(prior[k]),
        )
        for g, count in finds[k]:
            pt = g if shapely.get_type_id(g) == shapely.GeometryType.POINT else g.representative_point()
            result = find(result, pt.x, pt.y, count=count, params=params)
        out.append(result)
    return out


# ---------------------------------------------------------------- updates


def _p_any(p: np.ndarray) -> float:
    with np.errstate(divide="ignore"):
        return float(-np.expm1(np.log1p(-np.clip(p, 0.0, 1.0)).sum()))


def _items_if_contaminated(result: AreaContamination) -> np.ndarray:
    if result.items_given is not None:
        return result.items_given
    return np.divide(result.lam, result.p, out=np.ones_like(result.p), where=result.p > 0)


def searched_fraction(result: AreaContamination, footprint: BaseGeometry | np.ndarray | None) -> np.ndarray:
    """Fraction of each cell's part inside the area that a search footprint covers.

    ``footprint`` is a metric geometry in ``result.crs``, an array of the grid's shape
    (booleans or fractions), or None for the whole area.
    """
    if footprint is None:
        return (result.coverage > 0).astype(float)
    if isinstance(footprint, np.ndarray):
        if footprint.shape != result.p.shape:
            raise ValueError(f"footprint shape {footprint.shape} is not the grid's {result.p.shape}")
        return np.clip(footprint.astype(float), 0.0, 1.0) * (result.coverage > 0)
    rows, cols = result.p.shape
    cov = coverage_fractions(footprint, result.transform.c, result.transform.f, result.cell_m, rows, cols)
    inside = np.minimum(cov, result.coverage)
    return np.divide(inside, result.coverage, out=np.zeros_like(cov), where=result.coverage > 0)


def search(result: AreaContamination, footprint: BaseGeometry | np.ndarray | None, d: float) -> AreaContamination:
    """The grid after a search with detection probability ``d`` over ``footprint`` found nothing.

    Per cell ``p' = p(1 - d)/(1 - p·d)`` with d scaled by the part of the cell searched.
    """
    if not 0.0 <= d <= 1.0:
        raise ValidationError(
            [Problem("detection probability outside [0, 1]", field="d", found=str(d), expected="a number in [0, 1]")]
        )
    dc = d * searched_fraction(result, footprint)
    m = _items_if_contaminated(result)
    denom = 1.0 - result.p * dc
    p = np.divide(result.p * (1.0 - dc), denom, out=result.p.copy(), where=denom > 0)
    p = np.clip(p, 0.0, 1.0)
    return replace(result, p=p, lam=p * m, items_given=m).summarised()


def find(
    result: AreaContamination,
    x: float,
    y: float,
    *,
    count: int = 1,
    params: ContaminationParams | None = None,
) -> AreaContamination:
    """The grid after ``count`` items were found at metric (x, y): that cell is certain and
    the odds of its neighbours rise along the area's pattern."""
    params = params or ContaminationParams()
    rows, cols = result.p.shape
    X = result.transform.c + (np.arange(cols) + 0.5) * result.cell_m
    Y = result.transform.f - (np.arange(rows) + 0.5) * result.cell_m
    dx = X[None, :] - x
    dy = Y[:, None] - y
    ca, sa = np.cos(result.axis_rad), np.sin(result.axis_rad)
    along = dx * ca + dy * sa
    across = -dx * sa + dy * ca
    kernel = np.exp(-0.5 * ((along / params.find_sigma_along_m) ** 2 + (across / params.find_sigma_across_m) ** 2))
    lr = 1.0 + (params.find_lr - 1.0) * kernel
    m = _items_if_contaminated(result)
    p = result.p * lr / (1.0 - result.p + result.p * lr)
    p = np.where(result.coverage > 0, np.clip(p, 0.0, 1.0), 0.0)
    m = m.copy()
    col = int(np.floor((x - result.transform.c) / result.cell_m))
    row = int(np.floor((result.transform.f - y) / result.cell_m))
    if 0 <= row < rows and 0 <= col < cols and result.coverage[row, col] > 0:
        p[row, col] = 1.0
        m[row, col] = max(float(m[row, col]), float(count))
    return replace(result, p=p, lam=p * m, items_given=m).summarised()


# ---------------------------------------------------------------- cells for the map


@dataclass(frozen=True, slots=True)
class CellTable:
    """Every cell with any part inside an area, as one row each (for maps and exports)."""

    code: np.ndarray
    row: np.ndarray
    col: np.ndarray
    geometry: np.ndarray
    coverage: np.ndarray
    p: np.ndarray
    lam: np.ndarray
    crs: CRS

    def __len__(self) -> int:
        return len(self.code)


def cell_polygons(results: Sequence[AreaContamination], crs: CRS | None = WGS84) -> CellTable:
    """The cells of all results as square polygons, in ``crs`` (EPSG:4326 by default; None
    keeps the metric CRS of the grids)."""
    codes, rows, cols, boxes, covs, ps, lams = [], [], [], [], [], [], []
    metric = results[0].crs if results else WGS84
    for res in results:
        r, c = np.nonzero(res.coverage)
        x0 = res.transform.c + c * res.cell_m
        y1 = res.transform.f - r * res.cell_m
        boxes.append(shapely.box(x0, y1 - res.cell_m, x0 + res.cell_m, y1))
        codes.append(np.full(len(r), res.code, dtype=object))
        rows.append(r)
        cols.append(c)
        covs.append(res.coverage[r, c])
        ps.append(res.p[r, c])
        lams.append(res.lam[r, c])

    def cat(parts: list[np.ndarray], dtype: type | str) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    geometry = cat(boxes, object)
    if crs is not None and len(geometry) and not CRS(crs).equals(metric):
        geometry = from_metric(geometry, metric) if CRS(crs).equals(WGS84) else _reproject(geometry, metric, crs)
    return CellTable(
        code=cat(codes, object),
        row=cat(rows, np.int64),
        col=cat(cols, np.int64),
        geometry=geometry,
        coverage=cat(covs, float),
        p=cat(ps, float),
        lam=cat(lams, float),
        crs=CRS(crs) if crs is not None else metric,
    )


def _reproject(geometry: np.ndarray, source: CRS, target: CRS) -> np.ndarray:
    from pyproj import Transformer

    tr = Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
