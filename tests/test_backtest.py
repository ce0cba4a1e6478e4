"""Backtest on the shipped programmes: the coverage and sharpness measured, and the CLI's output."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.planning.backtest import backtest, band_ratio, capacity_of, others_prior, synthetic_portfolio
from landrelease.planning.programme import parse_programme
from landrelease.services.backtest import backtest_programmes, shipped_programmes

FOLDER = Path(str(resources.files("landrelease") / "samples" / "programmes"))
SHIPPED = sorted(FOLDER.glob("*.yaml"))
RUNS = 200


def _load(name: str):
    path = FOLDER / name
    return parse_programme(path.read_text(encoding="utf-8"), path.name)


def _pooled(results):
    rows = [r for res in results for r in res.scored]
    coverage = sum(1 for r in rows if r.inside) / len(rows)
    sharpness = float(np.median([band_ratio(r.p10_km2, r.p90_km2) for r in rows]))
    return rows, coverage, sharpness


def test_backtest_on_the_shipped_programmes_measures_what_it_measures() -> None:
    """The measured figures with the published priors (``prior=PUBLISHED``, the core's default),
    written down so a change to the forecast that moves them shows up.

    As measured: of the six shipped programmes, two publish a capacity (Croatia: deminers;
    Zimbabwe: one operator's headcount); their six years are all outside the forecast's band,
    below it (coverage 0 %), with a band whose top is about seven times its bottom. The forecast
    with published priors (30 m²/day per deminer; no survey teams published, so the deminers do
    the NTS at people's walking rate) releases a tenth of what these programmes released.
    That is the honest state, not a target.
    """
    results = [backtest(parse_programme(p.read_text(encoding="utf-8"), p.name), runs=RUNS, seed=0) for p in SHIPPED]
    by_name = {r.programme: r for r in results}
    scored_programmes = sorted(name for name, r in by_name.items() if r.scored)
    assert scored_programmes == ["Croatia", "Zimbabwe"]
    rows, coverage, sharpness = _pooled(results)
    assert len(rows) == 6
    assert coverage == 0.0
    assert 4.0 <= sharpness <= 8.0
    # Every miss is the forecast falling short of what was published.
    assert all(r.published_km2 is not None and r.published_km2 > r.p90_km2 for r in rows)
    for name in ("Bosnia and Herzegovina", "Cambodia", "Sri Lanka", "Tajikistan"):
        res = by_name[name]
        assert res.coverage is None and res.sharpness is None
        assert all("no capacity published" in " ".join(r.notes) for r in res.rows)


def test_leave_one_out_prior_measured() -> None:
    """Leave-one-out (the CLI's default): each programme's prior from the others' published
    capacity and release. As measured (200 runs, seed 0): coverage 4/6 (Croatia 2016, 2017;
    Zimbabwe 2016, 2017 inside; Croatia 2015 above the band, Zimbabwe 2015 below it),
    sharpness about 5.6. Better centred than the published priors (0/6), not sharper: the
    prior rests on two programmes whose release per unit-year differs fourfold."""
    summary = backtest_programmes(shipped_programmes(), runs=RUNS, seed=0, prior="others")
    rows = {(res.programme, r.year): r for res in summary.results for r in res.scored}
    assert len(rows) == 6
    assert summary.coverage == pytest.approx(4 / 6)
    assert summary.sharpness is not None and 4.0 <= summary.sharpness <= 8.0
    assert (
        not rows[("Croatia", 2015)].inside and rows[("Croatia", 2015)].published_km2 > rows[("Croatia", 2015)].p90_km2
    )
    assert (
        not rows[("Zimbabwe", 2015)].inside
        and rows[("Zimbabwe", 2015)].published_km2 < rows[("Zimbabwe", 2015)].p10_km2
    )


def test_leave_one_out_never_reads_the_held_out_release() -> None:
    """Croatia's own release moves Zimbabwe's band (Croatia informs Zimbabwe's prior), never its own."""
    progs = shipped_programmes()
    text = (FOLDER / "croatia.yaml").read_text(encoding="utf-8").replace("cleared_km2: 40.6", "cleared_km2: 4.06")
    moved = [parse_programme(text, "croatia.yaml") if p.programme == "Croatia" else p for p in progs]
    a = backtest_programmes([_load("croatia.yaml"), _load("zimbabwe.yaml")], runs=50, seed=2, others=progs)
    b = backtest_programmes([_load("croatia.yaml"), _load("zimbabwe.yaml")], runs=50, seed=2, others=moved)
    assert [r.p50_km2 for r in a.results[0].rows] == [r.p50_km2 for r in b.results[0].rows]
    assert a.results[1].rows[0].p50_km2 > b.results[1].rows[0].p50_km2
    assert others_prior(progs, "Croatia").sources == others_prior(moved, "Croatia").sources


def test_backtest_does_not_read_the_published_release() -> None:
    """Changing the published release changes the score, never the band."""
    prog = _load("croatia.yaml")
    base = backtest(prog, runs=RUNS, seed=3)
    text = (FOLDER / "croatia.yaml").read_text(encoding="utf-8").replace("cleared_km2: 40.6", "cleared_km2: 2.0")
    moved = backtest(parse_programme(text, "croatia.yaml"), runs=RUNS, seed=3)
    for a, b in zip(base.rows, moved.rows, strict=True):
        assert (a.p10_km2, a.p50_km2, a.p90_km2) == (b.p10_km2, b.p50_km2, b.p90_km2)
    assert base.rows[0].published_km2 != moved.rows[0].published_km2


def test_more_capacity_releases_more() -> None:
    prog = _load("croatia.yaml")
    res = backtest(prog, runs=RUNS, seed=1)
    r2015, r2016 = res.rows[0], res.rows[1]
    assert r2015.capacity == {"manual": 322.0} and r2016.capacity == {"manual": 509.0}
    assert r2016.p50_km2 > r2015.p50_km2
    assert res.rows[2].capacity_year == 2016 and any("carried from 2016" in n for n in res.rows[2].notes)


def test_same_seed_same_numbers() -> None:
    prog = _load("zimbabwe.yaml")
    a = backtest(prog, runs=RUNS, seed=7).as_dict()
    b = backtest(prog, runs=RUNS, seed=7).as_dict()
    assert a == b


def test_synthetic_portfolio_keeps_the_published_area() -> None:
    p = synthetic_portfolio(244.82, 285.35, n_areas=300)
    assert p.area_m2.sum() / 1e6 == pytest.approx(530.17)
    assert p.area_m2[p.sha].sum() / 1e6 == pytest.approx(244.82)
    assert len(p) == 300


def test_operator_capacity_is_a_flagged_lower_bound() -> None:
    prog = _load("zimbabwe.yaml")
    _, units, notes = capacity_of(prog.years[0].capacity)
    assert units == {"manual": 153.0}
    assert any("lower bound" in n for n in notes)


def test_band_ratio() -> None:
    assert band_ratio(2.0, 6.0) == 3.0
    assert band_ratio(0.0, 0.0) == 1.0
    assert math.isinf(band_ratio(0.0, 1.0))


def test_cli_json_has_coverage_and_sharpness_and_rows(tmp_path: Path) -> None:
    chart = tmp_path / "bt.png"
    out = CliRunner().invoke(
        app,
        [
            "backtest",
            str(FOLDER / "croatia.yaml"),
            "--json",
            "--runs",
            "100",
            "--chart",
            str(chart),
            "--prior",
            "published",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["coverage"] == 0.0 and data["prior"]["name"] == "published"
    assert data["sharpness"] > 1
    assert [y["year"] for y in data["years"]] == [2015, 2016, 2017]
    assert {"published_km2", "p10_km2", "p50_km2", "p90_km2", "inside"} <= set(data["years"][0])
    assert chart.stat().st_size > 1000


def test_cli_table_names_unscored_years() -> None:
    out = CliRunner().invoke(app, ["backtest", str(FOLDER / "tajikistan.yaml"), "--runs", "50"])
    assert out.exit_code == 0, out.output
    assert "no year could be scored" in out.stdout


def test_cli_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (FOLDER / "croatia.yaml").read_text(encoding="utf-8").replace("cleared_km2: 40.6", "cleared_km2: -40.6")
    )
    out = CliRunner().invoke(app, ["backtest", str(bad)])
    assert out.exit_code == 2
    assert "negative area" in out.output and "year 2015" in out.output
    missing = CliRunner().invoke(app, ["backtest", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_cli_several_files_give_a_pooled_summary(tmp_path: Path) -> None:
    files = [str(FOLDER / "croatia.yaml"), str(FOLDER / "zimbabwe.yaml"), str(FOLDER / "tajikistan.yaml")]
    out = CliRunner().invoke(app, ["backtest", *files, "--json", "--runs", "50", "--chart", str(tmp_path / "bt.png")])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [p["programme"] for p in data["programmes"]] == ["Croatia", "Zimbabwe", "Tajikistan"]
    assert data["programmes_scored"] == ["Croatia", "Zimbabwe"]
    assert data["years_scored"] == 6 and data["coverage"] is not None and data["sharpness"] > 1
    assert data["programmes"][0]["release_model"]["expected_split"]
    assert (tmp_path / "bt-croatia.png").is_file() and (tmp_path / "bt-zimbabwe.png").is_file()
    table = CliRunner().invoke(app, ["backtest", *files, "--runs", "50"])
    assert table.exit_code == 0 and "over all 3 programmes" in table.stdout


def test_the_stored_summary_is_what_the_backtest_measures_today(tmp_path: Path) -> None:
    """The dashboard shows the stored summary; it must not go stale when the forecast changes
    (regenerate: landrelease backtest landrelease/samples/programmes/*.yaml --save
    landrelease/samples/programmes/backtest-summary.json)."""
    from landrelease.services.backtest import stored_coverage, summary_record

    stored = stored_coverage()
    assert stored["available"] and stored["prior"] == "others"
    fresh = summary_record(
        backtest_programmes(shipped_programmes(), runs=stored["runs"], seed=stored["seed"], prior="others"),
        runs=stored["runs"],
        seed=stored["seed"],
        prior="others",
    )
    assert fresh["coverage"] == pytest.approx(stored["coverage"])
    assert fresh["sharpness"] == pytest.approx(stored["sharpness"])
    assert fresh["programmes"] == stored["programmes"] or all(
        a["programme"] == b["programme"] and a["years_scored"] == b["years_scored"]
        for a, b in zip(fresh["programmes"], stored["programmes"], strict=True)
    )
    out = CliRunner().invoke(
        app, ["backtest", str(FOLDER / "croatia.yaml"), "--runs", "20", "--save", str(tmp_path / "s.json")]
    )
    assert out.exit_code == 0, out.output
    saved = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert saved["runs"] == 20 and saved["programmes_scored"] == ["Croatia"]
