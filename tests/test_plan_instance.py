"""The planning exchange format: reading refuses bad input by name, the checker catches every broken rule."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest

from landrelease.domain.errors import ValidationError
from landrelease.io.plan_instance import (
    instance_from_json,
    instance_to_json,
    read_instance,
    solution_from_json,
    solution_to_json,
)
from landrelease.planning.instance import Assignment, Solution, Unscheduled, check_solution, travel_days
from landrelease.planning.scheduler import solve
from landrelease.samples.plan_instances import random_instance

SCHEMA_EXAMPLE = {
    "horizon_days": 3650,
    "mobilisation_days_per_km": 0.02,
    "teams": [
        {"id": "M1", "type": "manual", "rate_m2_per_day": 400, "base": [46.9, 39.9]},
        {"id": "D1", "type": "mdd", "rate_m2_per_day": 750, "base": [46.9, 39.9]},
    ],
    "tasks": [
        {
            "id": "T1",
            "area_m2": 12000,
            "priority": 5.0,
            "location": [46.95, 39.87],
            "eligible_types": ["manual"],
            "after": [],
            "release_day": 0,
        },
        {
            "id": "T2",
            "area_m2": 30000,
            "priority": 2.0,
            "location": [47.01, 39.80],
            "eligible_types": ["manual", "mdd"],
            "after": ["T1"],
            "release_day": 0,
        },
    ],
}


def test_schema_example_solves_and_checks() -> None:
    inst = instance_from_json(SCHEMA_EXAMPLE)
    sol = solve(inst, time_limit_s=2)
    assert check_solution(inst, sol) == []
    t1 = sol.by_task()["T1"]
    # T1 is manual only: M1 travels from its base, then 12,000 / 400 = 30 days
    trav = travel_days(inst, inst.teams[0].base, inst.tasks[0].location)
    assert t1.team == "M1" and t1.start_day == pytest.approx(trav) and t1.end_day == pytest.approx(trav + 30)
    t2 = sol.by_task()["T2"]
    assert t2.start_day >= t1.end_day - 1e-9
    assert sol.objective == pytest.approx(5 * t1.end_day + 2 * t2.end_day)


def test_round_trip(tmp_path: Path) -> None:
    inst = random_instance(7, 10, 3)
    path = tmp_path / "i.json"
    path.write_text(json.dumps(instance_to_json(inst)))
    assert read_instance(path) == inst
    sol = solve(inst, time_limit_s=1)
    again = solution_from_json(json.loads(json.dumps(solution_to_json(sol))))
    assert again.assignments == sol.assignments and again.objective == sol.objective
    assert check_solution(inst, again) == []


@pytest.mark.parametrize(
    ("mutate", "record", "field"),
    [
        (lambda d: d["teams"][1].update(type="tank"), "team D1", "type"),
        (lambda d: d["tasks"][1].update(eligible_types=["manual", "robot"]), "task T2", "eligible_types"),
        (lambda d: d["tasks"][0].update(area_m2=-5), "task T1", "area_m2"),
        (lambda d: d["teams"][0].update(rate_m2_per_day=-400), "team M1", "rate_m2_per_day"),
        (lambda d: d["teams"][0].update(rate_m2_per_day=0), "team M1", "rate_m2_per_day"),
        (lambda d: d["tasks"][1].update(after=["T9"]), "task T2", "after"),
        (lambda d: d["tasks"][0].pop("release_day"), "task T1", "release_day"),
        (lambda d: d["teams"][0].pop("base"), "team M1", "base"),
        (lambda d: d.pop("horizon_days"), "instance", "horizon_days"),
        (lambda d: d["tasks"][0].update(priority="high"), "task T1", "priority"),
        (lambda d: d["tasks"][0].update(colour="red"), "task T1", "colour"),
        (lambda d: d["tasks"][1].update(id="T1"), "task T1", "id"),
    ],
)
def test_bad_instances_are_refused_by_name(mutate, record: str, field: str) -> None:
    data = copy.deepcopy(SCHEMA_EXAMPLE)
    mutate(data)
    with pytest.raises(ValidationError) as err:
        instance_from_json(data, source="x.json")
    assert any(p.record == record and p.field == field for p in err.value.problems), str(err.value)
    assert record in str(err.value) and field in str(err.value)


def _base():
    inst = instance_from_json(SCHEMA_EXAMPLE)
    return inst, solve(inst, time_limit_s=1)


def _with(sol: Solution, task: str, **changes) -> Solution:
    return Solution(
        [replace(a, **changes) if a.task == task else a for a in sol.assignments], sol.objective, list(sol.unscheduled)
    )


def test_checker_catches_every_rule() -> None:
    inst, sol = _base()
    a1, a2 = sol.by_task()["T1"], sol.by_task()["T2"]

    def messages(s: Solution) -> str:
        return " | ".join(str(p) for p in check_solution(inst, s))

    assert "not eligible" in messages(_with(sol, "T1", team="D1"))
    assert "exactly" in messages(_with(sol, "T1", end_day=a1.end_day + 1))
    early = _with(sol, "T2", start_day=a1.end_day - 5, end_day=a2.end_day - (a2.start_day - a1.end_day + 5))
    assert "predecessor T1" in messages(early)
    assert "cannot be there yet" in messages(_with(sol, "T1", start_day=0.0, end_day=30.0))
    late = replace(inst.tasks[0], release_day=a1.start_day + 1)
    inst_r = replace(inst, tasks=(late, inst.tasks[1]))
    assert any("release day" in str(p) for p in check_solution(inst_r, sol))
    dropped = Solution([a2], sol.objective, [])
    assert "neither assigned nor listed" in messages(dropped)
    twice = Solution([*sol.assignments, a1], sol.objective, [])
    assert "more than once" in messages(twice)
    assert "objective" in messages(Solution(sol.assignments, sol.objective + 1, []))
    ghost = Solution([*sol.assignments, Assignment("T7", "M1", 900, 901)], sol.objective, [])
    assert "no task with this id" in messages(ghost)
    both = Solution(sol.assignments, sol.objective, [Unscheduled("T1", "x")])
    assert "both assigned and unscheduled" in messages(both)
    short = replace(inst, horizon_days=a2.end_day - 1)
    assert any("after the horizon" in str(p) for p in check_solution(short, sol))
    # a team doing two tasks at once
    inst2 = instance_from_json(
        {**SCHEMA_EXAMPLE, "tasks": [dict(SCHEMA_EXAMPLE["tasks"][0]), {**SCHEMA_EXAMPLE["tasks"][0], "id": "T3"}]}
    )
    s2 = solve(inst2, time_limit_s=1)
    b1, b3 = s2.by_task()["T1"], s2.by_task()["T3"]
    overlap = Solution([b1, replace(b3, start_day=b1.start_day, end_day=b1.end_day)], s2.objective, [])
    assert "cannot be there yet" in " ".join(str(p) for p in check_solution(inst2, overlap))


def test_unscheduled_penalty_counts_in_the_objective() -> None:
    inst = instance_from_json({**SCHEMA_EXAMPLE, "horizon_days": 40})
    sol = solve(inst, time_limit_s=1)
    assert [u.task for u in sol.unscheduled] == ["T2"] and "horizon" in sol.unscheduled[0].reason
    assert check_solution(inst, sol) == []
    t1 = sol.by_task()["T1"]
    assert sol.objective == pytest.approx(5 * t1.end_day + 2 * 40 * 2)
