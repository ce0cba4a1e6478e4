"""Data-quality checks (GICHD geocheck + overlapping hazard areas): pure functions and the register."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from landrelease.domain import quality
from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.enums import ActivityKind, EOType, EvidenceKind, ReleaseMethod
from landrelease.domain.errors import Severity
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.storage.repository import Register
from tests.test_release_rule import box_m, metric_to_wgs, square


def checks(problems) -> list[tuple[str | None, str | None]]:
    return sorted((p.check, p.record) for p in problems)


def test_invalid_empty_and_wrong_type() -> None:
    bowtie = Polygon([(47.0, 39.9), (47.001, 39.901), (47.001, 39.9), (47.0, 39.901)])
    ps = quality.invalid_polygons(["A", "B", "C", "D", "E"], [square(), bowtie, Polygon(), Point(47, 39.9), None])
    assert checks(ps) == [
        ("empty_geometry", "C"),
        ("empty_geometry", "E"),
        ("invalid_polygon", "B"),
        ("wrong_geometry_type", "D"),
    ]
    assert all(p.severity is Severity.ERROR for p in ps)
    assert "Self-intersection" in next(p.found for p in ps if p.record == "B")  # type: ignore[operator]


def test_fewer_than_three_distinct_vertices() -> None:
    flat = Polygon([(47.0, 39.9), (47.001, 39.9), (47.0, 39.9), (47.001, 39.9)])  # two distinct points
    hole_bad = Polygon(square().exterior.coords, [[(47.0005, 39.9005), (47.0006, 39.9005), (47.0005, 39.9005)]])
    ps = quality.too_few_vertices(["ok", "flat", "hole"], [square(), flat, hole_bad])
    assert checks(ps) == [("too_few_vertices", "flat"), ("too_few_vertices", "hole")]
    assert ps[0].found == "2 distinct vertices"


def test_duplicate_geometries_in_any_vertex_order() -> None:
    a = square()
    b = Polygon(list(a.exterior.coords)[::-1])  # same ring, other direction
    c = Polygon(list(a.exterior.coords)[2:-1] + list(a.exterior.coords)[:3])  # other start vertex
    ps = quality.duplicate_geometries(["A", "B", "C", "D"], [a, b, c, square(100.0)])
    assert checks(ps) == [("duplicate_geometry", "B"), ("duplicate_geometry", "C")]
    assert ps[0].found == "same as A"


def test_duplicate_ids_and_local_ids() -> None:
    ps = quality.duplicate_ids(["A", "B", "A", "C", "A"])
    assert [(p.record, p.found) for p in ps] == [("A", "3 records")]
    ps = quality.check_polygons(["A", "B"], [square(), square(50.0, 47.1)], local_ids=["L1", "L1"])
    assert ("duplicate_local_id", "L1") in checks(ps)


def test_duplicate_points_inside_one_polygon_only() -> None:
    p = metric_to_wgs(Point(10, 10), 47.0, 39.9)
    near = metric_to_wgs(Point(10.2, 10), 47.0, 39.9)
    far = metric_to_wgs(Point(30, 10), 47.0, 39.9)
    ps = quality.duplicate_points(["e1", "e2", "e3", "e4"], [p, near, far, p], ["HA-1", "HA-1", "HA-1", "HA-2"])
    assert checks(ps) == [("duplicate_point", "e2")]
    assert ps[0].severity is Severity.WARNING and "e1" in (ps[0].found or "")


def test_duplicate_devices_are_same_place_and_same_type() -> None:
    p = metric_to_wgs(Point(10, 10), 47.0, 39.9)
    ps = quality.duplicate_points(
        ["f1", "f2", "f3"],
        [p, p, p],
        ["ap_mine", "ap_mine", "uxo"],
        check="duplicate_device",
        what="device",
        owner_label="EO type",
    )
    assert checks(ps) == [("duplicate_device", "f2")]


def test_long_vertex_gaps_are_advisory() -> None:
    long = Polygon([(47.0, 39.9), (47.1, 39.9), (47.1, 39.901), (47.0, 39.901)])  # ~8.6 km edges
    ps = quality.long_vertex_gaps(["short", "long"], [square(), long])
    assert checks(ps) == [("long_vertex_gap", "long")]
    assert ps[0].severity is Severity.ADVISORY and ps[0].found == "8.6 km"  # 0.1° of longitude at 39.9° N on WGS 84


def test_overlapping_parts_of_a_multipolygon() -> None:
    a, b = box_m(0, 0, 100, 100), box_m(50, 0, 150, 100)
    far = box_m(500, 0, 600, 100)
    ps = quality.overlapping_multipolygon_parts(["M", "ok"], [MultiPolygon([a, b]), MultiPolygon([a, far])])
    assert checks(ps) == [("overlapping_parts", "M")]
    assert ps[0].severity is Severity.ADVISORY and ps[0].found == "5,000 m² counted twice"


def test_overlapping_hazard_areas_with_the_overlap_in_m2() -> None:
    a, b = box_m(0, 0, 100, 100), box_m(80, 0, 180, 100)  # 2,000 m² shared
    touching = box_m(180, 0, 200, 100)
    ps = quality.overlapping_areas(["A", "B", "C"], [a, b, touching])
    assert [(p.record, p.found) for p in ps] == [("A", "2,000 m² shared with B")]
    assert ps[0].severity is Severity.WARNING


def test_overlaps_scale_with_an_strtree() -> None:
    """50,000 areas on a grid, every 100th nudged onto its neighbour: found, quickly."""
    n, side = 50_000, 224
    i = np.arange(n)
    x0 = 47.0 + (i % side) * 0.002
    y0 = 39.0 + (i // side) * 0.002
    shift = np.where(i % 100 == 0, 0.0012, 0.0)
    boxes = shapely.box(x0 + shift, y0, x0 + shift + 0.0015, y0 + 0.0015)
    ids = [f"HA-{k}" for k in i]
    import time

    t = time.perf_counter()
    ps = quality.overlapping_areas(ids, boxes)
    elapsed = time.perf_counter() - t
    expected = {f"HA-{k}" for k in i if k % 100 == 0 and (k % side) != side - 1}
    assert {p.record for p in ps} == expected
    assert elapsed < 30  # seconds, on a shared 2-core machine; ~2 s unshared


def test_register_check_names_records_across_layers(register: Register) -> None:
    a, b = box_m(0, 0, 100, 100), box_m(80, 0, 180, 100)
    areas = [
        HazardArea("HA-1", a),
        HazardArea("HA-2", b),
        HazardArea("HA-3", square(100.0, 47.01)),
        HazardArea("HA-4", Polygon(list(square(100.0, 47.01).exterior.coords)[::-1])),
    ]
    p = metric_to_wgs(Point(10, 10), 47.0, 39.9)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(areas)
        uow.add_evidence(
            [
                Evidence(EvidenceKind.INTERVIEW, p, "HA-1", code="EV-1"),
                Evidence(EvidenceKind.INTERVIEW, p, "HA-1", code="EV-2"),
            ]
        )
        uow.record_activity(
            Activity(
                "HA-1",
                ActivityKind.EOD,
                date(2026, 5, 1),
                code="ACT-1",
                finds=[Find(EOType.UXO, p), Find(EOType.UXO, p)],
            ),
            today=date(2026, 6, 1),
        )
    ps = register.quality_problems()
    got = {(x.source, x.check, x.record) for x in ps}
    assert ("hazard areas", "overlapping_areas", "HA-1") in got
    assert ("hazard areas", "duplicate_geometry", "HA-4") in got
    assert ("hazard areas", "overlapping_areas", "HA-3") in got  # HA-3 and HA-4 are the same land
    assert ("evidence", "duplicate_point", "EV-2") in got
    assert any(s == "finds" and c == "duplicate_device" and "ACT-1" in (r or "") for s, c, r in got)


def test_superseded_parents_do_not_overlap_their_children(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_hazard_areas([HazardArea("HA-1", square())])
        uow.record_activity(
            Activity(
                "HA-1",
                ActivityKind.TS,
                date(2026, 5, 1),
                released=[ReleasedPart(ReleaseMethod.REDUCED, box_m(0, 0, 100, 200))],
            ),
            today=date(2026, 6, 1),
        )
    assert register.quality_problems() == []


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_inputs(n: int) -> None:
    geoms = [square()] * n
    assert quality.check_polygons([f"A{i}" for i in range(n)], geoms) == []
