"""Importing each format, reprojection and CRS rules, the kinds, the real Bosnian layer, the CLI."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from landrelease.cli import io as _io_commands  # noqa: F401 - registers import/export
from landrelease.cli.base import app
from landrelease.domain.enums import AssetType, EvidenceKind, HazardStatus
from landrelease.domain.errors import ValidationError
from landrelease.domain.geometry import area_m2
from landrelease.io.importer import import_file
from landrelease.storage.repository import HazardFilter, Register


@pytest.fixture
def reg(sqlite_url: str) -> Iterator[Register]:
    r = Register.open(sqlite_url)
    yield r
    r.close()


def areas_frame(n: int = 5, crs: int | None = 4326) -> gpd.GeoDataFrame:
    geoms = [shapely.box(17.0 + 0.01 * i, 45.0, 17.005 + 0.01 * i, 45.004) for i in range(n)]
    frame = gpd.GeoDataFrame(
        {"code": [f"HA-{i}" for i in range(n)], "land_use": ["farmland"] * n, "kind": ["CHA"] * n},
        geometry=geoms,
        crs=4326,
    )
    return frame.to_crs(32633) if crs == 32633 else frame


def test_geopackage_layer_choice_and_utm_reprojection(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(areas_frame(3), path, layer="other")
    pyogrio.write_dataframe(areas_frame(5, crs=32633), path, layer="areas", append=True)
    with pytest.raises(ValidationError, match="several layers"):
        import_file(reg, path)
    with pytest.raises(ValidationError, match="no such layer"):
        import_file(reg, path, layer="nope")
    report = import_file(reg, path, layer="areas")
    assert report.stored == 5 and "32633" in report.crs_note
    a = reg.hazard_area("HA-1")
    assert a is not None
    expected = shapely.box(17.01, 45.0, 17.015, 45.004)
    assert shapely.equals_exact(shapely.normalize(a.geometry), shapely.normalize(expected), tolerance=1e-7)
    assert a.kind.value == "CHA" and a.land_use.value == "farmland"
    # the stored R*Tree finds it by bounding box
    found = reg.hazard_areas(HazardFilter(bbox=(17.011, 45.001, 17.012, 45.002)))
    assert [x.code for x in found] == ["HA-1"]


def test_shapefile_plain_and_zipped(reg: Register, tmp_path: Path) -> None:
    shp = tmp_path / "areas.shp"
    pyogrio.write_dataframe(areas_frame(4), shp)
    assert import_file(reg, shp).stored == 4
    zipped = tmp_path / "areas.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for f in tmp_path.glob("areas.*"):
            if f.suffix != ".zip":
                z.write(f, f.name.replace("areas", "more"))
    with pytest.raises(ValidationError, match="code already in the register"):
        import_file(reg, zipped)
    assert reg.count_hazard_areas() == 4


def test_shapefile_without_crs_is_refused_unless_declared(reg: Register, tmp_path: Path) -> None:
    shp = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(areas_frame(2, crs=32633), shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(ValidationError) as info:
        import_file(reg, shp)
    (p,) = info.value.problems
    assert p.field == "crs" and "no coordinate reference system" in p.message and "nocrs.shp" in str(p)
    with pytest.raises(ValidationError, match="unknown coordinate reference system"):
        import_file(reg, shp, crs="EPSG:999999")
    assert import_file(reg, shp, crs="EPSG:32633").stored == 2
    a = reg.hazard_area("HA-0")
    assert a is not None and a.geometry.bounds[0] == pytest.approx(17.0, abs=1e-7)


def test_csv_with_wkt_and_with_lat_lon(reg: Register, tmp_path: Path) -> None:
    wkt = tmp_path / "areas.csv"
    wkt.write_text(
        'code,WKT,land_use\nA,"POLYGON ((17 45, 17.01 45, 17.01 45.01, 17 45.01, 17 45))",road\n'
        'B,"POLYGON ((18 45, 18.01 45, 18.01 45.01, 18 45.01, 18 45))",rail\n'
    )
    assert import_file(reg, wkt).stored == 2
    a = reg.hazard_area("A")
    assert a is not None and a.land_use.value == "road"
    assert area_m2(a.geometry) == pytest.approx(787.6 * 1112.0, rel=0.01)  # 0.01° × 0.01° at 45°N
    pts = tmp_path / "teams.csv"
    pts.write_text("team,asset_type,latitude,longitude,size\nT1,Manual,45.1,17.2,8\nT2,dog,45.2,17.3,2\n")
    assert import_file(reg, pts, kind="teams").stored == 2
    teams = {t.code: t for t in reg.teams()}
    assert teams["T2"].type is AssetType.MDD and (teams["T1"].base.x, teams["T1"].base.y) == (17.2, 45.1)


def test_csv_needs_a_geometry_column(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "nogeom.csv"
    path.write_text("code,name\nA,x\n")
    with pytest.raises(ValidationError, match="WKT column or latitude and longitude"):
        import_file(reg, path)


def test_evidence_links_to_stored_hazard_areas(reg: Register, tmp_path: Path) -> None:
    gpkg = tmp_path / "a.gpkg"
    pyogrio.write_dataframe(areas_frame(2), gpkg)
    import_file(reg, gpkg)
    ev = tmp_path / "ev.csv"
    ev.write_text(
        "code,kind,hazard_code,reliability,lat,lon\nE1,Minefield Record,HA-1,0.2,45.002,17.012\n"
        "E2,accident,HA-9,,45.1,17.1\n"
    )
    with pytest.raises(ValidationError) as info:
        import_file(reg, ev, kind="evidence")
    (p,) = [p for p in info.value.problems if p.check == "unknown_hazard_code"]
    assert (p.record, p.field, p.found) == ("row 2", "hazard_code", "HA-9")
    ev.write_text("code,kind,hazard_code,reliability,lat,lon\nE1,Minefield Record,HA-1,0.2,45.002,17.012\n")
    assert import_file(reg, ev, kind="evidence").stored == 1
    (e,) = reg.evidence()
    assert (e.kind, e.hazard_code, e.reliability) == (EvidenceKind.MINEFIELD_RECORD, "HA-1", 0.2)


def test_codes_derived_from_feature_ids_and_default_status(reg: Register, tmp_path: Path) -> None:
    frame = areas_frame(3).drop(columns=["code"])
    frame["sheet"] = ["2585-III", "2585-IV", None]
    path = tmp_path / "sheet.gpkg"
    pyogrio.write_dataframe(frame, path)
    report = import_file(reg, path, status="cleared")
    assert report.derived_codes == 3 and report.code_pattern == "sheet-<feature id>"
    a = reg.hazard_area("sheet-1")
    assert a is not None and a.status is HazardStatus.CLEARED and a.extra == {"sheet": "2585-III"}
    with pytest.raises(ValidationError, match="--status"):
        import_file(reg, path, status="lost")


def test_bosnian_cleared_areas_refused_by_default_and_loaded_with_fix(reg: Register, bih_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        import_file(reg, bih_path)
    problems = info.value.problems
    checks = {p.check for p in problems}
    assert {"null_geometry", "invalid_geometry", "duplicate_geometry", "empty_geometry"} <= checks
    nulls = [p for p in problems if p.check == "null_geometry"]
    assert len(nulls) >= 100 and all(p.record and p.record.startswith("feature ") for p in nulls)
    assert len([p for p in problems if p.check == "invalid_geometry"]) >= 300
    assert "cleared_areas.geojson" in str(info.value) and "Self-intersection" in str(info.value)
    assert reg.count_hazard_areas() == 0

    report = import_file(reg, bih_path, fix=True)
    skipped = report.count("skipped")
    assert skipped["null_geometry"] >= 100
    assert report.stored + sum(skipped.values()) == report.read == 8329
    assert report.count("fixed")["invalid_geometry"] >= 300
    assert reg.count_hazard_areas() == report.stored
    stored = reg.hazard_areas(limit=500)
    assert all(a.status is HazardStatus.CLEARED for a in stored)  # typeArea "Cleared Areas"
    assert all(a.geometry.is_valid and a.geometry.geom_type in ("Polygon", "MultiPolygon") for a in stored)
    assert all("fileId" in a.extra for a in stored)


def test_cli_import_refusal_and_fix_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "cli.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":'
        "[[[17,45],[17.01,45],[17.01,45.01],[17,45.01],[17,45]]]}},"
        '{"type":"Feature","properties":{"code":"B"},"geometry":null}]}'
    )
    runner = CliRunner()
    refused = runner.invoke(app, ["import", str(path)])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "record feature 1, field 'geometry': null geometry" in refused.output.replace("\n", " ")
    fixed = runner.invoke(app, ["import", str(path), "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "1 hazard-areas stored" in fixed.output and "null geometry (1): feature 1" in fixed.output


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_shapefile_truncated_column_names_and_layer_named_after_the_kind(reg: Register, tmp_path: Path) -> None:
    frame = areas_frame(3)
    frame["machine_accessible"] = ["no", "yes", "no"]
    frame["priority_score"] = [0.5, 0.25, 1.0]
    shp = tmp_path / "long.shp"
    pyogrio.write_dataframe(frame, shp)
    assert "machine_ac" in pyogrio.read_info(shp)["fields"]
    import_file(reg, shp)
    a = reg.hazard_area("HA-0")
    assert a is not None and a.machine_accessible is False and a.priority_score == 0.5
    two = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(areas_frame(2).assign(code=["X-1", "X-2"]), two, layer="hazard_areas")
    pyogrio.write_dataframe(areas_frame(1), two, layer="notes", append=True)
    assert import_file(reg, two).stored == 2  # the layer named after the kind, as `landrelease export` writes it
