"""Planned work and the daily reports that measure it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import ActivityKind


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


@dataclass(slots=True)
class DailyReport:
    """A team's day of work. ``uuid`` is made on the phone, so a resend counts once."""

    uuid: str
    team: str
    date: date
    m2_processed: float
    task: str | None = None
    hazard_code: str | None = None
    finds: int = 0
    hours: float | None = None
    id: int | None = None
