"""Square cells over a hazard area in a metric CRS, with the exact fraction of each cell it covers.

The contamination model works cell by cell; a cell on the edge of an area counts only for
the part of it that lies inside (a 10 m wide road strip on 25 m cells covers 40 % of them).
Coverage is computed exactly, in NumPy, from the polygon's edges:

``S(X, Y)``, the area of the polygon inside the quadrant ``x <= X, y <= Y``, is a sum over
the edges of ``-∫ min(y(x), Y) dx`` (Green's theorem, exterior ring counter-clockwise,
holes clockwise), and the area inside a cell is the second difference of ``S`` at its four
corners. Only cells the boundary passes through need it; the others are wholly in or out,
which a test of their centre decides.

Cells lie on a lattice of multiples of ``cell_m`` in the metric CRS, so the grids of
neighbouring areas line up and can be mosaicked into one raster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from shapely.geometry.base import BaseGeometry

_CHUNK = 1 << 20  # edge × node pairs evaluated at once (bounds the temporaries to ~50 MB)


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


def grid_for(polygon: BaseGeometry, cell_m: float = 25.0) -> CellGrid:
    """The cells over a metric (Multi)Polygon and the fraction of each that it covers."""
    if not cell_m > 0:
        raise ValueError(f"cell size must be positive, got {cell_m}")
    if polygon is None or polygon.is_empty:
        return CellGrid(Affine(cell_m, 0.0, 0.0, 0.0, -cell_m, 0.0), np.zeros((0, 0)), cell_m)
    minx, miny, maxx, maxy = polygon.bounds
    x0 = np.floor(minx / cell_m) * cell_m
    y1 = np.ceil(maxy / cell_m) * cell_m
    cols = max(1, int(np.ceil((maxx - x0) / cell_m - 1e-9)))
    rows = max(1, int(np.ceil((y1 - miny) / cell_m - 1e-9)))
    transform = Affine(cell_m, 0.0, float(x0), 0.0, -cell_m, float(y1))
    return CellGrid(transform, coverage_fractions(polygon, float(x0), float(y1), cell_m, rows, cols), cell_m)


def coverage_fractions(
    polygon: BaseGeometry, x0: float, y_top: float, cell_m: float, rows: int, cols: int
) -> np.ndarray:
    """Fraction of each cell of the grid (top-left corner ``x0, y_top``) inside ``polygon``."""
    out = np.zeros((rows, cols))
    if polygon is None or polygon.is_empty or rows == 0 or cols == 0:
        return out
    # Local coordinates (grid origin at the top-left) keep the sums small and exact enough.
    local = shapely.transform(polygon, lambda xy: xy - (x0, y_top))
    parts = shapely.get_parts(local)
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    if len(parts) == 0:
        return out
    oriented = shapely.orient_polygons(parts, exterior_cw=False)
    rings = shapely.get_rings(oriented)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]
    xa, ya, xb, yb = xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same]

    # Cells wholly in or out: the centre decides.
    xs = (np.arange(cols) + 0.5) * cell_m
    ys = -(np.arange(rows) + 0.5) * cell_m
    prepared = shapely.union_all(oriented) if len(oriented) > 1 else oriented[0]
    shapely.prepare(prepared)
    out[:] = shapely.contains_xy(prepared, xs[None, :], ys[:, None])

    # Cells the boundary passes through: every cell inside the bounding box of a boundary
    # piece no longer than a cell (a superset of the cells it touches; extra ones are harmless).
    pieces = shapely.get_coordinates(shapely.segmentize(rings, cell_m), return_index=True)
    pxy, pring = pieces
    keep = pring[:-1] == pring[1:]
    px0, px1 = pxy[:-1, 0][keep], pxy[1:, 0][keep]
    py0, py1 = pxy[:-1, 1][keep], pxy[1:, 1][keep]
    c_lo = np.floor(np.minimum(px0, px1) / cell_m).astype(np.int64)
    c_hi = np.floor(np.maximum(px0, px1) / cell_m).astype(np.int64)
    r_lo = np.floor(-np.maximum(py0, py1) / cell_m).astype(np.int64)
    r_hi = np.floor(-np.minimum(py0, py1) / cell_m).astype(np.int64)
    touched = np.zeros(rows * cols, dtype=bool)
    offsets = np.arange(3)
    rr = (r_lo[:, None] + offsets)[:, :, None]
    cc = (c_lo[:, None] + offsets)[:, None, :]
    ok = (rr <= r_hi[:, None, None]) & (cc <= c_hi[:, None, None])
    rr = np.minimum(np.maximum(rr, 0), rows - 1)
    cc = np.minimum(np.maximum(cc, 0), cols - 1)
    touched[(rr * cols + cc)[ok]] = True
    flat = np.flatnonzero(touched)
    if len(flat):
        r, c = np.divmod(flat, cols)
        left, right = c * cell_m, (c + 1) * cell_m
        top, bottom = -r * cell_m, -(r + 1) * cell_m
        qx = np.concatenate([right, left, right, left]).astype(float)
        qy = np.concatenate([top, top, bottom, bottom]).astype(float)
        s = _quadrant_area(qx, qy, xa, ya, xb, yb).reshape(4, -1)
        area = s[0] - s[1] - s[2] + s[3]
        out.flat[flat] = np.minimum(np.maximum(area / (cell_m * cell_m), 0.0), 1.0)
    return out


def _quadrant_area(
    qx: np.ndarray, qy: np.ndarray, xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, yb: np.ndarray
) -> np.ndarray:
    """Area of the oriented polygon with edges (xa, ya)→(xb, yb) inside ``x <= qx, y <= qy``."""
    lo = np.minimum(xa, xb)
    hi = np.maximum(xa, xb)
    y_lo = np.where(xa <= xb, ya, yb)
    y_hi = np.where(xa <= xb, yb, ya)
    sign = np.sign(xb - xa)
    run = hi - lo
    slope = np.divide(y_hi - y_lo, run, out=np.zeros_like(run), where=run > 0)
    out = np.empty(len(qx))
    step = max(1, _CHUNK // max(1, len(xa)))
    for s in range(0, len(qx), step):
        X = qx[s : s + step, None]
        Y = qy[s : s + step, None]
        v = np.minimum(hi, X)
        width = np.maximum(v - lo, 0.0)
        a = y_lo
        b = y_lo + slope * (v - lo)
        low = np.minimum(a, b)
        high = np.maximum(a, b)
        span = high - low
        below = np.divide(Y - low, span, out=(low <= Y).astype(float), where=span > 0)
        np.minimum(np.maximum(below, 0.0, out=below), 1.0, out=below)
        integral = width * (below * (low + np.minimum(Y, high)) * 0.5 + (1.0 - below) * Y)
        out[s : s + step] = -(sign * integral).sum(axis=1)
    return out
