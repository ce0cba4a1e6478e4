"""`landrelease record-activity`, `summary`, `check` and the demo step, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from rich.console import Console
from shapely.geometry import Point, mapping
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.cli.register import demo_step
from landrelease.domain.enums import HazardStatus
from landrelease.domain.hazard import HazardArea
from landrelease.samples import generate
from landrelease.services.importing import store_scenario
from landrelease.storage.repository import Register
from tests.test_release_rule import box_m, metric_to_wgs, square

runner = CliRunner()


@pytest.fixture
def cli_register(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Register]:
    """The register the CLI opens (from LANDRELEASE_DATABASE_URL), with two areas, on each backend."""
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    reg = Register.open(database_url)
    with reg.unit_of_work() as uow:
        uow.add_hazard_areas(
            [
                HazardArea("HA-1", square(), operator="Operator A", region="North"),
                HazardArea("HA-2", square(200.0, 47.01), operator="Operator A", region="North"),
            ]
        )
    yield reg
    reg.close()


def geojson(path: Path, features: list[tuple[shapely.Geometry, dict]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": props, "geometry": mapping(g)} for g, props in features],
            }
        )
    )
    return path


def test_record_a_partial_release_from_geojson(cli_register: Register, tmp_path: Path) -> None:
    parts = geojson(
        tmp_path / "released.geojson",
        [(box_m(0, 0, 100, 100), {"method": "reduced"}), (box_m(0, 100, 100, 200), {"method": "cleared"})],
    )
    finds = tmp_path / "finds.csv"
    lon, lat = metric_to_wgs(Point(50, 50), 47.0, 39.9).coords[0]
    finds.write_text(f"lon,lat,eo_type,depth_cm\n{lon},{lat},ap_mine,15\n")
    res = runner.invoke(
        app,
        [
            "record-activity",
            "--hazard",
            "HA-1",
            "--kind",
            "ts",
            "--start",
            "2026-05-01",
            "--end",
            "2026-05-20",
            "--team",
            "MDD-0001",
            "--operator",
            "Operator B",
            "--released",
            str(parts),
            "--finds",
            str(finds),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["status"] == "superseded" and out["remainder"] == "HA-1/1" and out["finds"] == 1
    assert [m for m, _ in out["released"]] == ["reduced", "cleared"]
    assert out["released_m2"] + out["remainder_m2"] == pytest.approx(out["original_m2"], abs=1e-3)
    assert cli_register.hazard_area("HA-1/1").status is HazardStatus.OPEN  # type: ignore[union-attr]


def test_record_all_then_summary(cli_register: Register) -> None:
    res = runner.invoke(app, ["record-activity", "--hazard", "HA-2", "--kind", "nts", "--start", "2026-04-01", "--all"])
    assert res.exit_code == 0, res.output
    assert "cancelled" in res.output
    s = runner.invoke(app, ["summary", "--json"])
    assert s.exit_code == 0, s.output
    data = json.loads(s.output)
    assert data["by_method"]["cancelled"] == pytest.approx(0.04, rel=1e-3)
    assert data["by_month"] == {"2026-04": {"cancelled": pytest.approx(0.04, rel=1e-3), "reduced": 0.0, "cleared": 0.0}}
    assert data["open_km2"] == pytest.approx(0.04, rel=1e-3)
    table = runner.invoke(app, ["summary"])
    assert table.exit_code == 0 and "Released by operator" in table.output and "Operator A" in table.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--hazard", "HA-404", "--kind", "nts", "--start", "2026-04-01", "--all"], "record activity on HA-404"),
        (["--hazard", "HA-1", "--kind", "ts", "--start", "2026-05-10", "--end", "2026-05-01"], "field 'end_date'"),
        (["--hazard", "HA-1", "--kind", "ts", "--start", "2099-01-01"], "in the future"),
        (["--hazard", "HA-1", "--kind", "ts", "--start", "1 May"], "field '--start'"),
        (["--hazard", "HA-1", "--kind", "eod", "--start", "2026-05-01", "--all"], "releases no land"),
    ],
)
def test_refusals_print_the_record_and_field(cli_register: Register, args: list[str], words: str) -> None:
    res = runner.invoke(app, ["record-activity", *args])
    assert res.exit_code == 2
    assert "refused" in res.output and words in res.output
    assert "Traceback" not in res.output


def test_a_part_outside_the_area_is_refused_by_the_cli(cli_register: Register, tmp_path: Path) -> None:
    parts = geojson(tmp_path / "bad.geojson", [(box_m(150, 0, 400, 200), {}), (box_m(0, 0, 10, 10), {"method": "x"})])
    res = runner.invoke(
        app, ["record-activity", "--hazard", "HA-1", "--kind", "ts", "--start", "2026-05-01", "--released", str(parts)]
    )
    assert res.exit_code == 2 and "record 2, field 'method'" in res.output  # file checks first
    parts = geojson(tmp_path / "bad2.geojson", [(box_m(150, 0, 400, 200), {})])
    res = runner.invoke(
        app, ["record-activity", "--hazard", "HA-1", "--kind", "ts", "--start", "2026-05-01", "--released", str(parts)]
    )
    assert res.exit_code == 2 and "released part 1" in res.output and "outside" in res.output


def test_check_exit_codes_and_json(cli_register: Register) -> None:
    res = runner.invoke(app, ["check"])
    assert res.exit_code == 0 and "No problem found" in res.output
    bowtie = shapely.Polygon([(47.1, 39.9), (47.101, 39.901), (47.101, 39.9), (47.1, 39.901)])
    with cli_register.unit_of_work() as uow:
        uow.add_hazard_areas([HazardArea("HA-BAD", bowtie), HazardArea("HA-3", box_m(150, 0, 300, 200))])
    res = runner.invoke(app, ["check", "--json"])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["counts"] == {"error": 1, "warning": 1, "advisory": 0}
    assert data["problems"][0]["record"] == "HA-BAD" and data["problems"][0]["check"] == "invalid_polygon"
    assert data["problems"][1]["found"] == "10,000 m² shared with HA-3"
    table = runner.invoke(app, ["check"])
    assert table.exit_code == 1 and "errors: 1" in table.output and "HA-BAD" in table.output


def test_demo_step_records_sample_activities_once(sqlite_url: str) -> None:
    reg = Register.open(sqlite_url)
    store_scenario(reg, generate(80, seed=3))
    console = Console(record=True, width=120)
    out = demo_step(reg, console)
    kinds = [r["activity"] for r in out["recorded"]]
    assert len(kinds) == 6
    statuses = [r["status"] for r in out["recorded"]]
    assert statuses.count("cancelled") == 2 and "reduced" in statuses and "cleared" in statuses
    assert "superseded" in statuses
    s = out["summary"]
    assert s["by_method"]["cancelled"] > 0 and s["by_method"]["reduced"] > 0 and s["by_method"]["cleared"] > 0
    assert sum(s["finds_by_type"].values()) >= 2
    assert "Land released" in console.export_text()
    again = demo_step(reg, Console(record=True))
    assert again["recorded"] == [] and again["summary"] == s
    reg.close()
