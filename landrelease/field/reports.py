"""Daily reports: the rules a team's day of work meets before the register takes it.

A report arrives from a phone with bad signal (KoboToolbox, ODK Collect) or a script over
the API, sometimes twice, sometimes days late, batches out of order. Two families of rules:

**Idempotency** (:func:`reconcile`). The UUID is made on the phone, so:

- the same UUID with the same content is a resend: it counts once (a no-op);
- the same UUID with different content is refused, naming the UUID and every field that
  differs — unless the stored report was *returned* by a reviewer, in which case the new
  content is its resubmission;
- two different reports with one UUID in one batch are refused the same way.

Content is compared field by field after rounding to what a report can mean (m² and hours
to 0.01, coordinates to 1e-7°, about 1 cm; depth to 1 mm), so a value that went through a
database and back is still the same value. Where and when it was received is not content.

**Validity** (:func:`check_reports`): every problem of every report is listed, each naming
the report (its UUID) and the field:

- the team, the task and the hazard area must be in the register; a task's hazard area
  must be the report's;
- the date may not be in the future. "Today" is the latest calendar date anywhere on Earth
  (UTC+14, :func:`latest_calendar_date`), so a team east of the server is never refused
  for its own today;
- areas are finite and not negative; hours are 0–24 and, with the stoppages, no more than
  24 in a day;
- the area processed by a method (``unspecified`` for a report that gives only a total) may
  not exceed what is left of the hazard area for that method: its m² minus what stored
  reports already processed by that method (reports that were returned do not count), plus
  :data:`AREA_SLACK_M2`. Reports of one batch add up in date order, so the report that
  crosses the line is the one refused;
- every device found lies in the hazard area or within :data:`FIND_TOLERANCE_M` of it
  (measured in the area's UTM zone); a position that fits once latitude and longitude are
  swapped says so;
- a full report's total and count agree with its detail.
"""

from __future__ import annotations

import math
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from landrelease.domain.activity import Find
from landrelease.domain.enums import ActivityKind, Disposal, EOType, WorkMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import WGS84, utm_crs_for
from landrelease.domain.task import DailyReport
from landrelease.field.review import ReviewState

AREA_SLACK_M2 = 1.0
"""Rounding allowance when a day's area is compared with what is left of the hazard area."""

FIND_TOLERANCE_M = 25.0
"""How far outside its hazard area a find may be recorded. A phone's GPS is good to 5–10 m
under open sky and worse under trees; the area's own boundary was drawn with similar
instruments. Beyond this the position (or the area) is wrong and a person must look."""

UNSPECIFIED = "unspecified"
"""Key of the area of a report that gives only a total (the minimal API report)."""

LATEST_UTC_OFFSET = timedelta(hours=14)  # Line Islands (Kiribati), the first place to see a new day


def latest_calendar_date(now_utc: datetime) -> date:
    """The latest date anywhere on Earth at ``now_utc`` (UTC+14): a report dated after it is in the future.

    >>> latest_calendar_date(datetime(2026, 5, 1, 10, 0))
    datetime.date(2026, 5, 2)
    """
    return (now_utc + LATEST_UTC_OFFSET).date()


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """What the register knows of one hazard area when reports about it are checked."""

    code: str
    geometry: BaseGeometry | None  # None when no device of the batch lies in it (not read then)
    area_m2: float
    processed_m2: Mapping[str, float] = field(default_factory=dict)  # by stored reports, per method key


@dataclass(frozen=True, slots=True)
class TaskFacts:
    code: str
    hazard_code: str
    method: ActivityKind | None = None


@dataclass(frozen=True, slots=True)
class ReportContext:
    """The register's facts that reports are checked against (read once per batch)."""

    teams: Mapping[str, str | None]  # team code -> operator
    tasks: Mapping[str, TaskFacts]
    sites: Mapping[str, SiteFacts]
    today: date
    find_tolerance_m: float = FIND_TOLERANCE_M


def area_keys(report: DailyReport) -> dict[str, float]:
    """The report's area per method key: its detail, or its total as ``unspecified``."""
    if report.area_by_method:
        return {WorkMethod(k).value: float(v) for k, v in report.area_by_method.items()}
    return {UNSPECIFIED: float(report.m2_processed)} if report.m2_processed else {}


