"""Broken files as they come: each one refused with one clear message naming the file (and the
record where there is one) and the way forward; nothing is written."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.io.importer import import_file
from landrelease.storage.repository import Register


@pytest.fixture
def reg(sqlite_url: str) -> Iterator[Register]:
    r = Register.open(sqlite_url)
    yield r
    r.close()


def frame(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [f"HA-{i}" for i in range(n)], "name": [("Café", "Ñandú", "Zürich")[i % 3] for i in range(n)]},
        geometry=[shapely.box(17 + 0.01 * i, 45, 17.005 + 0.01 * i, 45.004) for i in range(n)],
        crs=4326,
    )


def refusal(reg: Register, path: Path, **kw: Any) -> list[Problem]:
    """The problems of a refused import; checks nothing was stored and no import was recorded."""
    with pytest.raises(ValidationError) as info:
        import_file(reg, path, **kw)
    assert reg.count_hazard_areas() == 0 and reg.import_runs() == []
    errors = [p for p in info.value.problems if p.severity is Severity.ERROR]
    assert errors, info.value.problems
    return errors


def single(reg: Register, path: Path, **kw: Any) -> Problem:
    (p,) = refusal(reg, path, **kw)
    assert p.source is not None and p.source.startswith(path.name), p
    assert p.expected, f"no way forward in {p}"
    return p


def test_missing_file(reg: Register, tmp_path: Path) -> None:
    p = single(reg, tmp_path / "nowhere.gpkg")
    assert "no such file" in p.message and "check the folder" in str(p.expected)


def test_unsupported_suffix_says_how_to_convert(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "areas.kml"
    path.write_text("<kml/>")
    p = single(reg, path)
    assert p.found == ".kml" and ".gpkg" in str(p.expected) and "ogr2ogr" in str(p.expected)


@pytest.mark.parametrize("name", ["empty.gpkg", "empty.geojson", "empty.csv", "empty.zip", "empty.shp"])
def test_empty_file(reg: Register, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    p = single(reg, path)
    assert "empty (0 bytes)" in p.message and "download" in str(p.expected)


def test_truncated_geopackage(reg: Register, tmp_path: Path) -> None:
    good = tmp_path / "good.gpkg"
    frame().to_file(good)
    data = good.read_bytes()
    path = tmp_path / "cut.gpkg"
    path.write_bytes(data[: len(data) // 2])
    p = single(reg, path)
    assert "cannot be read as a GeoPackage" in p.message and "truncated or damaged" in str(p.expected)


def test_geopackage_that_is_not_one(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "notes.gpkg"
    path.write_text("these are field notes, not a GeoPackage\n" * 10)
    p = single(reg, path)
    assert "cannot be read as a GeoPackage" in p.message


def test_corrupt_zip_and_zip_without_shapefile(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "areas.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    p = single(reg, path)
    assert "not a readable zip" in p.message and "zip the Shapefile again" in str(p.expected)
    other = tmp_path / "docs.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "hello")
    p = single(reg, other)
    assert "holds no Shapefile" in p.message and p.found == "readme.txt"


@pytest.mark.parametrize("part", [".dbf", ".shx"])
def test_shapefile_without_a_part(reg: Register, tmp_path: Path, part: str) -> None:
    shp = tmp_path / "areas.shp"
    frame().to_file(shp)
    shp.with_suffix(part).unlink()
    p = single(reg, shp)
    assert f"no {part}" in p.message and "areas.shp, .shx, .dbf and .prj" in str(p.expected)
    if part == ".dbf":
        assert "attributes would be lost" in p.message  # GDAL alone would read the shapes and drop them


def test_zipped_shapefile_without_its_dbf(reg: Register, tmp_path: Path) -> None:
    shp = tmp_path / "areas.shp"
    frame().to_file(shp)
    path = tmp_path / "areas.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in tmp_path.glob("areas.*"):
            if f.suffix not in (".zip", ".dbf"):
                z.write(f, f.name)
    p = single(reg, path)
    assert "areas.shp has no .dbf" in p.message and "attributes would be lost" in p.message


def test_shapefile_without_prj_says_declare_the_crs(reg: Register, tmp_path: Path) -> None:
    shp = tmp_path / "areas.shp"
    frame().to_crs(32633).to_file(shp)
    shp.with_suffix(".prj").unlink()
    p = single(reg, shp)
    assert p.field == "crs" and "--crs" in str(p.expected)
    assert import_file(reg, shp, crs="EPSG:32633").stored == 3


def test_csv_in_latin1_is_refused_naming_the_line_then_read_with_its_encoding(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    rows = [
        "code,name,WKT",
        'A,Plain,"POLYGON ((17 45, 17.01 45, 17.01 45.01, 17 45.01, 17 45))"',
        'B,Café du Pont,"POLYGON ((18 45, 18.01 45, 18.01 45.01, 18 45.01, 18 45))"',
    ]
    path.write_bytes("\n".join(rows).encode("latin-1") + b"\n")
    p = single(reg, path)
    assert p.record == "line 3" and "not UTF-8" in p.message and "--encoding" in str(p.expected)
    report = import_file(reg, path, encoding="cp1252")
    assert report.stored == 2 and "cp1252" in report.crs_note
    b = reg.hazard_area("B")
    assert b is not None and b.name == "Café du Pont"


def test_unknown_encoding_is_refused(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text('code,WKT\nA,"POINT (1 1)"\n')
    p = single(reg, path, encoding="klingon")
    assert p.field == "encoding" and "cp1252" in str(p.expected)


def test_csv_with_a_byte_order_mark_reads_its_first_column(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    text = 'code,name,WKT\nA,Zürich,"POLYGON ((17 45, 17.01 45, 17.01 45.01, 17 45.01, 17 45))"\n'
    path.write_bytes("\ufeff".encode() + text.encode())
    assert import_file(reg, path).stored == 1
    a = reg.hazard_area("A")  # the code column was found despite the BOM before its name
    assert a is not None and a.name == "Zürich"


def test_unparseable_wkt_names_the_row(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "wkt.csv"
    path.write_text(
        'code,WKT\nA,"POLYGON ((17 45, 17.01 45, 17.01 45.01, 17 45.01, 17 45))"\nB,"POLYGON ((18 45, 18.01 oops"\n'
    )
    problems = refusal(reg, path)
    (p,) = [p for p in problems if p.check == "unreadable_geometry"]
    assert p.record == "row 2" and p.field == "WKT" and "oops" in str(p.found) and p.expected


def test_mixed_geometry_types_name_each_record_and_say_what_to_do(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "mixed.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"code": "A"},
            "geometry": shapely.geometry.mapping(shapely.box(17, 45, 17.01, 45.01)),
        },
        {"type": "Feature", "properties": {"code": "P"}, "geometry": {"type": "Point", "coordinates": [17.2, 45.2]}},
        {
            "type": "Feature",
            "properties": {"code": "L"},
            "geometry": {"type": "LineString", "coordinates": [[17, 45], [17.1, 45.1]]},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(ValidationError) as info:
        import_file(reg, path)
    wrong = [p for p in info.value.problems if p.check == "wrong_geometry_type"]
    assert [(p.record, p.found) for p in wrong] == [("feature 1", "Point"), ("feature 2", "LineString")]
    (hint,) = [p for p in info.value.problems if p.check == "way_forward"]
    assert "--kind evidence" in str(hint.expected)
    assert reg.count_hazard_areas() == 0


def test_a_refusal_stores_nothing_even_after_good_batches(reg: Register, tmp_path: Path) -> None:
    """Batches are written while the file is good; a bad record later rolls every one back."""
    n = 300
    f = frame(3)
    big = gpd.GeoDataFrame(
        {"code": [f"HA-{i}" for i in range(n)]},
        geometry=[shapely.box(17 + 0.001 * i, 45, 17.0005 + 0.001 * i, 45.0004) for i in range(n)],
        crs=4326,
    )
    big.loc[n - 1, "code"] = "HA-0"  # a duplicate code in the last batch
    path = tmp_path / "late.gpkg"
    pyogrio.write_dataframe(big, path)
    with pytest.raises(ValidationError, match="duplicate code"):
        import_file(reg, path, batch_size=100)
    assert reg.count_hazard_areas() == 0 and len(f) == 3


# ---------------------------------------------------------------- other kinds


def test_settlements_bad_input(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "villages.csv"
    path.write_text(
        "code,name,population,access_routes,lat,lon\n"
        "S1,Agdam,-5,,40.0,47.0\n"
        'S2,,100,"LINESTRING (47 40, 47.1 40.1)",40.1,47.1\n'
        'S3,Fuzuli,abc,"LINESTRING (47 40, oops",40.2,47.2\n'
        "S1,Again,10,,40.3,47.3\n"
    )
    with pytest.raises(ValidationError) as info:
        import_file(reg, path, kind="settlements")
    got = {(p.check, p.record, p.field) for p in info.value.problems if p.severity is Severity.ERROR}
    assert ("negative_value", "row 1", "population") in got
    assert ("missing_value", "row 2", "name") in got
    assert ("bad_value", "row 3", "population") in got
    assert ("bad_value", "row 3", "access_routes") in got
    assert ("duplicate_code", "row 4", "code") in got
    assert reg.settlements() == []


def test_teams_bad_input(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    path.write_text(
        "team,type,size,latitude,longitude\nT1,hovercraft,8,45.1,17.2\nT2,dog,-2,45.2,17.3\nT3,,1,45.2,17.4\n"
        "T4,manual,3,95.0,17.0\n"
    )
    with pytest.raises(ValidationError) as info:
        import_file(reg, path, kind="teams")
    got = {(p.check, p.record, p.field) for p in info.value.problems if p.severity is Severity.ERROR}
    assert ("unknown_type", "row 1", "type") in got
    assert ("negative_value", "row 2", "size") in got
    assert ("missing_value", "row 3", "type") in got
    assert any(c in ("coordinates_out_of_range", "lat_lon_swapped") and r == "row 4" for c, r, _ in got)
    assert reg.teams() == []
    polygons = tmp_path / "teams.geojson"
    polygons.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "T9", "type": "eod"},
                        "geometry": shapely.geometry.mapping(shapely.box(17, 45, 17.01, 45.01)),
                    }
                ],
            }
        )
    )
    with pytest.raises(ValidationError) as info:
        import_file(reg, polygons, kind="teams")
    (p,) = [p for p in info.value.problems if p.check == "wrong_geometry_type"]
    assert p.record == "feature 0" and p.expected == "Point"


# ---------------------------------------------------------------- record-activity inputs

runner = CliRunner()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Register]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    reg = Register.open(url)
    with reg.unit_of_work() as uow:
        uow.add_hazard_areas([HazardArea("HA-1", shapely.box(47.0, 39.9, 47.01, 39.91))])
    yield reg
    reg.close()


def record(*extra: str) -> Any:
    return runner.invoke(
        app,
        ["record-activity", "--hazard", "HA-1", "--kind", "clearance", "--start", "2026-05-01", *extra],
    )


def refused_cleanly(res: Any, *needles: str) -> None:
    assert res.exit_code != 0, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    text = " ".join(res.output.split())
    for needle in needles:
        assert needle in text, text


def test_record_activity_finds_bad_inputs(cli: Register, tmp_path: Path) -> None:
    finds = tmp_path / "finds.csv"
    finds.write_text("lon,lat,eo_type,depth_cm\n47.005,39.905,rocket,10\n47.005,39.905,ap_mine,deep\n")
    refused_cleanly(record("--finds", str(finds)), "row 2", "eo_type", "rocket", "row 3", "depth_cm")
    finds.write_text("lon,lat,eo_type\n200,39.9,uxo\n")
    refused_cleanly(record("--finds", str(finds)), "row 2", "coordinates out of range")
    finds.write_bytes("lon,lat,eo_type,model\n47.005,39.905,AP mine,PMA-2 (Café)\n".encode("latin-1"))
    refused_cleanly(record("--finds", str(finds)), "finds.csv", "UTF-8")
    missing = tmp_path / "nothing.csv"
    refused_cleanly(record("--finds", str(missing)), "nothing.csv", "not found")
    assert cli.activities() == []


def test_record_activity_finds_with_a_bom_and_vocabulary_terms(cli: Register, tmp_path: Path) -> None:
    finds = tmp_path / "finds.csv"
    finds.write_bytes("\ufefflon,lat,eo_type\n47.005,39.905,AP mine\n47.006,39.906,Anti-tank mine\n".encode())
    res = record("--finds", str(finds), "--all")
    assert res.exit_code == 0, res.output
    (activity,) = cli.activities()
    assert sorted(f.eo_type.value for f in activity.finds) == ["ap_mine", "at_mine"]


def test_record_activity_released_bad_inputs(cli: Register, tmp_path: Path) -> None:
    released = tmp_path / "released.geojson"
    released.write_text("{not json")
    refused_cleanly(record("--released", str(released)), "released.geojson", "not a GeoJSON")
    released.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"method": "vaporised"},
                        "geometry": shapely.geometry.mapping(shapely.box(47.0, 39.9, 47.005, 39.905)),
                    },
                    {"type": "Feature", "properties": {}, "geometry": None},
                ],
            }
        )
    )
    refused_cleanly(record("--released", str(released)), "vaporised", "method", "no geometry")
    released.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    refused_cleanly(record("--released", str(released)), "no released polygon")
    shutil.copy(released, tmp_path / "copy.geojson")
    assert cli.activities() == []


def test_a_file_with_no_records(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "header_only.csv"
    path.write_text("code,WKT\n")
    p = single(reg, path)
    assert p.check == "no_records" and "no records" in p.message
    empty = tmp_path / "none.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert single(reg, empty).found == "0 records"
