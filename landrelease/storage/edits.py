"""Edits of single records through a unit of work: a hazard area's attributes, a task's plan.

Each edit checks the record's version (optimistic locking, so two people editing the same
area cannot silently overwrite each other), bumps it, and is written to the audit trail
inside the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, update

from landrelease.domain.enums import HazardStatus
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import area_m2
from landrelease.domain.release import edit_problems
from landrelease.storage import schema
from landrelease.storage.repository import UnitOfWork
from landrelease.storage.rows import hazard_from_row

# Not ``status``: it changes only through the land-release rules (landrelease.domain.release.edit_problems).
EDITABLE_HAZARD_FIELDS = frozenset(
    {
        "name",
        "kind",
        "land_use",
        "eo_types",
        "machine_accessible",
        "slope_deg",
        "vegetation",
        "clutter",
        "density",
        "operator",
        "region",
        "priority_score",
        "beneficiaries",
        "geometry",
    }
)


class VersionConflict(ValidationError):
    """The record changed since the client read it."""


def _plain(value: Any) -> Any:
    if isinstance(value, BaseGeometry):
        return shapely.to_wkt(value, rounding_precision=7)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return getattr(value, "value", value)


def update_hazard_area(uow: UnitOfWork, code: str, changes: dict[str, Any], expected_version: int) -> Any:
    """Apply attribute changes to one hazard area; returns the updated domain record."""
    h = schema.hazard_area
    unknown = set(changes) - EDITABLE_HAZARD_FIELDS - {"status"}
    if unknown:
        raise ValidationError(
            [Problem("field cannot be edited", record=code, field=f) for f in sorted(unknown)], "hazard area refused"
        )
    row = uow.conn.execute(select(h).where(h.c.code == code)).first()
    if row is None:
        raise ValidationError(
            [Problem("no hazard area with this code", record=code, field="code")], "hazard area refused"
        )
    refused = edit_problems(code, HazardStatus(row.status), changes)
    if refused:
        raise ValidationError(refused, f"edit of hazard area {code} refused")
    if row.version != expected_version:
        raise VersionConflict(
            [
                Problem(
                    "the hazard area changed since it was read; reload it and apply the change again",
                    record=code,
                    field="version",
                    found=str(expected_version),
                    expected=str(row.version),
                )
            ],
            "edit conflict",
        )
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "eo_types":
            values[name] = [getattr(v, "value", v) for v in value]
        elif name == "geometry":
            minx, miny, maxx, maxy = shapely.bounds(value)
            values.update(geometry=value, minx=minx, miny=miny, maxx=maxx, maxy=maxy, area_m2=area_m2(value))
        else:
            values[name] = getattr(value, "value", value)
    values["version"] = row.version + 1
    values["updated_at"] = datetime.now(UTC)
    uow.conn.execute(update(h).where(h.c.id == row.id).values(**values))
    if "geometry" in changes:  # the assessment was made for the old polygon
        aa = schema.area_assessment
        uow.conn.execute(aa.delete().where(aa.c.hazard_id == row.id))
    uow.audit(
        "update",
        "hazard_area",
        code,
        {"version": row.version + 1, "changes": {k: _plain(v) for k, v in changes.items()}},
    )
    return hazard_from_row(uow.conn.execute(select(h).where(h.c.id == row.id)).one())


def update_task(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Re-plan one task (its team and dates); returns the stored row as a dict."""
    t = schema.task
    row = uow.conn.execute(select(t).where(t.c.code == code)).first()
    if row is None:
        raise ValidationError([Problem("no task with this code", record=code, field="code")], "task refused")
    allowed = {"team_code", "planned_start", "planned_end"}
    bad = set(changes) - allowed
    if bad:
        raise ValidationError(
            [Problem("field cannot be edited", record=code, field=f) for f in sorted(bad)], "task refused"
        )
    merged = {**row._mapping, **changes}
    if merged["planned_start"] and merged["planned_end"] and merged["planned_end"] < merged["planned_start"]:
        raise ValidationError(
            [
                Problem(
                    "planned end is before planned start",
                    record=code,
                    field="planned_end",
                    found=str(merged["planned_end"]),
                    expected=f">= {merged['planned_start']}",
                )
            ],
            "task refused",
        )
    if changes.get("team_code"):
        tm = schema.team
        if uow.conn.execute(select(tm.c.id).where(tm.c.code == changes["team_code"])).first() is None:
            raise ValidationError(
                [Problem("no team with this code", record=code, field="team", found=changes["team_code"])],
                "task refused",
            )
    uow.conn.execute(update(t).where(t.c.id == row.id).values(**changes))
    uow.audit("update", "task", code, {k: _plain(v) for k, v in changes.items()})
    return dict(uow.conn.execute(select(t).where(t.c.id == row.id)).one()._mapping)
