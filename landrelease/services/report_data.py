"""Report data: what the monthly report says, for one calendar month and to date.

Read from the register: released land and finds, open land, the stored plan against the
daily reports, the register's own data-quality check, and the newest stored forecast (the
report never runs a forecast of its own). Areas are the stored ones (measured in a UTM zone
when written), so the report states the same km² as the summary, the dashboards and the
command line; each polygon is measured again only to check it. Charts, the map and the
HTML/PDF are built from a :class:`MonthlyReport` by :mod:`landrelease.reports`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Proj
from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import OPEN_STATUS_VALUES, ReleaseMethod
from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.domain.geometry import areas_m2, utm_crs_for
from landrelease.services.forecast import REGISTER, latest_forecasts
from landrelease.services.register import Register
from landrelease.services.summary import check, release_summary
from landrelease.storage import reports as queries

METHODS: tuple[str, ...] = tuple(m.value for m in ReleaseMethod)  # cancelled, reduced, cleared
TREND_MONTHS = 12
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


# ---------------------------------------------------------------- the period


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One calendar month; ``start`` is its first day, ``end`` the first day of the next."""

    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return self.start.strftime("%B %Y")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def shift(self, months: int) -> Period:
        k = self.year * 12 + (self.month - 1) + months
        return Period(k // 12, k % 12 + 1)

    def trailing(self, n: int) -> list[Period]:
        """The ``n`` months ending with this one, oldest first."""
        return [self.shift(-i) for i in range(n - 1, -1, -1)]

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return self.key


def parse_period(text: str | None) -> Period:
    """``YYYY-MM`` → :class:`Period`; anything else is refused, naming the field."""
    raw = (text or "").strip()
    m = _PERIOD.match(raw)
    if not m:
        raise ValidationError(
            [Problem("not a calendar month", field="period", found=repr(text), expected="YYYY-MM, e.g. 2026-10")],
            "report period refused",
        )
    year, month = int(m.group(1)), int(m.group(2))
    problems = []
    if not 1 <= month <= 12:
        problems.append(Problem("month out of range", field="period", found=raw, expected="a month from 01 to 12"))
    if not 1900 <= year <= 2999:
        problems.append(Problem("year out of range", field="period", found=raw, expected="a year from 1900 to 2999"))
    if problems:
        raise ValidationError(problems, "report period refused")
    return Period(year, month)


# ---------------------------------------------------------------- what the report holds


@dataclass(slots=True)
class ReleasedRow:
    """One released part, with the activity and hazard area it came from."""

    hazard_code: str
    hazard_name: str
    region: str | None
    land_use: str
    operator: str
    team: str | None
    activity_code: str | None
    activity_kind: str
    method: str
    released_on: date
    area_m2: float  # as stored in the register (measured in a UTM zone when recorded)
    measured_m2: float  # the polygon measured again in the report's metric CRS (a check)
    geometry: BaseGeometry
    hazard_geometry: BaseGeometry


@dataclass(slots=True)
class FindRow:
    eo_type: str
    geometry: BaseGeometry
    on: date
    hazard_code: str
    operator: str
    hazard_geometry: BaseGeometry


@dataclass(slots=True)
class MonthPlan:
    """Planned versus done for one month: tasks pro-rated over their planned days."""

    period: Period
    planned_m2: float
    processed_m2: float
    released_m2: float
    team_days: int


@dataclass(slots=True)
class PlanProgress:
    months: list[MonthPlan]
    tasks_total: int
    tasks_in_period: int
    reports_in_period: int
    next_month: MonthPlan | None = None  # what the stored plan holds for the month after the period
    tasks_next_month: int = 0
    plan_start: date | None = None  # the earliest planned start in the stored plan
    plan_end: date | None = None

    @property
    def current(self) -> MonthPlan:
        return self.months[-1]

    @property
    def ratio(self) -> float | None:
        """Processed / planned in the period, or None when nothing was planned for it."""
        c = self.current
        return c.processed_m2 / c.planned_m2 if c.planned_m2 > 0 else None


@dataclass(slots=True)
class QualityNote:
    message: str
    count: int
    severity: str = Severity.WARNING.value
    source: str = "report"


@dataclass(slots=True)
class MapLayers:
    """Geometries for the map, EPSG:4326."""

    hazard_geometries: list[BaseGeometry]
    hazard_statuses: list[str]
    settlement_geometries: list[BaseGeometry]
    settlement_names: list[str]
    settlement_populations: list[int]
    routes: list[BaseGeometry] = field(default_factory=list)  # settlements' access roads


@dataclass(slots=True)
class ForecastView:
    """Open km² over time from the stored forecast: P10 (optimistic, less left), P50, P90;
    finish dates by quantile."""

    dates: list[date]
    p10_km2: list[float]
    p50_km2: list[float]
    p90_km2: list[float]
    finish: dict[str, date | None] = field(default_factory=dict)  # "P10"/"P50"/"P90" → date (None: beyond)
    headline: str = ""
    note: str = ""
    runs: int = 0
    seed: int = 0
    start: date | None = None
    stored_at: datetime | None = None


@dataclass(slots=True)
class MonthlyReport:
    period: Period
    generated_at: datetime
    backend: str
    crs: CRS
    released: list[ReleasedRow]  # every part released up to the end of the period
    finds: list[FindRow]  # every find up to the end of the period
    open_m2: float
    open_count: int
    live_m2: float
    live_count: int
    layers: MapLayers
    plan: PlanProgress | None
    forecast: ForecastView | None
    forecast_status: str
    quality: list[QualityNote]
    quality_status: str
    activities_in_period: int
    areal_scale: tuple[float, float] = (1.0, 1.0)  # min/max factor the projection applies to areas
    summary_agreement: str = ""  # how the figures compare with the register's own release summary
    field: dict[str, Any] | None = None  # field reports, risk education, casualties, QA (services.field_summary)
    returns: dict[str, Any] | None = None  # joint readiness, consolidations, housing (dashboards.returns_overview)

    # --- derived figures (one definition each, used by the HTML, the charts and the tests)
    @property
    def released_in_period(self) -> list[ReleasedRow]:
        return [r for r in self.released if self.period.contains(r.released_on)]

    @property
    def finds_in_period(self) -> list[FindRow]:
        return [f for f in self.finds if self.period.contains(f.on)]

    @property
    def released_period_m2(self) -> float:
        return float(sum(r.area_m2 for r in self.released_in_period))

    @property
    def released_cumulative_m2(self) -> float:
        return float(sum(r.area_m2 for r in self.released))

    def by_method(self, rows: Iterable[ReleasedRow]) -> dict[str, float]:
        out = dict.fromkeys(METHODS, 0.0)
        for r in rows:
            out[r.method] = out.get(r.method, 0.0) + r.area_m2
        return out

    def by_key(self, rows: Iterable[ReleasedRow], key: str) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for r in rows:
            out[getattr(r, key) or "(none)"] += r.area_m2
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def operator_table(self) -> list[tuple[str, float, float]]:
        """(operator, km² in period, km² to date), largest to date first."""
        period = self.by_key(self.released_in_period, "operator")
        total = self.by_key(self.released, "operator")
        return [(op, period.get(op, 0.0) / 1e6, m2 / 1e6) for op, m2 in total.items()]

    def land_use_table(self) -> list[tuple[str, float, float]]:
        """(land use, km² in period, km² to date), largest to date first."""
        period = self.by_key(self.released_in_period, "land_use")
        total = self.by_key(self.released, "land_use")
        return [(k, period.get(k, 0.0) / 1e6, m2 / 1e6) for k, m2 in total.items()]

    def region_table(self) -> list[tuple[str, float, float]]:
        period = self.by_key(self.released_in_period, "region")
        total = self.by_key(self.released, "region")
        return [(k, period.get(k, 0.0) / 1e6, m2 / 1e6) for k, m2 in total.items()]

    def finds_by_type(self, rows: Iterable[FindRow]) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for f in rows:
            out[f.eo_type] += 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def monthly_by_method(self, n: int = TREND_MONTHS) -> list[tuple[Period, dict[str, float]]]:
        """Released m² per month and method for the ``n`` months ending with the period."""
        months = self.period.trailing(n)
        table = {p: dict.fromkeys(METHODS, 0.0) for p in months}
        for r in self.released:
            p = Period.of(r.released_on)
            if p in table:
                table[p][r.method] = table[p].get(r.method, 0.0) + r.area_m2
        return [(p, table[p]) for p in months]

    @property
    def crs_name(self) -> str:
        return str(self.crs.name)

    @property
    def crs_code(self) -> str:
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else self.crs.to_string()


# ---------------------------------------------------------------- reading the register


def metric_crs(geometries: Sequence[BaseGeometry]) -> CRS:
    """The UTM zone of the centre of the data: the one CRS the report's areas are computed in."""
    arr = np.asarray(list(geometries), dtype=object)
    if len(arr) == 0:
        return CRS.from_epsg(32638)  # nothing to measure; any zone gives zero
    minx, miny, maxx, maxy = shapely.total_bounds(arr)
    return utm_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def areal_scale_range(crs: CRS, geometries: Sequence[BaseGeometry]) -> tuple[float, float]:
    """Smallest and largest factor by which ``crs`` scales areas over the data's extent."""
    arr = np.asarray(list(geometries), dtype=object)
    if len(arr) == 0:
        return (1.0, 1.0)
    minx, miny, maxx, maxy = shapely.total_bounds(arr)
    lon, lat = np.meshgrid(np.linspace(minx, maxx, 5), np.linspace(miny, maxy, 5))
    factors = Proj(crs).get_factors(lon.ravel(), lat.ravel())
    scale = np.asarray(factors.areal_scale, dtype=float)
    return float(scale.min()), float(scale.max())


def latest_period(register: Register, today: date | None = None) -> Period | None:
    """The latest month, up to today's, in which anything was released, done or reported;
    None if nothing was. (A date in the future is a data error, not a month to report on.)"""
    today = today or datetime.now(UTC).date()
    with register.reading() as conn:
        days = [_as_date(d) for d in queries.last_days(conn) if d is not None]
    if not days:
        return None
    return Period.of(min(max(days), today))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _plan_progress(conn: Any, period: Period, released: list[ReleasedRow]) -> PlanProgress | None:
    months = period.trailing(TREND_MONTHS)
    first, end = months[0].start, period.end
    tasks = queries.planned_tasks(conn)
    reports = queries.daily_reports_between(conn, first, end)
    if not tasks and not reports:
        return None
    following = period.shift(1)
    planned = dict.fromkeys([*months, following], 0.0)
    in_period = in_next = 0
    starts: list[date] = []
    ends: list[date] = []
    for area, start, finish in tasks:
        if start is None or finish is None:
            continue
        start, finish = _as_date(start), _as_date(finish)
        starts.append(start)
        ends.append(finish)
        if finish < start:
            continue
        span = (finish - start).days + 1
        if start < period.end and finish >= period.start:
            in_period += 1
        if start < following.end and finish >= following.start:
            in_next += 1
        for p in planned:
            lo, hi = max(start, p.start), min(finish, p.end - timedelta(days=1))
            if hi >= lo:
                planned[p] += float(area) * ((hi - lo).days + 1) / span
    processed = dict.fromkeys(months, 0.0)
    team_days: dict[Period, set[tuple[str, date]]] = {p: set() for p in months}
    n_reports = 0
    for team, day, m2 in reports:
        day = _as_date(day)
        p = Period.of(day)
        if p in processed:
            processed[p] += float(m2)
            team_days[p].add((team, day))
            n_reports += p == period
    released_by_month = dict.fromkeys(months, 0.0)
    for r in released:
        p = Period.of(r.released_on)
        if p in released_by_month:
            released_by_month[p] += r.area_m2
    return PlanProgress(
        months=[MonthPlan(p, planned[p], processed[p], released_by_month[p], len(team_days[p])) for p in months],
        tasks_total=len(tasks),
        tasks_in_period=in_period,
        reports_in_period=n_reports,
        next_month=MonthPlan(following, planned[following], 0.0, 0.0, 0),
        tasks_next_month=in_next,
        plan_start=min(starts, default=None),
        plan_end=max(ends, default=None),
    )


def _report_checks(released: list[ReleasedRow], finds: list[FindRow]) -> list[QualityNote]:
    """Checks the report makes on what it reports: areas, overlaps, positions."""
    notes: list[QualityNote] = []
    if released:
        off = [r for r in released if abs(r.area_m2 - r.measured_m2) > max(1.0, 0.005 * r.measured_m2)]
        if off:
            notes.append(
                QualityNote(
                    "released parts whose stored area differs by more than 0.5 % from the area of their polygon "
                    "(the report states the stored area, as the register's summary does)",
                    len(off),
                )
            )
        parts = np.asarray([r.geometry for r in released], dtype=object)
        hazards = np.asarray([r.hazard_geometry for r in released], dtype=object)
        invalid = int((~shapely.is_valid(parts)).sum())
        if invalid:
            notes.append(QualityNote("released parts with an invalid polygon", invalid, Severity.ERROR.value))
        outside = shapely.area(shapely.difference(shapely.make_valid(parts), shapely.make_valid(hazards)))
        n_out = int((outside > 0.01 * np.maximum(shapely.area(parts), 1e-15)).sum())
        if n_out:
            notes.append(QualityNote("released parts reaching more than 1 % outside their hazard area", n_out))
        tree = shapely.STRtree(parts)
        left, right = tree.query(parts, predicate="intersects")
        pairs = {(int(i), int(j)) for i, j in zip(left, right, strict=True) if i < j}
        overlapping = [
            (i, j)
            for i, j in pairs
            if shapely.area(shapely.intersection(parts[i], parts[j])) > 1e-4 * min(parts[i].area, parts[j].area)
        ]
        if overlapping:
            notes.append(
                QualityNote(
                    "pairs of released parts that overlap (their common land is counted twice in the totals)",
                    len(overlapping),
                    Severity.ERROR.value,
                )
            )
    if finds:
        pts = np.asarray([f.geometry for f in finds], dtype=object)
        hz = np.asarray([f.hazard_geometry for f in finds], dtype=object)
        n_far = int((~shapely.covers(shapely.buffer(shapely.make_valid(hz), 0.0005), pts)).sum())
        if n_far:
            notes.append(QualityNote("items found more than about 50 m outside their hazard area", n_far))
    return notes


def _register_checks(register: Register) -> tuple[list[QualityNote], str]:
    """Open data-quality problems from the register's own check, grouped by check."""
    problems = check(register)
    groups: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        name = p.check or p.message
        groups[(name.replace("_", " "), p.severity.value)].append(p)
    notes = []
    for (name, severity), items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        notes.append(QualityNote(f"{name} — e.g. {items[0]}", len(items), severity, "register"))
    if not problems:
        return notes, "The register's data-quality check finds no open problem."
    return notes, f"The register's data-quality check finds {len(problems):,} open problem(s), by check:"


def _summary_agreement(
    register: Register, period: Period, released: list[ReleasedRow]
) -> tuple[str, QualityNote | None]:
    """Compare the report's released km² with the register's release summary (a second,
    independent query over the same stored areas: they must agree)."""
    by_month = release_summary(register).by_month
    theirs_period = sum(by_month.get(period.key, {}).values())
    theirs_total = sum(sum(v.values()) for k, v in by_month.items() if k <= period.key)
    ours_period = sum(r.area_m2 for r in released if period.contains(r.released_on)) / 1e6
    ours_total = sum(r.area_m2 for r in released) / 1e6
    worst = max(abs(ours_period - theirs_period), abs(ours_total - theirs_total))
    scale = max(ours_total, theirs_total, 1e-12)
    if worst <= 1e-9 * scale + 1e-12:
        return (
            f"The report's released areas agree with the register's release summary (sums of stored areas): "
            f"{theirs_period:,.3f} km² this month, {theirs_total:,.3f} km² to date.",
            None,
        )
    return "", QualityNote(
        f"the register's release summary states {theirs_period:,.3f} km² this month and {theirs_total:,.3f} km² "
        f"to date, the report {ours_period:,.3f} and {ours_total:,.3f} km²",
        1,
        Severity.ERROR.value,
    )


def _trim(burn: np.ndarray, keep_after: int = 6, at_least: int = 24) -> int:
    """How many points of the burn-down to show: until the P90 curve is (nearly) done, plus a margin."""
    start = float(burn[2, 0]) if burn.shape[1] else 0.0
    done = np.nonzero(burn[2] <= 0.005 * start)[0]
    end = int(done[0]) + keep_after if len(done) else burn.shape[1]
    return int(min(burn.shape[1], max(end, at_least)))


def stored_forecast_view(register: Register) -> tuple[ForecastView | None, str]:
    """The burn-down of the newest stored forecast of the register, or None and the reason in words."""
    runs = latest_forecasts(register, REGISTER)
    if not runs:
        return None, "No forecast is stored yet (run `landrelease forecast --store`, or the demo)."
    r = runs[0]
    bd = r.get("burn_down")
    if not isinstance(bd, dict):
        return None, "The stored forecast holds no burn-down (it was migrated from an older version)."
    burn = np.asarray([bd["remaining_km2_p10"], bd["remaining_km2_p50"], bd["remaining_km2_p90"]], dtype=float)
    n = _trim(burn)
    dates = [_as_date(d) for d in bd["month_end"][:n]]
    finish = {f"P{q[1:]}": (_as_date(d) if d else None) for q, d in (r.get("overall_completion") or {}).items()}
    notes = "; ".join(str(x) for x in r.get("notes", []))
    stored_at = r.get("created_at")
    when = f"stored on {stored_at:%Y-%m-%d}" if isinstance(stored_at, datetime) else "stored"
    return (
        ForecastView(
            dates=dates,
            p10_km2=burn[0, :n].tolist(),
            p50_km2=burn[1, :n].tolist(),
            p90_km2=burn[2, :n].tolist(),
            finish=finish,
            headline=str(r.get("headline", "")),
            note=f"The register's forecast {when}: {r['runs']} simulated futures (seed {r['seed']}) from "
            f"{r.get('start')} with the register's teams. {notes}".strip(),
            runs=int(r["runs"]),
            seed=int(r["seed"]),
            start=_as_date(r["start"]) if r.get("start") else None,
            stored_at=stored_at if isinstance(stored_at, datetime) else None,
        ),
        "",
    )


def _returns(register: Register) -> dict[str, Any] | None:
    """The returns section: only when the register has settlements."""
    from landrelease.services.dashboards import returns_overview

    data = returns_overview(register)
    return data if data["available"] else None


def field_summary(register: Register, start: date, end: date) -> dict[str, Any]:
    """The field section: daily reports by review state and m² approved by method, risk
    education by sex and age band, casualties (counts only: no personal data), QA inspections."""
    from landrelease.services.casualties import casualty_summary
    from landrelease.services.eore import eore_summary, summary_json
    from landrelease.services.field_reports import period_reports
    from landrelease.services.quality import inspections

    return {
        "reports": period_reports(register, start, end),
        "eore": summary_json(eore_summary(register, start, end)),
        "casualties": casualty_summary(register, start, end),
        "inspections": [
            {
                "code": i["code"],
                "hazard_code": i["hazard_code"],
                "on": i["inspected_on"],
                "result": i["result"],
                "sample_units": i["sample_units"],
                "units_inspected": i["units_inspected"],
                "reopened": i["reopened_code"],
            }
            for i in inspections(register)
            if start <= i["inspected_on"] <= end
        ],
    }


def gather(
    register: Register,
    period: Period,
    *,
    now: datetime | None = None,
    with_forecast: bool = True,
) -> MonthlyReport:
    """Everything the report for ``period`` states, read from the register (and its stored forecast)."""
    with register.reading() as conn:
        hz = queries.live_hazard_areas(conn)
        st = queries.settlements(conn)
        rel_rows = queries.released_parts(conn, period.end)
        find_rows = queries.finds(conn, period.end)
        n_act = queries.activities_between(conn, period.start, period.end)
        statuses = [r.status for r in hz]
        geoms = [r.geometry for r in hz]
        crs = metric_crs(geoms or [r.geometry for r in rel_rows] or [r.geometry for r in st])
        rel_m2 = areas_m2([r.geometry for r in rel_rows], crs) if rel_rows else np.zeros(0)
        released = [
            ReleasedRow(
                hazard_code=r.hazard_code,
                hazard_name=r.hazard_name or "",
                region=r.region,
                land_use=r.land_use,
                operator=r.activity_operator or r.hazard_operator or "(none)",
                team=r.team_code,
                activity_code=r.activity_code,
                activity_kind=r.activity_kind,
                method=r.method,
                released_on=_as_date(r.released_on),
                area_m2=float(r.area_m2),
                measured_m2=float(rel_m2[i]),
                geometry=r.geometry,
                hazard_geometry=r.hazard_geometry,
            )
            for i, r in enumerate(rel_rows)
        ]
        finds = [
            FindRow(r.eo_type, r.geometry, _as_date(r.on), r.hazard_code, r.operator or "(none)", r.hazard_geometry)
            for r in find_rows
        ]
        plan = _plan_progress(conn, period, released)
    hz_m2 = np.asarray([float(r.area_m2) for r in hz], dtype=float)
    is_open = np.isin(np.asarray(statuses, dtype=object), OPEN_STATUS_VALUES) if statuses else np.zeros(0, bool)
    open_m2 = float(hz_m2[is_open].sum()) if len(hz_m2) else 0.0
    quality, q_status = _register_checks(register)
    quality += _report_checks(released, finds)
    agreement, note = _summary_agreement(register, period, released)
    if note is not None:
        quality.append(note)
    now = now or datetime.now(UTC)
    if with_forecast:
        forecast, f_status = stored_forecast_view(register)
    else:
        forecast, f_status = None, "No forecast was asked for with this report."
    return MonthlyReport(
        period=period,
        generated_at=now,
        backend=register.backend,
        crs=crs,
        released=released,
        finds=finds,
        open_m2=open_m2,
        open_count=int(is_open.sum()),
        live_m2=float(hz_m2.sum()),
        live_count=len(geoms),
        layers=MapLayers(
            hazard_geometries=geoms,
            hazard_statuses=statuses,
            settlement_geometries=[r.geometry for r in st],
            settlement_names=[r.name for r in st],
            settlement_populations=[int(r.population or 0) for r in st],
            routes=[r.access_routes for r in st if r.access_routes is not None],
        ),
        plan=plan,
        forecast=forecast,
        forecast_status=f_status,
        quality=quality,
        quality_status=q_status,
        activities_in_period=int(n_act),
        summary_agreement=agreement,
        areal_scale=areal_scale_range(crs, geoms + [r.geometry for r in released]),
        field=field_summary(register, period.start, period.end - timedelta(days=1)),
        returns=_returns(register),
    )
