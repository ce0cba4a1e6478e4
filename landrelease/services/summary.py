"""Summary and checks: what the register holds, what it has released, what looks wrong.

Every figure is a sum of areas stored in m² (measured in a UTM zone when written); nothing
here measures a geometry again. The command line, the API, the dashboards and the report
read these functions.
"""

from __future__ import annotations

from typing import Any

from landrelease.domain.errors import Problem
from landrelease.services.register import Register
from landrelease.storage.summary import METHODS, ReleaseSummary, data_version_of, priority_range_of

__all__ = ["METHODS", "ReleaseSummary", "check", "data_version", "inventory", "release_summary"]


def release_summary(register: Register) -> ReleaseSummary:
    """Released km² by method, operator, region and month; open km² (stored areas)."""
    return register.release_summary()


def inventory(register: Register) -> dict[str, Any]:
    """Counts and km² of hazard areas by kind, status and land use; evidence, teams, settlements."""
    return register.inventory()


def check(register: Register) -> list[Problem]:
    """GICHD geocheck data-quality checks and overlapping hazard areas over the register."""
    return register.quality_problems()


def data_version(register: Register) -> int:
    """A number that changes with every write (the newest audit event): caches key on it."""
    with register.reading() as conn:
        return data_version_of(conn)


def priority_range(register: Register) -> tuple[float | None, float | None]:
    """The lowest and highest priority score the planner wrote (None, None before it ran)."""
    with register.reading() as conn:
        return priority_range_of(conn)
