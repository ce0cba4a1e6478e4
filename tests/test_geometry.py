"""Metric geometry: areas are computed in a UTM zone, never in degrees."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from landrelease.domain.geometry import area_m2, areas_m2, haversine_km, utm_crs_for


@given(lon=st.floats(-179.9, 179.9), lat=st.floats(-80, 84))
def test_utm_zone_contains_the_point(lon: float, lat: float) -> None:
    crs = utm_crs_for(lon, lat)
    zone = int(crs.utm_zone[:-1])
    west = -180 + (zone - 1) * 6
    assert west - 1e-9 <= lon < west + 6 + 1e-9
    assert crs.utm_zone.endswith("N" if lat >= 0 else "S")


@pytest.mark.parametrize("lon,lat", [(0.0, 100.0), (200.0, 0.0)])
def test_out_of_range_point_is_refused(lon: float, lat: float) -> None:
    with pytest.raises(ValueError, match="longitude/latitude"):
        utm_crs_for(lon, lat)


@settings(max_examples=50)
@given(lon=st.floats(-170, 170), lat=st.floats(-60, 60), side_m=st.floats(50, 5000))
def test_square_area_is_metric(lon: float, lat: float, side_m: float) -> None:
    """A square of side s metres (built in degrees at that latitude) measures about s²."""
    dlat = side_m / 111_320.0
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat)))
    sq = shapely.box(lon, lat, lon + dlon, lat + dlat)
    assert area_m2(sq) == pytest.approx(side_m**2, rel=0.01)


def test_areas_of_many_match_one_by_one() -> None:
    boxes = [shapely.box(47 + i * 0.01, 39.9, 47.005 + i * 0.01, 39.905) for i in range(5)]
    many = areas_m2(boxes)
    assert many == pytest.approx([area_m2(b) for b in boxes], rel=1e-9)
    assert 230_000 < many[0] < 245_000  # ~427 m × 556 m at 39.9° N


def test_great_circle_one_degree_of_latitude() -> None:
    assert haversine_km(47.0, 39.0, 47.0, 40.0) == pytest.approx(111.2, rel=0.002)


def test_each_feature_is_measured_in_its_own_utm_zone() -> None:
    """A country-wide layer spans zones 17-19: each square's area matches the geodesic one, not one zone's."""
    import doctest

    from pyproj import Geod

    import landrelease.domain.geometry as geometry

    geod = Geod(ellps="WGS84")
    squares = [shapely.box(lon, 4.0, lon + 0.05, 4.05) for lon in (-80.5, -74.5, -68.5)]  # zones 17, 18, 19
    true = [abs(geod.geometry_area_perimeter(s)[0]) for s in squares]
    together = areas_m2(squares)
    for got, want in zip(together, true, strict=True):
        assert got == pytest.approx(want, rel=1.5e-3)  # UTM's own scale error, at most ~0.1 % here
    one_zone = areas_m2(squares, utm_crs_for(-74.5, 4.0))  # all measured in zone 18: the outer ones are off
    assert abs(one_zone[0] / true[0] - 1) > 0.005 and abs(one_zone[2] / true[2] - 1) > 0.005
    # the same feature gets the same area whatever it is imported with
    assert together[0] == pytest.approx(areas_m2(squares[:1])[0], rel=1e-12)
    assert doctest.testmod(geometry).failed == 0
