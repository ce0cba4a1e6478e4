"""Planner commands: ``priorities`` and ``plan`` (registered on the shared app when imported)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from landrelease.cli.base import app, console, err_console, fail, open_register
from landrelease.domain.errors import LandreleaseError, Problem, ValidationError

if TYPE_CHECKING:
    from landrelease.planning.instance import Solution
    from landrelease.planning.workplan import Headline, WorkProblem
    from landrelease.services.plan import PlanResult
    from landrelease.services.register import Register

# ---------------------------------------------------------------- rendering


def headline_table(h: Headline, title: str = "Plan headline") -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_row("weighted completion (Σ priority × end day)", f"{h.weighted_completion:,.1f}")
    t.add_row("priority-weighted mean release day", f"{h.mean_weighted_release_day:,.1f}")
    t.add_row("planned tasks / unscheduled", f"{h.planned_tasks:,} / {h.unscheduled_tasks:,}")
    t.add_row("plan span (days)", f"{h.span_days:,.0f}")
    for y, km2 in h.km2_released_per_year.items():
        t.add_row(f"km² released in {y}", f"{km2:,.2f}")
    for ty, u in h.utilisation.items():
        t.add_row(f"utilisation of {ty} teams", f"{u:.0%}")
    return t


def plan_table(work: WorkProblem, solution: Solution, limit: int) -> Table:
    t = Table(
        title=f"Plan (first {min(limit, len(solution.assignments))} of {len(solution.assignments)} tasks)",
        title_justify="left",
    )
    for col in ("team", "task", "method", "start", "end"):
        t.add_column(col)
    from datetime import timedelta

    for a in solution.assignments[:limit]:
        m = work.meta[a.task]
        t.add_row(
            a.team,
            a.task,
            m.method.value,
            (work.start_date + timedelta(days=a.start_day)).isoformat(),
            (work.start_date + timedelta(days=a.end_day)).isoformat(),
        )
    return t


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, transient=True
    )


# ---------------------------------------------------------------- commands


@app.command()
def priorities(
    explain: Annotated[
        str | None, typer.Option("--explain", help="show each criterion's share for this area code")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="how many areas to list")] = 20,
    weights: Annotated[Path | None, typer.Option("--weights", help="YAML/JSON file of criterion weights")] = None,
) -> None:
    """Rank the open hazard areas by priority, or explain one area's score."""
    from landrelease.planning.priority import CRITERIA, Priority, PriorityWeights
    from landrelease.services import plan as plans

    try:
        w = plans.load_weights(weights) if weights else PriorityWeights()
        with open_register() as register:
            areas, prios, _ = plans.priorities(register, w)
    except LandreleaseError as exc:
        raise fail(exc) from None
    if explain is not None:
        p = prios.get(explain)
        if p is None:
            raise fail(
                ValidationError(
                    [Problem("no open hazard area with this code", record=explain, field="--explain", found=explain)],
                    "nothing to explain",
                )
            )
        pe: Priority = p
        t = Table(title=f"Priority of {explain}: score {pe.score:.3f}", title_justify="left")
        for col in ("criterion", "weight", "indicator", "contribution", "share"):
            t.add_column(col, justify="left" if col == "criterion" else "right")
        shares = p.shares()
        wd = w.as_dict()
        for c in sorted(CRITERIA, key=lambda c: -pe.contributions[c]):
            t.add_row(
                f"{c}: {CRITERIA[c]}",
                f"{wd[c]:g}",
                f"{p.indicators[c]:.3f}",
                f"{p.contributions[c]:.3f}",
                f"{shares[c]:.1%}",
            )
        console.print(t)
        return
    by_code = {a.code: a for a in areas}
    ranked = sorted(prios.values(), key=lambda p: (-p.score, p.code))[:top]
    t = Table(title=f"Top {len(ranked)} of {len(prios)} open hazard areas by priority", title_justify="left")
    for col in ("rank", "code", "land use", "kind", "score", "largest shares"):
        t.add_column(col, justify="right" if col in ("rank", "score") else "left")
    for i, p in enumerate(ranked, 1):
        largest = sorted(p.shares().items(), key=lambda kv: -kv[1])[:3]
        t.add_row(
            str(i),
            p.code,
            by_code[p.code].land_use.value,
            by_code[p.code].kind.value,
            f"{p.score:.3f}",
            ", ".join(f"{c} {s:.0%}" for c, s in largest if s > 0),
        )
    console.print(t)


