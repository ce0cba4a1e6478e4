"""The register's tables (SQLAlchemy Core).

Every geometry table carries its bounding box (minx … maxy) so that the embedded backend
can keep an R*Tree index from triggers, and any backend can pre-filter cheaply. Areas are
stored in m², computed in a UTM zone when the row is written.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from landrelease.storage.types import GeometryType

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _bbox() -> list[Column[float]]:
    return [Column(n, Float, nullable=False) for n in ("minx", "miny", "maxx", "maxy")]


def _gist(table: str, column: str = "geometry") -> Index:
    return Index(f"ix_{table}_{column}_gist", column, postgresql_using="gist").ddl_if(dialect="postgresql")


hazard_area = Table(
    "hazard_area",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("kind", String(8), nullable=False),
    Column("land_use", String(32), nullable=False),
    Column("eo_types", JSON, nullable=False, default=list),
    Column("machine_accessible", Boolean, nullable=False, default=True),
    Column("slope_deg", Float, nullable=False, default=0.0),
    Column("vegetation", String(8), nullable=False),
    Column("clutter", String(8), nullable=False),
    Column("density", String(8), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("operator", String(120), index=True),
    Column("region", String(120), index=True),
    Column("priority_score", Float),
    Column("beneficiaries", Integer),
    Column("parent_id", Integer, ForeignKey("hazard_area.id")),
    Column("geometry", GeometryType("GEOMETRY"), nullable=False),
    *_bbox(),
    Column("area_m2", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("extra", JSON, nullable=False, default=dict),
    _gist("hazard_area"),
    # Covering (id, status): the feature pages step through ids in order, skipping superseded
    # records, without reading the wide rows (OFFSET deep in 100,000 areas, and COUNT).
    Index("ix_hazard_area_id_status", "id", "status"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), unique=True),
    Column("hazard_id", Integer, ForeignKey("hazard_area.id"), index=True),
    Column("kind", String(32), nullable=False),
    Column("geometry", GeometryType("GEOMETRY"), nullable=False),
    *_bbox(),
    Column("date", Date),
    Column("source", String(200), nullable=False, default=""),
    Column("reliability", Float),
    Column("confidence", Float),
    Column("eo_type", String(32)),
    Column("count", Integer),
    Column("positive", Boolean, nullable=False, default=True),
    _gist("evidence"),
)

team = Table(
    "team",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("size", Integer, nullable=False, default=1),
    Column("operator", String(120), index=True),
    Column("base", GeometryType("POINT"), nullable=False),
    Column("cost_per_day", Float),
    Column("rate_m2_per_day", Float),
    Column("rate_sigma", Float),
)

activity = Table(
    "activity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), unique=True),
    Column("hazard_id", Integer, ForeignKey("hazard_area.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("team_code", String(64)),
    Column("operator", String(120), index=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("area_processed_m2", Float, nullable=False, default=0.0),
    Column("clearance_depth_cm", Float),
    Column("status", String(16), nullable=False, default="completed"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

released_part = Table(
    "released_part",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activity.id"), nullable=False, index=True),
    Column("hazard_id", Integer, ForeignKey("hazard_area.id"), nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("geometry", GeometryType("GEOMETRY"), nullable=False),
    *_bbox(),
    Column("area_m2", Float, nullable=False),
    Column("released_on", Date, nullable=False),
    _gist("released_part"),
)

find = Table(
    "find",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activity.id"), nullable=False, index=True),
    Column("eo_type", String(32), nullable=False),
    Column("geometry", GeometryType("POINT"), nullable=False),
    Column("depth_cm", Float),
    Column("model", String(120)),
    Column("condition", String(120)),
)

settlement = Table(
    "settlement",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("geometry", GeometryType("GEOMETRY"), nullable=False),
    *_bbox(),
    Column("population", Integer, nullable=False, default=0),
    Column("displaced", Integer, nullable=False, default=0),
    Column("access_routes", GeometryType("GEOMETRY")),
    Column("region", String(120)),
    Column("farmland_ring_m", Float),  # how far its farmland reaches (None: the readiness default)
    _gist("settlement"),
)

task = Table(
    "task",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("hazard_id", Integer, ForeignKey("hazard_area.id"), nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("area_m2", Float, nullable=False),
    Column("team_code", String(64)),
    Column("planned_start", Date),
    Column("planned_end", Date),
    Column("cell", GeometryType("GEOMETRY")),
)

daily_report = Table(
    "daily_report",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("team_code", String(64), nullable=False, index=True),
    Column("task_code", String(64)),
    Column("hazard_code", String(64), index=True),
    Column("date", Date, nullable=False),
    Column("m2_processed", Float, nullable=False),
    Column("finds", Integer, nullable=False, default=0),
    Column("hours", Float),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # The full report (migration field_1). Only ``approved`` reports count in the register's
    # figures; ``team_leader`` is personal data (landrelease.field.personal).
    Column("review_state", String(16), nullable=False, default="submitted", index=True),
    Column("operator", String(120), index=True),
    # m² by method (landrelease.domain.enums.WorkMethod); all 0 for a report that gives only a total.
    Column("nts_walked_m2", Float, nullable=False, default=0.0),
    Column("ts_searched_m2", Float, nullable=False, default=0.0),
    Column("cleared_m2", Float, nullable=False, default=0.0),
    Column("machine_processed_m2", Float, nullable=False, default=0.0),
    Column("items", JSON, nullable=False, default=list),
    Column("stoppages", JSON, nullable=False, default=list),
    Column("team_leader", String(200)),
    Column("lon", Float),
    Column("lat", Float),
    Column("notes", String(2000), nullable=False, default=""),
    Column("source", String(120), nullable=False, default=""),
    Column("submitted_at", DateTime(timezone=True)),
    Column("submitted_by", String(120)),
    Column("updated_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, default=1),
)

# Every step of every review (daily reports, activities, hazard-area changes): who, when, why.
review_event = Table(
    "review_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("record", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(2000)),
    Index("ix_review_event_kind_record", "kind", "record"),
)

# Changes an operator proposes (a recorded activity, a hazard-area edit): held here until a
# reviewer approves them, then applied to the register (``result`` says what that did).
proposal = Table(
    "proposal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("hazard_code", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("operator", String(120), index=True),
    Column("review_state", String(16), nullable=False, index=True),
    Column("submitted_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("result", JSON),
)

qa_inspection = Table(
    "qa_inspection",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("hazard_code", String(64), nullable=False, index=True),
    Column("inspected_on", Date, nullable=False),
    Column("inspecting_organisation", String(120), nullable=False),
    Column("inspected_organisation", String(120)),
    Column("lot_m2", Float, nullable=False),
    Column("unit_m2", Float, nullable=False),
    Column("lot_units", Integer, nullable=False),
    Column("limiting_quality", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("sample_units", Integer, nullable=False),
    Column("seed", Integer),
    Column("units_inspected", Integer, nullable=False),
    Column("result", String(16), nullable=False),
    Column("reopened_code", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

qa_nonconformity = Table(
    "qa_nonconformity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inspection_id", Integer, ForeignKey("qa_inspection.id"), nullable=False, index=True),
    Column("severity", String(16), nullable=False),
    Column("description", String(2000), nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("eo_type", String(32)),
    Column("depth_cm", Float),
    Column("corrective_action", String(2000), nullable=False, default=""),
)

# A handover certificate as issued (IMAS 08.30): the statement, kept as it was signed.
handover = Table(
    "handover",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("hazard_code", String(64), nullable=False, index=True),
    Column("handed_over_on", Date, nullable=False),
    Column("receiving_authority", String(200), nullable=False),
    Column("certificate", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

accident = Table(
    "accident",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("date", Date, nullable=False, index=True),
    Column("device", String(32)),
    Column("demining_accident", Boolean, nullable=False),
    Column("activity", String(32), nullable=False),
    Column("hazard_code", String(64)),
    Column("description", String(2000), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# ``name`` and ``contact`` are personal data: only administrators and analysts read them.
victim = Table(
    "victim",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("accident_id", Integer, ForeignKey("accident.id"), nullable=False, index=True),
    Column("sex", String(16), nullable=False),
    Column("age_band", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("injury", String(500), nullable=False, default=""),
    Column("follow_up", String(500), nullable=False, default=""),
    Column("name", String(200)),
    Column("contact", String(200)),
)

eore_session = Table(
    "eore_session",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("place_name", String(200), nullable=False, default=""),
    Column("date", Date, nullable=False, index=True),
    Column("organisation", String(120), nullable=False, index=True),
    Column("method", String(32), nullable=False),
    Column("beneficiaries", JSON, nullable=False),  # {"female/0-17": 12, ...}
    Column("total", Integer, nullable=False),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(32), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_key", String(64)),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # sec_a_1: the digest of the row hashes this event records (part of ``hash``), and the
    # HMAC-SHA256 of ``hash`` under LANDRELEASE_AUDIT_KEY (NULL when written without a key).
    Column("rows_digest", String(64)),
    Column("signature", String(64)),
    UniqueConstraint("hash"),
)

# The content hash of each audited row after each audited write (``hash`` NULL: the write
# deleted the row). The newest entry of a row is its last audited state (landrelease.storage.audit).
audit_row = Table(
    "audit_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("audit_event.id"), nullable=False, index=True),
    Column("tbl", String(32), nullable=False),
    Column("row_id", Integer, nullable=False),
    Column("hash", String(64)),
    Index("ix_audit_row_tbl_row_id", "tbl", "row_id"),
)

# People who sign in to the web application. ``role`` is admin, analyst, operator or viewer;
# an operator user belongs to one organisation (``operator``) and edits only its work.
# ``session_epoch`` is bumped to invalidate every session and token a user holds.
app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("operator", String(120)),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("session_epoch", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Sessions (and tokens) ended one at a time by signing out; ``everywhere`` bumps the user's
# ``session_epoch`` instead. Rows past ``expires_at`` may be deleted: the token expired anyway.
ended_session = Table(
    "ended_session",
    metadata,
    Column("sid", String(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# A stored forecast: the register's as it is ("register"), or one scenario of a comparison
# ("scenario"; the runs compared together share a ``batch``). ``result`` holds the forecast's
# figures over the whole register as plain data (bands, burn-down, milestones), so dashboards
# and reports never recompute them; ``month_ends`` the end date of each month index of the
# horizon (the core's calendar), which per-area months refer to.
forecast_run = Table(
    "forecast_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False, index=True),
    Column("batch", String(36), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("runs", Integer, nullable=False),
    Column("result", JSON, nullable=False),
    Column("start", Date),
    Column("horizon_years", Integer),
    Column("month_ends", JSON),
)

# The contamination model's assessment of a hazard area (the newest; one row an area).
area_assessment = Table(
    "area_assessment",
    metadata,
    Column("hazard_id", Integer, ForeignKey("hazard_area.id"), primary_key=True),
    Column("p_any", Float, nullable=False),
    Column("expected_items", Float, nullable=False),
    Column("params_hash", String(64), nullable=False),
    Column("cell_m", Float),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
)

# Each forecast area's release in a stored forecast: P10/P50/P90 month index (== horizon
# months: beyond it) and month end (NULL: beyond), and, where the forecast kept them, the
# release month of every run (``run_months``: zlib-compressed months, one byte or two each), so
# joint quantiles over several areas can be recomputed.
forecast_area = Table(
    "forecast_area",
    metadata,
    Column("forecast_id", Integer, ForeignKey("forecast_run.id", ondelete="CASCADE"), primary_key=True),
    Column("hazard_id", Integer, ForeignKey("hazard_area.id"), primary_key=True, index=True),
    Column("position", Integer, nullable=False),
    Column("area_m2", Float, nullable=False),
    Column("p10_month", SmallInteger, nullable=False),
    Column("p50_month", SmallInteger, nullable=False),
    Column("p90_month", SmallInteger, nullable=False),
    Column("p10_end", Date),
    Column("p50_end", Date),
    Column("p90_end", Date),
    Column("p_released", Float, nullable=False),
    Column("p_any", Float),
    Column("p_cancelled", Float),
    Column("p_reduced", Float),
    Column("p_cleared", Float),
    Column("run_months", LargeBinary),
)

# One import of a file: which file (name, size, SHA-256), which crosswalk (the one given and the
# column reading actually used), who and when, and what it stored. The audit trail holds the
# same event; this table is the history an analyst browses.
import_run = Table(
    "import_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(120), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("source", String(255), nullable=False),
    Column("layer", String(255)),
    Column("source_bytes", BigInteger),
    Column("source_sha256", String(64)),
    Column("crosswalk_file", String(255)),
    Column("crosswalk", JSON, nullable=False),
    Column("options", JSON, nullable=False),
    Column("read", Integer, nullable=False),
    Column("stored", Integer, nullable=False),
    Column("audit_hash", String(64)),
)

# Returns: households and their houses, consolidated settlements, reconstruction, shared
# machinery. A household's name and contact are personal data (see field/personal.py).
household = Table(
    "household",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("size", Integer, nullable=False),
    Column("origin_id", Integer, ForeignKey("settlement.id"), nullable=False, index=True),
    Column("choice_id", Integer, ForeignKey("settlement.id")),
    Column("registered", Date, nullable=False),
    Column("special_needs", Boolean, nullable=False, default=False),
    Column("name", String(200)),
    Column("contact", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

house = Table(
    "house",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(96), nullable=False, unique=True),
    Column("settlement_id", Integer, ForeignKey("settlement.id"), nullable=False, index=True),
    Column("house_type", String(64), nullable=False),
    Column("rooms", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
)

# The latest allocation (replaced as a whole each time): a house goes to one household at most.
allocation = Table(
    "allocation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("household_id", Integer, ForeignKey("household.id"), nullable=False, unique=True),
    Column("house_id", Integer, ForeignKey("house.id"), unique=True),
    Column("settlement_id", Integer, ForeignKey("settlement.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("waiting_position", Integer),
    Column("explanation", String(1000), nullable=False),
)

# An accepted consolidation: a new settlement (a row of ``settlement``) for the people of
# several former ones; a former settlement joins one consolidation at most.
consolidation = Table(
    "consolidation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("settlement_id", Integer, ForeignKey("settlement.id"), nullable=False, unique=True),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
    Column("accepted_by", String(120), nullable=False),
    Column("details", JSON, nullable=False),
)

consolidation_member = Table(
    "consolidation_member",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consolidation_id", Integer, ForeignKey("consolidation.id"), nullable=False, index=True),
    Column("former_id", Integer, ForeignKey("settlement.id"), nullable=False, unique=True),
)

reconstruction_item = Table(
    "reconstruction_item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("settlement_id", Integer, ForeignKey("settlement.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("duration_months", Integer, nullable=False),
    Column("plots", JSON, nullable=False),  # hazard codes that must be released first
    Column("after", JSON, nullable=False),  # item codes that must be finished first
    UniqueConstraint("settlement_id", "code"),
)

equipment = Table(
    "equipment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("settlement_id", Integer, ForeignKey("settlement.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False, default=""),
)

# One row per machine and day booked: the UNIQUE pair is the no-double-booking rule, enforced
# by the database on both backends (a booking of several days is several rows, one ``ref``).
booking = Table(
    "booking",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(64), nullable=False, index=True),
    Column("equipment_id", Integer, ForeignKey("equipment.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("household_id", Integer, ForeignKey("household.id"), nullable=False, index=True),
    Column("season", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("equipment_id", "day"),
)

# Tables with an R*Tree in SQLite, kept in step by triggers over the bbox columns.
RTREE_TABLES = ("hazard_area", "evidence", "released_part", "settlement")


def rtree_ddl(table: str) -> list[str]:
    """SQLite statements that create the R*Tree of a table and the triggers that feed it."""
    rt = f"{table}_rtree"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {rt} USING rtree(id, minx, maxx, miny, maxy)",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_ins AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {rt} VALUES (new.id, new.minx, new.maxx, new.miny, new.maxy); END",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_upd AFTER UPDATE OF minx, miny, maxx, maxy ON {table} BEGIN "
        f"UPDATE {rt} SET minx=new.minx, maxx=new.maxx, miny=new.miny, maxy=new.maxy WHERE id=new.id; END",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_del AFTER DELETE ON {table} BEGIN DELETE FROM {rt} WHERE id=old.id; END",
    ]
