"""Migration returns_1 on both backends: the migrated schema matches the declared one for every
table it adds or changes, and it goes down to crosswalk_1 and up again."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from landrelease.storage import schema
from landrelease.storage.database import alembic_config, make_engine, migrate

RETURNS_TABLES = {
    "settlement",
    "household",
    "house",
    "allocation",
    "consolidation",
    "consolidation_member",
    "reconstruction_item",
    "equipment",
    "booking",
}


def _table_of(d: Any) -> str | None:
    item = d[0] if isinstance(d, list) else d
    for part in item[1:] if isinstance(item, tuple) else ():
        if isinstance(part, str) and part in RETURNS_TABLES:
            return part
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        name = getattr(part, "name", None)
        if hasattr(part, "columns") and name:
            return str(name)
    return None


def test_returns_1_matches_the_schema_and_goes_down_and_up(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    # the GiST index is PostgreSQL's only (declared with ddl_if): not a difference on SQLite
    ours = [d for d in diff if _table_of(d) in RETURNS_TABLES and "_gist" not in str(d)]
    assert not ours, ours
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "crosswalk_1")
    names = set(inspect(engine).get_table_names())
    assert not (RETURNS_TABLES - {"settlement"}) & names
    assert "farmland_ring_m" not in {c["name"] for c in inspect(engine).get_columns("settlement")}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= RETURNS_TABLES
    engine.dispose()
