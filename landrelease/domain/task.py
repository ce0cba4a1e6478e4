"""Planned work and the daily reports that measure it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from shapely.geometry.base import BaseGeometry

from landrelease.domain.activity import Find
from landrelease.domain.enums import ActivityKind, StoppageReason, WorkMethod

_Date = date  # the type, where a field named ``date`` hides it


@dataclass(slots=True)
class Task:
    """A piece of planned work: one method on one hazard area (or a work cell of it)."""

    code: str
    hazard_code: str
    method: ActivityKind
    area_m2: float
    team: str | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    cell: BaseGeometry | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Stoppage:
    """Hours a team could not work, and why."""

    reason: StoppageReason
    hours: float


@dataclass(slots=True)
class DailyReport:
    """A team's day of work. ``uuid`` is made on the phone, so a resend counts once.

    ``m2_processed`` is the day's total and ``finds`` the number of devices; a full report
    (:meth:`detailed`) also carries the area by method, every device found (``items``), the
    stoppages and the team leader's name. The name is personal data: only administrators
    and analysts see it (see :mod:`landrelease.field.personal`).
    """

    uuid: str
    team: str
    date: date
    m2_processed: float
    task: str | None = None
    hazard_code: str | None = None
    finds: int = 0
    hours: float | None = None
    id: int | None = None
    area_by_method: dict[WorkMethod, float] = field(default_factory=dict)
    items: list[Find] = field(default_factory=list)
    stoppages: list[Stoppage] = field(default_factory=list)
    team_leader: str | None = None
    position: BaseGeometry | None = None  # where the report was made (the phone's GPS)
    notes: str = ""
    submitted_at: datetime | None = None  # when the server that collected it received it
    source: str = ""  # "api", "kobotoolbox", "odk-central", a file name

    @classmethod
    def detailed(
        cls,
        uuid: str,
        team: str,
        date: _Date,
        *,
        area_by_method: Mapping[WorkMethod, float],
        items: Iterable[Find] = (),
        stoppages: Iterable[Stoppage] = (),
        **rest: object,
    ) -> DailyReport:
        """A full report; the day's total area and number of finds follow from the detail."""
        areas = {WorkMethod(k): float(v) for k, v in area_by_method.items()}
        found = list(items)
        return cls(
            uuid=uuid,
            team=team,
            date=date,
            m2_processed=sum(areas.values()),
            finds=len(found),
            area_by_method=areas,
            items=found,
            stoppages=list(stoppages),
            **rest,  # type: ignore[arg-type]
        )

    @property
    def stoppage_hours(self) -> float:
        return sum(s.hours for s in self.stoppages)
