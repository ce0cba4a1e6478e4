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
``search(result, footprint, d)`` / ``find(result, x, y)``
    Bayesian updates of one area's grid after a search that found nothing, or a find.
``cell_polygons(results, crs=WGS84)``
    The cells as polygons with their values, for the map and the GeoPackage export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import CRS

from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea


@dataclass(frozen=True, slots=True)
class ContaminationParams:
    """The model's assumptions, each with its source (see the module docstring)."""


@dataclass(slots=True)
class AreaContamination:
    """The contamination grid of one hazard area and its summary."""

    code: str
    p_any: float
    expected_items: float
    crs: CRS
    transform: Affine
    coverage: np.ndarray
    p: np.ndarray
    lam: np.ndarray


def assess(
    areas: Sequence[HazardArea],
    evidence: Sequence[Evidence],
    *,
    cell_m: float = 25.0,
    params: ContaminationParams | None = None,
    crs: CRS | None = None,
) -> list[AreaContamination]:
    """The contamination grid and summary of every hazard area, from its evidence."""
    raise NotImplementedError
