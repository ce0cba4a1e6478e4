"""Migration field_1 on both backends: reports stored before it stay counted (approved), and the
migrated schema matches the declared one for every table it touches."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from landrelease.storage import schema
from landrelease.storage.database import alembic_config, make_engine, migrate
from landrelease.storage.repository import Register

FIELD_TABLES = {
    "daily_report",
    "review_event",
    "proposal",
    "qa_inspection",
    "qa_nonconformity",
    "handover",
    "accident",
    "victim",
    "eore_session",
}


def test_legacy_reports_stay_counted_and_the_schema_matches(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "typed_results")
        # The table as it was before field_1: only these columns.
        conn.execute(
            text(
                "INSERT INTO daily_report (uuid, team_code, date, m2_processed, finds, hours, received_at) VALUES "
                "('0f8fad5b-d9cb-469f-a165-70867728950e', 'MAN-01', :d, 120.0, 0, 6.0, :at)"
            ),
            {"d": date(2026, 1, 5), "at": datetime(2026, 1, 5, tzinfo=UTC)},
        )
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    engine.dispose()

    def table_of(d: object) -> str | None:
        item = d[0] if isinstance(d, list) else d
        for part in item[1:] if isinstance(item, tuple) else ():
            if isinstance(part, str) and part in FIELD_TABLES:  # modify_* items name the table
                return part
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None:
                return str(table.name)
            if hasattr(part, "columns") and name:
                return str(name)
        return None

    ours = [d for d in diff if table_of(d) in FIELD_TABLES]
    assert ours == [], ours
    reg = Register.open(database_url)
    (r,) = reg.daily_reports()
    assert r.m2_processed == 120.0 and r.area_by_method == {}
    reg.close()
