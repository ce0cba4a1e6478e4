"""Each import check, on a small bad file made here: the refusal names the record and the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import mapping
from sqlalchemy import func, select

from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.io.importer import ImportReport, import_file
from landrelease.storage import schema
from landrelease.storage.repository import Register

SQUARE = [[17.0, 45.0], [17.001, 45.0], [17.001, 45.001], [17.0, 45.001], [17.0, 45.0]]


def square(dx: float = 0.0, dy: float = 0.0, size: float = 0.001) -> dict[str, Any]:
    x, y = 17.0 + dx, 45.0 + dy
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_geojson(path: Path, features: list[tuple[dict[str, Any], Any]]) -> Path:
    """A FeatureCollection; geometry given as a GeoJSON dict, a Shapely geometry, or None."""
    out = []
    for props, geom in features:
        if geom is not None and not isinstance(geom, dict):
            geom = mapping(geom)
        out.append({"type": "Feature", "properties": props, "geometry": geom})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": out}))
    return path


def good(n: int, **props: Any) -> list[tuple[dict[str, Any], Any]]:
    """n valid, distinct hazard areas a few hundred metres apart."""
    return [({"code": f"HA-{i}", **props}, square(dx=0.01 * i)) for i in range(n)]


@pytest.fixture
def reg(sqlite_url: str) -> Iterator[Register]:
    r = Register.open(sqlite_url)
    yield r
    r.close()


def rows_in_every_table(reg: Register) -> dict[str, int]:
    """Row count of each table of the register (hazard areas, evidence, teams, audit, imports, …)."""
    with reg.reading() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables
        }


def refused(reg: Register, path: Path, **kw: Any) -> list[Problem]:
    """The import is refused and nothing at all was written, whatever the kind of record."""
    before = rows_in_every_table(reg)
    with pytest.raises(ValidationError) as info:
        import_file(reg, path, **kw)
    assert rows_in_every_table(reg) == before
    return info.value.problems


def only(problems: list[Problem], check: str) -> Problem:
    hits = [p for p in problems if p.check == check and p.severity is Severity.ERROR]
    assert len(hits) == 1, [str(p) for p in problems]
    return hits[0]


def test_self_intersection_refused_then_repaired_with_area_change(reg: Register, tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[17, 45], [17.01, 45.01], [17.01, 45], [17, 45.01], [17, 45]]]}
    path = write_geojson(tmp_path / "bowtie.geojson", [*good(3), ({"code": "BOW"}, bowtie)])
    p = only(refused(reg, path), "invalid_geometry")
    assert (p.record, p.field) == ("feature 3", "geometry")
    assert "Self-intersection" in str(p) and "bowtie.geojson" in str(p)
    report = import_file(reg, path, fix=True)
    assert report.stored == 4
    (fixed,) = report.fixed
    assert fixed.record == "feature 3" and "m²" in fixed.message and "Polygon -> MultiPolygon" in fixed.message
    stored = reg.hazard_area("BOW")
    assert stored is not None and stored.geometry.is_valid and stored.geometry.geom_type == "MultiPolygon"


def test_unclosed_ring_refused_then_closed(reg: Register, tmp_path: Path) -> None:
    unclosed = {"type": "Polygon", "coordinates": [SQUARE[:-1]]}
    path = write_geojson(tmp_path / "open.geojson", [({"code": "A"}, unclosed), *good(2, region="r")[1:]])
    p = only(refused(reg, path), "unclosed_ring")
    assert (p.record, p.field) == ("feature 0", "geometry")
    report = import_file(reg, path, fix=True)
    assert [f.check for f in report.fixed] == ["unclosed_ring"]
    a = reg.hazard_area("A")
    assert a is not None and a.geometry.is_valid and a.geometry.exterior.is_closed


def test_null_and_empty_geometry_refused_then_skipped_and_listed(reg: Register, tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "nulls.geojson",
        [*good(2), ({"code": "NULL"}, None), ({"code": "EMPTY"}, {"type": "Polygon", "coordinates": []})],
    )
    problems = refused(reg, path)
    assert only(problems, "null_geometry").record == "feature 2"
    assert only(problems, "empty_geometry").record == "feature 3"
    assert all(p.field == "geometry" for p in problems)
    report = import_file(reg, path, fix=True)
    assert report.stored == 2
    assert sorted((p.record, p.check) for p in report.skipped) == [
        ("feature 2", "null_geometry"),
        ("feature 3", "empty_geometry"),
    ]
    assert reg.hazard_area("NULL") is None


def test_wrong_geometry_type_for_the_kind(reg: Register, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "pt.geojson", [*good(2), ({"code": "PT"}, shapely.Point(17, 45))])
    p = only(refused(reg, path, fix=True), "wrong_geometry_type")
    assert (p.record, p.field, p.found) == ("feature 2", "geometry", "Point")
    assert "Polygon or MultiPolygon" in str(p.expected)


def test_coordinates_out_of_range(reg: Register, tmp_path: Path) -> None:
    far = {"type": "Polygon", "coordinates": [[[200, 45], [200.1, 45], [200.1, 45.1], [200, 45]]]}
    path = write_geojson(tmp_path / "far.geojson", [*good(2), ({"code": "FAR"}, far)])
    p = only(refused(reg, path), "coordinates_out_of_range")
    assert (p.record, p.field) == ("feature 2", "geometry")
    assert "200" in str(p.found)


def test_lat_lon_swapped_beyond_90_is_named(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text("code,lat,lon,kind\nE1,17.5,45.2,accident\nE2,120.0,45.2,accident\n")
    p = only(refused(reg, path, kind="evidence"), "lat_lon_swapped")
    assert p.record == "row 2" and p.field == "geometry" and "swapped" in p.message


def test_lat_lon_swapped_against_the_rest_of_the_data(reg: Register, tmp_path: Path) -> None:
    odd = shapely.Polygon([(45.0, 17.0), (45.0, 17.001), (45.001, 17.001), (45.001, 17.0)])
    path = write_geojson(tmp_path / "odd.geojson", [*good(8), ({"code": "ODD"}, odd)])
    p = only(refused(reg, path), "lat_lon_swapped")
    assert p.record == "feature 8" and "swap" in p.message


def test_vertices_more_than_5_km_apart_is_advisory(reg: Register, tmp_path: Path) -> None:
    long_thin = shapely.Polygon([(17.0, 45.0), (17.1, 45.0), (17.1, 45.0005), (17.0, 45.0005)])
    path = write_geojson(tmp_path / "long.geojson", [*good(2), ({"code": "LONG"}, long_thin)])
    report = import_file(reg, path)
    assert report.stored == 3
    (p,) = [w for w in report.warnings if w.check == "vertices_far_apart"]
    assert p.severity is Severity.ADVISORY and p.record == "feature 2" and p.field == "geometry"
    assert p.found is not None and p.found.startswith("7.")  # 0.1° of longitude at 45°N ≈ 7.9 km


def test_duplicate_codes_in_the_file_and_in_the_register(reg: Register, tmp_path: Path) -> None:
    feats = good(3)
    feats[2][0]["code"] = "HA-0"
    path = write_geojson(tmp_path / "dup.geojson", feats)
    p = only(refused(reg, path), "duplicate_code")
    assert (p.record, p.field, p.found) == ("feature 2", "code", "HA-0") and "feature 0" in p.message
    import_file(reg, write_geojson(tmp_path / "first.geojson", good(2)))
    again = write_geojson(tmp_path / "again.geojson", [({"code": "HA-1"}, square(dy=0.5))])
    with pytest.raises(ValidationError) as info:
        import_file(reg, again)
    p = only(info.value.problems, "duplicate_code")
    assert p.record == "feature 0" and "already in the register" in p.message
    assert reg.count_hazard_areas() == 2


def test_duplicate_geometries(reg: Register, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "twice.geojson", [*good(2), ({"code": "COPY"}, square(dx=0.01))])
    p = only(refused(reg, path), "duplicate_geometry")
    assert (p.record, p.field) == ("feature 2", "geometry") and "feature 1" in p.message
    report = import_file(reg, path, fix=True)
    assert report.stored == 2 and [s.record for s in report.skipped] == ["feature 2"]


@pytest.mark.parametrize(
    ("kind", "column", "value", "allowed"),
    [
        ("hazard-areas", "land_use", "swamp", "farmland"),
        ("hazard-areas", "eo_types", "ap_mine;banana", "cluster_munition"),
        ("hazard-areas", "status", "lost", "cleared"),
        ("hazard-areas", "kind", "XHA", "CHA"),
        ("evidence", "kind", "rumour", "minefield_record"),
        ("evidence", "eo_type", "rock", "ap_mine"),
        ("teams", "type", "horse", "mdd"),
    ],
)
def test_unknown_vocabulary_values_list_the_allowed_ones(
    reg: Register, tmp_path: Path, kind: str, column: str, value: str, allowed: str
) -> None:
    base = {"evidence": {"kind": "accident"}, "teams": {"type": "manual"}}.get(kind, {})
    geom = shapely.Point(17.0, 45.0) if kind != "hazard-areas" else None
    feats = [({**base, "code": f"C{i}"}, geom or square(dx=0.01 * i)) for i in range(2)]
    feats.append(({**base, "code": "BAD", column: value}, (geom and shapely.Point(17.1, 45)) or square(dx=0.5)))
    path = write_geojson(tmp_path / "vocab.geojson", feats)
    problems = [p for p in refused(reg, path, kind=kind) if p.severity is Severity.ERROR]
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert (p.record, p.field) == ("feature 2", column)
    assert value in str(p.found) and allowed in str(p.expected)


def test_vocabulary_spelling_is_forgiving(reg: Register, tmp_path: Path) -> None:
    feats = [
        ({"code": "A", "Land Use": "Religious Site", "typeArea": "Cleared Areas", "eo_types": "AP; at_mine"}, square())
    ]
    import_file(reg, write_geojson(tmp_path / "spelling.geojson", feats))
    a = reg.hazard_area("A")
    assert a is not None
    assert (a.land_use.value, a.status.value, [e.value for e in a.eo_types]) == (
        "religious_site",
        "cleared",
        ["ap_mine", "at_mine"],
    )


def test_mixed_area_units(reg: Register, tmp_path: Path) -> None:
    feats = good(4)
    for (props, _), area in zip(feats, ["1.2 ha", "0.9 ha", "12000 m2", "1.1 ha"], strict=True):
        props["area"] = area
    p = only(refused(reg, write_geojson(tmp_path / "units.geojson", feats)), "mixed_area_units")
    assert (p.record, p.field, p.found) == ("feature 2", "area", "m2") and "ha" in str(p.expected)


def test_mixed_area_units_from_a_unit_column(reg: Register, tmp_path: Path) -> None:
    feats = good(3)
    for (props, _), unit in zip(feats, ["m2", "m2", "ha"], strict=True):
        props.update(area=1000, area_unit=unit)
    p = only(refused(reg, write_geojson(tmp_path / "unitcol.geojson", feats)), "mixed_area_units")
    assert (p.record, p.field) == ("feature 2", "area_unit")


@pytest.mark.parametrize("area", [0, -250.0, "-3 ha"])
def test_negative_or_zero_declared_area(reg: Register, tmp_path: Path, area: Any) -> None:
    feats = good(2)
    feats[1][0]["area_m2"] = area
    p = only(refused(reg, write_geojson(tmp_path / "area.geojson", feats)), "non_positive_area")
    assert (p.record, p.field) == ("feature 1", "area_m2")


def test_date_in_the_future(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    path.write_text("code,kind,date,lat,lon\nE1,accident,2021-05-01,45.1,17.1\nE2,accident,2999-01-01,45.2,17.2\n")
    p = only(refused(reg, path, kind="evidence"), "future_date")
    assert (p.record, p.field, p.found) == ("row 2", "date", "2999-01-01")


def test_unreadable_number_names_row_and_column(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    path.write_text("code,type,size,lat,lon\nT1,manual,8,45.1,17.1\nT2,mdd,eight,45.2,17.2\n")
    p = only(refused(reg, path, kind="teams"), "bad_value")
    assert (p.record, p.field) == ("row 2", "size") and "eight" in str(p.found)


def test_every_problem_is_reported_not_just_the_first(reg: Register, tmp_path: Path) -> None:
    feats = [*good(3), ({"code": "N"}, None), ({"code": "L", "land_use": "moon"}, square(dy=0.3))]
    problems = refused(reg, write_geojson(tmp_path / "many.geojson", feats))
    assert {p.check for p in problems if p.severity is Severity.ERROR} == {"null_geometry", "unknown_land_use"}


def test_a_file_with_one_bad_record_writes_nothing(register: Register, tmp_path: Path) -> None:
    """All or nothing, on both backends: 2,000 good records and one bad one store nothing."""
    feats = [({"code": f"HA-{i}"}, square(dx=0.002 * (i % 100), dy=0.002 * (i // 100))) for i in range(2000)]
    feats.append(({"code": "BAD", "status": "unknown-status"}, square(dy=0.9)))
    path = write_geojson(tmp_path / "one_bad.geojson", feats)
    with pytest.raises(ValidationError):
        import_file(register, path, batch_size=500)  # several batches are written before the bad one is read
    assert register.count_hazard_areas() == 0
    with register.reading() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 0
    report: ImportReport = import_file(register, write_geojson(tmp_path / "fine.geojson", feats[:-1]), batch_size=500)
    assert report.stored == register.count_hazard_areas() == 2000


def test_every_field_lands_on_both_backends(register: Register, tmp_path: Path) -> None:
    props = {
        "code": "HA-X",
        "name": "Field by the road",
        "kind": "CHA",
        "land_use": "road",
        "eo_types": "ap_mine;uxo",
        "machine_accessible": "no",
        "slope_deg": 12.5,
        "vegetation": "high",
        "clutter": "medium",
        "density": "low",
        "status": "in progress",
        "operator": "Op A",
        "region": "North",
        "priority_score": 0.75,
        "beneficiaries": 420,
        "date": "2021-03-04",
        "sheet": "2585-III",
        "area": "0.87 ha",
    }
    collection = shapely.GeometryCollection([shapely.Polygon(SQUARE), shapely.LineString([(17, 45), (18, 46)])])
    path = write_geojson(tmp_path / "full.geojson", [(props, square(dy=0.2)), ({"code": "GC"}, collection)])
    p = only(refused(register, path), "wrong_geometry_type")
    assert (p.record, p.found) == ("feature 1", "GeometryCollection")
    report = import_file(register, path, fix=True)
    assert [f.message for f in report.fixed] == ["GeometryCollection reduced to its Polygon"]
    a = register.hazard_area("HA-X")
    assert a is not None
    assert (a.name, a.kind.value, a.land_use.value, [e.value for e in a.eo_types]) == (
        "Field by the road",
        "CHA",
        "road",
        ["ap_mine", "uxo"],
    )
    assert (a.machine_accessible, a.slope_deg, a.vegetation.value, a.clutter.value, a.density.value) == (
        False,
        12.5,
        "high",
        "medium",
        "low",
    )
    assert (a.status.value, a.operator, a.region, a.priority_score, a.beneficiaries) == (
        "in_progress",
        "Op A",
        "North",
        0.75,
        420,
    )
    assert a.extra == {"date": "2021-03-04", "sheet": "2585-III"}
    assert shapely.equals_exact(a.geometry, shapely.geometry.shape(square(dy=0.2)), tolerance=0)
    gc = register.hazard_area("GC")
    assert gc is not None and gc.geometry.equals(shapely.Polygon(SQUARE))


def test_declared_area_is_kept_when_the_polygon_does_not_bear_it_out(reg: Register, tmp_path: Path) -> None:
    feats = good(3)
    feats[0][0]["area_m2"] = 8737.0  # about right for 0.001° × 0.001° at 45°N: not stored twice
    feats[1][0]["area_m2"] = 20.0  # far off: kept, and an advisory says so
    report = import_file(reg, write_geojson(tmp_path / "declared.geojson", feats))
    a0, a1 = reg.hazard_area("HA-0"), reg.hazard_area("HA-1")
    assert a0 is not None and a1 is not None
    assert "declared_area_m2" not in a0.extra and a1.extra["declared_area_m2"] == 20.0
    (p,) = [w for w in report.warnings if w.check == "declared_area_differs"]
    assert (p.record, p.field, p.severity) == ("feature 1", "area_m2", Severity.ADVISORY)


def test_unreadable_coordinates_name_the_row_and_column(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("code,kind,lat,lon\nE1,accident,45.1,17.1\nE2,accident,north,17.2\n")
    p = only(refused(reg, path, kind="evidence"), "unreadable_geometry")
    assert (p.record, p.field) == ("row 2", "lat") and "north" in str(p.found)