# ------------------------------------------------------------------------------ validity


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def _check_one(r: DailyReport, ctx: ReportContext, out: list[Problem], source: str | None) -> None:
    def bad(message: str, fld: str, found: object = None, expected: str | None = None, check: str = "") -> None:
        out.append(
            Problem(
                message,
                record=r.uuid,
                field=fld,
                found=None if found is None else str(found),
                expected=expected,
                source=source,
                check=check or None,
            )
        )

    try:
        uuidlib.UUID(str(r.uuid))
    except ValueError:
        bad("not a UUID", "uuid", r.uuid, "a UUID made on the phone, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e")
    if r.team not in ctx.teams:
        bad(f"no team {r.team!r} in the register", "team", r.team, check="unknown_team")
    task = None
    if r.task is not None:
        task = ctx.tasks.get(r.task)
        if task is None:
            bad(f"no task {r.task!r} in the register", "task", r.task, check="unknown_task")
        elif r.hazard_code is not None and r.hazard_code != task.hazard_code:
            bad(
                f"task {r.task} is on hazard area {task.hazard_code}, not {r.hazard_code}",
                "hazard_code",
                r.hazard_code,
                task.hazard_code,
                check="task_area_mismatch",
            )
    hazard = r.hazard_code or (task.hazard_code if task else None)
    if r.hazard_code is not None and r.hazard_code not in ctx.sites:
        bad(f"no hazard area {r.hazard_code!r} in the register", "hazard_code", r.hazard_code, check="unknown_area")
    if not isinstance(r.date, date):
        bad("no date", "date", r.date, "YYYY-MM-DD")
    elif r.date > ctx.today:
        bad("date is in the future", "date", r.date.isoformat(), f"on or before {ctx.today.isoformat()}", "future_date")
    if not _finite(r.m2_processed):
        bad("area is not a number", "m2_processed", r.m2_processed)
    elif r.m2_processed < 0:
        bad("negative area", "m2_processed", r.m2_processed, "0 or more m²", "negative_area")
    for method, m2 in r.area_by_method.items():
        name = f"area_by_method.{WorkMethod(method).value}"
        if not _finite(m2):
            bad("area is not a number", name, m2)
        elif m2 < 0:
            bad("negative area", name, m2, "0 or more m²", "negative_area")
    if r.area_by_method and _finite(r.m2_processed):
        total = sum(v for v in r.area_by_method.values() if _finite(v))
        if abs(total - r.m2_processed) > 0.01:
            bad("total area is not the sum of the areas by method", "m2_processed", r.m2_processed, f"{total:g}")
    if r.hours is not None and (not _finite(r.hours) or not 0 <= r.hours <= 24):
        bad("hours worked out of range", "hours", r.hours, "0 to 24")
    for i, s in enumerate(r.stoppages):
        if not _finite(s.hours) or not 0 <= s.hours <= 24:
            bad("stoppage hours out of range", f"stoppages[{i}].hours", s.hours, "0 to 24")
    worked = r.hours if _finite(r.hours) else 0.0
    stopped = sum(s.hours for s in r.stoppages if _finite(s.hours))
    if worked is not None and worked + stopped > 24 + 1e-9:
        bad(
            "hours worked and stopped add up to more than a day",
            "stoppages",
            f"{worked:g} + {stopped:g} h",
            "24 h at most",
        )
    if not isinstance(r.finds, int) or r.finds < 0:
        bad("number of finds must be a whole number, 0 or more", "finds", r.finds)
    elif r.items and r.finds != len(r.items):
        bad("number of finds is not the number of devices listed", "finds", r.finds, str(len(r.items)))
    if r.team_leader is not None and len(r.team_leader) > 200:
        bad("team leader's name is too long", "team_leader", f"{len(r.team_leader)} characters", "200 at most")
    site = ctx.sites.get(hazard) if hazard else None
    if r.items and hazard is None:
        bad("devices found need the hazard area they were found in", "hazard_code", None, "a hazard area code")
    for i, item in enumerate(r.items):
        _check_item(item, i, site, ctx.find_tolerance_m, bad)


