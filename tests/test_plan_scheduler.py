"""The scheduler: feasible on random instances, close to CP-SAT, explains infeasible input, re-plans stably."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landrelease.domain.errors import InfeasibleError, ValidationError
from landrelease.planning.exact import solve_exact
from landrelease.planning.instance import PlanInstance, PlanTask, PlanTeam, check_solution
from landrelease.planning.scheduler import replan, solve, solve_greedy, solve_wspt
from landrelease.samples.plan_instances import national_instance, random_instance

HERE = (46.9, 39.9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 10),
    m=st.integers(1, 4),
    prec=st.floats(0, 0.5),
    horizon=st.sampled_from([15.0, 60.0, 3650.0]),
)
def test_heuristic_wspt_and_greedy_solutions_are_feasible(
    seed: int, n: int, m: int, prec: float, horizon: float
) -> None:
    inst = random_instance(seed, n, m, precedence_prob=prec, release_prob=0.3, horizon_days=horizon)
    for sol in (solve(inst, seed=seed, time_limit_s=1.0), solve_greedy(inst), solve_wspt(inst)):
        assert check_solution(inst, sol) == [], [str(p) for p in check_solution(inst, sol)]
        assert len(sol.assignments) + len(sol.unscheduled) == n


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7), m=st.integers(1, 3))
def test_cpsat_is_feasible_and_never_worse_than_the_heuristic_when_optimal(seed: int, n: int, m: int) -> None:
    inst = random_instance(seed, n, m, precedence_prob=0.2, release_prob=0.3)
    exact = solve_exact(inst, time_limit_s=5.0, num_workers=2)
    heur = solve(inst, seed=0, time_limit_s=1.0)
    assert check_solution(inst, exact) == []
    if exact.optimal:
        assert exact.objective <= heur.objective * (1 + 1e-4) + 1e-6
    assert heur.objective <= exact.objective * 1.10 + 1e-6  # never more than 10 % worse


def test_cpsat_without_hint_finds_the_same_optimum_on_a_tiny_instance() -> None:
    inst = random_instance(3, 5, 2)
    a = solve_exact(inst, time_limit_s=10, hint=False)
    b = solve_exact(inst, time_limit_s=10, hint=True)
    assert a.optimal and b.optimal
    assert a.objective == pytest.approx(b.objective, rel=1e-3)


def test_wspt_order_on_one_team() -> None:
    # no travel, one team: optimal is by ratio priority / duration (Smith's rule)
    team = PlanTeam("M1", "manual", 100.0, HERE)
    tasks = (
        PlanTask("A", 1000, 1.0, HERE, ("manual",)),  # 10 days, ratio 0.1
        PlanTask("B", 200, 1.0, HERE, ("manual",)),  # 2 days, ratio 0.5
        PlanTask("C", 500, 4.0, HERE, ("manual",)),
    )  # 5 days, ratio 0.8
    sol = solve(PlanInstance(100, 0.02, (team,), tasks), time_limit_s=1)
    assert [a.task for a in sol.assignments] == ["C", "B", "A"]
    assert sol.objective == pytest.approx(4 * 5 + 1 * 7 + 1 * 17)


def test_travel_and_eligibility_drive_the_choice_of_team() -> None:
    far = (47.9, 39.9)  # ~85 km east: 1.7 days at 0.02 day/km
    teams = (
        PlanTeam("NEAR", "manual", 100.0, HERE),
        PlanTeam("FAR", "manual", 100.0, far),
        PlanTeam("DOG", "mdd", 1000.0, HERE),
    )
    tasks = (PlanTask("T", 100, 1.0, HERE, ("manual",)),)
    sol = solve(PlanInstance(100, 0.02, teams, tasks), time_limit_s=1)
    assert sol.assignments[0].team == "NEAR" and sol.assignments[0].start_day == 0.0


def test_a_cycle_is_named() -> None:
    tasks = (
        PlanTask("T1", 100, 1, HERE, ("manual",), ("T3",)),
        PlanTask("T2", 100, 1, HERE, ("manual",), ("T1",)),
        PlanTask("T3", 100, 1, HERE, ("manual",), ("T2",)),
        PlanTask("T4", 100, 1, HERE, ("manual",)),
    )
    with pytest.raises(InfeasibleError) as err:
        solve(PlanInstance(100, 0.02, (PlanTeam("M1", "manual", 100.0, HERE),), tasks))
    text = str(err.value)
    assert "cycle" in text and (
        "T1 → T2 → T3 → T1" in text or "T2 → T3 → T1 → T2" in text or "T3 → T1 → T2 → T3" in text
    )


def test_zero_capacity_is_refused() -> None:
    tasks = (PlanTask("T1", 100, 1, HERE, ("manual",)),)
    with pytest.raises(InfeasibleError, match="zero capacity"):
        solve(PlanInstance(100, 0.02, (), tasks))
    with pytest.raises(InfeasibleError, match="zero capacity"):
        solve(PlanInstance(0, 0.02, (PlanTeam("M1", "manual", 100.0, HERE),), tasks))
    with pytest.raises(ValidationError, match="rate_m2_per_day"):
        solve(PlanInstance(100, 0.02, (PlanTeam("M1", "manual", 0.0, HERE),), tasks))


def test_a_task_no_team_may_do_is_explained_not_crashed_on() -> None:
    teams = (PlanTeam("D1", "mdd", 750.0, HERE), PlanTeam("X1", "mechanical", 8000.0, HERE))
    tasks = (
        PlanTask("CEM", 1000, 5, HERE, ("manual",)),
        PlanTask("NEXT", 1000, 1, HERE, ("mdd",), ("CEM",)),
        PlanTask("FIELD", 1000, 1, HERE, ("mdd", "mechanical")),
    )
    inst = PlanInstance(100, 0.02, teams, tasks)
    sol = solve(inst, time_limit_s=1)
    assert check_solution(inst, sol) == []
    reasons = {u.task: u.reason for u in sol.unscheduled}
    assert set(reasons) == {"CEM", "NEXT"}
    assert "D1: type mdd is not eligible" in reasons["CEM"] and "X1: type mechanical is not eligible" in reasons["CEM"]
    assert "predecessor CEM" in reasons["NEXT"]
    assert sol.by_task()["FIELD"].team == "X1"


def test_replan_keeps_current_tasks_below_the_threshold_and_moves_above() -> None:
    teams = (PlanTeam("M1", "manual", 100.0, HERE), PlanTeam("M2", "manual", 100.0, HERE))
    tasks = (
        PlanTask("BIG", 5000, 0.1, HERE, ("manual",)),  # 50 days, low priority
        PlanTask("URGENT", 100, 10.0, HERE, ("manual",)),  # 1 day, high priority
        PlanTask("U2", 100, 10.0, HERE, ("manual",)),
    )
    inst = PlanInstance(365, 0.02, teams, tasks)
    current = {"M1": "BIG", "M2": "U2"}
    stay = replan(inst, current, threshold=10.0)
    assert stay.kept_current and stay.teams_moved == () and stay.changed_assignments == 0
    assert stay.solution.by_task()["BIG"].team == "M1" and stay.solution.by_task()["BIG"].start_day == 0
    move = replan(inst, current, threshold=0.01)
    assert not move.kept_current and move.gain > 0.01
    assert move.teams_moved == ("M1",) and move.changed_assignments == 1
    for r in (stay, move):
        assert check_solution(inst, r.solution) == []
    previous = stay.solution
    again = replan(inst, current, previous=previous, threshold=0.01)
    assert again.changed_assignments == sum(
        1 for a in previous.assignments if again.solution.by_task()[a.task].team != a.team
    )
    with pytest.raises(ValidationError, match="not eligible"):
        replan(replace(inst, tasks=(replace(tasks[0], eligible_types=("mdd",)), *tasks[1:])), current)


def test_national_shape_runs_and_is_feasible() -> None:
    inst = national_instance(5, 1200, 40)
    sol = solve(inst, time_limit_s=2)
    assert check_solution(inst, sol) == []
    assert sol.objective < solve_greedy(inst).objective
    wspt = solve_wspt(inst)
    assert check_solution(inst, wspt) == []
    assert sol.objective <= wspt.objective + 1e-6  # the heuristic starts from this dispatcher's order


def test_wspt_takes_the_short_urgent_task_first_and_the_team_that_finishes_first() -> None:
    """By hand: one team; A has priority 2 and takes 10 days, B priority 1.5 and 1 day. WSPT
    does B first (1.5/1 > 2/10): ends B=1, A=11, cost 1.5·1 + 2·11 = 23.5; priority order
    would cost 2·10 + 1.5·11 = 36.5. With a second, faster team far away, A goes to whichever
    team finishes it first, travel included."""
    rate = 1000.0  # m² per day
    team = PlanTeam("K1", "manual", rate, HERE)
    a = PlanTask("A", 10 * rate, 2.0, HERE, ("manual",))
    b = PlanTask("B", 1 * rate, 1.5, HERE, ("manual",))
    one = PlanInstance(3650.0, 0.0, (team,), (a, b))
    sol = solve_wspt(one)
    assert check_solution(one, sol) == []
    ends = {x.task: x.end_day for x in sol.assignments}
    assert ends == pytest.approx({"B": 1.0, "A": 11.0})
    assert sol.objective == pytest.approx(23.5)
    assert solve_greedy(one).objective == pytest.approx(36.5)
    # a team twice as fast, 100 km away at 0.02 days/km (2 days of travel): A ends on day 7 there
    far = PlanTeam("K2", "manual", 2 * rate, (HERE[0] + 100 / 85.0, HERE[1]))
    two = PlanInstance(3650.0, 0.02, (team, far), (a, b))
    sol = solve_wspt(two)
    assert check_solution(two, sol) == []
    assert sol.by_task()["A"].team == "K2" and sol.by_task()["B"].team == "K1"