@app.command()
def plan(
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="scenario file (weights, planning, extra teams)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the solution as JSON (exchange format)")] = False,
    gantt: Annotated[Path | None, typer.Option("--gantt", help="write a Gantt chart per team (.png or .svg)")] = None,
    phases: Annotated[
        Path | None, typer.Option("--phases", help="write the map phases as a GeoPackage (.gpkg)")
    ] = None,
    instance: Annotated[Path | None, typer.Option("--instance", help="solve this exchange-format file instead")] = None,
    export_instance: Annotated[
        Path | None, typer.Option("--export-instance", help="write the register's problem")
    ] = None,
    store: Annotated[
        bool | None, typer.Option("--store/--no-store", help="store the plan (default: yes without --scenario)")
    ] = None,
    start_date: Annotated[str | None, typer.Option("--start-date", help="day 0 of the plan, YYYY-MM-DD")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", min=0.1, help="seconds for the heuristic")] = None,
    rows: Annotated[int, typer.Option("--rows", min=0, help="rows of the plan table to show")] = 30,
    goal_runs: Annotated[
        int, typer.Option("--goal-runs", min=10, help="runs of each forecast that checks the scenario's goals")
    ] = 200,
) -> None:
    """Plan who clears what, and when (with no scenario: the register as it is).

    A scenario's ``plan.goals`` ("return to settlement X by date D") put those settlements'
    blocking areas first; the plan then says per goal whether it is met at P50/P80 and what
    the goals cost the other settlements (km²·days of delay elsewhere)."""
    from landrelease.planning.scenario import ScenarioSpec
    from landrelease.services import plan as plans
    from landrelease.services.plan import plan_register
    from landrelease.services.readiness import goal_outcomes

    goals: dict[str, Any] | None = None
    try:
        if instance is not None:
            _plan_instance(instance, as_json, time_limit)
            return
        sc = plans.load_scenario(scenario) if scenario else ScenarioSpec()
        if time_limit is not None:
            planning = sc.plan.planning.model_copy(update={"time_limit_s": time_limit})
            sc = sc.model_copy(update={"plan": sc.plan.model_copy(update={"planning": planning})})
        day0 = date.fromisoformat(start_date) if start_date else None
        with open_register() as register:
            if sc.plan.goals and scenario is not None:  # refused naming the file and the key
                plans.resolve_goals(register, sc.plan.goals, source=str(scenario))
            if export_instance is not None:
                inst = plans.export_instance(register, export_instance, sc, day0)
                console.print(f"Wrote {len(inst.tasks):,} tasks and {len(inst.teams):,} teams to {export_instance}")
                return
            with _progress() as progress:
                progress.add_task(f"planning ({sc.name})", total=None)
                result = plan_register(
                    register, sc, start_date=day0, store=scenario is None if store is None else store
                )
                if sc.plan.goals:
                    progress.add_task("checking the goals (two forecasts)", total=None)
                    goals = goal_outcomes(register, result, sc, runs=goal_runs)
    except ValueError as exc:
        raise fail(f"--start-date: {exc}") from None
    except LandreleaseError as exc:
        raise fail(exc) from None
    _outputs(result, gantt, phases)
    if as_json:
        print(
            json.dumps(
                {
                    "scenario": sc.name,
                    "headline": result.headline.as_dict(),
                    "solution": plans.solution_json(result),
                    **({"goals": goals} if goals is not None else {}),
                }
            )
        )
        return
    console.print(plan_table(result.work, result.solution, rows))
    for u in result.solution.unscheduled[:10]:
        console.print(f"[yellow]unscheduled[/] {u.task}: {u.reason}", highlight=False)
    if len(result.solution.unscheduled) > 10:
        console.print(f"… and {len(result.solution.unscheduled) - 10} more unscheduled tasks")
    console.print(headline_table(result.headline, f"Plan headline ({sc.name}, {result.seconds:.1f} s)"))
    if goals is not None:
        console.print(goals_table(goals))