def _check_item(item: Find, i: int, site: SiteFacts | None, tol: float, bad: Callable[..., None]) -> None:
    where = f"items[{i}]"
    try:
        EOType(item.eo_type)
    except ValueError:
        bad("unknown device category", f"{where}.eo_type", item.eo_type, ", ".join(EOType.allowed()))
    if item.disposal is not None:
        try:
            Disposal(item.disposal)
        except ValueError:
            bad("unknown disposal", f"{where}.disposal", item.disposal, ", ".join(Disposal.allowed()))
    if item.depth_cm is not None and (not _finite(item.depth_cm) or item.depth_cm < 0 or item.depth_cm > 1000):
        bad("depth out of range", f"{where}.depth_cm", item.depth_cm, "0 to 1000 cm")
    p = item.position
    if p is None or p.is_empty or p.geom_type != "Point":
        bad("a device needs its position (a point)", f"{where}.position", None if p is None else p.geom_type)
        return
    x, y = p.x, p.y
    if not (_finite(x) and _finite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        bad("position is not a longitude/latitude", f"{where}.position", f"({x}, {y})", "lon -180..180, lat -90..90")
        return
    if site is None:
        return
    d = _distance_m(site, p)
    if d > tol:
        hint = ""
        if -90 <= x <= 90 and _distance_m(site, Point(y, x)) <= tol:
            hint = "; latitude and longitude look swapped"
        bad(
            f"device lies {d:.0f} m outside hazard area {site.code}{hint}",
            f"{where}.position",
            f"({x:.6f}, {y:.6f})",
            f"inside the area or within {tol:g} m of it",
            "find_outside_area",
        )


@lru_cache(maxsize=64)
def _to_utm(epsg: int) -> Transformer:
    return Transformer.from_crs(WGS84, CRS.from_epsg(epsg), always_xy=True)


@lru_cache(maxsize=4096)
def _metric_site(code: str, wkb: bytes) -> tuple[Transformer, BaseGeometry]:
    """The area in its UTM zone, kept across batches (keyed by its WKB, so an edit is seen)."""
    geom = shapely.from_wkb(wkb)
    c = geom.centroid
    t = _to_utm(utm_crs_for(c.x, c.y).to_epsg())
    metric = shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    shapely.prepare(metric)
    return t, metric


def _distance_m(site: SiteFacts, point: BaseGeometry) -> float:
    assert site.geometry is not None, "the area's geometry is read for batches with devices"
    t, metric = _metric_site(site.code, shapely.to_wkb(site.geometry))
    x, y = t.transform(point.x, point.y)
    return float(shapely.distance(metric, Point(x, y)))


def check_reports(reports: Sequence[DailyReport], ctx: ReportContext, *, source: str | None = None) -> list[Problem]:
    """Every problem of every report, each naming the report (UUID) and the field; [] when all are good."""
    problems: list[Problem] = []
    for r in reports:
        _check_one(r, ctx, problems, source)
    # What is left of each area for each method, as the batch's reports use it up in date order.
    used: dict[tuple[str, str], float] = defaultdict(float)
    for r in sorted(reports, key=lambda r: (r.date if isinstance(r.date, date) else date.min, str(r.uuid))):
        task = ctx.tasks.get(r.task) if r.task else None
        hazard = r.hazard_code or (task.hazard_code if task else None)
        site = ctx.sites.get(hazard or "")
        if site is None:
            continue
        for key, m2 in area_keys(r).items():
            if not _finite(m2) or m2 <= 0:
                continue
            before = float(site.processed_m2.get(key, 0.0)) + used[(site.code, key)]
            left = max(site.area_m2 - before, 0.0)
            if m2 > left + AREA_SLACK_M2:
                fld = f"area_by_method.{key}" if r.area_by_method else "m2_processed"
                problems.append(
                    Problem(
                        f"{m2:,.0f} m² {key.replace('_', ' ')} is more than the {left:,.0f} m² left of hazard "
                        f"area {site.code} ({site.area_m2:,.0f} m², {before:,.0f} m² already reported)",
                        record=r.uuid,
                        field=fld,
                        found=f"{m2:g}",
                        expected=f"at most {left:,.0f} m²",
                        source=source,
                        check="area_exceeds_remaining",
                    )
                )
            used[(site.code, key)] += m2
    return problems


def validate_reports(reports: Sequence[DailyReport], ctx: ReportContext, *, source: str | None = None) -> None:
    """Refuse the whole batch (nothing is written) if any report breaks a rule."""
    problems = check_reports(reports, ctx, source=source)
    if problems:
        raise ValidationError(problems, summary=f"{len({p.record for p in problems})} daily report(s) refused")


# ------------------------------------------------------------------------------ idempotency


def _r(x: float | None, nd: int) -> float | None:
    return None if x is None else round(float(x), nd)


def _point(g: BaseGeometry | None) -> tuple[float | None, float | None] | None:
    if g is None or g.is_empty:
        return None
    return (_r(g.x, 7), _r(g.y, 7))


def _item(f: Find) -> tuple[object, ...]:
    return (
        EOType(f.eo_type).value,
        _point(f.position),
        _r(f.depth_cm, 1),
        f.model or None,
        f.condition or None,
        f.disposal or None,
    )


def content_of(r: DailyReport) -> dict[str, object]:
    """A report's content in comparable form (what a resend must repeat exactly)."""
    return {
        "team": r.team,
        "task": r.task,
        "hazard_code": r.hazard_code,
        "date": r.date.isoformat() if isinstance(r.date, date) else r.date,
        "m2_processed": _r(r.m2_processed, 2),
        "area_by_method": {WorkMethod(k).value: _r(v, 2) for k, v in sorted(r.area_by_method.items()) if v},
        "finds": r.finds,
        "items": [_item(f) for f in r.items],
        "hours": _r(r.hours, 2),
        "stoppages": sorted((s.reason.value, _r(s.hours, 2)) for s in r.stoppages),
        "team_leader": (r.team_leader or "").strip() or None,
        "position": _point(r.position),
        "notes": (r.notes or "").strip(),
    }


def differing_fields(a: DailyReport, b: DailyReport) -> list[str]:
    """The names of the content fields in which two reports differ (empty when they are the same report)."""
    ca, cb = content_of(a), content_of(b)
    return [k for k in ca if ca[k] != cb[k]]


@dataclass(slots=True)
class Reconciliation:
    """A batch sorted against what is stored: new reports, resubmissions, and resends (no-ops)."""

    fresh: list[DailyReport] = field(default_factory=list)
    resubmitted: list[DailyReport] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def to_store(self) -> list[DailyReport]:
        return self.fresh + self.resubmitted


class ConflictError(ValidationError):
    """One UUID, two contents: nothing of the batch is stored (HTTP 409)."""


def _words(state: ReviewState | str) -> str:
    return ReviewState(state).value.replace("_", " ")


def reconcile(
    batch: Iterable[DailyReport],
    stored: Mapping[str, tuple[DailyReport, ReviewState]],
    *,
    source: str | None = None,
) -> Reconciliation:
    """Sort a batch into new reports, resubmissions of returned ones and resends; refuse conflicts.

    ``stored`` holds, for the batch's UUIDs that the register already has, the stored
    report and its review state. Raises :class:`ConflictError` naming each UUID and the
    fields that differ.
    """
    out = Reconciliation()
    seen: dict[str, DailyReport] = {}
    problems: list[Problem] = []
    for r in batch:
        key = str(r.uuid)
        if key in seen:
            diff = differing_fields(seen[key], r)
            if diff:
                problems.append(
                    Problem(
                        "two different reports with one UUID in the batch",
                        record=key,
                        field=", ".join(diff),
                        source=source,
                        check="uuid_conflict_in_batch",
                    )
                )
            else:
                out.duplicates.append(key)
            continue
        seen[key] = r
        if key not in stored:
            out.fresh.append(r)
            continue
        old, state = stored[key]
        diff = differing_fields(old, r)
        if not diff:
            out.duplicates.append(key)
        elif ReviewState(state) is ReviewState.RETURNED:
            out.resubmitted.append(r)
        else:
            problems.append(
                Problem(
                    f"a different report with this UUID is already stored ({_words(state)})",
                    record=key,
                    field=", ".join(diff),
                    source=source,
                    check="uuid_conflict",
                )
            )
    if problems:
        raise ConflictError(problems, summary="same UUID, different content")
    return out
