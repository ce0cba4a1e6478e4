"""Read and write the planning exchange format (``shared/schemas/plan-instance.md``) as JSON.

Reading refuses anything the schema does not allow — missing fields, wrong types, unknown
team types, negative areas or rates, ``after`` ids that name no task — with every problem
named by task/team id and field, never a traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from landrelease.domain.errors import Problem, ValidationError
from landrelease.planning.instance import (
    Assignment,
    PlanInstance,
    PlanTask,
    PlanTeam,
    Solution,
    Unscheduled,
    check_solution,
    validate_instance,
)

__all__ = [
    "check_solution",
    "instance_from_json",
    "instance_to_json",
    "read_instance",
    "read_solution",
    "solution_from_json",
    "solution_to_json",
    "write_instance",
]

TEAM_FIELDS = ("id", "type", "rate_m2_per_day", "base")
TASK_FIELDS = ("id", "area_m2", "priority", "location", "eligible_types", "after", "release_day")


class _Reader:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def bad(self, msg: str, record: str, fld: str | None, found: object = None, expected: str | None = None) -> None:
        self.problems.append(
            Problem(
                msg,
                record=record,
                field=fld,
                found=None if found is None else repr(found),
                expected=expected,
                source=self.source,
                check="plan_instance",
            )
        )

    def number(self, obj: dict[str, Any], key: str, record: str) -> float | None:
        if key not in obj:
            self.bad("missing field", record, key)
            return None
        v = obj[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            self.bad("not a number", record, key, v, "a finite number")
            return None
        return float(v)

    def text(self, obj: dict[str, Any], key: str, record: str) -> str | None:
        if key not in obj:
            self.bad("missing field", record, key)
            return None
        v = obj[key]
        if not isinstance(v, str) or not v:
            self.bad("not a non-empty string", record, key, v)
            return None
        return v

    def point(self, obj: dict[str, Any], key: str, record: str) -> tuple[float, float] | None:
        if key not in obj:
            self.bad("missing field", record, key)
            return None
        v = obj[key]
        if (
            not isinstance(v, list)
            or len(v) != 2
            or any(isinstance(x, bool) or not isinstance(x, int | float) for x in v)
        ):
            self.bad("not a [longitude, latitude] pair", record, key, v)
            return None
        return float(v[0]), float(v[1])

    def strings(self, obj: dict[str, Any], key: str, record: str) -> tuple[str, ...] | None:
        if key not in obj:
            self.bad("missing field", record, key)
            return None
        v = obj[key]
        if not isinstance(v, list) or any(not isinstance(x, str) for x in v):
            self.bad("not a list of strings", record, key, v)
            return None
        return tuple(v)

    def unknown(self, obj: dict[str, Any], allowed: tuple[str, ...], record: str) -> None:
        for k in obj:
            if k not in allowed:
                self.bad("unknown field", record, k, obj[k], ", ".join(allowed))


def instance_from_json(data: Any, source: str | None = None) -> PlanInstance:
    """A validated instance from parsed JSON; raises ValidationError listing every problem."""
    r = _Reader(source)
    if not isinstance(data, dict):
        raise ValidationError(
            [Problem("an instance must be a JSON object", source=source, found=type(data).__name__)],
            "planning instance refused",
        )
    r.unknown(data, ("horizon_days", "mobilisation_days_per_km", "teams", "tasks"), "instance")
    horizon = r.number(data, "horizon_days", "instance")
    mob = r.number(data, "mobilisation_days_per_km", "instance")
    teams: list[PlanTeam] = []
    tasks: list[PlanTask] = []
    for key in ("teams", "tasks"):
        if key not in data:
            r.bad("missing field", "instance", key)
        elif not isinstance(data[key], list):
            r.bad("not a list", "instance", key, type(data[key]).__name__)
    for i, t in enumerate(data.get("teams") or [] if isinstance(data.get("teams"), list) else []):
        rec = f"team {t.get('id', f'#{i + 1}')}" if isinstance(t, dict) else f"team #{i + 1}"
        if not isinstance(t, dict):
            r.bad("a team must be an object", rec, None, t)
            continue
        r.unknown(t, TEAM_FIELDS, rec)
        vals = (
            r.text(t, "id", rec),
            r.text(t, "type", rec),
            r.number(t, "rate_m2_per_day", rec),
            r.point(t, "base", rec),
        )
        if all(v is not None for v in vals):
            teams.append(PlanTeam(*vals))  # type: ignore[arg-type]
    for i, t in enumerate(data.get("tasks") or [] if isinstance(data.get("tasks"), list) else []):
        rec = f"task {t.get('id', f'#{i + 1}')}" if isinstance(t, dict) else f"task #{i + 1}"
        if not isinstance(t, dict):
            r.bad("a task must be an object", rec, None, t)
            continue
        r.unknown(t, TASK_FIELDS, rec)
        vals2 = (
            r.text(t, "id", rec),
            r.number(t, "area_m2", rec),
            r.number(t, "priority", rec),
            r.point(t, "location", rec),
            r.strings(t, "eligible_types", rec),
            r.strings(t, "after", rec),
            r.number(t, "release_day", rec),
        )
        if all(v is not None for v in vals2):
            tasks.append(PlanTask(*vals2))  # type: ignore[arg-type]
    if r.problems:
        raise ValidationError(r.problems, "planning instance refused")
    instance = PlanInstance(horizon, mob, tuple(teams), tuple(tasks))  # type: ignore[arg-type]
    problems = validate_instance(instance, source)
    if problems:
        raise ValidationError(problems, "planning instance refused")
    return instance


def instance_to_json(instance: PlanInstance) -> dict[str, Any]:
    return {
        "horizon_days": instance.horizon_days,
        "mobilisation_days_per_km": instance.mobilisation_days_per_km,
        "teams": [
            {"id": t.id, "type": t.type, "rate_m2_per_day": t.rate_m2_per_day, "base": list(t.base)}
            for t in instance.teams
        ],
        "tasks": [
            {
                "id": t.id,
                "area_m2": t.area_m2,
                "priority": t.priority,
                "location": list(t.location),
                "eligible_types": list(t.eligible_types),
                "after": list(t.after),
                "release_day": t.release_day,
            }
            for t in instance.tasks
        ],
    }


def solution_to_json(solution: Solution) -> dict[str, Any]:
    return {
        "assignments": [
            {"task": a.task, "team": a.team, "start_day": a.start_day, "end_day": a.end_day}
            for a in solution.assignments
        ],
        "objective": solution.objective,
        "unscheduled": [{"task": u.task, "reason": u.reason} for u in solution.unscheduled],
    }


def solution_from_json(data: Any, source: str | None = None) -> Solution:
    r = _Reader(source)
    if not isinstance(data, dict):
        raise ValidationError([Problem("a solution must be a JSON object", source=source)], "solution refused")
    r.unknown(data, ("assignments", "objective", "unscheduled"), "solution")
    objective = r.number(data, "objective", "solution")
    assignments = []
    raw_a = data.get("assignments")
    for i, a in enumerate(raw_a if isinstance(raw_a, list) else []):
        rec = f"assignment {a.get('task', f'#{i + 1}')}" if isinstance(a, dict) else f"assignment #{i + 1}"
        if not isinstance(a, dict):
            r.bad("an assignment must be an object", rec, None, a)
            continue
        r.unknown(a, ("task", "team", "start_day", "end_day"), rec)
        vals = (
            r.text(a, "task", rec),
            r.text(a, "team", rec),
            r.number(a, "start_day", rec),
            r.number(a, "end_day", rec),
        )
        if all(v is not None for v in vals):
            assignments.append(Assignment(*vals))  # type: ignore[arg-type]
    unscheduled = []
    raw_u = data.get("unscheduled")
    for i, u in enumerate(raw_u if isinstance(raw_u, list) else []):
        rec = f"unscheduled #{i + 1}"
        if not isinstance(u, dict):
            r.bad("an unscheduled entry must be an object", rec, None, u)
            continue
        task = r.text(u, "task", rec)
        reason = u.get("reason", "")
        if task is not None:
            unscheduled.append(Unscheduled(task, str(reason)))
    for key in ("assignments", "unscheduled"):
        if not isinstance(data.get(key), list):
            r.bad("missing field or not a list", "solution", key)
    if r.problems:
        raise ValidationError(r.problems, "solution refused")
    return Solution(assignments, objective, unscheduled)  # type: ignore[arg-type]


def _load(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError([Problem("file not found", source=str(path))], "file refused") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError([Problem(f"not valid JSON: {exc}", source=str(path))], "file refused") from None


def read_instance(path: Path) -> PlanInstance:
    return instance_from_json(_load(path), source=str(path))


def read_solution(path: Path) -> Solution:
    return solution_from_json(_load(path), source=str(path))


def write_instance(instance: PlanInstance, path: Path) -> None:
    Path(path).write_text(json.dumps(instance_to_json(instance), indent=1) + "\n", encoding="utf-8")
