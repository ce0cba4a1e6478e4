"""Goals as planner input: "return to settlement X by date D" puts X's blocking areas first;
the plan says whether the goal is met at P50/P80 and what it costs the others, and says the
same as ``readiness --settlement X --goal D`` about the stored plan (both backends)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.errors import ValidationError
from landrelease.planning.scenario import PlanGoal, PlanSpec, ScenarioSpec
from landrelease.planning.workplan import PlanningParameters
from landrelease.samples import generate
from landrelease.services.importing import store_scenario
from landrelease.services.plan import plan_register
from landrelease.services.readiness import bring_forward, goal_outcomes, readiness
from landrelease.storage.repository import Register

START = date(2027, 1, 1)
RUNS, SEED = 40, 7


def _setup(register: Register) -> tuple[str, list[str]]:
    store_scenario(register, generate(60, seed=5))
    held = [r for r in readiness(register) if r.blocking]
    # the settlement the most areas hold up: without a goal they are spread through the plan
    target = max(held, key=lambda r: (len(r.blocking), r.code))
    return target.code, list(target.blocking)


def _scenario(goals: list[PlanGoal]) -> ScenarioSpec:
    planning = PlanningParameters(start_date=START, time_limit_s=2.0)
    return ScenarioSpec(name="goal", plan=PlanSpec(planning=planning, goals=tuple(goals)))


def test_a_goal_puts_its_areas_first_and_the_plan_agrees_with_readiness(register: Register) -> None:
    code, blocking = _setup(register)
    by = START + timedelta(days=2 * 365)
    sc = _scenario([PlanGoal(settlement=code, by=by)])
    result = plan_register(register, sc)  # stored: readiness --goal reads it
    order = result.dispatch_order()
    plain = plan_register(register, _scenario([]), store=False).dispatch_order()

    def mean_rank(o: list[str]) -> float:
        ranks = [i for i, c in enumerate(o) if c in set(blocking)]
        assert ranks
        return sum(ranks) / len(ranks)

    # its areas move to the front (teams that may not work them still start elsewhere)
    assert mean_rank(order) < 0.5 * mean_rank(plain)
    out = goal_outcomes(register, result, sc, runs=RUNS, seed=SEED)
    (g,) = out["goals"]
    assert g["settlement"] == code and g["blocking"] == sorted(blocking) and out["quantiles"] == "joint"
    assert g["share_of_runs_ready_by_then"] >= g["without_goals"]["share"]
    assert g["met_p50"] == (g["share_of_runs_ready_by_then"] >= 0.5)
    assert g["met_p80"] == (g["share_of_runs_ready_by_then"] >= 0.8)
    assert out["km2_days_delay_elsewhere"] >= 0.0
    # readiness --goal on the stored plan: the same share of runs, the same verdicts
    bf = bring_forward(register, code, runs=RUNS, seed=SEED, goal=by)
    assert bf.goal is not None
    assert bf.goal.share_before == pytest.approx(g["share_of_runs_ready_by_then"])
    assert (bf.goal.p50_before, bf.goal.p80_before) == (g["met_p50"], g["met_p80"])


def test_a_goal_naming_no_settlement_is_refused(register: Register) -> None:
    _setup(register)
    with pytest.raises(ValidationError) as err:
        plan_register(register, _scenario([PlanGoal(settlement="Nowhere", by=START)]), store=False)
    (p,) = err.value.problems
    assert (p.field, p.found) == ("plan.goals[0].settlement", "Nowhere")


def test_plan_command_reports_goals(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    register = Register.open(database_url)
    try:
        code, _ = _setup(register)
    finally:
        register.close()
    path = tmp_path / "goal.yaml"
    path.write_text(
        f"name: goal\ncapacity: {{base: register}}\nplan:\n  planning:\n    start_date: {START.isoformat()}\n"
        f"    time_limit_s: 2\n  goals:\n    - settlement: {code}\n"
        f"      by: {(START + timedelta(days=730)).isoformat()}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANDRELEASE_OUTPUT_DIR", str(tmp_path / "out"))
    res = CliRunner().invoke(app, ["plan", "--scenario", str(path), "--json", "--goal-runs", "20"])
    assert res.exit_code == 0, res.output
    goals = json.loads(res.stdout)["goals"]
    assert [g["settlement"] for g in goals["goals"]] == [code]
    assert {"met_p50", "met_p80"} <= set(goals["goals"][0]) and "km2_days_delay_elsewhere" in goals
    table = CliRunner().invoke(app, ["plan", "--scenario", str(path), "--goal-runs", "20", "--rows", "0"])
    assert table.exit_code == 0 and "Goals" in table.output and "km²·days" in table.output


def test_goals_are_checked_naming_the_file_and_the_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    register = Register.open(database_url)
    try:
        _setup(register)
    finally:
        register.close()
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANDRELEASE_OUTPUT_DIR", str(tmp_path / "out"))
    bad = tmp_path / "bad.yaml"
    # a goal without a date, and one with a key the goal does not know: refused by the parser
    bad.write_text(
        "name: goal\ncapacity: {base: register}\nplan:\n  goals:\n    - {settlement: X}\n"
        "    - {settlement: Y, by: 2030-01-01, when: soon}\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["plan", "--scenario", str(bad), "--store"])
    assert res.exit_code != 0
    assert str(bad) in res.output and "plan.goals[0].by" in res.output and "plan.goals[1].when" in res.output
    assert "one of settlement, by" in res.output
    # a goal naming no settlement of the register: refused naming the file and the key, nothing planned
    nowhere = tmp_path / "nowhere.yaml"
    nowhere.write_text(
        "name: goal\ncapacity: {base: register}\nplan:\n  goals:\n    - {settlement: Nowhere, by: 2030-01-01}\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["plan", "--scenario", str(nowhere), "--store"])
    assert res.exit_code != 0
    assert str(nowhere) in res.output and "plan.goals[0].settlement" in res.output and "Nowhere" in res.output
    register = Register.open(database_url)
    try:
        assert register.tasks() == []
    finally:
        register.close()
