"""The register's records as the API lists and edits them: hazard areas, teams, tasks, daily reports.

Edits go through one unit of work each (audited); a hazard area whose geometry changes loses
its assessment (it was made for the old polygon: the map says "not yet computed" until the
model runs again).
"""

from __future__ import annotations

from typing import Any

from landrelease.domain.activity import Activity
from landrelease.domain.errors import ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.services.register import Register
from landrelease.storage import edits
from landrelease.storage import records as store
from landrelease.storage.edits import VersionConflict

__all__ = [
    "ValidationError",
    "VersionConflict",
    "activities",
    "create_hazard_area",
    "tasks",
    "teams",
    "update_hazard_area",
]


def create_hazard_area(register: Register, area: HazardArea, *, actor: str) -> bool:
    """Add one hazard area; False (nothing written) if its code is taken."""
    with register.unit_of_work(actor=actor) as uow:
        if store.hazard_exists(uow.conn, area.code):
            return False
        uow.add_hazard_areas([area], source="api")
    return True


def update_hazard_area(
    register: Register, code: str, changes: dict[str, Any], expected_version: int, *, actor: str
) -> HazardArea:
    """Change a hazard area's attributes if it is still at ``expected_version`` (else
    :class:`VersionConflict`); returns the record as stored."""
    with register.unit_of_work(actor=actor) as uow:
        area: HazardArea = edits.update_hazard_area(uow, code, changes, expected_version)
        return area


def activities(register: Register, hazard_code: str) -> list[Activity]:
    """The activities recorded on one hazard area, with their released parts and finds."""
    return register.activities(hazard_code=hazard_code)


def teams(register: Register, *, operator: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
    with register.reading() as conn:
        return store.teams(conn, operator, type_)


def tasks(
    register: Register,
    *,
    limit: int,
    offset: int,
    hazard: str | None = None,
    team: str | None = None,
    operator: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    with register.reading() as conn:
        return store.task_page(conn, limit=limit, offset=offset, hazard=hazard, team=team, operator=operator)