def goals_table(goals: dict[str, Any]) -> Table:
    """Per goal: met at P50/P80 (share of runs back by the date), with and without the goals."""
    t = Table(
        title=f"Goals (joint over {goals['runs']} runs; the goals cost others "
        f"{goals['km2_days_delay_elsewhere']:,.1f} km²·days of delay)",
        title_justify="left",
    )
    for col in ("settlement", "by", "met at P50", "met at P80", "share of runs", "without the goals"):
        t.add_column(col)
    yes = {True: "yes", False: "no"}
    for g in goals["goals"]:
        w = g["without_goals"]
        t.add_row(
            f"{g['name']} ({g['settlement']})",
            g["by"],
            yes[g["met_p50"]],
            yes[g["met_p80"]],
            f"{g['share_of_runs_ready_by_then']:.0%}",
            f"{w['share']:.0%} (P50 {yes[w['met_p50']]}, P80 {yes[w['met_p80']]})",
        )
    return t


def _outputs(result: PlanResult, gantt: Path | None, phases: Path | None) -> None:
    from landrelease.services import plan as plans

    try:
        written = plans.write_outputs(result, gantt=gantt, phases=phases)
    except LandreleaseError as exc:
        raise fail(exc) from None
    if "gantt" in written:
        err_console.print(f"Gantt chart: {gantt}")
    if "phases" in written:
        err_console.print(f"Map phases: {phases} ({written['phase_areas']} areas, layer plan_phases)")


def _plan_instance(path: Path, as_json: bool, time_limit: float | None) -> None:
    from landrelease.services import plan as plans

    solution, exchange = plans.solve_instance_file(path, time_limit or 20.0)
    for u in solution.unscheduled:
        err_console.print(f"unscheduled {u.task}: {u.reason}", highlight=False, markup=False)
    if as_json:
        print(json.dumps(exchange))
        return
    t = Table(title=f"Solution of {path.name}: objective {solution.objective:,.3f}", title_justify="left")
    for col in ("team", "task", "start day", "end day"):
        t.add_column(col)
    for a in solution.assignments:
        t.add_row(a.team, a.task, f"{a.start_day:.2f}", f"{a.end_day:.2f}")
    console.print(t)


# ---------------------------------------------------------------- for `landrelease demo`


def demo_step(register: Register, console: Console, output_dir: Path) -> dict[str, Any]:
    """Prioritise, plan the register, store the plan, write the Gantt chart, print the headline figures."""
    from landrelease.planning.scenario import PlanSpec, ScenarioSpec
    from landrelease.planning.workplan import PlanningParameters
    from landrelease.services import plan as plans
    from landrelease.services.plan import plan_register

    output_dir = Path(output_dir)
    result = plan_register(register, ScenarioSpec(plan=PlanSpec(planning=PlanningParameters(time_limit_s=10.0))))
    gantt_path = output_dir / "plan-gantt.png"
    plans.write_outputs(result, gantt=gantt_path, title="Plan: teams and tasks")
    console.print(headline_table(result.headline, f"Plan headline ({result.seconds:.1f} s)"))
    console.print(f"Gantt chart: {gantt_path}")
    return {
        "headline": result.headline.as_dict(),
        "gantt": str(gantt_path),
        "tasks": len(result.work.instance.tasks),
        "unscheduled": len(result.solution.unscheduled),
        "dispatch_order": result.dispatch_order(),
    }
