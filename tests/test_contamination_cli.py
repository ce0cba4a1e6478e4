"""`landrelease model`: runs over the register, stores p_any per area, writes the files."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest
import rasterio
from rich.console import Console
from typer.testing import CliRunner

import landrelease.cli.model as model_cli
from landrelease.cli import app
from landrelease.samples import generate
from landrelease.services import assess
from landrelease.services.importing import store_scenario
from landrelease.storage.repository import Register


def test_results_are_stored_in_the_register_on_each_backend(register: Register) -> None:
    store_scenario(register, generate(25, seed=5))
    run = assess.run_model(register)
    assert len(run.results) == 25
    assert assess.store_assessments(register, run) == 25
    stored = register.assessments()
    for r in run.results:
        a = stored[r.code]
        assert a.p_any == pytest.approx(r.p_any, abs=1e-12)
        assert a.expected_items == pytest.approx(r.expected_items, rel=1e-12)
        assert a.params_hash == run.params_hash and a.cell_m == 25.0
    # the user's own columns are left as they were, and nothing of the model is added to them
    assert all(set(a.extra) == {"synthetic"} for a in register.hazard_areas())


def test_the_model_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    reg = Register.open(url)
    store_scenario(reg, generate(30, seed=6))
    reg.close()
    runner = CliRunner()
    tif, gpkg = tmp_path / "out.tif", tmp_path / "cells.gpkg"
    result = runner.invoke(app, ["model", "--geotiff", str(tif), "--cells", str(gpkg)])
    assert result.exit_code == 0, result.output
    assert "30 open hazard areas" in result.output and "likely contaminated" in result.output
    assert "Most likely contaminated" in result.output
    with rasterio.open(tif) as ds:
        assert ds.count == 3
    assert pyogrio.read_info(gpkg, layer="cells")["features"] > 0

    as_json = runner.invoke(app, ["model", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["areas"] == 30 and len(data["results"]) == 30
    assert all(0 <= r["p_any"] <= 1 for r in data["results"])
    assert data["expected_items"] == pytest.approx(sum(r["expected_items"] for r in data["results"]))


def test_bad_evidence_is_refused_without_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    scenario = generate(5, seed=6)
    scenario.evidence[0].reliability = 1.7
    scenario.evidence[0].code = "EV-BAD"
    reg = Register.open(url)
    store_scenario(reg, scenario)
    reg.close()
    result = CliRunner().invoke(app, ["model"])
    assert result.exit_code != 0
    assert "EV-BAD" in result.output and "reliability" in result.output
    assert "Traceback" not in result.output


def test_demo_step(tmp_path: Path) -> None:
    reg = Register.open(f"sqlite:///{tmp_path / 'reg.db'}")
    try:
        store_scenario(reg, generate(20, seed=8))
        console = Console(record=True, width=200)
        out = model_cli.demo_step(reg, console, tmp_path / "output")
        assert out["areas"] == 20 and Path(out["geotiff"]).exists()
        assert "likely contaminated" in console.export_text()
        assert set(reg.assessments()) == {a.code for a in reg.hazard_areas()}
    finally:
        reg.close()


def test_record_reliability_is_an_assumption_checked_at_the_door(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    reg = Register.open(url)
    store_scenario(reg, generate(40, seed=9))
    reg.close()
    runner = CliRunner()
    base = json.loads(runner.invoke(app, ["model", "--json"]).stdout)
    sure = json.loads(runner.invoke(app, ["model", "--json", "--record-reliability", "0.9"]).stdout)
    none = json.loads(runner.invoke(app, ["model", "--json", "--record-reliability", "0"]).stdout)
    assert (
        none["expected_contaminated_areas"] < base["expected_contaminated_areas"] < sure["expected_contaminated_areas"]
    )
    bad = runner.invoke(app, ["model", "--record-reliability", "1.5"])
    assert bad.exit_code != 0 and "record-reliability" in bad.output and "Traceback" not in bad.output
