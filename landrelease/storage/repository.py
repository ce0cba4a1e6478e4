"""The hazard register: reads, and one unit of work through which every write passes.

Writes are plain SQLAlchemy Core inside one transaction per unit of work, so an import is
all or nothing and the audit trail (and, later, access control) hook in at one place.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import JSON, Connection, Engine, bindparam, func, select

from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.asset import Team
from landrelease.domain.enums import (
    ActivityKind,
    EOType,
    HazardStatus,
    ReleaseMethod,
)
from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import areas_m2
from landrelease.domain.hazard import HazardArea
from landrelease.domain.results import AreaPortfolio, Assessment
from landrelease.domain.settlement import Settlement
from landrelease.domain.task import DailyReport, Task
from landrelease.storage import assessments, audit, rtree_bulk, schema
from landrelease.storage.database import READ_ONLY, check_database, make_engine, migrate
from landrelease.storage.filters import HazardFilter
from landrelease.storage.rows import (
    bbox_columns,
    evidence_from_row,
    hazard_from_row,
    hazard_rows,
    now_utc,
    settlement_from_row,
    team_from_row,
)

if TYPE_CHECKING:
    from landrelease.domain.errors import Problem
    from landrelease.storage.imports import ImportRun
    from landrelease.storage.release import RecordedActivity
    from landrelease.storage.summary import ReleaseSummary

BULK_CACHE_KIB = -262144  # SQLite page cache during a bulk import: 256 MiB (negative = KiB)


def _is_sql_literal(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _sql_literal(value: Any, pg: bool) -> str:
    """A constant as SQL text (standard quoting; used for values the register itself chose)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if pg else str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


# ---------------------------------------------------------------- the register


