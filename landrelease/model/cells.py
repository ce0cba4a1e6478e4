"""Square cells over hazard areas in a metric CRS, with the exact fraction of each cell covered.

The contamination model works cell by cell; a cell on the edge of an area counts only for
the part of it that lies inside (a 10 m wide road strip on 25 m cells covers 40 % of them).
Coverage is computed exactly, in NumPy, from the polygon's edges:

``S(X, Y)``, the area of the polygon inside the quadrant ``x <= X, y <= Y``, is a sum over
the edges of ``-∫ min(y(x), Y) dx`` (Green's theorem, exterior ring counter-clockwise,
holes clockwise), and the area inside a cell is the second difference of ``S`` at its four
corners. Only cells the boundary passes through need it; the others are wholly in or out,
which a test of their centre decides.

All areas of a batch are done at once: their cells are laid end to end in one flat array
(area ``k`` owns ``offsets[k]:offsets[k+1]``, row-major), so the work is a handful of NumPy
operations on long arrays rather than many on short ones. Cells lie on a lattice of
multiples of ``cell_m`` in the metric CRS, so the grids of neighbouring areas line up and
can be mosaicked into one raster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from shapely.geometry.base import BaseGeometry

_NOISE = 1e-9  # fractions below this are rounding noise of the sums
_PAIRS = 1 << 21  # (cell, edge) pairs evaluated at once: bounds the temporaries to ~100 MB


@dataclass(frozen=True, slots=True)
class CellGrid:
    """A north-up grid of ``shape`` cells of ``cell_m`` metres; ``coverage`` in [0, 1] per cell."""

    transform: Affine
    coverage: np.ndarray
    cell_m: float

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.coverage.shape[0]), int(self.coverage.shape[1]))

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Metric x and y of every cell centre, as ``shape`` arrays."""
        rows, cols = self.shape
        x0, y0 = self.transform.c, self.transform.f
        xs = x0 + (np.arange(cols) + 0.5) * self.cell_m
        ys = y0 - (np.arange(rows) + 0.5) * self.cell_m
        return np.broadcast_to(xs, (rows, cols)), np.broadcast_to(ys[:, None], (rows, cols))


