"""Metric geometry: every area and distance in landrelease is computed here.

Storage is EPSG:4326; square metres are computed in the data's UTM zone, never in degrees,
and distances between points on the great circle of the mean Earth radius (haversine).
The domain owns this module and it imports nothing else of the package, so every layer
(the core, storage, io, the adapters) can measure the same way.

>>> import shapely
>>> round(area_m2(shapely.box(47.0, 39.9, 47.005, 39.905)))
237356
>>> round(haversine_km(47.0, 39.0, 47.0, 40.0), 1)
111.2
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)


def utm_crs_for(lon: float, lat: float) -> CRS:
    """The WGS 84 / UTM zone that contains a point (EPSG 326xx north, 327xx south)."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"not a longitude/latitude pair: ({lon}, {lat})")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def utm_crs_for_geometries(geometries: Iterable[BaseGeometry]) -> CRS:
    """The UTM zone of the centre of the data's bounding box."""
    arr = np.asarray(list(geometries), dtype=object)
    arr = arr[~shapely.is_missing(arr)] if len(arr) else arr
    if len(arr) == 0:
        raise ValueError("no geometry to choose a metric CRS from")
    minx, miny, maxx, maxy = shapely.total_bounds(arr)
    return utm_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def to_metric(geometries: np.ndarray | list[BaseGeometry], crs: CRS | None = None) -> tuple[np.ndarray, CRS]:
    """Project EPSG:4326 geometries into a metric CRS (chosen from the data if not given)."""
    arr = np.asarray(geometries, dtype=object)
    target = crs or utm_crs_for_geometries(arr)
    transformer = Transformer.from_crs(WGS84, target, always_xy=True)
    projected = shapely.transform(arr, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    return projected, target


def from_metric(geometries: np.ndarray | list[BaseGeometry], crs: CRS) -> np.ndarray:
    """Project metric geometries back to EPSG:4326."""
    arr = np.asarray(geometries, dtype=object)
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    return shapely.transform(arr, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def areas_m2(geometries: np.ndarray | list[BaseGeometry], crs: CRS | None = None) -> np.ndarray:
    """Areas in m² of EPSG:4326 geometries, computed in a UTM zone."""
    arr = np.asarray(geometries, dtype=object)
    if len(arr) == 0:
        return np.zeros(0)
    projected, _ = to_metric(arr, crs)
    return shapely.area(projected)


def area_m2(geometry: BaseGeometry, crs: CRS | None = None) -> float:
    """Area in m² of one EPSG:4326 geometry, computed in a UTM zone."""
    return float(areas_m2([geometry], crs)[0])


# ---------------------------------------------------------------- distances

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG), the sphere every great-circle distance here is measured on."""

Coordinate = float | np.ndarray


def haversine_radians_km(
    lat1: Coordinate, lat2: Coordinate, dlon: Coordinate, cos_lat1: Coordinate, cos_lat2: Coordinate
) -> np.ndarray:
    """The haversine formula on latitudes and a longitude difference already in radians, with
    the latitudes' cosines given (callers that measure from the same points many times keep
    them). Broadcasts like NumPy; see :func:`haversine_km` for degrees.

    >>> import numpy as np
    >>> lat = np.radians([39.0, 40.0])
    >>> round(float(haversine_radians_km(lat[0], lat[1], 0.0, np.cos(lat[0]), np.cos(lat[1]))), 1)
    111.2
    """
    h = np.sin((np.asarray(lat2) - lat1) / 2) ** 2 + np.multiply(cos_lat1, cos_lat2) * np.sin(np.asarray(dlon) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def haversine_km(lon1: Coordinate, lat1: Coordinate, lon2: Coordinate, lat2: Coordinate) -> float | np.ndarray:
    """Great-circle distance in km between points given in degrees (EPSG:4326 lon/lat).

    Broadcasts like NumPy (pairs, one point against many, or a matrix from ``[:, None]``);
    identical points are exactly 0. Four plain floats take a scalar path (``math``), several
    times faster for the planner's point-to-point travel times; the formula is the same.

    >>> round(float(haversine_km(47.0, 39.0, 47.0, 40.0)), 1)
    111.2
    >>> haversine_km(46.5, 39.7, 46.5, 39.7)
    0.0
    """
    scalar = (float, int)
    if isinstance(lon1, scalar) and isinstance(lat1, scalar) and isinstance(lon2, scalar) and isinstance(lat2, scalar):
        if lon1 == lon2 and lat1 == lat2:
            return 0.0
        p1, p2 = math.radians(lat1), math.radians(lat2)
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))
    r1, r2 = np.radians(lat1), np.radians(lat2)
    d = haversine_radians_km(r1, r2, np.radians(np.asarray(lon2) - lon1), np.cos(r1), np.cos(r2))
    same = (np.asarray(lon1) == lon2) & (np.asarray(lat1) == lat2)
    return np.where(same, 0.0, d)


__all__ = [
    "EARTH_RADIUS_KM",
    "WGS84",
    "area_m2",
    "areas_m2",
    "from_metric",
    "haversine_km",
    "haversine_radians_km",
    "to_metric",
    "utm_crs_for",
    "utm_crs_for_geometries",
]