class Register:
    """The register over one database (SQLite file or PostGIS)."""

    def __init__(self, engine: Engine, *, audit_key: str | None = None) -> None:
        self.engine = engine
        self.audit_key = audit_key
        audit.install(engine, audit_key)  # every audited write records the rows it changed

    @classmethod
    def open(cls, url: str, *, create: bool = True, audit_key: str | None = None) -> Register:
        engine = make_engine(url)
        try:
            check_database(engine)
            if create:
                migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, audit_key=audit_key)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, actor: str = "system") -> Iterator[UnitOfWork]:
        """One transaction: everything written inside commits together or not at all."""
        with self.engine.begin() as conn:
            uow = UnitOfWork(conn, actor)
            yield uow
            if audit.pending(conn):  # rows written after the last event: recorded before commit
                uow.audit("write", "rows", None, {})

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only connection: a deferred snapshot in SQLite, so readers never queue."""
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            yield conn

    # --- reads
    def hazard_areas(
        self, where: HazardFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[HazardArea]:
        q = (where or HazardFilter()).apply(select(schema.hazard_area)).order_by(schema.hazard_area.c.id)
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        with self.reading() as conn:
            return [hazard_from_row(r) for r in conn.execute(q)]

    def portfolio(self, where: HazardFilter | None = None) -> AreaPortfolio:
        """Hazard areas (with their stored area in m²) and their assessments, in one query."""
        with self.reading() as conn:
            return assessments.portfolio(conn, where)

    def assessments(self, codes: Sequence[str] | None = None) -> dict[str, Assessment]:
        """The contamination model's stored assessments, by hazard code."""
        with self.reading() as conn:
            return assessments.assessments(conn, codes)

    def count_hazard_areas(self, where: HazardFilter | None = None) -> int:
        q = (where or HazardFilter()).apply(select(func.count()).select_from(schema.hazard_area))
        with self.reading() as conn:
            return int(conn.execute(q).scalar_one())

    def hazard_area(self, code: str) -> HazardArea | None:
        with self.reading() as conn:
            r = conn.execute(select(schema.hazard_area).where(schema.hazard_area.c.code == code)).first()
        return hazard_from_row(r) if r else None

    def evidence(self, hazard_codes: Iterable[str] | None = None) -> list[Evidence]:
        e, h = schema.evidence, schema.hazard_area
        q = select(e, h.c.code.label("hazard_code")).select_from(e.outerjoin(h, e.c.hazard_id == h.c.id))
        if hazard_codes is not None:
            q = q.where(h.c.code.in_(list(hazard_codes)))
        with self.reading() as conn:
            return [evidence_from_row(r, r.hazard_code) for r in conn.execute(q.order_by(e.c.id))]

    def teams(self) -> list[Team]:
        with self.reading() as conn:
            return [team_from_row(r) for r in conn.execute(select(schema.team).order_by(schema.team.c.id))]

    def settlements(self) -> list[Settlement]:
        with self.reading() as conn:
            rows = conn.execute(select(schema.settlement).order_by(schema.settlement.c.id))
            return [settlement_from_row(r) for r in rows]

    def activities(self, hazard_code: str | None = None) -> list[Activity]:
        a, h, rp, fd = schema.activity, schema.hazard_area, schema.released_part, schema.find
        q = select(a, h.c.code.label("hazard_code")).join(h, a.c.hazard_id == h.c.id).order_by(a.c.id)
        if hazard_code is not None:
            q = q.where(h.c.code == hazard_code)
        with self.reading() as conn:
            rows = conn.execute(q).all()
            ids = [r.id for r in rows]
            parts: dict[int, list[ReleasedPart]] = {}
            finds: dict[int, list[Find]] = {}
            if ids:
                for p in conn.execute(select(rp).where(rp.c.activity_id.in_(ids)).order_by(rp.c.id)):
                    parts.setdefault(p.activity_id, []).append(ReleasedPart(ReleaseMethod(p.method), p.geometry))
                for f in conn.execute(select(fd).where(fd.c.activity_id.in_(ids)).order_by(fd.c.id)):
                    finds.setdefault(f.activity_id, []).append(
                        Find(EOType(f.eo_type), f.geometry, f.depth_cm, f.model, f.condition)
                    )
        return [
            Activity(
                id=r.id,
                code=r.code,
                hazard_code=r.hazard_code,
                kind=ActivityKind(r.kind),
                team=r.team_code,
                operator=r.operator,
                start_date=r.start_date,
                end_date=r.end_date,
                area_processed_m2=r.area_processed_m2,
                clearance_depth_cm=r.clearance_depth_cm,
                status=r.status,
                released=parts.get(r.id, []),
                finds=finds.get(r.id, []),
            )
            for r in rows
        ]

    def inventory(self) -> dict[str, Any]:
        """What the register holds: counts and km² of hazard areas by kind, status and land use,
        evidence by kind, teams by type. Superseded records (split by a partial release) are
        left out so no area counts twice."""
        h, e, tm = schema.hazard_area, schema.evidence, schema.team
        live = h.c.status != HazardStatus.SUPERSEDED.value
        out: dict[str, Any] = {}
        with self.reading() as conn:
            for key in ("kind", "status", "land_use"):
                col = h.c[key]
                q = select(col, func.count(), func.coalesce(func.sum(h.c.area_m2), 0.0)).where(live).group_by(col)
                out[f"hazard_areas_by_{key}"] = {r[0]: (int(r[1]), float(r[2]) / 1e6) for r in conn.execute(q)}
            n, m2 = conn.execute(select(func.count(), func.coalesce(func.sum(h.c.area_m2), 0.0)).where(live)).one()
            out["hazard_areas"] = int(n)
            out["total_km2"] = float(m2) / 1e6
            out["evidence_by_kind"] = {
                r[0]: int(r[1]) for r in conn.execute(select(e.c.kind, func.count()).group_by(e.c.kind))
            }
            out["teams_by_type"] = {
                r[0]: int(r[1]) for r in conn.execute(select(tm.c.type, func.count()).group_by(tm.c.type))
            }
            out["settlements"] = int(conn.execute(select(func.count()).select_from(schema.settlement)).scalar_one())
        return out

    def release_summary(self) -> ReleaseSummary:
        """Released km² by method, operator, region and month, and open km² (metric areas)."""
        from landrelease.storage.summary import release_summary

        with self.reading() as conn:
            return release_summary(conn)

    def quality_problems(self) -> list[Problem]:
        """GICHD geocheck data-quality checks and overlapping hazard areas over the register."""
        from landrelease.storage.quality import check_register

        with self.reading() as conn:
            return check_register(conn)

    def release_history(self, hazard_code: str | None = None) -> list[dict[str, Any]]:
        """Every released part with its date, activity, team, operator and method."""
        from landrelease.storage.release import release_history

        with self.reading() as conn:
            return release_history(conn, hazard_code)

    def tasks(self) -> list[Task]:
        t, h = schema.task, schema.hazard_area
        q = select(t, h.c.code.label("hazard_code")).join(h, t.c.hazard_id == h.c.id).order_by(t.c.id)
        with self.reading() as conn:
            return [
                Task(
                    id=r.id,
                    code=r.code,
                    hazard_code=r.hazard_code,
                    method=ActivityKind(r.method),
                    area_m2=r.area_m2,
                    team=r.team_code,
                    planned_start=r.planned_start,
                    planned_end=r.planned_end,
                    cell=r.cell,
                )
                for r in conn.execute(q)
            ]

    def import_runs(self, limit: int | None = None) -> list[ImportRun]:
        """The history of imports, newest first: file, crosswalk, who, when, what was stored."""
        from landrelease.storage.imports import import_runs

        with self.reading() as conn:
            return import_runs(conn, limit)

    def daily_reports(self) -> list[DailyReport]:
        """The approved daily reports (the only ones that count in the register's figures)."""
        from landrelease.storage.field import approved_reports

        with self.reading() as conn:
            return approved_reports(conn)