@dataclass(frozen=True, slots=True)
class FlatGrids:
    """The grids of many areas end to end: area ``k`` has ``rows[k] × cols[k]`` cells whose
    top-left corner is at ``(x0[k], y_top[k])``, stored row-major in
    ``coverage[offsets[k]:offsets[k + 1]]``."""

    x0: np.ndarray
    y_top: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    offsets: np.ndarray
    coverage: np.ndarray
    cell_m: float

    def __len__(self) -> int:
        return len(self.rows)

    def owner(self, flat: np.ndarray) -> np.ndarray:
        """The area each flat cell index belongs to."""
        return np.searchsorted(self.offsets, flat, side="right") - 1

    def centres(self, flat: np.ndarray, owner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Metric centres of the given flat cells."""
        k = self.owner(flat) if owner is None else owner
        r, c = np.divmod(flat - self.offsets[k], self.cols[k])
        return self.x0[k] + (c + 0.5) * self.cell_m, self.y_top[k] - (r + 0.5) * self.cell_m

    def grid(self, k: int) -> CellGrid:
        """Area ``k``'s grid (a view into the flat coverage)."""
        shape = (int(self.rows[k]), int(self.cols[k]))
        cov = self.coverage[self.offsets[k] : self.offsets[k + 1]].reshape(shape)
        transform = Affine(self.cell_m, 0.0, float(self.x0[k]), 0.0, -self.cell_m, float(self.y_top[k]))
        return CellGrid(transform, cov, self.cell_m)


def _check_cell(cell_m: float) -> None:
    if not cell_m > 0:
        raise ValueError(f"cell size must be positive, got {cell_m}")


def grids_for(polygons: np.ndarray | list[BaseGeometry], cell_m: float = 25.0) -> FlatGrids:
    """The cells over each metric (Multi)Polygon, on the lattice of ``cell_m`` multiples."""
    _check_cell(cell_m)
    polys = np.asarray(polygons, dtype=object)
    n = len(polys)
    bounds = shapely.bounds(polys).reshape(n, 4) if n else np.zeros((0, 4))
    empty = ~np.isfinite(bounds).all(axis=1)
    bounds[empty] = 0.0
    x0 = np.floor(bounds[:, 0] / cell_m) * cell_m
    y_top = np.ceil(bounds[:, 3] / cell_m) * cell_m
    cols = np.maximum(1, np.ceil((bounds[:, 2] - x0) / cell_m - 1e-9)).astype(np.int64)
    rows = np.maximum(1, np.ceil((y_top - bounds[:, 1]) / cell_m - 1e-9)).astype(np.int64)
    cols[empty] = 0
    rows[empty] = 0
    return FlatGrids(x0, y_top, rows, cols, *_coverage_flat(polys, x0, y_top, rows, cols, cell_m), cell_m)


def grid_for(polygon: BaseGeometry, cell_m: float = 25.0) -> CellGrid:
    """The cells over one metric (Multi)Polygon and the fraction of each that it covers."""
    if polygon is None or polygon.is_empty:
        _check_cell(cell_m)
        return CellGrid(Affine(cell_m, 0.0, 0.0, 0.0, -cell_m, 0.0), np.zeros((0, 0)), cell_m)
    return grids_for([polygon], cell_m).grid(0)


def coverage_fractions(
    polygon: BaseGeometry, x0: float, y_top: float, cell_m: float, rows: int, cols: int
) -> np.ndarray:
    """Fraction of each cell of a given grid (top-left corner ``x0, y_top``) inside ``polygon``."""
    _check_cell(cell_m)
    if polygon is None or polygon.is_empty or rows == 0 or cols == 0:
        return np.zeros((rows, cols))
    _, cov = _coverage_flat(
        np.asarray([polygon], dtype=object),
        np.array([x0], dtype=float),
        np.array([y_top], dtype=float),
        np.array([rows], dtype=np.int64),
        np.array([cols], dtype=np.int64),
        cell_m,
    )
    return cov.reshape(rows, cols)


def ragged_arange(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without the loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)


def _coverage_flat(
    polys: np.ndarray, x0: np.ndarray, y_top: np.ndarray, rows: np.ndarray, cols: np.ndarray, cell_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and the flat coverage of every area's grid."""
    n = len(polys)
    ncell = rows * cols
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ncell, out=offsets[1:])
    coverage = np.zeros(int(offsets[-1]))
    if n == 0 or offsets[-1] == 0:
        return offsets, coverage

    # Polygons only, oriented (exterior counter-clockwise, holes clockwise), with their area index.
    parts, part_area = shapely.get_parts(polys, return_index=True)
    is_poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_area = parts[is_poly], part_area[is_poly]
    if len(parts) == 0:
        return offsets, coverage
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_area = part_area[ring_part]

    # Edges in each area's local frame (origin at its grid's top-left corner).
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]
    edge_area = ring_area[ring_of[:-1][same]]
    ox, oy = x0[edge_area], y_top[edge_area]
    xa, ya = xy[:-1, 0][same] - ox, xy[:-1, 1][same] - oy
    xb, yb = xy[1:, 0][same] - ox, xy[1:, 1][same] - oy

    # Cells wholly in or out: the centre decides, by the parity of the edges crossed on the
    # way along its row from the west (a scanline at each row's centre; half-open in y so a
    # vertex on the line counts once). Each row gets one extra column to take the crossings
    # east of its last centre, so every row's toggles sum to an even number and one running
    # sum over all rows gives the parity.
    coverage[:] = _centre_inside(xa, ya, xb, yb, edge_area, rows, cols, cell_m)

    # Cells the boundary passes through: every cell inside the bounding box of a boundary
    # piece no longer than a cell (a superset of those it touches; extra ones are harmless).
    pxy, pring = shapely.get_coordinates(shapely.segmentize(rings, cell_m), return_index=True)
    keep = pring[:-1] == pring[1:]
    parea = ring_area[pring[:-1][keep]]
    px0, px1 = pxy[:-1, 0][keep] - x0[parea], pxy[1:, 0][keep] - x0[parea]
    py0, py1 = pxy[:-1, 1][keep] - y_top[parea], pxy[1:, 1][keep] - y_top[parea]
    c_lo = np.floor(np.minimum(px0, px1) / cell_m).astype(np.int64)
    c_hi = np.floor(np.maximum(px0, px1) / cell_m).astype(np.int64)
    r_lo = np.floor(-np.maximum(py0, py1) / cell_m).astype(np.int64)
    r_hi = np.floor(-np.minimum(py0, py1) / cell_m).astype(np.int64)
    step = np.arange(3)
    rr = (r_lo[:, None] + step)[:, :, None]
    cc = (c_lo[:, None] + step)[:, None, :]
    ok = (rr <= r_hi[:, None, None]) & (cc <= c_hi[:, None, None])
    nr, nc = rows[parea][:, None, None], cols[parea][:, None, None]
    rr = np.minimum(np.maximum(rr, 0), nr - 1)
    cc = np.minimum(np.maximum(cc, 0), nc - 1)
    touched = np.zeros(len(coverage), dtype=bool)
    touched[(offsets[parea][:, None, None] + rr * nc + cc)[ok]] = True
    candidates = np.flatnonzero(touched)
    if len(candidates) == 0:
        return offsets, coverage

    # Exact area of each candidate cell. Only the edges over the cell's column count: each adds
    # ``∫ (clamp(y, bottom, top) - bottom) dx`` over the part of the column it spans, signed by
    # its direction (edges above the cell add the full height, edges below add nothing).
    cand_area = np.searchsorted(offsets, candidates, side="right") - 1
    cr, ccol = np.divmod(candidates - offsets[cand_area], cols[cand_area])
    forward = xa <= xb
    lo, hi = np.where(forward, xa, xb), np.where(forward, xb, xa)
    y_lo, y_hi = np.where(forward, ya, yb), np.where(forward, yb, ya)
    run = hi - lo
    slope = np.divide(y_hi - y_lo, run, out=np.zeros_like(run), where=run > 0)
    sign = np.sign(xb - xa)
    n_edges = np.bincount(edge_area, minlength=n)
    first_edge = np.zeros(n, dtype=np.int64)
    np.cumsum(n_edges[:-1], out=first_edge[1:])
    per_cell = n_edges[cand_area]
    bounds = np.concatenate([[0], np.cumsum(per_cell)])
    start = 0
    while start < len(candidates):
        stop = int(np.searchsorted(bounds, bounds[start] + _PAIRS, side="right")) - 1
        stop = max(stop, start + 1)
        sl = slice(start, stop)
        counts = per_cell[sl]
        pair_cell = np.repeat(np.arange(stop - start), counts)
        pair_edge = np.repeat(first_edge[cand_area[sl]], counts) + ragged_arange(counts)
        left = (ccol[sl] * cell_m)[pair_cell]
        u = np.maximum(lo[pair_edge], left)
        v = np.minimum(hi[pair_edge], left + cell_m)
        over = v > u
        pair_cell, pair_edge, u, v = pair_cell[over], pair_edge[over], u[over], v[over]
        top = (-cr[sl] * cell_m)[pair_cell]
        e_lo, e_ylo, e_slope = lo[pair_edge], y_lo[pair_edge], slope[pair_edge]
        yu = e_ylo + e_slope * (u - e_lo)
        yv = e_ylo + e_slope * (v - e_lo)
        strip = _integral_of_min(yu, yv, top) - _integral_of_min(yu, yv, top - cell_m)
        contrib = -sign[pair_edge] * (v - u) * strip
        area = np.bincount(pair_cell, weights=contrib, minlength=stop - start)
        frac = np.minimum(area / (cell_m * cell_m), 1.0)
        coverage[candidates[sl]] = np.where(frac > _NOISE, frac, 0.0)  # a corner touch is no cover
        start = stop
    return offsets, coverage


