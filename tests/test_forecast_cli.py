"""`landrelease calibrate` and `landrelease forecast` on a register (SQLite and PostGIS), and the demo step."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.cli.engine import demo_step
from landrelease.domain.enums import AssetType
from landrelease.domain.task import DailyReport
from landrelease.samples import generate
from landrelease.services.forecast import area_forecasts, forecast_register, stored_dispatch_order
from landrelease.services.importing import store_scenario
from landrelease.storage.forecasts import REGISTER, SCENARIO, latest_batch
from landrelease.storage.repository import Register

EXAMPLES = Path(__file__).resolve().parents[1] / "landrelease" / "samples" / "scenarios"


@pytest.fixture
def filled(register: Register, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Register:
    sc = generate(60, seed=5)
    store_scenario(register, sc)
    manual = [t for t in sc.teams if t.type is AssetType.MANUAL]
    codes = [a.code for a in sc.hazard_areas]
    reports = [
        DailyReport(
            uuid=f"r-{i}",
            team=manual[i % len(manual)].code,
            date=date(2026, 3, 1) + timedelta(days=i),
            m2_processed=8 * 20.0,
            hazard_code=codes[i % len(codes)],
        )
        for i in range(30)
    ]
    reports.append(DailyReport(uuid="r-ghost", team="NO-SUCH-TEAM", date=date(2026, 3, 1), m2_processed=100.0))
    with register.unit_of_work() as uow:
        uow.add_daily_reports(reports)
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    return register


def test_calibrate_prints_prior_and_posterior_and_draws_them(filled: Register, tmp_path: Path) -> None:
    runner = CliRunner()
    chart = tmp_path / "calibration.svg"
    result = runner.invoke(app, ["calibrate", "--json", "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["used_reports"] == 30
    assert data["skipped_reports"] == {"unknown team": 1}
    manual = [e for e in data["estimates"] if e["asset"] == "manual" and e["n_reports"] > 0]
    assert sum(e["n_reports"] for e in manual) == 30
    for e in manual:  # 20 m²/day per deminer observed: the posterior moves from the prior towards it
        assert e["observed_median_m2_per_day"] == pytest.approx(20.0)
        assert e["posterior_median_m2_per_day"] < e["prior_median_m2_per_day"]
    assert chart.read_text().lstrip().startswith("<?xml")
    table = runner.invoke(app, ["calibrate"])
    assert table.exit_code == 0 and "posterior" in table.output and "unknown team" in table.output


def test_forecast_register_and_scenarios(filled: Register, tmp_path: Path) -> None:
    runner = CliRunner()
    one = runner.invoke(app, ["forecast", "--json", "--runs", "60", "--seed", "3", "--chart", str(tmp_path / "b.png")])
    assert one.exit_code == 0, one.output
    data = json.loads(one.stdout)
    assert data["hazard_areas"] == 60 and data["runs"] == 60 and len(data["areas"]) == 60
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    again = json.loads(runner.invoke(app, ["forecast", "--json", "--runs", "60", "--seed", "3"]).stdout)
    assert again["burn_down"] == data["burn_down"]  # same seed, same numbers
    text = runner.invoke(app, ["forecast", "--runs", "40"])
    assert text.exit_code == 0 and "50 % released by" in " ".join(text.output.split())

    args = [
        "forecast",
        "--runs",
        "60",
        "--scenario",
        str(EXAMPLES / "today.yaml"),
        "--scenario",
        str(EXAMPLES / "more-deminers-and-dogs.yaml"),
    ]
    cmp = runner.invoke(app, [*args, "--json", "--chart", str(tmp_path / "cmp.svg")])
    assert cmp.exit_code == 0, cmp.output
    rows = json.loads(cmp.stdout)["scenarios"]
    assert [r["name"] for r in rows] == ["today's capacity", "+200 deminers, +20 dogs"]
    assert rows[1]["capacity"]["manual"]["units"] == rows[0]["capacity"]["manual"]["units"] + 200
    # more capacity, same draws: at least as much released at 5 years
    assert rows[1]["released_km2_at_years"]["5"]["p50"] >= rows[0]["released_km2_at_years"]["5"]["p50"] - 1e-9
    assert (tmp_path / "cmp.svg").exists()
    table = runner.invoke(app, args)
    flat = " ".join(table.output.split())
    assert table.exit_code == 0 and "Scenarios compared" in flat and "+200 deminers" in flat


def test_bad_scenario_is_refused_without_a_traceback(filled: Register, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncapacity:\n  add: {dogs: 20}\n")
    result = CliRunner().invoke(app, ["forecast", "--scenario", str(bad)])
    assert result.exit_code != 0
    assert "bad.yaml" in result.output and "capacity.add.dogs" in result.output and "mdd" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(app, ["forecast", "--scenario", str(tmp_path / "none.yaml")])
    assert missing.exit_code != 0 and "none.yaml" in missing.output
    chart = CliRunner().invoke(app, ["forecast", "--chart", str(tmp_path / "x.gif")])
    assert chart.exit_code != 0 and ".png" in chart.output


def test_forecast_refuses_an_empty_register(
    register: Register, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["forecast"])
    assert result.exit_code != 0 and "no open hazard area" in result.output


def test_demo_step_and_plain_data(filled: Register, tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    data = demo_step(filled, console, tmp_path / "out")
    assert Path(data["chart"]).exists()
    stored = area_forecasts(filled)  # stored for the map, the API and readiness
    assert set(stored) == {a.code for a in filled.hazard_areas()}
    assert all(set(a.extra) == {"synthetic"} for a in filled.hazard_areas())  # not in the user's columns
    assert data["band"][0]["p50"] == data["total_km2"] and len(data["band"]) == 10 * 12 + 1
    assert "50 % released by" in console.export_text()
    plain = forecast_register(filled, runs=30, seed=1).as_dict(per_area=False)
    assert "areas" not in plain and plain["hazard_areas"] == 60
    json.dumps(plain)


def test_forecast_uses_the_contamination_model_once_it_has_run(filled: Register) -> None:
    runner = CliRunner()
    before = json.loads(runner.invoke(app, ["forecast", "--json", "--runs", "40", "--seed", "1"]).stdout)
    assert any("prior by kind" in n for n in before["notes"])  # not assessed yet: the model's prior
    modelled = runner.invoke(app, ["model"])
    assert modelled.exit_code == 0, modelled.output
    after = json.loads(runner.invoke(app, ["forecast", "--json", "--runs", "40", "--seed", "1"]).stdout)
    assert any("from the contamination model" in n for n in after["notes"])
    assert after["release_mix"] != before["release_mix"]  # the mix is calibrated on the new probabilities


def test_forecast_refuses_a_register_without_teams(
    register: Register, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = generate(20, seed=1)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(sc.hazard_areas)
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["forecast"])
    assert result.exit_code != 0 and "no capacity" in result.output and "manual" in result.output
    # a scenario that brings its own teams can still be forecast
    result = CliRunner().invoke(
        app, ["forecast", "--runs", "20", "--scenario", str(EXAMPLES / "more-deminers-and-dogs.yaml")]
    )
    assert result.exit_code == 0, result.output


def test_forecast_store_writes_each_area_forecast_for_the_map(filled: Register) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["forecast", "--store", "--runs", "30", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Stored 60 hazard areas' forecasts" in result.output
    area = filled.hazard_areas()[0]
    f = area_forecasts(filled)[area.code].summary()
    assert f["runs"] == 30 and f["seed"] == 2
    assert set(f) >= {"released_by_p10", "released_by_p50", "released_by_p90", "p_cancelled_by_nts"}
    total = f["p_cancelled_by_nts"] + f["p_reduced_by_ts"] + f["p_cleared_in_full"]
    assert abs(total - 1) < 1e-3
    with filled.reading() as conn:
        (run,) = latest_batch(conn, REGISTER)
    assert run["runs"] == 30 and run["seed"] == 2
    assert run["band"][0]["p50"] == pytest.approx(run["total_km2"], rel=1e-6)  # nothing released at the start
    compared = runner.invoke(
        app,
        [
            "forecast",
            "--store",
            "--runs",
            "20",
            "--scenario",
            str(EXAMPLES / "today.yaml"),
            "--scenario",
            str(EXAMPLES / "more-deminers-and-dogs.yaml"),
        ],
    )
    assert compared.exit_code == 0, compared.output
    with filled.reading() as conn:
        batch = latest_batch(conn, SCENARIO)
        assert len(latest_batch(conn, REGISTER)) == 1  # the register's stored forecast is untouched
    assert [b["name"] for b in batch] == ["today's capacity", "+200 deminers, +20 dogs"]
    # more capacity never releases less (same seed, common random numbers)
    assert batch[1]["released_km2_at_years"]["2"]["p50"] >= batch[0]["released_km2_at_years"]["2"]["p50"]


def test_forecast_follows_the_stored_plan_unless_asked_otherwise(filled: Register) -> None:
    runner = CliRunner()
    first = json.loads(runner.invoke(app, ["forecast", "--json", "--runs", "20"]).stdout)
    assert any("by land use" in n for n in first["notes"])  # no plan stored yet
    planned = runner.invoke(app, ["plan"])
    assert planned.exit_code == 0, planned.output
    with_plan = json.loads(runner.invoke(app, ["forecast", "--json", "--runs", "20"]).stdout)
    assert any("the plan" in n for n in with_plan["notes"])
    order = stored_dispatch_order(filled)
    assert order is not None
    planned_codes = [a["code"] for a in with_plan["areas"]][: len(order)]
    assert planned_codes == [c for c in order if c in set(planned_codes)]
    by_use = json.loads(runner.invoke(app, ["forecast", "--json", "--runs", "20", "--order", "land-use"]).stdout)
    assert any("by land use" in n for n in by_use["notes"])
    bad = runner.invoke(app, ["forecast", "--order", "random"])
    assert bad.exit_code != 0 and "plan or land-use" in bad.output