class UnitOfWork:
    """Every write to the register goes through here, inside one transaction."""

    def __init__(self, conn: Connection, actor: str) -> None:
        self.conn = conn
        self.actor = actor
        self._bulk = False
        self._bulk_next_id = 0
        self._bulk_boxes: list[tuple[np.ndarray, np.ndarray]] = []

    def audit(self, action: str, entity: str, key: str | None, payload: Any) -> str:
        return audit.append(self.conn, self.actor, action, entity, key, payload)

    def hazard_ids(self, codes: Iterable[str]) -> dict[str, int]:
        h = schema.hazard_area
        wanted = list(dict.fromkeys(codes))
        out: dict[str, int] = {}
        for i in range(0, len(wanted), 5000):
            chunk = wanted[i : i + 5000]
            out.update({r.code: r.id for r in self.conn.execute(select(h.c.code, h.c.id).where(h.c.code.in_(chunk)))})
        return out

    def add_hazard_areas(self, areas: Sequence[HazardArea], *, source: str = "") -> int:
        rows = hazard_rows(areas)
        for i in range(0, len(rows), 20000):
            self.conn.execute(schema.hazard_area.insert(), rows[i : i + 20000])
        self.audit("insert", "hazard_area", None, {"count": len(rows), "source": source})
        return len(rows)

    def add_evidence(self, items: Sequence[Evidence], *, source: str = "") -> int:
        if not items:
            return 0
        ids = self.hazard_ids(e.hazard_code for e in items if e.hazard_code)
        bounds = bbox_columns([e.geometry for e in items])
        rows = []
        for i, e in enumerate(items):
            if e.hazard_code and e.hazard_code not in ids:
                from landrelease.domain.errors import Problem, ValidationError

                raise ValidationError(
                    [
                        Problem(
                            "no hazard area with this code",
                            record=e.code or str(i + 1),
                            field="hazard_code",
                            found=e.hazard_code,
                            source=source or None,
                        )
                    ],
                    "evidence refused",
                )
            rows.append(
                {
                    "code": e.code,
                    "hazard_id": ids.get(e.hazard_code) if e.hazard_code else None,
                    "kind": e.kind.value,
                    "geometry": e.geometry,
                    "minx": bounds[i, 0],
                    "miny": bounds[i, 1],
                    "maxx": bounds[i, 2],
                    "maxy": bounds[i, 3],
                    "date": e.date,
                    "source": e.source,
                    "reliability": e.reliability,
                    "confidence": e.confidence,
                    "eo_type": e.eo_type.value if e.eo_type else None,
                    "count": e.count,
                    "positive": e.positive,
                }
            )
        self.conn.execute(schema.evidence.insert(), rows)
        self.audit("insert", "evidence", None, {"count": len(rows), "source": source})
        return len(rows)

    def add_teams(self, teams: Sequence[Team], *, source: str = "") -> int:
        if not teams:
            return 0
        rows = [
            {
                "code": t.code,
                "type": t.type.value,
                "size": t.size,
                "operator": t.operator,
                "base": t.base,
                "cost_per_day": t.cost_per_day,
                "rate_m2_per_day": t.rate_m2_per_day,
                "rate_sigma": t.rate_sigma,
            }
            for t in teams
        ]
        self.conn.execute(schema.team.insert(), rows)
        self.audit("insert", "team", None, {"count": len(rows), "source": source})
        return len(rows)

    def add_settlements(self, settlements: Sequence[Settlement], *, source: str = "") -> int:
        if not settlements:
            return 0
        bounds = bbox_columns([s.geometry for s in settlements])
        rows = [
            {
                "code": s.code,
                "name": s.name,
                "geometry": s.geometry,
                "minx": bounds[i, 0],
                "miny": bounds[i, 1],
                "maxx": bounds[i, 2],
                "maxy": bounds[i, 3],
                "population": s.population,
                "displaced": s.displaced,
                "access_routes": s.access_routes,
                "region": s.region,
                "farmland_ring_m": s.farmland_ring_m,
            }
            for i, s in enumerate(settlements)
        ]
        self.conn.execute(schema.settlement.insert(), rows)
        self.audit("insert", "settlement", None, {"count": len(rows), "source": source})
        return len(rows)

    def record_activity(
        self, activity: Activity, *, today: date | None = None, tolerance_m: float | None = None
    ) -> RecordedActivity:
        """Record an NTS / TS / clearance / EOD result; a partial release splits the area.

        Refuses (ValidationError) an unknown code, a closed area, bad dates, parts outside
        the area or overlapping each other; see :mod:`landrelease.storage.release`.
        """
        from landrelease.domain.release import DEFAULT_TOLERANCE_M
        from landrelease.storage.release import record_activity

        tol = DEFAULT_TOLERANCE_M if tolerance_m is None else tolerance_m
        return record_activity(self.conn, self.actor, activity, today=today, tolerance_m=tol)

    def add_daily_reports(self, reports: Sequence[DailyReport]) -> int:
        """Record reports the authority itself holds (an import of past, already checked data):
        counted at once, as approved. A report already stored (same uuid) is skipped. Reports
        from the field go through ``services.field_reports.submit_reports`` (checked,
        conflicts refused, held for review). Returns how many were new."""
        from landrelease.field.review import ReviewState
        from landrelease.storage.field import report_row

        d = schema.daily_report
        uuids = [r.uuid for r in reports]
        seen = {u for (u,) in self.conn.execute(select(d.c.uuid).where(d.c.uuid.in_(uuids)))} if uuids else set()
        fresh = {r.uuid: r for r in reports if r.uuid not in seen}  # also collapses repeats in one batch
        if not fresh:
            return 0
        now = now_utc()
        rows = [
            report_row(r, operator=None, state=ReviewState.APPROVED, actor=self.actor, now=now) for r in fresh.values()
        ]
        self.conn.execute(d.insert(), rows)
        self.audit("insert", "daily_report", None, {"uuids": list(fresh)})
        return len(fresh)

    def replace_plan(self, tasks: Sequence[Task], *, source: str = "") -> int:
        """Replace the stored plan (the ``task`` table) by ``tasks``, all or nothing, audited.

        Refuses tasks whose hazard area is not in the register, naming them, before anything
        is deleted.
        """
        from landrelease.domain.errors import Problem, ValidationError

        ids = self.hazard_ids(t.hazard_code for t in tasks)
        missing = [t for t in tasks if t.hazard_code not in ids]
        if missing:
            raise ValidationError(
                [
                    Problem(
                        "no hazard area with this code",
                        record=t.code,
                        field="hazard_code",
                        found=t.hazard_code,
                        source=source or None,
                    )
                    for t in missing
                ],
                "plan refused",
            )
        removed = self.conn.execute(schema.task.delete()).rowcount
        rows = [
            {
                "code": t.code,
                "hazard_id": ids[t.hazard_code],
                "method": t.method.value,
                "area_m2": t.area_m2,
                "team_code": t.team,
                "planned_start": t.planned_start,
                "planned_end": t.planned_end,
                "cell": t.cell,
            }
            for t in tasks
        ]
        for i in range(0, len(rows), 20000):
            self.conn.execute(schema.task.insert(), rows[i : i + 20000])
        self.audit("replace", "task", None, {"count": len(rows), "removed": removed, "source": source})
        return len(rows)

    # ---------------------------------------------------------------- bulk path (imports)

    def stored_codes(self, table: str) -> set[str]:
        """Every code already stored in a table (hazard_area, evidence, settlement, team)."""
        t = schema.metadata.tables[table]
        return {c for (c,) in self.conn.execute(select(t.c.code).where(t.c.code.is_not(None)))}

    def add_hazard_columns(
        self,
        columns: dict[str, Any],
        geometry: np.ndarray,
        *,
        area_m2: np.ndarray | None = None,
        wkb: np.ndarray | None = None,
        chunk: int = 20000,
        now: datetime | None = None,
    ) -> int:
        """Insert hazard areas given column by column: the fast path for imports of a million polygons.

        ``columns`` maps ``hazard_area`` column names to a list (one value a row) or a single
        value for every row; bounding boxes and metric areas (UTM, :func:`areas_m2`) are
        computed here, in bulk (pass ``area_m2`` and, for SQLite, ``wkb`` of the same geometries
        if already at hand; ``None`` entries are encoded here). Values go to the driver
        as they are (JSON columns as JSON text), through this unit of work's connection and
        transaction. The caller audits.
        """
        n = len(geometry)
        if n == 0:
            return 0
        if self.conn.dialect.name == "sqlite" and not self._bulk:
            with self.bulk_hazard_areas():
                return self.add_hazard_columns(columns, geometry, area_m2=area_m2, wkb=wkb, chunk=chunk, now=now)
        t = schema.hazard_area
        dialect = self.conn.dialect
        audit.note_insert(self.conn, "hazard_area")  # driver-level SQL below: the audit cannot see it
        now = now or now_utc()
        bounds = shapely.bounds(geometry)
        data: dict[str, Any] = dict(columns)
        data["minx"], data["miny"], data["maxx"], data["maxy"] = (bounds[:, k].tolist() for k in range(4))
        data["area_m2"] = (areas_m2(geometry) if area_m2 is None else np.asarray(area_m2, dtype=float)).tolist()
        for stamp in ("created_at", "updated_at"):
            process = t.c[stamp].type.dialect_impl(dialect).bind_processor(dialect)
            data.setdefault(stamp, process(now) if process else now)
        pg = dialect.name == "postgresql"
        if wkb is not None and not pg:
            # the caller's WKB of the same geometries (e.g. as read from a file): encode only the gaps
            missing = pd.isna(wkb)
            encoded = np.asarray(wkb, dtype=object).copy()
            if missing.any():
                encoded[missing] = shapely.to_wkb(geometry[missing])
            data["geometry"] = encoded.tolist()
        else:
            srid_geometry = shapely.set_srid(geometry, 4326) if pg else geometry
            data["geometry"] = shapely.to_wkb(srid_geometry, include_srid=pg).tolist()
        if self._bulk:
            # the write lock is held (BEGIN IMMEDIATE): ids are the next ones, known here for the R*Tree
            first = self._bulk_next_id
            data["id"] = list(range(first, first + n))
            self._bulk_next_id += n
            self._bulk_boxes.append((np.arange(first, first + n, dtype=np.int64), bounds))
        names = list(data)
        placeholder = "%s" if pg else "?"
        marks = []
        varying = []
        for name in names:
            value = data[name]
            if not isinstance(value, list) and _is_sql_literal(value):
                mark = _sql_literal(value, pg)  # the same for every row: written once into the statement
            else:
                mark = placeholder
                varying.append(name)
            if pg and name == "geometry":
                mark = f"ST_GeomFromEWKB({mark})"
            elif pg and isinstance(t.c[name].type, JSON):
                mark = f"CAST({mark} AS JSON)"
            marks.append(mark)
        sql = f"INSERT INTO hazard_area ({', '.join(names)}) VALUES ({', '.join(marks)})"
        per_row = [data[k] if isinstance(data[k], list) else itertools.repeat(data[k], n) for k in varying]
        rows = zip(*per_row, strict=False)
        for _ in range(0, n, chunk):
            self.conn.exec_driver_sql(sql, list(itertools.islice(rows, chunk)))
        return n

    @contextmanager
    def bulk_hazard_areas(self) -> Iterator[None]:
        """Within this block, hazard areas are inserted without feeding SQLite's R*Tree row by row;
        the index is built once when the block ends (packed in one pass if it was empty).

        Feeding the R*Tree from its trigger costs more than storing the rows. The trigger is
        dropped and re-created inside this unit of work's transaction, so a failure rolls
        both back with everything else. Nested blocks defer to the outermost one.
        """
        if self.conn.dialect.name != "sqlite" or self._bulk:
            yield
            return
        last_id = int(self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM hazard_area").scalar_one())
        self._bulk, self._bulk_next_id, self._bulk_boxes = True, last_id + 1, []
        self.conn.exec_driver_sql("DROP TRIGGER IF EXISTS hazard_area_rtree_ins")
        cache = self.conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        self.conn.exec_driver_sql(f"PRAGMA cache_size = {BULK_CACHE_KIB}")  # room for the indexes' pages
        try:
            yield
            added = int(
                self.conn.exec_driver_sql("SELECT count(*) FROM hazard_area WHERE id > ?", (last_id,)).scalar_one()
            )
            known = sum(len(ids) for ids, _ in self._bulk_boxes)
            if added and added == known and rtree_bulk.is_empty(self.conn, "hazard_area_rtree"):
                ids = np.concatenate([ids for ids, _ in self._bulk_boxes])
                boxes = np.concatenate([b for _, b in self._bulk_boxes])
                rtree_bulk.bulk_load(self.conn, "hazard_area_rtree", ids, boxes)
            elif added:  # rows written some other way too, or a tree to add to: SQLite's own inserts
                self.conn.exec_driver_sql(
                    "INSERT INTO hazard_area_rtree SELECT id, minx, maxx, miny, maxy FROM hazard_area WHERE id > ?",
                    (last_id,),
                )
        finally:
            self._bulk, self._bulk_boxes = False, []
            self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
            self.conn.exec_driver_sql(schema.rtree_ddl("hazard_area")[1])

    def link_parents(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Set ``parent_id`` from (code, parent code) pairs; returns the pairs whose parent is unknown."""
        if not pairs:
            return []
        h = schema.hazard_area
        ids = self.hazard_ids([c for pair in pairs for c in pair])
        missing = [(c, p) for c, p in pairs if p not in ids]
        updates = [{"i": ids[c], "p": ids[p]} for c, p in pairs if p in ids and c in ids]
        if updates:
            self.conn.execute(h.update().where(h.c.id == bindparam("i")).values(parent_id=bindparam("p")), updates)
        return missing
