"""Request bodies of the REST API: strict (unknown fields refused), bounded, and named.

A refused body answers 422 with problem details naming each bad field; the checks here
(geometry type, validity, coordinate range, vocabularies) run before anything is written.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import shapely
import shapely.geometry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from shapely.geometry.base import BaseGeometry

from landrelease.api.params import CODE_LENGTH, CODE_PATTERN, NEW_CODE_PATTERN
from landrelease.domain.enums import (
    OPEN_STATUSES,
    ActivityKind,
    Disposal,
    EOType,
    HazardKind,
    HazardStatus,
    ItemCondition,
    LandUse,
    Level,
    ReleaseMethod,
    StoppageReason,
    WorkMethod,
)
from landrelease.domain.release import STATUS_CHANGE_HINT
from landrelease.domain.user import Role


def _no_control(text: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t" for ch in text):
        raise ValueError("control characters are not allowed")
    return text


# A new record's code (no "/"), and a code that refers to a record, which may be derived
# ("HA-000149/1", "HA-000001/clearance/3"); see landrelease.api.params.
Code = Annotated[str, StringConstraints(pattern=NEW_CODE_PATTERN)]
CodeRef = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=CODE_LENGTH)]
Name = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_control)]
Org = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(_no_control)]
GeoJSONObject = dict[str, Any]


def _position(pos: Any, where: str) -> None:
    """A GeoJSON position: 2 or 3 JSON numbers (a string such as "47.1" is refused, not converted)."""
    if not isinstance(pos, list) or not 2 <= len(pos) <= 3:
        raise ValueError(f"{where} is not a position [longitude, latitude]")
    for i, v in enumerate(pos):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{where}[{i}] is not a number (coordinates are JSON numbers, not {type(v).__name__})")


def _rings(polygon: Any, where: str) -> None:
    """A GeoJSON polygon's rings: each a closed list of at least 4 positions (RFC 7946 §3.1.6).

    An unclosed ring is refused rather than closed here: a ring whose last position is missing
    may be a truncated file or drawing, and guessing would store land nobody surveyed."""
    if not isinstance(polygon, list) or not polygon:
        raise ValueError(f"{where} is not a list of rings")
    for r, ring in enumerate(polygon):
        name = f"{where}[{r}]"
        if not isinstance(ring, list):
            raise ValueError(f"{name} is not a ring (a list of positions)")
        for k, pos in enumerate(ring):
            _position(pos, f"{name}[{k}]")
        if len(ring) < 4:
            raise ValueError(f"ring {name} has {len(ring)} positions; a ring needs at least 4 (closed)")
        if ring[0] != ring[-1]:
            raise ValueError(f"ring {name} is not closed: its first and last positions differ")


def polygon_from_geojson(value: Any) -> BaseGeometry:
    """A valid, non-empty Polygon or MultiPolygon in lon/lat, from a GeoJSON geometry object."""
    if not isinstance(value, dict):
        raise ValueError("a GeoJSON geometry object is required")
    kind = value.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"a hazard area is a Polygon or MultiPolygon, not {str(kind)[:40]!r}")
    if set(value) - {"type", "coordinates", "bbox"}:
        raise ValueError("unknown member of a geometry object")
    coords = value.get("coordinates")
    if kind == "Polygon":
        _rings(coords, "coordinates")
    else:
        if not isinstance(coords, list) or not coords:
            raise ValueError("coordinates of a MultiPolygon is a list of polygons")
        for p, polygon in enumerate(coords):
            _rings(polygon, f"coordinates[{p}]")
    try:
        geom = shapely.geometry.shape(value)
    except Exception as exc:  # shapely raises many kinds for malformed coordinates
        raise ValueError(f"malformed coordinates: {str(exc)[:120]}") from None
    if geom.is_empty:
        raise ValueError("the geometry is empty")
    xy = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in xy.ravel()):
        raise ValueError("coordinates must be finite numbers")
    if (xy[:, 0] < -180).any() or (xy[:, 0] > 180).any() or (xy[:, 1] < -90).any() or (xy[:, 1] > 90).any():
        raise ValueError("coordinates must be longitude −180…180, latitude −90…90 (EPSG:4326)")
    if not geom.is_valid:
        raise ValueError(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    if shapely.area(geom) == 0:
        raise ValueError("the polygon has no area")
    return geom


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=False)


class HazardAreaIn(Strict):
    """A new hazard area."""

    code: Code
    geometry: GeoJSONObject = Field(description="GeoJSON Polygon or MultiPolygon, EPSG:4326")
    name: Name = ""
    kind: HazardKind = HazardKind.SHA
    land_use: LandUse = LandUse.OTHER
    eo_types: list[EOType] = Field(default_factory=list, max_length=10)
    machine_accessible: bool = True
    slope_deg: float = Field(0.0, ge=0, le=90)
    vegetation: Level = Level.LOW
    clutter: Level = Level.LOW
    density: Level = Level.LOW
    status: HazardStatus = HazardStatus.OPEN
    operator: Org | None = None
    region: Org | None = None
    priority_score: float | None = Field(None, ge=-1e9, le=1e9)
    beneficiaries: int | None = Field(None, ge=0, le=10**9)

    @field_validator("geometry")
    @classmethod
    def _geometry(cls, value: Any) -> Any:
        polygon_from_geojson(value)
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: HazardStatus) -> HazardStatus:
        if value not in OPEN_STATUSES:
            raise ValueError("a new hazard area is open or in_progress; land is released by recording an activity")
        return value


class HazardAreaPatch(Strict):
    """Changes to a hazard area; ``version`` is the one the client read (optimistic locking)."""

    version: int = Field(ge=1, le=10**9)
    geometry: GeoJSONObject | None = None
    name: Name | None = None
    kind: HazardKind | None = None
    land_use: LandUse | None = None
    eo_types: list[EOType] | None = Field(None, max_length=10)
    machine_accessible: bool | None = None
    slope_deg: float | None = Field(None, ge=0, le=90)
    vegetation: Level | None = None
    clutter: Level | None = None
    density: Level | None = None
    status: HazardStatus | None = None
    operator: Org | None = None
    region: Org | None = None
    priority_score: float | None = Field(None, ge=-1e9, le=1e9)
    beneficiaries: int | None = Field(None, ge=0, le=10**9)

    @field_validator("geometry")
    @classmethod
    def _geometry(cls, value: Any) -> Any:
        if value is not None:
            polygon_from_geojson(value)
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: HazardStatus | None) -> HazardStatus | None:
        raise ValueError(STATUS_CHANGE_HINT)

    @model_validator(mode="after")
    def _not_null(self) -> HazardAreaPatch:
        for name in NOT_NULL & self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.model_fields_set if k != "version"}
        if out.get("geometry") is not None:
            out["geometry"] = polygon_from_geojson(out["geometry"])
        return out


NOT_NULL = frozenset(
    {
        "geometry",
        "name",
        "kind",
        "land_use",
        "eo_types",
        "machine_accessible",
        "slope_deg",
        "vegetation",
        "clutter",
        "density",
        "status",
    }
)


class DeviceIn(Strict):
    """One device found (a daily report's ``items``)."""

    eo_type: EOType
    position: GeoJSONObject = Field(description="GeoJSON Point (lon, lat) where it was found")
    depth_cm: float | None = Field(None, ge=0, le=1000)
    model: Name | None = None
    condition: ItemCondition | None = None
    disposal: Disposal | None = None

    @field_validator("position")
    @classmethod
    def _position(cls, value: Any) -> Any:
        point_from_geojson(value)
        return value


class StoppageIn(Strict):
    reason: StoppageReason
    hours: float = Field(ge=0, le=24)


class DailyReportIn(Strict):
    """A team's day of work; ``uuid`` is made on the phone so that a resend counts once.

    The minimal report gives ``m2_processed`` (and ``finds``, a count); the full report gives
    ``area_by_method`` (the total follows), every device in ``items`` (the count follows),
    ``stoppages`` and the team leader's name (personal data)."""

    uuid: UUID
    team: Code
    date: date
    m2_processed: float | None = Field(None, ge=0, le=10_000_000)
    area_by_method: dict[WorkMethod, Annotated[float, Field(ge=0, le=10_000_000)]] | None = None
    task: CodeRef | None = None
    hazard_code: CodeRef | None = None
    finds: int | None = Field(None, ge=0, le=1_000_000)
    items: list[DeviceIn] | None = Field(None, max_length=1000)
    hours: float | None = Field(None, ge=0, le=24)
    stoppages: list[StoppageIn] = Field(default_factory=list, max_length=20)
    team_leader: Name | None = None
    position: GeoJSONObject | None = None
    notes: Annotated[str, StringConstraints(max_length=2000)] = ""

    @field_validator("position")
    @classmethod
    def _position(cls, value: Any) -> Any:
        if value is not None:
            point_from_geojson(value)
        return value

    @model_validator(mode="after")
    def _total(self) -> DailyReportIn:
        if self.m2_processed is None and self.area_by_method is None:
            raise ValueError("give m2_processed or area_by_method")
        return self


class DailyReportsIn(Strict):
    reports: list[DailyReportIn] = Field(min_length=1, max_length=1000)


class ReviewIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class TaskPatch(Strict):
    team: Code | None = None
    planned_start: date | None = None
    planned_end: date | None = None

    @model_validator(mode="after")
    def _order(self) -> TaskPatch:
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValueError("planned_end is before planned_start")
        return self


class UserIn(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,119}$")]
    role: Role
    operator: Org | None = None
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class UserPatch(Strict):
    """An admin's change of a user: deactivate/reactivate, role, organisation (ends its sessions)."""

    active: bool | None = None
    role: Role | None = None
    operator: Org | None = None


class PasswordReset(Strict):
    """A new password set by an admin (ends every session of that user)."""

    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class PasswordChange(Strict):
    """A user's change of their own password: the current one proves it is them."""

    current: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    new: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class LoginIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


def point_from_geojson(value: Any) -> BaseGeometry:
    if not isinstance(value, dict) or value.get("type") != "Point":
        raise ValueError("a find's position is a GeoJSON Point")
    _position(value.get("coordinates"), "coordinates")
    try:
        geom = shapely.geometry.shape(value)
    except Exception as exc:
        raise ValueError(f"malformed coordinates: {str(exc)[:120]}") from None
    if geom.is_empty or not (-180 <= geom.x <= 180 and -90 <= geom.y <= 90):
        raise ValueError("a position is longitude −180…180, latitude −90…90")
    return geom


class ReleasedPartIn(Strict):
    method: ReleaseMethod
    geometry: GeoJSONObject = Field(description="GeoJSON Polygon or MultiPolygon of the released land")

    @field_validator("geometry")
    @classmethod
    def _geometry(cls, value: Any) -> Any:
        polygon_from_geojson(value)
        return value


class FindIn(Strict):
    eo_type: EOType
    position: GeoJSONObject
    depth_cm: float | None = Field(None, ge=0, le=10_000)
    model: Name | None = None
    condition: Name | None = None

    @field_validator("position")
    @classmethod
    def _position(cls, value: Any) -> Any:
        point_from_geojson(value)
        return value


class ActivityIn(Strict):
    """An NTS / TS / clearance / EOD result on one hazard area, with the land it released."""

    hazard_code: CodeRef
    kind: ActivityKind
    start_date: date
    end_date: date | None = None
    code: Code | None = None
    team: Code | None = None
    operator: Org | None = None
    area_processed_m2: float = Field(0.0, ge=0, le=1e10)
    clearance_depth_cm: float | None = Field(None, ge=0, le=10_000)
    released: list[ReleasedPartIn] = Field(default_factory=list, max_length=200)
    finds: list[FindIn] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _dates(self) -> ActivityIn:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self
