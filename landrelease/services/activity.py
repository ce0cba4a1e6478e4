"""Record activity: NTS / TS / clearance / EOD results, re-planned tasks (daily reports: field_reports).

Each write is one unit of work (all or nothing, audited). Who may write is the adapter's
rule (the API's roles): it passes an ``authorise`` callback that sees what the write touches
— read in the same transaction — and raises to refuse; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.authority import require_own_land
from landrelease.domain.enums import ReleaseMethod
from landrelease.domain.user import User
from landrelease.services.register import Register
from landrelease.storage import records
from landrelease.storage.release import RecordedActivity

__all__ = [
    "ActivityContext",
    "RecordedActivity",
    "TaskContext",
    "record_activity",
    "record_sample_activities",
    "update_task",
]


@dataclass(frozen=True, slots=True)
class ActivityContext:
    """What an activity touches: its team (if any) and the hazard area worked on."""

    activity: Activity
    team_exists: bool
    team_operator: str | None
    hazard_exists: bool
    hazard_operator: str | None


@dataclass(frozen=True, slots=True)
class TaskContext:
    """A task about to be re-planned: whether it exists, its team's organisation now, and
    the new team's (when the team changes)."""

    code: str
    exists: bool
    current_team: str | None
    current_operator: str | None
    new_team: str | None = None
    new_team_exists: bool = False
    new_operator: str | None = None


def record_activity(
    register: Register,
    activity: Activity,
    *,
    actor: str,
    release_all: ReleaseMethod | None = None,
    tolerance_m: float | None = None,
    today: date | None = None,
    authorise: Callable[[ActivityContext], None] | None = None,
    user: User | None = None,
) -> RecordedActivity:
    """Record an activity and the land it released; a partial release splits the area.

    ``release_all`` releases the whole area by that method. Refused (nothing written) when
    the checks of :mod:`landrelease.domain.release` or ``authorise`` refuse, or when ``user``
    (the person recording) may not change that hazard area
    (:func:`landrelease.domain.authority.require_own_land`).
    """
    with register.unit_of_work(actor=actor) as uow:
        team_ops = records.team_operators(uow.conn, [activity.team] if activity.team else [])
        exists, operator = records.hazard_operator(uow.conn, activity.hazard_code)
        if user is not None and exists:
            require_own_land(user, activity.hazard_code, operator)
        if authorise is not None:
            authorise(
                ActivityContext(
                    activity,
                    activity.team in team_ops if activity.team else False,
                    team_ops.get(activity.team) if activity.team else None,
                    exists,
                    operator,
                )
            )
        if release_all is not None:
            area = records.hazard_geometry(uow.conn, activity.hazard_code)
            if area is not None:
                activity.released = [ReleasedPart(release_all, area)]
        return uow.record_activity(activity, today=today, tolerance_m=tolerance_m)


def update_task(
    register: Register,
    code: str,
    changes: dict[str, Any],
    *,
    actor: str,
    authorise: Callable[[TaskContext], None] | None = None,
) -> dict[str, Any]:
    """Re-plan one task (``team_code``, ``planned_start``, ``planned_end``); the stored row."""
    from landrelease.storage.edits import update_task as _update

    with register.unit_of_work(actor=actor) as uow:
        exists, team = records.task_team(uow.conn, code)
        new = changes.get("team_code")
        ops = records.team_operators(uow.conn, [t for t in (team, new) if t])
        ctx = TaskContext(code, exists, team, ops.get(team) if team else None)
        if "team_code" in changes:
            ctx = TaskContext(
                code, exists, team, ctx.current_operator, new, bool(new) and new in ops, ops.get(new) if new else None
            )
        if authorise is not None:
            authorise(ctx)
        return _update(uow, code, changes)


def record_sample_activities(register: Register, *, seed: int, today: date | None = None) -> list[RecordedActivity]:
    """The demo's land release: six sample activities (two NTS cancellations, a TS reduction,
    a clearance with finds, a partial TS release that splits its area, an EOD spot task),
    recorded once; nothing when the register already holds activities."""
    from landrelease.samples.activities import sample_activities

    today = today or datetime.now(UTC).date()
    if register.activities():
        return []
    plan = sample_activities(register.hazard_areas(), register.teams(), seed=seed, today=today)
    with register.unit_of_work(actor="demo") as uow:
        return [uow.record_activity(activity, today=today) for activity in plan]
