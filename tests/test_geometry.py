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