def _centre_inside(
    xa: np.ndarray,
    ya: np.ndarray,
    xb: np.ndarray,
    yb: np.ndarray,
    edge_area: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    cell_m: float,
) -> np.ndarray:
    """1.0 where a cell's centre is inside its area, 0.0 elsewhere (flat, row-major per area)."""
    n = len(rows)
    wide = cols + 1
    ext_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(rows * wide, out=ext_offsets[1:])
    # rows whose centre line y_c = -(r + 0.5)·cell satisfies min(ya, yb) <= y_c < max(ya, yb)
    y_min, y_max = np.minimum(ya, yb), np.maximum(ya, yb)
    r_first = np.floor(-y_max / cell_m - 0.5).astype(np.int64) + 1
    r_last = np.floor(-y_min / cell_m - 0.5).astype(np.int64)
    r_first = np.maximum(r_first, 0)
    r_last = np.minimum(r_last, rows[edge_area] - 1)
    counts = np.maximum(r_last - r_first + 1, 0)
    edge = np.repeat(np.arange(len(xa)), counts)
    r = np.repeat(r_first, counts) + ragged_arange(counts)
    yc = -(r + 0.5) * cell_m
    x1, y1, x2, y2 = xa[edge], ya[edge], xb[edge], yb[edge]
    x_cross = x1 + (yc - y1) * (x2 - x1) / (y2 - y1)
    k = edge_area[edge]
    first_col = np.floor(x_cross / cell_m - 0.5).astype(np.int64) + 1  # first centre east of the crossing
    first_col = np.minimum(np.maximum(first_col, 0), cols[k])
    toggles = np.bincount(ext_offsets[k] + r * wide[k] + first_col, minlength=int(ext_offsets[-1]))
    parity = np.cumsum(toggles) & 1
    keep = np.ones(len(parity), dtype=bool)
    row_owner = np.repeat(np.arange(n), rows)
    keep[ext_offsets[row_owner] + ragged_arange(rows) * wide[row_owner] + cols[row_owner]] = False
    return parity[keep].astype(float)


def _integral_of_min(ya: np.ndarray, yb: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Mean over a span of ``min(y, level)`` for y linear from ``ya`` to ``yb``."""
    low = np.minimum(ya, yb)
    high = np.maximum(ya, yb)
    span = high - low
    below = np.divide(level - low, span, out=(low <= level).astype(float), where=span > 0)
    np.minimum(np.maximum(below, 0.0, out=below), 1.0, out=below)
    return below * (low + np.minimum(level, high)) * 0.5 + (1.0 - below) * level
