"""Planning the register: eligibility rules, order constraints, the stored plan, and the commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.cli.plan import demo_step
from landrelease.domain.enums import ActivityKind, AssetType, LandUse, Level
from landrelease.io.plan_instance import read_instance, solution_from_json
from landrelease.planning.forecast import Portfolio, prepare
from landrelease.planning.instance import check_solution
from landrelease.planning.priority import prioritise
from landrelease.planning.scenario import PlanSpec, ScenarioSpec, parse_scenario
from landrelease.planning.settlement_links import link_settlements
from landrelease.planning.workplan import PlanningParameters, build_work, eligibility, plan_teams
from landrelease.samples import generate
from landrelease.services.importing import store_scenario
from landrelease.services.plan import plan_register, planned_dispatch_order
from landrelease.storage.repository import HazardFilter, Register


@pytest.fixture(scope="module")
def scenario():
    return generate(60, seed=11)


@pytest.fixture(scope="module")
def work(scenario):
    links = link_settlements(scenario.hazard_areas, scenario.settlements)
    prios = prioritise(scenario.hazard_areas, scenario.evidence, scenario.settlements, links=links)
    return build_work(
        scenario.hazard_areas,
        plan_teams(scenario.teams),
        prios,
        links,
        PlanningParameters(),
        start_date=date(2027, 1, 1),
    ), links


def test_eligibility_rules(scenario) -> None:
    a = scenario.hazard_areas[0]
    cem = type(a)(code="C", geometry=a.geometry, land_use=LandUse.CEMETERY)
    for stage in (ActivityKind.TS, ActivityKind.CLEARANCE):
        e = eligibility(cem, stage)
        assert [t for t, why in e.items() if why is None] == [AssetType.MANUAL]
        assert "manual only" in str(e[AssetType.MDD])
    steep = type(a)(code="S", geometry=a.geometry, land_use=LandUse.FARMLAND, machine_accessible=False)
    assert "machine-accessible" in str(eligibility(steep, ActivityKind.CLEARANCE)[AssetType.MECHANICAL])
    cluttered = type(a)(code="K", geometry=a.geometry, land_use=LandUse.FARMLAND, clutter=Level.HIGH)
    assert "dogs" in str(eligibility(cluttered, ActivityKind.CLEARANCE)[AssetType.MDD])
    field = type(a)(code="F", geometry=a.geometry, land_use=LandUse.FARMLAND)
    assert eligibility(field, ActivityKind.CLEARANCE)[AssetType.MECHANICAL] is None
    assert "survey only" in str(eligibility(field, ActivityKind.CLEARANCE)[AssetType.DRONE_SURVEY])
    assert "survey only" in str(eligibility(field, ActivityKind.TS)[AssetType.DRONE_SURVEY])
    assert eligibility(field, ActivityKind.NTS)[AssetType.DRONE_SURVEY] is None
    assert eligibility(field, ActivityKind.NTS)[AssetType.MANUAL] is None  # NTS by people (IMAS 08.10)
    assert "survey teams" in str(eligibility(field, ActivityKind.NTS)[AssetType.MDD])
    dense = type(a)(code="D", geometry=a.geometry, land_use=LandUse.FARMLAND, density=Level.HIGH)
    assert "high density" in str(eligibility(dense, ActivityKind.CLEARANCE)[AssetType.MECHANICAL])
    slope = type(a)(code="T", geometry=a.geometry, land_use=LandUse.FARMLAND, slope_deg=25.0)
    assert "slopes over 20" in str(eligibility(slope, ActivityKind.CLEARANCE)[AssetType.MECHANICAL])
    assert eligibility(slope, ActivityKind.CLEARANCE)[AssetType.MDD] is None


def test_planner_and_forecast_use_one_eligibility_matrix(scenario) -> None:
    """For every area of the sample, the team types the planner allows on its clearance are the
    asset types the forecast lets work it."""
    from landrelease.domain.geometry import areas_m2
    from landrelease.planning.forecast import CLEARANCE_ASSETS, AssetCapacity, Capacity
    from landrelease.planning.release_model import ReleaseModel

    areas = scenario.hazard_areas
    pf = Portfolio.from_hazard_areas(areas, areas_m2([a.geometry for a in areas]))
    cap = Capacity({t: AssetCapacity.from_rate(t, 10) for t in CLEARANCE_ASSETS})
    prep = prepare(pf, cap, ReleaseModel(0.3, 0.3), list(range(len(areas))), 10, 220.0)
    checked = 0
    for i, a in enumerate(areas):
        planner = {t for t, why in eligibility(a, ActivityKind.CLEARANCE).items() if why is None}
        forecast = {t for k, t in enumerate(CLEARANCE_ASSETS) if prep.share_slow[i, k] > 0 or prep.share[i, k] > 0}
        if forecast:  # the forecast gives a type no share only when it cannot work there
            assert forecast <= planner, a.code
            checked += 1
        elig_slow = {t for k, t in enumerate(CLEARANCE_ASSETS) if prep.share_slow[i, k] > 0}
        assert elig_slow <= planner
    assert checked > 0


def test_work_follows_the_order_of_land_release_and_roads_before_villages(work, scenario) -> None:
    w, links = work
    tasks = {t.id: t for t in w.instance.tasks}
    by_area = {a.code: a for a in scenario.hazard_areas}
    for t in w.instance.tasks:
        m = w.meta[t.id]
        preds = {w.meta[p].method for p in t.after if w.meta[p].hazard_code == m.hazard_code}
        if m.method is ActivityKind.TS and by_area[m.hazard_code].kind.value == "SHA":
            assert preds == {ActivityKind.NTS}
        if m.method is ActivityKind.CLEARANCE:
            assert preds == {ActivityKind.TS}
        if (
            by_area[m.hazard_code].land_use in (LandUse.CEMETERY, LandUse.RELIGIOUS_SITE)
            and m.method is not ActivityKind.NTS
        ):
            assert t.eligible_types == ("manual",)
        if m.method is ActivityKind.CLEARANCE:
            assert "drone_survey" not in t.eligible_types
    linked = [(s, r, v) for s, roads in links.roads.items() for r in roads for v in links.areas.get(s, [])]
    assert linked, "the sample should have a village served by a mined road"
    _, road, village = linked[0]
    first = [
        t
        for t in tasks.values()
        if w.meta[t.id].hazard_code == village and not any(w.meta[p].hazard_code == village for p in t.after)
    ]
    road_tasks = {tid for tid, m in w.meta.items() if m.hazard_code == road}
    assert first and all(road_tasks <= set(t.after) for t in first)
    sol_checked = check_solution  # every plan of it is feasible (the scheduler's own tests cover quality)
    from landrelease.planning.scheduler import solve

    sol = solve(w.instance, time_limit_s=2)
    assert sol_checked(w.instance, sol) == []
    ends = {a.task: a.end_day for a in sol.assignments}
    starts = {a.task: a.start_day for a in sol.assignments}
    assert min(starts[t.id] for t in first) >= max(ends[r] for r in road_tasks) - 1e-9


def test_plan_is_stored_and_replaced(register: Register, scenario) -> None:
    store_scenario(register, scenario)
    sc = ScenarioSpec(plan=PlanSpec(planning=PlanningParameters(time_limit_s=2.0, start_date=date(2027, 1, 1))))
    result = plan_register(register, sc)
    stored = register.tasks()
    assert len(stored) == len(result.work.instance.tasks)
    planned = [t for t in stored if t.team]
    assert len(planned) == len(result.solution.assignments)
    assert min(t.planned_start for t in planned) >= date(2027, 1, 1)
    again = plan_register(register, sc)
    assert len(register.tasks()) == len(again.work.instance.tasks)  # replaced, not appended
    order = planned_dispatch_order(register)
    assert sorted(order) == sorted({t.hazard_code for t in stored})
    first = min(planned, key=lambda t: (t.planned_start, t.code))
    assert order[0] == first.hazard_code


def test_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--areas", "40"]).exit_code == 0
    res = runner.invoke(app, ["priorities", "--top", "3"])
    assert res.exit_code == 0 and "Top 3" in res.output
    code = Register.open(f"sqlite:///{tmp_path / 'r.db'}").hazard_areas()[0].code
    res = runner.invoke(app, ["priorities", "--explain", code])
    assert res.exit_code == 0 and "share" in res.output and "roads_and_railways" in res.output
    res = runner.invoke(app, ["priorities", "--explain", "HA-NOPE"])
    assert res.exit_code != 0 and "HA-NOPE" in res.output
    inst_path = tmp_path / "inst.json"
    res = runner.invoke(app, ["plan", "--export-instance", str(inst_path)])
    assert res.exit_code == 0, res.output
    inst = read_instance(inst_path)
    res = runner.invoke(app, ["plan", "--instance", str(inst_path), "--json", "--time-limit", "2"])
    assert res.exit_code == 0, res.output
    sol = solution_from_json(json.loads(res.stdout))
    assert check_solution(inst, sol) == []
    res = runner.invoke(
        app,
        [
            "plan",
            "--time-limit",
            "2",
            "--start-date",
            "2027-01-01",
            "--gantt",
            str(tmp_path / "g.svg"),
            "--phases",
            str(tmp_path / "p.gpkg"),
            "--rows",
            "3",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "utilisation of manual teams" in res.output and "km² released in 2027" in res.output
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    phases = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="plan_phases")
    open_areas = Register.open(f"sqlite:///{tmp_path / 'r.db'}").count_hazard_areas(HazardFilter(open_only=True))
    assert open_areas > 30  # the demo released a few of its 40 areas
    assert len(phases) == open_areas and phases["quarter"].str.match(r"^\d{4}-Q[1-4]$|^unscheduled$").all()
    bad = tmp_path / "bad.json"
    data = json.loads(inst_path.read_text())
    data["tasks"][0]["area_m2"] = -1
    bad.write_text(json.dumps(data))
    res = runner.invoke(app, ["plan", "--instance", str(bad)])
    assert res.exit_code == 2 and data["tasks"][0]["id"] in res.output and "area_m2" in res.output
    assert "Traceback" not in res.output
    weights = tmp_path / "w.yaml"
    weights.write_text("roads_and_railways: 0\nfarmland: -2\n")
    res = runner.invoke(app, ["priorities", "--weights", str(weights)])
    assert res.exit_code == 2 and "farmland" in res.output


def test_demo_step(register: Register, tmp_path: Path) -> None:
    from rich.console import Console

    store_scenario(register, generate(30, seed=3))
    out = demo_step(register, Console(record=True, width=120), tmp_path)
    assert Path(out["gantt"]).stat().st_size > 1000
    assert out["dispatch_order"] and out["headline"]["weighted_completion"] > 0
    assert len(register.tasks()) == out["tasks"]


def test_one_scenario_says_more_deminers_once_for_plan_and_forecast(register: Register) -> None:
    """ "+200 deminers" is 200 more manual units for the forecast and 25 more eight-person teams
    for the planner: the same people."""
    from landrelease.model.productivity import units_of
    from landrelease.services.forecast import builtin_scenarios, register_capacity
    from landrelease.services.plan import build_register_work

    store_scenario(register, generate(30, seed=3))
    more = next(s for s in builtin_scenarios() if "200" in s.name)
    teams = register.teams()
    fleet = register_capacity(register)
    capacity = more.build_capacity(fleet)
    work, _ = build_register_work(register, more, date(2027, 1, 1))
    plan_manual = [t for t in work.instance.teams if t.type == "manual"]
    own = [t for t in teams if t.type is AssetType.MANUAL]
    assert capacity.units(AssetType.MANUAL) == sum(units_of(t) for t in own) + 200
    assert len(plan_manual) == len(own) + 25
    per_unit = fleet.get(AssetType.MANUAL).median[0] * 220 / 365  # calendar days
    assert sum(t.rate_m2_per_day for t in plan_manual) == pytest.approx(capacity.units(AssetType.MANUAL) * per_unit)
    assert len([t for t in work.instance.teams if t.type == "mdd"]) == capacity.units(AssetType.MDD)


def test_the_scenario_document_is_checked_naming_file_and_key() -> None:
    from landrelease.domain.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        parse_scenario("name: x\ncapacity: {}\nplan: {planning: {sha_nts_cancel_fraction: 0.4}}\n", "s.yaml")
    p = err.value.problems[0]
    assert p.source == "s.yaml" and p.field == "plan.planning.sha_nts_cancel_fraction" and "unknown key" in p.message
    with pytest.raises(ValidationError) as err:
        parse_scenario("name: x\ncapacity: {}\nforecast: {runs: 0}\n", "s.yaml")
    assert err.value.problems[0].field == "forecast.runs"
    spec = parse_scenario("name: x\ncapacity: {add: {manual: 16}}\nplan: {planning: {time_limit_s: 3}}\n", "s.yaml")
    assert spec.plan.planning.time_limit_s == 3 and spec.capacity.add[AssetType.MANUAL] == 16
